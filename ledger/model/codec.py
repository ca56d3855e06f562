"""Events ↔ plain data, and the canonical content hash.

The plain form is the deal-history file format itself (``{"type": "investment", "amount":
"10000000000 USD", ...}``), so anything loopledger prints as JSON can be replayed. Decimals are
text that keeps its scale; dates are ISO text.

The content hash is SHA-256 over canonical JSON (sorted keys, no whitespace) in which every
decimal is written by *value* (``10.00`` and ``10.0`` hash alike): replaying the same deal with
a different number of trailing zeros is the same deal, not a conflict.

Why the functions are generated: a million-event replay encodes, hashes and decodes every event,
and a loop over field metadata per event costs more than everything else together. So for each
event class the codec writes three small functions once — to plain data, from plain data, to
canonical data — from the same field declarations (:mod:`ledger.model.events`) a reader of this
file would follow by hand; ``tests/test_codec.py`` holds them to a plain, metadata-driven
reference implementation on every generated history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

import attrs
import orjson

from ledger.model.amounts import format_decimal
from ledger.model.events import EVENT_TYPES, Condition, Event, Tranche, WarrantTranche, type_fields
from ledger.model.values import UNDISCLOSED, Money, Party, Undisclosed

NESTED_TYPES: dict[str, type] = {
    "Condition": Condition,
    "Tranche": Tranche,
    "WarrantTranche": WarrantTranche,
}

GENESIS: Final = "0" * 64
"""The 'previous link' of the first recorded record."""


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


def normal(d: Decimal) -> str:
    """A decimal by value: ``10.00`` → ``"10"``, ``0.50`` → ``"0.5"`` (what the hash covers)."""
    return format_decimal(d.normalize()) if d else "0"


def _canonical_money(m: Money | Undisclosed) -> str:
    if isinstance(m, Undisclosed):
        return str(m)
    return f"{normal(m.amount)} {m.currency}"


# --- generated per-class functions ------------------------------------------------------------


@attrs.frozen
class ClassCodec:
    """The three functions of one event (or nested) class."""

    plain: Callable[[Any], dict[str, Any]]
    build: Callable[[dict[str, Any]], Any]
    canonical: Callable[[Any], dict[str, Any]]


_CODECS: dict[type, ClassCodec] = {}


def codec_of(cls: type) -> ClassCodec:
    """The generated codec of ``cls`` (made on first use, then cached)."""
    found = _CODECS.get(cls)
    if found is None:
        found = _CODECS[cls] = _generate(cls)
    return found


def _generate(cls: type) -> ClassCodec:
    fields = type_fields(cls)
    env: dict[str, Any] = {
        "cls": cls,
        "new": object.__new__,
        "put": object.__setattr__,
        "fmt": format_decimal,
        "normal": normal,
        "Decimal": Decimal,
        "iso_date": dt.date.fromisoformat,
        "money_of": decode_money,
        "money_text": encode_money,
        "Money": Money,
        "money_canonical": _canonical_money,
        "codec_of": codec_of,
    }
    plain = ["def plain(o):", "    d = {}"]
    canon = ["def canonical(o):", "    d = {}"]
    build = ["def build(d):", "    o = new(cls)"]
    for index, a in enumerate(fields):
        name, kind = a.name, a.metadata["kind"]
        item = a.metadata.get("item")
        if kind == "condition":
            item = Condition
        if item is not None:
            env[f"item{index}"] = item
        to_plain, to_canon, from_plain = {
            "money": (
                "f'{fmt(v.amount)} {v.currency}' if type(v) is Money else money_text(v)",
                "f'{normal(v.amount)} {v.currency}' if type(v) is Money else money_canonical(v)",
                "money_of(v)",
            ),
            "ids": ("list(v)", "list(v)", "tuple(v)"),
            "decimal": ("fmt(v)", "normal(v)", "Decimal(v)"),
            "date": ("v.isoformat()", "v.isoformat()", "iso_date(v)"),
            "condition": (
                f"codec_of(item{index}).plain(v)",
                f"codec_of(item{index}).canonical(v)",
                f"codec_of(item{index}).build(v)",
            ),
            "list": (
                f"[codec_of(item{index}).plain(x) for x in v]",
                f"[codec_of(item{index}).canonical(x) for x in v]",
                f"tuple(codec_of(item{index}).build(x) for x in v)",
            ),
        }.get(kind, ("v", "v", "v"))
        plain += [f"    v = o.{name}", "    if v is not None:", f"        d[{name!r}] = {to_plain}"]
        canon += [f"    v = o.{name}", "    if v is not None:", f"        d[{name!r}] = {to_canon}"]
        if a.default is attrs.NOTHING:
            build += [f"    v = d[{name!r}]", f"    put(o, {name!r}, {from_plain})"]
        else:
            env[f"default{index}"] = a.default
            build += [
                f"    v = d.get({name!r})",
                f"    put(o, {name!r}, default{index} if v is None else {from_plain})",
            ]
    source = "\n".join([*plain, "    return d", *canon, "    return d", *build, "    return o"])
    exec(compile(source, f"<loopledger codec of {cls.__name__}>", "exec"), env)  # noqa: S102 - generated from the field declarations above, no input text
    return ClassCodec(env["plain"], env["build"], env["canonical"])


# --- events -----------------------------------------------------------------------------------


def to_dict(event: Event) -> dict[str, Any]:
    """The file-format dict of an event: ``type`` first, unset optional fields left out."""
    return {"type": event.TYPE, **codec_of(type(event)).plain(event)}


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from :func:`to_dict` output (trusted data: the store's own records)."""
    built: Event = codec_of(EVENT_TYPES[data["type"]]).build(data)
    return built


