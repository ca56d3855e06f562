"""When a binding commitment's outstanding amount falls due, by calendar year, from its stated term.

Why: "$749B of binding commitments" read beside a year's revenue sounds payable now; most of it
is multi-year contracts (Oracle's $300B over five years from 2027). Where the commitment states
its term (``start``/``end``), what is left is spread evenly by day over what remains of the term
— from the later of its start and the day after the figures' date, to its end — and summed per
calendar year. The even spread is an assumption (the contracts' real schedules are not
disclosed), said in every figure that uses it. A commitment without a stated end goes under
``term not stated``; one whose end has passed while something is still outstanding, under
``past its stated end``.

Exact: each year's part is outstanding × its days ÷ the term's days to 50 significant digits,
and the last year takes the rest, so the parts sum to the outstanding amount exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Context, Decimal, localcontext
from typing import Final

from ledger.plugin.figures import ratio

__all__ = ["ASSUMPTION", "NOT_STATED", "PAST_END", "add_schedules", "schedule"]

ZERO: Final = Decimal(0)
_WIDE: Final = Context(prec=200)  # sums of 50-digit parts stay exact
NOT_STATED: Final = "term not stated"
PAST_END: Final = "past its stated end"
ASSUMPTION: Final = (
    "what is outstanding is spread evenly by day over what remains of the commitment's stated "
    "term (from the later of its start and the day after the figures' date to its end) and "
    "summed per calendar year — an assumption: the contracts' schedules are not disclosed"
)


def schedule(
    outstanding: Decimal, start: dt.date | None, end: dt.date | None, as_of: dt.date
) -> dict[str, Decimal]:
    """``{"2027": amount, …}`` for one commitment (or ``{NOT_STATED: …}`` / ``{PAST_END: …}``)."""
    if not outstanding:
        return {}
    if end is None:
        return {NOT_STATED: outstanding}
    first = max(start or as_of, as_of + dt.timedelta(days=1))
    if end < first:
        return {PAST_END: outstanding}
    days = (end - first).days + 1
    found: dict[str, Decimal] = {}
    given = ZERO
    with localcontext(_WIDE):
        for year in range(first.year, end.year + 1):
            lo, hi = max(first, dt.date(year, 1, 1)), min(end, dt.date(year, 12, 31))
            if year == end.year:
                part = outstanding - given
            else:
                part = ratio(outstanding * ((hi - lo).days + 1), Decimal(days)) or ZERO
            found[str(year)] = part
            given += part
    return found


def add_schedules(schedules: Iterable[Mapping[str, Decimal]]) -> dict[str, Decimal]:
    """The sum of several schedules, years in order, then the unscheduled keys."""
    total: dict[str, Decimal] = {}
    with localcontext(_WIDE):
        for one in schedules:
            for key, amount in one.items():
                total[key] = total.get(key, ZERO) + amount
    years = sorted(k for k in total if k.isdigit())
    return {k: total[k] for k in [*years, *(k for k in (PAST_END, NOT_STATED) if k in total)]}
