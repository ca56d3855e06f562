"""Fuzzing the loader: arbitrary YAML and JSON documents, and mutations of a valid history, are
either a history or one input error (exit 2) — never another exception, never a hang. The
mutations catch a deliberately broken loader, so they do reach the code that judges fields.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from ledger.histories.loader import load_bytes
from ledger.model.problems import InputError
from tests.support.figures import record

DATA = Path(__file__).parent / "data"
VALID_YAML = (DATA / "every-type.yaml").read_text(encoding="utf-8")
VALID = yaml.safe_load(VALID_YAML)
EXAMPLES = {"documents": 0, "text": 0, "values": 0}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.text(max_size=40),
    st.sampled_from(
        ["10B", "1,5B", "1,000", "0x1F", "010", "1:30", "٣", "１０", "1e9", "9" * 400, "-1", "0"]
    ),
    st.sampled_from(["2025-01-01", "9999-12-31", "2025-02-30", "2025-1-1", "purchase"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=40,
)


def _loads_or_refuses(raw: bytes, *, json_format: bool) -> None:
    try:
        load_bytes(raw, "fuzz.json" if json_format else "fuzz.yaml", json_format=json_format)
    except InputError as exc:
        assert exc.problems, "an input error names at least one problem"


@given(documents, st.booleans())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_arbitrary_documents_are_a_history_or_an_input_error(document, as_json):
    EXAMPLES["documents"] += 1
    raw = (
        json.dumps(document)
        if as_json
        else yaml.safe_dump(document, allow_unicode=True, default_flow_style=None)
    ).encode("utf-8")
    _loads_or_refuses(raw, json_format=as_json)


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    """The valid history's text with a few spans deleted, replaced or repeated."""
    text = VALID_YAML
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        end = draw(st.integers(at, min(len(text), at + 40)))
        kind = draw(st.sampled_from(["delete", "insert", "repeat"]))
        if kind == "delete":
            text = text[:at] + text[end:]
        elif kind == "insert":
            text = text[:at] + draw(st.text(max_size=12)) + text[at:]
        else:
            text = text[:end] + text[at:end] + text[end:]
    return text


@given(mutated_text())
def test_mutated_history_text_is_a_history_or_an_input_error(text):
    EXAMPLES["text"] += 1
    _loads_or_refuses(text.encode("utf-8", "surrogatepass"), json_format=False)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += _paths(v, (*prefix, i))
    return found


PATHS = _paths(VALID)[1:]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@st.composite
def mutated_values(draw: st.DrawFn) -> str:
    """The valid history (as JSON) with one to three values replaced by arbitrary ones."""
    data = json.loads(json.dumps(_jsonable(VALID)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        target = data
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = draw(documents)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement removed this path
    return json.dumps(data)


@given(mutated_values())
def test_mutated_history_values_are_a_history_or_an_input_error(text):
    EXAMPLES["values"] += 1
    _loads_or_refuses(text.encode("utf-8"), json_format=True)


def test_the_value_mutations_catch_a_loader_that_lets_a_bad_date_through(monkeypatch):
    """A broken variant: dates parsed without the loader's check. The fuzzer finds the
    ValueError it lets escape, so passing the property above means something."""
    from ledger.histories import fields

    monkeypatch.setattr(
        fields, "_date", lambda value: dt.date.fromisoformat(str(value).strip()[:10])
    )

    def escapes(text: str) -> bool:
        try:
            _loads_or_refuses(text.encode("utf-8"), json_format=True)
        except ValueError:
            return True
        return False

    find(
        mutated_values(),
        escapes,
        settings=settings(
            max_examples=5000, database=None, suppress_health_check=list(HealthCheck)
        ),
    )


def test_zz_record_the_examples_run():
    """Reported for docs/reliability.md (runs after the properties in this file)."""
    record("fuzz", **EXAMPLES)
    assert sum(EXAMPLES.values()) > 0


def test_an_event_type_that_is_a_list_is_an_input_error_not_a_traceback():
    """Found by the value mutations above: the fast converter looked a list up as a type name."""
    import pytest

    doc = (
        b'{"loopledger": 1, "parties": [{"id": "a", "name": "A"}], "events": ['
        b'{"id": "x", "date": "2025-01-01", "type": [], "party": "a", "amount": "1B"}]}'
    )
    with pytest.raises(InputError, match="type"):
        load_bytes(doc, "f.json", json_format=True)
