"""The limits of ids, text and dates (ledger/model/limits.py, docs/format.md "Limits") and unknown
top-level keys, on this core's readers and both converters: each kind is one clear message
(file:line, event, field, what was expected), exit 2, and the store exactly as it was."""

from __future__ import annotations

import json

import pytest

from ledger.histories.convert import EVENT_ID, convert_fast
from ledger.histories.loader import _event
from ledger.model.limits import ID_PATTERN, MAX_ID, plain_id
from ledger.store import Store

BASE = """loopledger: 1
parties:
  - {id: nvidia, name: NVIDIA}
  - {id: amd, name: AMD}
events:
  - {id: ob, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "10B"}
  - {id: c1, date: 2025-02-01, type: commitment, payer: nvidia, payee: amd, amount: "2B", kind: purchase, tranches: [{id: t1, amount: "1B"}]}
"""

PARTIES = "loopledger: 1\nparties:\n  - {id: nvidia, name: NVIDIA}\n  - {id: amd, name: AMD}\n"
HEAD = PARTIES + "events:\n"


def _price(**fields: str) -> str:
    base = {"id": "p1", "date": "2025-03-01", "type": "price", "party": "amd", "per_share": '"1"'}
    base.update(fields)
    return HEAD + "  - {" + ", ".join(f"{k}: {v}" for k, v in base.items()) + "}\n"


def _purchase(**fields: str) -> str:
    base = {
        "id": "b1",
        "date": "2025-03-01",
        "type": "purchase",
        "buyer": "nvidia",
        "seller": "amd",
        "amount": '"1B"',
        "item": "GPUs",
        "commitment": "c1",
    }
    base.update(fields)
    return HEAD + "  - {" + ", ".join(f"{k}: {v}" for k, v in base.items()) + "}\n"


CASES = [
    # (case, file name, content, fragments of the one message)
    (
        "event id with a trailing newline",
        "bad.yaml",
        _price(id='"p1\\n"'),
        ["bad.yaml:6", "event #1 field 'id'", "an event id must not start or end with whitespace"],
    ),
    (
        "event id with a trailing space",
        "bad.yaml",
        _price(id='"p1 "'),
        ["bad.yaml:6", "field 'id'", "must not start or end with whitespace"],
    ),
    (
        "event id of 10,000 characters",
        "bad.yaml",
        _price(id="x" * 10_000),
        ["bad.yaml:6", "field 'id'", f"at most {MAX_ID} characters; got 10000"],
    ),
    (
        "event id outside the alphabet",
        "bad.yaml",
        _price(id="é1"),
        ["bad.yaml:6", "field 'id'", "may hold only letters, digits, '-', '_', '.' and ':'"],
    ),
    (
        "reference with a trailing newline",
        "bad.yaml",
        _purchase(commitment='"c1\\n"'),
        [
            "bad.yaml:6",
            "event 'b1'",
            "field 'commitment'",
            "the id of an earlier event must not start or end with whitespace",
        ],
    ),
    (
        "tranche id with a trailing space",
        "bad.yaml",
        HEAD
        + '  - {id: c2, date: 2025-03-01, type: commitment, payer: nvidia, payee: amd, amount: "2B", kind: purchase, tranches: [{id: "t9 ", amount: "1B"}]}\n',
        ["bad.yaml:6", "event 'c2'", "field 'tranches'", "item t9 : id: an id must not"],
    ),
    (
        "party field with a trailing newline",
        "bad.yaml",
        _price(party='"amd\\n"'),
        ["bad.yaml:6", "event 'p1'", "field 'party'", "a party id must not start or end"],
    ),
    (
        "declared party id of 200 characters",
        "bad.yaml",
        PARTIES + "  - {id: " + "a" * 200 + ", name: Long}\nevents: []\n",
        ["bad.yaml:5", "field 'parties'", "party #3: a party id may have at most 128 characters"],
    ),
    (
        "escape sequence in a note",
        "bad.yaml",
        _price(note='"red \\e[31m alert"'),
        ["bad.yaml:6", "event 'p1'", "field 'note'", "holds control characters (U+001B)"],
    ),
    (
        "note longer than 10,000 characters",
        "bad.yaml",
        _price(note="n" * 10_001),
        ["bad.yaml:6", "event 'p1'", "field 'note'", "at most 10,000 characters; got 10,001"],
    ),
    (
        "escape sequence in a party name",
        "bad.yaml",
        'loopledger: 1\nparties:\n  - {id: a, name: "\\e[31mA"}\nevents: []\n',
        ["bad.yaml:3", "field 'name'", "party 'a': the name holds control characters (U+001B)"],
    ),
    (
        "newline in a party name",
        "bad.yaml",
        'loopledger: 1\nparties:\n  - {id: a, name: "A\\nB"}\nevents: []\n',
        ["bad.yaml:3", "field 'name'", "the name holds control characters (U+000A)"],
    ),
    (
        "ticker of 40 characters",
        "bad.yaml",
        "loopledger: 1\nparties:\n  - {id: a, name: A, ticker: " + "T" * 40 + "}\nevents: []\n",
        ["bad.yaml:3", "field 'ticker'", "a ticker may have at most 16 characters; got 40"],
    ),
    (
        "control character in the title",
        "bad.yaml",
        'loopledger: 1\ntitle: "a\\x07b"\nparties: []\nevents: []\n',
        ["bad.yaml:2", "field 'title'", "the title holds control characters (U+0007)"],
    ),
    (
        "currency with a newline",
        "bad.yaml",
        'loopledger: 1\ncurrency: "USD\\n"\nparties: []\nevents: []\n',
        ["bad.yaml:2", "field 'currency'", "expected a three-letter currency code"],
    ),
    (
        "date 9999-12-31",
        "bad.yaml",
        _price(date="9999-12-31"),
        [
            "bad.yaml:6",
            "event 'p1'",
            "field 'date'",
            "expected a date from 1900-01-01 to 2200-12-31; the year 9999 is outside them",
        ],
    ),
    (
        "date 1850-01-01",
        "bad.yaml",
        _price(date="1850-01-01"),
        ["bad.yaml:6", "field 'date'", "the year 1850 is outside them"],
    ),
    (
        "expiry 9999-12-31 in a nested tranche",
        "bad.yaml",
        HEAD
        + '  - {id: c2, date: 2025-03-01, type: commitment, payer: nvidia, payee: amd, amount: "2B", kind: purchase, tranches: [{id: t9, amount: "1B", expires: 9999-12-31}]}\n',
        ["bad.yaml:6", "event 'c2'", "field 'tranches'", "the year 9999 is outside them"],
    ),
    (
        "unknown top-level JSON key after the events",
        "bad.json",
        '{"loopledger": 1,\n "parties": [],\n "events": [],\n "x": ' + "9" * 5000 + "}",
        ["bad.json:4", "field 'x'", "unknown top-level key; expected loopledger, title"],
    ),
    (
        "unknown top-level JSON key after events in a history with events",
        "bad.json",
        json.dumps(
            {
                "loopledger": 1,
                "parties": [{"id": "amd", "name": "AMD"}],
                "events": [
                    {
                        "id": "p1",
                        "date": "2025-03-01",
                        "type": "price",
                        "party": "amd",
                        "per_share": "1",
                    }
                ],
                "colour": "red",
            },
            indent=1,
        ),
        ["bad.json:", "field 'colour'", "unknown top-level key"],
    ),
]


