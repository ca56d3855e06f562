"""Gather the loop report's figures from a store: verify, run, audit, value, measure, draw.

Why one place: ``loopledger demo`` (after replaying the bundled history) and ``loopledger
report`` (on any store) show the same report. Everything comes from the other plugins' public
functions and registries, so a plugin disabled with ``LOOPLEDGER_DISABLE_PLUGINS`` drops its
section instead of failing the command.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ledger.faces.files import OutputFolder
from ledger.model.events import Event
from ledger.store import describe
from plugins.demo.findings import Findings, Recorded, confidence_counts
from plugins.demo.progress import Progress
from plugins.demo.sources import sources_json, sources_of, used_events
from plugins.demo.summary import RULES, build

if TYPE_CHECKING:
    from ledger.api import Ledger
    from ledger.engine import Result
    from ledger.plugin.reports import Report

__all__ = ["collect", "recorded_in", "write_report"]

CURRENCY = "USD"


def recorded_in(session: Ledger) -> Recorded:
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


WRITTEN = ".loopledger-outputs"
"""Lists the files a run wrote into its output folder, with their SHA-256, so the next run
removes exactly those (and only while they are unchanged): see ledger.faces.files."""


FIGURES = (
    "audit.json",
    "metrics.json",
    "value.json",
    "verify.json",
    "sources.json",
    "loop.svg",
    "loop.png",
)


def output_names(session: Ledger, report_name: str | None = None) -> list[str]:
    """Every name a run may write: the figures, ``report<suffix>`` of each renderer and the
    report file named by ``report --out FILE``."""
    names = [*FIGURES, *(f"report{r.suffix}" for r in session.plugins.renderers())]
    return names if report_name is None or report_name in names else [*names, report_name]


def _write_json(folder: OutputFolder, name: str, data: Any) -> None:
    from ledger.faces.output import dumps

    folder.write(name, dumps(data) + "\n")


def collect(
    session: Ledger,
    folder: OutputFolder,
    recorded: Recorded,
    *,
    as_of: dt.date | None,
    progress: Progress,
    title: str,
    report_name: str | None = None,
) -> Findings:
    """Verify the store, run every projection, and gather the report's figures.

    Writes ``audit.json``, ``metrics.json``, ``value.json``, ``verify.json``, ``sources.json``
    and the picture
    (``loop.svg``, ``loop.png``) into ``folder``; the caller writes the report itself. Files
    an earlier run wrote (and nobody changed since) are removed first; any other file in the
    way stops the run before anything is written. ``report_name`` is the report's own file
    name when the caller chose one (``report --out FILE``).
    """
    outputs = output_names(session, report_name)
    folder.clear_previous(outputs)
    folder.check_free(outputs)
    out = folder.path
    verified = progress.step(
        "verify (hash chain, refold, fresh process, every invariant)",
        lambda: session.verify(),
        lambda v: f"{sum(c.ok for c in v.checks)} of {len(v.checks)} checks hold",
    )
    result: Result = progress.step(
        "run every projection" + (f" as of {as_of}" if as_of else ""),
        lambda: session.run(as_of),
        lambda r: (
            f"{len(r.states)} projections"
            + (f", {len(r.failures)} quarantined" if r.failures else "")
        ),
    )
    day = as_of or result.max_date
    names = {pid: (p.name or pid) for pid, p in result.parties.items()}
    files: list[tuple[str, str]] = []
    audit_json: dict[str, Any] | None = None
    returned: dict[str, dict[str, Decimal]] = {}
    picture: str | None = None
    if "audit.flows" in result.states:
        report = progress.step(
            "audit loops and trace cash (pro-rata, fifo, lifo)",
            lambda: session.query("audit", result=result, rule="pro-rata", currency=CURRENCY),
            lambda a: f"{len(a.cycles)} loops",
        )
        audit_json = report.to_json()
        for rule in RULES:
            trace = (
                report.trace
                if rule == report.rule
                else session.query("audit.round_trips", result=result, rule=rule)
            )
            returned[rule] = {p.party: p.returned for p in trace.parties}
        _write_json(folder, "audit.json", audit_json)
        files.append(("audit.json", "loops and round trips, exact (`loopledger audit --json`)"))
        progress.step(
            "draw the loop (loop.svg, loop.png)",
            lambda: [
                session.query(
                    "audit.picture",
                    result=result,
                    out=out / name,
                    currency=CURRENCY,
                    write=lambda path, data: folder.write(path.name, data),
                )
                for name in ("loop.svg", "loop.png")
            ][-1],
            lambda drawn: f"{drawn.flows} flows, {drawn.loops} loops highlighted",
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
        if day is None:  # nothing recorded yet: every figure is absent, not skipped
            figures = [] if "metrics.flows" in result.states else None
            if "valuation.positions" in result.states:
                valuation = session.query("value", result=result)
        elif "metrics.flows" in result.states:
            answer = progress.step(
                "compute metrics",
                lambda: session.query("metrics", result=result),
                lambda a: f"{len(a.series[0][1])} figures",
            )
            figures, skipped = answer.series[0][1], answer.skipped
            _write_json(folder, "metrics.json", {"as_of": day, "figures": figures})
            files.append(
                ("metrics.json", "every metric with its inputs (`loopledger metrics --json`)")
            )
        if day is not None and "valuation.positions" in result.states:
            valuation = progress.step(
                "value holdings",
                lambda: session.query("value", result=result),
                lambda v: f"{len(v['holdings'])} holdings",
            )
            _write_json(folder, "value.json", valuation)
            files.append(
                ("value.json", "every holding valued, with basis (`loopledger value --json`)")
            )
    _write_json(folder, "verify.json", verified.to_json())
    files.append(("verify.json", "every check and its result (`loopledger verify --json`)"))
    used = used_events(audit_json, figures, valuation)
    sources = sources_of(session, used)
    _write_json(folder, "sources.json", {"as_of": day, "sources": sources_json(sources)})
    files.append(("sources.json", "the sources of the figures shown, with confidence and events"))
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
        sources=sources,
        source_events=len(used),
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
    session: Ledger,
    folder: OutputFolder,
    findings: Findings,
    renderer: str | Sequence[str] = "markdown",
    *,
    file_name: str | None = None,
    progress: Progress | None = None,
) -> tuple[Findings, Report, str | None]:
    """Render the full report with registered renderers into ``folder/report<suffix>`` each.

    ``renderer`` names one renderer or several (the demo writes Markdown and HTML); a renderer
    that accepts them is given the session (``ledger``), the report's date (``as_of``) and the
    verify report already run (``verified``).
    ``file_name`` replaces ``report<suffix>`` for the first one (``report --out FILE``).
    Returns the findings (with the report files listed first), the report, and the first
    file name (None when no renderer of that name is registered).
    """
    import attrs

    wanted = [renderer] if isinstance(renderer, str) else list(renderer)
    registered = {r.name: r for r in session.plugins.renderers()}
    chosen = [registered[name] for name in wanted if name in registered]
    names = [f"report{r.suffix}" for r in chosen]
    if names and file_name:
        names[0] = file_name
    if names:
        findings = attrs.evolve(
            findings, files=[*((n, "this report") for n in names), *findings.files]
        )
    report = build(findings, full=True)

    def write() -> list[str]:
        for spec, name in zip(chosen, names, strict=True):
            text = spec.render_with(
                report, ledger=session, as_of=findings.as_of, verified=findings.verify
            )
            folder.write(name, text)
        return names

    if progress is None:
        write()
    elif names:
        progress.step("write the report", write, lambda written: ", ".join(written))
    return findings, report, names[0] if names else None
