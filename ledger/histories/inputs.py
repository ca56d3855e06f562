"""Where a history comes from and which reader reads it: a file by its suffix, ``--format``,
or — for standard input, which has no suffix — its first line.

Kept apart from :mod:`ledger.histories.sources` (the readers themselves) because choosing a
reader is one question and reading is another.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, Final

import attrs
import orjson

from ledger.model.problems import InputError, Problem

FORMATS: Final = ("yaml", "json", "jsonl", "csv")
SUFFIXES: Final = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
}
STDIN: Final = "-"
"""The path that means standard input (``replay -``)."""
STDIN_NAME: Final = "<stdin>"
"""How messages name standard input."""
SNIFF_BYTES: Final = 1 << 16


@attrs.frozen
class Input:
    """A history to read that is not simply a file named by its suffix: standard input, a
    stream, or a file whose format is given (``--format``)."""

    name: str
    stream: IO[bytes] | None = attrs.field(default=None, eq=False)
    format: str | None = None


def format_of(path: str | Path, given: str | None = None) -> str | None:
    """``yaml``, ``json``, ``jsonl`` or ``csv`` — from ``given``, else from the file name's
    suffix; None when neither tells (the content decides: :func:`sniff`)."""
    if given is not None:
        if given not in FORMATS:
            raise InputError(
                Problem(
                    field="--format",
                    message=f"expected one of {', '.join(FORMATS)}; got {given!r}",
                )
            )
        return given
    if str(path) == STDIN:
        return None
    return SUFFIXES.get(Path(path).suffix.lower())


def sniff(head: bytes) -> str:
    """The format of history text that came without a suffix, from its first line: a whole
    JSON object without ``events`` is JSON Lines, other text starting with ``{`` or ``[`` JSON,
    comma/semicolon/tab-separated field names with ``type`` among them CSV, else YAML."""
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    first = body.split(b"\n", 1)[0].strip()
    if first.startswith(b"{"):
        try:
            value = orjson.loads(first)
        except orjson.JSONDecodeError:
            return "json"
        return "jsonl" if isinstance(value, dict) and "events" not in value else "json"
    if body.startswith(b"["):
        return "json"
    text = first.decode("utf-8", "replace")
    cells = [c.strip().strip('"').lower() for c in re.split(r"[,;\t]", text)]
    if len(cells) > 1 and "type" in cells and not text.lstrip().startswith("#"):
        return "csv"
    return "yaml"


class Prefixed:
    """A byte stream whose first bytes were read to sniff its format, read again from the start."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return self.rest.read(size)
        if size < 0:
            out, self.head = self.head + self.rest.read(), b""
            return out
        out, self.head = self.head[:size], self.head[size:]
        return out

    def readline(self, size: int = -1) -> bytes:
        if not self.head:
            return self.rest.readline(size)
        end = self.head.find(b"\n")
        if end >= 0 and (size < 0 or end < size):
            out, self.head = self.head[: end + 1], self.head[end + 1 :]
            return out
        if 0 <= size <= len(self.head):
            out, self.head = self.head[:size], self.head[size:]
            return out
        out, self.head = self.head, b""
        return out + self.rest.readline(-1 if size < 0 else size - len(out))
