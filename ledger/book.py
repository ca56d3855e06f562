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

import bisect
import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import attrs
import orjson

from ledger.errors import Problem
from ledger.events import (
    Amendment,
    Commitment,
    Delivery,
    Event,
    Investment,
    Loan,
    OpeningBalance,
    Price,
    Purchase,
    Repayment,
    RevenueReport,
    Reversal,
    WarrantExercise,
    WarrantGrant,
    WarrantVest,
    references,
)
from ledger.postings import Posting, transfer
from ledger.values import CAPACITY_GW, WORLD, Money, Party, cash, committed, shares, units, warrants

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


class _EventBacked:
    """State that refers to its defining event, which checkpoints keep as compact bytes.

    Why: a checkpoint of a 100k-event book holds thousands of commitments; pickling each one's
    attrs event graph costs ~90 µs, while bytes cost next to nothing. The event is decoded again
    only if something reads ``.event`` (most catch-ups touch a handful).
    """

    __slots__ = ()
    _event: Any
    _raw: bytes | None

    @property
    def event(self) -> Any:
        if self._event is None:
            from ledger.codec import from_dict

            self._event = from_dict(orjson.loads(self._raw))  # type: ignore[arg-type]
        return self._event

    def to_raw(self) -> tuple[Any, ...]:
        """Plain values (the event as bytes) in field order: cheap to pickle."""
        from ledger.codec import to_dict

        values = [getattr(self, name) for name in _field_names(type(self))]
        if self._raw is None:
            object.__setattr__(self, "_raw", orjson.dumps(to_dict(self._event)))
        values[0], values[-1] = None, self._raw
        return tuple(values)

    @classmethod
    def from_raw(cls, raw: tuple[Any, ...]) -> Any:
        obj = object.__new__(cls)
        for name, value in zip(_field_names(cls), raw, strict=True):
            object.__setattr__(obj, name, value)
        return obj

    def __getstate__(self) -> tuple[Any, ...]:
        return self.to_raw()

    def __setstate__(self, raw: tuple[Any, ...]) -> None:
        for name, value in zip(_field_names(type(self)), raw, strict=True):
            object.__setattr__(self, name, value)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(a.name for a in attrs.fields(cls))
    return names


class _LazyStates(dict[str, Any]):
    """Instrument states by id, of which some may still be raw tuples from a checkpoint.

    A catch-up after a checkpoint touches a few commitments out of thousands: only those are
    rebuilt into objects; the rest go back into the next checkpoint as the tuples they came as.
    """

    def __init__(self, cls: type[_EventBacked], raw: dict[str, Any]) -> None:
        super().__init__(raw)
        self.cls = cls

    def __getitem__(self, key: str) -> Any:
        value = dict.__getitem__(self, key)
        if type(value) is tuple:
            value = self.cls.from_raw(value)
            dict.__setitem__(self, key, value)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 - self.get would recurse

    def values(self) -> list[Any]:  # type: ignore[override]
        return [self[k] for k in self]

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return [(k, self[k]) for k in self]


def _raw_states(states: dict[str, Any]) -> dict[str, Any]:
    return {k: v if type(v) is tuple else v.to_raw() for k, v in dict.items(states)}


@attrs.define(getstate_setstate=False)
class CommitmentState(_EventBacked):
    """A commitment's running terms: total after amendments, drawn, delivered, status."""

    _event: Commitment | None = attrs.field(alias="event")
    total: Decimal
    drawn: Decimal = ZERO
    overrun: Decimal = ZERO
    tranche_drawn: dict[str, Decimal] = attrs.Factory(dict)
    delivered_gw: Decimal = ZERO
    binding: bool = True
    status: str | None = None
    status_event: str | None = None
    draws: list[str] = attrs.Factory(list)
    _raw: bytes | None = attrs.field(default=None, alias="raw")

    @property
    def outstanding(self) -> Decimal:
        """What is still owed: zero once cancelled or lapsed."""
        if self.status in ("cancelled", "lapsed"):
            return ZERO
        return self.total - self.drawn

    @property
    def closed(self) -> bool:
        return self.status in ("cancelled", "lapsed")


