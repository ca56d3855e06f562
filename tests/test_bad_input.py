"""Every kind of bad input: one clear message (file, event, line, field, expectation), exit 2, store unchanged."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import attrs
import pytest

from ledger.book import fold
from ledger.model.events import WarrantGrant, WarrantTranche
from ledger.model.values import Money, Party
from ledger.store import Store

BASE = """loopledger: 1
parties:
  - {id: nvidia, name: NVIDIA}
  - {id: openai, name: OpenAI}
  - {id: amd, name: AMD}
events:
  - {id: ob, date: 2025-01-01, type: opening_balance, party: openai, amount: "10B"}
  - {id: ob2, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "10B"}
  - {id: c1, date: 2025-02-01, type: commitment, payer: openai, payee: amd, amount: "20B", kind: purchase, tranches: [{id: t1, amount: "5B"}]}
  - {id: l1, date: 2025-02-01, type: loan, lender: nvidia, borrower: openai, amount: "1B"}
  - {id: d0, date: 2025-02-15, type: delivery, supplier: amd, customer: openai, capacity_gw: 1}
  - id: wg
    date: 2025-02-01
    type: warrant_grant
    issuer: amd
    holder: openai
    shares: 100
    strike: "0.01"
    expiry: 2030-01-01
    tranches: [{id: w1, shares: 40, conditions: [{metric: delivered_gw, at_least: 1}]}, {id: w2, shares: 60, conditions: []}]
  - {id: v1, date: 2025-03-01, type: warrant_vest, grant: wg, tranche: w1}
