"""A hypothesis state machine that records random valid deal histories through the real store.

After every step it checks, on the store itself: the hash chain, every registered invariant
(built-in and plugin), that a checkpointed catch-up equals a from-scratch fold, and that replaying
everything again records nothing. Plugin authors get their invariants and projections exercised
simply by having the plugin installed::

    from invariants.machine import ledger_machine
    TestMyPluginOnSQLite = ledger_machine("sqlite").TestCase
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from invariants.chain import chain_violations
from invariants.history import deterministic, idempotent
from invariants.strategies import HistoryModel, party_list
from invariants.violation import Context
from ledger.engine import Engine
from ledger.histories.loader import History
from ledger.histories.recording import replay
from ledger.model.events import Event
from ledger.store import Store


def ledger_machine(backend: str, plugins: Any = None) -> type[RuleBasedStateMachine]:
    """A machine class over ``backend`` ("memory" or "sqlite") with the given plugin facade."""

    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            from ledger.plugin.manager import make_plugin_manager

            self.plugins = plugins or make_plugin_manager(load_entrypoints=False)
            self.tmp = (
                tempfile.mkdtemp(prefix="loopledger-machine-") if backend == "sqlite" else None
            )
            self.url = os.path.join(self.tmp, "machine.db") if self.tmp else "memory:"
            self.store = Store(self.url)
            self.parties = party_list(4)
            self.model = HistoryModel(self.parties)
            self.recorded: list[Event] = []

        def engine(self) -> Engine:
            return Engine(self.store, self.plugins.projections())

        @rule(data=st.data(), n=st.integers(1, 3))
        def record(self, data: st.DataObject, n: int) -> None:
            events = tuple(self.model.draw_event(data.draw) for _ in range(n))
            report = replay(self.engine(), [History("step", None, "USD", self.parties, events)])
            assert report.new == n, report
            self.recorded.extend(events)

        @precondition(lambda self: bool(self.recorded))
        @rule()
        def replay_everything_again(self) -> None:
            before = self.store.head()[0]
            report = replay(
                self.engine(), [History("again", None, "USD", self.parties, tuple(self.recorded))]
            )
            assert idempotent(report.new, before, self.store.head()[0]) == []

        @precondition(lambda self: backend == "sqlite")
        @rule()
        def reopen(self) -> None:
            self.store.close()
            self.store = Store(self.url)

        @invariant()
        def every_law_holds(self) -> None:
            raw = list(self.store.read_raw())
            assert chain_violations(raw) == []
            engine = self.engine()
            scratch = engine.run(keep_entries=True, use_checkpoint=False, save_checkpoint=False)
            assert scratch.problems == [] and scratch.failures == [], (
                scratch.problems,
                scratch.failures,
            )
            caught_up = engine.run()
            assert (
                deterministic(scratch.states, caught_up.states, how="checkpoint vs scratch") == []
            )
            context = Context(
                entries=scratch.entries or [],
                events=list(self.recorded),
                book=scratch.book,
                states=scratch.states,
                parties=self.parties,
                records=raw,
            )
            for spec in self.plugins.invariants():
                assert list(spec.check(context)) == [], spec.name

        def teardown(self) -> None:
            self.store.close()
            if self.tmp:
                import shutil

                shutil.rmtree(self.tmp, ignore_errors=True)

    LedgerMachine.__name__ = f"LedgerMachine_{backend}"
    return LedgerMachine
