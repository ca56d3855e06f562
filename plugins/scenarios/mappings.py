"""Event and party mappings (as a scenario writes them, or as a generator returns them) → values,
through the deal-history loader itself.

Why the loader and not a copy of it: a scenario's event must be refused for exactly the reasons
a history file's would be. The mappings are handed to :func:`ledger.histories.loader.load_bytes`
as a small JSON document; each problem it finds names the mapping's position, and is moved to
the line (and field) of that mapping in the scenario file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import orjson

from ledger.histories.loader import FORMAT_VERSION, load_bytes
from ledger.histories.yaml_text import line_of
from ledger.model.amounts import format_decimal
from ledger.model.events import Event
from ledger.model.problems import InputError, Problem
from ledger.model.values import Money, Party

Locate = Callable[[int, Problem], Problem]
"""``locate(position, problem)`` places a loader problem about mapping #position (1-based)."""


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, Money):
        return f"{format_decimal(value.amount)} {value.currency}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not a value a history file can hold: {type(value).__name__}")


def _document(currency: str, parties: Sequence[Any], events: Sequence[Any]) -> bytes:
    body = {"loopledger": FORMAT_VERSION, "currency": currency, "parties": list(parties)}
    body["events"] = list(events)
    try:
        return orjson.dumps(body, default=_plain, option=orjson.OPT_NON_STR_KEYS)
    except TypeError as exc:
        raise InputError(Problem(message=f"an event mapping holds {exc}")) from None


def in_file(file: str, items: Sequence[Any], fallback: int | None) -> Locate:
    """Place problems at the mapping's own line in ``file`` (its field's line where known)."""

    def locate(position: int, problem: Problem) -> Problem:
        item = items[position - 1] if 0 < position <= len(items) else None
        line = (line_of(item, problem.field) if problem.field else None) or line_of(item)
        return attrs.evolve(problem, file=file, line=line or fallback, position=None)

    return locate


def parse_events(items: Sequence[Any], currency: str, locate: Locate) -> list[Event]:
    """The events the mappings describe; every problem located by ``locate``."""
    if not items:
        return []
    try:
        history = load_bytes(_document(currency, [], items), "<scenario>", json_format=True)
    except InputError as exc:
        raise InputError(
            [locate(p.position or 0, p) if p.position else locate(0, p) for p in exc.problems]
        ) from None
    return list(history.events)


def parse_parties(
    items: Sequence[Any], currency: str, file: str
) -> tuple[list[Party], dict[str, int]]:
    """New parties, one loader document each so that a problem keeps its party's line."""
    parties: list[Party] = []
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    for item in items:
        try:
            history = load_bytes(_document(currency, [item], []), "<scenario>", json_format=True)
        except InputError as exc:
            line = line_of(item)
            problems += [attrs.evolve(p, file=file, line=line) for p in exc.problems]
            continue
        for party in history.parties:
            parties.append(party)
            if (line := line_of(item)) is not None:
                lines[party.id] = line
    if problems:
        raise InputError(problems)
    return parties, lines


def marked(mapping: Mapping[str, Any], **defaults: Any) -> dict[str, Any]:
    """A copy of ``mapping`` with ``defaults`` filled in where it has no value."""
    out = dict(mapping)
    for key, value in defaults.items():
        if out.get(key) is None:
            out[key] = value
    return out
