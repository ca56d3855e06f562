"""Each invariant holds on random valid histories — and catches a deliberately broken variant.

A property test is only worth its runtime if it can fail: every law below is run twice, once
on the real code (no violations) and once on a broken variant, where ``hypothesis.find`` must
produce a counterexample.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

import ledger.book.rules as book_rules
from invariants.accounting import cash_across_loop, global_conservation, postings_balance
from invariants.history import (
    as_of_consistency,
    deterministic,
    fold_states,
    idempotent,
    reversal_cancels,
    round_trip,
)
from invariants.instruments import commitment_limits, warrant_limits
from invariants.strategies import histories
from ledger.book import Entry, fold
from ledger.engine.projection import Projection
from ledger.model.codec import content_hash, to_dict
from ledger.model.events import Purchase, Repayment, Reversal, WarrantVest
from ledger.model.postings import Posting
from ledger.model.values import Money

# Stop at the first counterexample: finding one is the point, shrinking it is not.
FIND = settings(
    max_examples=2000,
    database=None,
    suppress_health_check=list(HealthCheck),
    deadline=None,
    phases=[Phase.generate],
)


def entries_of(h):
    _, entries, problems = fold(h.events, h.parties)
    assert problems == []
    return entries


def broken(monkeypatch, event_type, wrap):
    """Replace the book's handler for one event type by ``wrap(original)``."""
    original = book_rules.HANDLERS[event_type]
    monkeypatch.setitem(book_rules.HANDLERS, event_type, wrap(original))


# --- postings balance -------------------------------------------------------------------------


@given(histories())
def test_every_event_balances(h):
    assert postings_balance(entries_of(h)) == []


def test_postings_balance_catches_a_dropped_cent(monkeypatch):
    def drop_a_cent(original):
        def handler(book, e):
            ps = list(original(book, e))
            ps[0] = Posting(
                ps[0].party, ps[0].account, ps[0].commodity, ps[0].quantity - Decimal("0.01")
            )
            return tuple(ps)

        return handler

    broken(monkeypatch, Purchase, drop_a_cent)
    found = find(histories(), lambda h: bool(postings_balance(entries_of(h))), settings=FIND)
    assert any(isinstance(e, Purchase) for e in found.events)


# --- global conservation ------------------------------------------------------------------------


@given(histories())
def test_global_conservation_after_every_prefix(h):
    assert global_conservation(entries_of(h)) == []


def test_global_conservation_catches_a_dropped_leg(monkeypatch):
    broken(monkeypatch, Repayment, lambda original: lambda book, e: original(book, e)[:-1])
    found = find(histories(), lambda h: bool(global_conservation(entries_of(h))), settings=FIND)
    assert any(isinstance(e, Repayment) for e in found.events)


# --- cash across the loop -------------------------------------------------------------------------


@given(histories())
def test_cash_across_the_loop(h):
    assert cash_across_loop(entries_of(h)) == []


def test_cash_across_the_loop_catches_cash_parked_elsewhere(monkeypatch):
    """A purchase that credits the seller's 'assets:bank' still balances — only this law sees it."""

    def misfiled(original):
        return lambda book, e: tuple(
            Posting(
                p.party,
                "assets:bank" if p.party == e.seller and p.account == "assets:cash" else p.account,
                p.commodity,
                p.quantity,
            )
            for p in original(book, e)
        )

    broken(monkeypatch, Purchase, misfiled)
    find(
        histories(),
        lambda h: not postings_balance(entries_of(h)) and bool(cash_across_loop(entries_of(h))),
        settings=FIND,
    )


# --- warrants -------------------------------------------------------------------------------------


@given(histories())
def test_warrants_vested_le_granted_and_exercised_le_vested(h):
    book, entries, _ = fold(h.events, h.parties)
    assert warrant_limits(entries, book) == []


def test_warrant_limits_catch_a_vest_that_counts_twice(monkeypatch):
    def double(original):
        def handler(book, e):
            return tuple(
                Posting(p.party, p.account, p.commodity, p.quantity * 2) for p in original(book, e)
            )

        return handler

    broken(monkeypatch, WarrantVest, double)
    find(histories(), lambda h: bool(warrant_limits(entries_of(h))), settings=FIND)