@pytest.fixture
def seeded(cli, write, tmp_path):
    assert cli("replay", str(write("base.yaml", BASE))).code == 0
    return tmp_path / "test.db"


def _head(path) -> tuple:
    with Store(str(path)) as store:
        return tuple(store.head())


@pytest.mark.parametrize(("case", "name", "content", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_a_value_beyond_its_limit_is_one_message_exit_2_and_the_store_unchanged(
    cli, write, seeded, case, name, content, fragments
):
    before = _head(seeded)
    ran = cli("replay", str(write(name, content)))
    assert ran.code == 2, (ran.out, ran.err)
    errors = [line for line in ran.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, ran.err  # one clear message, not one per layer that noticed
    for fragment in fragments:
        assert fragment in errors[0], (fragment, ran.err)
    assert len(errors[0]) < 400, errors[0]  # a huge value is shortened in the message
    assert "nothing was written" in ran.err and "Traceback" not in ran.err
    assert _head(seeded) == before


def test_the_fast_id_pattern_is_the_limit_itself():
    """The generated converters test ids with EVENT_ID; it must accept exactly what check_id does."""
    for value in [
        "a",
        "A-1.b:c_d",
        "x" * MAX_ID,
        "x" * (MAX_ID + 1),
        "a\n",
        " a",
        "a b",
        "é",
        "-a",
    ]:
        assert bool(EVENT_ID.fullmatch(value)) == plain_id(value, ID_PATTERN), value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "p1\n"),
        ("id", "p" * (MAX_ID + 1)),
        ("party", "amd\n"),
        ("note", "a\x1b[31m"),
        ("note", "n" * 10_001),
        ("date", "9999-12-31"),
        ("date", "1899-12-31"),
    ],
)
def test_the_fast_converter_declines_what_the_limits_refuse(field, value):
    """Each limit on the fast path too: it declines (None), the careful converter refuses."""
    raw = {"id": "p1", "date": "2025-03-01", "type": "price", "party": "amd", "per_share": "1"}
    assert convert_fast(raw, "USD") is not None  # the base is valid and fast
    raw[field] = value
    problems: list = []
    assert convert_fast(raw, "USD") is None
    assert _event(raw, 1, "f", "USD", problems) is None and len(problems) == 1, problems


def test_what_is_within_the_limits_is_still_read():
    """The edges themselves are accepted: 128-character ids, 10,000-character notes with
    newlines and tabs, any printable script, the first and last day of the range."""
    raw = {
        "id": "p" * MAX_ID,
        "date": "2200-12-31",
        "type": "price",
        "party": "amd",
        "per_share": "1",
        "note": ("línea\tодин\n" * 1000)[:10_000],
    }
    event = convert_fast(raw, "USD")
    assert event is not None and event.id == "p" * MAX_ID
    problems: list = []
    assert _event({**raw, "date": "1900-01-01"}, 1, "f", "USD", problems) is not None, problems
