"""The book: the state needed to check each event against history and derive its postings.

Why a fold and not a per-event function: a purchase draws down the commitment it names (only up
to what is outstanding), an amendment changes a total, a vest needs its grant, a cashless
exercise needs the last share price. The book is the one place that knows those rules; it is a
pure in-memory fold over events in recorded order, so replaying the same events always gives the
same postings, and ``as of D`` is simply the fold of the events dated on or before D.

Reversals work on the *effective history*: the caller tells the book up front which events are
reversed (see :func:`reversed_targets`), and the book skips both the reversal and its target, so
the ledger reads exactly as if neither had been recorded — including every later posting that
depended on the target (a later draw on the same commitment, say).

Arithmetic runs in a decimal context whose ``Inexact`` trap is set: if any amount ever had to be
rounded, the fold raises instead of bending a cent.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Sequence
from decimal import Decimal

import attrs

from ledger.book.rules import HANDLERS, Reject
from ledger.book.state import EXACT, BookState, Entry, Known
from ledger.model.events import (
    Event,
    Reversal,
    references,
)
from ledger.model.postings import Posting
from ledger.model.problems import Problem
from ledger.model.values import (
    WORLD,
    Money,
    Party,
)


def reversed_targets(events: Iterable[Event]) -> dict[str, str]:
    """``{target id: reversal id}`` for the reversals among ``events`` (the effective-history filter)."""
    targets: dict[str, str] = {}
    for e in events:
        if isinstance(e, Reversal):
            targets.setdefault(e.of, e.id)
    return targets


class Book(BookState):
    """Mutable fold state; :meth:`apply` either changes it and returns postings, or returns problems.

    With ``validate=True`` every event is checked against ``known`` (ids, references, dates,
    parties) — used when recording new events, with ``known`` primed from the store's id index.
    The engine folds already-recorded history with ``validate=False``: the same postings, without
    keeping an index of every id in memory (so checkpoints stay small).
    """

    # --- parties --------------------------------------------------------------------------------

    def declare(self, party: Party) -> list[Problem]:
        """Add a party, or check it equals the one already declared."""
        if party.id == WORLD:
            return [
                Problem(
                    field="parties",
                    message=f"'{WORLD}' is reserved for everyone outside the modelled set; do not declare it",
                )
            ]
        self.parties.setdefault(party.id, party)
        return []

    # --- events ---------------------------------------------------------------------------------

    def apply(
        self, event: Event, position: int, content_hash: str = ""
    ) -> tuple[tuple[Posting, ...], list[Problem]]:
        """Check ``event`` against the book; on success record it and return its postings.

        A reversed event, and the reversal that cancels it, post nothing and change nothing
        (effective history).
        """
        if self.validate:
            problems = self._check_common(event)
            if problems:
                return (), problems
        if event.id in self.reversed or (
            isinstance(event, Reversal) and self.reversed.get(event.of) == event.id
        ):
            if isinstance(event, Reversal) and self.validate:
                problems = self._check_reversal(event)
                if problems:
                    return (), problems
            self._remember(event, position, content_hash)
            return (), []
        handler = HANDLERS[type(event)]
        with decimal.localcontext(EXACT):
            try:
                postings = handler(self, event)
            except Reject as rejected:
                return (), [p.at(event_id=event.id) for p in rejected.problems]
            except decimal.Inexact:
                return (), [
                    Problem(
                        event_id=event.id,
                        message="an amount would have to be rounded; loopledger never rounds money",
                    )
                ]
            except KeyError as missing:
                # Reachable only when folding a store whose records were altered.
                return (), [
                    Problem(
                        event_id=event.id,
                        message=f"refers to {missing}, which the book does not hold",
                    )
                ]
        self._remember(event, position, content_hash)
        return postings, []

    def _remember(self, event: Event, position: int, content_hash: str) -> None:
        if self.validate:
            self.known[event.id] = Known(event.TYPE, event.date, position, content_hash)
        self.position = position

    def _check_common(self, event: Event) -> list[Problem]:
        problems: list[Problem] = []
        if event.id in self.known:
            problems.append(
                Problem(
                    event_id=event.id,
                    field="id",
                    message="this id is already used by another event in the book",
                )
            )
        for name in _party_field_names(type(event)):
            pid = getattr(event, name)
            if pid is not None and pid != WORLD and pid not in self.parties:
                problems.append(
                    Problem(
                        event_id=event.id,
                        field=name,
                        message=f"unknown party '{pid}': declare it under 'parties' (known: {', '.join(sorted(self.parties)) or 'none'})",
                    )
                )
        for name, target in references(event):
            known = self.known.get(target)
            if known is None:
                problems.append(
                    Problem(
                        event_id=event.id,
                        field=name,
                        message=f"refers to '{target}', which is not an earlier event in the book",
                    )
                )
                continue
            targets = _ref_targets(type(event), name)
            if "*" not in targets and known.type not in targets:
                problems.append(
                    Problem(
                        event_id=event.id,
                        field=name,
                        message=f"refers to '{target}', a {known.type}; expected a {' or '.join(targets)}",
                    )
                )
            if target in self.reversed and not isinstance(event, Reversal):
                problems.append(
                    Problem(
                        event_id=event.id,
                        field=name,
                        message=f"refers to '{target}', which reversal '{self.reversed[target]}' cancels; reverse '{event.id}' too, or do not reverse '{target}'",
                    )
                )
            if known.date > event.date:
                problems.append(
                    Problem(
                        event_id=event.id,
                        field=name,
                        message=f"is dated {event.date} but refers to '{target}' dated {known.date}; an event cannot act on a later one",
                    )
                )
        return problems

    def _check_reversal(self, event: Reversal) -> list[Problem]:
        known = self.known[event.of]
        if known.type == "reversal":
            return [
                Problem(
                    event_id=event.id,
                    field="of",
                    message=f"'{event.of}' is itself a reversal; record the original event again under a new id instead",
                )
            ]
        return []


_PARTY_FIELDS: dict[type, tuple[str, ...]] = {}


def _party_field_names(cls: type[Event]) -> tuple[str, ...]:
    names = _PARTY_FIELDS.get(cls)
    if names is None:
        names = tuple(a.name for a in attrs.fields(cls) if a.metadata.get("kind") == "party")
        _PARTY_FIELDS[cls] = names
    return names


def _ref_targets(cls: type[Event], name: str) -> tuple[str, ...]:
    return tuple(attrs.fields_dict(cls)[name].metadata["targets"])


def fold(
    events: Sequence[Event], parties: Iterable[Party] = (), as_of: dt.date | None = None
) -> tuple[Book, list[Entry], list[Problem]]:
    """Fold ``events`` (recorded order) into a fresh book: the reference semantics of the ledger.

    With ``as_of``, only events dated on or before it take part — including reversals, so a
    reversal dated after ``as_of`` does not yet cancel its target.
    """
    chosen = [(i, e) for i, e in enumerate(events, start=1) if as_of is None or e.date <= as_of]
    book = Book(reversed_targets(e for _, e in chosen))
    problems: list[Problem] = []
    for p in parties:
        problems += book.declare(p)
    entries: list[Entry] = []
    for position, event in chosen:
        postings, found = book.apply(event, position)
        if found:
            problems += [p.at(position=position) for p in found]
            continue
        if event.id in book.reversed or isinstance(event, Reversal):
            continue
        entries.append(Entry(position, event, postings))
    return book, entries, problems


def money_of(book: Book, amount: Decimal, currency: str = "USD") -> Money:
    """Convenience for plugins: a Money in the book's arithmetic."""
    return Money(amount, currency)
