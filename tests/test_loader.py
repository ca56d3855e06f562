"""The streaming loader: every format gives the same history, the fast paths give what the careful
ones give, and a problem names the file, the event and the line of its field in every format."""

from __future__ import annotations

import io
import json

import orjson
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from invariants.strategies import histories
from ledger.histories import sources
from ledger.histories.convert import convert_fast
from ledger.histories.loader import _event, load_bytes
from ledger.histories.yaml_text import load_yaml
from ledger.model.codec import party_to_dict, to_dict
from ledger.model.problems import InputError


def documents(h) -> dict[str, bytes]:
    """One generated history as YAML (block style), JSON and JSON Lines."""
    header = {"loopledger": 1, "parties": [party_to_dict(p) for p in h.parties]}
    events = [to_dict(e) for e in h.events]
    as_yaml = yaml.safe_dump({**header, "events": events}, sort_keys=False, allow_unicode=True)
    return {
        "yaml": as_yaml.encode(),
        "json": json.dumps({**header, "events": events}, indent=1).encode(),
        "jsonl": b"\n".join([orjson.dumps(header), *(orjson.dumps(e) for e in events)]) + b"\n",
    }


@settings(max_examples=40, deadline=None)
@given(histories())
def test_every_format_gives_the_same_history(h):
    loaded = {fmt: load_bytes(raw, f"h.{fmt}", format=fmt) for fmt, raw in documents(h).items()}
    assert loaded["yaml"].events == loaded["json"].events == loaded["jsonl"].events == h.events
    assert loaded["yaml"].parties == loaded["json"].parties == loaded["jsonl"].parties


MUTATIONS = st.sampled_from(
    [
        ("drop", None),
        ("amount", "1,5B"),
        ("amount", "0"),
        ("amount", "-3"),
        ("amount", 4.5),
        ("amount", "10 EURO"),
        ("date", "2025-13-01"),
        ("date", "20250101"),
        ("id", "bad id"),
        ("party", "Not A Slug"),
        ("extra", "x"),
        ("confidence", "sure"),
        ("binding", "yes"),
        ("shares", "0"),
        # the limits of ids, text and dates, which the fast path must apply as the careful one
        ("id", "e1\n"),
        ("id", "x" * 129),
        ("party", "amd\n"),
        ("note", "red \x1b[31m"),
        ("note", "n" * 10_001),
        ("date", "9999-12-31"),
        ("date", "1899-12-31"),
        ("commitment", "c1 "),
    ]
)


@settings(max_examples=60, deadline=None)
@given(histories(), st.data())
def test_the_fast_converter_accepts_only_what_the_careful_one_does_with_the_same_value(h, data):
    for event in h.events:
        raw = to_dict(event)
        if data.draw(st.booleans()):
            field, value = data.draw(MUTATIONS)
            key = (
                field
                if field in raw or field in ("extra", "binding")
                else data.draw(st.sampled_from(sorted(raw)))
            )
            if field == "drop":
                raw.pop(data.draw(st.sampled_from(sorted(raw))), None)
            else:
                raw[key] = value
        problems: list = []
        careful = _event(raw, 1, "f", "USD", problems)
        fast = convert_fast(raw, "USD")
        assert fast is None or fast == careful, (raw, fast, careful)
        if careful is None:
            assert fast is None and problems


BAD_AT_LINE = {
    "yaml": (
        b"loopledger: 1\nparties:\n  - {id: a, name: A}\n  - {id: b, name: B}\nevents:\n"
        + b"".join(
            f"  - id: e{i}\n    date: 2025-01-01\n    type: price\n    party: a\n    per_share: '1'\n".encode()
            for i in range(3000)
        )
        + b"  - id: bad\n    date: 2025-01-01\n    type: price\n    party: a\n    per_share: 'x1'\n"
    ),
    "jsonl": (
        b'{"loopledger": 1, "parties": [{"id": "a", "name": "A"}]}\n'
        + b"".join(
            orjson.dumps(
                {
                    "id": f"e{i}",
                    "date": "2025-01-01",
                    "type": "price",
                    "party": "a",
                    "per_share": "1",
                }
            )
            + b"\n"
            for i in range(3000)
        )
        + b'{"id": "bad", "date": "2025-01-01", "type": "price", "party": "a", "per_share": "x1"}\n'
    ),
}
BAD_AT_LINE["json"] = json.dumps(
    {
        "loopledger": 1,
        "parties": [{"id": "a", "name": "A"}],
        "events": [
            *(
                {
                    "id": f"e{i}",
                    "date": "2025-01-01",
                    "type": "price",
                    "party": "a",
                    "per_share": "1",
                }
                for i in range(3000)
            ),
            {"id": "bad", "date": "2025-01-01", "type": "price", "party": "a", "per_share": "x1"},
        ],
    },
    indent=2,
).encode()


@pytest.mark.parametrize("fmt", sorted(BAD_AT_LINE))
def test_a_bad_field_is_named_with_its_line_in_every_format(fmt):
    raw = BAD_AT_LINE[fmt]
    expected = next(
        number for number, text in enumerate(raw.decode().splitlines(), start=1) if "x1" in text
    )
    with pytest.raises(InputError) as caught:
        load_bytes(raw, f"h.{fmt}", format=fmt)
    [problem] = caught.value.problems
    assert (problem.event_id, problem.field, problem.position) == ("bad", "per_share", 3001)
    assert problem.line == expected, problem.render()


@settings(max_examples=40, deadline=None)
@given(histories())
def test_the_fast_yaml_path_gives_what_the_careful_loader_gives(h):
    raw = documents(h)["yaml"]
    start = raw.index(b"\nevents:\n") + len(b"\nevents:\n")
    chunk = raw[start:]
    if not chunk.strip():
        return
    fast = sources._rapid(chunk)
    careful = load_yaml(chunk, "h")
    assert fast is None or fast == careful


def test_what_the_fast_yaml_path_declines_goes_to_the_careful_loader():
    tagged = b"- {id: a, note: !!str 12}\n"
    twice = b"- {id: a, id: b}\n"
    floats = b"- {id: a, amount: 4.30}\n"
    assert sources._UNSAFE.search(tagged)
    assert sources._rapid(twice) is None  # a repeated key: the careful loader refuses it
    assert sources._rapid(floats) is None  # a float's text must stay text
    assert load_yaml(floats, "f") == [{"id": "a", "amount": "4.30"}]
    with pytest.raises(InputError, match="duplicate key"):
        load_yaml(twice, "f")


def test_yaml_scalars_are_text_except_true_false_and_null():
    data = load_yaml(b"a: [true, false, null, ~, yes, 0x10, 1_000, 12:30, 4.3, '', 007]\n", "f")
    assert data["a"] == [True, False, None, "~", "yes", "0x10", "1_000", "12:30", "4.3", "", "007"]


def test_json_lines_with_events_under_a_key_is_refused():
    with pytest.raises(InputError, match="one a line"):
        load_bytes(b'{"loopledger": 1, "parties": [], "events": []}\n', "h.jsonl", format="jsonl")


def test_a_stream_is_read_without_holding_it(tmp_path):
    """The streaming source yields events before it has read the whole file."""
    raw = BAD_AT_LINE["jsonl"]
    source = sources.open_source(io.BytesIO(raw), "h.jsonl", "jsonl")
    first = next(source.items)
    assert first.index == 1 and first.line == 2
