"""Balance assertions: does the ledger show, as of each assertion's date, the balance it states?

Why outside the per-event rules: an assertion dated D speaks of every event dated on or before
D — including events recorded after it with an earlier date — exactly as ``balances --as-of D``
does. So each assertion is checked against the fold of the events dated on or before its date
(one fold per distinct date), and a history recorded later can break an assertion recorded
earlier: replay then refuses it and verify reports it, naming the assertion. A reversed
assertion is not checked.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Sequence
from decimal import Decimal

import attrs

from ledger.book.book import Book, reversed_targets
from ledger.book.state import EXACT, Entry
from ledger.model.amounts import format_decimal
from ledger.model.events import AssertBalance, Event, Reversal
from ledger.model.postings import Posting

Key = tuple[str, str, str]


@attrs.frozen
class FailedAssertion:
    """An assertion the ledger disagrees with: what it states and what the ledger shows."""

    assertion: AssertBalance
    actual: Decimal

    @property
    def difference(self) -> Decimal:
        return self.actual - self.assertion.amount

    def message(self) -> str:
        a = self.assertion
        return (
            f"balance assertion '{a.id}' fails: {a.party} {a.account} {a.commodity} is "
            f"{format_decimal(self.actual)} as of {a.date.isoformat()}, asserted "
            f"{format_decimal(a.amount)} (difference {format_decimal(self.difference)})"
        )


def balances_as_of(
    events: Sequence[Event], day: dt.date, keys: Iterable[Key] | None = None
) -> dict[Key, Decimal]:
    """The balances of ``keys`` (all keys posted to, when None) over the events dated on or
    before ``day`` — the effective history, as ``balances --as-of`` folds it."""
    every = keys is None
    wanted = {k: Decimal(0) for k in keys or ()}
    chosen = [e for e in events if e.date <= day]
    book = Book(reversed_targets(chosen), validate=False)
    with decimal.localcontext(EXACT):
        for position, event in enumerate(chosen, start=1):
            postings, _ = book.apply(event, position)
            for p in postings:
                key = (p.party, p.account, p.commodity)
                if key in wanted:
                    wanted[key] += p.quantity
                elif every:
                    wanted[key] = p.quantity
    return wanted


def failed_assertions(
    events: Sequence[Event], *, since: dt.date | None = None, also: Iterable[str] = ()
) -> list[FailedAssertion]:
    """Every live assertion among ``events`` that does not hold, in recorded order.

    :param since: check only assertions dated on or after this date (those a new event dated
        ``since`` can change) …
    :param also: … and these ids (the new assertions themselves).
    """
    cancelled = reversed_targets(events)
    extra = set(also)
    asserted = [
        e
        for e in events
        if isinstance(e, AssertBalance)
        and e.id not in cancelled
        and (since is None or e.date >= since or e.id in extra)
    ]
    by_day: dict[dt.date, list[AssertBalance]] = {}
    for a in asserted:
        by_day.setdefault(a.date, []).append(a)
    failed: dict[str, FailedAssertion] = {}
    for day, group in sorted(by_day.items()):
        totals = balances_as_of(events, day, [(a.party, a.account, a.commodity) for a in group])
        for a in group:
            actual = totals[(a.party, a.account, a.commodity)]
            if actual != a.amount:
                failed[a.id] = FailedAssertion(a, actual)
    return [failed[a.id] for a in asserted if a.id in failed]


class DatedSums:
    """Running sums of the asserted keys' postings per date, fed in any order of dates — what a
    streaming replay checks its assertions against before it commits.

    Memory is one Decimal per asserted key and distinct date, never one per event: a
    million-event replay with a few assertions stays flat.
    """

    def __init__(self, assertions: Iterable[AssertBalance]) -> None:
        self.assertions = list(assertions)
        self.keys = {(a.party, a.account, a.commodity) for a in self.assertions}
        self.last_day = max((a.date for a in self.assertions), default=None)
        self.sums: dict[Key, dict[dt.date, Decimal]] = {k: {} for k in self.keys}

    def feed(self, day: dt.date, postings: Iterable[Posting]) -> None:
        """The postings of one event dated ``day``."""
        for p in postings:
            key = (p.party, p.account, p.commodity)
            if key in self.keys:
                by_day = self.sums[key]
                by_day[day] = by_day.get(day, Decimal(0)) + p.quantity

    def failed(self) -> list[FailedAssertion]:
        """The assertions the fed postings disagree with, in the order given."""
        out = []
        with decimal.localcontext(EXACT):
            for a in self.assertions:
                by_day = self.sums[(a.party, a.account, a.commodity)]
                actual = sum((q for d, q in by_day.items() if d <= a.date), Decimal(0))
                if actual != a.amount:
                    out.append(FailedAssertion(a, actual))
        return out


def failed_over_entries(events: Iterable[Event], entries: Iterable[Entry]) -> list[FailedAssertion]:
    """:func:`failed_assertions` in bounded memory, for ``verify`` on a large store: the live
    assertions are gathered in one pass over ``events`` (they are few), then checked against
    the postings of ``entries`` (the effective history's, as the fold made them) in one more."""
    assertions: list[AssertBalance] = []
    cancelled: set[str] = set()
    for e in events:
        if isinstance(e, AssertBalance):
            assertions.append(e)
        elif isinstance(e, Reversal):
            cancelled.add(e.of)
    sums = DatedSums(a for a in assertions if a.id not in cancelled)
    if not sums.assertions:
        return []
    for entry in entries:
        if entry.event.id not in cancelled:
            sums.feed(entry.event.date, entry.postings)
    return sums.failed()
