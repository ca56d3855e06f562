"""Every figure a fold answers, flattened into readings keyed by a stable id, so that two folds
(the base and a scenario) are compared key by key.

The figures are the answers of the same questions ``audit``, ``metrics`` and ``value`` answer:

* ``loop/<layer>/<a>,<b>,…`` — each loop of the audit (all layers), its bottleneck;
* ``round_trip/<rule>/<party>/<departed|returned|share>`` and
  ``seller/<rule>/<seller>/<own_money_returned|share>`` — money coming back, under every
  tracing rule (pro-rata, fifo, lifo);
* ``metric/<date>/<metric>/<subject>`` — every registered metric at every quarter end and on
  the report date, exact (as the metric computed it, not as ``--json`` rounds it);
* ``value/<party>/<kind>/<instrument>`` (and ``value_if_met/…`` for warrants) — each holding.

Why flat keys: a diff is then a set comparison, a sweep names its figures with the same ids the
run prints, and a figure that exists on one side only is "added" or "removed" without a special
case per section.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

import attrs

from ledger.plugin.figures import Figure, quarter_ends
from plugins.audit.api import RULES
from plugins.metrics.api import computed
from plugins.valuation.api import Settings

SECTIONS: Final = ("loops", "round_trips", "metrics", "values")
SECTION_OF: Final = {
    "loop": "loops",
    "round_trip": "round_trips",
    "seller": "round_trips",
    "metric": "metrics",
    "value": "values",
    "value_if_met": "values",
}
TITLES: Final = {
    "loops": "Loops (bottleneck: the most that can have gone all the way round)",
    "round_trips": "Money coming back, per party and tracing rule",
    "metrics": "Metrics per period",
    "values": "Values per holding",
}


@attrs.frozen
class Reading:
    """One figure of one fold: its key, what it is, its exact value (None: unknown), its unit."""

    key: str
    label: str
    value: Decimal | None
    unit: str

    @property
    def section(self) -> str:
        return SECTION_OF[self.key.split("/", 1)[0]]


def section_of(key: str) -> str | None:
    return SECTION_OF.get(key.split("/", 1)[0])


def periods(first: dt.date | None, as_of: dt.date) -> list[dt.date]:
    """Quarter ends from the first event's quarter up to (not including) ``as_of``, then ``as_of``."""
    if first is None:
        return [as_of]
    return [q for q in quarter_ends(first, as_of) if q < as_of] + [as_of]


class Readings:
    """Collects readings by key (a repeated key gets ``#2``, ``#3`` so none is lost)."""

    def __init__(self) -> None:
        self.found: dict[str, Reading] = {}

    def add(self, key: str, label: str, value: Decimal | None, unit: str) -> None:
        unique, n = key, 1
        while unique in self.found:
            n += 1
            unique = f"{key}#{n}"
        self.found[unique] = Reading(unique, label, value, unit)


def same_fold(latest: dt.date | None, day: dt.date, as_of: dt.date) -> bool:
    """Whether the fold as of ``day`` is the fold as of ``as_of``: it is when no event is dated
    after ``day`` up to ``as_of`` — ``day`` on or after the last recorded event (``latest``).
    Then its metrics are read from that fold, with their own date, instead of folding again."""
    return latest is not None and latest <= day <= as_of


def read_all(
    book: Any,
    as_of: dt.date,
    settings: Settings,
    *,
    sections: Iterable[str] = SECTIONS,
    metric_days: Sequence[dt.date] | None = None,
    folds: dict[dt.date, Any] | None = None,
) -> dict[str, Reading]:
    """Every reading of ``book`` (an open :class:`ledger.api.Ledger`) as of ``as_of``.

    ``metric_days``: the dates metrics are read at (default: just ``as_of``). ``folds``: engine
    results by date, used where given (a fold known to be the same, from another book) and
    filled with the folds made here.
    """
    chosen = set(sections)
    out = Readings()
    folds = {} if folds is None else folds
    result = book.run(as_of, require=())
    if chosen & {"loops", "round_trips"}:
        _audit(book, result, out, loops="loops" in chosen, trips="round_trips" in chosen)
    if "metrics" in chosen:
        folds.setdefault(as_of, result)
        latest = result.book.max_date
        for day in metric_days or [as_of]:
            if day not in folds and same_fold(latest, day, as_of):
                folds[day] = result
            if day not in folds:
                folds[day] = book.run(day, require=())
            _metrics(book, folds[day], day, settings, out)
    if "values" in chosen:
        _values(book.query("value", result=result, settings=settings), out)
    return out.found


def _audit(book: Any, result: Any, out: Readings, *, loops: bool, trips: bool) -> None:
    report = book.query("audit", result=result, rule="pro-rata")
    if loops:
        for c in report.cycles:
            path = c.path[:-1]
            out.add(
                f"loop/{c.layer}/{','.join(path)}",
                f"{c.layer}: {' → '.join(c.path)}",
                c.bottleneck,
                report.currency,
            )
    if not trips:
        return
    for rule in RULES:
        trace = (
            report.trace
            if rule == report.rule
            else book.query("audit.round_trips", result=result, rule=rule)
        )
        for f in trace.parties:
            for name, value, unit in (
                ("departed", f.departed, report.currency),
                ("returned", f.returned, report.currency),
                ("share", f.share, "share"),
            ):
                out.add(
                    f"round_trip/{rule}/{f.party}/{name}", f"{rule}: {f.party} {name}", value, unit
                )
        for s in trace.sellers:
            for name, value, unit in (
                ("own_money_returned", s.own_money_returned, report.currency),
                ("share", s.share, "share"),
            ):
                label = f"{rule}: {s.seller} revenue that was its own money" + (
                    " (share)" if name == "share" else ""
                )
                out.add(f"seller/{rule}/{s.seller}/{name}", label, value, unit)


def _metrics(book: Any, result: Any, day: dt.date, settings: Settings, out: Readings) -> None:
    items, _ = computed(result.states, day, book.plugins.metrics(), settings)
    for name, item in items:
        if isinstance(item, Figure):
            metric, subject, value, unit = item.metric, item.subject, item.value, item.unit
        elif isinstance(item, Mapping):
            metric = str(item.get("metric", name))
            subject = str(item.get("subject", ""))
            value, unit = _decimal(item.get("value")), str(item.get("unit", ""))
        else:
            metric, subject, value, unit = name, "", _decimal(item), ""
        out.add(
            f"metric/{day.isoformat()}/{metric}/{subject}",
            f"{day.isoformat()} {metric} {subject}".rstrip(),
            value,
            unit,
        )


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _values(report: Mapping[str, Any], out: Readings) -> None:
    for row in report["holdings"]:
        party, kind, instrument = row["party"], row["kind"], row["instrument"]
        label = f"{party}: {kind} {instrument}"
        out.add(f"value/{party}/{kind}/{instrument}", label, row["value"], row["currency"])
        if kind != "warrant":
            continue
        out.add(
            f"value_if_met/{party}/{kind}/{instrument}",
            f"{label} if every delivery condition is met",
            row["value_if_met"],
            row["currency"],
        )
        for t in row.get("tranches", []):
            out.add(
                f"value/{party}/warrant_tranche/{t['instrument']}",
                f"{party}: tranche {t['instrument']}",
                t["value"],
                t["currency"],
            )
