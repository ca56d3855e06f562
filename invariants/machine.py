"""A hypothesis state machine that records random valid deal histories through the real store.

After every step it checks, on the store itself: the hash chain, every registered invariant
(built-in and plugin), that a checkpointed catch-up equals a from-scratch fold, and that replaying
everything again records nothing. Plugin authors get their invariants and projections exercised
simply by having the plugin installed::

    from invariants.machine import ledger_machine
    TestMyPluginOnSQLite = ledger_machine("sqlite").TestCase
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import tempfile
from typing import Any

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from invariants.chain import chain_violations
from invariants.history import deterministic, idempotent
from invariants.strategies import HistoryModel, party_list
from invariants.violation import Context
from ledger.engine import Engine
from ledger.histories.loader import History
from ledger.histories.recording import replay
from ledger.model.events import Amendment, Event, Reversal
from ledger.model.problems import AssertionsFailed, InputError
from ledger.store import Store


def ledger_machine(
    backend: str, plugins: Any = None, *, hostile: bool = False
) -> type[RuleBasedStateMachine]:
    """A machine class over ``backend`` ("memory" or "sqlite") with the given plugin facade.

    With ``hostile`` it also appends files the model did not vouch for — reversals and
    amendments of any recorded event, any event moved to any date — and asserts that each is
    either refused leaving the store exactly as it was, or accepted leaving a store that folds
    (whole and as of the step's days), holds every law and replays again as 0 new: an accepted
    append never bricks a store (issue #13).
    """

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
            self.trusted = True
            """False once a hostile step was accepted: the model no longer knows the book, so
            its draws may be refused (and must then leave the store unchanged)."""
            self.attempts = 0
            self.days: set[dt.date] = set()

        def engine(self) -> Engine:
            return Engine(self.store, self.plugins.projections())

        @rule(data=st.data(), n=st.integers(1, 3))
        def record(self, data: st.DataObject, n: int) -> None:
            events = tuple(self.model.draw_event(data.draw) for _ in range(n))
            if self.trusted:
                report = replay(self.engine(), [History("step", None, "USD", self.parties, events)])
                assert report.new == n, report
                self.recorded.extend(events)
            else:
                self._attempt(events)

        def _attempt(self, events: tuple[Event, ...]) -> bool:
            """Append a file that may be refused: refused, nothing changed; accepted, kept."""
            before = list(self.store.read_raw())
            try:
                report = replay(
                    self.engine(), [History("hostile", None, "USD", self.parties, events)]
                )
            except (InputError, AssertionsFailed):
                assert list(self.store.read_raw()) == before, "a refused file changed the store"
                return False
            assert report.new == len(events), report
            self.recorded.extend(events)
            self.days = {d for e in events for d in (e.date, e.date - dt.timedelta(days=1))}
            return True

        if hostile:

            @precondition(lambda self: bool(self.recorded))
            @rule(data=st.data())
            def record_anything(self, data: st.DataObject) -> None:
                ids = sorted({e.id for e in self.recorded})
                date = data.draw(st.dates(dt.date(2024, 6, 1), dt.date(2028, 12, 31)))
                self.attempts += 1
                eid = f"hostile-{self.attempts}"
                kind = data.draw(st.sampled_from(["reversal", "amendment", "redated"]))
                event: Event
                if kind == "reversal":
                    event = Reversal(
                        id=eid, date=date, of=data.draw(st.sampled_from(ids)), reason="probe"
                    )
                elif kind == "amendment":
                    event = Amendment(
                        id=eid,
                        date=date,
                        of=data.draw(st.sampled_from(ids)),
                        status=data.draw(
                            st.sampled_from(["cancelled", "lapsed", "definitive", "revised"])
                        ),
                    )
                else:
                    # a fresh copy of the model's next draw, on a model that forgets it
                    drawn = copy.deepcopy(self.model).draw_event(data.draw)
                    event = attrs.evolve(drawn, id=eid, date=date)
                if self._attempt((event,)):
                    self.trusted = False

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
            for day in sorted(self.days):
                cut = engine.run(as_of=day, use_checkpoint=False, save_checkpoint=False)
                assert cut.problems == [] and cut.failures == [], (day, cut.problems)
            self.days = set()
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
