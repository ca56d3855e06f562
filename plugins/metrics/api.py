"""What faces and other plugins use of the metrics plugin: every registered metric computed as of
a date or per quarter — the ``metrics`` query. Import from here, not from the modules behind it."""

from __future__ import annotations

import datetime as dt
import inspect
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ledger.api.tables import Column, Table
from ledger.model.problems import InputError, Problem
from ledger.plugin.figures import AMOUNT_PRECISION, RATIO_PRECISION, Figure, quarter_ends
from plugins.metrics.flows import NAME, Flows
from plugins.metrics.thin_sales import RULE as THIN_RULE
from plugins.valuation.api import Settings

# The names defined below are public too; THIN_RULE is listed so that it is re-exported.
__all__ = ["THIN_RULE"]

PRECISION = {"ratios": RATIO_PRECISION, "amounts": AMOUNT_PRECISION}


_TAKES_SETTINGS: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()
"""Metric function → whether it takes settings; weak, so a plugin's functions are not kept."""


def _accepts_settings(compute: Callable[..., Any]) -> bool:
    """Whether a metric takes the valuation settings (inspected once per metric function)."""
    try:
        return _TAKES_SETTINGS[compute]
    except (KeyError, TypeError):
        pass
    try:
        found = "settings" in inspect.signature(compute).parameters
    except (TypeError, ValueError):
        found = False
    try:
        _TAKES_SETTINGS[compute] = found
    except TypeError:  # not weakly referenceable: inspected again next time
        pass
    return found


def _json_item(name: str, item: Any) -> dict[str, Any]:
    """A figure as JSON; a user metric may return plain mappings, kept as given."""
    if isinstance(item, Figure):
        return item.to_json()
    if isinstance(item, Mapping):
        return {"metric": name, **item}
    return {"metric": name, "value": item}


def computed(
    states: Mapping[str, Any],
    as_of: dt.date | None,
    specs: Iterable[Any],
    settings: Settings,
) -> tuple[list[tuple[str, Any]], list[str]]:
    """Every chosen metric computed from ``states`` as ``(metric name, item)`` — items as the
    metric returned them (:class:`Figure` values, exact) — and the metrics skipped because a
    projection they need is missing (its plugin disabled or quarantined)."""
    items: list[tuple[str, Any]] = []
    skipped: list[str] = []
    for spec in specs:
        missing = [r for r in spec.requires if r not in states]
        if missing:
            skipped.append(f"{spec.name} (needs {', '.join(missing)})")
            continue
        extra = {"settings": settings} if _accepts_settings(spec.compute) else {}
        items += [(spec.name, item) for item in spec.compute(states, as_of, **extra)]
    return items, skipped


def figures_as_of(
    states: Mapping[str, Any],
    as_of: dt.date | None,
    specs: Iterable[Any],
    settings: Settings,
) -> tuple[list[dict[str, Any]], list[str]]:
    """:func:`computed` as JSON-ready rows (ratios shown rounded, as ``metrics --json`` prints)."""
    items, skipped = computed(states, as_of, specs, settings)
    return [_json_item(name, item) for name, item in items], skipped


COLUMNS = (
    Column("as_of", "date"),
    Column("metric"),
    Column("subject"),
    Column("value", "decimal"),
    Column("unit"),
    Column("inputs"),
    Column("note"),
)


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


@attrs.frozen
class MetricsAnswer(Table):
    """Figures per date (one date, or every quarter end), the assumptions, what was skipped;
    as a table, one record per figure and date (``value`` a Decimal: ratios as shown, rounded
    half-even to 6 decimals; amounts exact)."""

    by: str | None
    series: list[tuple[dt.date | None, list[dict[str, Any]]]]
    skipped: list[str]
    assumptions: dict[str, Any]

    @property
    def columns(self) -> tuple[Column, ...]:
        return COLUMNS

    def to_records(self) -> list[dict[str, Any]]:
        return [
            {
                "as_of": day,
                "metric": r.get("metric"),
                "subject": r.get("subject"),
                "value": _number(r.get("value")),
                "unit": r.get("unit"),
                "inputs": " ".join(r.get("inputs", [])),
                "note": str(
                    (r.get("detail") or {}).get("reason")
                    or (r.get("detail") or {}).get("note")
                    or ""
                )
                or None,
            }
            for day, rows in self.series
            for r in rows
        ]

    def __len__(self) -> int:
        return sum(len(rows) for _, rows in self.series)

    def to_json(self) -> dict[str, Any]:
        """What ``loopledger metrics --json`` prints."""
        if self.by is None:
            day, rows = self.series[0]
            return {
                "as_of": day,
                "precision": PRECISION,
                "assumptions": self.assumptions,
                "figures": rows,
            }
        return {
            "by": self.by,
            "precision": PRECISION,
            "assumptions": self.assumptions,
            "series": [{"as_of": d, "figures": rows} for d, rows in self.series],
        }


