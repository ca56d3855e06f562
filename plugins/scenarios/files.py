"""Scenario files (YAML or JSON) → :class:`~plugins.scenarios.model.Scenario`, every problem located.

The file is read with the deal-history parser (numbers kept as text, the line of every key), so
a scenario's amounts are as exact as a history's and each message names file, line and field.
All problems of a file are collected before anything is raised.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, Final

from ledger.histories.yaml_text import line_of, load_yaml
from ledger.model.problems import InputError, Problem
from ledger.model.values import CURRENCY
from plugins.scenarios.model import FORMAT_KEY, FORMAT_VERSION, Base, Change, Scenario

NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
TOP_KEYS: Final = (
    FORMAT_KEY,
    "name",
    "title",
    "description",
    "base",
    "as_of",
    "currency",
    "parties",
    "changes",
)
CHANGE_KINDS: Final = ("add", "drop", "replace", "prices", "settings", "generate")
BASE_KEYS: Final = ("store", "history", "as_of")


def parse_date(value: Any) -> dt.date | None:
    """An ISO date from YAML/JSON text (``None`` when it is not one)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


class _Problems:
    """Collects located problems for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.found: list[Problem] = []

    def add(self, line: int | None, field: str | None, message: str) -> None:
        self.found.append(Problem(file=self.file, line=line, field=field, message=message))


def load_scenario(path: str | Path) -> Scenario:
    """Read and check one scenario file; :class:`InputError` lists every problem found."""
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            Problem(file=name, message=f"cannot read the scenario: {exc.strerror or exc}")
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(
                file=name,
                line=raw[: exc.start].count(b"\n") + 1,
                message="the scenario is not UTF-8 text; save it as UTF-8",
            )
        ) from None
    if not text.strip():
        raise InputError(
            Problem(file=name, message=f"the file is empty; expected '{FORMAT_KEY}: 1' and 'name'")
        )
    data = parse_json(text, name) if path.suffix.lower() == ".json" else load_yaml(text, name)
    return scenario_from_data(data, name, folder=path.parent)


def parse_json(text: str, name: str) -> Any:
    """JSON as a deal-history file is read: numbers with a fraction kept as text (never a
    binary float), a repeated key or NaN/Infinity refused, the line of a syntax error given."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ValueError(f"duplicate key {key!r}")
            out[key] = value
        return out

    def no_constant(word: str) -> Any:
        raise ValueError(f"{word} is not a number a ledger can hold")

    try:
        return json.loads(
            text, parse_float=str, object_pairs_hook=no_duplicates, parse_constant=no_constant
        )
    except RecursionError:
        raise InputError(Problem(file=name, message="JSON nested too deeply")) from None
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


def _shown(value: Any) -> str:
    """A value as the file wrote it (YAML may read ``2`` as text or as a number)."""
    return (
        "nothing" if value is None else str(value) if isinstance(value, (str, int)) else repr(value)
    )


