"""The documented limits of what loopledger reads, as pure checks any parser can call.

Why a module of its own: the limits are part of the file format (docs/format.md, "Limits"),
and every reader — the YAML/JSON loader today, a streaming parser tomorrow, the CLI's options —
must apply exactly the same ones. Each check returns ``None`` when the value is within bounds,
else one sentence that says what is wrong and what to write instead, so the caller can turn it
into a located :class:`~ledger.model.problems.Problem` (exit 2, nothing written).

Nothing here reads files or knows YAML: it judges values and sizes.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# --- numbers -----------------------------------------------------------------------------------

MAX_INTEGER_DIGITS: Final = 18
"""Digits before the decimal point of any number (after a K/M/B/T suffix is applied):
999,999,999,999,999,999 is ample for any deal, share count or capacity in the world."""

MAX_DECIMAL_PLACES: Final = 12
"""Digits after the point of a non-money number (shares, GW, a rate, a condition level)."""

MONEY_PLACES: Final = 6
"""Digits after the point of an amount of money: cents, and sub-cent share prices (0.000125)."""

SHARE_PLACES: Final = 6
"""Digits after the point of a number of shares or warrants (fractional shares exist)."""

CAPACITY_PLACES: Final = 6
"""Digits after the point of a capacity in GW (a kilowatt)."""

MAX_NUMBER_TEXT: Final = 64
"""Characters of a number written as text (a longer one is refused before it is parsed)."""

# --- text ---------------------------------------------------------------------------------------

MAX_ID: Final = 128
"""Characters of an event, party or tranche id."""

MAX_NAME: Final = 200
"""Characters of a party name, ticker-like codes excepted (see MAX_TICKER)."""

MAX_TICKER: Final = 16
"""Characters of a ticker."""

MAX_TEXT: Final = 10_000
"""Characters of free text: notes, sources, items, reasons, overrides, the title."""

MAX_EVENTS: Final = 1_000_000
"""Events in one file (split a larger history into several files)."""

MAX_PROBLEMS: Final = 200
"""Problems reported for one run; the rest are counted, so a broken file cannot flood stderr."""

# --- files --------------------------------------------------------------------------------------

MAX_FILE_BYTES: Final = 256 * 1024 * 1024
"""Size of one deal-history file (256 MiB — about a million events)."""

MAX_YEAR: Final = 2200
"""Latest year of any date: later ones are typos (9999-12-31) that would make ``--by quarter``
walk thousands of years of empty periods."""

MIN_YEAR: Final = 1900
"""Earliest year of any date."""

ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
"""Event and tranche ids: ASCII letters, digits, and ``- _ . :`` (not first)."""

PARTY_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_.-]*")
"""Party ids: lowercase slugs."""

TICKER_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:\-]*")


def _codepoint(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def control_characters(text: str, *, allow_newlines: bool = False) -> list[str]:
    """The control characters in ``text`` (C0, DEL, C1), as ``U+XXXX``; tab and newline
    are allowed in free text when ``allow_newlines``."""
    found = []
    for ch in text:
        if allow_newlines and ch in "\n\t\r":
            continue
        if unicodedata.category(ch) == "Cc":
            found.append(_codepoint(ch))
    return found


_CONTROLS: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FREE_CONTROLS: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def plain_text(value: str, *, limit: int = MAX_TEXT, free: bool = True) -> bool:
    """:func:`check_text` holds (no message): the fast converters' test, one C-level search.

    The characters searched are exactly Unicode's ``Cc`` (C0, DEL, C1), less tab, newline and
    carriage return in free text — what :func:`control_characters` reports.
    """
    return len(value) <= limit and not (_FREE_CONTROLS if free else _CONTROLS).search(value)


def plain_id(value: str, pattern: re.Pattern[str] = ID_PATTERN) -> bool:
    """:func:`check_id` holds (no message): bounded, and all of it in the id alphabet."""
    return len(value) <= MAX_ID and pattern.fullmatch(value) is not None


def check_id(
    value: str, *, pattern: re.Pattern[str] = ID_PATTERN, what: str = "an id"
) -> str | None:
    """An id is printable ASCII from a small alphabet, without surrounding spaces, ≤ MAX_ID."""
    if value != value.strip():
        return f"{what} must not start or end with whitespace; got {shorten(value)!r}"
    if len(value) > MAX_ID:
        return f"{what} may have at most {MAX_ID} characters; got {len(value)}"
    if not pattern.fullmatch(value):
        return f"{what} may hold only {describe_pattern(pattern)}; got {shorten(value)!r}"
    return None


def describe_pattern(pattern: re.Pattern[str]) -> str:
    """The alphabet of an id pattern, in words."""
    if pattern is PARTY_PATTERN:
        return "lowercase letters, digits, '-', '_' and '.' (a letter or digit first)"
    if pattern is TICKER_PATTERN:
        return "letters, digits, '.', ':' and '-'"
    return "letters, digits, '-', '_', '.' and ':' (a letter or digit first)"


def check_text(
    value: str, *, limit: int = MAX_TEXT, free: bool = True, what: str = "text"
) -> str | None:
    """Text of any printable Unicode, bounded; control characters refused (free text may hold
    newlines and tabs)."""
    if len(value) > limit:
        return f"{what} may have at most {limit:,} characters; got {len(value):,}"
    controls = control_characters(value, allow_newlines=free)
    if controls:
        shown = ", ".join(sorted(set(controls))[:5])
        return f"{what} holds control characters ({shown}); remove them"
    return None


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for messages about huge input."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_year(year: int) -> str | None:
    """Dates are between MIN_YEAR and MAX_YEAR."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return f"expected a date from {MIN_YEAR}-01-01 to {MAX_YEAR}-12-31; the year {year} is outside them (a typo?)"
    return None


def check_file_size(size: int, limit: int = MAX_FILE_BYTES) -> str | None:
    """A deal-history file is at most ``limit`` (MAX_FILE_BYTES) bytes."""
    if size > limit:
        return (
            f"the file has more than {limit:,} bytes, the most one file may have; "
            "split the history into several files"
        )
    return None


# --- document shape -----------------------------------------------------------------------------

MAX_DEPTH: Final = 32
"""Levels of nesting of a history document (a history needs about six)."""

MAX_ALIAS_NODES: Final = 100_000
"""Values a YAML document may add by aliases (``*anchor``) beyond those it writes out: enough to
reuse a source list, far too few for an alias bomb ("billion laughs") to expand."""