def party_to_dict(party: Party) -> dict[str, Any]:
    out: dict[str, Any] = {"id": party.id, "name": party.name}
    if party.ticker:
        out["ticker"] = party.ticker
    if party.shares_outstanding is not None:
        out["shares_outstanding"] = format_decimal(party.shares_outstanding)
    if party.allow_overdraft is not None:
        out["allow_overdraft"] = party.allow_overdraft
    return out


def party_from_dict(data: dict[str, Any]) -> Party:
    so = data.get("shares_outstanding")
    return Party(
        id=data["id"],
        name=data["name"],
        ticker=data.get("ticker"),
        shares_outstanding=None if so is None else Decimal(so),
        allow_overdraft=data.get("allow_overdraft"),
    )


def canonical_dict(record: Event | Party) -> dict[str, Any]:
    """The record with every decimal written by value: what the content hash covers."""
    if isinstance(record, Party):
        data = party_to_dict(record)
        if record.shares_outstanding is not None:
            data["shares_outstanding"] = normal(record.shares_outstanding)
        return {"type": "party", **data}
    return {"type": record.TYPE, **codec_of(type(record)).canonical(record)}


def canonical_bytes(record: Event | Party) -> bytes:
    """Canonical JSON of a record: sorted keys, compact, decimals by value."""
    return orjson.dumps(canonical_dict(record), option=orjson.OPT_SORT_KEYS)


def content_hash(record: Event | Party) -> str:
    """SHA-256 (hex) of :func:`canonical_bytes`: the identity of a record's content."""
    return hashlib.sha256(canonical_bytes(record)).hexdigest()


def chain_hash(previous: str, content: str, recorded_at: str | None = None) -> str:
    """The link of the tamper-evident chain: SHA-256 of the previous link and this record.

    Records written by loopledger 0.2 and later also cover the moment they were recorded
    (``recorded_at``), so an edited timestamp breaks the chain; older records were linked over
    the previous link and the content hash only, and are checked that way.
    """
    text = f"{previous}:{content}" if recorded_at is None else f"{previous}:{content}:{recorded_at}"
    return hashlib.sha256(text.encode()).hexdigest()


def differing_fields(a: Event | Party, b: Event | Party) -> list[str]:
    """Names of the fields whose canonical values differ between two records."""
    ca, cb = canonical_dict(a), canonical_dict(b)
    return sorted(k for k in set(ca) | set(cb) if ca.get(k) != cb.get(k))
