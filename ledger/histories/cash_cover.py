"""The cash-cover rule at replay: a file that makes a party pay cash it does not have — by the
events' dates, stored and new together — is refused before anything is committed, unless the
party declares ``allow_overdraft`` (with why). The rule itself is :mod:`ledger.book.cash`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from ledger.book import Book
from ledger.book.cash import daily_cash_moves, overdrafts
from ledger.book.state import ZERO
from ledger.histories.signed_postings import signed_dated_postings
from ledger.model.events import Event
from ledger.model.problems import InputError, Problem
from ledger.model.values import WORLD, is_cash
from ledger.store import describe


class CashCover:
    """The cash-cover rule (:mod:`ledger.book.cash`) a replay must check before it commits:
    for every party without ``allow_overdraft`` that this replay makes pay cash, its cash at
    the end of every day — stored and new events, by their dates — is not below zero.

    Held while reading: the first new payment per party, currency and day (bounded by days,
    not events). Checked once, over the dated postings in pages — or, into an empty store,
    over the day sums gathered while reading (the postings are all new: reading them back
    from the database would cost a second pass over the import)."""

    def __init__(self, *, everything: bool, fresh: bool) -> None:
        self.everything = everything
        """A stored event is reversed: its money leaves every later day, so all are checked."""
        self.fresh = fresh and not everything
        """The store held no record before this replay."""
        self.paid: dict[tuple[str, str], dict[Any, tuple[str, str, int | None]]] = {}
        self.daily: dict[tuple[str, str], dict[dt.date, Decimal]] = {}

    def met(
        self, event: Event, postings: Sequence[Any], file: str, line: int | None, book: Book
    ) -> None:
        for p in postings:
            if p.account != "assets:cash" or p.party == WORLD or not is_cash(p.commodity):
                continue
            if self.fresh:
                days_sum = self.daily.setdefault((p.party, p.commodity), {})
                days_sum[event.date] = days_sum.get(event.date, ZERO) + p.quantity
            if p.quantity >= 0:
                continue
            declared = book.parties.get(p.party)
            if declared is not None and declared.allow_overdraft is not None:
                continue
            days = self.paid.setdefault((p.party, p.commodity), {})
            days.setdefault(event.date, (event.id, file, line))

    def check(self, appender: Any, book: Book) -> None:
        """Raise :class:`InputError` (nothing is committed) when a party is overdrawn."""
        if not self.paid and not self.everything:
            return
        allowed = {pid for pid, p in book.parties.items() if p.allow_overdraft is not None}

        def moves() -> Iterator[tuple[Any, Sequence[Any]]]:
            return signed_dated_postings(appender, dt.date.max, "the cash-cover rule")

        daily = self.daily if self.fresh else daily_cash_moves(moves())
        found = []
        for o in overdrafts(daily):
            key = (o.party, o.currency)
            if o.party in allowed or (key not in self.paid and not self.everything):
                continue
            paid = self.paid.get(key, {})
            before = [d for d in paid if d <= o.day]
            event_id, file, line = (
                paid[max(before)] if before else paid[min(paid)] if paid else (None, None, None)
            )
            found.append(
                Problem(
                    file=file or describe(appender.store.url),
                    line=line,
                    event_id=event_id,
                    field="amount",
                    message=f"{o.party} would pay {o.currency} cash it does not have: by the "
                    f"events' dates its cash goes below zero on {o.day} (lowest {o.lowest}). Record where the money came from (an opening_balance, a "
                    f"loan, an investment), or declare on party '{o.party}' "
                    'allow_overdraft: "<why: the money comes from outside the model>"',
                )
            )
        if found:
            raise InputError(found)