@attrs.define(getstate_setstate=False)
class LoanState(_EventBacked):
    """Principal outstanding on a loan."""

    _event: Loan | None = attrs.field(alias="event")
    outstanding: Decimal
    interest_paid: Decimal = ZERO
    _raw: bytes | None = attrs.field(default=None, alias="raw")


@attrs.define(getstate_setstate=False)
class GrantState(_EventBacked):
    """A warrant grant: shares per tranche after amendments, what vested and was exercised."""

    _event: WarrantGrant | None = attrs.field(alias="event")
    tranche_shares: dict[str, Decimal]
    vested: dict[str, str] = attrs.Factory(dict)  # tranche id -> vest event id
    exercised: Decimal = ZERO
    status: str | None = None
    _raw: bytes | None = attrs.field(default=None, alias="raw")

    @property
    def granted(self) -> Decimal:
        return sum(self.tranche_shares.values(), ZERO)

    @property
    def vested_shares(self) -> Decimal:
        return sum((self.tranche_shares[t] for t in self.vested), ZERO)

    @property
    def closed(self) -> bool:
        return self.status in ("cancelled", "lapsed")


class Known(NamedTuple):
    """What the book remembers of every id: enough to check references and idempotency."""

    type: str
    date: dt.date
    position: int
    content_hash: str


def reversed_targets(events: Iterable[Event]) -> dict[str, str]:
    """``{target id: reversal id}`` for the reversals among ``events`` (the effective-history filter)."""
    targets: dict[str, str] = {}
    for e in events:
        if isinstance(e, Reversal):
            targets.setdefault(e.of, e.id)
    return targets


class Book:
    """Mutable fold state; :meth:`apply` either changes it and returns postings, or returns problems.

    With ``validate=True`` every event is checked against ``known`` (ids, references, dates,
    parties) — used when recording new events, with ``known`` primed from the store's id index.
    The engine folds already-recorded history with ``validate=False``: the same postings, without
    keeping an index of every id in memory (so checkpoints stay small).
    """

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
        handler = _HANDLERS[type(event)]
        with decimal.localcontext(EXACT):
            try:
                postings = handler(self, event)
            except _Reject as rejected:
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

    # --- helpers --------------------------------------------------------------------------------

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
        i = bisect.bisect_right(marks, on, key=_mark_date)
        return marks[i - 1][1] if i else None


def _mark_date(mark: tuple[dt.date, Decimal]) -> dt.date:
    return mark[0]


class _Reject(Exception):
    def __init__(self, *problems: Problem) -> None:
        self.problems = list(problems)


def _reject(field: str | None, message: str) -> _Reject:
    return _Reject(Problem(field=field, message=message))


_PARTY_FIELDS: dict[type, tuple[str, ...]] = {}


def _party_field_names(cls: type[Event]) -> tuple[str, ...]:
    names = _PARTY_FIELDS.get(cls)
    if names is None:
        names = tuple(a.name for a in attrs.fields(cls) if a.metadata.get("kind") == "party")
        _PARTY_FIELDS[cls] = names
    return names


def _ref_targets(cls: type[Event], name: str) -> tuple[str, ...]:
    return tuple(attrs.fields_dict(cls)[name].metadata["targets"])


def _positive(value: Decimal | None, field: str, what: str = "amount") -> None:
    if value is not None and value <= 0:
        raise _reject(field, f"expected a positive {what}; got {value}")


def _distinct(a: str, b: str, fa: str, fb: str) -> None:
    if a == b:
        raise _reject(fb, f"{fa} and {fb} are both '{a}'; a party cannot deal with itself")


# --- one handler per event type -----------------------------------------------------------------


def _opening(book: Book, e: OpeningBalance) -> tuple[Posting, ...]:
    if e.party == WORLD:
        raise _reject("party", f"'{WORLD}' has unbounded cash; it takes no opening balance")
    _positive(e.amount.amount, "amount")
    c, a = cash(e.amount.currency), e.amount.amount
    return (
        *transfer(c, a, (e.party, "assets:cash"), (e.party, "equity:contributed")),
        *transfer(c, a, (WORLD, f"equity:funding:{e.party}"), (WORLD, "assets:cash")),
    )


