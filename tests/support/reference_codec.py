"""The codec as it reads in prose: a loop over each class's field declarations.

The generated functions of :mod:`ledger.model.codec` must agree with this reference on every
event (tests/test_codec.py); it is the version of the codec a reader checks by eye.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

from ledger.model.amounts import format_decimal
from ledger.model.events import EVENT_TYPES, Condition, Event, Tranche, WarrantTranche, type_fields
from ledger.model.values import UNDISCLOSED, Money, Party, Undisclosed

Encoder = Callable[[Any], Any]

NESTED_TYPES: dict[str, type] = {
    "Condition": Condition,
    "Tranche": Tranche,
    "WarrantTranche": WarrantTranche,
}


def encode_money(m: Money | Undisclosed) -> str:
    if isinstance(m, Undisclosed):
        return str(m)  # "undisclosed USD": the file format's own spelling
    return f"{format_decimal(m.amount)} {m.currency}"


def decode_money(text: str) -> Money | Undisclosed:
    """Trusted decode of ``"<amount> <CUR>"`` (the store's own text; validated when recorded)."""
    amount, _, currency = text.partition(" ")
    if amount == UNDISCLOSED:
        return Undisclosed(currency or "USD")
    money = object.__new__(Money)
    object.__setattr__(money, "amount", Decimal(amount))
    object.__setattr__(money, "currency", currency or "USD")
    return money


def _encoder(kind: str, item: type | None) -> Encoder:
    if kind == "money":
        return encode_money
    if kind == "decimal":
        return format_decimal
    if kind == "date":
        return dt.date.isoformat
    if kind == "condition":
        return lambda c: _plain(c)
    if kind == "list":
        return lambda values: [_plain(v) for v in values]
    if kind == "ids":
        return list
    return lambda v: v


def _decoder(kind: str, item: type | None) -> Encoder:
    if kind == "money":
        return decode_money
    if kind == "decimal":
        return Decimal
    if kind == "date":
        return dt.date.fromisoformat
    if kind == "condition":
        return lambda d: _build(Condition, d)
    if kind == "list":
        assert item is not None
        return lambda values: tuple(_build(item, v) for v in values)
    if kind == "ids":
        return tuple
    return lambda v: v


_PLAN: dict[type, list[tuple[str, Encoder, Encoder]]] = {}


def _plan(cls: type) -> list[tuple[str, Encoder, Encoder]]:
    plan = _PLAN.get(cls)
    if plan is None:
        plan = [
            (
                a.name,
                _encoder(a.metadata["kind"], a.metadata.get("item")),
                _decoder(a.metadata["kind"], a.metadata.get("item")),
            )
            for a in type_fields(cls)
        ]
        _PLAN[cls] = plan
    return plan


def _plain(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, enc, _ in _plan(type(obj)):
        value = getattr(obj, name)
        if value is not None:
            out[name] = enc(value)
    return out


def _build(cls: type, data: dict[str, Any]) -> Any:
    kwargs = {name: dec(data[name]) for name, _, dec in _plan(cls) if name in data}
    return cls(**kwargs)


def to_dict(event: Event) -> dict[str, Any]:
    """The file-format dict of an event: ``type`` first, unset optional fields left out."""
    return {"type": event.TYPE, **_plain(event)}


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from :func:`to_dict` output (trusted data: the store's own records)."""
    return _build(EVENT_TYPES[data["type"]], data)  # type: ignore[no-any-return]


def _unused_party_to_dict(party: Party) -> dict[str, Any]:
    out: dict[str, Any] = {"id": party.id, "name": party.name}
    if party.ticker:
        out["ticker"] = party.ticker
    if party.shares_outstanding is not None:
        out["shares_outstanding"] = format_decimal(party.shares_outstanding)
    if party.allow_overdraft is not None:
        out["allow_overdraft"] = party.allow_overdraft
    return out


def _unused_party_from_dict(data: dict[str, Any]) -> Party:
    so = data.get("shares_outstanding")
    return Party(
        id=data["id"],
        name=data["name"],
        ticker=data.get("ticker"),
        shares_outstanding=None if so is None else Decimal(so),
        allow_overdraft=data.get("allow_overdraft"),
    )


def _normal(d: Decimal) -> str:
    return format_decimal(d.normalize()) if d else "0"


def _canonical_value(kind: str, value: Any) -> Any:
    if kind == "money":
        if isinstance(value, Undisclosed):
            return str(value)
        return f"{_normal(value.amount)} {value.currency}"
    if kind == "decimal":
        return _normal(value)
    if kind == "date":
        return value.isoformat()
    if kind == "condition":
        return _canonical(value)
    if kind == "list":
        return [_canonical(v) for v in value]
    if kind == "ids":
        return list(value)
    return value


def _canonical(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for a in type_fields(type(obj)):
        value = getattr(obj, a.name)
        if value is not None:
            out[a.name] = _canonical_value(a.metadata["kind"], value)
    return out


def canonical_dict(record: Event | Party) -> dict[str, Any]:
    """The record with every decimal written by value: what the content hash covers."""
    if isinstance(record, Party):
        data = _unused_party_to_dict(record)
        if record.shares_outstanding is not None:
            data["shares_outstanding"] = _normal(record.shares_outstanding)
        return {"type": "party", **data}
    return {"type": record.TYPE, **_canonical(record)}


def canonical_bytes(record: Event | Party) -> bytes:
    return orjson.dumps(canonical_dict(record), option=orjson.OPT_SORT_KEYS)
