"""Deal-history files (YAML or JSON) → parties and events, with every problem located.

YAML is read with a loader that keeps numbers as their text (so ``4.3`` becomes
``Decimal("4.3")``, never the float 4.29999…) and remembers the line of every event and field.
JSON is read with ``parse_float`` kept as text for the same reason. All problems of a file are
collected before anything is raised, so a user fixes a file in one pass.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import yaml

from ledger.model.amounts import AmountError, parse_decimal
from ledger.model.events import COMMON_FIELDS, EVENT_TYPES, Condition, Event, type_fields
from ledger.model.problems import InputError, Problem
from ledger.model.values import CURRENCY, PARTY_ID, WORLD, Money, Party

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


class _Located(dict[str, Any]):
    """A mapping that remembers the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class _TextLoader(yaml.SafeLoader):
    """SafeLoader that leaves floats and timestamps as text; ints stay ints."""


def _construct_mapping(loader: _TextLoader, node: yaml.MappingNode) -> _Located:
    mapping = _Located()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


_TextLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return str(loader.construct_scalar(node))


_TextLoader.add_constructor("tag:yaml.org,2002:float", _as_text)
_TextLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)


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
    data = _parse_json(text, name) if json_format else _parse_yaml(text, name)
    return _history(data, name, text if json_format else None)


