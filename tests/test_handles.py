"""A projection's ``handles`` leaves out only the event types that cannot change its state.

``handles`` lets the engine skip decoding what a projection never reads; listing too few types
is a silent wrong answer (a share issue missing from the valuation's list dropped OpenAI's
CoreWeave stake). So every built-in projection that declares ``handles`` must fold to the same
state as when it is fed every event.
"""

from __future__ import annotations

import attrs
import pytest
from hypothesis import Phase, find, given, settings

from invariants.strategies import histories
from ledger.testing import fold, plugin_manager
from plugins.valuation.positions import PROJECTION as POSITIONS

PROJECTIONS = [r.projection for r in plugin_manager().projections() if r.projection.handles]


def _same_when_fed_everything(projection, h) -> bool:
    every = attrs.evolve(projection, handles=None)
    return fold(projection, h.events, h.parties) == fold(every, h.events, h.parties)


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.name)
@given(h=histories(max_events=30))
def test_handles_leaves_out_nothing_the_projection_reads(projection, h):
    assert _same_when_fed_everything(projection, h)


def test_the_law_catches_a_projection_that_forgets_share_issues():
    assert POSITIONS in PROJECTIONS
    forgetful = attrs.evolve(POSITIONS, handles=frozenset(POSITIONS.handles) - {"share_issue"})
    find(
        histories(max_events=30),
        lambda h: not _same_when_fed_everything(forgetful, h),
        settings=settings(phases=[Phase.generate], max_examples=2000, database=None),
    )
