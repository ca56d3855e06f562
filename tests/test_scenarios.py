"""``scenario run`` on a history small enough that every figure it changes is computed by hand.

The base (tests/support/scenarios.py): LabCo brings 50, ChipCo 100; ChipCo invests 50 in LabCo
(2025-01-03); ChipCo trades at $20; LabCo commits to buy 2 GW for 60; ChipCo grants LabCo a
zero-strike warrant on 10 shares needing 2 GW delivered and ChipCo ≥ $50. The scenario
delivers 1 GW a week from 2025-02-01 — 2 deliveries, each paid 30 — and marks ChipCo at $60 on
2025-02-10. Figures as of 2025-02-28; valuation with volatility 0 and rate 0.
"""

from __future__ import annotations

import decimal
import json
from decimal import Decimal

import pytest

import ledger
from plugins.scenarios import readings
from plugins.scenarios.api import run_scenarios
from tests.support.scenarios import BASE, SCENARIO, plugins, scenario_text, write

D = Decimal
RATIO = decimal.Context(prec=50)  # metrics take quotients to 50 significant digits
SHARE = decimal.Context(prec=28)  # the tracer's shares: Decimal's default 28 digits

# key → (change, base, scenario); None on a side that has the figure means "unknown".
HAND: dict[str, tuple[str, Decimal | None, Decimal | None]] = {
    # A loop appears: ChipCo → LabCo (50 invested) → ChipCo (60 paid); at most 50 went round.
    "loop/cash/chipco,labco": ("added", None, D(50)),
    # Money coming back to ChipCo. LabCo's pool before the first payment: 50 of its own (from
    # the world, untagged) and 50 departed-ChipCo.
    # pro-rata: each payment of 30 takes half its pool's tagged share: 15, then 15 of 35/70.
    "round_trip/pro-rata/chipco/returned": ("changed", D(0), D(30)),
    "round_trip/pro-rata/chipco/share": ("changed", D(0), D("0.6")),
    # fifo: the first 30 are LabCo's own (oldest), the second 30 = 20 own + 10 ChipCo's.
    "round_trip/fifo/chipco/returned": ("changed", D(0), D(10)),
    "round_trip/fifo/chipco/share": ("changed", D(0), D("0.2")),
    # lifo: the first 30 are ChipCo's (newest), the second 30 = the last 20 of it + 10 own.
    "round_trip/lifo/chipco/returned": ("changed", D(0), D(50)),
    "round_trip/lifo/chipco/share": ("changed", D(0), D(1)),
    # LabCo paid ChipCo 60 under every rule, none of which came back to it.
    **{
        f"round_trip/{rule}/labco/{what}": ("changed", base, after)
        for rule in ("pro-rata", "fifo", "lifo")
        for what, base, after in (("departed", D(0), D(60)), ("share", None, D(0)))
    },
    # ChipCo's 60 of sales revenue: the part that was its own money.
    "seller/pro-rata/chipco/own_money_returned": ("changed", D(0), D(30)),
    "seller/pro-rata/chipco/share": ("changed", None, D("0.5")),
    "seller/fifo/chipco/own_money_returned": ("changed", D(0), D(10)),
    "seller/fifo/chipco/share": ("changed", None, SHARE.divide(10, 60)),
    "seller/lifo/chipco/own_money_returned": ("changed", D(0), D(50)),
    "seller/lifo/chipco/share": ("changed", None, SHARE.divide(50, 60)),
    # Metrics on 2025-02-28 (the only period: the first quarter end comes after it).
    # Vendor financing would be (50 invested + 0, the warrant's fair value at grant — an
    # up-and-in call at $20 with a $50 barrier and no volatility never knocks in) ÷ 60 of
    # revenue, but on 2 sales: too few to mean anything (fewer than 3), so no value on either
    # side and no difference; concentration is added without a value for the same reason.
    "metric/2025-02-28/net_revenue/chipco→labco": ("changed", D(0), D(60)),
    "metric/2025-02-28/customer_concentration.top1/chipco": ("added", None, None),
    "metric/2025-02-28/customer_concentration.top3/chipco": ("added", None, None),
    "metric/2025-02-28/customer_concentration.hhi/chipco": ("added", None, None),
    # The commitment is paid off: LabCo owes nothing, so coverage and the gap are gone.
    "metric/2025-02-28/commitment_coverage.binding/labco": ("removed", None, None),
    "metric/2025-02-28/commitment_coverage.non_binding/labco": ("removed", None, None),
    "metric/2025-02-28/funding_gap/labco": ("removed", D(-40), None),  # 60 owed − 100 cash
    # Values: the commitment at face is gone on both sides of it.
    "value/chipco/commitment/com": ("removed", D(60), None),
    "value/labco/commitment/com": ("removed", D(-60), None),
    # The warrant at $60: hurdle touched, 2 of 2 GW delivered → a zero-strike call = the price.
    # Before: $20 under a $50 barrier, no volatility → 0, and × probability 0 while GW lag.
    "value/labco/warrant/grant": ("changed", D(0), D(600)),
    "value/labco/warrant_tranche/grant:t1": ("changed", D(0), D(600)),
    "value_if_met/labco/warrant/grant": ("changed", D(0), D(600)),
}


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "base.db"
    with ledger.open(str(path), plugins=plugins()) as book:
        book.replay(write(tmp_path, "base.yaml", BASE))
    return path