def _parse_yaml(text: str, name: str) -> Any:
    try:
        return yaml.load(text, Loader=_TextLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "syntax error"
        raise InputError(
            Problem(file=name, line=line, message=f"YAML syntax error: {what}")
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(file=name, message=f"YAML syntax error: {exc}")) from None


def _parse_json(text: str, name: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise ValueError(f"duplicate key {k!r}")
            out[k] = v
        return out

    try:
        return json.loads(
            text, parse_float=str, object_pairs_hook=no_duplicates, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        raise InputError(
            Problem(
                file=name,
                line=exc.lineno,
                message=f"JSON syntax error: {exc.msg} (column {exc.colno})",
            )
        ) from None
    except ValueError as exc:
        raise InputError(Problem(file=name, message=f"JSON error: {exc}")) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not an amount")


def _line_of(data: Any, key: str | None = None) -> int | None:
    if isinstance(data, _Located):
        if key is not None and key in data.key_lines:
            return data.key_lines[key]
        return data.line or None
    return None


def _json_lines(text: str, ids: list[str]) -> dict[str, int]:
    """Line of the first ``"id": "<id>"`` of each wanted id — one pass over the text."""
    wanted = set(ids)
    lines: dict[str, int] = {}
    line, last = 1, 0
    for m in re.finditer(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"', text):
        event_id = m.group(1)
        if event_id in wanted and event_id not in lines:
            line += text.count("\n", last, m.start())
            last = m.start()
            lines[event_id] = line
    return lines


def _history(data: Any, name: str, json_text: str | None) -> History:
    if not isinstance(data, dict):
        raise InputError(
            Problem(
                file=name,
                line=_line_of(data),
                message=f"expected a mapping with 'loopledger: {FORMAT_VERSION}', 'parties' and 'events'; got {type(data).__name__}",
            )
        )
    problems: list[Problem] = []
    version = data.get("loopledger")
    if version != FORMAT_VERSION:
        problems.append(
            Problem(
                file=name,
                line=_line_of(data, "loopledger"),
                field="loopledger",
                message=f"expected the format version 'loopledger: {FORMAT_VERSION}' at the top; got {version!r}",
            )
        )
    for key in data:
        if key not in ("loopledger", "title", "currency", "parties", "events"):
            problems.append(
                Problem(
                    file=name,
                    line=_line_of(data, str(key)),
                    field=str(key),
                    message="unknown top-level key; expected loopledger, title, currency, parties, events",
                )
            )
    currency = data.get("currency", "USD")
    if not isinstance(currency, str) or not CURRENCY.match(currency):
        problems.append(
            Problem(
                file=name,
                line=_line_of(data, "currency"),
                field="currency",
                message=f"expected a three-letter currency code such as USD; got {currency!r}",
            )
        )
        currency = "USD"
    party_lines: dict[str, int] = {}
    parties = _parties(
        data.get("parties", []), name, problems, _line_of(data, "parties"), party_lines
    )
    raw_events = data.get("events")
    if not isinstance(raw_events, list):
        problems.append(
            Problem(
                file=name,
                line=_line_of(data, "events"),
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
        line = _line_of(raw)
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
        lines = _json_lines(json_text, [e.id for e in events])
        found = _json_lines(json_text, [p.event_id for p in problems if p.event_id])
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
        item_line = _line_of(item)
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


class _FieldError(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _event(raw: Any, index: int, name: str, currency: str, problems: list[Problem]) -> Event | None:
    line = _line_of(raw)
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
                line=_line_of(raw, "id") or line,
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
                line=_line_of(raw, "type") or line,
                event_id=event_id,
                position=index,
                field="type",
                message=f"unknown event type {type_name!r}; expected one of {', '.join(EVENT_TYPES)}",
            )
        )
        return None
    found: list[Problem] = []
    values = _fields(
        cls,
        raw,
        currency,
        lambda field, msg: found.append(
            Problem(
                file=name,
                line=_line_of(raw, field) or line,
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


def _fields(
    cls: type,
    raw: dict[str, Any],
    currency: str,
    report: Callable[[str, str], None],
    skip: tuple[str, ...] = (),
) -> dict[str, Any]:
    fields = type_fields(cls)
    names = {a.name for a in fields}
    for key in raw:
        if key not in names and key not in skip:
            expected = ", ".join(
                a.name for a in fields if a.name not in COMMON_FIELDS or cls in (Condition,)
            )
            report(
                str(key),
                f"unknown field for {getattr(cls, 'TYPE', cls.__name__)}; expected {expected}",
            )
    values: dict[str, Any] = {}
    for a in fields:
        value = raw.get(a.name)
        if value is None:
            if a.metadata["required"]:
                report(a.name, f"missing; {_expectation(a.metadata, a.name)}")
            continue
        try:
            values[a.name] = _convert(a.metadata, value, currency, a.name)
        except _FieldError as exc:
            report(a.name, exc.message)
    return values


def _expectation(meta: dict[str, Any], name: str) -> str:
    kind = meta["kind"]
    return {
        "party": "expected a party id",
        "money": 'expected an amount such as "10B" or "4300000000.00"',
        "decimal": "expected a number",
        "date": "expected an ISO date (YYYY-MM-DD)",
        "text": "expected text",
        "choice": f"expected one of {', '.join(meta.get('options', ()))}",
        "ref": "expected the id of an earlier event",
        "tranche_ref": "expected a tranche id",
        "list": "expected a list",
        "bool": "expected true or false",
        "condition": "expected a condition",
    }.get(kind, f"expected {name}")


def _convert(meta: dict[str, Any], value: Any, currency: str, name: str) -> Any:
    kind = meta["kind"]
    if kind in ("party", "ref", "tranche_ref", "text"):
        if kind == "text" and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str) or not value.strip():
            raise _FieldError(f"{_expectation(meta, name)}; got {value!r}")
        if kind == "party" and not (PARTY_ID.match(value)):
            raise _FieldError(
                f"expected a party id (lowercase letters, digits, '-', '_', '.'); got {value!r}"
            )
        return value
    if kind == "money":
        return _money(value, currency, zero=meta.get("zero", False))
    if kind == "decimal":
        number = _decimal(value)
        if meta.get("positive", True) and number <= 0:
            raise _FieldError(f"expected a positive number; got {value!r}")
        return number
    if kind == "date":
        return _date(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise _FieldError(f"expected true or false; got {value!r}")
        return value
    if kind == "choice":
        options = meta["options"]
        if value not in options:
            raise _FieldError(f"expected one of {', '.join(options)}; got {value!r}")
        return value
    if kind == "condition":
        return _condition(value)
    if kind == "list":
        return _list(meta["item"], value, currency, name)
    raise _FieldError(f"unsupported field kind {kind}")


def _decimal(value: Any) -> Decimal:
    try:
        return parse_decimal(value)
    except AmountError as exc:
        raise _FieldError(str(exc)) from None


def _money(value: Any, currency: str, *, zero: bool = False) -> Money:
    code = currency
    if isinstance(value, str):
        parts = value.strip().split()
        if len(parts) == 2 and CURRENCY.match(parts[1]):
            value, code = parts[0], parts[1]
    amount = _decimal(value)
    if zero and amount < 0:
        raise _FieldError(f"expected an amount ≥ 0 (0 is allowed here); got {value!r}")
    if not zero and amount <= 0:
        raise _FieldError(
            f"expected a positive amount; got {value!r} (record money flowing the other way as its own event)"
        )
    return Money(amount, code)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise _FieldError(f"expected an ISO date (YYYY-MM-DD); got {value!r}: {exc}") from None
    raise _FieldError(f"expected an ISO date (YYYY-MM-DD); got {value!r}")


def _condition(value: Any) -> Condition:
    # Accept both {metric: delivered_gw, at_least: 1} and the short {delivered_gw: {at_least: 1}}.
    if isinstance(value, dict) and len(value) == 1:
        ((metric, body),) = value.items()
        if isinstance(body, dict) and set(body) == {"at_least"}:
            value = {"metric": metric, "at_least": body["at_least"]}
    if not isinstance(value, dict):
        raise _FieldError(
            f"expected a condition such as {{delivered_gw: {{at_least: 1}}}}; got {value!r}"
        )
    errors: list[str] = []
    values = _fields(Condition, value, "USD", lambda f, m: errors.append(f"{f}: {m}"))
    if errors:
        raise _FieldError("condition " + "; ".join(errors))
    return Condition(**values)


def _collector(errors: list[str]) -> Callable[[str, str], None]:
    """A ``report`` callback that appends "field: message" to ``errors``."""

    def report(field: str, message: str) -> None:
        errors.append(f"{field}: {message}")

    return report


def _list(item: type, value: Any, currency: str, name: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise _FieldError(
            f"expected a list of {item.__name__.lower()}s; got {type(value).__name__}"
        )
    out: list[Any] = []
    for i, raw in enumerate(value, start=1):
        if item is Condition:
            try:
                out.append(_condition(raw))
            except _FieldError as exc:
                raise _FieldError(f"item #{i}: {exc.message}") from None
            continue
        if not isinstance(raw, dict):
            raise _FieldError(f"item #{i}: expected a mapping; got {raw!r}")
        errors: list[str] = []
        values = _fields(item, raw, currency, _collector(errors))
        if errors:
            label = raw.get("id", f"#{i}")
            raise _FieldError(f"item {label}: " + "; ".join(errors))
        out.append(item(**values))
    return tuple(out)
