"""``scenario sweep``: one setting over a grid, the figures at every point (by hand where the
model allows), the chart written, and the warrant curve continuous except at its hurdle."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest

import ledger
from ledger.testing import plugin_manager, run_cli
from plugins.scenarios.api import load_scenario, parse_vary, sweep
from tests.support.scenarios import BASE, plugins, scenario_text, write

D = Decimal
WARRANT = "value/labco/warrant/grant"
DELIVER = 'generate: deliveries\ncommitment: com\ngw: "1"\nevery: week\nfrom: 2025-02-01'


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "base.db"
    with ledger.open(str(path), plugins=plugins()) as book:
        book.replay(write(tmp_path, "base.yaml", BASE))
    return path


def delivered(tmp_path):
    return write(
        tmp_path, "deliver.yaml", scenario_text(DELIVER, name="deliver", head="as_of: 2025-02-28\n")
    )


def test_a_price_sweep_by_hand_jumps_at_the_hurdle(tmp_path, store):
    # Volatility 0, rate 0, 2 GW delivered: below $50 the up-and-in call's path never reaches
    # the barrier (worth 0); from $50 on the hurdle is touched and a zero-strike call is worth
    # the price: 10 shares × P.
    ran = run_cli(
        plugins(),
        "scenario",
        "sweep",
        str(delivered(tmp_path)),
        "--vary",
        "price:chipco=30:70:10",
        "-f",
        WARRANT,
        "--json",
        store=str(store),
    )
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    assert [(p["value"], p["figures"][WARRANT]) for p in data["points"]] == [
        ("30", "0"),
        ("40", "0"),
        ("50", "500.0000000000"),
        ("60", "600.0000000000"),
        ("70", "700.0000000000"),
    ]
    assert data["as_written"][WARRANT] == "0"  # at the recorded $20
    assert data["marks"] == [{"grant": "grant", "tranche": "t1", "price": "50", "gw": "2"}]
    assert data["as_of"] == "2025-02-28"


def test_a_growth_sweep_by_hand(tmp_path, store):
    # One run-rate report at the end of 2025: 10 × (1 + g). LabCo owes 60: coverage 60 ÷ that.
    scenario = write(
        tmp_path,
        "growth.yaml",
        scenario_text(
            'generate: revenue_growth\nparty: labco\ngrowth: "0"\nfrom: 2025-01-01\n'
            'until: 2025-12-31\nevery: year\nstart: "10"',
            name="growth",
        ),
    )
    ran = run_cli(
        plugins(),
        "scenario",
        "sweep",
        str(scenario),
        "--vary",
        "growth=0:2:1",
        "-f",
        "metric/commitment_coverage.binding/labco",
        "-O",
        "csv",
        store=str(store),
    )
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == [
        "growth,metric/2025-12-31/commitment_coverage.binding/labco",
        "as written,6",
        "0,6",
        "1,3",
        "2,2",
    ]


def test_a_settings_sweep_reads_each_point_and_draws_both_formats(tmp_path, store):
    # Volatility up: the warrant's value if met (an up-and-in call at $20, barrier $50) rises.
    pm = plugin_manager(config={"plugins": {"valuation": {"rate": "0"}}})
    scenario = load_scenario(delivered(tmp_path))
    with ledger.open(str(store), plugins=pm) as book:
        result = sweep(
            book, scenario, parse_vary("volatility=0:1:0.25"), ["value_if_met/labco/warrant/grant"]
        )
    values = [fs["value_if_met/labco/warrant/grant"] for _, fs in result.points]
    assert values[0] == 0 and all(a < b for a, b in itertools.pairwise(values))
    for suffix in ("png", "svg"):
        chart = tmp_path / f"vol.{suffix}"
        ran = run_cli(
            pm,
            "scenario",
            "sweep",
            str(delivered(tmp_path)),
            "--vary",
            "volatility=0:1:0.25",
            "--chart",
            str(chart),
            store=str(store),
        )
        assert ran.code == 0, ran.err
        assert f"chart: {chart}" in ran.out
        head = chart.read_bytes()[:8]
        assert (
            head == b"\x89PNG\r\n\x1a\n"
            if suffix == "png"
            else b"<?xml" in chart.read_bytes()[:100]
        )


def test_without_figures_the_sweep_reads_those_that_change(tmp_path, store):
    ran = run_cli(
        plugins(),
        "scenario",
        "sweep",
        str(delivered(tmp_path)),
        "--vary",
        "price:chipco=40,60",
        store=str(store),
    )
    assert ran.code == 0, ran.err
    figures = next(line for line in ran.out.splitlines() if line.startswith("figures: "))
    assert figures.removeprefix("figures: ").split(", ") == [
        "value/labco/warrant/grant",
        "value/labco/warrant_tranche/grant:t1",
        "value_if_met/labco/warrant/grant",
    ]
    assert "marked: grant:t1 — price ≥ $50 and ≥ 2 GW delivered" in ran.out


def test_the_warrant_curve_is_continuous_except_at_the_hurdle(tmp_path, store):
    """With volatility, the warrant's value against the price is continuous below the $50
    hurdle (an up-and-in call) and above it (the vanilla call): shrinking the step ten times
    shrinks every jump about ten times — except across the hurdle, where the rule changes."""
    pm = plugin_manager(config={"plugins": {"valuation": {"volatility": "0.6", "rate": "0.04"}}})
    scenario = load_scenario(delivered(tmp_path))

    def curve(low, high, step):
        with ledger.open(str(store), plugins=pm) as book:
            result = sweep(
                book, scenario, parse_vary(f"price:chipco={low}:{high}:{step}"), [WARRANT]
            )
        return [(p, fs[WARRANT]) for p, fs in result.points]

    def jumps(points):
        return [(a, abs(vb - va)) for (a, va), (b, vb) in itertools.pairwise(points)]

    coarse = jumps(curve(40, 60, 1))
    fine = jumps(curve(45, 55, D("0.1")))
    hurdle = D(50)
    away = [j for p, j in fine if not p < hurdle <= p + D("0.1")]
    coarse_away = [j for p, j in coarse if not p < hurdle <= p + 1]
    # Lipschitz away from the hurdle: a step ten times smaller moves the value about ten times
    # less (within a factor 2 for curvature).
    assert max(away) * 5 <= max(coarse_away)
    # Values rise with the price on both sides.
    values = [v for _, v in curve(40, 60, 1)]
    assert all(a <= b for a, b in itertools.pairwise(values))
    # What happens at the hurdle is reported, not hidden: the barrier price just below it and
    # the vanilla price at it (equal in the limit for a continuously monitored barrier).
    at = dict(curve(D("49.9"), D("50"), D("0.1")))
    assert at[D("50.0")] >= at[D("49.9")]


def test_a_sweep_picture_marks_the_hurdle(tmp_path, store):
    chart = tmp_path / "warrant.svg"
    ran = run_cli(
        plugins(),
        "scenario",
        "sweep",
        str(delivered(tmp_path)),
        "--vary",
        "price:chipco=30:70:5",
        "-f",
        WARRANT,
        "--chart",
        str(chart),
        store=str(store),
    )
    assert ran.code == 0, ran.err
    svg = chart.read_text("utf-8")
    assert "grant:t1 — price ≥ $50 and ≥ 2 GW delivered" in svg
    assert "labco: warrant grant" in svg


def test_sweeping_where_a_price_path_ends_marks_the_hurdle_too(tmp_path, store):
    # The path from $20 (2025-01-04) ends at the swept price on the report date: by hand with no
    # volatility, below $50 it never touches the hurdle (0), from $50 on it is 10 × the price.
    scenario = write(
        tmp_path,
        "path.yaml",
        scenario_text(
            DELIVER,
            'generate: price_path\nparty: chipco\nto: "30"\nby: 2025-02-28\nevery: week',
            name="path",
            head="as_of: 2025-02-28\n",
        ),
    )
    ran = run_cli(
        plugins(),
        "scenario",
        "sweep",
        str(scenario),
        "--vary",
        "to=30:70:20",
        "-f",
        WARRANT,
        "--json",
        store=str(store),
    )
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    assert [(p["value"], p["figures"][WARRANT]) for p in data["points"]] == [
        ("30", "0"),
        ("50", "500.0000000000"),
        ("70", "700.0000000000"),
    ]
    assert data["axis"] == "chipco share price the path reaches (to)"
    assert [m["price"] for m in data["marks"]] == ["50"]
