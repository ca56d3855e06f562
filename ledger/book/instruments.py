"""The running state of each instrument the book tracks: commitments, loans, warrant grants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from ledger.model import plain
from ledger.model.events import (
    Commitment,
    Loan,
    WarrantGrant,
)

ZERO = Decimal(0)


class _EventBacked:
    """State that refers to its defining event, kept in checkpoints as the event's plain dict.

    Why: a checkpoint of a million-event book holds thousands of commitments; rebuilding every
    one's attrs event when a checkpoint is loaded costs more than the catch-up it serves. The
    event is rebuilt only if something reads ``.event`` (most catch-ups touch a handful).
    """

    __slots__ = ()
    _event: Any
    _raw: dict[str, Any] | None

    @property
    def event(self) -> Any:
        if self._event is None:
            from ledger.model.codec import from_dict

            self._event = from_dict(self._raw)  # type: ignore[arg-type]
        return self._event

    def to_plain(self) -> list[Any]:
        """The state as plain data: the event's dict first, then every other field."""
        from ledger.model.codec import to_dict

        raw = self._raw if self._raw is not None else to_dict(self._event)
        return [raw, *(plain.encode(getattr(self, n)) for n in _field_names(type(self))[1:-1])]

    @classmethod
    def from_plain(cls, data: list[Any]) -> Any:
        names = _field_names(cls)
        if type(data) is not list or len(data) != len(names) - 1 or type(data[0]) is not dict:
            raise plain.PlainError(f"not a {cls.__name__}")
        obj = object.__new__(cls)
        object.__setattr__(obj, names[0], None)
        object.__setattr__(obj, names[-1], data[0])
        for name, value in zip(names[1:-1], data[1:], strict=True):
            object.__setattr__(obj, name, plain.decode(value))
        return obj


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(a.name for a in attrs.fields(cls))
    return names


class LazyStates(dict[str, Any]):
    """Instrument states by id, of which some may still be plain data from a checkpoint.

    A catch-up after a checkpoint touches a few commitments out of thousands: only those are
    rebuilt into objects; the rest go back into the next checkpoint as the data they came as.
    """

    def __init__(self, cls: type[_EventBacked], raw: dict[str, Any]) -> None:
        super().__init__(raw)
        self.cls = cls

    def __getitem__(self, key: str) -> Any:
        value = dict.__getitem__(self, key)
        if type(value) is list:
            value = self.cls.from_plain(value)
            dict.__setitem__(self, key, value)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 - self.get would recurse

    def values(self) -> list[Any]:  # type: ignore[override]
        return [self[k] for k in self]

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return [(k, self[k]) for k in self]


def plain_states(states: dict[str, Any]) -> dict[str, Any]:
    """Instrument states as plain data (those never rebuilt are passed through as they are)."""
    return {k: v if type(v) is list else v.to_plain() for k, v in dict.items(states)}


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
    _raw: dict[str, Any] | None = attrs.field(default=None, alias="raw")

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
    _raw: dict[str, Any] | None = attrs.field(default=None, alias="raw")


@attrs.define(getstate_setstate=False)
class GrantState(_EventBacked):
    """A warrant grant: shares per tranche after amendments, what vested and was exercised."""

    _event: WarrantGrant | None = attrs.field(alias="event")
    tranche_shares: dict[str, Decimal]
    vested: dict[str, str] = attrs.Factory(dict)  # tranche id -> vest event id
    exercised: Decimal = ZERO
    status: str | None = None
    basis: tuple[dt.date, str] | None = None
    """The latest-dated vest or amendment recorded on the grant, ``(date, event id)``: an
    exercise dated before it would, in a fold ``as of`` a day between them, find fewer shares
    vested than it exercises (see ``ledger.book.rules._exercise``)."""
    _raw: dict[str, Any] | None = attrs.field(default=None, alias="raw")

    @property
    def granted(self) -> Decimal:
        return sum(self.tranche_shares.values(), ZERO)

    @property
    def vested_shares(self) -> Decimal:
        return sum((self.tranche_shares[t] for t in self.vested), ZERO)

    @property
    def closed(self) -> bool:
        return self.status in ("cancelled", "lapsed")