# --- commitments ------------------------------------------------------------------------------------


@given(histories())
def test_commitments_drawn_le_committed(h):
    book, entries, _ = fold(h.events, h.parties)
    assert commitment_limits(entries, book) == []


def test_commitment_limits_catch_uncapped_draws(monkeypatch):
    """A draw-down that ignores what is outstanding (overruns become negative commitments)."""
    from ledger.model.values import committed

    def uncapped(original):
        def handler(book, e):
            ps = tuple(p for p in original(book, e) if not p.commodity.startswith("committed:"))
            if e.commitment is None:
                return ps
            c = book.commitments[e.commitment].event
            extra = (
                Posting(
                    c.payer, f"liabilities:commitments:{c.payee}", committed("USD"), e.amount.amount
                ),
                Posting(
                    c.payee, f"assets:commitments:{c.payer}", committed("USD"), -e.amount.amount
                ),
            )
            return ps + extra

        return handler

    broken(monkeypatch, Purchase, uncapped)
    find(histories(), lambda h: bool(commitment_limits(entries_of(h))), settings=FIND)


# --- reversals ----------------------------------------------------------------------------------------


@given(histories())
def test_a_reversal_cancels_its_event_exactly(h):
    assert reversal_cancels(h.events, h.parties) == []


def test_reversal_law_catches_a_fold_that_skips_reversals():
    def skipping(events, parties, projections):
        kept = [e for e in events if not isinstance(e, Reversal)]
        return fold_states(kept, parties, projections)

    find(
        histories(),
        lambda h: bool(reversal_cancels(h.events, h.parties, fold_fn=skipping)),
        settings=FIND,
    )


# --- replay determinism -------------------------------------------------------------------------------


def _counting_projection(shared: list[int] | None = None):
    def initial():
        return shared if shared is not None else []

    def apply(state, entry: Entry):
        state.append(entry.position)
        return state

    return Projection("test.positions", initial, apply)


@given(histories())
def test_folding_twice_gives_identical_states(h):
    p = _counting_projection()
    assert (
        deterministic(
            fold_states(h.events, h.parties, [p]),
            fold_states(h.events, h.parties, [p]),
            how="twice",
        )
        == []
    )


def test_determinism_catches_a_projection_with_hidden_shared_state():
    import copy

    leaky = _counting_projection(shared=[])  # initial() returns the same list every time

    def differs(h):
        first = copy.deepcopy(fold_states(h.events, h.parties, [leaky]))
        return bool(deterministic(first, fold_states(h.events, h.parties, [leaky]), how="twice"))

    find(histories(), differs, settings=FIND)


# --- as-of consistency ------------------------------------------------------------------------------------


@given(histories(min_events=2))
def test_state_as_of_d_equals_the_fold_of_events_dated_up_to_d(h):
    for cut in sorted({e.date for e in h.events}):
        computed = fold_states(h.events, h.parties, as_of=cut)
        assert as_of_consistency(h.events, cut, computed, h.parties) == []


def test_as_of_law_catches_a_cut_by_recorded_order():
    """A plausible bug: 'as of D' = every event recorded before the first one dated after D."""

    def cut_by_order(events, cut):
        kept = []
        for e in events:
            if e.date > cut:
                break
            kept.append(e)
        return kept

    def bad(h):
        return any(
            as_of_consistency(
                h.events, e.date, fold_states(cut_by_order(h.events, e.date), h.parties), h.parties
            )
            for e in h.events
        )

    find(histories(min_events=2), bad, settings=FIND)


# --- serialization round trip -------------------------------------------------------------------------------


def _raw(h):
    import orjson

    return [
        (i, orjson.dumps({"k": "event", "r": to_dict(e), "h": content_hash(e), "c": ""}))
        for i, e in enumerate(h.events, 1)
    ]


@given(histories())
def test_every_event_round_trips_to_the_digit(h):
    assert round_trip(_raw(h)) == []


