"""Balance assertions (``type: assert_balance``): a history whose assertions hold replays; one
that fails exits 1 naming the assertion and writes nothing; verify names one the store breaks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest
from hypothesis import given

from invariants.strategies import histories
from ledger.book.assertions import failed_assertions
from ledger.engine import Engine
from ledger.histories.loader import load_file
from ledger.histories.recording import replay
from ledger.model.codec import chain_hash, content_hash
from ledger.model.events import AssertBalance, Purchase
from ledger.model.problems import AssertionsFailed
from ledger.model.values import Money
from ledger.store import Record, Store

HISTORY = """loopledger: 1
parties:
  - {{id: nvidia, name: NVIDIA}}
  - {{id: openai, name: OpenAI}}
events:
  - {{id: ob, date: 2025-01-01, type: opening_balance, party: openai, amount: "10B"}}
  - {{id: buy, date: 2025-02-01, type: purchase, buyer: openai, seller: nvidia, amount: "4B", item: GPUs}}
  - {{id: check-cash, date: 2025-02-01, type: assert_balance, party: openai, account: assets:cash, commodity: USD, amount: "{cash}"}}
  - {{id: check-sales, date: 2025-03-01, type: assert_balance, party: nvidia, account: "income:sales:openai", commodity: USD, amount: "-4B"}}
