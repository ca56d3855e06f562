"""Gather the loop report's figures from a store: verify, run, audit, value, measure, draw.

Why one place: ``loopledger demo`` (after replaying the bundled history) and ``loopledger
report`` (on any store) show the same report. Everything comes from the other plugins' public
functions and registries, so a plugin disabled with ``LOOPLEDGER_DISABLE_PLUGINS`` drops its
section instead of failing the command.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.model.events import Event
from ledger.store import describe
from plugins.demo.progress import Progress
from plugins.demo.summary import RULES, Findings, Recorded, build, confidence_counts

if TYPE_CHECKING:
    from ledger.engine import Result
    from ledger.faces.session import Session
    from ledger.plugin.reports import Report

__all__ = ["collect", "recorded_in", "write_report"]

CURRENCY = "USD"


def recorded_in(session: Session) -> Recorded:
    """What the session's store holds: events, parties, dates, sources and confidence."""
    events = [r.value for r in session.store.read() if isinstance(r.value, Event)]
    parties = {p for e in events for p in _parties(e)}
    dates = [e.date for e in events]
    return Recorded(
        events=len(events),
        parties=len(parties),
        first=min(dates, default=None),
        last=max(dates, default=None),
        confidence=confidence_counts(e.confidence for e in events),
        with_source=sum(1 for e in events if e.source),
        store=describe(session.store_url),
    )


def _parties(event: Event) -> list[str]:
    from ledger.model.events import parties_of

    return [p for p in parties_of(event) if p != "world"]


def _draw(result: Result, out: Path, names: dict[str, str]) -> tuple[int, int]:
    """The ``all`` layer's flows with its loops, as ``loopledger graph`` draws them."""
    from plugins.audit import flows
    from plugins.audit.cycles import find_cycles
    from plugins.audit.flows import DEFAULT_MAX_LENGTH
    from plugins.audit.picture import draw
    from plugins.audit.render import short_name

    edges = flows.layer_edges(result.state(flows.NAME), "all", CURRENCY)
    cycles = find_cycles(edges, max_length=DEFAULT_MAX_LENGTH)
    when = f", as of {result.as_of.isoformat()}" if result.as_of else ""
    draw(
        edges,
        cycles,
        title=f"Circular flows — cash paid + commitments outstanding + stakes ({CURRENCY}{when})",
        out=out,
        names={p: short_name(n) for p, n in names.items()},
    )
    return len(flows.aggregate(edges)), len(cycles)


WRITTEN = ".loopledger-outputs"
"""Lists the files a run wrote into its output folder, so the next run can remove exactly those."""


def _clear_previous(out: Path) -> None:
    """Remove what an earlier run wrote into ``out`` — only the files it listed — so no figure of
    another date or setting survives beside this report (a section skipped now leaves no stale
    file), and nothing else in the folder is touched."""
    listing = out / WRITTEN
    if not listing.exists():
        return
    for name in listing.read_text(encoding="utf-8").split():
        if "/" not in name and name != WRITTEN:
            (out / name).unlink(missing_ok=True)
    listing.unlink()


def _write_json(path: Path, data: Any) -> None:
    from ledger.faces.output import dumps

    path.write_text(dumps(data) + "\n", encoding="utf-8")


def collect(
    session: Session,
    out: Path,
    recorded: Recorded,
    *,
    as_of: dt.date | None,
    progress: Progress,
    title: str,
) -> Findings:
    """Verify the store, run every projection, and gather the report's figures.

    Writes ``audit.json``, ``metrics.json``, ``value.json``, ``verify.json`` and the picture
    (``loop.svg``, ``loop.png``) into ``out``; the caller writes the report itself.
    """
    from ledger.api.verification import verify

    plugins = session.plugins
    out.mkdir(parents=True, exist_ok=True)
    _clear_previous(out)
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
    files: list[tuple[str, str]] = []
    audit_json: dict[str, Any] | None = None
    returned: dict[str, dict[str, Decimal]] = {}
    picture: str | None = None
    if "audit.flows" in result.states:
        from plugins.audit import flows, tracing
        from plugins.audit.api import audit

        report = progress.step(
            "audit loops and trace cash (pro-rata, fifo, lifo)",
            lambda: audit(result, rule="pro-rata", currency=CURRENCY),
            lambda a: f"{len(a.cycles)} loops",
        )
        audit_json = report.to_json()
        moves = flows.moves(result.state(flows.NAME), CURRENCY)
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
    skipped: list[str] = []
    valuation: dict[str, Any] | None = None
    if {"metrics.flows", "valuation.positions"} & set(result.states):
        from plugins.valuation.holdings import Settings
        from plugins.valuation.plugin import assumptions

        settings = Settings.from_config(plugins.plugin_config("valuation"))
        if day is None:  # nothing recorded yet: every figure is absent, not skipped
            figures = [] if "metrics.flows" in result.states else None
            if "valuation.positions" in result.states:
                valuation = {"as_of": None, "assumptions": assumptions(settings), "holdings": []}
        elif "metrics.flows" in result.states:
            from plugins.metrics.commands import figures_as_of

            figures, skipped = progress.step(
                "compute metrics",
                lambda: figures_as_of(result.states, day, plugins.metrics(), settings),
                lambda fs: f"{len(fs[0])} figures",
            )
            _write_json(out / "metrics.json", {"as_of": day, "figures": figures})
            files.append(
                ("metrics.json", "every metric with its inputs (`loopledger metrics --json`)")
            )
        if day is not None and "valuation.positions" in result.states:
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
    store_flag = f"--store {describe(session.store_url)}"
    return Findings(
        as_of=day,
        recorded=recorded,
        verify=verified,
        names=names,
        audit=audit_json,
        returned=returned,
        figures=figures,
        valuation=valuation,
        files=files,
        picture=picture,
        title=title,
        skipped=skipped,
        next_steps=(
            (
                f"loopledger {store_flag} audit --rule fifo",
                "the loops, and round trips under another rule",
            ),
            (f"loopledger {store_flag} metrics --by quarter", "every metric at each quarter end"),
            (f"loopledger {store_flag} value", "every holding, tranche by tranche, with its basis"),
            (f"loopledger {store_flag} events", "every recorded event with its postings"),
        ),
    )


def write_report(
    session: Session, out: Path, findings: Findings, renderer: str = "markdown"
) -> tuple[Findings, Report, str | None]:
    """Render the full report with a registered renderer into ``out/report<suffix>``.

    Returns the findings (with the report file listed first), the report, and the file name
    (None when no renderer of that name is registered).
    """
    import attrs

    chosen = next((r for r in session.plugins.renderers() if r.name == renderer), None)
    name = None if chosen is None else f"report{chosen.suffix}"
    if name is not None:
        findings = attrs.evolve(findings, files=[(name, "this report"), *findings.files])
    report = build(findings, full=True)
    if chosen is not None and name is not None:
        (out / name).write_text(chosen.render(report), encoding="utf-8")
    (out / WRITTEN).write_text("\n".join(n for n, _ in findings.files) + "\n", encoding="utf-8")
    return findings, report, name