def chosen_specs(plugins: Any, names: Sequence[str]) -> list[Any]:
    """The registered metrics named (all when none is), bad input for an unknown name."""
    specs = plugins.metrics()
    known = {s.name for s in specs}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(
            Problem(
                field="--metric",
                message=f"no metric named '{unknown[0]}' (known: {', '.join(sorted(known))})",
            )
        )
    return [s for s in specs if s.name in names] if names else specs


def needed(specs: Iterable[Any]) -> list[str]:
    """The projections the chosen metrics read (the flows always: they date the series)."""
    return list(dict.fromkeys([NAME, *(r for s in specs for r in s.requires)]))


MAX_QUARTERS = 400
"""Most quarter ends ``--by quarter`` shows (a century): a span beyond is most likely a typo."""


def quarters_between(first: dt.date, last: dt.date) -> int:
    """Calendar quarters from the one holding ``first`` to the one holding ``last``."""
    return (last.year - first.year) * 4 + (last.month - 1) // 3 - (first.month - 1) // 3 + 1


def metrics_answer(
    ledger: Any,
    result: Any,
    *,
    by: str | None = None,
    names: Sequence[str] = (),
    settings: Settings | None = None,
    begin: dt.date | None = None,
) -> MetricsAnswer:
    """The ``metrics`` query: every chosen metric as of the fold's date, or at every quarter end
    from the first recorded flow's quarter to that date (``by="quarter"``; from ``begin`` on when given).

    A series is folded once (:meth:`ledger.engine.Engine.series`): the states at each quarter
    end are the states as of that date, used before the fold moves on.
    """
    settings = settings or Settings.from_config(ledger.plugins.plugin_config("valuation"))
    specs = chosen_specs(ledger.plugins, names)
    wanted = needed(specs)
    if any(n not in result.states for n in wanted) and not result.failures:
        # Asked without a fold of its own (``book.metrics()``, ``query("metrics")``): the
        # projections the chosen metrics read, as of the same date.
        result = ledger.run(result.as_of, names=wanted)
    flows = result.states.get(NAME)
    last = result.as_of or result.max_date
    skipped: list[str] = []
    if by is None:
        rows, skipped = figures_as_of(result.states, last, specs, settings) if last else ([], [])
        return MetricsAnswer(by, [(last, rows)], skipped, settings.describe())
    if by != "quarter":
        raise InputError(Problem(field="--by", message=f"expected 'quarter'; got {by!r}"))
    first = flows.first_date if isinstance(flows, Flows) else None
    if first and last and quarters_between(first, last) > MAX_QUARTERS:
        raise InputError(
            Problem(
                field="--by",
                message=f"the history runs from {first} to {last}, "
                f"{quarters_between(first, last):,} quarters; --by quarter shows at most "
                f"{MAX_QUARTERS} (a date far in the future is likely a typo) — give --as-of",
            )
        )
    days: list[dt.date] = list(quarter_ends(first, last)) if first and last else []
    if begin is not None:
        days = [d for d in days if d >= begin]
    series: list[tuple[dt.date | None, list[dict[str, Any]]]] = []
    wanted = [n for n in needed(specs) if n in result.states]
    for folded in ledger.engine().series(days, wanted):
        day = folded.as_of
        rows, skipped = figures_as_of(folded.states, day, specs, settings)
        series.append((day, rows))
    return MetricsAnswer(by, series, skipped, settings.describe())
