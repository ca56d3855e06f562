"""Deal terms are enforced at replay (issue #13, point 2; beancount's strictness is the model).

A vest whose conditions do not hold on its date, a draw on a delivery-gated tranche before its
GW are delivered, a draw beyond what is outstanding, an exercise after expiry: each is refused
(exit 2, naming the event, the condition and what the ledger holds; nothing written) unless the
event says ``override: "<reason>"``, which is recorded and listed by ``verify``. A party paying
cash it does not have — by the events' dates, per day — is refused unless it declares
``allow_overdraft`` with its reason. Before this change every case below was accepted (the
draws silently capped, the vest and the overdraft at most a note from ``verify``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from invariants.accounting import cash_overdrafts
from ledger.book import fold
from ledger.book.cash import daily_cash_moves, overdrafts
from ledger.histories.loader import load_bytes
from ledger.model.postings import Posting
from ledger.store import Store

HEAD = """loopledger: 1
parties:
  - {id: amd, name: AMD}
  - {id: openai, name: OpenAI}
  - {id: nvidia, name: NVIDIA, allow_overdraft: "pays from operating cash flow outside the model"}
events:
  - {id: ob, date: 2025-01-01, type: opening_balance, party: openai, amount: "100B"}
  - id: c1
    date: 2025-10-06
    type: commitment
    payer: openai
    payee: amd
    amount: "90B"
    kind: purchase
    tranches:
      - {id: t1, amount: "30B"}
      - {id: t2, amount: "60B", condition: {metric: delivered_gw, at_least: "1"}}
  - id: g1
    date: 2025-10-06
    type: warrant_grant
    issuer: amd
    holder: openai
    shares: 100
    strike: "0.01"
    expiry: 2026-10-06
    commitment: c1
    tranches:
      - {id: w1, shares: 40, conditions: [{metric: delivered_gw, at_least: "1"}]}
      - {id: w2, shares: 60, conditions: [{metric: share_price, at_least: "600"}]}