"""

HEAD = "loopledger: 1\nparties:\n  - {id: nvidia, name: NVIDIA}\n  - {id: openai, name: OpenAI}\n  - {id: amd, name: AMD}\nevents:\n"

CASES = [
    # (case id, file content, expected fragments of the message)
    (
        "party-renamed",
        "loopledger: 1\nparties:\n  - {id: nvidia, name: NVIDIA}\n  - {id: amd, name: AMD Inc}\nevents: []\n",
        ["bad.yaml:4", "field 'parties'", "party 'amd'", "differs in: name", "cannot be edited"],
    ),
    (
        "yaml-syntax",
        HEAD
        + '  - {id: x, date: 2025-01-01, type: price, party: amd, per_share: "1"\n  - oops: [\n',
        ["bad.yaml:", "YAML syntax error"],
    ),
    (
        "unknown-type",
        HEAD + "  - {id: x, date: 2025-01-01, type: gift, party: amd}\n",
        [
            "bad.yaml:7",
            "event 'x'",
            "field 'type'",
            "unknown event type 'gift'",
            "expected one of opening_balance",
        ],
    ),
    (
        "missing-field",
        HEAD
        + "  - {id: x, date: 2025-01-01, type: purchase, buyer: openai, seller: amd, item: GPUs}\n",
        ["bad.yaml:7", "event 'x'", "field 'amount'", "missing"],
    ),
    (
        "unknown-field",
        HEAD
        + '  - id: x\n    date: 2025-01-01\n    type: price\n    party: amd\n    per_share: "1"\n    colour: red\n',
        ["bad.yaml:12", "field 'colour'", "unknown field for price"],
    ),
    (
        "unknown-party",
        HEAD + '  - {id: x, date: 2025-06-01, type: opening_balance, party: intel, amount: "1B"}\n',
        ["bad.yaml:7", "event 'x'", "field 'party'", "unknown party 'intel'"],
    ),
    (
        "negative-amount",
        HEAD + '  - {id: x, date: 2025-06-01, type: opening_balance, party: amd, amount: "-5B"}\n',
        ["event 'x'", "field 'amount'", "expected a positive amount"],
    ),
    (
        "zero-amount",
        HEAD + "  - {id: x, date: 2025-06-01, type: opening_balance, party: amd, amount: 0}\n",
        ["event 'x'", "field 'amount'", "expected a positive amount"],
    ),
    (
        "non-numeric-amount",
        HEAD + "  - {id: x, date: 2025-06-01, type: opening_balance, party: amd, amount: lots}\n",
        ["event 'x'", "field 'amount'", "expected a decimal amount", "'lots'"],
    ),
    (
        "inexact-float",
        HEAD + "  - {id: x, date: 2025-06-01, type: opening_balance, party: amd, amount: 4.3e9}\n",
        ["event 'x'", "field 'amount'", "exponent notation"],
    ),
    (
        "bad-date",
        HEAD + "  - {id: x, date: 2025-02-30, type: opening_balance, party: amd, amount: 1}\n",
        ["bad.yaml:7", "field 'date'", "expected an ISO date", "2025-02-30"],
    ),
    (
        "duplicate-id",
        HEAD
        + "  - {id: x, date: 2025-06-01, type: opening_balance, party: amd, amount: 1}\n  - {id: x, date: 2025-06-02, type: opening_balance, party: nvidia, amount: 1}\n",
        ["bad.yaml:8", "event 'x'", "duplicate id: event #1 already uses it"],
    ),
    (
        "reversal-of-unknown",
        HEAD + "  - {id: x, date: 2025-06-01, type: reversal, of: nope, reason: test}\n",
        ["event 'x'", "field 'of'", "refers to 'nope', which is not an earlier event"],
    ),
    (
        "amendment-of-unknown",
        HEAD + "  - {id: x, date: 2025-06-01, type: amendment, of: nope, amount: 1}\n",
        ["event 'x'", "field 'of'", "refers to 'nope'"],
    ),
    (
        "repayment-of-unknown",
        HEAD + "  - {id: x, date: 2025-06-01, type: repayment, loan: nope, amount: 1}\n",
        ["event 'x'", "field 'loan'", "refers to 'nope'"],
    ),
    (
        "vest-of-unknown",
        HEAD + "  - {id: x, date: 2025-06-01, type: warrant_vest, grant: nope, tranche: w1}\n",
        ["event 'x'", "field 'grant'", "refers to 'nope'"],
    ),
    (
        "tranche-missing",
        HEAD + "  - {id: x, date: 2025-06-01, type: warrant_vest, grant: wg, tranche: w9}\n",
        ["event 'x'", "field 'tranche'", "grant 'wg' has no tranche 'w9'"],
    ),
    (
        "commitment-tranche-missing",
        HEAD
        + "  - {id: x, date: 2025-06-01, type: purchase, buyer: openai, seller: amd, amount: 1, item: GPUs, commitment: c1, tranche: t7}\n",
        ["event 'x'", "field 'tranche'", "commitment 'c1' has no tranche 't7'"],
    ),
    (
        "vest-twice",
        HEAD + "  - {id: x, date: 2025-06-01, type: warrant_vest, grant: wg, tranche: w1}\n",
        ["event 'x'", "already vested by 'v1'", "more shares would vest than were granted"],
    ),
    (
        "exercise-more-than-vested",
        HEAD + "  - {id: x, date: 2025-06-01, type: warrant_exercise, grant: wg, shares: 41}\n",
        ["event 'x'", "field 'shares'", "exercises 41 shares but only 40 are vested"],
    ),
    (
        "negative-strike",
        HEAD
        + '  - {id: x, date: 2025-06-01, type: warrant_grant, issuer: amd, holder: openai, shares: 10, strike: "-0.01", expiry: 2030-01-01, tranches: [{id: all, shares: 10}]}\n',
        ["bad.yaml:7", "event 'x'", "field 'strike'", "expected an amount ≥ 0", "'-0.01'"],
    ),
    (
        "reference-to-later-event",
        HEAD + "  - {id: x, date: 2025-01-15, type: repayment, loan: l1, amount: 1}\n",
        ["event 'x'", "is dated 2025-01-15 but refers to 'l1' dated 2025-02-01"],
    ),
    (
        "world-declared",
        "loopledger: 1\nparties:\n  - {id: world, name: Everyone}\nevents: []\n",
        ["'world' is reserved"],
    ),
    (
        "wrong-version",
        "loopledger: 2\nparties: []\nevents: []\n",
        ["field 'loopledger'", "expected the format version 'loopledger: 1'"],
    ),
    (
        "facts-empty",
        HEAD
        + '  - {id: x, date: 2025-01-01, type: price, party: amd, per_share: "1", facts: []}\n',
        [
            "bad.yaml:7",
            "event 'x'",
            "field 'facts'",
            "expected at least one id; leave the field out",
        ],
    ),
    (
        "facts-repeated",
        HEAD
        + '  - {id: x, date: 2025-01-01, type: price, party: amd, per_share: "1", facts: [P01, P01]}\n',
        ["event 'x'", "field 'facts'", "item #2: 'P01' is listed twice"],
    ),
    (
        "facts-not-a-list",
        HEAD
        + '  - {id: x, date: 2025-01-01, type: price, party: amd, per_share: "1", facts: P01}\n',
        ["event 'x'", "field 'facts'", "expected a list of ids such as [N10, W02]"],
    ),
    (
        "undisclosed-purchase",
        HEAD
        + "  - {id: x, date: 2025-06-01, type: purchase, buyer: openai, seller: amd, amount: undisclosed, item: GPUs}\n",
        ["event 'x'", "field 'amount'", "got 'undisclosed'"],
    ),
    (
        "undisclosed-commitment-with-tranches",
        HEAD
        + '  - {id: x, date: 2025-06-01, type: commitment, payer: openai, payee: amd, amount: undisclosed, kind: purchase, tranches: [{id: t1, amount: "1B"}]}\n',
        ["event 'x'", "field 'tranches'", "a commitment of undisclosed amount takes no tranches"],
    ),
    (
        "undisclosed-bad-currency",
        HEAD
        + '  - {id: x, date: 2025-06-01, type: commitment, payer: openai, payee: amd, amount: "undisclosed usd", kind: purchase}\n',
        [
            "event 'x'",
            "field 'amount'",
            "expected 'undisclosed' or 'undisclosed' and a currency code",
        ],
    ),
    (
        "tranche-condition-and-trigger",
        HEAD
        + '  - {id: x, date: 2025-06-01, type: commitment, payer: amd, payee: openai, amount: "2B", kind: investment, tranches: [{id: t1, amount: "1B", trigger: "an IPO", condition: {delivered_gw: {at_least: 1}}}]}\n',
        ["event 'x'", "field 'tranches'", "has both a condition and a trigger"],
    ),
    (
        "tranche-expires-before-the-commitment",
        HEAD
        + '  - {id: x, date: 2025-06-01, type: commitment, payer: amd, payee: openai, amount: "2B", kind: investment, tranches: [{id: t1, amount: "1B", trigger: "an IPO", expires: 2025-05-01}]}\n',
        [
            "event 'x'",
            "tranche 't1' expires on 2025-05-01, before the commitment's date 2025-06-01",
        ],
    ),
    (
        "draw-after-expiry",
        HEAD
        + '  - {id: c2, date: 2025-06-01, type: commitment, payer: nvidia, payee: openai, amount: "2B", kind: investment, tranches: [{id: t1, amount: "1B", trigger: "an IPO", expires: 2025-12-31}]}\n'
        + '  - {id: x, date: 2026-01-02, type: investment, investor: nvidia, investee: openai, amount: "1B", commitment: c2, tranche: t1}\n',
        [
            "bad.yaml:8",
            "event 'x'",
            "field 'tranche'",
            "tranche 't1' of 'c2' expired on 2025-12-31",
        ],
    ),
    (
        "share-issue-under-another-pair",
        HEAD
        + '  - {id: x, date: 2025-06-01, type: share_issue, issuer: nvidia, holder: openai, value: "1B", commitment: c1}\n',
        ["event 'x'", "field 'commitment'", "'c1' is between openai and amd"],
    ),
    (
        "share-issue-by-world",
        HEAD
        + '  - {id: x, date: 2025-06-01, type: share_issue, issuer: world, holder: openai, value: "1B"}\n',
        ["event 'x'", "field 'issuer'", "'world' neither issues nor holds modelled stock"],
    ),
    (
        "listing-stage",
        HEAD + "  - {id: x, date: 2025-06-01, type: listing, party: openai, stage: ipo}\n",
        [
            "event 'x'",
            "field 'stage'",
            "expected one of confidential_filing, public_filing, priced, trading",
        ],
    ),
    (
        "listing-world",
        HEAD + "  - {id: x, date: 2025-06-01, type: listing, party: world, stage: trading}\n",
        ["event 'x'", "field 'party'", "'world' is not listed"],
    ),
    (
        "settlement-word",
        HEAD
        + '  - {id: x, date: 2025-06-01, type: investment, investor: nvidia, investee: openai, amount: "1B", settlement: cash}\n',
        ["event 'x'", "field 'settlement'", "expected one of prior; got 'cash'"],
    ),
]


@pytest.fixture
def seeded(cli, write, store_path):
    base = write("base.yaml", BASE)
    ran = cli("replay", str(base))
    assert ran.code == 0, ran.err
    return store_path


def _records(path) -> int:
    with Store(str(path)) as store:
        return store.head()[0]


@pytest.mark.parametrize(("case", "content", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_message_exit_2_and_nothing_written(
    cli, write, seeded, case, content, fragments
):
    before = _records(seeded)
    bad = write("bad.yaml", content)
    ran = cli("replay", str(bad))
    assert ran.code == 2, (ran.out, ran.err)
    for fragment in fragments:
        assert fragment in ran.err, (fragment, ran.err)
    assert "nothing was written" in ran.err
    assert _records(seeded) == before


def test_not_utf8(cli, write, seeded):
    before = _records(seeded)
    bad = write(
        "bad.yaml",
        HEAD.encode()
        + b'  - {id: x, date: 2025-01-01, type: price, party: amd, per_share: "1", note: "caf\xe9"}\n',
    )
    ran = cli("replay", str(bad))
    assert ran.code == 2
    assert "bad.yaml:7" in ran.err and "not UTF-8" in ran.err and "0xe9" in ran.err
    assert _records(seeded) == before


def test_empty_file(cli, write, seeded):
    before = _records(seeded)
    ran = cli("replay", str(write("bad.yaml", "  \n")))
    assert ran.code == 2 and "bad.yaml: the file is empty" in ran.err
    assert _records(seeded) == before


def test_one_bad_file_among_good_ones_writes_nothing(cli, write, seeded):
    before = _records(seeded)
    good = write(
        "good.yaml",
        HEAD + "  - {id: g, date: 2025-06-01, type: opening_balance, party: amd, amount: 1}\n",
    )
    bad = write(
        "bad.yaml",
        HEAD + "  - {id: b, date: 2025-06-01, type: opening_balance, party: amd, amount: -1}\n",
    )
    ran = cli("replay", str(good), str(bad))
    assert ran.code == 2 and "bad.yaml" in ran.err
    assert _records(seeded) == before


def test_json_errors_name_the_line(cli, write, seeded):
    bad = write(
        "bad.json",
        '{"loopledger": 1, "parties": [],\n "events": [\n  {"id": "x", "date": "2025-06-01", "type": "opening_balance", "party": "amd", "amount": 1.5e3}\n]}\n',
    )
    ran = cli("replay", str(bad))
    assert ran.code == 2 and "bad.json:3" in ran.err and "exponent notation" in ran.err


def test_every_problem_of_a_file_is_reported_at_once(cli, write, seeded):
    bad = write(
        "bad.yaml",
        HEAD
        + '  - {id: a, date: 2025-13-01, type: price, party: amd, per_share: "1"}\n  - {id: b, date: 2025-01-01, type: nope}\n',
    )
    ran = cli("replay", str(bad))
    assert ran.code == 2 and "event 'a'" in ran.err and "event 'b'" in ran.err


def test_usage_errors_exit_2(cli):
    assert cli("balances", "--as-of", "yesterday").code == 2
    assert cli("no-such-command").code == 2


ZERO_STRIKE = (
    HEAD
    + """  - {id: px, date: 2025-06-01, type: price, party: amd, per_share: "160"}
  - id: g0
    date: 2025-06-01
    type: warrant_grant
    issuer: amd
    holder: openai
    shares: 1000
    strike: "0"
    expiry: 2027-06-01
    tranches: [{id: all, shares: 1000}]
  - {id: v0, date: 2025-06-02, type: warrant_vest, grant: g0, tranche: all}
