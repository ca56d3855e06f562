"""Deal-history files → parties and events, with every problem located.

A file is read as a stream (:mod:`ledger.histories.sources`): its header — format version, title,
currency, parties — at once, its events one by one, each converted by the generated fast
converter (:mod:`ledger.histories.convert`) or, when that declines, by the careful converter
here, which names every wrong field with its line and what was expected. Nothing is held per
event beyond what the caller keeps: :func:`open_history` streams (replay), :func:`load_file`
collects a whole file into a :class:`History` (tests, notebooks, small files).

Numbers never become binary floats: YAML scalars and JSON floats arrive as text and go straight
to :class:`~decimal.Decimal`.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final

import attrs

from ledger.histories.convert import convert_fast
from ledger.histories.fields import convert_fields
from ledger.histories.inputs import STDIN, STDIN_NAME, format_of
from ledger.histories.sources import RawItem, Source, open_source
from ledger.histories.yaml_text import line_of
from ledger.model.amounts import AmountError, parse_decimal
from ledger.model.events import EVENT_TYPES, Event
from ledger.model.limits import (
    MAX_NAME,
    MAX_TEXT,
    MAX_TICKER,
    PARTY_PATTERN,
    TICKER_PATTERN,
    check_id,
    check_text,
    shorten,
)
from ledger.model.problems import InputError, Problem
from ledger.model.values import CURRENCY, WORLD, Party

FORMAT_VERSION: Final = 1
HEADER_KEYS: Final = ("loopledger", "title", "currency", "parties", "events")


@attrs.frozen
class History:
    """One deal-history file, read whole."""

    file: str
    title: str | None
    currency: str
    parties: tuple[Party, ...]
    events: tuple[Event, ...]
    lines: dict[str, int] = attrs.field(factory=dict, eq=False)
    party_lines: dict[str, int] = attrs.field(factory=dict, eq=False)

    def locate(self, problem: Problem) -> Problem:
        """Fill in file and line for a problem found later (by the book)."""
        line = self.lines.get(problem.event_id or "") if problem.event_id else None
        return problem.at(file=self.file, line=line)

    def stream(self) -> HistoryStream:
        """The same history as a stream (what replay reads)."""
        items = (
            Converted(RawItem(i, self.lines.get(e.id), None), e, [])
            for i, e in enumerate(self.events, start=1)
        )
        return HistoryStream(
            self.file, self.title, self.currency, self.parties, self.party_lines, items
        )


@attrs.frozen
class Converted:
    """One event as read: where it was, the event (None if it does not convert) and why not."""

    item: RawItem
    event: Event | None
    problems: list[Problem]
    party: Party | None = None
    """A party declared between events (JSON Lines, CSV): recorded where it stood."""


@attrs.define
class HistoryStream:
    """A file's header, checked, and its events to come (each converted or with its problems)."""

    file: str
    title: str | None
    currency: str
    parties: tuple[Party, ...]
    party_lines: dict[str, int]
    events: Iterator[Converted]
    relocate: Callable[[Problem], Problem | None] | None = None
    """Puts a problem located by line in the source's terms (a CSV's row and column)."""

    def placed(self, problems: list[Problem]) -> list[Problem]:
        """``problems`` in the source's terms."""
        if self.relocate is None:
            return problems
        moved = (self.relocate(p) for p in problems)
        return [p for p in moved if p is not None]


