"""Date ranges as hledger and ledger-cli users write them: ``-b``/``-e`` and ``-p 2025Q4``.

A :class:`Period` is half-open, ``begin <= date < end``, as in hledger: ``-e 2026-01-01`` and
``-p 2025`` both stop at 2025-12-31. A period text is a year (``2025``), a quarter
(``2025Q4``), a month (``2025-10``), a day (``2025-10-06``), or two of these joined by ``..``
(``2025Q1..2025Q3``: from the first's start to the second's end). ``-b``/``-e`` take the start
of what they name (``-e 2026`` = before 2026-01-01). Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs

EXPECTED = "a date (2025-10-06), month (2025-10), quarter (2025Q4) or year (2025)"


class PeriodError(ValueError):
    """The text names no date or period."""


@attrs.frozen
class Period:
    """``begin <= date < end``; either side may be open (None)."""

    begin: dt.date | None = None
    end: dt.date | None = None

    def __attrs_post_init__(self) -> None:
        if self.begin is not None and self.end is not None and self.end <= self.begin:
            raise PeriodError(
                f"the period ends ({self.end}, exclusive) on or before it begins ({self.begin})"
            )

    @property
    def bounded(self) -> bool:
        return self.begin is not None or self.end is not None

    @property
    def last_day(self) -> dt.date | None:
        """The last date inside the period (the day before ``end``)."""
        return None if self.end is None else self.end - dt.timedelta(days=1)

    def contains(self, day: dt.date) -> bool:
        return (self.begin is None or day >= self.begin) and (self.end is None or day < self.end)

    def cut(self, as_of: dt.date | None) -> dt.date | None:
        """The as-of date a fold needs: the earlier of ``as_of`` and the period's last day."""
        last = self.last_day
        if last is None:
            return as_of
        return last if as_of is None else min(as_of, last)

    def describe(self) -> str:
        if self.begin and self.end:
            return f"{self.begin.isoformat()} to {self.last_day}"
        if self.begin:
            return f"from {self.begin.isoformat()}"
        if self.end:
            return f"before {self.end.isoformat()}"
        return "all dates"


def _span(text: str) -> tuple[dt.date, dt.date]:
    """The half-open span one period word names."""
    t = text.strip()
    try:
        if m := re.fullmatch(r"(\d{4})", t):
            y = int(m[1])
            return dt.date(y, 1, 1), dt.date(y + 1, 1, 1)
        if m := re.fullmatch(r"(\d{4})-?[Qq]([1-4])", t):
            y, q = int(m[1]), int(m[2])
            start = dt.date(y, 3 * q - 2, 1)
            return start, (dt.date(y + 1, 1, 1) if q == 4 else dt.date(y, 3 * q + 1, 1))
        if m := re.fullmatch(r"(\d{4})-(\d{2})", t):
            y, mo = int(m[1]), int(m[2])
            start = dt.date(y, mo, 1)
            return start, (dt.date(y + 1, 1, 1) if mo == 12 else dt.date(y, mo + 1, 1))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
            day = dt.date.fromisoformat(t)
            return day, day + dt.timedelta(days=1)
    except ValueError as exc:
        raise PeriodError(f"expected {EXPECTED}; got {text!r}: {exc}") from None
    raise PeriodError(f"expected {EXPECTED}; got {text!r}")


def parse_period(text: str) -> Period:
    """``2025Q4`` → 2025-10-01 ≤ d < 2026-01-01; ``A..B`` from A's start to B's end."""
    if ".." in text:
        first, _, second = text.partition("..")
        begin = _span(first)[0] if first.strip() else None
        end = _span(second)[1] if second.strip() else None
        return Period(begin, end)
    begin, end = _span(text)
    return Period(begin, end)


def period_start(text: str) -> dt.date:
    """The first day of what ``text`` names (for ``-b`` and ``-e``)."""
    return _span(text)[0]


def combine(begin: dt.date | None, end: dt.date | None, period: Period | None) -> Period:
    """``-b``/``-e`` narrowed by ``-p`` (the later begin, the earlier end)."""
    if period is not None:
        if period.begin is not None:
            begin = period.begin if begin is None else max(begin, period.begin)
        if period.end is not None:
            end = period.end if end is None else min(end, period.end)
    return Period(begin, end)
