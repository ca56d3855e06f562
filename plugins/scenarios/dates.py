"""Dates a generator steps through: every day, week, month, quarter or year from a start date.

Why month arithmetic of its own: "every quarter from 2026-03-31" must land on 2026-06-30 and
2026-09-30 (month ends stay month ends), and "every month from 2026-01-31" on 2026-02-28, not
on an error or on March 3rd.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from typing import Final

STEPS: Final = ("day", "week", "month", "quarter", "year")
MONTHS: Final = {"month": 1, "quarter": 3, "year": 12}
PER_YEAR: Final = {"month": 12, "quarter": 4, "year": 1}


def _month_end(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months``; a month end stays a month end, other days are clamped."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = _month_end(year, month)
    if day.day == _month_end(day.year, day.month):
        return dt.date(year, month, last)
    return dt.date(year, month, min(day.day, last))


def step(day: dt.date, every: str, count: int = 1) -> dt.date:
    """``day`` moved ``count`` steps of ``every`` (one of :data:`STEPS`)."""
    if every == "day":
        return day + dt.timedelta(days=count)
    if every == "week":
        return day + dt.timedelta(weeks=count)
    return add_months(day, MONTHS[every] * count)


def steps(start: dt.date, every: str, until: dt.date | None = None) -> Iterator[dt.date]:
    """``start``, then one step later, and so on (up to ``until`` when given)."""
    count = 0
    while True:
        day = step(start, every, count)
        if until is not None and day > until:
            return
        yield day
        count += 1
