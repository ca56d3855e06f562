"""Figures list the first event ids they rest on and count them all, exactly, in flat memory.

States keep the first ``INPUTS_LISTED`` ids of each group of events and a count; a figure merges
groups and must list exactly the first ids the uncapped merge would list, and count exactly the
distinct events — also where one group is part of another (a draw on a commitment is a cash
movement of both parties, and one of the payer's flows to the payee). The law is checked by
shrinking the cap to 2 and comparing with the same history folded uncapped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import Phase, find, given, settings

from invariants.strategies import histories
from ledger.histories.loader import load_file
from ledger.plugin import evidence
from ledger.plugin.evidence import EventIds, Tally
from ledger.plugin.figures import Figure
from ledger.testing import fold, plugin_manager
from plugins.metrics import inputs as metric_inputs
from plugins.metrics import plugin as metrics
from plugins.valuation.holdings import Settings
from plugins.valuation.positions import PROJECTION as POSITIONS
from plugins.valuation.report import report

EXAMPLE = (
    Path(__file__).resolve().parent.parent / "ledger" / "examples" / "ai-compute-2025-2026.yaml"
)
PLUGINS = plugin_manager()
SETTINGS = Settings()


@contextlib.contextmanager
def cap(n: int) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(evidence, "INPUTS_LISTED", n)
        yield


def listings(events, parties, day: dt.date | None = None) -> list[tuple]:
    """(what, value, inputs, inputs_total) of every figure and every valued holding."""
    states = {
        metrics.NAME: fold(metrics.FLOWS, events, parties, as_of=day),
        POSITIONS.name: fold(POSITIONS, events, parties, as_of=day),
    }
    found = []
    for name, (compute, _, _) in metrics.METRICS.items():
        for f in compute(states, day, settings=SETTINGS):
            found.append((f"{name}:{f.metric}:{f.subject}", f.value, f.inputs, f.inputs_total))
    as_of = day or max(e.date for e in events)
    valued = report(states[POSITIONS.name], {p.id: p for p in parties}, as_of, PLUGINS, SETTINGS)
    for row in valued["holdings"]:
        what = f"value:{row['party']}:{row['kind']}:{row['instrument']}:{row.get('side')}"
        found.append((what, row["value"], tuple(row["inputs"]), row["inputs_total"]))
    return found


def capped_mismatches(events, parties, n: int = 2) -> list[str]:
    """Where the figures folded with a cap of ``n`` differ from the uncapped ones' first ``n``
    inputs and their count (empty when the law holds)."""
    full = listings(events, parties)
    # Uncapped (the histories are small), every figure lists all its inputs, each once.
    found = [f"{w}: counts {t} of {len(i)} listed, uncapped" for w, _, i, t in full if len(i) != t]
    with cap(n):
        capped = listings(events, parties)
    for (what, value, inputs, _), (what2, value2, inputs2, total2) in zip(
        full, capped, strict=True
    ):
        if (what, value) != (what2, value2):
            found.append(f"{what}: the figure changed: {value} → {what2} {value2}")
        if tuple(inputs2) != tuple(inputs[:n]):
            found.append(f"{what}: lists {list(inputs2)}, not the first of {list(inputs)}")
        if total2 != len(inputs):
            found.append(f"{what}: counts {total2} inputs, not {len(inputs)}")
    return found


@given(histories(max_events=40))
def test_capped_inputs_are_the_first_of_the_uncapped_ones_and_counted_exactly(h):
    assert capped_mismatches(h.events, h.parties) == []


def test_capped_inputs_on_the_bundled_history():
    data = load_file(EXAMPLE)
    assert capped_mismatches(data.events, data.parties, 1) == []
    assert capped_mismatches(data.events, data.parties, 3) == []


def test_the_law_catches_a_figure_that_counts_a_draw_twice():
    """A funding gap counting the draws on a commitment beside the cash they moved fails."""

    def twice(tally: Tally, c, **_: bool) -> None:
        tally.add(f"commitment:{c.id}", c.inputs, c.inputs.total)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(metric_inputs, "add_commitment", twice)
        mp.setattr("plugins.metrics.commitments.add_commitment", twice)
        mp.setattr("plugins.metrics.vendor_financing.add_commitment", twice)
        found = find(
            histories(),
            lambda h: bool(capped_mismatches(h.events, h.parties)),
            settings=settings(phases=[Phase.generate], max_examples=500, database=None),
        )
        assert any("counts" in m for m in capped_mismatches(found.events, found.parties))


# --- the parts ----------------------------------------------------------------------------------


def test_a_figure_lists_the_first_inputs_and_counts_them_all():
    ids = [f"e{i}" for i in range(evidence.INPUTS_LISTED + 500)]
    f = Figure(metric="m", subject="s", value=Decimal(1), unit="ratio", precision="", inputs=ids)
    assert f.inputs == tuple(ids[: evidence.INPUTS_LISTED])
    assert f.inputs_total == len(ids) == f.to_json()["inputs_total"]
    small = Figure(metric="m", subject="s", value=None, unit="ratio", precision="", inputs=["a"])
    assert small.to_json()["inputs"] == ["a"] and small.inputs_total == 1


def test_event_ids_keep_the_first_and_count_every_one():
    with cap(3):
        ids = EventIds()
        for i in "abcde":
            ids.add(i)
        assert not ids.add_once("e")  # the last one again: a second route to the same event
        assert ids.add_once("f")
        assert (ids.ids, ids.total, ids.last, ids.complete) == (["a", "b", "c"], 6, "f", False)
        assert EventIds.from_plain(ids.to_plain()) == ids


@pytest.mark.parametrize(
    "bad",
    [[1, None, "a", "b"], ["2", None, "a"], [2, None, "a", 7], [5, None] + ["x"] * 1001],
    ids=["more-listed-than-counted", "count-as-text", "id-not-text", "over-the-cap"],
)
def test_event_ids_refuse_a_malformed_checkpoint(bad):
    with pytest.raises(ValueError):
        EventIds.from_plain(bad)


def test_a_tally_counts_a_group_once_and_lists_its_first_ids():
    with cap(3):
        tally = Tally()
        tally.add("sales", ["a", "b", "c"], 10)
        tally.add("sales", ["a", "b", "c"], 10)  # the same group again
        tally.add_ids(["z"])
        assert tally.ids == ("a", "b", "c")
        assert tally.total == 11
