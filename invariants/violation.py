"""What an invariant returns: violations as values, never a bare ``assert``.

Why values: ``loopledger verify`` prints them, property tests assert the list is empty, and a
plugin author's test can show exactly which events and amounts broke the law.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ledger.book import Book, Entry
from ledger.model.values import Party


@attrs.frozen
class Violation:
    """One breach of an invariant: which law, which events, which amounts."""

    invariant: str
    message: str
    event_ids: tuple[str, ...] = ()
    amounts: Mapping[str, Decimal] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "invariant": self.invariant,
            "message": self.message,
            "events": list(self.event_ids),
            "amounts": {k: format(v, "f") for k, v in self.amounts.items()},
        }


@attrs.frozen
class Context:
    """What an invariant may look at: the effective history, the book, every projection state.

    :param entries: the effective history in recorded order (reversed pairs left out).
    :param events: every recorded event in recorded order, reversals included.
    :param book: the core book after the fold.
    :param states: projection states by projection name.
    :param parties: declared parties.
    :param as_of: the cut the context was built for (None = everything).
    :param records: the raw stored records, for store-level laws (round trip, chain).
    """

    entries: Sequence[Entry]
    events: Sequence[Any]
    book: Book
    states: Mapping[str, Any]
    parties: Sequence[Party] = ()
    as_of: dt.date | None = None
    records: Sequence[tuple[int, bytes]] = ()
    """The raw stored records ``(position, bytes)``, when checking a real store."""