_INSTRUMENT_ACCOUNTS = {
    "equity": ("assets:investments", "equity:paid-in"),
    "convertible": ("assets:convertibles", "liabilities:convertibles"),
    "debt": ("assets:notes", "liabilities:notes"),
}


def _draw(
    book: Book, e: Investment | Purchase, payer: str, payee: str, kinds: tuple[str, ...]
) -> tuple[Posting, ...]:
    """Draw ``e.amount`` down the commitment it names, up to what is outstanding (rest = overrun)."""
    if e.commitment is None:
        if e.tranche is not None:
            raise _reject(
                "tranche", "a tranche needs the commitment it belongs to ('commitment' field)"
            )
        return ()
    state = book.commitments[e.commitment]
    c = state.event
    if c.kind not in kinds:
        raise _reject(
            "commitment",
            f"'{c.id}' is a {c.kind} commitment; a {e.TYPE} can draw only {' or '.join(kinds)} commitments",
        )
    if (c.payer, c.payee) != (payer, payee):
        raise _reject(
            "commitment",
            f"'{c.id}' is owed by {c.payer} to {c.payee}, but this {e.TYPE} is {payer} → {payee}",
        )
    if state.closed:
        raise _reject("commitment", f"'{c.id}' was {state.status} by '{state.status_event}'")
    if e.amount.currency != c.amount.currency:
        raise _reject(
            "amount",
            f"currency {e.amount.currency} differs from the commitment's {c.amount.currency}",
        )
    room = state.outstanding
    if e.tranche is not None:
        tranche = next((t for t in c.tranches if t.id == e.tranche), None)
        if tranche is None:
            raise _reject(
                "tranche",
                f"commitment '{c.id}' has no tranche '{e.tranche}' (tranches: {', '.join(t.id for t in c.tranches) or 'none'})",
            )
        room = min(room, tranche.amount.amount - state.tranche_drawn.get(e.tranche, ZERO))
    drawn = max(ZERO, min(e.amount.amount, room))
    state.drawn += drawn
    state.overrun += e.amount.amount - drawn
    state.draws.append(e.id)
    if e.tranche is not None:
        state.tranche_drawn[e.tranche] = state.tranche_drawn.get(e.tranche, ZERO) + drawn
    if not drawn:
        return ()
    return transfer(
        committed(c.amount.currency),
        drawn,
        (c.payer, f"liabilities:commitments:{c.payee}"),
        (c.payee, f"assets:commitments:{c.payer}"),
    )


def _investment(book: Book, e: Investment) -> tuple[Posting, ...]:
    _distinct(e.investor, e.investee, "investor", "investee")
    _positive(e.amount.amount, "amount")
    _positive(e.shares, "shares", "number of shares")
    asset, claim = _INSTRUMENT_ACCOUNTS[e.instrument]
    c, a = cash(e.amount.currency), e.amount.amount
    postings: tuple[Posting, ...] = (
        *transfer(c, a, (e.investor, f"{asset}:{e.investee}"), (e.investor, "assets:cash")),
        *transfer(c, a, (e.investee, "assets:cash"), (e.investee, f"{claim}:{e.investor}")),
    )
    if e.shares:
        postings += transfer(
            shares(e.investee),
            e.shares,
            (e.investor, "assets:shares"),
            (e.investee, "equity:shares-issued"),
        )
    return postings + _draw(book, e, e.investor, e.investee, ("investment",))


def _loan(book: Book, e: Loan) -> tuple[Posting, ...]:
    _distinct(e.lender, e.borrower, "lender", "borrower")
    _positive(e.amount.amount, "amount")
    if e.rate is not None and e.rate < 0:
        raise _reject("rate", f"expected a rate ≥ 0; got {e.rate}")
    if e.maturity is not None and e.maturity < e.date:
        raise _reject("maturity", f"maturity {e.maturity} is before the loan date {e.date}")
    book.loans[e.id] = LoanState(e, e.amount.amount)
    c, a = cash(e.amount.currency), e.amount.amount
    return (
        *transfer(c, a, (e.lender, f"assets:loans:{e.borrower}"), (e.lender, "assets:cash")),
        *transfer(c, a, (e.borrower, "assets:cash"), (e.borrower, f"liabilities:loans:{e.lender}")),
    )