def _readable(path: Path) -> None:
    """Refuse what is not a regular file before reading it (a FIFO would hang, a device never ends)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(
            Problem(file=str(path), message=f"cannot read the file: {exc.strerror or exc}")
        ) from None
    if not stat.S_ISREG(mode):
        raise InputError(
            Problem(
                file=str(path), message="not a regular file (a pipe, device or folder); give a file"
            )
        )


@contextlib.contextmanager
def open_history(
    path: str | Path, *, format: str | None = None, stream: IO[bytes] | None = None
) -> Iterator[HistoryStream]:
    """Open a deal-history file (or ``stream``, read as ``path`` names it) for streaming.

    ``-`` is standard input. The format is ``format``, else the suffix's, else told from the
    content (:func:`ledger.histories.sources.sniff`).
    """
    name = str(path)
    chosen = format_of(path, format)
    if name == STDIN:
        name = STDIN_NAME
        if stream is None:
            stream = sys.stdin.buffer
    with contextlib.ExitStack() as stack:
        if stream is None:
            _readable(Path(path))
            try:
                stream = stack.enter_context(open(path, "rb"))
            except OSError as exc:
                raise InputError(
                    Problem(file=name, message=f"cannot read the file: {exc.strerror or exc}")
                ) from None
        yield read_stream(open_source(stream, name, chosen))


def read_stream(source: Source) -> HistoryStream:
    """Check a source's header and convert its events as they are read."""
    name = source.file
    data = source.header
    if not isinstance(data, dict):
        raise InputError(
            Problem(
                file=name,
                line=line_of(data),
                message=f"expected a mapping with 'loopledger: {FORMAT_VERSION}', 'parties' and 'events'; got {type(data).__name__}",
            )
        )
    problems: list[Problem] = []
    version = data.get("loopledger")
    if str(version) != str(FORMAT_VERSION):
        problems.append(
            Problem(
                file=name,
                line=line_of(data, "loopledger"),
                field="loopledger",
                message=f"expected the format version 'loopledger: {FORMAT_VERSION}' at the top; got {version!r}",
            )
        )
    for key in data:
        if key not in HEADER_KEYS:
            problems.append(
                Problem(
                    file=name,
                    line=line_of(data, str(key)),
                    field=shorten(str(key), 80),
                    message="unknown top-level key; expected loopledger, title, currency, parties, events",
                )
            )
    currency = data.get("currency", "USD")
    if not isinstance(currency, str) or not CURRENCY.match(currency):
        problems.append(
            Problem(
                file=name,
                line=line_of(data, "currency"),
                field="currency",
                message="expected a three-letter currency code such as USD; got "
                + shorten(repr(currency), 80),
            )
        )
        currency = "USD"
    party_lines: dict[str, int] = {}
    parties = _parties(
        data.get("parties", []), name, problems, line_of(data, "parties"), party_lines
    )
    if "events" not in data:
        problems.append(
            Problem(
                file=name,
                line=line_of(data),
                field="events",
                message="expected a list of events under 'events'",
            )
        )
    elif not isinstance(data["events"], list):
        problems.append(
            Problem(
                file=name,
                line=line_of(data, "events"),
                field="events",
                message="expected a list of events under 'events'",
            )
        )
    title = data.get("title")
    if title is not None:
        wrong = check_text(str(title), limit=MAX_TEXT, what="the title")
        if wrong:
            problems.append(
                Problem(file=name, line=line_of(data, "title"), field="title", message=wrong)
            )
    if problems:
        raise InputError(problems)

    checked = set(data)

    def events() -> Iterator[Converted]:
        for item in source.items:
            if item.kind == "party":
                found_party: list[Problem] = []
                declared = _parties(
                    [item.data], name, found_party, item.line, party_lines, number=item.line
                )
                yield Converted(item, None, found_party, party=declared[0] if declared else None)
                continue
            event = convert_fast(item.data, currency)
            if event is not None:
                yield Converted(item, event, [])
                continue
            found: list[Problem] = []
            event = _event(item.data, item.index, name, currency, found, item.line)
            yield Converted(item, event, [_placed(p, item) for p in found])
        # Keys written after the events (a JSON document) are read only now: checked as the
        # header's were, so an unknown one is refused, never silently skipped.
        late = [
            Problem(
                file=name,
                line=line_of(data, str(key)),
                field=shorten(str(key), 80),
                message="unknown top-level key; expected loopledger, title, currency, parties, events",
            )
            for key in data
            if key not in checked and key not in HEADER_KEYS
        ]
        if late:
            raise InputError(late)

    return HistoryStream(
        name,
        str(title) if title is not None else None,
        currency,
        tuple(parties),
        party_lines,
        events(),
        source.relocate,
    )


