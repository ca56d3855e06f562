"""Amounts that cannot be misread: every ambiguous way of writing a number is refused (exit 2,
why and what to write instead, nothing written); the unambiguous ones are exact."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from ledger.store import Store

MAX_INTEGER_DIGITS, MONEY_PLACES = 18, 6  # ledger.model.limits (checked below)

HEAD = "loopledger: 1\nparties:\n  - {id: amd, name: AMD}\nevents:\n"


def _one(amount: str) -> str:
    return (
        HEAD
        + f"  - {{id: x, date: 2025-06-01, type: opening_balance, party: amd, amount: {amount}}}\n"
    )


ACCEPTED = [
    ('"1,000"', "1000"),
    ('"1,000,000"', "1000000"),
    ('"1,234.5"', "1234.5"),
    ('"12,345,678.90"', "12345678.90"),
    ('"1_000_000"', "1000000"),
    ("1_000", "1000"),  # YAML reads it as 1000; the source text is judged: groups of three
    ('"1,500B"', "1500000000000"),
    ('"4.3B"', "4300000000"),
    ("160000000", "160000000"),
    ('"0.000001"', "0.000001"),  # six places: sub-cent share prices
]

REFUSED = [
    # (written in the file, fragments of the message: why, and what to write)
    ('"1,5B"', ["never as a decimal comma", 'write a point ("1.5B")']),
    ('"12,34"', ["never as a decimal comma", '("12.34")', "group by three (1,234)"]),
    ('"1,0000"', ["groups of three", '("1.0000")', "(10,000)"]),
    ('"1,00,000"', ["thousands separator between groups of three"]),
    ('"1,000_000"', ["mixes ',' and '_'"]),
    ('"1_0"', ["'_' is accepted only as a thousands separator"]),
    ("1_0", ["'_' is accepted only as a thousands separator"]),
    ('"1,"', ["thousands separator"]),
    ('"١٢٣"', ["digits other than 0-9", "arabic-indic", "ASCII digits 0-9"]),
    ('"１２３"', ["digits other than 0-9", "fullwidth", "ASCII digits 0-9"]),
    ('"१२३"', ["digits other than 0-9", "devanagari"]),
    ("017", ["leading zero", "YAML 1.1 reads as an octal number", "(17)"]),
    # quoted too: the readers keep plain scalars as text, so 017 and "017" arrive alike
    ('"017"', ["leading zero", "(17)"]),
    ("0x1F", ["hexadecimal, octal or binary literal"]),
    ("0b101", ["hexadecimal, octal or binary literal"]),
    ('"0o17"', ["hexadecimal, octal or binary literal"]),
    ("1:30", ["sexagesimal"]),
    ("190:20:30", ["sexagesimal"]),
    ("1:30.5", ["sexagesimal"]),
    ("4.3e9", ["exponent notation"]),
    ('"1' + "0" * 20 + '"', ["too large (21 digits)", f"at most {MAX_INTEGER_DIGITS} digits"]),
    ("1" + "0" * 400, ["401 characters, more than the 64"]),
    ("1" + "0" * 5000, ["5,001 characters, more than the 64"]),
    ('"0.1234567"', ["7 digits after the point", f"at most {MONEY_PLACES}"]),
    ('"0.1' + "0" * 30 + '1"', ["32 digits after the point"]),
    (".inf", ["expected a decimal amount"]),
    (".nan", ["expected a decimal amount"]),
    ('"1.5 B B"', ["expected a decimal amount"]),
]


def _count(path) -> int:
    with Store(str(path)) as store:
        return store.head()[0]


@pytest.mark.parametrize(("written", "value"), ACCEPTED, ids=[a for a, _ in ACCEPTED])
def test_an_unambiguous_amount_is_exact(cli, write, store_path, written, value):
    ran = cli("replay", str(write("ok.yaml", _one(written))))
    assert ran.code == 0, ran.err
    events = json.loads(cli("events", "--json").out)["events"]
    assert events[0]["amount"] == f"{value} USD"


@pytest.mark.parametrize(("written", "fragments"), REFUSED, ids=[r[0][:20] for r in REFUSED])
def test_an_ambiguous_amount_is_refused_saying_why(cli, write, store_path, written, fragments):
    cli(
        "replay",
        str(
            write(
                "seed.yaml",
                HEAD + "  - {id: s, date: 2025-01-01, type: price, party: amd, per_share: 1}\n",
            )
        ),
    )
    before = _count(store_path)
    ran = cli("replay", str(write("bad.yaml", _one(written))))
    assert ran.code == 2, (written, ran.out, ran.err)
    assert "Traceback" not in ran.err and len(ran.err) < 2_000
    assert "bad.yaml:5: event 'x' (event #1) field 'amount'" in ran.err, ran.err
    for fragment in fragments:
        assert fragment in ran.err, (fragment, ran.err)
    assert "nothing was written" in ran.err
    assert _count(store_path) == before


def test_json_amounts_follow_the_same_rules(cli, write):
    doc = (
        '{"loopledger": 1, "parties": [{"id": "amd", "name": "AMD"}], "events": [\n'
        '{"id": "a", "date": "2025-06-01", "type": "opening_balance", "party": "amd", "amount": "1,5B"},\n'
        '{"id": "b", "date": "2025-06-01", "type": "opening_balance", "party": "amd", "amount": '
        + "9"
        * 5000
        + "},\n"
        '{"id": "c", "date": "2025-06-01", "type": "opening_balance", "party": "amd", "amount": "1,000"}\n'
        "]}\n"
    )
    ran = cli("replay", str(write("bad.json", doc)))
    assert ran.code == 2 and "Traceback" not in ran.err
    assert "bad.json:2: event 'a'" in ran.err and "decimal comma" in ran.err
    assert "bad.json:3: event 'b'" in ran.err and "characters" in ran.err
    assert "event 'c'" not in ran.err  # 1,000 is a correct thousands separator


def test_shares_and_capacity_have_their_own_places(cli, write):
    grant = (
        HEAD.replace("events:\n", "  - {id: openai, name: OpenAI}\nevents:\n")
        + '  - {id: g, date: 2025-06-01, type: warrant_grant, issuer: amd, holder: openai, shares: "1.1234567", strike: 0, expiry: 2030-01-01, tranches: [{id: t, shares: "1.1234567"}]}\n'
        + '  - {id: d, date: 2025-06-01, type: delivery, supplier: amd, customer: openai, capacity_gw: "0.0000001"}\n'
    )
    ran = cli("replay", str(write("bad.yaml", grant)))
    assert ran.code == 2
    assert "field 'shares': '1.1234567' has 7 digits after the point; at most 6" in ran.err
    assert "field 'capacity_gw': '0.0000001' has 7 digits after the point; at most 6" in ran.err


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (10**18, "too large"),
        (10**5000, "too large"),
        (Decimal("1E+400"), "too large (401 digits)"),
        (Decimal("1E-40"), "40 digits after the point"),
        ("017", "leading zero"),
        ("1,5", "decimal comma"),
        (1.5, "binary float"),
        (True, "boolean"),
        (Decimal("NaN"), "expected a decimal amount"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, int) else str(v)[:20],
)
def test_the_python_api_applies_the_same_bounds(value, fragment):
    from ledger.model.amounts import AmountError, parse_decimal

    with pytest.raises(AmountError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        parse_decimal(value)


def test_limits_hold_every_digit_they_accept():
    from ledger.model import limits
    from ledger.model.amounts import parse_decimal

    assert (limits.MAX_INTEGER_DIGITS, limits.MONEY_PLACES) == (MAX_INTEGER_DIGITS, MONEY_PLACES)
    assert parse_decimal("999,999,999,999,999,999") == Decimal(10**18 - 1)
    assert parse_decimal("0.123456789012") == Decimal("0.123456789012")
    assert parse_decimal("0.000001", places=MONEY_PLACES) == Decimal("0.000001")


# Text an amount field may hold: the common forms and their near misses (foreign digits, leading
# zeros, too many places or digits, separators, signs, suffixes in either case).
_AMOUNT_TEXT = st.text(alphabet="0123456789.,_+-KMBTkmbt \u0663\uff11", max_size=24)
_AMOUNTISH = st.one_of(
    _AMOUNT_TEXT,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.from_regex(r"\A(0|[1-9][0-9]{0,19})(\.[0-9]{0,14})?[KMBT]?\Z"),
)


def _agrees(common, value, places) -> bool:
    from ledger.model.amounts import AmountError, parse_decimal

    fast = common(value, places)
    if fast is None:
        return True
    try:
        careful = parse_decimal(value, places=places)
    except AmountError:
        return False
    return fast == careful and str(fast) == str(careful)


@settings(max_examples=400, deadline=None)
@given(_AMOUNTISH, st.sampled_from([MONEY_PLACES, 12]))
def test_the_fast_amount_path_accepts_only_what_the_careful_one_does(value, places):
    """The generated converters call parse_common first: it may decline (the careful path then
    decides and explains) but never accept a value the careful path refuses or reads otherwise."""
    from ledger.model.amounts import parse_common

    assert _agrees(parse_common, value, places), value


def test_the_agreement_property_catches_the_fast_path_without_the_new_bounds():
    """The broken variant: main's earlier fast path (any Unicode digit, leading zeros, ten places
    whatever the field, no bound after a suffix) — generation alone finds where it disagrees."""
    import re

    from ledger.model.amounts import SCALES, _minimal_scale

    loose = re.compile(r"(\d{1,18})(\.\d{1,10})?([KMBT])?")

    def old_common(value, places):
        if type(value) is int:
            return Decimal(value) if -(10**18) < value < 10**18 else None
        if type(value) is not str or loose.fullmatch(value) is None:
            return None
        if value[-1] in SCALES:
            return _minimal_scale(Decimal(value[:-1]) * SCALES[value[-1]])
        return Decimal(value)

    found = find(
        st.tuples(_AMOUNTISH, st.sampled_from([MONEY_PLACES, 12])),
        lambda vp: not _agrees(old_common, *vp),
        settings=settings(phases=[Phase.generate], max_examples=5_000, database=None),
    )
    assert not _agrees(old_common, *found)


@pytest.mark.parametrize(
    "value", ["10000000000000000T", "99999999999999999999T", "1" + "0" * 25 + "B"]
)
def test_a_suffix_beyond_the_context_precision_is_refused_not_a_traceback(value):
    """Found by the agreement property: 10^16 T is 29 digits, and making it whole raised
    decimal.InvalidOperation on both paths (a traceback for the user)."""
    from ledger.model.amounts import AmountError, parse_common, parse_decimal

    assert parse_common(value, 6) is None
    with pytest.raises(AmountError, match="too large"):
        parse_decimal(value, places=6)
