"""Text from other people's files, made safe to show: control, bidi and format characters made
visible, and the markup of each face (rich, matplotlib mathtext, HTML in Markdown) escaped.

Why: a party name is free text written by whoever made the history. Shown raw, an ANSI escape
recolours or retitles the reader's terminal, a right-to-left override (U+202E) makes
"cba.exe" read as "exe.abc", and a ``$\\frac…$`` in a name is mathtext to matplotlib (which
can then fail to draw). Stored data is never changed; each face escapes what it shows.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


@lru_cache(maxsize=4096)
def _hidden(ch: str) -> bool:
    return unicodedata.category(ch) in _HIDDEN_CATEGORIES


def _escape(ch: str) -> str:
    code = ord(ch)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control, bidi, format, separator or unassigned character written as
    a visible escape (``\\x1b``, ``\\u202e``); everything else — any script — unchanged.
    ``keep_newlines`` leaves ``\\n`` as a line break (a table cell of several lines)."""
    if text.isascii() and text.isprintable():
        return text
    kept = "\n" if keep_newlines else ""
    return "".join(_escape(ch) if ch not in kept and _hidden(ch) else ch for ch in text)


def for_mathtext(text: str) -> str:
    """Visible, with ``$`` escaped so matplotlib draws it as a dollar sign, never as math."""
    return visible(text).replace("$", r"\$")


_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def markdown_without_html(line: str) -> str:
    """A Markdown line, visible, whose ``<`` and ``&`` outside code spans are HTML entities.

    Why: a Markdown report is read rendered, as HTML; a party name ``<img src=x onerror=…>``
    would be live HTML there. ``&lt;`` renders as ``<``, so the reader sees the name as written;
    inside a code span the text is already shown literally.
    """
    shown, parts, last = visible(line), [], 0
    for span in _CODE_SPAN.finditer(shown):
        parts += [_entities(shown[last : span.start()]), span.group()]
        last = span.end()
    parts.append(_entities(shown[last:]))
    return "".join(parts)


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


_JSON_HIDDEN = re.compile(
    "[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)


def json_visible(json_text: str) -> str:
    """Encoded JSON with DEL, C1, bidi and other invisible characters as ``\\uXXXX`` escapes:
    the same JSON value (they can only occur inside strings), safe to print or open."""
    return _JSON_HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)
