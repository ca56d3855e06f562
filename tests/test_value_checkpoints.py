"""The metrics and valuation states checkpoint as plain data, and resuming never changes them.

For random histories and random cut points: the state folded up to the cut, written as its
checkpoint (plain data, through JSON bytes as a store keeps it) and read back, then fed the
rest of the history, equals the state folded in one go — for ``metrics.flows`` and
``valuation.positions``, in memory and through a real store's checkpoints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from invariants.strategies import histories
from ledger.book import fold as reference_fold
from ledger.engine import Engine
from ledger.histories.loader import History, load_file
from ledger.histories.recording import replay
from ledger.model import plain
from ledger.model.events import Reversal
from ledger.store import Store
from ledger.testing import plugin_manager
from plugins.metrics.flows import FLOWS
from plugins.metrics.flows import from_plain as flows_from_plain
from plugins.valuation.positions import PROJECTION as POSITIONS

EXAMPLE = (
    Path(__file__).resolve().parent.parent / "ledger" / "examples" / "ai-compute-2025-2026.yaml"
)
PROJECTIONS = (FLOWS, POSITIONS)
NAMES = [p.name for p in PROJECTIONS]
REGISTERED = [r for r in plugin_manager().projections() if r.projection.name in NAMES]


def round_trip(projection: Any, state: Any) -> Any:
    """``state`` written as its checkpoint and read back (what the engine does, bytes included)."""
    data = orjson.dumps(plain.encode(projection.encode(state)))
    return projection.decode(plain.decode(orjson.loads(data)))


def resumed_differs(projection: Any, events, parties, cut: int) -> bool:
    """Whether folding up to entry ``cut``, checkpointing and folding on differs from one fold."""
    _, entries, problems = reference_fold(list(events), parties)
    assert problems == []
    handles = projection.handles
    entries = [e for e in entries if handles is None or e.event.TYPE in handles]
    cut = min(cut, len(entries))
    whole = projection.initial()
    for entry in entries:
        whole = projection.apply(whole, entry)
    state = projection.initial()
    for entry in entries[:cut]:
        state = projection.apply(state, entry)
    checkpoint = round_trip(projection, state)
    if checkpoint != state:
        return True
    for entry in entries[cut:]:
        checkpoint = projection.apply(checkpoint, entry)
    return bool(checkpoint != whole)


@pytest.mark.parametrize("projection", PROJECTIONS, ids=NAMES)
@given(h=histories(max_events=40), cut=st.integers(0, 40))
def test_checkpoint_then_catch_up_equals_one_fold(projection, h, cut):
    assert not resumed_differs(projection, h.events, h.parties, cut)


@pytest.mark.parametrize("projection", PROJECTIONS, ids=NAMES)
def test_the_bundled_history_resumes_at_every_cut(projection):
    data = load_file(EXAMPLE)
    assert not any(
        resumed_differs(projection, data.events, data.parties, cut)
        for cut in range(len(data.events) + 1)
    )


def test_the_law_catches_a_checkpoint_that_forgets_the_fold_order():
    """A decode that restarts the folded-order counter lists merged sales out of order."""

    def forgetful(data: Any) -> Any:
        return attrs.evolve(flows_from_plain(data), folded=0)

    broken = attrs.evolve(FLOWS, decode=forgetful)
    found = find(
        st.tuples(histories(max_events=40), st.integers(0, 40)),
        lambda hc: resumed_differs(broken, hc[0].events, hc[0].parties, hc[1]),
        settings=settings(phases=[Phase.generate], max_examples=2000, database=None),
    )
    assert found


def test_a_state_that_is_not_plain_data_is_refused_by_the_encoding():
    with pytest.raises(plain.PlainError):
        plain.encode(FLOWS.initial())  # the attrs state itself: only its encode() is plain


# --- through a store's checkpoints --------------------------------------------------------------


def _history(parties, events) -> History:
    return History("part", None, "USD", tuple(parties), tuple(events))


@given(
    h=histories(max_events=40, assertions=False), cut=st.integers(1, 39)
)  # a cut can split an assertion from what it sums
def test_a_store_resumes_from_the_checkpoints_and_agrees_with_a_fresh_fold(h, cut):
    registered = REGISTERED
    first, rest = h.events[:cut], h.events[cut:]
    with Store("memory:") as store:  # the SQLite file's round trip: the test below
        replay(Engine(store, registered), [_history(h.parties, first)])
        at_cut = Engine(store, registered).run()
        assert at_cut.failures == [] and at_cut.problems == []
        for name in NAMES:  # each state was checkpointed, and reads back as it was
            saved = store.load_state(f"projection:{name}")
            assert saved is not None and saved.position == store.head()[0]
        again = Engine(store, registered).run()
        assert again.from_checkpoint and again.states == at_cut.states
        if not rest:
            return
        replay(Engine(store, registered), [_history((), rest)])
        resumed = Engine(store, registered).run()
        fresh = Engine(store, registered).run(use_checkpoint=False, save_checkpoint=False)
        assert resumed.failures == fresh.failures == []
        assert resumed.states == fresh.states
        first_ids = {e.id for e in first}
        reaches_back = any(isinstance(e, Reversal) and e.of in first_ids for e in rest)
        assert resumed.from_checkpoint is not reaches_back


def test_project_round_trips_both_states_of_the_bundled_history(tmp_path):
    """A checkpoint written by one process is read by the next (through the SQLite file)."""
    registered = REGISTERED
    data = load_file(EXAMPLE)
    path = str(tmp_path / "b.db")
    with Store(path) as store:
        replay(Engine(store, registered), [data])
        first = Engine(store, registered).run()
    with Store(path) as store:
        second = Engine(store, registered).run()
    assert second.from_checkpoint and second.processed == 0
    assert second.states == first.states
