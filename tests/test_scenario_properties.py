"""Properties of ``scenario run`` over generated histories (invariants.strategies):

* a scenario with no changes differs from its base in nothing;
* a scenario that adds events E gives exactly the differences between a store holding the base
  and a store into which the base and then E were replayed — every figure, every period. A
  scenario records the events it adds in date order (docs/scenarios.md), so E is replayed in
  date order too (events of one date as written); when that order does not hold up — an
  exercise dated before the vest it needs — both refuse it alike.

The second is what makes the shortcuts safe — in :mod:`plugins.scenarios.run` (periods before
the first differing event are not read again) and in :mod:`plugins.scenarios.readings` (a period
after the last event is read from the report date's fold; the report date is drawn up to 200
days after the last event, so there are such periods): the reference folds and reads every
period on its own. A variant of the first shortcut that skips one period too many is caught
here; one of the second that reads an earlier period from the report date's fold is caught by
tests/test_scenarios.py (generated histories rarely put an event between two quarter ends
late enough for a search to find it quickly).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import ledger
from invariants.strategies import histories
from ledger.histories.loader import History
from ledger.model.codec import to_dict
from ledger.model.problems import InputError
from ledger.testing import plugin_manager
from plugins.scenarios.api import Branched, compare, compare_branches, read_all, scenario_from_data
from plugins.scenarios.readings import periods
from plugins.scenarios.run import branch_all, fold
from plugins.valuation.api import Settings

# Each example folds up to four stores and reads every figure at every quarter end: 150
# examples (the ci profile's 500 would take minutes) already cover every event type in mixes.
PROPERTY = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=150)
PLUGINS = plugin_manager()


def split_histories() -> st.SearchStrategy[tuple[object, int]]:
    """A history and a cut: the events before it are the base, the rest the scenario's additions.
    Drawn without balance assertions: a cut could split an assertion from the same-day events
    it sums, and the base would then be a history the book rightly refuses."""
    return histories(min_events=2, max_events=10, assertions=False).flatmap(
        lambda h: st.tuples(st.just(h), st.integers(1, len(h.events) - 1))
    )


def later_as_of(generated, days: int) -> dt.date:
    """A report date ``days`` after the last event: the quarter ends in between come after
    every event, where ``read_all`` reads metrics from the report date's fold."""
    return max(e.date for e in generated.events) + dt.timedelta(days=days)


def history(name: str, parties, events) -> History:
    return History(name, None, "USD", tuple(parties), tuple(events))


def scenario_diff(
    generated, cut: int, as_of: dt.date | None = None
) -> tuple[list[tuple[object, ...]], dt.date]:
    base, added = generated.events[:cut], generated.events[cut:]
    data = {
        "loopledger-scenario": 1,
        "name": "prop",
        "changes": [{"add": [to_dict(e) for e in added]}] if added else [],
    }
    scenario = scenario_from_data(data, "<property>")
    with ledger.open("memory:", plugins=PLUGINS, create=True) as session:
        session.replay(history("base", generated.parties, base), on_recorded=lambda r: None)
        report = compare_branches(session, branch_all(session, [scenario]), as_of=as_of)
    (outcome,) = report.outcomes
    return [(d.key, d.before, d.after) for d in outcome.differences], report.as_of


def reference_diff(generated, cut: int, as_of: dt.date) -> list[tuple[object, ...]]:
    """Base and base + E replayed into two stores, every figure read at every period."""
    base = generated.events[:cut]
    added = sorted(generated.events[cut:], key=lambda e: e.date)
    days = periods(min(e.date for e in generated.events), as_of)
    settings_ = Settings.from_config({})
    # Every period folded on its own here, so no shortcut of read_all's is taken on trust.
    with fold(PLUGINS, history("base", generated.parties, base)) as one:
        folds = {d: one.run(d, require=()) for d in days}
        before = read_all(one, as_of, settings_, metric_days=days, folds=folds)
    with fold(PLUGINS, history("base", generated.parties, base), history("e", (), added)) as two:
        folds = {d: two.run(d, require=()) for d in days}
        after = read_all(two, as_of, settings_, metric_days=days, folds=folds)
    return [(d.key, d.before, d.after) for d in compare(before, after)]


@PROPERTY
@given(histories(max_events=10))
def test_a_scenario_without_changes_differs_in_nothing(generated):
    differences, _ = scenario_diff(generated, len(generated.events))
    assert differences == []


@PROPERTY
@given(split_histories(), st.integers(0, 200))
def test_adding_events_is_replaying_them(case, later):
    generated, cut = case
    try:
        differences, as_of = scenario_diff(generated, cut, later_as_of(generated, later))
    except InputError as refused:
        with pytest.raises(InputError) as also:
            reference_diff(generated, cut, later_as_of(generated, later))
        assert [p.message for p in also.value.problems] == [
            p.message.removeprefix("recorded event no longer holds after the scenario's changes: ")
            for p in refused.problems
        ]
        return
    assert differences == reference_diff(generated, cut, as_of)


def test_a_shortcut_that_skips_a_period_too_many_is_caught(monkeypatch):
    """Broken variant: the first differing date taken as the last — periods in between are
    then not read, and their differences go missing. The property finds a history showing it."""
    monkeypatch.setattr(
        Branched,
        "first_change",
        property(
            lambda self: max(
                (e.date for e in set(self.base.events) ^ set(self.events)), default=None
            )
        ),
    )

    def broken(case) -> bool:
        generated, cut = case
        differences, as_of = scenario_diff(generated, cut)
        return differences != reference_diff(generated, cut, as_of)

    generated, cut = find(
        split_histories(), broken, settings=settings(max_examples=400, deadline=None, database=None)
    )
    assert len(generated.events) - cut >= 2  # added events on two dates at least
