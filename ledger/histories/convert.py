"""One raw event mapping → an :class:`~ledger.model.events.Event`, fast when the input is valid.

Why two paths: the careful converter (:func:`ledger.histories.loader.event_or_problems`) walks
each field's declared kind and says, for every wrong field, what was expected — the right tool
for messages, but a loop over metadata per field of a million events. So for each event type a
straight-line function is generated once from the same field declarations, calling the same
per-kind parsers (amounts, dates, conditions) in the same way. It never reports: the moment a
field is missing, unknown or does not parse, it gives up and the careful converter runs, so
whatever is accepted is accepted with the same value and whatever is refused is refused with the
careful converter's message (``tests/test_loader.py`` holds the two to each other).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from ledger.histories import fields
from ledger.model.events import EVENT_TYPES, Event, type_fields
from ledger.model.limits import (
    MAX_DECIMAL_PLACES,
    MAX_ID,
    PARTY_PATTERN,
    plain_id,
    plain_text,
)

EVENT_ID: Final = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.:-]{{0,{MAX_ID - 1}}}")
"""An event, tranche or referenced id as :func:`~ledger.model.limits.check_id` accepts it
(:data:`~ledger.model.limits.ID_PATTERN`, at most MAX_ID characters), for ``fullmatch``."""

Fast = Callable[[dict[str, Any], str], Event | None]

_PARTIES_OK: dict[str, bool] = {}


def _party_ok(value: str) -> bool:
    ok = _PARTIES_OK.get(value)
    if ok is None:
        ok = plain_id(value, PARTY_PATTERN)
        if len(_PARTIES_OK) < 100_000:
            _PARTIES_OK[value] = ok
    return ok


_FAST: dict[type, Fast] = {}


def fast_converter(cls: type[Event]) -> Fast:
    """The generated converter of ``cls`` (made on first use)."""
    found = _FAST.get(cls)
    if found is None:
        found = _FAST[cls] = _generate(cls)
    return found


def _generate(cls: type[Event]) -> Fast:
    env: dict[str, Any] = {
        "cls": cls,
        "new": object.__new__,
        "put": object.__setattr__,
        "FieldError": fields.FieldError,
        "fields": fields,
        "party_ok": _party_ok,
        "event_id": EVENT_ID.fullmatch,
        "plain_text": plain_text,
        "allowed": frozenset(a.name for a in type_fields(cls)) | {"type"},
    }
    body = [
        "def fast(raw, currency):",
        "    if not raw.keys() <= allowed:",
        "        return None",
        "    o = new(cls)",
        "    try:",
    ]
    for index, a in enumerate(type_fields(cls)):
        name, meta = a.name, a.metadata
        kind, required = meta["kind"], meta["required"]
        body.append(f"        v = raw.get({name!r})")
        if required:
            absent = ["            return None"]
        else:
            env[f"default{index}"] = a.default
            absent = [f"            put(o, {name!r}, default{index})"]
        body += ["        if v is None:", *absent, "        else:"]
        if kind == "text" and name == "id":
            check, value = "type(v) is str and event_id(v)", "v"
        elif kind == "text":
            check, value = "type(v) is str and v.strip() and plain_text(v)", "v"
        elif kind == "party":
            check, value = "type(v) is str and party_ok(v)", "v"
        elif kind in ("ref", "tranche_ref"):
            check, value = "type(v) is str and event_id(v)", "v"
        elif kind == "money":
            money = f"fields._fast_money(v, currency, zero={meta.get('zero', False)})"
            if meta.get("undisclosed"):
                money = f"(fields._undisclosed(v, currency) or {money})"
            check, value = "True", money
        elif kind == "decimal":
            check = "True"
            positive, places = meta.get("positive", True), meta.get("places", MAX_DECIMAL_PLACES)
            value = f"fields._fast_decimal(v, {positive}, {places})"
        elif kind == "date":
            check, value = "True", "fields._fast_date(v)"
        elif kind == "bool":
            check, value = "type(v) is bool", "v"
        elif kind == "choice":
            env[f"options{index}"] = frozenset(meta["options"])
            check, value = f"type(v) is str and v in options{index}", "v"
        elif kind == "ids":
            env[f"meta{index}"] = meta
            check, value = "True", f"fields._ids(v, meta{index}, {name!r})"
        elif kind == "condition":
            check, value = "True", "fields._condition(v)"
        elif kind == "list":
            env[f"item{index}"] = meta["item"]
            check, value = "True", f"fields._list(item{index}, v, currency, {name!r})"
        else:  # a kind this generator does not know: always the careful path
            check, value = "False", "v"
        body += [
            f"            if not ({check}):",
            "                return None",
            f"            put(o, {name!r}, {value})",
        ]
    body += ["    except FieldError:", "        return None", "    return o"]
    source = "\n".join(body)
    exec(compile(source, f"<loopledger converter of {cls.__name__}>", "exec"), env)  # noqa: S102 - generated from the field declarations, no input text
    fast: Fast = env["fast"]
    return fast


def convert_fast(raw: Any, currency: str) -> Event | None:
    """The event when ``raw`` is a valid event mapping; None when the careful path must look."""
    if not isinstance(raw, dict):
        return None
    kind = raw.get("type")
    cls = EVENT_TYPES.get(kind) if type(kind) is str else None  # a list is unhashable
    if cls is None:
        return None
    return fast_converter(cls)(raw, currency)
