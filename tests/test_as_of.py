"""``balances --as-of D`` equals the fold of exactly the events dated on or before D."""

from __future__ import annotations

import datetime as dt
import json

from ledger.book import fold
from ledger.histories.loader import load_file
from plugins.balances.projection import apply, initial, rows


def _reference(history, as_of):
    chosen = [e for e in history.events if e.date <= as_of]
    _, entries, problems = fold(chosen, history.parties)
    assert problems == []
    state = initial()
    for entry in entries:
        state = apply(state, entry)
    return rows(state)


def test_as_of_every_event_date_and_the_days_around_it(cli, example):
    assert cli("replay", str(example)).code == 0
    history = load_file(example)
    dates = sorted({e.date for e in history.events})
    probes = sorted(
        {d + dt.timedelta(days=k) for d in dates for k in (-1, 0)}
        | {dt.date(2024, 1, 1), dt.date(2030, 1, 1)}
    )
    for day in [*probes[:: max(1, len(probes) // 40)], dates[-1]]:
        ran = cli("balances", "--as-of", day.isoformat(), "--json")
        assert ran.code == 0, ran.err
        assert json.loads(ran.out)["balances"] == _reference(history, day), day


def test_as_of_before_a_reversal_still_shows_the_reversed_event(cli, example):
    from pathlib import Path

    data = Path(__file__).parent / "data" / "every-type.yaml"
    assert cli("replay", str(data)).code == 0
    before = json.loads(cli("balances", "--as-of", "2025-11-05", "--json").out)["balances"]
    after = json.loads(cli("balances", "--as-of", "2025-11-06", "--json").out)["balances"]
    sales = [r for r in before if r["party"] == "nvidia" and r["account"] == "income:sales:oracle"]
    assert sales and sales[0]["amount"] == "-40000000000.00"
    assert not [
        r for r in after if r["party"] == "nvidia" and r["account"] == "income:sales:oracle"
    ]


def test_a_reversal_after_the_cut_forces_the_book_only_when_its_target_is_before_it() -> None:
    """In a store recorded in date order, as of D is the prefix up to D's last record unless a
    later reversal cancels something in that prefix (the stored postings after its target were
    derived without it)."""
    import datetime as dt

    from ledger.engine.facts import Facts

    facts = Facts()
    days = [dt.date(2025, 1, d) for d in (1, 2, 2, 3, 3, 4)]
    for position, day in enumerate(days, start=1):
        facts.add_event(position, day)
    facts.add_reversal(5, "r-same-day", "t-same-day", 4, dt.date(2025, 1, 3))
    assert facts.prefix_end(dt.date(2025, 1, 2)) == 3  # target and reversal both after the cut
    assert facts.prefix_end(dt.date(2025, 1, 3)) == 5  # both in the prefix
    facts.add_reversal(6, "r-later", "t-early", 1, dt.date(2025, 1, 4))
    assert facts.prefix_end(dt.date(2025, 1, 2)) is None  # the target stands as of Jan 2
    assert facts.prefix_end(dt.date(2025, 1, 4)) == 6
