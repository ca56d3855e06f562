"""The running state of each instrument the book tracks: commitments, loans, warrant grants."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import orjson

from ledger.model.events import (
    Commitment,
    Loan,
    WarrantGrant,
)

ZERO = Decimal(0)


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
            from ledger.model.codec import from_dict

            self._event = from_dict(orjson.loads(self._raw))  # type: ignore[arg-type]
        return self._event

    def to_raw(self) -> tuple[Any, ...]:
        """Plain values (the event as bytes) in field order: cheap to pickle."""
        from ledger.model.codec import to_dict

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
