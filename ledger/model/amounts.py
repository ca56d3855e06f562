"""Exact parsing of amounts: integers, decimal strings and scale suffixes, never binary floats.

Why: deal figures arrive as "10B", "4.3B", "0.35B" or "160000000". A binary float would silently
turn 4.3 into 4.29999…; so every amount goes from text straight to :class:`~decimal.Decimal`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

SCALES: dict[str, Decimal] = {
    "K": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "B": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
}
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_SUFFIXED = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([KMBT])$", re.IGNORECASE)
EXPECTED = 'a decimal amount such as 4300000000, "4300000000.00" or "4.3B" (suffixes K, M, B, T)'


class AmountError(ValueError):
    """The text is not an exact decimal amount."""


def parse_decimal(value: object) -> Decimal:
    """Turn an int, Decimal or decimal text (optionally with a K/M/B/T suffix) into a Decimal.

    Suffixed values are normalised to the smallest exact scale ("4.3B" → 4300000000); plain
    decimal strings keep the scale they were written with ("10.00" stays 10.00).
    """
    if isinstance(value, bool):
        raise AmountError(f"expected {EXPECTED}; got a boolean")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountError(f"expected {EXPECTED}; got {value}")
        return value
    if isinstance(value, float):
        raise AmountError(
            f"expected {EXPECTED}; got the binary float {value!r}, which is not exact — quote it"
        )
    if not isinstance(value, str):
        raise AmountError(f"expected {EXPECTED}; got {type(value).__name__}")
    text = value.strip().replace("_", "").replace(",", "")
    if _PLAIN.match(text):
        return Decimal(text)
    match = _SUFFIXED.match(text)
    if match:
        number, suffix = match.groups()
        scaled = Decimal(number) * SCALES[suffix.upper()]
        return _minimal_scale(scaled)
    if re.match(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$", text):
        raise AmountError(
            f"expected {EXPECTED}; got {value!r} in exponent notation, which does not say how "
            "exact it is — write the digits out or use a suffix"
        )
    try:
        Decimal(text)
    except InvalidOperation:
        pass
    raise AmountError(f"expected {EXPECTED}; got {value!r}")


_COMMON = re.compile(r"(\d{1,18})(\.\d{1,10})?([KMBT])?")


def parse_common(value: object) -> Decimal | None:
    """The value of an amount in its common form — digits, a point and up to ten decimals, an
    optional upper-case K/M/B/T — or None for anything else (then :func:`parse_decimal` decides).

    Why: a million-event replay parses several amounts per event; the common forms need no
    stripping, no separators and no error text. Whatever this accepts, :func:`parse_decimal`
    accepts with the same value (``tests/test_amounts.py`` holds them together).
    """
    if type(value) is int:
        return Decimal(value) if -(10**18) < value < 10**18 else None
    if type(value) is not str:
        return None
    match = _COMMON.fullmatch(value)
    if match is None:
        return None
    suffix = match.group(3)
    if suffix is None:
        return Decimal(value)
    return _minimal_scale(Decimal(value[:-1]) * SCALES[suffix])


def _minimal_scale(value: Decimal) -> Decimal:
    """Drop fractional zeros that a suffix multiplication left behind (4.30B → 4300000000)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def format_decimal(value: Decimal) -> str:
    """Plain positional text, never exponent notation (Decimal('1E+10') → '10000000000')."""
    return f"{value:f}"