def _repayment(book: Book, e: Repayment) -> tuple[Posting, ...]:
    _positive(e.amount.amount, "amount")
    state = book.loans[e.loan]
    loan = state.event
    if e.amount.currency != loan.amount.currency:
        raise _reject(
            "amount", f"currency {e.amount.currency} differs from the loan's {loan.amount.currency}"
        )
    principal = min(e.amount.amount, state.outstanding)
    interest = e.amount.amount - principal
    state.outstanding -= principal
    state.interest_paid += interest
    c, lender, borrower = cash(e.amount.currency), loan.lender, loan.borrower
    postings: tuple[Posting, ...] = ()
    if principal:
        postings += transfer(
            c, principal, (borrower, f"liabilities:loans:{lender}"), (borrower, "assets:cash")
        )
        postings += transfer(
            c, principal, (lender, "assets:cash"), (lender, f"assets:loans:{borrower}")
        )
    if interest:
        postings += transfer(
            c, interest, (borrower, f"expenses:interest:{lender}"), (borrower, "assets:cash")
        )
        postings += transfer(
            c, interest, (lender, "assets:cash"), (lender, f"income:interest:{borrower}")
        )
    return postings


def _commitment(book: Book, e: Commitment) -> tuple[Posting, ...]:
    _distinct(e.payer, e.payee, "payer", "payee")
    _positive(e.amount.amount, "amount")
    _positive(e.capacity_gw, "capacity_gw", "capacity")
    if e.start and e.end and e.end < e.start:
        raise _reject("end", f"end {e.end} is before start {e.start}")
    seen: set[str] = set()
    total = ZERO
    for t in e.tranches:
        if t.id in seen:
            raise _reject("tranches", f"tranche id '{t.id}' appears twice")
        seen.add(t.id)
        if t.amount.currency != e.amount.currency:
            raise _reject(
                "tranches",
                f"tranche '{t.id}' is in {t.amount.currency}, the commitment in {e.amount.currency}",
            )
        _positive(t.amount.amount, "tranches", f"amount for tranche '{t.id}'")
        total += t.amount.amount
    if total > e.amount.amount:
        raise _reject(
            "tranches",
            f"tranche amounts sum to {total}, more than the commitment's {e.amount.amount}",
        )
    book.commitments[e.id] = CommitmentState(e, e.amount.amount, binding=e.binding)
    return transfer(
        committed(e.amount.currency),
        e.amount.amount,
        (e.payee, f"assets:commitments:{e.payer}"),
        (e.payer, f"liabilities:commitments:{e.payee}"),
    )


def _purchase(book: Book, e: Purchase) -> tuple[Posting, ...]:
    _distinct(e.buyer, e.seller, "buyer", "seller")
    _positive(e.amount.amount, "amount")
    _positive(e.quantity, "quantity", "quantity")
    c, a = cash(e.amount.currency), e.amount.amount
    postings = (
        *transfer(c, a, (e.buyer, f"expenses:purchases:{e.seller}"), (e.buyer, "assets:cash")),
        *transfer(c, a, (e.seller, "assets:cash"), (e.seller, f"income:sales:{e.buyer}")),
    )
    return postings + _draw(book, e, e.buyer, e.seller, ("purchase", "compute", "lease"))