def scenario_from_data(data: Any, file: str, *, folder: Path | None = None) -> Scenario:
    """A scenario from parsed YAML/JSON (``folder`` resolves relative base history paths)."""
    problems = _Problems(file)
    if not isinstance(data, dict):
        raise InputError(
            Problem(
                file=file,
                line=line_of(data),
                message=f"expected a mapping with '{FORMAT_KEY}: {FORMAT_VERSION}', 'name' and "
                f"'changes'; got {type(data).__name__}",
            )
        )
    if "loopledger" in data and FORMAT_KEY not in data:
        raise InputError(
            Problem(
                file=file,
                line=line_of(data, "loopledger"),
                field="loopledger",
                message="this is a deal-history file; a scenario file starts with "
                f"'{FORMAT_KEY}: {FORMAT_VERSION}' (see docs/scenarios.md) — to record "
                "the history, use 'loopledger replay'",
            )
        )
    if str(data.get(FORMAT_KEY)) != str(FORMAT_VERSION):
        problems.add(
            line_of(data, FORMAT_KEY),
            FORMAT_KEY,
            f"expected '{FORMAT_KEY}: {FORMAT_VERSION}' at the top; got {_shown(data.get(FORMAT_KEY))}",
        )
    for key in data:
        if key not in TOP_KEYS:
            problems.add(
                line_of(data, str(key)),
                str(key),
                f"unknown top-level key; expected {', '.join(TOP_KEYS)}",
            )
    scenario_name = data.get("name")
    if not isinstance(scenario_name, str) or not NAME.match(scenario_name):
        problems.add(
            line_of(data, "name") or line_of(data),
            "name",
            "expected a name of letters, digits, '-', '_' or '.' (it prefixes the ids of the "
            f"events the scenario generates); got {scenario_name!r}",
        )
        scenario_name = "scenario"
    currency = data.get("currency", "USD")
    if not isinstance(currency, str) or not CURRENCY.match(currency):
        problems.add(
            line_of(data, "currency"),
            "currency",
            f"expected a three-letter currency code such as USD; got {currency!r}",
        )
        currency = "USD"
    as_of = None
    if data.get("as_of") is not None:
        as_of = parse_date(data["as_of"])
        if as_of is None:
            problems.add(
                line_of(data, "as_of"),
                "as_of",
                f"expected an ISO date (YYYY-MM-DD): the date figures are reported as of; "
                f"got {data['as_of']!r}",
            )
    base = _base(data.get("base"), line_of(data, "base"), problems, folder)
    parties = data.get("parties", [])
    if not isinstance(parties, list) or not all(isinstance(p, dict) for p in parties):
        problems.add(
            line_of(data, "parties"),
            "parties",
            "expected a list of new parties, each a mapping with id and name",
        )
        parties = []
    changes = _changes(data.get("changes"), line_of(data, "changes"), problems)
    if problems.found:
        raise InputError(sorted(problems.found, key=lambda p: p.line or 0))
    lines = {str(k): line for k in data if (line := line_of(data, str(k))) is not None}
    return Scenario(
        file=file,
        name=scenario_name,
        title=_text(data.get("title")),
        description=_text(data.get("description")),
        base=base,
        as_of=as_of,
        currency=currency,
        parties=tuple(parties),
        changes=changes,
        lines=lines,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip()


def _base(raw: Any, line: int | None, problems: _Problems, folder: Path | None) -> Base:
    if raw is None:
        return Base()
    if not isinstance(raw, dict):
        problems.add(
            line, "base", "expected a mapping with store (a store URL) or history, and as_of"
        )
        return Base()
    for key in raw:
        if key not in BASE_KEYS:
            problems.add(
                line_of(raw, str(key)),
                f"base.{key}",
                f"unknown key; expected {', '.join(BASE_KEYS)}",
            )
    store = raw.get("store")
    if store is not None and (not isinstance(store, str) or not store.strip()):
        problems.add(line_of(raw, "store"), "base.store", f"expected a store URL; got {store!r}")
        store = None
    histories = raw.get("history", [])
    if isinstance(histories, str):
        histories = [histories]
    if not isinstance(histories, list) or not all(isinstance(h, str) for h in histories):
        problems.add(
            line_of(raw, "history"),
            "base.history",
            "expected a deal-history file or a list of them",
        )
        histories = []
    if store is not None and histories:
        problems.add(
            line_of(raw, "history"),
            "base.history",
            "give either base.store or base.history, not both",
        )
    as_of = None
    if raw.get("as_of") is not None:
        as_of = parse_date(raw["as_of"])
        if as_of is None:
            problems.add(
                line_of(raw, "as_of"),
                "base.as_of",
                f"expected an ISO date (YYYY-MM-DD); got {raw['as_of']!r}",
            )
    if (
        store is not None
        and folder is not None
        and store not in ("memory:", ":memory:")
        and not store.startswith(("postgresql://", "postgres://"))
        and not Path(store.removeprefix("sqlite:")).is_absolute()
    ):
        store = str(folder / store.removeprefix("sqlite:"))  # beside the scenario, like history
    resolved = tuple(
        str(folder / h) if folder is not None and not Path(h).is_absolute() else h
        for h in histories
    )
    return Base(store=store, histories=resolved, as_of=as_of)


def _changes(raw: Any, line: int | None, problems: _Problems) -> tuple[Change, ...]:
    if raw is None:
        problems.add(line, "changes", "missing; expected a list of changes (it may be empty)")
        return ()
    if not isinstance(raw, list):
        problems.add(line, "changes", "expected a list of changes")
        return ()
    changes: list[Change] = []
    for index, item in enumerate(raw, start=1):
        change = _change(item, index, problems)
        if change is not None:
            changes.append(change)
    return tuple(changes)


def _change(item: Any, index: int, problems: _Problems) -> Change | None:
    where = f"changes[{index}]"
    line = line_of(item)
    if not isinstance(item, dict):
        problems.add(
            line,
            where,
            f"expected a mapping with one of {', '.join(CHANGE_KINDS)}; got {item!r}",
        )
        return None
    if "generate" in item:
        generator = item["generate"]
        if not isinstance(generator, str) or not generator.strip():
            problems.add(
                line_of(item, "generate"),
                f"{where}.generate",
                f"expected the name of a scenario generator; got {generator!r}",
            )
            return None
        return Change("generate", item, line, index)
    kinds = [k for k in item if k in CHANGE_KINDS]
    if len(kinds) != 1 or len(item) != 1:
        problems.add(
            line,
            where,
            f"expected exactly one of {', '.join(CHANGE_KINDS)} (a generator takes its "
            f"parameters beside 'generate'); got {', '.join(map(str, item)) or 'nothing'}",
        )
        return None
    kind = kinds[0]
    body = item[kind]
    at = line_of(item, kind) or line
    field = f"{where}.{kind}"
    if kind == "add":
        if isinstance(body, dict):
            body = [body]
        if not isinstance(body, list) or not body or not all(isinstance(e, dict) for e in body):
            problems.add(at, field, "expected a list of events, written as in a history file")
            return None
    elif kind == "drop":
        if isinstance(body, str):
            body = [body]
        if not isinstance(body, list) or not body or not all(isinstance(e, str) for e in body):
            problems.add(at, field, "expected an event id or a list of them")
            return None
    elif kind == "replace":
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            problems.add(
                at,
                field,
                "expected one event, written as in a history file, whose id is the recorded "
                "event it replaces",
            )
            return None
    elif not isinstance(body, dict):
        what = (
            "party and per_share (or valuation): a list of [date, amount]"
            if kind == "prices"
            else "volatility, rate or probability"
        )
        problems.add(at, field, f"expected a mapping with {what}")
        return None
    return Change(kind, body, line, index)