def _placed(problem: Problem, item: RawItem) -> Problem:
    """A problem of an event with the line of its field (found now, when a message needs it)."""
    if item.data is not None and line_of(item.data) is None and problem.field is not None:
        return attrs.evolve(problem, line=item.field_line(problem.field) or problem.line)
    return problem


def load_file(path: str | Path, *, format: str | None = None) -> History:
    """Read and check one whole file; raise :class:`InputError` listing every problem found."""
    with open_history(path, format=format) as stream:
        return collect(stream)


def load_bytes(
    raw: bytes, name: str, *, json_format: bool = False, format: str | None = None
) -> History:
    """Parse file content (UTF-8 YAML, JSON or JSON Lines)."""
    chosen = format or ("json" if json_format else format_of(name))
    if not raw.strip():
        raise InputError(
            Problem(
                file=name,
                message="the file is empty; expected 'loopledger: 1', 'parties' and 'events'",
            )
        )
    with open_history(name, format=chosen, stream=io.BytesIO(raw)) as stream:
        return collect(stream)


def collect(stream: HistoryStream) -> History:
    """Every event of a stream, with duplicate ids caught; all problems raised together."""
    problems: list[Problem] = []
    events: list[Event] = []
    lines: dict[str, int] = {}
    seen: dict[str, int] = {}
    parties = list(stream.parties)
    for converted in stream.events:
        problems += stream.placed(converted.problems)
        if converted.party is not None:
            parties.append(converted.party)
        event = converted.event
        if event is None:
            continue
        item = converted.item
        if event.id in seen:
            problems.append(
                Problem(
                    file=stream.file,
                    line=item.line,
                    event_id=event.id,
                    position=item.index,
                    field="id",
                    message=f"duplicate id: event #{seen[event.id]} already uses it",
                )
            )
            continue
        seen[event.id] = item.index
        if item.line:
            lines[event.id] = item.line
        events.append(event)
    if problems:
        raise InputError(problems)
    return History(
        stream.file,
        stream.title,
        stream.currency,
        tuple(parties),
        tuple(events),
        lines,
        stream.party_lines,
    )


def _parties(
    raw: Any,
    name: str,
    problems: list[Problem],
    line: int | None,
    lines: dict[str, int] | None = None,
    *,
    number: int | None = None,
) -> list[Party]:
    """The parties of a ``parties`` list (or one party declared between events: ``number`` is
    its line, and messages say "party" instead of "party #1")."""
    if not isinstance(raw, list):
        problems.append(
            Problem(
                file=name,
                line=line,
                field="parties",
                message="expected a list of parties, each with id and name",
            )
        )
        return []
    parties: list[Party] = []
    ids: set[str] = set()
    for index, item in enumerate(raw, start=1):
        item_line = line_of(item) or number
        label = "party" if number is not None else f"party #{index}"
        if not isinstance(item, dict):
            problems.append(
                Problem(
                    file=name,
                    line=item_line,
                    field="parties",
                    message=f"{label}: expected a mapping with id and name",
                )
            )
            continue
        pid = item.get("id")
        unknown = set(item) - {"id", "name", "ticker", "shares_outstanding", "allow_overdraft"}
        if unknown:
            problems.append(
                Problem(
                    file=name,
                    line=item_line,
                    field="parties",
                    message=f"{label}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; expected id, name, ticker, shares_outstanding, allow_overdraft",
                )
            )
        wrong_id = (
            check_id(pid, pattern=PARTY_PATTERN, what="a party id")
            if isinstance(pid, str)
            else f"expected an id of lowercase letters, digits, '-', '_' or '.'; got {shorten(repr(pid), 80)}"
        )
        if wrong_id or not isinstance(pid, str):
            problems.append(
                Problem(
                    file=name,
                    line=item_line,
                    field="parties",
                    message=f"{label}: {wrong_id}",
                )
            )
            continue
        if pid == WORLD:
            problems.append(
                Problem(
                    file=name,
                    line=item_line,
                    field="parties",
                    message=f"'{WORLD}' is reserved for everyone outside the modelled set; do not declare it",
                )
            )
            continue
        if pid in ids:
            problems.append(
                Problem(
                    file=name,
                    line=item_line,
                    field="parties",
                    message=f"party '{pid}' is declared twice",
                )
            )
            continue
        ids.add(pid)
        shares_out: Decimal | None = None
        if item.get("shares_outstanding") is not None:
            try:
                shares_out = parse_decimal(item["shares_outstanding"])
            except AmountError as exc:
                problems.append(
                    Problem(
                        file=name,
                        line=item_line,
                        field="shares_outstanding",
                        message=f"party '{pid}': {exc}",
                    )
                )
        display = item.get("name")
        if not isinstance(display, str) or not display.strip():
            problems.append(
                Problem(
                    file=name,
                    line=item_line,
                    field="name",
                    message=f"party '{pid}': expected a name",
                )
            )
            continue
        ticker = item.get("ticker")
        overdraft = item.get("allow_overdraft")
        if overdraft is not None and (not isinstance(overdraft, str) or not overdraft.strip()):
            problems.append(
                Problem(
                    file=name,
                    line=item_line,
                    field="allow_overdraft",
                    message=f"party '{pid}': expected the reason its cash may go below zero "
                    "(where the money comes from, outside the model), as text; got "
                    f"{shorten(repr(overdraft), 80)}",
                )
            )
            continue
        wrong = [
            w
            for w in (
                check_text(display, limit=MAX_NAME, free=False, what="the name"),
                None if ticker is None else _ticker_problem(str(ticker)),
                None
                if overdraft is None
                else check_text(overdraft, what="the allow_overdraft reason"),
            )
            if w
        ]
        if wrong:
            problems += [
                Problem(
                    file=name,
                    line=item_line,
                    field="name"
                    if w.startswith("the name")
                    else "allow_overdraft"
                    if w.startswith("the allow")
                    else "ticker",
                    message=f"party '{pid}': {w}",
                )
                for w in wrong
            ]
            continue
        if item_line is not None and lines is not None:
            lines[pid] = item_line
        parties.append(
            Party(
                id=pid,
                name=display,
                ticker=str(ticker) if ticker is not None else None,
                shares_outstanding=shares_out,
                allow_overdraft=overdraft,
            )
        )
    return parties


