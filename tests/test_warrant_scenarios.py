"""A warrant's value now in each scenario, its dilution and its price's age — by hand.

The history is the scenario tests' base (tests/support/scenarios.py): ChipCo (1,000 shares
outstanding) grants LabCo a zero-strike warrant on 10 shares needing 2 GW delivered and ChipCo
at $50; ChipCo trades at $20 (2025-01-04). Valuation with volatility 0 and rate 0, so every
option value is a closed form.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import ledger
from ledger.plugin.figures import ratio
from tests.support.scenarios import BASE, plugins, write


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "base.db"
    with ledger.open(str(path), plugins=plugins()) as opened:
        opened.replay(write(tmp_path, "base.yaml", BASE))
    with ledger.open(str(path), plugins=plugins()) as opened:
        yield opened


def warrant(book, as_of=None):
    result = book.run(as_of)
    found = book.query("value", result=result)
    [row] = [h for h in found["holdings"] if h.get("kind") == "warrant"]
    return row, found


def test_scenarios_side_by_side(book):
    row, _ = warrant(book)
    s = row["scenarios"]
    # Not delivered: never vests, whatever the price → 0.
    assert s["deliveries_not_met"] == 0
    # Delivered, $50 not touched: an up-and-in call whose path (no volatility) stays at $20
    # never knocks in → 0 — the barrier model, not a default probability, makes this zero.
    assert s["deliveries_met_hurdle_not_touched"] == 0
    # Delivered and touched: a zero-strike call at spot = 10 × ($20 − 0) = 200.
    assert s["deliveries_met_hurdle_touched"] == Decimal(200)
    # At the final hurdle: 10 × ($50 − 0) = 500.
    assert s["deliveries_met_price_at_final_hurdle"] == Decimal(500)
    assert "not weighted" in s["assumption"]


def test_dilution_of_shares_outstanding_and_fully_diluted(book):
    row, _ = warrant(book)
    d = row["dilution"]
    # 10 ÷ 1,000 = 1%; with every recorded ChipCo warrant (this one: 10) 10 ÷ 1,010.
    assert d["of_outstanding"] == Decimal("0.01")
    assert d["warrant_shares_on_issuer"] == Decimal(10)
    assert d["of_fully_diluted"] == ratio(Decimal(10), Decimal(1010))  # 50 digits


@pytest.mark.parametrize(
    ("as_of", "age", "stale"),
    [
        ("2025-01-06", 2, False),  # the grant date: the mark is 2 days old
        ("2025-02-03", 30, False),  # 30 days: not more than 30, not stale
        ("2025-02-04", 31, True),  # 31 days: stale
    ],
)
def test_the_price_now_says_its_date_and_whether_it_is_stale(book, as_of, age, stale):
    import datetime as dt

    row, found = warrant(book, dt.date.fromisoformat(as_of))
    spot = row["intrinsic_at_spot"]
    assert spot["price_date"] == dt.date(2025, 1, 4) and spot["price"] == Decimal(20)
    assert (spot["price_age_days"], spot["stale"]) == (age, stale)
    assert "more than 30 days" in found["assumptions"]["rules"]["stale"]


STAKE = """\
loopledger: 1
parties:
  - {id: fund, name: Fund}
  - {id: listed, name: Listed, ticker: LST, shares_outstanding: 1000}
events:
  - {id: ob, date: 2025-01-01, type: opening_balance, party: fund, amount: "100"}
  - {id: buy, date: 2025-01-02, type: investment, investor: fund, investee: listed, amount: "100", shares: 10}
  - {id: px, date: 2025-01-10, type: price, party: listed, per_share: "12"}
"""


@pytest.mark.parametrize(("as_of", "stale"), [("2025-02-09", False), ("2025-02-10", True)])
def test_a_stake_at_a_market_price_says_how_old_the_price_is(cli, write, as_of, stale):
    """10 shares at the 2025-01-10 mark of $12 = $120; 30 days later the mark is still fresh,
    31 days later it is flagged stale — in value --json and on the terminal."""
    import json

    assert cli("replay", str(write("stake.yaml", STAKE))).code == 0
    found = json.loads(cli("value", "--json", "--as-of", as_of).out)
    [row] = [h for h in found["holdings"] if h["kind"] == "shares"]
    assert Decimal(row["value"]) == 120
    assert (row["price_age_days"], row["stale"]) == (30 + stale, stale)
    printed = " ".join(cli("value", "--as-of", as_of).out.split())
    assert ("STALE" in printed) is stale  # the table may wrap the rest of the cell
    assert "more than 30 days older" in printed
