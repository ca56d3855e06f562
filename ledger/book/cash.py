"""The cash-cover rule: no party's cash ends a day below zero unless it says why.

Pure (no I/O), so that replay — which refuses a file breaking it, over the store's dated
postings — and ``verify`` — which reports it over the folded history — apply one rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from ledger.model.postings import Posting
from ledger.model.values import WORLD, is_cash

CashKey = tuple[str, str]
"""``(party, currency)``."""


@attrs.frozen
class Overdraft:
    """A party's cash in a currency below zero at the end of ``day`` (the first such day)."""

    party: str
    currency: str
    day: dt.date
    lowest: Decimal
    """The lowest end-of-day balance from ``day`` on."""


def daily_cash_moves(
    moves: Iterable[tuple[dt.date, Iterable[Posting]]],
) -> dict[CashKey, dict[dt.date, Decimal]]:
    """Net cash per modelled party, currency and day, from ``(event date, postings)`` in any
    order: bounded by parties × currencies × days, not by the number of events."""
    daily: dict[CashKey, dict[dt.date, Decimal]] = defaultdict(dict)
    for day, postings in moves:
        for p in postings:
            if p.party == WORLD or p.account != "assets:cash" or not is_cash(p.commodity):
                continue
            days = daily[(p.party, p.commodity)]
            days[day] = days.get(day, Decimal(0)) + p.quantity
    return daily


def overdrafts(daily: Mapping[CashKey, Mapping[dt.date, Decimal]]) -> list[Overdraft]:
    """For every (party P, currency c): min over days d of Σ_{day ≤ d} cash_P,c < 0 → the first
    such d and the minimum. Days, not events: within a day the order of recording is not a
    fact about when money moved ('balances --as-of' answers per day too). The one rule that
    replay (which refuses) and verify (which reports) both apply."""
    found = []
    for (party, currency), days in sorted(daily.items()):
        balance, first, lowest = Decimal(0), None, Decimal(0)
        for day in sorted(days):
            balance += days[day]
            if balance < 0:
                first = first or day
                lowest = min(lowest, balance)
        if first is not None:
            found.append(Overdraft(party, currency, first, lowest))
    return found
