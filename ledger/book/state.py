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

from ledger.book.instruments import CommitmentState, GrantState, LazyStates, LoanState, plain_states
from ledger.model import plain
from ledger.model.codec import party_from_dict, party_to_dict
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
        self.deliveries: dict[str, list[tuple[dt.date, Decimal]]] = {}
        """GW delivered per group (``commitment:<id>``, ``pair:<supplier>><customer>``), one
        ``(day, GW)`` a day in date order: what a vest or gated draw dated D may count (a
        delivery recorded earlier but dated after D had not happened by D)."""
        self.reversed: dict[str, str] = dict(reversed_ids or {})
        # Reversed events met by this fold, for the dates their reversals may carry (see
        # ledger.book.book.Book._check_reversal_dates). Keyed by reversed ids and reversal ids
        # only, so they hold no more than ``reversed`` does; not checkpointed: a reversal of a
        # stored event always folds the stored history again.
        self.depends_on: dict[str, tuple[str, ...]] = {}
        self.founds: dict[str, tuple[str, ...]] = {}
        self.reversed_foundations: set[str] = set()
        self.latest_dependant: dict[str, tuple[dt.date, str, str]] = {}
        self.earliest_foundation_reversal: dict[str, tuple[dt.date, str]] = {}
        self.position = 0
        self.max_date: dt.date | None = None

    STATE_FORMAT = 5
    """Bumped when the checkpointed state changes meaning (3: plain data, no pickle; 4: a
    grant keeps the date of its latest vest or amendment; 5: deliveries by date, which replace
    the undated GW per pair)."""

    def to_plain(self) -> dict[str, Any]:
        """The book as plain data for its checkpoint (ids known to the validator left out)."""
        return {
            "format": self.STATE_FORMAT,
            "parties": [party_to_dict(p) for p in self.parties.values()],
            "commitments": plain_states(self.commitments),
            "loans": plain_states(self.loans),
            "grants": plain_states(self.grants),
            "prices": plain.encode(self.prices),
            "deliveries": plain.encode(self.deliveries),
            "reversed": self.reversed,
            "position": self.position,
            "max_date": plain.encode(self.max_date),
        }

    @classmethod
    def from_plain(cls, data: Any, *, validate: bool = False) -> Any:
        """A book rebuilt from :meth:`to_plain` data; :class:`~ledger.model.plain.PlainError`
        when the data is not such a book (the caller folds again)."""
        if type(data) is not dict or data.get("format") != cls.STATE_FORMAT:
            raise plain.PlainError("not a book checkpoint of this format")
        book = cls(dict(data["reversed"]), validate=validate)
        for p in data["parties"]:
            party = party_from_dict(p)
            book.parties[party.id] = party
        book.commitments = LazyStates(CommitmentState, data["commitments"])
        book.loans = LazyStates(LoanState, data["loans"])
        book.grants = LazyStates(GrantState, data["grants"])
        book.prices = plain.decode(data["prices"])
        book.deliveries = plain.decode(data["deliveries"])
        book.position = int(data["position"])
        book.max_date = plain.decode(data["max_date"])
        return book

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

    def add_delivery(self, group: str, day: dt.date, gw: Decimal) -> None:
        """Count ``gw`` delivered on ``day`` towards ``group`` (see :attr:`deliveries`)."""
        marks = self.deliveries.setdefault(group, [])
        i = bisect.bisect_left(marks, day, key=mark_date)
        if i < len(marks) and marks[i][0] == day:
            marks[i] = (day, marks[i][1] + gw)
        else:
            marks.insert(i, (day, gw))

    def gw_delivered(self, group: str, on: dt.date) -> Decimal:
        """GW delivered towards ``group`` by deliveries dated on or before ``on``."""
        marks = self.deliveries.get(group)
        if not marks:
            return Decimal(0)
        i = bisect.bisect_right(marks, on, key=mark_date)
        return sum((m[1] for m in marks[:i]), Decimal(0))


def mark_date(mark: tuple[dt.date, Decimal]) -> dt.date:
    return mark[0]
