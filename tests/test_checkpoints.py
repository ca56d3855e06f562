"""Checkpoints never change an answer, ``--as-of`` equals the reference fold for every projection
(a plugin's included), and ``ledger.testing.check_projection`` holds plugins to the same laws.

The histories come in batches appended one after another, as a user replays file after file:
after each append the checkpointed engine (which folds only the records since its checkpoint,
or refolds when a reversal cancels an older event) must equal a from-scratch fold.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invariants.strategies import OUTSIDE_MONEY, TERMS_NOT_MODELLED, histories
from ledger import hookimpl
from ledger.engine import Engine
from ledger.engine.projection import Projection
from ledger.faces.output import dumps
from ledger.histories.loader import History, load_file
from ledger.histories.recording import replay
from ledger.model.events import (
    Commitment,
    Event,
    Investment,
    OpeningBalance,
    Price,
    Purchase,
    Reversal,
)
from ledger.model.values import Money, Party
from ledger.store import Store
from ledger.testing import check_projection, fold, load_text, plugin_manager, run_cli

TESTS = Path(__file__).resolve().parent
EXAMPLE = TESTS.parent / "ledger" / "examples" / "ai-compute-2025-2026.yaml"
EVERY_TYPE = TESTS / "data" / "every-type.yaml"


def _load_example_plugin():
    spec = importlib.util.spec_from_file_location(
        "loopledger_exposure", TESTS / "example_plugin" / "loopledger_exposure" / "__init__.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXPOSURE = _load_example_plugin()


def _by_type(state: dict[str, list[str]], entry) -> dict[str, list[str]]:
    state.setdefault(entry.event.TYPE, []).append(entry.event.id)
    return state


BY_TYPE = Projection(
    "test.ids_by_type", dict, _by_type, describe=lambda s: {k: s[k] for k in sorted(s)}
)


class ByType:
    """An order-sensitive projection: a resumed fold that skipped or repeated an event shows."""

    @hookimpl
    def ledger_register_projections(self, register: Callable[..., None]) -> None:
        register(BY_TYPE)


@pytest.fixture(scope="module")
def plugins():
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LOOPLEDGER_DISABLE_PLUGINS", raising=False)
        mp.delenv("LOOPLEDGER_STRICT_PLUGINS", raising=False)
        return plugin_manager(EXPOSURE, ByType())


# --- a small generator of valid batches ---------------------------------------------------------------

PARTIES = tuple(
    Party(id=p, name=p.title(), allow_overdraft=OUTSIDE_MONEY)
    for p in ("nvidia", "openai", "oracle", "amd")
)
NAMES = [p.id for p in PARTIES]
START = dt.date(2025, 1, 1)

money = st.integers(1, 10**6).map(lambda n: Money(Decimal(n).scaleb(-2) * 1000))
days = st.integers(0, 90).map(lambda n: START + dt.timedelta(days=n))
pairs = st.permutations(NAMES).map(lambda ps: (ps[0], ps[1]))


@st.composite
def batched_histories(draw) -> list[list[Event]]:
    """1–4 batches of 1–6 events: openings, investments, commitments and draws on them,
    purchases, prices, and reversals of purchases. Every event is valid where it stands and
    dated on or after what it refers to, so every as-of cut is a valid history too."""
    commitments: list[Commitment] = []
    purchases: dict[str, dt.date] = {}
    batches: list[list[Event]] = []
    counter = 0
    for _ in range(draw(st.integers(1, 4))):
        batch: list[Event] = []
        for _ in range(draw(st.integers(1, 6))):
            counter += 1
            eid, date = f"e{counter}", draw(days)
            kinds = ["opening", "investment", "commitment", "purchase", "price"]
            kinds += ["draw"] * bool(commitments) + ["reversal"] * bool(purchases)
            kind = draw(st.sampled_from(kinds))
            if kind == "opening":
                event: Event = OpeningBalance(
                    id=eid, date=date, party=draw(st.sampled_from(NAMES)), amount=draw(money)
                )
            elif kind == "investment":
                a, b = draw(pairs)
                event = Investment(id=eid, date=date, investor=a, investee=b, amount=draw(money))
            elif kind == "commitment":
                a, b = draw(pairs)
                event = Commitment(
                    id=eid,
                    date=date,
                    payer=a,
                    payee=b,
                    amount=draw(money),
                    kind=draw(st.sampled_from(["purchase", "investment"])),
                )
                commitments.append(event)
            elif kind == "draw":
                c = draw(st.sampled_from(commitments))
                date = max(date, c.date)
                if c.kind == "purchase":
                    event = Purchase(
                        id=eid,
                        date=date,
                        buyer=c.payer,
                        seller=c.payee,
                        amount=draw(money),
                        item="GPUs",
                        commitment=c.id,
                        override=TERMS_NOT_MODELLED,  # may draw past what is outstanding
                    )
                    purchases[eid] = date
                else:
                    event = Investment(
                        id=eid,
                        date=date,
                        investor=c.payer,
                        investee=c.payee,
                        amount=draw(money),
                        commitment=c.id,
                        override=TERMS_NOT_MODELLED,
                    )
            elif kind == "purchase":
                a, b = draw(pairs)
                event = Purchase(
                    id=eid, date=date, buyer=a, seller=b, amount=draw(money), item="compute"
                )
                purchases[eid] = date
            elif kind == "price":
                event = Price(
                    id=eid, date=date, party=draw(st.sampled_from(NAMES)), per_share=draw(money)
                )
            else:
                target = draw(st.sampled_from(sorted(purchases)))
                event = Reversal(
                    id=eid, date=max(date, purchases.pop(target)), of=target, reason="entered twice"
                )
            batch.append(event)
        batches.append(batch)
    return batches


def history(events: list[Event]) -> History:
    return History("batch", None, "USD", PARTIES, tuple(events))


@contextlib.contextmanager
def store_for(backend: str):
    """A fresh store; SQLite in a temporary directory (tmp_path is per test, not per example)."""
    if backend == "memory":
        with Store("memory:") as store:
            yield store
        return
    with tempfile.TemporaryDirectory() as folder, Store(os.path.join(folder, "t.db")) as store:
        yield store


# --- checkpointed = from scratch --------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@given(batches=batched_histories())
def test_checkpointed_runs_equal_from_scratch_runs_after_every_append(plugins, backend, batches):
    projections = plugins.projections()
    recorded: set[str] = set()
    with store_for(backend) as store:
        for batch in batches:
            cancels_older = any(isinstance(e, Reversal) and e.of in recorded for e in batch)
            report = replay(Engine(store, projections), [history(batch)])
            assert report.new == len(batch)
            recorded |= {e.id for e in batch}

            checkpointed = Engine(store, projections).run()
            scratch = Engine(store, projections).run(use_checkpoint=False, save_checkpoint=False)
            assert checkpointed.problems == scratch.problems == []
            assert checkpointed.failures == scratch.failures == []
            assert checkpointed.states == scratch.states
            assert checkpointed.position == scratch.position == store.head()[0]
            # The checkpoint was really used, except when a reversal cancels an older event.
            assert checkpointed.from_checkpoint is not cancels_older
            assert Engine(store, projections).run().from_checkpoint


@given(batches=batched_histories())
def test_as_of_equals_the_reference_fold_for_every_projection(plugins, batches):
    projections = plugins.projections()
    assert {"balances", "exposure.by_counterparty", "test.ids_by_type"} <= {
        r.projection.name for r in projections
    }
    events = [e for batch in batches for e in batch]
    with Store("memory:") as store:
        for batch in batches:
            replay(Engine(store, projections), [history(batch)])
        Engine(store, projections).run()  # a checkpoint at the head, usable for late cuts
        dates = sorted({e.date for e in events})
        for day in [dates[0] - dt.timedelta(days=1), *dates]:
            result = Engine(store, projections).run(as_of=day)
            assert result.failures == []
            for r in projections:
                expected = fold(r.projection, events, PARTIES, as_of=day)
                assert result.states[r.projection.name] == expected, (r.projection.name, day)


def test_project_as_of_on_the_cli_equals_the_reference_fold(plugins, tmp_path):
    """``loopledger project NAME --as-of D`` for built-in, plugin and test projections alike."""
    store = str(tmp_path / "asof.db")
    data = load_file(EXAMPLE)
    assert run_cli(plugins, "replay", str(EXAMPLE), store=store).code == 0
    dates = sorted({e.date for e in data.events})
    for day in [dates[0] - dt.timedelta(days=1), *dates[::3], dates[-1]]:
        for r in plugins.projections():
            name = r.projection.name
            ran = run_cli(
                plugins, "project", name, "--as-of", day.isoformat(), "--json", store=store
            )
            assert ran.code == 0, ran.err
            describe = getattr(r.projection, "describe", None) or (lambda s: s)
            expected = describe(fold(r.projection, data.events, data.parties, as_of=day))
            assert json.loads(ran.out)["state"] == json.loads(dumps(expected)), (name, day)


# --- ledger.testing.check_projection ----------------------------------------------------------------


@pytest.mark.parametrize("path", [EXAMPLE, EVERY_TYPE], ids=["bundled", "every-type"])
def test_check_projection_passes_the_example_plugin(path):
    data = load_file(path)
    assert check_projection(EXPOSURE.BY_COUNTERPARTY, data.events, data.parties) == []
    assert check_projection(BY_TYPE, data.events, data.parties) == []


@given(histories())
def test_check_projection_passes_the_example_plugin_on_generated_histories(h):
    assert check_projection(EXPOSURE.BY_COUNTERPARTY, h.events, h.parties) == []


def test_check_projection_catches_shared_state_and_reliance_on_positions():
    data = load_file(EVERY_TYPE)
    shared: dict[str, int] = {}

    def tally(state: dict[str, int], entry) -> dict[str, int]:
        state[entry.event.TYPE] = state.get(entry.event.TYPE, 0) + 1
        return state

    leaky = Projection("test.leaky", lambda: shared, tally)
    found = {v.invariant for v in check_projection(leaky, data.events, data.parties)}
    assert "replay-determinism" in found

    positions = Projection("test.positions", list, lambda s, e: [*s, e.position])
    found = {v.invariant for v in check_projection(positions, data.events, data.parties)}
    assert "as-of-consistency" in found  # every-type.yaml is not recorded in date order
    undone = load_text(
        """
        loopledger: 1
        parties: [{id: amd, name: AMD}, {id: openai, name: OpenAI}]
        events:
          - {id: ob, date: 2025-01-01, type: opening_balance, party: openai, amount: "10B"}
          - {id: buy, date: 2025-01-02, type: purchase, buyer: openai, seller: amd, amount: "1B", item: GPUs}
          - {id: buy-2, date: 2025-01-03, type: purchase, buyer: openai, seller: amd, amount: "2B", item: GPUs}
          - {id: undo, date: 2025-01-04, type: reversal, of: buy, reason: entered twice}
        """
    )
    (violation,) = check_projection(positions, undone.events, undone.parties)
    assert violation.invariant == "reversal-cancels"
    assert violation.event_ids == ("undo", "buy")
    assert check_projection(BY_TYPE, undone.events, undone.parties) == []