def test_every_changed_figure_is_the_hand_computed_one(tmp_path, store):
    scenario = write(tmp_path, "deliver.yaml", SCENARIO)
    with ledger.open(str(store), plugins=plugins()) as book:
        report = run_scenarios(book, [scenario])
    (outcome,) = report.outcomes
    found = {d.key: (d.status, d.before, d.after) for d in outcome.differences}
    assert set(found) == set(HAND)
    for key, (status, before, after) in HAND.items():
        got = found[key]
        assert got[0] == status, key
        for want, value in ((before, got[1]), (after, got[2])):
            assert value == want, key
    # What the scenario did, and how it marked the events it generated.
    b = outcome.branched
    assert b.generated == (
        "deliver:deliveries-1.1",
        "deliver:deliveries-1.2",
        "deliver:deliveries-1.3",
        "deliver:deliveries-1.4",
    )
    assert b.added == ("deliver:prices-2.1",)
    assert (b.dropped, b.replaced) == ((), ())
    events = {e.id: e for e in b.events}
    first = events["deliver:deliveries-1.1"]
    assert first.source == "scenario:deliver" and first.confidence == "estimate"
    assert first.note.startswith("hypothetical: generator 'deliveries' (change #1)")
    assert [events[i].TYPE for i in b.generated] == ["delivery", "purchase"] * 2
    assert [str(events[i].amount.amount) for i in b.generated[1::2]] == ["30.00", "30.00"]
    assert report.as_of.isoformat() == "2025-02-28"


def test_the_command_prints_base_scenario_and_delta(tmp_path, store):
    from ledger.testing import run_cli

    scenario = write(tmp_path, "deliver.yaml", SCENARIO)
    ran = run_cli(plugins(), "scenario", "run", str(scenario), store=str(store))
    assert ran.code == 0, ran.err
    text = ran.out
    assert "Scenario 'deliver'" in text and f"{len(HAND)} figures differ as of 2025-02-28" in text
    assert "cash: chipco → labco → chipco" in text
    row = next(line for line in text.splitlines() if "labco: warrant grant " in line)
    assert "$0.00B" in row and "+$0.00B" not in row  # 600 rounds to $0.00B …
    assert "Shown rounded half-even" in text  # … and the table says how it rounds
    as_json = json.loads(
        run_cli(plugins(), "scenario", "run", str(scenario), "--json", store=str(store)).out
    )
    (only,) = as_json["scenarios"]
    rows = {r["figure"]: r for r in only["changed"]}
    assert rows["value/labco/warrant/grant"] | {"label": None} == {
        "figure": "value/labco/warrant/grant",
        "section": "values",
        "label": None,
        "unit": "USD",
        "change": "changed",
        "base": "0",
        "scenario": "600.0000000000",
        "delta": "600.0000000000",
    }
    assert only["events"]["generated"][0] == "deliver:deliveries-1.1"
    csv = run_cli(plugins(), "scenario", "run", str(scenario), "-O", "csv", store=str(store)).out
    assert csv.splitlines()[0] == (
        "scenario,figure,section,label,unit,change,base,scenario_value,delta"
    )
    assert (
        'deliver,"loop/cash/chipco,labco",loops,cash: chipco → labco → chipco,USD,added,,50,50'
        in csv
    )


def test_several_scenarios_side_by_side(tmp_path, store):
    from ledger.testing import run_cli

    one = write(tmp_path, "deliver.yaml", SCENARIO)
    # Only the price: the hurdle is touched but no GW is delivered, so the warrant is worth
    # probability 0 × 600 = 0, and only its value if met changes.
    price_only = write(
        tmp_path,
        "price.yaml",
        scenario_text(
            'prices: {party: chipco, per_share: [[2025-02-10, "60"]]}',
            name="price-only",
            head="as_of: 2025-02-28\n",
        ),
    )
    with ledger.open(str(store), plugins=plugins()) as book:
        report = run_scenarios(book, [one, price_only])
    assert report.shared_base
    deliver, price = report.outcomes
    assert {d.key: (d.before, d.after) for d in price.differences} == {
        "value_if_met/labco/warrant/grant": (D(0), D(600)),
    }
    assert len(deliver.differences) == len(HAND)
    ran = run_cli(plugins(), "scenario", "run", str(one), str(price_only), store=str(store))
    assert ran.code == 0, ran.err
    header = next(line for line in ran.out.splitlines() if "figure" in line and "base" in line)
    assert "deliver" in header and "price-only" in header
    assert "same" in ran.out  # a figure one scenario changes and the other does not


