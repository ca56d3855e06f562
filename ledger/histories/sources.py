"""Deal-history files read as a stream: the header at once, the events one chunk at a time.

Why streaming: an auditor's history can hold millions of events; holding the parsed file, then
its events, then its records in memory costs gigabytes. Each reader here yields the events of a
file as :class:`RawItem` values (the parsed mapping, its index and its line) while holding only a
chunk, so memory does not grow with the file. Four formats:

* **JSON Lines** (``.jsonl``) — the bulk format: the first line is the header
  (``{"loopledger": 1, "parties": [...]}``), every further line one event. Read with orjson.
* **JSON** — one document, read block by block by the C decoder, an ``events`` element at a time.
* **YAML** — the events block is cut into chunks at its items and each chunk parsed by
  rapidyaml (C++) and turned into plain data in C; a chunk with anything the fast path does not
  handle (anchors, aliases, tags, complex keys, duplicate keys) is parsed by the bounded PyYAML
  loader instead (:mod:`ledger.histories.yaml_text`), so both give the same values.
* **CSV** — a header row of field names, one event (or ``party`` row) a row (``csv_format``).

Parties declared between JSON Lines or CSV events are yielded in place (``kind == "party"``),
so a replay records them where they stood (how ``export --format jsonl`` keeps the order);
standard input's format is told from its first line (:func:`sniff`). Numbers never become
floats: JSON floats and YAML scalars arrive as text (:mod:`ledger.histories.yaml_text`).
Lines of fields are found only when a message needs one.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from typing import IO, Any, Final

import attrs
import orjson

from ledger.histories.inputs import SNIFF_BYTES, Prefixed, sniff
from ledger.histories.yaml_text import Located, line_of, load_yaml
from ledger.model.limits import MAX_NUMBER_TEXT
from ledger.model.problems import InputError, Problem

YAML_CHUNK: Final = 2_000
"""Events per YAML chunk parsed at once."""

JSON_BLOCK: Final = 1 << 20
"""Characters read at a time from a JSON document."""

MAX_EVENT_BYTES: Final = 1 << 20
"""The largest single event accepted (a JSON Lines line, a JSON element, a YAML item)."""


@attrs.frozen
class RawItem:
    """One event as parsed: its 1-based index in the file, its line, and the mapping itself."""

    index: int
    line: int | None
    data: Any
    locate: Callable[[str], int | None] | None = attrs.field(default=None, eq=False)
    """Finds the line of a field on demand (parsing again the item's own text)."""
    kind: str = "event"
    """``event``, or ``party`` for a party declared between events (JSON Lines, CSV)."""

    def field_line(self, field: str | None) -> int | None:
        if field is None:
            return self.line
        found = line_of(self.data, field)
        if found is None and self.locate is not None:
            found = self.locate(field)
        return found or self.line


@attrs.define
class Source:
    """An open deal-history file: its header (a mapping with lines) and its events to come."""

    file: str
    format: str
    header: Any
    items: Iterator[RawItem]
    relocate: Callable[[Problem], Problem | None] | None = None
    """Turns a problem located by line into this format's terms (a CSV's row and column);
    None drops a repeat (one message per missing CSV column)."""


def open_source(stream: IO[bytes], name: str, format: str | None) -> Source:
    """Start reading ``stream`` (binary) as a deal history in ``format`` (None: sniffed)."""
    if format is None:
        head = stream.read(SNIFF_BYTES)
        format = sniff(head)
        stream = Prefixed(head, stream)  # type: ignore[assignment]
    if format == "jsonl":
        return _jsonl(stream, name)
    if format == "json":
        return _json(stream, name)
    if format == "csv":
        from ledger.histories.csv_format import csv_source

        return csv_source(stream, name)
    return _yaml(stream, name)


def _utf8_problem(name: str, raw: bytes, exc: UnicodeDecodeError, first_line: int) -> Problem:
    line = first_line + raw[: exc.start].count(b"\n")
    return Problem(
        file=name,
        line=line,
        message=f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
    )


# --- JSON Lines ----------------------------------------------------------------------------------

_KEY = re.compile(rb'"\s*:')


def _exact_json(text: bytes | str, name: str, line: int) -> Any:
    """Parse JSON with floats kept as text and duplicate keys refused (the careful path)."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise ValueError(f"duplicate key {k!r}")
            out[k] = v
        return out

    try:
        return json.loads(
            text,
            parse_float=str,
            parse_int=_json_int,
            object_pairs_hook=no_duplicates,
            parse_constant=_constant,
        )
    except RecursionError:
        raise InputError(Problem(file=name, line=line, message="JSON nested too deeply")) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            Problem(
                file=name,
                line=line + exc.lineno - 1,
                message=f"JSON syntax error: {exc.msg} (column {exc.colno})",
            )
        ) from None
    except ValueError as exc:
        raise InputError(Problem(file=name, line=line, message=f"JSON error: {exc}")) from None


def _json_int(text: str) -> int | str:
    """A JSON integer; one longer than any number may be stays its text, so the field that
    reads it refuses it by length with a located message (Python's int() would first raise its
    own digit-limit error, or spend quadratic time on a huge literal)."""
    return int(text) if len(text) <= MAX_NUMBER_TEXT else text


def _constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number a ledger can hold")


def _plain_json(value: Any) -> tuple[bool, int]:
    """(no float anywhere, number of keys in all mappings) of orjson's result."""
    stack, keys = [value], 0
    while stack:
        item = stack.pop()
        if type(item) is dict:
            keys += len(item)
            stack += item.values()
        elif type(item) is list:
            stack += item
        elif type(item) is float:
            return False, keys
    return True, keys


def _fast_json_line(raw: bytes, name: str, line: int) -> Any:
    """orjson when the line has no float and no repeated key; the careful parser otherwise."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _exact_json(raw, name, line)
    plain, keys = _plain_json(value)
    if plain and len(_KEY.findall(raw)) == keys:
        return value
    return _exact_json(raw, name, line)


def _jsonl(stream: IO[bytes], name: str) -> Source:
    first = stream.readline(MAX_EVENT_BYTES + 1)
    line = 1
    while first and not first.strip():
        first, line = stream.readline(MAX_EVENT_BYTES + 1), line + 1
    if not first:
        raise InputError(Problem(file=name, message="the file is empty; expected a header line"))
    header = _fast_json_line(first, name, line)
    if isinstance(header, dict):
        header = located_mapping(header, line)
        if "events" in header:
            raise InputError(
                Problem(
                    file=name,
                    line=line,
                    field="events",
                    message="a JSON Lines history has its events one a line after the header, "
                    "not under 'events' (use .json for one document)",
                )
            )
        header["events"] = []  # the events follow, line by line

    def items() -> Iterator[RawItem]:
        index, number = 0, line
        for raw in iter(lambda: stream.readline(MAX_EVENT_BYTES + 1), b""):
            number += 1
            if len(raw) > MAX_EVENT_BYTES:
                raise InputError(
                    Problem(
                        file=name,
                        line=number,
                        message=f"a line longer than {MAX_EVENT_BYTES:,} bytes; one event a line",
                    )
                )
            if not raw.strip():
                continue
            data = _fast_json_line(raw, name, number)
            if isinstance(data, dict) and data.get("type") == "party":
                party = {k: v for k, v in data.items() if k != "type"}
                yield RawItem(0, number, located_mapping(party, number), kind="party")
                continue
            index += 1
            yield RawItem(index, number, data)

    return Source(name, "jsonl", header, items())


def located_mapping(data: dict[str, Any], line: int) -> Located:
    located = Located(data)
    located.line = line
    located.key_lines = dict.fromkeys(data, line)
    return located


# --- JSON ------------------------------------------------------------------------------------------

_SPACE = re.compile(r"[ \t\n\r]*")


class _JsonReader:
    """A JSON document read element by element from a text stream, lines counted as it goes."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.stream, self.name = stream, name
        self.text, self.at, self.line, self.eof = "", 0, 1, False
        self._counted_at, self._counted_line = 0, 1
        self.json = json.JSONDecoder(
            parse_float=str,
            parse_int=_json_int,
            parse_constant=_constant,
            object_pairs_hook=self._no_duplicates,
        )

    @staticmethod
    def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    raise ValueError(f"duplicate key {key!r}")
                seen.add(key)
        return out

    def _more(self) -> bool:
        if self.eof:
            return False
        block = self.stream.read(JSON_BLOCK)
        try:
            chunk = self.decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            raise InputError(_utf8_problem(self.name, block, exc, self.line)) from None
        self.eof = not block
        self.line = self.here()
        self.text, self.at = self.text[self.at :] + chunk, 0
        self._counted_at, self._counted_line = 0, self.line
        return True

    def skip_space(self) -> str:
        """The next character after white space ('' at the end)."""
        while True:
            end = _SPACE.match(self.text, self.at).end()  # type: ignore[union-attr]
            if end < len(self.text):
                self.at = end
                return self.text[end]
            self.at = end
            if not self._more():
                return ""

    def expect(self, char: str) -> None:
        found = self.skip_space()
        if found != char:
            self.fail(f"expected '{char}'" + (f", found {found!r}" if found else " before the end"))
        self.at += 1

    def here(self) -> int:
        """The line of the current position (newlines counted once, as the reader moves on)."""
        if self.at < self._counted_at:
            return self.line + self.text.count("\n", 0, self.at)
        self._counted_line += self.text.count("\n", self._counted_at, self.at)
        self._counted_at = self.at
        return self._counted_line

    def fail(self, message: str) -> Any:
        raise InputError(
            Problem(file=self.name, line=self.here(), message=f"JSON syntax error: {message}")
        )

    def value(self) -> tuple[Any, int, str]:
        """The next value, the line it starts on, and its text (for lines of fields)."""
        self.skip_space()
        while True:
            try:
                value, end = self.json.raw_decode(self.text, self.at)
            except RecursionError:
                self.fail("nested too deeply")
            except json.JSONDecodeError as exc:
                if not self.eof and len(self.text) - self.at < 2 * MAX_EVENT_BYTES and self._more():
                    continue
                line = self.line + self.text.count("\n", 0, exc.pos)
                raise InputError(
                    Problem(file=self.name, line=line, message=f"JSON syntax error: {exc.msg}")
                ) from None
            except ValueError as exc:
                raise InputError(
                    Problem(file=self.name, line=self.here(), message=f"JSON error: {exc}")
                ) from None
            line, text = self.here(), self.text[self.at : end]
            self.at = end
            return value, line, text


def _json(stream: IO[bytes], name: str) -> Source:
    reader = _JsonReader(stream, name)
    if reader.skip_space() != "{":
        reader.fail("expected a mapping with 'loopledger: 1', 'parties' and 'events'")
    reader.at += 1
    header = Located()
    header.line, header.key_lines = reader.here(), {}

    def keys() -> Iterator[str]:
        """Top-level keys in order, each value read into ``header`` except ``events``."""
        while True:
            char = reader.skip_space()
            if char == "}":
                reader.at += 1
                return
            if header.key_lines:
                reader.expect(",")
            key, line, _ = reader.value()
            if not isinstance(key, str):
                reader.fail("expected a key")
            if key in header.key_lines:
                reader.fail(f"duplicate key {key!r}")
            header.key_lines[key] = line
            reader.expect(":")
            if key == "events":
                yield key
                continue
            value, _, _ = reader.value()
            header[key] = _locate_tree(value, line)

    walk = keys()
    found_events = next(walk, None) == "events"
    before_events = set(header)

    def items() -> Iterator[RawItem]:
        if not found_events:
            return
        if reader.skip_space() != "[":
            value, line, _ = reader.value()
            raise InputError(
                Problem(
                    file=name,
                    line=line,
                    field="events",
                    message=f"expected a list of events under 'events'; got {type(value).__name__}",
                )
            )
        reader.at += 1
        index = 0
        while True:
            char = reader.skip_space()
            if char == "]":
                reader.at += 1
                break
            if index:
                reader.expect(",")
            value, line, text = reader.value()
            index += 1
            yield RawItem(index, line, value, _json_field_locator(text, line))
        for _ in walk:  # keys after the events: read into the header (checked at the end)
            reader.fail("'events' appears twice")
        if set(header) - before_events & {"parties", "currency", "loopledger"}:
            raise InputError(
                Problem(
                    file=name,
                    line=header.key_lines.get("events"),
                    field="events",
                    message="put 'loopledger', 'currency' and 'parties' before 'events': the "
                    "events are read as they come and need them",
                )
            )
        if reader.skip_space():
            reader.fail("text after the end of the document")

    if found_events:
        header["events"] = []
    return Source(name, "json", header, items())


def _locate_tree(value: Any, line: int) -> Any:
    """Lines for header values (parties): their mappings get the line they start on."""
    if isinstance(value, dict):
        located = located_mapping(value, line)
        for k, v in located.items():
            located[k] = _locate_tree(v, line)
        return located
    if isinstance(value, list):
        return [_locate_tree(v, line) for v in value]
    return value


def _json_field_locator(text: str, line: int) -> Callable[[str], int | None]:
    def locate(field: str) -> int | None:
        match = re.search(r'"' + re.escape(field) + r'"\s*:', text)
        return None if match is None else line + text.count("\n", 0, match.start())

    return locate


# --- YAML ------------------------------------------------------------------------------------------

_TOP_KEY = re.compile(rb"^([A-Za-z_][\w-]*)\s*:")
_ITEM = re.compile(rb"^( *)- ?")
_UNSAFE = re.compile(rb"[&*!|>%@`]|^\s*\?\s|<<|\t", re.MULTILINE)
"""What the fast YAML path leaves to the careful loader: anchors, aliases, tags, block scalars,
directives, complex keys, merges, tabs (and harmless text that only looks like them)."""
_PAIR = re.compile(rb'": ')


def _yaml(stream: IO[bytes], name: str) -> Source:
    lines = iter(stream.readline, b"")
    header_lines: list[bytes] = []
    events_line: int | None = None
    for number, raw in enumerate(lines, start=1):
        match = _TOP_KEY.match(raw)
        if match and match.group(1) == b"events" and raw.rstrip().endswith(b":"):
            events_line = number
            break
        header_lines.append(raw)
    else:
        # No 'events:' block on a line of its own: the whole file is one (small or unusual) document.
        return _whole_yaml(b"".join(header_lines), name)
    header = _header_yaml(b"".join(header_lines), name)
    header.key_lines["events"] = events_line
    header["events"] = []

    def items() -> Iterator[RawItem]:
        chunk: list[tuple[int, list[bytes]]] = []
        indent: bytes | None = None
        current: list[bytes] | None = None
        index = 0
        trailer: list[bytes] = []
        line = events_line
        for raw in lines:
            line += 1
            stripped = raw.strip()
            if trailer or (raw[:1] not in (b" ", b"-", b"#", b"\n", b"\r") and stripped):
                trailer.append(raw)  # a top-level key after the events
                continue
            item = _ITEM.match(raw)
            if item and stripped and (indent is None or item.group(1) == indent):
                if indent is None:
                    indent = item.group(1)
                if len(chunk) >= YAML_CHUNK:
                    yield from _yaml_chunk(chunk, index - len(chunk), name)
                    chunk = []
                index += 1
                current = [raw]
                chunk.append((line, current))
            elif current is not None:
                current.append(raw)
            elif stripped and not stripped.startswith(b"#"):
                raise InputError(
                    Problem(
                        file=name,
                        line=line,
                        field="events",
                        message="expected a list of events under 'events' ('- id: …' items)",
                    )
                )
        if chunk:
            yield from _yaml_chunk(chunk, index - len(chunk), name)
        if trailer and any(_TOP_KEY.match(t) for t in trailer):
            raise InputError(
                Problem(
                    file=name,
                    line=events_line,
                    field="events",
                    message="put every other top-level key before 'events': the events are read "
                    "as they come and need the header first",
                )
            )

    return Source(name, "yaml", header, items())


def _header_yaml(text: bytes, name: str) -> Located:
    data = load_yaml(text, name) if text.strip() else Located()
    if data is None:
        data = Located()
    if not isinstance(data, Located):
        raise InputError(
            Problem(
                file=name,
                line=1,
                message="expected a mapping with 'loopledger: 1', 'parties' and 'events'",
            )
        )
    return data


def _whole_yaml(text: bytes, name: str) -> Source:
    if not text.strip():
        raise InputError(
            Problem(
                file=name,
                message="the file is empty; expected 'loopledger: 1', 'parties' and 'events'",
            )
        )
    data = load_yaml(text, name)
    if not isinstance(data, Located):
        return Source(name, "yaml", data, iter(()))
    events = data.get("events")
    header = data
    if isinstance(events, list):
        header["events"] = []
        items: Iterator[RawItem] = (
            RawItem(i, line_of(e), e) for i, e in enumerate(events, start=1)
        )
    else:
        items = iter(())
    return Source(name, "yaml", header, items)


def _yaml_chunk(chunk: list[tuple[int, list[bytes]]], before: int, name: str) -> Iterator[RawItem]:
    """The items of one chunk: rapidyaml → JSON → plain data when it is safe, PyYAML otherwise."""
    first = chunk[0][0]
    text = b"".join(b"".join(lines) for _, lines in chunk)
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(_utf8_problem(name, text, exc, first)) from None
    values = None if _UNSAFE.search(text) else _rapid(text)
    if values is None or len(values) != len(chunk):
        values = load_yaml(text, name, first_line=first)
        if not isinstance(values, list) or len(values) != len(chunk):
            raise InputError(
                Problem(file=name, line=first, message="YAML: expected a list of events here")
            )
    for offset, ((line, lines), value) in enumerate(zip(chunk, values, strict=True), start=1):
        yield RawItem(before + offset, line, value, _yaml_field_locator(lines, line, name))


def _rapid(text: bytes) -> list[Any] | None:
    """The chunk's values through rapidyaml, or None when the fast path cannot be trusted."""
    import ryml

    try:
        tree = ryml.parse_in_arena(text)
        emitted = ryml.emit_json_malloc(tree, tree.root_id())
    except Exception:  # noqa: BLE001 - any doubt goes to the careful loader, which names the line
        return None
    data = emitted.encode() if isinstance(emitted, str) else bytes(emitted)
    try:
        values = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    plain, keys = _plain_json(values)
    if not plain or not isinstance(values, list) or len(_PAIR.findall(data)) != keys:
        return None  # a float's text, or a key given twice: the careful loader decides
    return values


def _yaml_field_locator(lines: list[bytes], line: int, name: str) -> Callable[[str], int | None]:
    def locate(field: str) -> int | None:
        try:
            (value,) = load_yaml(b"".join(lines), name, first_line=line)
        except (InputError, ValueError, TypeError):
            return None
        return line_of(value, field)

    return locate
