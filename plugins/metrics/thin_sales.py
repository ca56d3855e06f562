"""When a ratio over recorded sales rests on too few of them to mean anything.

Why: a supplier with one recorded sale has a customer concentration of 100% and a vendor
financing ratio that is whatever that one booking makes it — a figure that reads as a finding
and is an artefact of what was recorded. The rule, the same for every figure over sales
(vendor financing, customer concentration): a ratio is shown only when it rests on at least
:data:`MIN_SALES` recorded sales and no single day's bookings make more than
:data:`MAX_DAY_SHARE` of the revenue it divides by. Otherwise the figure's value is None, its
``reason`` says which part of the rule failed, and ``computed`` keeps the exact quotient for
whoever wants it anyway.

A day, not a booking: the metrics fold keeps sales per seller and day (a long history has
millions of bookings); a day's bookings bound any one booking of that day from above, so the
rule is exact on what is kept and never lets a single booking through that a per-booking rule
would stop.
"""

from __future__ import annotations

from collections.abc import Container
from decimal import Decimal
from typing import Any, Final

from ledger.model.values import WORLD
from ledger.plugin.figures import ratio
from plugins.metrics.flows import ZERO, DaySales

__all__ = ["MAX_DAY_SHARE", "MIN_SALES", "RULE", "SalesBase", "sales_base", "too_few"]

MIN_SALES: Final = 3
"""Recorded sales a ratio over sales needs at least."""
MAX_DAY_SHARE: Final = Decimal("0.5")
"""The most of the revenue that one day's bookings may make."""
RULE: Final = (
    f"shown only when it rests on at least {MIN_SALES} recorded sales and no single day's "
    f"bookings make more than {MAX_DAY_SHARE * 100:.0f}% of the revenue it divides by"
)


class SalesBase:
    """How many sales a revenue figure rests on, and its biggest day."""

    def __init__(self, count: int, revenue: Decimal, biggest_day: Decimal) -> None:
        self.count = count
        self.revenue = revenue
        self.biggest_day = biggest_day

    def to_json(self) -> dict[str, Any]:
        return {
            "sales": self.count,
            "revenue": self.revenue,
            "biggest_day": self.biggest_day,
            "biggest_day_share": ratio(self.biggest_day, self.revenue),
            "rule": RULE,
        }


def sales_base(days: dict[Any, DaySales] | None, buyers: Container[str] | None = None) -> SalesBase:
    """The sales of one seller (``days``: its :class:`DaySales` by date) to ``buyers`` (None:
    to everyone, the world included) — count, revenue and the biggest day's bookings.

    A day whose listed sales were capped (more than the fold lists) counts all its sales to
    modelled buyers, and a day's sales to the world count as one sale (the fold keeps their sum):
    both err on the side of calling a figure thin, never of showing a thin one."""
    count, revenue, biggest = 0, ZERO, ZERO
    for day in (days or {}).values():
        if buyers is None:
            amount, n = day.modelled + day.outside, day.count + (1 if day.outside else 0)
        elif len(day.sales) < day.count:
            amount, n = day.modelled, day.count
        else:
            chosen = [a for _, _, b, a in day.sales if b in buyers and b != WORLD]
            amount, n = sum(chosen, ZERO), len(chosen)
        count += n
        revenue += amount
        biggest = max(biggest, amount)
    return SalesBase(count, revenue, biggest)


def too_few(base: SalesBase) -> str | None:
    """Why a ratio over these sales means nothing (None: it does)."""
    if base.revenue <= 0:
        return None  # no revenue: the figure's own reason says so
    if base.count < MIN_SALES:
        return f"too few recorded sales to mean anything: {base.count} (the rule: {RULE})"
    share = ratio(base.biggest_day, base.revenue)
    if share is not None and share > MAX_DAY_SHARE:
        return (
            f"rests on one day's bookings: {share * 100:.2f}% of the revenue on a single day "
            f"(the rule: {RULE})"
        )
    return None