def test_a_scenario_without_changes_differs_in_nothing(tmp_path, store):
    from ledger.testing import run_cli

    empty = write(tmp_path, "none.yaml", scenario_text(name="nothing"))
    ran = run_cli(plugins(), "scenario", "run", str(empty), store=str(store))
    assert ran.code == 0, ran.err
    assert "No figure differs from the base." in ran.out
    data = json.loads(
        run_cli(plugins(), "scenario", "run", str(empty), "--json", store=str(store)).out
    )
    assert data["scenarios"][0]["changed"] == [] and data["as_of"] == "2025-01-06"


def test_drop_and_replace_change_history_in_place(tmp_path, store):
    # Replace the investment by a smaller one (same id, same place in the history) and drop
    # the price: the stake's cost falls to 20, and the warrant loses its only price.
    scenario = write(
        tmp_path,
        "edit.yaml",
        scenario_text(
            "replace: {id: inv, date: 2025-01-03, type: investment, investor: chipco, "
            'investee: labco, amount: "20"}',
            "drop: px",
            name="edit",
        ),
    )
    with ledger.open(str(store), plugins=plugins()) as book:
        (outcome,) = run_scenarios(book, [scenario]).outcomes
    assert outcome.branched.replaced == ("inv",) and outcome.branched.dropped == ("px",)
    ids = [e.id for e in outcome.branched.events]
    assert ids == ["ob-lab", "ob-chip", "inv", "com", "grant"]
    found = {d.key: (d.before, d.after) for d in outcome.differences}
    day = "2025-01-06"  # no as_of: the last event's date
    assert found == {
        # all layer: ChipCo → LabCo is the investment (20, was 50) plus the warrant at its
        # grant-date fair value — an up-and-in call at $20 under a $50 barrier with no
        # volatility never knocks in: 0 before (its intrinsic 10 × $20 = 200 is not the stake),
        # and 0 now that no price is known; LabCo → ChipCo the 60 committed. The loop carries
        # min(20, 60), was min(50, 60).
        "loop/all/chipco,labco": (D(50), D(20)),
        **{
            f"round_trip/{rule}/chipco/departed": (D(50), D(20))
            for rule in ("pro-rata", "fifo", "lifo")
        },
        f"metric/{day}/funding_gap/labco": (D(-40), D(-10)),  # 60 owed − (50 + 20) cash
        # The warrant's fair value at grant needs a price: without one, nothing that nets it
        # can be computed.
        f"metric/{day}/net_revenue/chipco→labco": (D(0), None),
        f"metric/{day}/vendor_financing.committed/chipco": (RATIO.divide(50, 60), None),
        "value/chipco/private_stake/shares:labco": (D(50), D(20)),  # at cost
        "value/labco/warrant/grant": (D(0), None),
        "value/labco/warrant_tranche/grant:t1": (D(0), None),
        "value_if_met/labco/warrant/grant": (D(0), None),
    }


def test_store_after_the_subcommand(tmp_path, store):
    from ledger.testing import run_cli

    scenario = write(tmp_path, "deliver.yaml", SCENARIO)
    for command in ("run", "sweep"):
        extra = ["--vary", "price:chipco=40,60"] if command == "sweep" else []
        ran = run_cli(plugins(), "scenario", command, str(scenario), *extra, "--store", str(store))
        assert ran.code == 0, ran.err


QUARTERLY = """\
loopledger-scenario: 1
name: quarterly
as_of: 2025-12-31
changes:
  - generate: deliveries
    commitment: com
    gw: "1"
    every: quarter
    from: 2025-02-01
    pay: true
"""


def test_periods_after_the_last_event_are_read_from_the_report_dates_fold(
    tmp_path, store, monkeypatch
):
    """The two deliveries, each paid 30, fall on 2025-02-01 and 2025-05-01; after the last one
    every quarter end reads the report date's fold, before it its own. LabCo's funding gap on
    2025-03-31: 30 still owed − 70 cash (50 own + 50 invested − 30 paid) = −40; from the second
    payment on nothing is owed, so there is no gap to report."""
    scenario = write(tmp_path, "quarterly.yaml", QUARTERLY)
    by_hand = {"2025-03-31": D(-40), "2025-06-30": None, "2025-09-30": None, "2025-12-31": None}

    def funding_gap() -> dict[str, Decimal | None]:
        with ledger.open(str(store), plugins=plugins()) as book:
            (outcome,) = run_scenarios(book, [scenario]).outcomes
        found = outcome.scenario
        return {
            day: getattr(found.get(f"metric/{day}/funding_gap/labco"), "value", None)
            for day in by_hand
        }

    assert funding_gap() == by_hand
    # Broken variant: every period read from the report date's fold — 2025-03-31 goes wrong.
    monkeypatch.setattr(readings, "same_fold", lambda latest, day, as_of: day <= as_of)
    assert funding_gap()["2025-03-31"] is None
