"""Aggregates the audit keeps instead of one row per event: a flow between two parties, and a
party's share prices by date — bounded by parties and days, not by the length of the history."""

from __future__ import annotations

import bisect
import datetime as dt
from array import array
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

import attrs

from plugins.audit.model import Edge

FLOW_EXAMPLES: Final = 20
"""Event ids kept per flow as examples (with the count of all of them)."""
ZERO: Final = Decimal(0)


@attrs.define
class Flow:
    """What went from one party to another in one layer: amount, events, dates."""

    amount: Decimal = ZERO
    count: int = 0
    ids: list[str] = attrs.Factory(list)
    id_dates: list[dt.date] = attrs.Factory(list)
    days: array[int] = attrs.Factory(lambda: array("i"))

    def add(self, amount: Decimal, event_id: str, date: dt.date) -> None:
        self.amount += amount
        self.note(event_id, date)

    def note(self, event_id: str, date: dt.date) -> None:
        """Count an event (once: an event is noted once per flow) and its date."""
        if self.ids and self.ids[-1] == event_id:
            return
        self.count += 1
        if len(self.ids) < FLOW_EXAMPLES:
            self.ids.append(event_id)
            self.id_dates.append(date)
        day = date.toordinal()
        days = self.days
        if not days or day > days[-1]:
            days.append(day)
        elif day != days[-1]:
            i = bisect.bisect_left(days, day)
            if i == len(days) or days[i] != day:
                days.insert(i, day)

    def edge(self, layer: str, source: str, target: str, amount: Decimal | None = None) -> Edge:
        first, last = dt.date.fromordinal(self.days[0]), dt.date.fromordinal(self.days[-1])
        return Edge(
            layer,
            source,
            target,
            self.amount if amount is None else amount,
            first,
            last,
            tuple(self.ids),
            tuple(self.id_dates),
            tuple(self.days),
            self.count,
        )

    def to_plain(self) -> list[Any]:
        return [self.amount, self.count, self.ids, self.id_dates, list(self.days)]

    @classmethod
    def from_plain(cls, data: Sequence[Any]) -> Flow:
        amount, count, ids, id_dates, days = data
        return cls(amount, count, list(ids), list(id_dates), array("i", days))


@attrs.define
class Marks:
    """A party's per-share prices by date, the one recorded last for a date kept."""

    days: array[int] = attrs.Factory(lambda: array("i"))
    prices: list[Decimal] = attrs.Factory(list)

    def add(self, date: dt.date, price: Decimal) -> None:
        day = date.toordinal()
        i = bisect.bisect_left(self.days, day)
        if i < len(self.days) and self.days[i] == day:
            self.prices[i] = price
        else:
            self.days.insert(i, day)
            self.prices.insert(i, price)

    def last(self, on: dt.date) -> tuple[dt.date, Decimal] | None:
        i = bisect.bisect_right(self.days, on.toordinal())
        return None if not i else (dt.date.fromordinal(self.days[i - 1]), self.prices[i - 1])