"""


def _events(*lines: str) -> str:
    return "loopledger: 1\nparties: []\nevents:\n" + "".join(f"  - {e}\n" for e in lines)


@pytest.fixture
def seeded(cli, write, tmp_path):
    assert cli("replay", str(write("head.yaml", HEAD))).code == 0
    return tmp_path / "test.db"


def _records(path) -> int:
    with Store(str(path)) as store:
        return store.head()[0]


def _refused(cli, write, seeded, *lines: str) -> str:
    before = _records(seeded)
    ran = cli("replay", str(write("more.yaml", _events(*lines))))
    assert ran.code == 2, ran.err
    assert "nothing was written" in ran.err
    assert _records(seeded) == before
    return ran.err


def _accepted(cli, write, seeded, *lines: str) -> str:
    ran = cli("replay", str(write("more.yaml", _events(*lines))))
    assert ran.code == 0, ran.err
    verified = cli("verify")
    assert verified.code == 0, verified.out + verified.err
    return verified.out


VEST_W1 = "{id: v1, date: 2025-11-06, type: warrant_vest, grant: g1, tranche: w1}"
DELIVERY = "{id: d1, date: 2025-11-05, type: delivery, supplier: amd, customer: openai, capacity_gw: 1, commitment: c1}"


def test_a_vest_before_its_delivery_condition_is_refused_naming_what_the_ledger_holds(
    cli, write, seeded
):
    err = _refused(cli, write, seeded, VEST_W1)
    assert "more.yaml:4: event 'v1'" in err
    assert "field 'tranche'" in err
    assert "delivered_gw ≥ 1 (deliveries under 'c1' dated on or before 2025-11-06: 0 GW)" in err
    assert 'override: "<reason>"' in err


def test_a_vest_counts_only_deliveries_dated_by_its_own_date(cli, write, seeded):
    """Recorded first but dated after the vest: the GW had not been delivered by then."""
    late = DELIVERY.replace("2025-11-05", "2025-12-01")
    err = _refused(cli, write, seeded, late, VEST_W1)
    assert "dated on or before 2025-11-06: 0 GW" in err
    _accepted(cli, write, seeded, DELIVERY, VEST_W1)


def test_a_share_price_condition_needs_a_price_at_the_level(cli, write, seeded):
    vest = "{id: v2, date: 2026-03-01, type: warrant_vest, grant: g1, tranche: w2}"
    err = _refused(cli, write, seeded, vest)
    assert "no price of 'amd' recorded on or before 2026-03-01" in err
    low = "{id: px, date: 2026-02-01, type: price, party: amd, per_share: '599.99'}"
    err = _refused(cli, write, seeded, low, vest)
    assert "the last price of 'amd' on or before 2026-03-01: 599.99" in err
    high = "{id: px, date: 2026-02-01, type: price, party: amd, per_share: '600'}"
    _accepted(cli, write, seeded, high, vest)


def test_an_override_records_the_vest_and_verify_lists_it(cli, write, seeded):
    vest = VEST_W1.replace("}", ', override: "vested early by a side letter"}')
    out = _accepted(cli, write, seeded, vest)
    assert (
        "'v1' (warrant_vest, 2025-11-06) is recorded against its deal's terms: vested early by a side letter"
        in out
    )


def test_a_draw_on_a_gated_tranche_before_its_delivery_is_refused(cli, write, seeded):
    draw = "{id: p1, date: 2025-11-01, type: purchase, buyer: openai, seller: amd, amount: 10B, item: GPUs, commitment: c1, tranche: t2}"
    err = _refused(cli, write, seeded, draw)
    assert "event 'p1'" in err and "field 'tranche'" in err
    assert "tranche 't2' of 'c1' falls due when 1 GW are delivered" in err
    assert "dated on or before 2025-11-01 come to 0 GW" in err
    _accepted(cli, write, seeded, DELIVERY, draw.replace("2025-11-01", "2025-11-05"))


def test_a_draw_beyond_what_is_outstanding_is_refused_not_capped(cli, write, seeded):
    draw = "{id: p1, date: 2025-11-01, type: purchase, buyer: openai, seller: amd, amount: 31B, item: GPUs, commitment: c1, tranche: t1}"
    err = _refused(cli, write, seeded, draw)
    assert "draws 31000000000 USD on tranche 't1' of 'c1', which has 30000000000 outstanding" in err
    out = _accepted(cli, write, seeded, draw.replace("}", ', override: "paid extra systems"}'))
    assert "is recorded against its deal's terms: paid extra systems" in out
    assert "drawn 1000000000 beyond its outstanding amount" in out


def test_an_exercise_after_expiry_needs_an_override(cli, write, seeded):
    setup = [DELIVERY, VEST_W1]
    late = "{id: x1, date: 2026-11-01, type: warrant_exercise, grant: g1, shares: 40}"
    err = _refused(cli, write, seeded, *setup, late)
    assert "grant 'g1' expired on 2026-10-06" in err
    _accepted(cli, write, seeded, *setup, late.replace("}", ', override: "extended by agreement"}'))


# --- the cash-cover rule ------------------------------------------------------------------------


def test_paying_cash_a_party_does_not_have_is_refused(cli, write, seeded):
    pay = "{id: p9, date: 2025-12-01, type: purchase, buyer: amd, seller: openai, amount: 1B, item: services}"
    err = _refused(cli, write, seeded, pay)
    assert "more.yaml:4: event 'p9' field 'amount': amd would pay USD cash it does not have" in err
    assert "goes below zero on 2025-12-01 (lowest -1000000000)" in err
    assert "allow_overdraft" in err


def test_cash_is_counted_by_date_not_by_recording_order(cli, write, seeded):
    pay = "{id: p9, date: 2025-12-01, type: purchase, buyer: amd, seller: openai, amount: 1B, item: services}"
    late = "{id: ob2, date: 2025-12-02, type: opening_balance, party: amd, amount: 1B}"
    _refused(cli, write, seeded, late, pay)  # the money arrives a day after it is spent
    same_day = late.replace("2025-12-02", "2025-12-01")
    _accepted(cli, write, seeded, pay, same_day)  # a day's moves net (per day, as --as-of)


PAY_60B_IN_DECEMBER = "{id: p1, date: 2025-12-01, type: purchase, buyer: openai, seller: amd, amount: 60B, item: GPUs}"


def test_a_backdated_payment_that_overdraws_a_later_day_is_refused(cli, write, seeded):
    """OpenAI holds 100B; 60B paid in December is fine, 50B more backdated to November is
    fine on its own day but leaves December below zero."""
    _accepted(cli, write, seeded, PAY_60B_IN_DECEMBER)
    err = _refused(
        cli,
        write,
        seeded,
        "{id: p2, date: 2025-11-01, type: purchase, buyer: openai, seller: amd, amount: 50B, item: GPUs}",
    )
    assert "event 'p2'" in err and "goes below zero on 2025-12-01 (lowest -10000000000)" in err


def test_reversing_the_money_a_payment_rested_on_is_refused(cli, write, seeded):
    _accepted(cli, write, seeded, PAY_60B_IN_DECEMBER)
    err = _refused(
        cli, write, seeded, '{id: rv, date: 2025-12-05, type: reversal, of: ob, reason: "test"}'
    )
    assert "openai would pay USD cash it does not have" in err


def test_a_declared_overdraft_is_accepted_and_verify_says_why(cli, write, seeded):
    pay = "{id: p9, date: 2025-12-01, type: purchase, buyer: nvidia, seller: openai, amount: 1B, item: services}"
    out = _accepted(cli, write, seeded, pay)
    assert (
        "nvidia's USD cash goes below zero from 2025-12-01 ('p9'; lowest -1000000000), as its declaration allows: pays from operating cash flow outside the model"
        in out
    )


@pytest.mark.parametrize("value", ["''", "{a: 1}", "[a]"])
def test_allow_overdraft_must_give_a_reason(cli, write, value):
    text = f"loopledger: 1\nparties:\n  - {{id: amd, name: AMD, allow_overdraft: {value}}}\nevents: []\n"
    ran = cli("replay", str(write("p.yaml", text)))
    assert ran.code == 2
    assert "p.yaml:3: field 'allow_overdraft': party 'amd': expected the reason" in ran.err


def test_the_bundled_history_declares_each_overdraft_it_needs_with_a_reason(example):
    history = load_bytes(example.read_bytes(), example.name)
    declared = {p.id: p.allow_overdraft for p in history.parties if p.allow_overdraft}
    assert sorted(declared) == ["amazon", "google", "nvidia", "softbank"]
    assert all(len(reason) > 40 for reason in declared.values())
    _, entries, problems = fold(history.events, history.parties)
    assert problems == []
    assert cash_overdrafts(entries, declared) == []  # none undeclared
    notes = cash_overdrafts(entries, declared, declared=True)
    assert sorted(v.message.split("'")[0] for v in notes) == sorted(declared)


def test_the_rule_is_per_day_and_catches_a_variant_that_checks_only_the_end():
    """The pure rule: the lowest end-of-day balance, not the final one. A variant that sums
    everything and checks the total (the easy reading) misses a day below zero."""
    d = dt.date
    moves = [
        (d(2025, 1, 2), (Posting("a", "assets:cash", "USD", Decimal(-5)),)),
        (d(2025, 1, 1), (Posting("a", "assets:cash", "USD", Decimal(3)),)),
        (d(2025, 1, 3), (Posting("a", "assets:cash", "USD", Decimal(10)),)),
    ]
    found = overdrafts(daily_cash_moves(moves))
    assert [(o.party, o.day, o.lowest) for o in found] == [("a", d(2025, 1, 2), Decimal(-2))]
    total = sum(p.quantity for _, ps in moves for p in ps)
    assert total >= 0  # the end-only variant would say nothing


@pytest.mark.parametrize("first", ["nothing", "a party"])
def test_an_import_into_an_empty_store_is_held_to_the_same_rule(cli, write, first):
    """Into an empty store the rule runs on the day sums gathered while reading (no second
    pass over the postings); into one that holds records, over the stored postings. Both
    refuse the same payment, by date, and accept it once it is funded that day."""
    if first == "a party":
        other = "loopledger: 1\nparties: [{id: zz, name: ZZ}]\nevents: []\n"
        assert cli("replay", str(write("other.yaml", other))).code == 0
    text = """loopledger: 1
