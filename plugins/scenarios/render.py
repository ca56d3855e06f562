"""How ``scenario run`` and ``scenario sweep`` print: tables of ``base → scenario (Δ)``, CSV, JSON.

Values are exact until here. Tables round for reading — amounts to $0.01B, multiples to 0.01×,
shares to 0.01 percentage points, all half-even — and say so under the table; CSV and JSON
carry every value exact.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final

from ledger.faces.output import billions, percent, times
from ledger.model.amounts import format_decimal
from plugins.scenarios.diff import Difference
from plugins.scenarios.readings import SECTIONS, TITLES
from plugins.scenarios.run import Outcome, RunReport

CURRENCY: Final = re.compile(r"^[A-Z]{3}$")
ROUNDING_NOTE: Final = (
    "Shown rounded half-even: amounts to 0.01B, multiples to 0.01×, shares to 0.01 percentage "
    "points; --json and -O csv give every value exact."
)
MISSING: Final = "—"


def shown(value: Decimal | None, unit: str, *, signed: bool = False) -> str:
    """A value for a table, rounded half-even as :data:`ROUNDING_NOTE` says."""
    if value is None:
        return "unknown"
    sign = "+" if signed and value > 0 else ""
    if signed and value != 0 and _rounds_to_zero(value, unit):
        smallest = {"ratio": "0.01×", "share": "0.01 pp", "USD": "$0.01B"}.get(unit, "0.01B")
        return f"{'+' if value > 0 else '-'}<{smallest}"
    if CURRENCY.match(unit):
        return sign + billions(value, 2, unit)
    if unit == "ratio":
        return sign + times(value)
    if unit == "share":
        if signed:
            points = (value * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
            return f"{sign}{points} pp"
        return percent(value)
    return sign + format_decimal(value)


def _rounds_to_zero(value: Decimal, unit: str) -> bool:
    step = {"ratio": Decimal("0.01"), "share": Decimal("0.0001")}.get(unit)
    if step is None:
        if not CURRENCY.match(unit):
            return False
        step = Decimal("0.01") * Decimal(10) ** 9
    return abs(value) * 2 < step


def cell(d: Difference | None, *, with_base: bool) -> str:
    """``base → scenario (Δ)``, or ``scenario (Δ)`` when the base has its own column."""
    if d is None:
        return "same"
    unit = d.reading.unit
    after = MISSING if d.scenario is None else shown(d.after, unit)
    delta = d.delta
    tail = f" ({shown(delta, unit, signed=True)})" if delta is not None else ""
    if d.status == "added":
        tail = " (added)" + (f" {shown(delta, unit, signed=True)}" if delta is not None else "")
    if d.status == "removed":
        tail = " (removed)"
    if not with_base:
        return after + tail
    before = MISSING if d.base is None else shown(d.before, unit)
    return f"{before} → {after}{tail}"


def header(o: Outcome, default_store: str, as_of: Any) -> str:
    b, s = o.branched, o.branched.scenario
    parts = [f"+{len(b.added)} added", f"+{len(b.generated)} generated"]
    parts += [f"−{len(b.dropped)} dropped", f"{len(b.replaced)} replaced"]
    if any(c.kind == "settings" for c in s.changes):
        parts.append("valuation settings changed")
    title = f": {s.title}" if s.title else ""
    return (
        f"Scenario '{s.name}' ({s.file}){title}\n"
        f"  base: {s.base.describe(default_store)} — {len(b.base.events)} events; "
        f"changes: {', '.join(parts)}\n"
        f"  {len(o.differences)} figures differ as of {as_of}"
    )


def print_run(report: RunReport) -> None:
    import click

    from ledger.faces.output import console, table

    out = console()
    for o in report.outcomes:
        click.echo(header(o, report.default_store, report.as_of))
    if not any(o.differences for o in report.outcomes):
        click.echo("No figure differs from the base.")
        return
    shared = report.shared_base
    names = [o.branched.scenario.name for o in report.outcomes]
    by_key = [{d.key: d for d in o.differences} for o in report.outcomes]
    days = _period_days(report)
    for section in SECTIONS:
        keys = sorted(
            {d.key for o in report.outcomes for d in o.differences if d.section == section}
        )
        if not keys:
            continue
        rows = []
        for key, label in _grouped(keys, by_key, days):
            if len(report.outcomes) == 1:
                d = by_key[0][key]
                before = MISSING if d.base is None else shown(d.before, d.reading.unit)
                rows.append([label, before, cell(d, with_base=False).split(" (")[0], _delta(d)])
                continue
            row = [label]
            if shared:
                base = report.outcomes[0].base.get(key)
                row.append(MISSING if base is None else shown(base.value, base.unit))
            row += [cell(m.get(key), with_base=not shared) for m in by_key]
            rows.append(row)
        if len(report.outcomes) == 1:
            columns = ["figure", "base", names[0], "Δ"]
        else:
            columns = ["figure", *(["base"] if shared else []), *names]
        out.print(table(TITLES[section], columns, rows, right=columns[1:]))
    click.echo(ROUNDING_NOTE)


def _period_days(report: RunReport) -> list[str]:
    """Every date metrics were read at, on either side of any scenario."""
    found = {
        k.split("/")[1]
        for o in report.outcomes
        for side in (o.base, o.scenario)
        for k in side
        if k.startswith("metric/")
    }
    return sorted(found)


def _grouped(
    keys: Sequence[str], by_key: Sequence[Mapping[str, Difference]], days: Sequence[str]
) -> list[tuple[str, str]]:
    """``(key, label)`` per row; a metric that differs the same way in consecutive periods is
    one row, labelled with its first and last period (``2027-12-31 … 2028-12-31``)."""

    def values(key: str) -> tuple[Any, ...]:
        return tuple((m[key].before, m[key].after) if key in m else None for m in by_key)

    def order(key: str) -> tuple[str, str]:
        if not key.startswith("metric/"):
            return ("", key)
        _, day, rest = key.split("/", 2)
        return (rest, day)

    rows: list[tuple[str, str, str, str]] = []  # key, first day, last day, what
    for key in sorted(keys, key=order):
        label = next(m[key] for m in by_key if key in m).reading.label
        if not key.startswith("metric/"):
            rows.append((key, "", "", label))
            continue
        day = key.split("/", 2)[1]
        what = label.removeprefix(day).strip()
        if rows and rows[-1][3] == what and rows[-1][0].startswith("metric/"):
            last_key, start, end, _ = rows[-1]
            adjacent = (
                end in days and days.index(end) + 1 < len(days) and days[days.index(end) + 1] == day
            )
            if adjacent and values(last_key) == values(key):
                rows[-1] = (last_key, start, day, what)
                continue
        rows.append((key, day, day, what))
    return [
        (
            key,
            what if not start else f"{start} … {end} {what}" if end != start else f"{start} {what}",
        )
        for key, start, end, what in rows
    ]


def _delta(d: Difference) -> str:
    if d.status == "removed":
        return "removed" + (
            f" {shown(d.delta, d.reading.unit, signed=True)}" if d.delta is not None else ""
        )
    text = "" if d.delta is None else shown(d.delta, d.reading.unit, signed=True)
    return ("added " + text).strip() if d.status == "added" else text or "unknown"


CSV_COLUMNS: Final = (
    "scenario",
    "figure",
    "section",
    "label",
    "unit",
    "change",
    "base",
    "scenario_value",
    "delta",
)


def _text(value: Decimal | None) -> str:
    return "" if value is None else format_decimal(value)


def run_csv(report: RunReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for o in report.outcomes:
        for d in o.differences:
            writer.writerow(
                [
                    o.branched.scenario.name,
                    d.key,
                    d.section,
                    d.reading.label,
                    d.reading.unit,
                    d.status,
                    _text(d.before),
                    _text(d.after),
                    _text(d.delta),
                ]
            )
    return buffer.getvalue()


def table_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            ["" if v is None else format_decimal(v) if isinstance(v, Decimal) else v for v in row]
        )
    return buffer.getvalue()