def _delivery(book: Book, e: Delivery) -> tuple[Posting, ...]:
    _distinct(e.supplier, e.customer, "supplier", "customer")
    if (e.capacity_gw is None) == (e.quantity is None):
        raise _reject("capacity_gw", "give either capacity_gw, or quantity with unit")
    if e.quantity is not None and not e.unit:
        raise _reject("unit", "a quantity needs its unit (e.g. unit: gpu)")
    _positive(e.capacity_gw, "capacity_gw", "capacity")
    _positive(e.quantity, "quantity", "quantity")
    if e.commitment is not None:
        state = book.commitments[e.commitment]
        if (state.event.payee, state.event.payer) != (e.supplier, e.customer):
            raise _reject(
                "commitment",
                f"'{e.commitment}' is owed by {state.event.payer} to {state.event.payee}; a delivery under it goes {state.event.payee} → {state.event.payer}",
            )
        if e.capacity_gw is not None:
            state.delivered_gw += e.capacity_gw
    if e.capacity_gw is not None:
        key = (e.supplier, e.customer)
        book.delivered_gw[key] = book.delivered_gw.get(key, ZERO) + e.capacity_gw
        commodity, quantity = CAPACITY_GW, e.capacity_gw
    else:
        assert e.quantity is not None and e.unit is not None
        commodity, quantity = units(e.unit), e.quantity
    return transfer(
        commodity,
        quantity,
        (e.customer, f"capacity:received:{e.supplier}"),
        (e.supplier, f"capacity:delivered:{e.customer}"),
    )


def _grant(book: Book, e: WarrantGrant) -> tuple[Posting, ...]:
    _distinct(e.issuer, e.holder, "issuer", "holder")
    _positive(e.shares, "shares", "number of shares")
    if e.strike.amount < 0:
        raise _reject("strike", f"expected a strike ≥ 0; got {e.strike.amount}")
    if e.expiry < e.date:
        raise _reject("expiry", f"expiry {e.expiry} is before the grant date {e.date}")
    if not e.tranches:
        raise _reject(
            "tranches",
            "a grant needs at least one tranche (one tranche of all shares if it vests at once)",
        )
    seen: set[str] = set()
    for t in e.tranches:
        if t.id in seen:
            raise _reject("tranches", f"tranche id '{t.id}' appears twice")
        seen.add(t.id)
        _positive(t.shares, "tranches", f"number of shares for tranche '{t.id}'")
    total = sum((t.shares for t in e.tranches), ZERO)
    if total != e.shares:
        raise _reject("tranches", f"tranche shares sum to {total}, but the grant is for {e.shares}")
    book.grants[e.id] = GrantState(e, {t.id: t.shares for t in e.tranches})
    return transfer(
        warrants(e.issuer),
        e.shares,
        (e.holder, f"assets:warrants:unvested:{e.issuer}"),
        (e.issuer, f"equity:warrants-issued:{e.holder}"),
    )


def _vest(book: Book, e: WarrantVest) -> tuple[Posting, ...]:
    state = book.grants[e.grant]
    if e.tranche not in state.tranche_shares:
        raise _reject(
            "tranche",
            f"grant '{e.grant}' has no tranche '{e.tranche}' (tranches: {', '.join(state.tranche_shares)})",
        )
    if e.tranche in state.vested:
        raise _reject(
            "tranche",
            f"tranche '{e.tranche}' of '{e.grant}' already vested by '{state.vested[e.tranche]}'; more shares would vest than were granted",
        )
    if state.closed:
        raise _reject("grant", f"grant '{e.grant}' was {state.status}")
    state.vested[e.tranche] = e.id
    g, n = state.event, state.tranche_shares[e.tranche]
    return transfer(
        warrants(g.issuer),
        n,
        (g.holder, f"assets:warrants:vested:{g.issuer}"),
        (g.holder, f"assets:warrants:unvested:{g.issuer}"),
    )