def _ticker_problem(ticker: str) -> str | None:
    if len(ticker) > MAX_TICKER:
        return f"a ticker may have at most {MAX_TICKER} characters; got {len(ticker):,}"
    return check_id(ticker, pattern=TICKER_PATTERN, what="a ticker")


def _event(
    raw: Any, index: int, name: str, currency: str, problems: list[Problem], line: int | None = None
) -> Event | None:
    """The careful converter: the event, or None with every problem of it appended."""
    line = line_of(raw) or line
    if not isinstance(raw, dict):
        problems.append(
            Problem(
                file=name,
                line=line,
                position=index,
                message=f"expected an event (a mapping with id, date, type); got {type(raw).__name__}",
            )
        )
        return None
    event_id = raw.get("id")
    wrong_id = (
        check_id(event_id, what="an event id")
        if isinstance(event_id, str)
        else f"expected an id of letters, digits, '-', '_', '.' or ':'; got {shorten(repr(event_id), 80)}"
    )
    if wrong_id:
        problems.append(
            Problem(
                file=name,
                line=line_of(raw, "id") or line,
                position=index,
                field="id",
                message=wrong_id,
            )
        )
        event_id = None
    type_name = raw.get("type")
    cls = EVENT_TYPES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        problems.append(
            Problem(
                file=name,
                line=line_of(raw, "type") or line,
                event_id=event_id,
                position=index,
                field="type",
                message=f"unknown event type {type_name!r}; expected one of {', '.join(EVENT_TYPES)}",
            )
        )
        return None
    found: list[Problem] = []

    def report(field: str, message: str) -> None:
        if field == "id" and wrong_id:
            return  # the id was judged above, with its own words: one message, not two
        found.append(
            Problem(
                file=name,
                line=line_of(raw, field) or line,
                event_id=event_id,
                position=index,
                field=field,
                message=message,
            )
        )

    values = convert_fields(cls, raw, currency, report, skip=("type",))
    if found or event_id is None:
        problems.extend(found)
        return None
    event: Event = cls(**values)
    return event
