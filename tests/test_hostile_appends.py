"""Appends the model did not vouch for never brick a store (issue #13, point 5).

The hostile state machine (:func:`invariants.machine.ledger_machine` with ``hostile``) appends
reversals and amendments of any recorded event and model events moved to any date, beside
valid files: a refused file must leave the store byte-identical, an accepted one a store that
folds whole and as of the step's days, holds every law and replays again as 0 new. The figures
(accepted and refused per kind) go to docs/reliability.md.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from invariants.machine import ledger_machine
from ledger.engine import Engine
from tests.support.figures import record

RUNS = 150 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 15


def _counted(backend: str, seen: Counter[str]) -> type:
    base = ledger_machine(backend, hostile=True)

    class Counted(base):  # type: ignore[misc, valid-type]
        def _attempt(self, events):
            accepted = super()._attempt(events)
            hostile = len(events) == 1 and events[0].id.startswith("hostile-")
            kind = type(events[0]).__name__ if hostile else "model file after a hostile one"
            seen[f"{kind}: {'accepted' if accepted else 'refused'}"] += 1
            return accepted

    return Counted


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_hostile_appends_leave_a_store_that_folds_or_nothing(backend):
    seen: Counter[str] = Counter()
    run_state_machine_as_test(
        _counted(backend, seen),
        settings=settings(
            max_examples=RUNS,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    hostile = {k: v for k, v in seen.items() if not k.startswith("model file")}
    assert any(k.endswith("accepted") for k in hostile) and any(
        k.endswith("refused") for k in hostile
    ), seen  # both paths were exercised
    record("appends", backend=backend, runs=RUNS, steps=dict(seen))


def test_the_hostile_machine_catches_a_replay_that_lets_a_reversal_brick_the_store(monkeypatch):
    """Broken variant: replay forgets that stored events rest on what a reversal cancels (a
    draw on a reversed commitment, a vest on a reversed grant). The machine finds a history
    whose store then no longer folds."""
    real = Engine.book_at_head

    def forgetful(self, *args, **kwargs):
        book, _ = real(self, *args, **kwargs)
        return book, []

    monkeypatch.setattr(Engine, "book_at_head", forgetful)
    with pytest.raises(AssertionError):
        run_state_machine_as_test(
            ledger_machine("memory", hostile=True),
            settings=settings(
                max_examples=300,
                stateful_step_count=20,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            ),
        )
