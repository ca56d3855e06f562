"""Plain data with its exact types, as JSON: what checkpoints are made of.

Why not pickle: a checkpoint is read from a store, and a store may come from someone else;
``pickle.loads`` runs whatever code the bytes name. This encoding can only ever build the types
listed here — ``str``, ``int``, ``bool``, ``None``, ``list``, ``dict``, ``tuple``, ``set``,
``Decimal`` (exact, as its text) and ``date`` — so the worst a crafted checkpoint can do is
fail to decode (and then it is computed again). A binary float is refused on the way in.

JSON has no tuples, dates, decimals or non-text keys, so those are written as a list whose
first item names the type (``["#d", "10.50"]``); a real list that starts with such a name is
written as ``["#l", [...]]`` so that nothing is ambiguous.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

_DECIMAL, _DATE, _TUPLE, _SET, _MAP, _LIST = "#d", "#t", "#u", "#s", "#m", "#l"
_TAGS = frozenset((_DECIMAL, _DATE, _TUPLE, _SET, _MAP, _LIST))


class PlainError(ValueError):
    """A value this encoding does not carry (or bytes that are not such an encoding)."""


def encode(value: Any, *, canonical: bool = False) -> Any:
    """``value`` as JSON-able data (see the module docstring for what may be in it).

    With ``canonical`` the members of sets are sorted, so that equal states encode to the same
    bytes in any process (set order follows string hashing, which differs between processes).
    """
    if canonical:
        return _encode_canonical(value)
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is Decimal:
        return [_DECIMAL, format(value, "f")] if value.is_finite() else _refuse(value)
    if kind is dt.date:
        return [_DATE, value.isoformat()]
    if kind is dict:
        if all(type(k) is str for k in value):
            return {k: encode(v) for k, v in value.items()}
        return [_MAP, [[encode(k), encode(v)] for k, v in value.items()]]
    if kind is list:
        items = [encode(v) for v in value]
        if items and type(items[0]) is str and items[0] in _TAGS:
            return [_LIST, items]
        return items
    if kind is tuple or (isinstance(value, tuple) and hasattr(value, "_fields")):
        return [_TUPLE, [encode(v) for v in value]]
    if kind is set or kind is frozenset:
        return [_SET, [encode(v) for v in value]]
    return _refuse(value)


def _encode_canonical(value: Any) -> Any:
    kind = type(value)
    if kind is set or kind is frozenset:
        members = [_encode_canonical(v) for v in value]
        return [_SET, sorted(members, key=repr)]
    if kind is dict:
        if all(type(k) is str for k in value):
            return {k: _encode_canonical(v) for k, v in value.items()}
        return [_MAP, [[_encode_canonical(k), _encode_canonical(v)] for k, v in value.items()]]
    if kind is list or kind is tuple or (isinstance(value, tuple) and hasattr(value, "_fields")):
        items = [_encode_canonical(v) for v in value]
        if kind is list:
            return (
                [_LIST, items] if items and type(items[0]) is str and items[0] in _TAGS else items
            )
        return [_TUPLE, items]
    return encode(value)


def _refuse(value: Any) -> Any:
    raise PlainError(f"cannot keep a {type(value).__name__} in a checkpoint: {value!r}")


def decode(data: Any) -> Any:
    """The values :func:`encode` wrote (named tuples come back as plain tuples)."""
    kind = type(data)
    if kind is str or kind is int or kind is bool or data is None:
        return data
    if kind is dict:
        return {k: decode(v) for k, v in data.items()}
    if kind is list:
        if data and type(data[0]) is str and data[0] in _TAGS:
            if len(data) != 2:
                raise PlainError(f"malformed {data[0]} value")
            tag, body = data
            if tag == _DECIMAL:
                return _decimal(body)
            if tag == _DATE:
                return dt.date.fromisoformat(body)
            if tag == _TUPLE:
                return tuple(decode(v) for v in body)
            if tag == _SET:
                return {decode(v) for v in body}
            if tag == _MAP:
                return {_key(decode(k)): decode(v) for k, v in body}
            return [decode(v) for v in body]
        return [decode(v) for v in data]
    raise PlainError(f"not plain data: a {kind.__name__}")


def decimal_of(text: Any) -> Decimal:
    """A finite decimal from its text (what a state's own ``decode`` reads its amounts with)."""
    if type(text) is not str:
        raise PlainError("a decimal must be text")
    value = Decimal(text)
    if not value.is_finite():
        raise PlainError(f"not a finite decimal: {text}")
    return value


def date_of(text: Any) -> dt.date:
    """A date from its ISO text."""
    if type(text) is not str:
        raise PlainError("a date must be text")
    return dt.date.fromisoformat(text)


def text_of(value: Any) -> str:
    """``value`` itself, refused unless it is text."""
    if type(value) is not str:
        raise PlainError("expected text")
    return value


_decimal = decimal_of


def _key(value: Any) -> Any:
    if isinstance(value, (list, dict, set)):
        raise PlainError("a mapping key must be hashable")
    return value