def _exercise(book: Book, e: WarrantExercise) -> tuple[Posting, ...]:
    _positive(e.shares, "shares", "number of shares")
    state = book.grants[e.grant]
    g = state.event
    available = state.vested_shares - state.exercised
    if e.shares > available:
        raise _reject(
            "shares",
            f"exercises {e.shares} shares but only {available} are vested and unexercised on '{e.grant}' (vested {state.vested_shares}, exercised {state.exercised})",
        )
    if e.date > g.expiry:
        raise _reject("date", f"grant '{e.grant}' expired on {g.expiry}")
    state.exercised += e.shares
    postings: tuple[Posting, ...] = transfer(
        warrants(g.issuer),
        e.shares,
        (g.issuer, f"equity:warrants-issued:{g.holder}"),
        (g.holder, f"assets:warrants:vested:{g.issuer}"),
    )
    if e.cashless:
        price = book.last_price(g.issuer, e.date)
        if price is None:
            raise _reject(
                "cashless",
                f"a cashless exercise needs a per-share price of '{g.issuer}' dated on or before {e.date}; record one with a 'price' event",
            )
        if price <= g.strike.amount:
            raise _reject(
                "cashless",
                f"the last price of '{g.issuer}' ({price}) is not above the strike ({g.strike.amount}); a cashless exercise would deliver nothing",
            )
        # Net shares = n·(P−K)/P, rounded down to whole shares: the fraction is forfeited, as in practice.
        with decimal.localcontext(decimal.Context(prec=60)):
            delivered = (e.shares * (price - g.strike.amount) / price).to_integral_value(
                rounding=decimal.ROUND_DOWN
            )
    else:
        delivered = e.shares
        paid = e.shares * g.strike.amount
        if paid:
            c = cash(g.strike.currency)
            postings += transfer(
                c, paid, (g.holder, f"assets:investments:{g.issuer}"), (g.holder, "assets:cash")
            )
            postings += transfer(
                c, paid, (g.issuer, "assets:cash"), (g.issuer, f"equity:paid-in:{g.holder}")
            )
    if delivered:
        postings += transfer(
            shares(g.issuer),
            delivered,
            (g.holder, "assets:shares"),
            (g.issuer, "equity:shares-issued"),
        )
    return postings


def _revenue(book: Book, e: RevenueReport) -> tuple[Posting, ...]:
    if e.party == WORLD:
        raise _reject("party", f"'{WORLD}' reports nothing; it is everyone outside the book")
    if e.period_end < e.period_start:
        raise _reject(
            "period_end", f"period_end {e.period_end} is before period_start {e.period_start}"
        )
    return ()


def _price(book: Book, e: Price) -> tuple[Posting, ...]:
    if e.party == WORLD:
        raise _reject("party", f"'{WORLD}' has no price")
    if (e.per_share is None) == (e.valuation is None):
        raise _reject("per_share", "give exactly one of per_share or valuation")
    mark = e.per_share or e.valuation
    assert mark is not None
    _positive(mark.amount, "per_share" if e.per_share else "valuation", "price")
    if e.per_share is not None:
        # Sorted by date only, and inserted after every mark of the same date, so same-date
        # marks stay in recorded order (sorting the (date, price) tuples would order a day's
        # marks by amount, and the highest would pass for the last).
        marks = book.prices.setdefault(e.party, [])
        marks.insert(
            bisect.bisect_right(marks, e.date, key=_mark_date), (e.date, e.per_share.amount)
        )
    return ()


def _amendment(book: Book, e: Amendment) -> tuple[Posting, ...]:
    if e.amount is None and e.status is None and e.shares is None:
        raise _reject("amount", "an amendment needs a new amount (or shares) and/or a status")
    if e.status in ("cancelled", "lapsed") and (e.amount is not None or e.shares is not None):
        raise _reject(
            "status", f"a {e.status} amendment ends the terms; do not also give a new amount"
        )
    if e.of in book.commitments:
        return _amend_commitment(book.commitments[e.of], e)
    return _amend_grant(book.grants[e.of], e)


