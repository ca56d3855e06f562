"""Replay of every event type from YAML and JSON; balanced postings; idempotency; conflicts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.book import fold
from ledger.histories.loader import load_file
from ledger.model.events import EVENT_TYPES
from ledger.model.postings import sums_by_commodity

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["every-type.yaml", "every-type.json"])
def test_every_event_type_replays_and_each_event_balances_per_commodity(cli, name):
    ran = cli("replay", str(DATA / name))
    assert ran.code == 0, ran.err
    assert "28 new, 0 already present, 4 new parties" in ran.out
    events = json.loads(cli("events", "--json").out)["events"]
    assert {e["type"] for e in events} == set(EVENT_TYPES)
    for e in events:
        totals: dict[str, Decimal] = {}
        for p in e["postings"]:
            totals[p["commodity"]] = totals.get(p["commodity"], Decimal(0)) + Decimal(p["quantity"])
        assert all(v == 0 for v in totals.values()), (e["id"], totals)
    # Types that move something post at least two legs; informational ones post none.
    posted = {e["type"] for e in events if e["postings"]}
    assert posted == set(EVENT_TYPES) - {
        "price",
        "revenue_report",
        "listing",
        "reversal",
        "assert_balance",
    }


def test_yaml_and_json_give_identical_balances(cli, tmp_path):
    a = cli("--store", str(tmp_path / "a.db"), "replay", str(DATA / "every-type.yaml"))
    b = cli("--store", str(tmp_path / "b.db"), "replay", str(DATA / "every-type.json"))
    assert a.code == b.code == 0
    ja = cli("--store", str(tmp_path / "a.db"), "balances", "--json").out
    jb = cli("--store", str(tmp_path / "b.db"), "balances", "--json").out
    assert ja == jb


def test_reference_postings_by_hand():
    """A few postings worked out by hand, so the scheme itself is pinned down."""
    h = load_file(DATA / "every-type.yaml")
    _, entries, problems = fold(h.events, h.parties)
    assert problems == []
    by_id = {e.event.id: e for e in entries}
    # Purchase 2.5B drawn from the 20B AMD commitment: outstanding falls by 2.5B.
    buy = {(p.party, p.account): p.quantity for p in by_id["buy-1"].postings}
    assert buy[("openai", "assets:cash")] == Decimal("-2500000000")
    assert buy[("amd", "income:sales:openai")] == Decimal("-2500000000")
    assert buy[("openai", "liabilities:commitments:amd")] == Decimal("2500000000")
    # Cashless exercise of 6,000,000 at strike 0.01 with AMD at 253:
    # net shares = 6,000,000 × (253 − 0.01) / 253 = 5,999,762.845… → 5,999,762 (fraction forfeited).
    ex = {(p.party, p.account, p.commodity): p.quantity for p in by_id["ex-2"].postings}
    assert ex[("openai", "assets:shares", "shares:amd")] == Decimal("5999762")
    # Repayment of 1.05B on a 1B loan: 1B principal + 0.05B interest.
    rep = {(p.party, p.account): p.quantity for p in by_id["rep-1"].postings}
    assert rep[("oracle", "income:interest:openai")] == Decimal("-50000000")
    # Amendment of the 100B LOI to 30B (10B already drawn): the commitment falls by 70B.
    am = {(p.party, p.account): p.quantity for p in by_id["amend-loi"].postings}
    assert am[("nvidia", "liabilities:commitments:openai")] == Decimal("70000000000")
    # The reversed purchase and its reversal post nothing: effective history.
    assert "wrong-buy" not in by_id and "undo-wrong-buy" not in by_id
    for e in entries:
        assert all(v == 0 for v in sums_by_commodity(e.postings).values())


def test_replaying_twice_reports_zero_new(cli, example):
    first = cli("replay", str(example))
    assert first.code == 0, first.err
    second = cli("replay", str(example))
    assert second.code == 0
    assert ": 0 new, 148 already present" in second.out


def test_changing_one_amount_is_a_conflict_and_nothing_is_written(cli, example, tmp_path):
    assert cli("replay", str(example)).code == 0
    before = len(json.loads(cli("events", "--json").out)["events"])
    text = example.read_text("utf-8")
    changed = tmp_path / "changed.yaml"
    assert 'amount: "4.3B"' in text
    changed.write_text(text.replace('amount: "4.3B"', 'amount: "4.5B"', 1) + "\n", encoding="utf-8")
    # add a brand-new event too: it must not land either
    changed.write_text(
        changed.read_text("utf-8")
        + '  - {id: extra-1, date: 2025-12-31, type: price, party: amd, per_share: "210", source: test, confidence: estimate}\n',
        encoding="utf-8",
    )
    ran = cli("replay", str(changed))
    assert ran.code == 2
    assert (
        "conflict" in ran.err
        and "r01-openai-revenue-h1-2025" in ran.err
        and f":{_line_of(changed, '- id: r01-openai-revenue-h1-2025')}:" in ran.err
        and "amount" in ran.err
    )
    assert "nothing was written" in ran.err
    assert len(json.loads(cli("events", "--json").out)["events"]) == before


def test_same_value_with_other_trailing_zeros_is_not_a_conflict(cli, write):
    head = "loopledger: 1\nparties: [{id: a, name: A}]\nevents:\n"
    one = write(
        "one.yaml",
        head + '  - {id: o, date: 2025-01-01, type: opening_balance, party: a, amount: "10.5"}\n',
    )
    two = write(
        "two.yaml",
        head + '  - {id: o, date: 2025-01-01, type: opening_balance, party: a, amount: "10.50"}\n',
    )
    assert cli("replay", str(one)).code == 0
    ran = cli("replay", str(two))
    assert ran.code == 0 and "0 new, 1 already present" in ran.out


def _line_of(path, text: str) -> int:
    """The 1-based line of ``path`` holding ``text`` (where the message must point)."""
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)
