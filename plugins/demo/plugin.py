"""Built-in plugin ``demo``: ``loopledger demo`` (the main job) and ``loopledger report``.

``demo`` replays the bundled, sourced 2025–2026 history
(``ledger/examples/ai-compute-2025-2026.yaml``)
into a SQLite store — a fresh one unless ``--store`` is given — and reports on it; ``report``
writes the same report for whatever a store holds. Both run every ``verify`` check and show
what the other plugins compute — loops per layer, round trips of cash, commitment coverage,
vendor financing, warrant values — on the terminal and as a file from a registered renderer,
with the flow picture and the exact figures as JSON.

Why a plugin: it uses only what any plugin can reach (the session, the engine, the other
plugins' public functions, the renderer registry), so it doubles as a worked example of
composing plugins, and it degrades when one of them is disabled instead of failing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.resources
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import click

from ledger import hookimpl
from ledger.faces.files import OutputFolder, replace_file
from ledger.histories.loader import load_file
from ledger.histories.recording import replay
from ledger.model.safetext import visible
from ledger.store import describe
from plugins.demo.collect import collect, recorded_in, write_report
from plugins.demo.findings import Findings
from plugins.demo.progress import Progress
from plugins.demo.summary import build

if TYPE_CHECKING:
    from ledger.api import Ledger
    from ledger.plugin.reports import Report

__all__ = ["EXAMPLE", "bundled_example", "ledger_register_commands", "run_demo", "run_report"]

EXAMPLE = "ai-compute-2025-2026.yaml"
DEMO_TITLE = "The AI-compute loop, 2025–2026, replayed"
REPORT_TITLE = "Circular financing, audited"
SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")
MARKER = ".loopledger-demo-store"
"""Written beside a store the demo made, so a later run may replace that store and no other."""


@contextlib.contextmanager
def bundled_example() -> Iterator[Path]:
    """The packaged 2025–2026 deal history as a file path (works from a wheel too)."""
    resource = importlib.resources.files("ledger.examples").joinpath(EXAMPLE)
    with importlib.resources.as_file(resource) as path:
        yield path


def _fresh_sqlite(path: Path) -> None:
    """Remove a previous demo store (and SQLite's side files) so the demo starts clean."""
    for suffix in SQLITE_SIDE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_demo(
    session: Ledger,
    out: Path,
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> tuple[Findings, Report]:
    """Replay the bundled history into the session's store, verify it, and write the report.

    Writes ``report.md``, ``report.html`` (self-contained), ``loop.svg``, ``loop.png`` and the JSON
    files into ``out``.
    """
    progress = progress or Progress(quiet=True)
    plugins = session.plugins
    with bundled_example() as path:
        history = progress.step(
            f"read {EXAMPLE}",
            lambda: load_file(path),
            lambda h: f"{len(h.events)} events, {len(h.parties)} parties",
        )
    done = progress.step(
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
    recorded = attrs.evolve(
        recorded_in(session),
        file=Path(history.file).name,
        new=done.new,
        present=sum(f.present for f in done.files),
    )
    with OutputFolder(out) as folder:
        findings = collect(
            session, folder, recorded, as_of=as_of, progress=progress, title=DEMO_TITLE
        )
        findings = _demo_next_steps(session, findings)
        findings, report, _ = write_report(
            session, folder, findings, ("markdown", "html"), progress=progress
        )
    return findings, report


def _demo_next_steps(session: Ledger, findings: Findings) -> Findings:
    flag = f"--store {describe(session.store_url)}"
    findings = attrs.evolve(
        findings,
        next_steps=(
            *findings.next_steps[:1],
            (
                f"loopledger {flag} audit --as-of 2025-12-31",
                "the loops before the 2026 round (NVIDIA's $100B letter still open)",
            ),
            *findings.next_steps[1:],
            (
                "docs/the-2025-2026-loop.md",
                "how to read each figure; docs/plugins.md to write your own",
            ),
        ),
    )
    return findings


def run_report(
    session: Ledger,
    out: Path,
    *,
    as_of: dt.date | None = None,
    renderer: str = "markdown",
    progress: Progress | None = None,
    file_name: str | None = None,
) -> tuple[Findings, Report, str | None]:
    """The same report on the session's store as it is (nothing is recorded)."""
    progress = progress or Progress(quiet=True)
    recorded = progress.step(
        f"read {describe(session.store_url)}",
        lambda: recorded_in(session),
        lambda r: f"{r.events} events, {r.parties} parties",
    )
    with OutputFolder(out) as folder:
        findings = collect(
            session,
            folder,
            recorded,
            as_of=as_of,
            progress=progress,
            title=REPORT_TITLE,
            report_name=file_name,
        )
        return write_report(
            session, folder, findings, renderer, file_name=file_name, progress=progress
        )


def print_report(session: Ledger, report: Report) -> None:
    """The report on the terminal: its Markdown (the registered ``markdown`` renderer), laid
    out by rich; piped, the Markdown itself (laid out for a pipe's unlimited width, each rule
    and table border would be 100,000 characters long); the plain-text renderer when no
    Markdown one is registered."""
    from rich.markdown import Markdown

    from ledger.faces.output import console, on_terminal

    renderers = {r.name: r for r in session.plugins.renderers()}
    if "markdown" in renderers:
        text = renderers["markdown"].render(report)
        if not on_terminal():
            sys.stdout.write(visible(text, keep_newlines=True))
            return
        console().print(Markdown(text))
    elif "text" in renderers:
        console().print(renderers["text"].render(report), markup=False)


def _finish(session: Ledger, findings: Findings, out: Path, progress: Progress) -> None:
    print_report(session, build(findings, full=False))
    click.echo(
        f"\nDone in {progress.total():.1f} s. Files in {out}/: "
        + ", ".join(n for n, _ in findings.files)
    )
    if not findings.verify.ok:
        click.echo("error: some verify checks failed (see Verification above)", err=True)
        sys.exit(1)


@hookimpl
def ledger_register_commands(cli: click.Group) -> None:
    from ledger.faces.options import as_of_option

    @cli.command("demo")
    @click.option(
        "--store",
        "store_url",
        default=None,
        metavar="PATH|URL",
        help="Record into this store (SQLite file or postgresql:// URL) and keep what is there; "
        "default: a fresh SQLite file OUT/loopledger.db ($LOOPLEDGER_STORE is not used).",
    )
    @click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("loopledger-demo"),
        show_default=True,
        help="Directory for report.md, report.html, loop.svg/png and the JSON figures.",
    )
    @as_of_option
    @click.pass_context
    def demo_command(
        ctx: click.Context, store_url: str | None, out: Path, as_of: dt.date | None
    ) -> None:
        """Replay the bundled, sourced 2025–2026 AI-compute deal history, verify it, report on the loop.

        Prints the loops found per layer, round trips of cash, OpenAI's commitment coverage,
        vendor-financing ratios and the AMD warrant's value now and if every hurdle is met; writes
        the flow picture, a Markdown report and the exact figures as JSON into OUT. Takes a few
        seconds. Exit 1 if a verify check fails.
        """
        from ledger.model.problems import InputError, Problem

        session = ctx.obj
        given = store_url or ctx.find_root().params.get("store_url")
        if given is None:
            path = out / "loopledger.db"
            if path.exists() and not (out / MARKER).exists():
                raise InputError(
                    Problem(
                        field="--out",
                        message=f"{path} already exists and was not made by 'loopledger demo', "
                        f"which starts from a fresh store: record into it with --store {path}, "
                        "or choose another --out",
                    )
                )
            out.mkdir(parents=True, exist_ok=True)
            _fresh_sqlite(path)
            replace_file(
                out / MARKER,
                b"loopledger demo made loopledger.db here and replaces it on every run.\n",
            )
            given = str(path)
        session.close()
        session.store_url = given
        session.may_create = True
        progress = Progress()
        findings, _ = run_demo(session, out, as_of=as_of, progress=progress)
        _finish(session, findings, out, progress)

    @cli.command("report")
    @click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("loopledger-report"),
        show_default=True,
        help="Directory for the report, loop.svg/png and the JSON figures; or the report file "
        "itself when it ends in the format's suffix (report.html), the figures beside it.",
    )
    @click.option(
        "--format",
        "renderer",
        default="markdown",
        show_default=True,
        help="A registered renderer (built in: markdown, text, html — one self-contained file "
        "with the interactive graph; plugins add more).",
    )
    @as_of_option
    @click.pass_obj
    def report_command(session: Ledger, out: Path, renderer: str, as_of: dt.date | None) -> None:
        """Verify the store and report on its loops, round trips, coverage, financing and warrants.

        The same report as 'loopledger demo', on whatever the store holds (nothing is recorded):
        printed on the terminal, written as OUT/report.<suffix> by the --format renderer, with
        the flow picture and the exact figures as JSON. Exit 1 if a verify check fails.
        """
        from ledger.model.problems import InputError, Problem

        known = sorted(r.name for r in session.plugins.renderers())
        if renderer not in known:
            raise InputError(
                Problem(
                    field="--format",
                    message=f"no renderer named '{renderer}' (registered: {', '.join(known) or 'none'})",
                )
            )
        suffix = next(r.suffix for r in session.plugins.renderers() if r.name == renderer)
        file_name = None
        if out.suffix and out.suffix == suffix:
            out, file_name = out.parent, out.name
        progress = Progress()
        findings, _, _ = run_report(
            session, out, as_of=as_of, renderer=renderer, progress=progress, file_name=file_name
        )
        _finish(session, findings, out, progress)
