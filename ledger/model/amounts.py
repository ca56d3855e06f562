"""Exact parsing of amounts: integers, decimal strings and scale suffixes, never binary floats.

Why: deal figures arrive as "10B", "4.3B", "0.35B" or "160000000". A binary float would silently
turn 4.3 into 4.29999…; so every amount goes from text straight to :class:`~decimal.Decimal`.

Why so strict about the text: a figure that can be read two ways will be, by someone. "1,5B"
is 1.5 billion to a European reader and 15 billion to a program that drops commas; YAML 1.1
reads an unquoted ``017`` as octal 15 and ``1:30`` as 90 (the readers keep such scalars as
text, but the file is read by other tools too). So a comma (or ``_``) is accepted
only as a thousands separator in correct groups of three, only the ASCII digits 0-9 are digits,
YAML's octal, hexadecimal, binary and sexagesimal integers are refused, and digits and decimal
places are bounded (:mod:`ledger.model.limits`). Each refusal says why and what to write.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from ledger.model.limits import (
    MAX_DECIMAL_PLACES,
    MAX_INTEGER_DIGITS,
    MAX_NUMBER_TEXT,
    shorten,
)

SCALES: dict[str, Decimal] = {
    "K": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "B": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
}
EXPECTED = 'a decimal amount such as 4300000000, "4300000000.00" or "4.3B" (suffixes K, M, B, T)'

# sign, integer part (digits, optionally grouped by one separator), fraction, suffix
_SHAPE = re.compile(
    r"(?P<sign>[+-]?)(?P<whole>[0-9][0-9,_]*)?(?:\.(?P<frac>[0-9]*))?\s*(?P<suffix>[KMBTkmbt])?"
)
_GROUPED = re.compile(r"[0-9]{1,3}(?:(?P<sep>[,_])[0-9]{3})(?:(?P=sep)[0-9]{3})*")
_EXPONENT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+")
_LIMIT = Decimal(10) ** MAX_INTEGER_DIGITS


class AmountError(ValueError):
    """The text is not an exact decimal amount."""


def parse_decimal(value: object, *, places: int = MAX_DECIMAL_PLACES) -> Decimal:
    """Turn an int, Decimal or decimal text (optionally with a K/M/B/T suffix) into a Decimal.

    Suffixed values are normalised to the smallest exact scale ("4.3B" → 4300000000); plain
    decimal strings keep the scale they were written with ("10.00" stays 10.00). At most
    ``places`` digits after the point and :data:`~ledger.model.limits.MAX_INTEGER_DIGITS`
    before it.
    """
    if isinstance(value, bool):
        raise AmountError(f"expected {EXPECTED}; got a boolean")
    if isinstance(value, int):
        if abs(value) >= _LIMIT:
            raise AmountError(
                _too_many_digits(Decimal(value) if value.bit_length() < 4000 else None)
            )
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountError(f"expected {EXPECTED}; got {value}")
        return _bounded(value, str(value), places)
    if isinstance(value, float):
        raise AmountError(
            f"expected {EXPECTED}; got the binary float {value!r}, which is not exact — quote it"
        )
    if not isinstance(value, str):
        raise AmountError(f"expected {EXPECTED}; got {type(value).__name__}")
    return _bounded(_parse_text(value), value, places)


def _bounded(number: Decimal, text: str, places: int) -> Decimal:
    if not number.is_finite():
        raise AmountError(f"expected {EXPECTED}; got {shorten(text)!r}")
    if abs(number) >= _LIMIT:
        raise AmountError(_too_many_digits(number))
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > places:
        raise AmountError(
            f"{shorten(text)!r} has {-exponent} digits after the point; at most {places} are "
            "accepted here — round it yourself and say so in the note"
        )
    return number


def _too_many_digits(number: Decimal | None) -> str:
    count = "" if number is None else f" ({number.adjusted() + 1:,} digits)"
    return (
        f"the number is too large{count}: at most {MAX_INTEGER_DIGITS} digits before the point "
        'are accepted — a typo? (use a suffix: "4.3B", "1.5T")'
    )


def _parse_text(value: str) -> Decimal:
    text = value.strip()
    shown = shorten(value)
    if len(text) > MAX_NUMBER_TEXT:
        raise AmountError(
            f"expected {EXPECTED}; got {len(text):,} characters, more than the "
            f"{MAX_NUMBER_TEXT} any number may have"
        )
    foreign = [ch for ch in text if unicodedata.category(ch) == "Nd" and ch not in "0123456789"]
    if foreign:
        raise AmountError(
            f"{shown!r} is written with digits other than 0-9 ({unicodedata.name(foreign[0], '?').lower()}); "
            "write it with the ASCII digits 0-9"
        )
    _refuse_leading_zero(text, shown)
    lowered = text.lower()
    if re.fullmatch(r"[+-]?0[xob][0-9a-f_]+", lowered):
        raise AmountError(
            f"{shown!r} is a hexadecimal, octal or binary literal, not an amount; write it in decimal digits"
        )
    if ":" in text and re.fullmatch(r"[+-]?[0-9][0-9_]*(:[0-9_]+)+(\.[0-9_]*)?", text):
        raise AmountError(
            f"{shown!r} is a YAML 1.1 sexagesimal (base-60) number, not an amount; write it in "
            "decimal digits"
        )
    if _EXPONENT.fullmatch(text):
        raise AmountError(
            f"expected {EXPECTED}; got {shown!r} in exponent notation, which does not say how "
            "exact it is — write the digits out or use a suffix"
        )
    match = _SHAPE.fullmatch(text)
    if match is None or (match["whole"] is None and not match["frac"]):
        raise AmountError(f"expected {EXPECTED}; got {shown!r}")
    whole = match["whole"] or ""
    if "," in whole or "_" in whole:
        whole = _ungrouped(whole, shown, match["frac"] is not None)
    frac = match["frac"]
    number_text = f"{match['sign']}{whole or '0'}" + (f".{frac}" if frac is not None else "")
    try:
        number = Decimal(number_text)
    except InvalidOperation:
        raise AmountError(f"expected {EXPECTED}; got {shown!r}") from None
    suffix = match["suffix"]
    if suffix is None:
        return number
    return _minimal_scale(number * SCALES[suffix.upper()])


def _refuse_leading_zero(text: str, shown: str) -> None:
    """An integer with a leading zero, which YAML 1.1 (and other tools) read as octal.

    Why even when quoted: the readers keep every plain scalar as its text, so ``017`` and
    ``"017"`` arrive alike; refusing both is the only rule both readers can apply the same way.
    """
    digits = text.lstrip("+-")
    if re.fullmatch(r"0[0-9_]+", digits):
        raise AmountError(
            f"{shown} has a leading zero, which YAML 1.1 reads as an octal number; write it "
            f"without the zero ({digits.lstrip('0_') or '0'}) "
        )


def _ungrouped(whole: str, shown: str, has_point: bool) -> str:
    """``1,234,567`` → ``1234567``; anything else with a comma or underscore is refused."""
    if "," in whole and "_" in whole:
        raise AmountError(
            f"{shown!r} mixes ',' and '_' as separators; write the digits plainly (4300000000) "
            'or with a suffix ("4.3B")'
        )
    sep = "," if "," in whole else "_"
    if _GROUPED.fullmatch(whole) is None:
        if sep == "," and re.fullmatch(r"[0-9]+,[0-9]+", whole) and not has_point:
            head, _, tail = whole.partition(",")
            thousands = (
                f", for thousands group by three ({int(head + tail):,})"
                if len(head + tail) > 3
                else ""
            )
            raise AmountError(
                f"{shown!r}: a comma is accepted only between groups of three digits "
                f"(1,000,000), never as a decimal comma; for a decimal write a point "
                f'("{shown.strip().replace(",", ".")}"){thousands}'
            )
        raise AmountError(
            f"{shown!r}: '{sep}' is accepted only as a thousands separator between groups of "
            "three digits (1,000,000 or 1_000_000); write the digits plainly (4300000000) or "
            'with a suffix ("4.3B")'
        )
    return whole.replace(sep, "")


_COMMON = re.compile(rf"(0|[1-9][0-9]{{0,17}})(?:\.([0-9]{{1,{MAX_DECIMAL_PLACES}}}))?([KMBT])?")
_COMMON_INT = 10**MAX_INTEGER_DIGITS


def parse_common(value: object, places: int = MAX_DECIMAL_PLACES) -> Decimal | None:
    """The value of an amount in its common form — ASCII digits without a leading zero, a point
    and up to ``places`` decimals, an optional upper-case K/M/B/T — or None for anything else
    (then :func:`parse_decimal` decides, and says why it refuses).

    Why: a million-event replay parses several amounts per event; the common forms need no
    stripping, no separators and no error text. Whatever this accepts, :func:`parse_decimal`
    accepts with the same value, under the same bounds (``tests/test_amounts.py`` holds them
    together).
    """
    if type(value) is int:
        return Decimal(value) if -_COMMON_INT < value < _COMMON_INT else None
    if type(value) is not str:
        return None
    match = _COMMON.fullmatch(value)
    if match is None:
        return None
    suffix = match.group(3)
    if suffix is None:
        frac = match.group(2)
        return Decimal(value) if frac is None or len(frac) <= places else None
    number = _minimal_scale(Decimal(value[:-1]) * SCALES[suffix])
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if abs(number) >= _COMMON_INT or -exponent > places:
        return None
    return number


def _minimal_scale(value: Decimal) -> Decimal:
    """Drop fractional zeros that a suffix multiplication left behind (4.30B → 4300000000).

    A number beyond every bound is left as it is (its caller refuses it by its size): quantizing
    ``10000000000000000T`` (29 digits) to units would exceed the context's precision and raise
    ``InvalidOperation``, a traceback instead of a message.
    """
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        return value
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def format_decimal(value: Decimal) -> str:
    """Plain positional text, never exponent notation (Decimal('1E+10') → '10000000000')."""
    return f"{value:f}"
