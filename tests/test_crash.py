"""kill -9 at random moments: an import is all or nothing, and a store always survives.

Each kill lands somewhere in a real ``loopledger replay`` of a 2,000-event file (reading and
parsing it, checking it, writing it, printing) or in a ``loopledger balances`` that writes
its checkpoint. After every kill the store opens, ``verify`` holds, and it holds either the
records it had or those plus the whole file — never part of it; a rerun then completes with
exact balances. The moments are drawn from a seeded generator, so a failure reproduces.
"""

from __future__ import annotations

import random
import shutil
import signal
import time

import pytest

from tests.support.figures import record
from tests.support.histories import (
    cash_of,
    expected_cash,
    finished,
    history,
    loopledger,
    write_history,
)

REPLAY_KILLS, CHECKPOINT_KILLS, EVENTS = 16, 6, 2_000


def _records(url: str) -> int:
    from ledger.store import Store

    with Store(url, create=False) as store:
        return store.head()[0]


def _verified(url: str) -> None:
    import ledger

    with ledger.open(url) as book:
        report = book.verify(fresh_process=False)
    assert report.ok, [
        (c.name, [v.message for v in c.violations]) for c in report.checks if not c.ok
    ]


def _drop_checkpoints(url: str) -> None:
    from ledger.store import Store

    with Store(url, create=False) as store:
        store.delete_states()


def _kill_after(process, seconds: float) -> bool:
    """SIGKILL ``process`` after ``seconds`` unless it finished first; True if it was killed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            finished(process)
            return False
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.communicate()
    return process.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_kill_minus_9_at_random_moments_never_leaves_a_partial_import(tmp_path):
    rng = random.Random(2025)
    base = history("base", 50)
    big = history("big", EVENTS)
    base_path = write_history(tmp_path / "base.json", base)
    big_path = write_history(tmp_path / "big.json", big)
    pristine = tmp_path / "pristine.db"
    assert finished(loopledger("--store", str(pristine), "replay", str(base_path)))[0] == 0
    old = _records(str(pristine))
    everything = old + EVENTS + 2  # the big file's two parties and its events

    # How long a whole import takes here, so the kills spread over all of it.
    timing = tmp_path / "timing.db"
    shutil.copy(pristine, timing)
    started = time.monotonic()
    code, _, err = finished(loopledger("--store", str(timing), "replay", str(big_path)))
    whole = time.monotonic() - started
    assert code == 0, err

    outcomes = {"old": 0, "old + all": 0}
    kills = 0
    store = tmp_path / "store.db"
    for _ in range(REPLAY_KILLS):
        for leftover in tmp_path.glob("store.db*"):
            leftover.unlink()
        shutil.copy(pristine, store)
        killed = _kill_after(
            loopledger("--store", str(store), "replay", str(big_path)),
            rng.uniform(0.0, 0.95 * whole),
        )
        kills += killed
        count = _records(str(store))
        assert count in (old, everything), f"partial import: {count} records"
        outcomes["old" if count == old else "old + all"] += 1
        _verified(str(store))
    # A rerun after the last kill completes, and the balances are exact.
    code, _, err = finished(loopledger("--store", str(store), "replay", str(big_path)))
    assert code == 0 and "Traceback" not in err, err
    assert _records(str(store)) == everything
    cash = {**expected_cash(base), **expected_cash(big)}
    assert cash_of(str(store)) == {k: v for k, v in cash.items() if v}

    # Readers writing their checkpoint, killed at random moments.
    started = time.monotonic()
    assert finished(loopledger("--store", str(timing), "balances", "--json"))[0] == 0
    reading = time.monotonic() - started
    for _ in range(CHECKPOINT_KILLS):
        _drop_checkpoints(str(store))
        kills += _kill_after(
            loopledger("--store", str(store), "balances", "--json"),
            rng.uniform(0.0, 0.95 * reading),
        )
        assert _records(str(store)) == everything
        _verified(str(store))
        code, _, err = finished(loopledger("--store", str(store), "balances", "--json"))
        assert code == 0 and "Traceback" not in err, err
    assert cash_of(str(store)) == {k: v for k, v in cash.items() if v}
    # A kill that arrives after its process finished tests nothing; on a loaded machine this
    # core's replay sometimes ends early (17 of 22 landed in one run). Most must land.
    assert kills >= (REPLAY_KILLS + CHECKPOINT_KILLS) * 2 // 3, (kills, outcomes)
    assert outcomes["old"] >= 1  # some kills landed before the commit
    record(
        "crash",
        kills=kills,
        replay_kills=REPLAY_KILLS,
        checkpoint_kills=CHECKPOINT_KILLS,
        events=EVENTS,
        old=outcomes["old"],
        old_plus_all=outcomes["old + all"],
    )