def test_round_trip_catches_a_codec_that_drops_the_scale(monkeypatch):
    from ledger.model import codec

    monkeypatch.setattr(codec, "format_decimal", lambda d: format(d.normalize(), "f"))
    codec._CODECS.clear()
    try:
        find(histories(), lambda h: bool(round_trip(_raw_with_original(h))), settings=FIND)
    finally:
        codec._CODECS.clear()


def _raw_with_original(h):
    """Stored text written by the correct codec, read back by the (broken) current one."""
    import orjson

    from ledger.model.amounts import format_decimal as exact

    def exact_money(m):
        return f"{exact(m.amount)} {m.currency}"

    rows = []
    for i, e in enumerate(h.events, 1):
        body = to_dict(e)
        if isinstance(getattr(e, "amount", None), Money):
            body["amount"] = exact_money(e.amount)
        rows.append((i, orjson.dumps({"k": "event", "r": body, "h": content_hash(e), "c": ""})))
    return rows


def _loads_from_its_file(h) -> bool:
    """The history written as a deal-history file (JSON) loads back as the same events."""
    import json

    from ledger.histories.loader import load_bytes
    from ledger.model.codec import party_to_dict
    from ledger.model.problems import InputError

    document = {
        "loopledger": 1,
        "parties": [party_to_dict(p) for p in h.parties],
        "events": [to_dict(e) for e in h.events],
    }
    try:
        loaded = load_bytes(json.dumps(document).encode(), "history.json", json_format=True)
    except InputError:
        return False
    return loaded.parties == h.parties and loaded.events == h.events


@given(histories())
def test_every_generated_history_loads_from_its_file(h):
    # The strategies, the book and the loader accept the same values (e.g. a strike of 0).
    assert _loads_from_its_file(h)


def test_file_law_catches_a_loader_stricter_than_the_book(monkeypatch):
    from ledger.histories import fields

    strict = fields._money
    monkeypatch.setattr(
        fields, "_money", lambda value, currency, zero=False: strict(value, currency)
    )
    find(histories(), lambda h: not _loads_from_its_file(h), settings=FIND)


# --- idempotency (through the real store) -------------------------------------------------------------------


@settings(max_examples=30, suppress_health_check=list(HealthCheck), deadline=None)
@given(histories())
def test_replaying_recorded_events_changes_nothing(h):
    from ledger.engine import Engine
    from ledger.histories.loader import History
    from ledger.histories.recording import replay
    from ledger.store import Store

    with Store("memory:") as store:
        engine = Engine(store)
        history = History("generated", None, "USD", h.parties, h.events)
        replay(engine, [history])
        before = store.head()[0]
        report = replay(engine, [history])
        assert idempotent(report.new, before, store.head()[0]) == []


def test_idempotency_law_catches_a_store_that_forgets_ids(monkeypatch):
    from eventsourcing.popo import POPOApplicationRecorder

    import ledger.store.recorders as store_recorders
    from ledger.engine import Engine
    from ledger.histories.loader import History
    from ledger.histories.recording import replay
    from ledger.store import Store

    # A store that forgets which ids it holds, and whose unique id index is gone too.
    monkeypatch.setattr(Store, "lookup", lambda self, ids: {})
    monkeypatch.setattr(
        store_recorders.MemoryRecorder,
        "_insert_events",
        lambda self, events, **kw: POPOApplicationRecorder._insert_events(self, events),
    )
    with Store("memory:") as store:
        engine = Engine(store)
        h = find(
            histories(min_events=1),
            lambda h: any(not isinstance(e, Reversal) for e in h.events),
            settings=FIND,
        )
        history = History("generated", None, "USD", h.parties, h.events)
        replay(engine, [history])
        before = store.head()[0]
        try:
            report = replay(engine, [history])
        except Exception:  # noqa: BLE001 - a duplicate-id rejection is also a detected failure
            pytest.fail("the broken store should have accepted duplicates silently")
        assert idempotent(report.new, before, store.head()[0]) != []