"""
)


def test_a_zero_strike_warrant_loads_values_and_exercises(cli, write):
    """Strike 0 is a legitimate zero-strike warrant: the loader, the book and valuation agree."""
    ran = cli("replay", str(write("zero.yaml", ZERO_STRIKE)))
    assert ran.code == 0, ran.err
    valued = cli("value", "--json", "--as-of", "2025-06-02", "--party", "openai")
    assert valued.code == 0, valued.err
    [row] = [r for r in json.loads(valued.out)["holdings"] if r["instrument"] == "g0"]
    [tranche] = row["tranches"]
    # A call struck at 0 is the share itself (no dividends): 160 × 1000, exactly.
    assert tranche["assumptions"]["strike"] == "0"
    assert Decimal(tranche["value"]) == Decimal(160_000)
    assert row["intrinsic_at_spot"]["value"] == "160000"
    # The audit's grant-date stake: 1000 × (160 − 0).
    [stake] = json.loads(cli("audit", "--json").out)["warrants"]
    assert (stake["strike"], stake["value"]) == ("0", "160000")
    # Exercising pays nothing and delivers every share.
    exercise = write(
        "ex.yaml",
        HEAD + "  - {id: ex0, date: 2025-06-03, type: warrant_exercise, grant: g0, shares: 1000}\n",
    )
    assert cli("replay", str(exercise)).code == 0
    rows = json.loads(cli("balances", "--json").out)["balances"]
    held = {(r["account"], r["commodity"]): r["amount"] for r in rows if r["party"] == "openai"}
    assert held[("assets:shares", "shares:amd")] == "1000"
    assert ("assets:cash", "USD") not in held


def test_the_book_refuses_a_negative_strike_built_in_python():
    grant = WarrantGrant(
        id="g",
        date=dt.date(2025, 1, 1),
        issuer="amd",
        holder="openai",
        shares=Decimal(10),
        strike=Money(Decimal("-1")),
        expiry=dt.date(2030, 1, 1),
        tranches=(WarrantTranche(id="all", shares=Decimal(10)),),
    )
    parties = [Party(id="amd", name="AMD"), Party(id="openai", name="OpenAI")]
    _, _, problems = fold([grant], parties)
    assert [(p.field, p.message) for p in problems] == [("strike", "expected a strike ≥ 0; got -1")]
    _, _, zero = fold([attrs.evolve(grant, strike=Money(Decimal(0)))], parties)
    assert zero == []


def test_a_shorter_declaration_of_a_recorded_party_is_accepted(cli, write, seeded):
    """Another file may name a recorded party with fewer optional fields: it adds nothing."""
    before = _records(seeded)
    full = write(
        "full.yaml",
        "loopledger: 1\nparties:\n  - {id: intel, name: Intel, ticker: INTC}\nevents: []\n",
    )
    assert cli("replay", str(full)).code == 0
    short = write(
        "short.yaml", "loopledger: 1\nparties:\n  - {id: intel, name: Intel}\nevents: []\n"
    )
    ran = cli("replay", str(short))
    assert ran.code == 0, ran.err
    assert "0 new parties" in ran.out or "0 new" in ran.out
    assert _records(seeded) == before + 1
    changed = write(
        "changed.yaml",
        "loopledger: 1\nparties:\n  - {id: intel, name: Intel, ticker: INTL}\nevents: []\n",
    )
    refused = cli("replay", str(changed))
    assert (
        refused.code == 2
        and "changed.yaml:3" in refused.err
        and "differs in: ticker" in refused.err
    )
