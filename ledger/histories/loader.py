"""Deal-history files (YAML or JSON) → parties and events, with every problem located.

YAML is read with a loader that keeps numbers as their text (so ``4.3`` becomes
``Decimal("4.3")``, never the float 4.29999…) and remembers the line of every event and field.
JSON is read with ``parse_float`` kept as text for the same reason. All problems of a file are
collected before anything is raised, so a user fixes a file in one pass.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ledger.histories.fields import convert_fields
from ledger.histories.parsing import json_lines, line_of, parse_json, parse_yaml
from ledger.model.amounts import AmountError, parse_decimal
from ledger.model.events import EVENT_TYPES, Event
from ledger.model.problems import InputError, Problem
from ledger.model.values import CURRENCY, PARTY_ID, WORLD, Party

FORMAT_VERSION = 1
EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


@attrs.frozen
class History:
    """One parsed deal-history file."""

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


def load_file(path: str | Path) -> History:
    """Read and check one file; raise :class:`InputError` listing every problem found."""
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            Problem(file=name, message=f"cannot read the file: {exc.strerror or exc}")
        ) from None
    return load_bytes(raw, name, json_format=path.suffix.lower() == ".json")


def load_bytes(raw: bytes, name: str, *, json_format: bool = False) -> History:
    """Parse file content (UTF-8 YAML, or JSON)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            Problem(
                file=name,
                line=line,
                message=f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as UTF-8",
            )
        ) from None
    if not text.strip():
        raise InputError(
            Problem(
                file=name,
                message="the file is empty; expected 'loopledger: 1', 'parties' and 'events'",
            )
        )
    data = parse_json(text, name) if json_format else parse_yaml(text, name)
    return _history(data, name, text if json_format else None)


def _history(data: Any, name: str, json_text: str | None) -> History:
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
    if version != FORMAT_VERSION:
        problems.append(
            Problem(
                file=name,
                line=line_of(data, "loopledger"),
                field="loopledger",
                message=f"expected the format version 'loopledger: {FORMAT_VERSION}' at the top; got {version!r}",
            )
        )
    for key in data:
        if key not in ("loopledger", "title", "currency", "parties", "events"):
            problems.append(
                Problem(
                    file=name,
                    line=line_of(data, str(key)),
                    field=str(key),
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
                message=f"expected a three-letter currency code such as USD; got {currency!r}",
            )
        )
        currency = "USD"
    party_lines: dict[str, int] = {}
    parties = _parties(
        data.get("parties", []), name, problems, line_of(data, "parties"), party_lines
    )
    raw_events = data.get("events")
    if not isinstance(raw_events, list):
        problems.append(
            Problem(
                file=name,
                line=line_of(data, "events"),
                field="events",
                message="expected a list of events under 'events'",
            )
        )
        raw_events = []
    events: list[Event] = []
    lines: dict[str, int] = {}
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_events, start=1):
        event = _event(raw, index, name, currency, problems)
        if event is None:
            continue
        line = line_of(raw)
        if event.id in seen:
            problems.append(
                Problem(
                    file=name,
                    line=line,
                    event_id=event.id,
                    position=index,
                    field="id",
                    message=f"duplicate id: event #{seen[event.id]} already uses it",
                )
            )
            continue
        seen[event.id] = index
        if line:
            lines[event.id] = line
        events.append(event)
    if json_text is not None:
        lines = json_lines(json_text, [e.id for e in events])
        found = json_lines(json_text, [p.event_id for p in problems if p.event_id])
        problems = [p.at(line=found.get(p.event_id)) if p.event_id else p for p in problems]
    if problems:
        raise InputError(problems)
    title = data.get("title")
    return History(
        name,
        str(title) if title is not None else None,
        currency,
        tuple(parties),
        tuple(events),
        lines,
        party_lines,
    )


def _parties(
    raw: Any,
    name: str,
    problems: list[Problem],
    line: int | None,
    lines: dict[str, int] | None = None,
) -> list[Party]:
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
        item_line = line_of(item)
        if not isinstance(item, dict):
            problems.append(
                Problem(
                    file=name,
                    line=item_line,
                    field="parties",
                    message=f"party #{index}: expected a mapping with id and name",
                )
            )
            continue
        pid = item.get("id")
        unknown = set(item) - {"id", "name", "ticker", "shares_outstanding"}
        if unknown:
            problems.append(
                Problem(
                    file=name,
                    line=item_line,
                    field="parties",
                    message=f"party #{index}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; expected id, name, ticker, shares_outstanding",
                )
            )
        if not isinstance(pid, str) or not PARTY_ID.match(pid):
            problems.append(
                Problem(
                    file=name,
                    line=item_line,
                    field="parties",
                    message=f"party #{index}: expected an id of lowercase letters, digits, '-', '_' or '.'; got {pid!r}",
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
        if item_line is not None and lines is not None:
            lines[pid] = item_line
        parties.append(
            Party(
                id=pid,
                name=display,
                ticker=str(ticker) if ticker is not None else None,
                shares_outstanding=shares_out,
            )
        )
    return parties


def _event(raw: Any, index: int, name: str, currency: str, problems: list[Problem]) -> Event | None:
    line = line_of(raw)
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
    if not isinstance(event_id, str) or not EVENT_ID.match(event_id):
        problems.append(
            Problem(
                file=name,
                line=line_of(raw, "id") or line,
                position=index,
                field="id",
                message=f"expected an id of letters, digits, '-', '_', '.' or ':'; got {event_id!r}",
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
    values = convert_fields(
        cls,
        raw,
        currency,
        lambda field, msg: found.append(
            Problem(
                file=name,
                line=line_of(raw, field) or line,
                event_id=event_id,
                position=index,
                field=field,
                message=msg,
            )
        ),
        skip=("type",),
    )
    if found or event_id is None:
        problems.extend(found)
        return None
    event: Event = cls(**values)
    return event
