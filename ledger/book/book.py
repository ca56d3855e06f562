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

import copy
import datetime as dt
import decimal
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ledger.book.rules import HANDLERS, Reject
from ledger.book.state import EXACT, BookState, Entry, Known
from ledger.model.events import (
    Amendment,
    Delivery,
    Event,
    Price,
    Reversal,
    WarrantExercise,
    WarrantVest,
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
            if isinstance(event, Reversal):
                if self.validate:
                    problems = self._check_reversal(event) or self._check_reversal_dates(event)
                    if problems:
                        return (), problems
                self._met_reversal(event)
            else:
                if self.validate:
                    problems = self._trial(event)
                    if problems:
                        return (), problems
                self._met_reversed(event)
            self._remember(event, position, content_hash)
            return (), []
        postings, problems = self._run(event)
        if problems:
            return (), problems
        self._remember(event, position, content_hash)
        return postings, []

    def _run(self, event: Event) -> tuple[tuple[Posting, ...], list[Problem]]:
        """The event's rule on the book: its postings, or why it is refused (the book is then
        as it was, but for what the rule changed before refusing — callers stop there)."""
        handler = HANDLERS[type(event)]
        with decimal.localcontext(EXACT):
            try:
                return handler(self, event), []
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
                # Reachable when folding a store whose records were altered, or when a replay
                # reverses an instrument that stored events still rest on.
                key = missing.args[0] if missing.args else None
                if isinstance(key, str) and key in self.reversed:
                    return (), [
                        Problem(
                            event_id=event.id,
                            message=f"rests on '{key}', which reversal '{self.reversed[key]}' "
                            f"cancels: reverse '{event.id}' too (in the same file or before, "
                            f"dated on or before '{self.reversed[key]}'), or do not reverse "
                            f"'{key}'",
                        )
                    ]
                return (), [
                    Problem(
                        event_id=event.id,
                        message=f"refers to {missing}, which the book does not hold",
                    )
                ]

    def _trial(self, event: Event) -> list[Problem]:
        """Check a reversed event by its rule, leaving the book as it was.

        Why: a fold as of a day between the event and its reversal holds the event alone, so it
        must be an event the book accepts there; a reversal cannot launder one it would refuse.
        """
        rests_on = [target for _, target in references(event)]
        if isinstance(event, WarrantExercise):
            rests_on.append(_vests_of(event.grant))
        if any(key in self.reversed or key in self.reversed_foundations for key in rests_on):
            # Something it rests on is reversed too, so the book holds no state of it to try
            # the event on; the dates of the reversals keep the two together in every fold.
            return []
        saved: list[tuple[dict[str, Any], str, Any]] = []
        tables: tuple[dict[str, Any], ...] = (self.commitments, self.loans, self.grants)
        for _, target in references(event):
            for table in tables:
                if target in table:
                    saved.append((table, target, table[target]))
                    table[target] = copy.deepcopy(table[target])
        created = [table for table in tables if event.id not in table]
        # Only a delivery changes GW delivered: keep the (at most two) groups it counts towards.
        groups = (
            [f"pair:{event.supplier}>{event.customer}", f"commitment:{event.commitment}"]
            if isinstance(event, Delivery)
            else []
        )
        kept = {g: list(self.deliveries[g]) for g in groups if g in self.deliveries}
        party = getattr(event, "party", None) if isinstance(event, Price) else None
        marks = None if party is None else list(self.prices.get(party, ()))
        try:
            _, problems = self._run(event)
        finally:
            for table, key, value in saved:
                table[key] = value
            for table in created:
                table.pop(event.id, None)
            for g in groups:
                if g in kept:
                    self.deliveries[g] = kept[g]
                else:
                    self.deliveries.pop(g, None)
            if party is not None and marks is not None:
                if marks:
                    self.prices[party] = marks
                else:
                    self.prices.pop(party, None)
        reversal = self.reversed.get(event.id)
        return [
            attrs.evolve(
                p,
                message=f"{p.message} (it is reversed by '{reversal}', but a fold as of a day "
                "before that reversal holds it: a reversal does not make a refused event "
                "acceptable)",
            )
            for p in problems
        ]

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
            if (
                target in self.reversed
                and not isinstance(event, Reversal)
                and event.id not in self.reversed  # reversed with it: neither is in the history
            ):
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

    # --- the dates of reversals ----------------------------------------------------------------
    #
    # A fold as of D leaves out the reversals dated after D, so between the date of a reversal
    # and the date of another, the history holds one of two events and not the other. That must
    # never be an event without what it rests on: a draw, repayment, vest, exercise or
    # amendment without its commitment, loan or grant, or an exercise without the vests and
    # amendments of its grant. So the reversal of a *foundation* is dated on or after every
    # reversed event that rests on it (and their reversals); the reversal of a *dependant* on or
    # before the reversal of what it rests on.

    def _met_reversed(self, event: Event) -> None:
        """A reversed event met by the fold: remember what it rests on and what rests on it."""
        rests_on = [target for _, target in references(event)]
        founds = [event.id]
        if isinstance(event, WarrantExercise):
            rests_on.append(_vests_of(event.grant))
        elif isinstance(event, WarrantVest):
            founds.append(_vests_of(event.grant))
        elif isinstance(event, Amendment):
            founds.append(_vests_of(event.of))
        self.depends_on[event.id] = tuple(rests_on)
        self.founds[event.id] = tuple(founds)
        self.reversed_foundations.update(founds)
        for key in rests_on:
            _keep_latest(self.latest_dependant, key, (event.date, event.id, event.id))

    def _met_reversal(self, event: Reversal) -> None:
        for key in self.depends_on.get(event.of, ()):
            _keep_latest(self.latest_dependant, key, (event.date, event.id, event.of))
        for key in self.founds.get(event.of, ()):
            found = self.earliest_foundation_reversal.get(key)
            if found is None or event.date < found[0]:
                self.earliest_foundation_reversal[key] = (event.date, event.id)

    def _check_reversal_dates(self, event: Reversal) -> list[Problem]:
        for key in self.founds.get(event.of, ()):
            latest = self.latest_dependant.get(key)
            if latest is not None and event.date < latest[0]:
                day, other, dependant = latest
                what = (
                    f"'{other}'"
                    if other == dependant
                    else f"'{other}', the reversal of '{dependant}',"
                )
                return [
                    Problem(
                        event_id=event.id,
                        field="date",
                        message=f"is dated {event.date}, before {what} ({day}); '{dependant}' "
                        f"rests on '{event.of}'{_through(key)}, so a fold as of a day between "
                        f"them would hold '{dependant}' without it — date this reversal on or "
                        f"after {day}",
                    )
                ]
        for key in self.depends_on.get(event.of, ()):
            found = self.earliest_foundation_reversal.get(key)
            if found is not None and event.date > found[0]:
                day, other = found
                return [
                    Problem(
                        event_id=event.id,
                        field="date",
                        message=f"is dated {event.date}, after '{other}' ({day}), which reverses "
                        f"what '{event.of}' rests on{_through(key)}: a fold as of a day between "
                        f"them would hold '{event.of}' without it — date this reversal on or "
                        f"before {day}",
                    )
                ]
        return []


def _vests_of(grant: str) -> str:
    """The key of what an exercise of ``grant`` rests on: its grant's vests and amendments."""
    return f"{grant}\x00vests"


def _through(key: str) -> str:
    return (
        " (an exercise rests on its grant's vests and amendments)"
        if key.endswith("\x00vests")
        else ""
    )


def _keep_latest(
    table: dict[str, tuple[dt.date, str, str]], key: str, value: tuple[dt.date, str, str]
) -> None:
    found = table.get(key)
    if found is None or value[0] >= found[0]:
        table[key] = value


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
