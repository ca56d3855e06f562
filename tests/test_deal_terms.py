"""Terms the real 2025–2026 deals need: fact citations, undisclosed values, conditional tranches
with a deadline, stock issued as consideration, funding settled before the history, listings.

Each is checked by hand (its postings worked out below), through the file format and the codec,
and as a law on generated histories that a deliberately broken variant fails.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

import ledger.book.rules as book_rules
from invariants.accounting import global_conservation
from invariants.history import round_trip
from invariants.strategies import histories
from ledger.book import fold
from ledger.histories.loader import load_bytes, load_file
from ledger.model.codec import canonical_dict, content_hash, from_dict, to_dict
from ledger.model.events import Commitment, Investment, Listing, Purchase, ShareIssue, Tranche
from ledger.model.values import Money, Party, Undisclosed
from plugins.audit.flows import PROJECTION as FLOWS
from plugins.audit.flows import layer_edges
from plugins.valuation.positions import PROJECTION as POSITIONS
from plugins.valuation.positions import contingent
from tests.conftest import ROOT

FIND = settings(
    max_examples=3000,
    database=None,
    suppress_health_check=list(HealthCheck),
    deadline=None,
    phases=[Phase.generate],
)
B = Decimal(10) ** 9
D = dt.date

HISTORY = b"""loopledger: 1
parties:
  - {id: amd, name: AMD}
  - {id: openai, name: OpenAI}
  - {id: amazon, name: Amazon}
  - {id: coreweave, name: CoreWeave}
  - {id: microsoft, name: Microsoft}
events:
  - {id: ppa, date: 2025-10-05, type: commitment, payer: openai, payee: amd, amount: undisclosed,
     kind: purchase, capacity_gw: "6", facts: [A01, A02]}
  - id: round
    date: 2026-02-27
    type: commitment
    payer: amazon
    payee: openai
    amount: "50B"
    kind: investment
    tranches:
      - {id: first, amount: "15B"}
      - {id: conditional, amount: "35B", trigger: "an IPO filing", expires: 2028-12-31}
  - {id: paid, date: 2026-03-31, type: investment, investor: amazon, investee: openai,
     amount: "15B", commitment: round, tranche: first}
  - {id: msa, date: 2025-03-07, type: commitment, payer: openai, payee: coreweave, amount: "11.9B",
     kind: compute}
  - {id: stock, date: 2025-03-07, type: share_issue, issuer: coreweave, holder: openai,
     value: "0.35B", shares: 8750000, commitment: msa}
  - {id: m13, date: 2025-09-30, type: commitment, payer: microsoft, payee: openai, amount: "13B",
     kind: investment}
  - {id: funded, date: 2025-09-30, type: investment, investor: microsoft, investee: openai,
     amount: "11.6B", commitment: m13, settlement: prior}
  - {id: s1, date: 2026-06-08, type: listing, party: openai, stage: confidential_filing}
