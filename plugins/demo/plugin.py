"""Built-in plugin ``demo``: ``loopledger demo``, the main job on the bundled 2025 history.

It replays ``ledger/examples/ai-compute-2025.yaml`` into a SQLite store (a fresh one unless
``--store`` is given), runs every ``verify`` check, and reports what the other plugins compute —
loops per layer, round trips of cash, commitment coverage, vendor financing, warrant values —
on the terminal and as ``report.md`` with the flow picture and the exact figures as JSON.

Why a plugin: the demo uses only what any plugin can reach (the session, the engine, the other
plugins' public functions and the registered renderers), so it doubles as a worked example of
composing plugins. It degrades when one of them is disabled instead of failing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.resources
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ledger import hookimpl
from ledger.loader import History, load_file
from ledger.recording import replay
from ledger.store import describe
from plugins.demo.summary import RULES, Findings, Replayed, build, confidence_counts

if TYPE_CHECKING:
    from ledger.engine import Result
    from ledger.reports import Report
    from ledger.session import Session

__all__ = ["EXAMPLE", "bundled_example", "ledger_register_commands", "run_demo"]

EXAMPLE = "ai-compute-2025.yaml"
DEFAULT_OUT = Path("loopledger-demo")
SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")
T = TypeVar("T")


@contextlib.contextmanager
def bundled_example() -> Iterator[Path]:
    """The packaged 2025 deal history as a file path (works from a wheel too)."""
    resource = importlib.resources.files("ledger.examples").joinpath(EXAMPLE)
    with importlib.resources.as_file(resource) as path:
        yield path


class Progress:
    """One line per step on stderr, with its time; a spinner while a step runs on a terminal."""

    def __init__(self, quiet: bool = False) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self.quiet = quiet
        self.started = time.perf_counter()

    def step(self, label: str, work: Callable[[], T], done: Callable[[T], str] | None = None) -> T:
        t0 = time.perf_counter()
        if self.quiet:
            return work()
        if self.console.is_terminal:
            with self.console.status(f"{label} …"):
                value = work()
        else:
            value = work()
        detail = f": {done(value)}" if done else ""
        self.console.print(
            f"[green]✓[/green] {label}{detail} [dim]({time.perf_counter() - t0:.2f} s)[/dim]"
        )
        return value

    def total(self) -> float:
        return time.perf_counter() - self.started


def _fresh_sqlite(path: Path) -> None:
    """Remove a previous demo store (and SQLite's side files) so the demo starts clean."""
    for suffix in SQLITE_SIDE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _replayed(session: Session, history: History, report: Any) -> Replayed:
    dates = [e.date for e in history.events]
    return Replayed(
        file=Path(history.file).name,
        events=len(history.events),
        new=report.new,
        present=sum(f.present for f in report.files),
        parties=len(history.parties),
        first=min(dates, default=None),
        last=max(dates, default=None),
        confidence=confidence_counts(e.confidence for e in history.events),
        with_source=sum(1 for e in history.events if e.source),
        store=describe(session.store_url),
    )


def _draw(result: Result, out: Path, names: dict[str, str]) -> tuple[int, int]:
    """The ``all`` layer's flows with its loops, as ``loopledger graph`` draws them."""
    from plugins.audit import flows
    from plugins.audit.cycles import find_cycles
    from plugins.audit.flows import DEFAULT_MAX_LENGTH
    from plugins.audit.picture import draw
    from plugins.audit.plugin import short_name

    edges = flows.layer_edges(result.state(flows.NAME), "all", "USD")
    cycles = find_cycles(edges, max_length=DEFAULT_MAX_LENGTH)
    when = f", as of {result.as_of.isoformat()}" if result.as_of else ""
    draw(
        edges,
        cycles,
        title=f"Circular flows — cash paid + commitments outstanding + stakes (USD{when})",
        out=out,
        names={p: short_name(n) for p, n in names.items()},
    )
    return len(flows.aggregate(edges)), len(cycles)


def _write_json(path: Path, data: Any) -> None:
    from ledger.output import dumps

    path.write_text(dumps(data) + "\n", encoding="utf-8")


def run_demo(
    session: Session,
    out: Path,
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> tuple[Findings, Report]:
    """Replay the bundled history into the session's store, verify it, and write the report.

    Returns the findings and the report; writes ``report.md``, ``loop.svg``, ``loop.png`` and
    the JSON files into ``out``. Raises :class:`~ledger.errors.LedgerError` subclasses on bad
    stores, like every command.
    """
    from ledger.verification import verify

    progress = progress or Progress(quiet=True)
    plugins = session.plugins
    out.mkdir(parents=True, exist_ok=True)
    with bundled_example() as path:
        history = progress.step(
            f"read {EXAMPLE}",
            lambda: load_file(path),
            lambda h: f"{len(h.events)} events, {len(h.parties)} parties",
        )
    replay_report = progress.step(
        f"record into {describe(session.store_url)}",
        lambda: replay(
            session.engine(),
            [history],
            on_recorded=lambda records: plugins.events_recorded(
                records, describe(session.store_url)
            ),
        ),
        lambda r: f"{r.new} new, {sum(f.present for f in r.files)} already present",
    )
    verified = progress.step(
        "verify (hash chain, refold, fresh process, every invariant)",
        lambda: verify(session),
        lambda v: f"{sum(c.ok for c in v.checks)} of {len(v.checks)} checks hold",
    )
    result: Result = progress.step(
        "run every projection" + (f" as of {as_of}" if as_of else ""),
        lambda: session.engine().run(as_of=as_of),
        lambda r: (
            f"{len(r.states)} projections"
            + (f", {len(r.failures)} quarantined" if r.failures else "")
        ),
    )
    day = as_of or result.book.max_date
    names = {pid: (p.name or pid) for pid, p in result.book.parties.items()}
    files: list[tuple[str, str]] = [("report.md", "this report")]
    audit_json: dict[str, Any] | None = None
    returned: dict[str, dict[str, Decimal]] = {}
    picture: str | None = None
    if "audit.flows" in result.states:
        from plugins.audit import flows, tracing
        from plugins.audit.api import audit

        report = progress.step(
            "audit loops and trace cash (pro-rata, fifo, lifo)",
            lambda: audit(result, rule="pro-rata"),
            lambda a: f"{len(a.cycles)} loops",
        )
        audit_json = report.to_json()
        moves = flows.moves(result.state(flows.NAME), "USD")
        for rule in RULES:
            trace = report.trace if rule == report.rule else tracing.trace(moves, rule)
            returned[rule] = {p.party: p.returned for p in trace.parties}
        _write_json(out / "audit.json", audit_json)
        files.append(("audit.json", "loops and round trips, exact (`loopledger audit --json`)"))
        progress.step(
            "draw the loop (loop.svg, loop.png)",
            lambda: [_draw(result, out / name, names) for name in ("loop.svg", "loop.png")][-1],
            lambda c: f"{c[0]} flows, {c[1]} loops highlighted",
        )
        picture = "loop.svg"
        files += [
            ("loop.svg", "the picture: parties, flows ($B), loops highlighted"),
            ("loop.png", "the same picture as PNG"),
        ]
    figures: list[dict[str, Any]] | None = None
    valuation: dict[str, Any] | None = None
    if day is not None and (
        "metrics.flows" in result.states or "valuation.positions" in result.states
    ):
        from plugins.valuation.holdings import Settings

        settings = Settings.from_config(plugins.plugin_config("valuation"))
        if "metrics.flows" in result.states:
            from plugins.metrics import figures_as_of

            figures, _skipped = progress.step(
                "compute metrics",
                lambda: figures_as_of(result.states, day, plugins.metrics(), settings),
                lambda fs: f"{len(fs[0])} figures",
            )
            _write_json(out / "metrics.json", {"as_of": day, "figures": figures})
            files.append(
                ("metrics.json", "every metric with its inputs (`loopledger metrics --json`)")
            )
        if "valuation.positions" in result.states:
            from plugins.valuation.plugin import NAME
            from plugins.valuation.plugin import report as value_report

            valuation = progress.step(
                "value holdings",
                lambda: value_report(
                    result.state(NAME), result.book.parties, day, plugins, settings
                ),
                lambda v: f"{len(v['holdings'])} holdings",
            )
            _write_json(out / "value.json", valuation)
            files.append(
                ("value.json", "every holding valued, with basis (`loopledger value --json`)")
            )
    _write_json(out / "verify.json", verified.to_json())
    files.append(("verify.json", "every check and its result (`loopledger verify --json`)"))
    store_flag = f"--store {session.store_url}"
    findings = Findings(
        as_of=day,
        replayed=_replayed(session, history, replay_report),
        verify=verified,
        names=names,
        audit=audit_json,
        returned=returned,
        figures=figures,
        valuation=valuation,
        files=files,
        picture=picture,
        next_steps=(
            (
                f"loopledger {store_flag} audit --rule fifo",
                "the loops, and round trips under another rule",
            ),
            (
                f"loopledger {store_flag} audit --as-of 2025-12-31",
                "the loop before the 2026 revision ($100B letter)",
            ),
            (f"loopledger {store_flag} metrics --by quarter", "every metric at each quarter end"),
            (
                f"loopledger {store_flag} value --party openai",
                "OpenAI's holdings, tranche by tranche",
            ),
            (f"loopledger {store_flag} events", "every recorded event with its postings"),
            ("docs/the-2025-loop.md", "how to read each figure; docs/plugins.md to write your own"),
        ),
    )
    report_data = build(findings, full=True)
    renderer = next((r for r in plugins.renderers() if r.name == "markdown"), None)
    if renderer is not None:
        (out / "report.md").write_text(renderer.render(report_data), encoding="utf-8")
    return findings, report_data


def print_report(report: Report) -> None:
    """The report on the terminal: the Markdown file's content, laid out by rich."""
    from rich.markdown import Markdown

    from ledger.output import console
    from plugins.reports import render_markdown

    console().print(Markdown(render_markdown(report)))


@hookimpl
def ledger_register_commands(cli: click.Group) -> None:
    from ledger.cli_support import as_of_option

    @cli.command("demo")
    @click.option(
        "--store",
        "store_url",
        default=None,
        metavar="PATH|URL",
        help="Record into this store (SQLite file or postgresql:// URL) and keep what is there; "
        "default: a fresh SQLite file OUT/loopledger.db.",
    )
    @click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_OUT,
        show_default=True,
        help="Directory for report.md, loop.svg/png and the JSON figures.",
    )
    @as_of_option
    @click.pass_context
    def demo_command(
        ctx: click.Context, store_url: str | None, out: Path, as_of: dt.date | None
    ) -> None:
        """Replay the bundled, sourced 2025 AI-compute deal history, verify it, and report on the loop.

        Prints the loops found per layer, round trips of cash, OpenAI's commitment coverage,
        vendor-financing ratios and the AMD warrant's value now and if every hurdle is met; writes
        the flow picture and a Markdown report into OUT. Takes a few seconds.
        """
        session = ctx.obj
        root = ctx.find_root().params.get("store_url")
        given = store_url or root
        if given is None:
            path = out / "loopledger.db"
            out.mkdir(parents=True, exist_ok=True)
            _fresh_sqlite(path)
            given = str(path)
        session.close()
        session.store_url = given
        progress = Progress()
        findings, _ = run_demo(session, out, as_of=as_of, progress=progress)
        print_report(build(findings, full=False))
        click.echo(
            f"\nDone in {progress.total():.1f} s. Files in {out}/: "
            + ", ".join(n for n, _ in findings.files)
        )
        if not findings.verify.ok:
            sys.exit(1)
