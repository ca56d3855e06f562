"""The report's table of binding commitments by the calendar year they fall due."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ledger.faces.output import billions
from ledger.model.safetext import visible
from ledger.plugin.reports import Table, table
from plugins.demo.findings import Findings

__all__ = ["schedule_table"]


def _name(f: Findings, party: str) -> str:
    return visible(f.names.get(party, party))


def schedule_table(
    f: Findings, binding: Mapping[str, Mapping[str, Any]], subjects: Sequence[str]
) -> Table | None:
    """Binding commitments by the calendar year they fall due: five years from the figures'
    year, then later, past their stated end, and without a stated term."""
    start = f.as_of.year if f.as_of else None
    rows, any_past = [], False
    for s in subjects:
        due = (binding.get(s, {}).get("detail") or {}).get("falls_due") or {}
        if not due:
            continue
        years = {int(k): Decimal(v) for k, v in due.items() if k.isdigit()}
        first = start if start is not None else min(years, default=0)
        cells = [billions(years.get(y)) if years.get(y) else "—" for y in range(first, first + 5)]
        later = sum((v for y, v in years.items() if y >= first + 5), Decimal(0))
        earlier = sum((v for y, v in years.items() if y < first), Decimal(0))
        past = Decimal(due.get("past its stated end", "0")) + earlier
        any_past = any_past or bool(past)
        rows.append(
            (
                _name(f, s),
                *cells,
                billions(later) if later else "—",
                billions(past) if past else "—",
                billions(due.get("term not stated")) if due.get("term not stated") else "—",
            )
        )
    if not rows or start is None:
        return None
    columns = [
        "binding, falls due",
        *(str(y) for y in range(start, start + 5)),
        f"{start + 5} and later",
        "past its stated end",
        "term not stated",
    ]
    if not any_past:
        columns.remove("past its stated end")
        rows = [r[:-2] + r[-1:] for r in rows]
    return table(columns, rows, right=columns[1:])
