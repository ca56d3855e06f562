"""What the book holds while it folds: parties, instruments, prices, and the arithmetic it uses.

Why a state class apart from :class:`ledger.book.book.Book`: the per-event-type rules
(:mod:`ledger.book.rules`) read and change this state, and the book dispatches to the rules; with
the state here, neither imports the other in a circle.
"""

from __future__ import annotations

import bisect
import datetime as dt
import decimal
from decimal import Decimal
from typing import Any, NamedTuple

from ledger.book.instruments import CommitmentState, GrantState, LoanState, _LazyStates, _raw_states
from ledger.model.events import (
    Event,
)
from ledger.model.postings import Posting
from ledger.model.values import (
    Party,
)

EXACT = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""Decimal context of every fold: 60 digits and a trap on any rounding."""

ZERO = Decimal(0)


class Entry(NamedTuple):
    """An event as projections see it: where it was recorded and what it posted."""

    position: int
    event: Event
    postings: tuple[Posting, ...]


class Known(NamedTuple):
    """What the book remembers of every id: enough to check references and idempotency."""

    type: str
    date: dt.date
    position: int
    content_hash: str


class BookState:
    """The fold's mutable state (see :class:`ledger.book.book.Book` for the operations)."""

    def __init__(
        self, reversed_ids: dict[str, str] | None = None, *, validate: bool = True
    ) -> None:
        self.parties: dict[str, Party] = {}
        self.validate = validate
        self.known: dict[str, Known] = {}
        self.commitments: dict[str, CommitmentState] = {}
        self.loans: dict[str, LoanState] = {}
        self.grants: dict[str, GrantState] = {}
        self.prices: dict[str, list[tuple[dt.date, Decimal]]] = {}
        self.delivered_gw: dict[tuple[str, str], Decimal] = {}
        self.reversed: dict[str, str] = dict(reversed_ids or {})
        self.position = 0
        self.max_date: dt.date | None = None

    STATE_FORMAT = 2
    """Bumped when the pickled state changes meaning (2: same-date prices in recorded order)."""

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in ("commitments", "loans", "grants"):
            state[name] = _raw_states(state[name])
        state["_format"] = self.STATE_FORMAT
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        if state.pop("_format", 1) != self.STATE_FORMAT:
            # An older checkpoint: the store treats an unreadable one as absent and refolds.
            raise ValueError("book state of an older format; rebuild it from the events")
        self.__dict__.update(state)
        self.commitments = _LazyStates(CommitmentState, state["commitments"])
        self.loans = _LazyStates(LoanState, state["loans"])
        self.grants = _LazyStates(GrantState, state["grants"])

    def last_price(self, party: str, on: dt.date) -> Decimal | None:
        """The last per-share price of ``party`` dated on or before ``on``.

        "Last" is the latest date; among prices of that date, the one recorded last (an
        intraday print, then the close: the later record is the later fact).
        """
        marks = self.prices.get(party)
        if not marks:
            return None
        i = bisect.bisect_right(marks, on, key=mark_date)
        return marks[i - 1][1] if i else None


def mark_date(mark: tuple[dt.date, Decimal]) -> dt.date:
    return mark[0]