def _amend_commitment(state: CommitmentState, e: Amendment) -> tuple[Posting, ...]:
    c = state.event
    if e.shares is not None or e.tranche is not None:
        raise _reject(
            "shares" if e.shares is not None else "tranche",
            f"'{c.id}' is a commitment: amend its amount, not shares or a tranche",
        )
    if state.closed:
        raise _reject("of", f"'{c.id}' was already {state.status} by '{state.status_event}'")
    commodity = committed(c.amount.currency)
    postings: tuple[Posting, ...] = ()
    if e.amount is not None:
        if e.amount.currency != c.amount.currency:
            raise _reject(
                "amount",
                f"currency {e.amount.currency} differs from the commitment's {c.amount.currency}",
            )
        _positive(e.amount.amount, "amount")
        if e.amount.amount < state.drawn:
            raise _reject(
                "amount",
                f"new total {e.amount.amount} is below the {state.drawn} already drawn on '{c.id}'",
            )
        delta = e.amount.amount - state.total
        state.total = e.amount.amount
        if delta:
            postings = transfer(
                commodity,
                delta,
                (c.payee, f"assets:commitments:{c.payer}"),
                (c.payer, f"liabilities:commitments:{c.payee}"),
            )
    if e.status is not None:
        if e.status in ("cancelled", "lapsed"):
            left = state.outstanding
            if left:
                postings += transfer(
                    commodity,
                    left,
                    (c.payer, f"liabilities:commitments:{c.payee}"),
                    (c.payee, f"assets:commitments:{c.payer}"),
                )
        if e.status == "definitive":
            state.binding = True
        state.status, state.status_event = e.status, e.id
    return postings


def _amend_grant(state: GrantState, e: Amendment) -> tuple[Posting, ...]:
    g = state.event
    if e.amount is not None:
        raise _reject("amount", f"'{g.id}' is a warrant grant: amend its shares, not an amount")
    if state.closed:
        raise _reject("of", f"'{g.id}' was already {state.status}")
    commodity = warrants(g.issuer)
    postings: tuple[Posting, ...] = ()
    if e.shares is not None:
        _positive(e.shares, "shares", "number of shares")
        tranche = e.tranche
        if tranche is None:
            if len(state.tranche_shares) != 1:
                raise _reject(
                    "tranche",
                    f"'{g.id}' has {len(state.tranche_shares)} tranches; say which one the new share count is for",
                )
            tranche = next(iter(state.tranche_shares))
        if tranche not in state.tranche_shares:
            raise _reject("tranche", f"grant '{g.id}' has no tranche '{tranche}'")
        if tranche in state.vested:
            raise _reject(
                "tranche",
                f"tranche '{tranche}' already vested by '{state.vested[tranche]}'; its shares can no longer change",
            )
        delta = e.shares - state.tranche_shares[tranche]
        state.tranche_shares[tranche] = e.shares
        if delta:
            postings = transfer(
                commodity,
                delta,
                (g.holder, f"assets:warrants:unvested:{g.issuer}"),
                (g.issuer, f"equity:warrants-issued:{g.holder}"),
            )
    elif e.tranche is not None:
        raise _reject("tranche", "a tranche is named only with a new share count")
    if e.status in ("cancelled", "lapsed"):
        unvested = sum((n for t, n in state.tranche_shares.items() if t not in state.vested), ZERO)
        if unvested:
            postings += transfer(
                commodity,
                unvested,
                (g.issuer, f"equity:warrants-issued:{g.holder}"),
                (g.holder, f"assets:warrants:unvested:{g.issuer}"),
            )
    if e.status is not None:
        state.status = e.status
    return postings


def _reversal(book: Book, e: Reversal) -> tuple[Posting, ...]:
    # Reached only for a second reversal of one target, or when the caller did not pre-scan.
    first = book.reversed.get(e.of)
    if first is not None:
        raise _reject("of", f"'{e.of}' is already reversed by '{first}'")
    raise _reject(
        "of",
        f"reversal of '{e.of}' reached the book without its target being marked; fold with reversed_targets(events)",
    )


_HANDLERS: dict[type[Event], Callable[[Book, Any], tuple[Posting, ...]]] = {
    OpeningBalance: _opening,
    Investment: _investment,
    Loan: _loan,
    Repayment: _repayment,
    Commitment: _commitment,
    Purchase: _purchase,
    Delivery: _delivery,
    WarrantGrant: _grant,
    WarrantVest: _vest,
    WarrantExercise: _exercise,
    RevenueReport: _revenue,
    Price: _price,
    Amendment: _amendment,
    Reversal: _reversal,
}


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