parties: [{id: amd, name: AMD}, {id: openai, name: OpenAI}]
events:
  - {id: p9, date: 2025-12-01, type: purchase, buyer: amd, seller: openai, amount: 1B, item: services}
  - {id: ob, date: 2025-12-02, type: opening_balance, party: amd, amount: 1B}
"""
    ran = cli("replay", str(write("h.yaml", text)))
    assert ran.code == 2
    assert "h.yaml:4: event 'p9' field 'amount': amd would pay USD cash it does not have" in ran.err
    assert "goes below zero on 2025-12-01 (lowest -1000000000)" in ran.err
    funded = text.replace("2025-12-02", "2025-12-01")
    assert cli("replay", str(write("h.yaml", funded))).code == 0


def test_reversing_the_delivery_a_stored_vest_rested_on_is_refused(cli, write, seeded):
    """Found by review: the vest held when it was recorded; a later reversal of its delivery
    must be refused naming the vest (the store would no longer fold), not accepted."""
    _accepted(cli, write, seeded, DELIVERY, VEST_W1)
    err = _refused(
        cli, write, seeded, '{id: rd, date: 2025-12-01, type: reversal, of: d1, reason: "test"}'
    )
    assert "event 'v1'" in err and "delivered_gw ≥ 1" in err
    assert "once 'rd' reversing 'd1' is recorded" in err
    assert cli("verify").code == 0


def test_a_partys_overdraft_reason_is_shown_where_the_party_is(cli, seeded, tmp_path):
    """allow_overdraft waives a check, so a reader must see it: in ``parties`` (every output)
    and on the parties and party pages of the web face and the HTML report. (This history has
    no notes: before, the report raised on the first event without one.)"""
    import json

    ran = cli("parties", "--json")
    assert ran.code == 0, ran.err
    reasons = {p["id"]: p["allow_overdraft"] for p in json.loads(ran.out)["parties"]}
    assert reasons == {
        "amd": None,
        "openai": None,
        "nvidia": "pays from operating cash flow outside the model",
    }
    ran = cli("parties", "-O", "csv")
    assert "allow_overdraft" in ran.out.splitlines()[0]
    assert "pays from operating cash flow outside the model" in ran.out
    out = tmp_path / "out"
    ran = cli("report", "--format", "html", "--out", str(out))
    assert ran.code == 0, ran.err
    page = (out / "report.html").read_text("utf-8")
    parties = page[page.index('id="parties"') :]
    assert "pays from operating cash flow outside the model" in parties[: parties.index("</table>")]
    party = page[page.index('id="party-nvidia"') :]
    assert "May overdraw its cash" in party[:3000]
    assert "May overdraw its cash" not in page[page.index('id="party-amd"') :][:3000]


@pytest.mark.tools
def test_an_override_travels_into_every_journal_export_and_the_tools_accept_it(
    cli, write, seeded, tmp_path
):
    """An override is why an auditor looks twice: the journals carry it beside id and source,
    and hledger, ledger-cli and beancount still read the file."""
    from tests.support.tools import beancount_balances, hledger_balances, ledger_balances

    draw = '{id: p1, date: 2025-11-01, type: purchase, buyer: openai, seller: amd, amount: 31B, item: GPUs, commitment: c1, tranche: t1, override: "paid extra systems"}'
    _accepted(cli, write, seeded, draw)
    for fmt, suffix, read in (
        ("hledger", ".journal", hledger_balances),
        ("ledger", ".ledger", ledger_balances),
        ("beancount", ".beancount", beancount_balances),
    ):
        ran = cli("export", "--format", fmt)
        assert ran.code == 0, ran.err
        block = ran.out[ran.out.index("p1") - 300 :][:1200]
        assert "override" in block and "paid extra systems" in block, fmt
        path = tmp_path / f"out{suffix}"
        path.write_text(ran.out)
        assert read(path), fmt  # the tool accepts the file (it raises on an error)