"""


@pytest.fixture(scope="module")
def book_and_entries():
    history = load_bytes(HISTORY, "terms.yaml")
    book, entries, problems = fold(history.events, history.parties)
    assert problems == []
    return history, book, {e.event.id: e for e in entries}


def _legs(entry) -> dict[tuple[str, str, str], Decimal]:
    return {(p.party, p.account, p.commodity): p.quantity for p in entry.postings}


# --- by hand -------------------------------------------------------------------------------------


def test_an_undisclosed_commitment_records_its_gw_and_posts_nothing(book_and_entries):
    history, book, by_id = book_and_entries
    [ppa] = [e for e in history.events if e.id == "ppa"]
    assert isinstance(ppa, Commitment) and ppa.amount == Undisclosed("USD")
    assert ppa.capacity_gw == 6 and ppa.facts == ("A01", "A02")
    assert by_id["ppa"].postings == ()
    assert book.commitments["ppa"].outstanding == 0


def test_an_undisclosed_value_disclosed_later_posts_the_amount():
    history = load_bytes(
        HISTORY + b'  - {id: known, date: 2026-07-01, type: amendment, of: ppa, amount: "60B"}\n',
        "terms.yaml",
    )
    book, entries, problems = fold(history.events, history.parties)
    assert problems == []
    [known] = [e for e in entries if e.event.id == "known"]
    assert _legs(known)[("openai", "liabilities:commitments:amd", "committed:USD")] == -60 * B
    assert book.commitments["ppa"].outstanding == 60 * B


def test_a_trigger_tranche_waits_until_drawn_and_closes_at_its_deadline(book_and_entries):
    history, _, by_id = book_and_entries
    # The $15B drawn from tranche 'first': $35B remain, all of it waiting on the trigger.
    assert _legs(by_id["paid"])[("amazon", "liabilities:commitments:openai", "committed:USD")] == (
        15 * B
    )
    positions = POSITIONS.initial()
    for entry in by_id.values():
        positions = POSITIONS.apply(positions, entry)
    round_ = positions.commitments["round"]
    assert round_.outstanding == 35 * B
    assert contingent(positions, round_) == (35 * B, ("conditional",))
    # A draw after the deadline is refused; the day before it is not.
    late = HISTORY + (
        b"  - {id: x, date: 2029-01-01, type: investment, investor: amazon, investee: openai,"
        b' amount: "35B", commitment: round, tranche: conditional}\n'
    )
    history = load_bytes(late, "terms.yaml")
    _, _, problems = fold(history.events, history.parties)
    assert [p.message for p in problems] == [
        "tranche 'conditional' of 'round' expired on 2028-12-31; it can no longer be drawn"
    ]
    history = load_bytes(late.replace(b"2029-01-01", b"2028-12-31"), "terms.yaml")
    assert fold(history.events, history.parties)[2] == []


def test_stock_issued_as_consideration_moves_no_cash_and_hands_over_a_stake(book_and_entries):
    _, _, by_id = book_and_entries
    legs = _legs(by_id["stock"])
    v = Decimal("0.35") * B
    assert legs == {
        ("openai", "assets:investments:coreweave", "USD"): v,
        ("openai", "income:consideration:coreweave", "USD"): -v,
        ("coreweave", "expenses:consideration:openai", "USD"): v,
        ("coreweave", "equity:paid-in:openai", "USD"): -v,
        ("openai", "assets:shares", "shares:coreweave"): Decimal(8750000),
        ("coreweave", "equity:shares-issued", "shares:coreweave"): Decimal(-8750000),
    }
    # The audit's equity layer shows it issuer → holder; the cash layer not at all.
    flows = FLOWS.initial()
    for entry in by_id.values():
        flows = FLOWS.apply(flows, entry)
    equity = [(e.source, e.target, e.amount) for e in layer_edges(flows, "equity")]
    assert ("coreweave", "openai", v) in equity
    assert not [e for e in layer_edges(flows, "cash") if "stock" in e.event_ids]


def test_funding_settled_before_the_history_draws_the_commitment_without_cash(book_and_entries):
    _, book, by_id = book_and_entries
    a = Decimal("11.6") * B
    legs = _legs(by_id["funded"])
    assert not [k for k in legs if k[1] == "assets:cash"]
    assert legs[("microsoft", "assets:investments:openai", "USD")] == a
    assert legs[("microsoft", "equity:prior:openai", "USD")] == -a
    assert legs[("openai", "equity:prior:microsoft", "USD")] == a
    assert legs[("openai", "equity:paid-in:microsoft", "USD")] == -a
    assert book.commitments["m13"].outstanding == Decimal("1.4") * B


def test_a_listing_is_informational(book_and_entries):
    history, _, by_id = book_and_entries
    [listing] = [e for e in history.events if e.id == "s1"]
    assert isinstance(listing, Listing) and listing.stage == "confidential_filing"
    assert by_id["s1"].postings == ()


# --- the format and the hash ---------------------------------------------------------------------


def test_the_new_terms_round_trip_through_the_codec(book_and_entries):
    history, _, _ = book_and_entries
    for event in history.events:
        assert from_dict(to_dict(event)) == event
    [ppa] = [e for e in history.events if e.id == "ppa"]
    assert to_dict(ppa)["amount"] == "undisclosed USD"
    assert to_dict(ppa)["facts"] == ["A01", "A02"]


# Content hashes of tests/data/every-type.yaml's first 21 events, computed before the terms of
# this file existed: an optional field that is absent must not change what an event is.
PINNED = {
    "ob-openai": "234c6178fb022576c8555f7eb15fba57df0cf2b33f0fc0ab03d912828f24f2f5",
    "loi": "2b3d05d6305ba53108b73dc9117aad4b80f37317b698fe9c0d40d0110acc54aa",
    "inv-t1": "7eeadc5aa45ab262ed56174717e17965cdc8bf99d9580a78549aa44b521bc37f",
    "amd-6gw": "88d74a7b4501c3316e1df49631ab9ce1f58e077c1277dc6fa56a899cbb23af6c",
    "buy-1": "7fe419dfe589663dc5ccceeb4de676bb5d9fd2156be159fde3226f5eadbcfc50",
    "wg": "a5e3935b5eb4724fc1cfb0aca0382fb3901f149c12a2a536bf3167bf155d88e9",
    "px-amd": "b4372fc36933ccb8b42b5d2d824f666da30cf951d105061f371ecfbe0e866068",
    "loan-1": "9c954f6a8f92465e2c5280e2ebd381138dca2c318095ce3bec462d770efb0e59",
    "rev-h1": "a3a77dbc2469c502353cfc75de649144048af751061ea5b937695c391800f45d",
    "amend-loi": "878cfd7307ad1ce70cf414a4d4736fab4133c8866d3a73911f0be30bf6ec6c2d",
    "undo-wrong-buy": "45766fc546d60e392aab91aa66613f9a736e8f2511c067a6e57cc860dc3fc58a",
}


def test_recorded_events_keep_their_content_hashes():
    events = {e.id: e for e in load_file(ROOT / "tests" / "data" / "every-type.yaml").events}
    assert {i: content_hash(events[i]) for i in PINNED} == PINNED
    for event in events.values():
        if event.facts is None:
            assert "facts" not in canonical_dict(event)


@given(histories())
def test_facts_are_content_and_their_absence_is_not(h):
    for event in h.events:
        cited = attrs.evolve(event, facts=("Z99",))
        bare = attrs.evolve(event, facts=None)
        assert content_hash(cited) != content_hash(bare)
        assert "facts" not in canonical_dict(bare)
        assert canonical_dict(cited) == {**canonical_dict(bare), "facts": ["Z99"]}


def test_the_hash_law_catches_a_codec_that_ignores_facts(monkeypatch):
    import attrs as attrs_module

    from ledger.model import codec

    real = codec._generate

    def without_facts(cls):
        made = real(cls)

        def canonical(obj):
            found = made.canonical(obj)
            found.pop("facts", None)
            return found

        return attrs_module.evolve(made, canonical=canonical)

    monkeypatch.setattr(codec, "_generate", without_facts)
    codec._CODECS.clear()
    monkeypatch.setattr(codec, "_CODECS", {})

    def ignored(h) -> bool:
        return any(
            content_hash(attrs.evolve(e, facts=("Z99",)))
            == content_hash(attrs.evolve(e, facts=None))
            for e in h.events
        )

    find(histories(), ignored, settings=FIND)


def _raw(h):
    import orjson

    return [
        (i, orjson.dumps({"k": "event", "r": to_dict(e), "h": content_hash(e), "c": ""}))
        for i, e in enumerate(h.events, 1)
    ]


def test_the_round_trip_law_catches_a_codec_that_drops_undisclosed(monkeypatch):
    from ledger.model import codec

    real = codec.decode_money
    monkeypatch.setattr(
        codec,
        "decode_money",
        lambda text: Money(Decimal(0), "USD") if text.startswith("undisclosed") else real(text),
    )
    monkeypatch.setattr(codec, "_CODECS", {})
    find(histories(), lambda h: bool(round_trip(_raw(h))), settings=FIND)


# --- laws on generated histories -----------------------------------------------------------------


def _entries(h):
    _, entries, problems = fold(h.events, h.parties)
    assert problems == []
    return entries


def _prior_moves_cash(h) -> bool:
    return any(
        p.account == "assets:cash"
        for e in _entries(h)
        if isinstance(e.event, Investment) and e.event.settlement == "prior"
        for p in e.postings
    )


def _undisclosed_posts(h) -> bool:
    return any(
        e.postings
        for e in _entries(h)
        if isinstance(e.event, Commitment) and isinstance(e.event.amount, Undisclosed)
    )


@given(histories())
def test_prior_settlements_and_undisclosed_amounts_move_nothing_they_should_not(h):
    assert not _prior_moves_cash(h)
    assert not _undisclosed_posts(h)
    assert global_conservation(_entries(h)) == []


def test_the_prior_settlement_law_catches_a_book_that_pays_cash_anyway(monkeypatch):
    original = book_rules.HANDLERS[Investment]
    monkeypatch.setitem(
        book_rules.HANDLERS,
        Investment,
        lambda book, e: original(book, attrs.evolve(e, settlement=None)),
    )
    found = find(histories(), _prior_moves_cash, settings=FIND)
    assert any(isinstance(e, Investment) and e.settlement == "prior" for e in found.events)


def test_the_undisclosed_law_catches_a_book_that_books_a_placeholder(monkeypatch):
    original = book_rules.HANDLERS[Commitment]

    def placeholder(book, e):
        if isinstance(e.amount, Undisclosed):
            e = attrs.evolve(e, amount=Money(Decimal(1), e.amount.currency))
        return original(book, e)

    monkeypatch.setitem(book_rules.HANDLERS, Commitment, placeholder)
    find(histories(), _undisclosed_posts, settings=FIND)


def test_conservation_catches_a_share_issue_that_drops_a_leg(monkeypatch):
    original = book_rules.HANDLERS[ShareIssue]
    monkeypatch.setitem(book_rules.HANDLERS, ShareIssue, lambda book, e: original(book, e)[1:])
    found = find(histories(), lambda h: bool(global_conservation(_entries(h))), settings=FIND)
    assert any(isinstance(e, ShareIssue) for e in found.events)


@given(histories())
def test_no_draw_names_a_tranche_after_its_deadline(h):
    deadlines = {
        (e.id, t.id): t.expires
        for e in h.events
        if isinstance(e, Commitment)
        for t in e.tranches
        if t.expires is not None
    }
    for e in h.events:
        if isinstance(e, Investment | Purchase) and e.tranche is not None:
            deadline = deadlines.get((e.commitment, e.tranche))
            assert deadline is None or e.date <= deadline


def test_the_generator_draws_every_new_term():
    """The strategies reach each term, so the laws above are tried on it."""
    seen: set[str] = set()

    def terms(h) -> bool:
        for e in h.events:
            if e.facts:
                seen.add("facts")
            if isinstance(e, Commitment) and isinstance(e.amount, Undisclosed):
                seen.add("undisclosed")
            if isinstance(e, Commitment) and any(t.trigger for t in e.tranches):
                seen.add("trigger")
            if isinstance(e, Investment) and e.settlement == "prior":
                seen.add("prior")
            if isinstance(e, ShareIssue):
                seen.add("share_issue")
            if isinstance(e, Listing):
                seen.add("listing")
        return len(seen) == 6

    find(histories(min_events=20), terms, settings=FIND)


def test_a_tranche_built_in_python_is_checked_like_a_file(book_and_entries):
    history, _, _ = book_and_entries
    bad = Commitment(
        id="py",
        date=D(2026, 1, 1),
        payer="amazon",
        payee="openai",
        amount=Money(2 * B),
        kind="investment",
        tranches=(Tranche(id="t", amount=Money(B), trigger="x", expires=D(2025, 1, 1)),),
    )
    _, _, problems = fold([bad], [Party(id="amazon", name="A"), Party(id="openai", name="O")])
    assert [p.field for p in problems] == ["tranches"]
    assert history.parties  # the module fixture loaded