"""


def positions(url: str) -> int:
    with Store(url) as store:
        return store.head()[0]


def test_a_history_whose_assertions_hold_replays(cli, write, store_path):
    ran = cli("replay", str(write("ok.yaml", HISTORY.format(cash="6B"))))
    assert ran.code == 0, ran.err
    assert "4 new" in ran.out
    assert cli("verify").code == 0


def test_a_failing_assertion_exits_1_naming_it_and_writes_nothing(cli, write, store_path, example):
    assert cli("replay", str(example)).code == 0
    before = positions(str(store_path))
    bad = write("bad.yaml", HISTORY.format(cash="6000000000.01"))
    ran = cli("replay", str(bad))
    assert ran.code == 1, ran.err
    assert f"{bad}:8: event 'check-cash': balance assertion 'check-cash' fails" in ran.err
    assert "is 6000000000 as of 2025-02-01, asserted 6000000000.01" in ran.err
    assert "check-sales" not in ran.err  # the one that holds is not named
    assert "nothing was written" in ran.err
    assert positions(str(store_path)) == before


def test_a_later_backdated_event_that_breaks_an_assertion_is_refused(cli, write):
    assert cli("replay", str(write("ok.yaml", HISTORY.format(cash="6B")))).code == 0
    late = write(
        "late.yaml",
        "loopledger: 1\nevents:\n  - {id: late, date: 2025-01-15, type: purchase, buyer: openai,"
        ' seller: nvidia, amount: "1B", item: GPUs}\n',
    )
    ran = cli("replay", str(late))
    assert ran.code == 1
    assert "balance assertion 'check-cash' fails" in ran.err
    assert "balance assertion 'check-sales' fails" in ran.err


def test_verify_names_an_assertion_the_stored_history_breaks(cli, write, store_path):
    assert cli("replay", str(write("ok.yaml", HISTORY.format(cash="6B")))).code == 0
    # Recorded below the API (no assertion check), as another tool writing the store might.
    late = Purchase(
        id="late",
        date=dt.date(2025, 1, 15),
        buyer="openai",
        seller="nvidia",
        amount=Money(Decimal(10) ** 9),
        item="GPUs",
    )
    # Replay itself refuses it (its transaction checks the assertions), so it goes in
    # through the store's own append, with its postings, as a replay would have written them.
    history = attrs.evolve(
        load_file(write("x.yaml", "loopledger: 1\nevents: []\n")), events=(late,)
    )
    with Store(str(store_path)) as store:
        with pytest.raises(AssertionsFailed, match="check-cash"):
            replay(Engine(store), [history])
        head, chain = store.head()
        at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        digest = content_hash(late)
        book, _ = Engine(store).book_at_head(None)
        postings, refused = book.apply(late, head + 1, digest)
        assert not refused
        record = Record("event", late, digest, chain_hash(chain, digest, at), head + 1, at)
        store.append([record], head, [(head + 1, digest, postings)])
    ran = cli("verify")
    assert ran.code == 1
    assert "FAIL balance-assertions" in ran.out
    assert "balance assertion 'check-cash' fails: openai assets:cash USD is 5000000000" in ran.out


def test_a_bad_assertion_field_is_bad_input(cli, write):
    text = HISTORY.format(cash="6B").replace("account: assets:cash", "account: 'Assets Cash'")
    ran = cli("replay", str(write("bad.yaml", text)))
    assert ran.code == 2
    assert "field 'account': expected an account such as assets:cash" in ran.err


@given(histories(min_events=3))
def test_generated_assertions_hold_and_a_changed_amount_is_caught(history):
    assert failed_assertions(history.events) == []
    asserted = [i for i, e in enumerate(history.events) if isinstance(e, AssertBalance)]
    for i in asserted[:2]:
        events = list(history.events)
        e = events[i]
        events[i] = attrs.evolve(e, amount=e.amount + Decimal("0.01"))
        failed = failed_assertions(events)
        reversed_ids = {x.of for x in events if getattr(x, "of", None) and x.TYPE == "reversal"}
        assert [f.assertion.id for f in failed] == ([] if e.id in reversed_ids else [e.id])


def test_the_replay_check_holds_one_sum_per_asserted_key_and_day_not_per_event():
    """What the streaming check keeps: a Decimal per asserted key and date, however many
    postings it is fed — and it still finds a cent that is off."""
    from ledger.book.assertions import DatedSums
    from ledger.model.postings import Posting

    check = AssertBalance(
        id="a",
        date=dt.date(2025, 3, 1),
        party="p0",
        account="assets:cash",
        commodity="USD",
        amount=Decimal("20000.00"),
    )
    sums = DatedSums([check])
    for i in range(20_000):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=i % 90)
        sums.feed(day, [Posting(f"p{i % 50}", "assets:cash", "USD", Decimal("50.00"))])
    assert list(sums.sums) == [("p0", "assets:cash", "USD")]  # the asserted key alone
    assert len(sums.sums[("p0", "assets:cash", "USD")]) == len(
        {i % 90 for i in range(0, 20_000, 50)}
    )
    # p0 gets 400 postings over the 90 days; those dated on or before 1 March: 60 of 90 days.
    expected = sum(Decimal("50.00") for i in range(0, 20_000, 50) if i % 90 < 60)
    failed = sums.failed()
    assert [f.actual for f in failed] == ([] if expected == check.amount else [expected])
    exact = DatedSums([attrs.evolve(check, amount=expected)])
    for i in range(0, 20_000, 50):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=i % 90)
        exact.feed(day, [Posting("p0", "assets:cash", "USD", Decimal("50.00"))])
    assert exact.failed() == []
    exact.feed(dt.date(2025, 2, 1), [Posting("p0", "assets:cash", "USD", Decimal("0.01"))])
    assert [f.difference for f in exact.failed()] == [Decimal("0.01")]


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "memory"])
def test_assertions_are_checked_inside_the_transaction_on_every_store(
    backend, request, tmp_path, write
):
    """The check reads the postings just written through the replay's own transaction: a
    failing assertion leaves every kind of store empty, a holding one is recorded."""
    url = {
        "sqlite": lambda: str(tmp_path / "a.db"),
        "postgres": lambda: request.getfixturevalue("pg_store_url"),
        "memory": lambda: "memory:",
    }[backend]()
    with Store(url) as store:
        with pytest.raises(AssertionsFailed, match="check-cash"):
            replay(Engine(store), [write("bad.yaml", HISTORY.format(cash="6000000000.01"))])
        assert store.head()[0] == 0
        replay(Engine(store), [write("ok.yaml", HISTORY.format(cash="6B"))])
        assert store.head()[0] == 6
