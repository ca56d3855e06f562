"""The sources of the figures a report shows: each address once, with its confidence and events.

Why: a reader who doubts a figure must be able to open what it rests on. The figures name the
event ids they were computed from (loops, the cash flows behind the round trips, coverage,
vendor financing, warrants); each of those events names its source addresses and confidence.
This module gathers them, once per address, in the order the report first uses them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from ledger.model.events import Event
from ledger.plugin.reports import Section, Source, table

if TYPE_CHECKING:
    from ledger.api import Ledger

__all__ = ["SHOWN_METRICS", "section", "sources_json", "sources_of", "used_events"]

SHOWN_METRICS: Final = (
    "commitment_coverage.binding",
    "commitment_coverage.contingent",
    "commitment_coverage.non_binding",
    "vendor_financing",
    "vendor_financing.committed",
)
"""The metrics the report shows (their inputs are the events its coverage and financing
tables rest on)."""
_ORDER: Final = ("stated", "reported", "estimate")


def used_events(
    audit: Mapping[str, Any] | None,
    figures: Sequence[Mapping[str, Any]] | None,
    valuation: Mapping[str, Any] | None,
) -> list[str]:
    """Event ids the report's figures rest on, in the order the report shows them."""
    found: dict[str, None] = {}

    def add(ids: Iterable[str]) -> None:
        for i in ids:
            if not i.startswith(("cash:", "sold:", "sales:")):  # group keys, not ids
                found.setdefault(i, None)

    if audit is not None:
        for cycle in audit.get("cycles", []):
            add(cycle.get("events", []))
        for edge in (audit.get("edges") or {}).get("cash", []):
            add(edge.get("events", []))
        for w in audit.get("warrants", []):
            add([w["grant"]])
    for figure in figures or ():
        if figure.get("metric") in SHOWN_METRICS:
            add(figure.get("inputs") or [])
    for holding in (valuation or {}).get("holdings", []):
        if holding.get("kind") == "warrant":
            add(holding.get("inputs") or [])
    return list(found)


def _addresses(source: str | None) -> list[str]:
    """The addresses in an event's ``source`` (several are separated by ``;``)."""
    return [part.strip() for part in (source or "").split(";") if part.strip()]


def sources_of(session: Ledger, ids: Sequence[str]) -> list[Source]:
    """Each source address of the events ``ids`` once, in the order of first use, with the
    confidence of the events citing it, those events and their fact-table rows."""
    wanted = {i: n for n, i in enumerate(ids)}
    events: dict[str, Event] = {}
    for record in session.store.read():
        event = record.value
        if isinstance(event, Event) and event.id in wanted:
            events[event.id] = event
    by_url: dict[str, dict[str, Any]] = {}
    for event_id in sorted(events, key=wanted.__getitem__):
        event = events[event_id]
        for url in _addresses(event.source):
            entry = by_url.setdefault(url, {"confidence": set(), "events": [], "facts": []})
            entry["confidence"].add(event.confidence)
            entry["events"].append(event.id)
            entry["facts"] += [f for f in event.facts or () if f not in entry["facts"]]
    return [
        Source(
            url,
            ", ".join(c for c in _ORDER if c in e["confidence"])
            or ", ".join(sorted(e["confidence"])),
            tuple(e["events"]),
            tuple(e["facts"]),
        )
        for url, e in by_url.items()
    ]


def _label(url: str, limit: int = 60) -> str:
    """``host/path`` without the scheme, shortened to ``limit`` characters."""
    bare = url.split("://", 1)[-1].rstrip("/")
    return bare if len(bare) <= limit else bare[: limit - 1] + "…"


def _link(source: Source) -> str:
    if not source.is_link:
        return source.url.replace("[", "(").replace("]", ")")
    return f"[{_label(source.url)}]({source.url})"


def section(sources: Sequence[Source], events: int, full: bool = True) -> Section:
    """The report's last section: every source of the figures shown, as links (on the terminal,
    ``full=False``, how many there are and where they are listed)."""
    if not sources:
        return Section(
            "Sources",
            (
                "No recorded event behind the figures shown names a source."
                if events
                else "No figure shown rests on a recorded event.",
            ),
        )
    rows = [
        (
            _link(s),
            s.confidence,
            ", ".join(s.events[:3]) + (f" (+{len(s.events) - 3})" if len(s.events) > 3 else ""),
            ", ".join(s.facts),
        )
        for s in sources
    ]
    counts = {c: sum(1 for s in sources if c in s.confidence) for c in _ORDER}
    said = (
        f"The {len(sources)} source addresses cited by the {events} recorded events the "
        "figures above rest on (the loops, the cash flows behind the round trips, coverage, "
        "vendor financing and the warrants), in the order the report first uses them — "
        + ", ".join(f"{n} {c}" for c, n in counts.items() if n)
        + ". *Confidence*: stated = by a company, a filing or an executive on the record; "
        "reported = by the press; estimate = derived by arithmetic (the working is in the "
        "event's note). `sources.json` lists them with every event."
    )
    if not full:
        return Section("Sources", (said + " The links are in report.md and report.html.",))
    return Section(
        "Sources", (said,), (table(["source", "confidence", "events", "fact rows"], rows),)
    )


def sources_json(sources: Sequence[Source]) -> list[dict[str, Any]]:
    return [
        {
            "url": s.url,
            "link": s.is_link,
            "confidence": s.confidence,
            "events": list(s.events),
            "facts": list(s.facts),
        }
        for s in sources
    ]
