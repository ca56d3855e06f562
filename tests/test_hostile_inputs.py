"""Every hostile or malformed file of the catalogue (tests/support/hostile.py) is refused by
``replay`` with exit 2 and a short message — no traceback, no flood, no hang (each case is
bounded by an alarm), and nothing written: the store holds no record (this core's streaming
replay opens the store, then reads the file in one transaction that a refusal rolls back)."""

from __future__ import annotations

import signal

import pytest

from tests.support.figures import record
from tests.support.hostile import NAMES, build

SECONDS = 20
MAX_STDERR = 128 * 1024  # the first 200 problems (MAX_PROBLEMS), the rest counted
REFUSED: list[str] = []


def _records(path) -> int:
    if not path.exists():
        return 0
    from ledger.store import Store

    with Store(str(path), create=False) as opened:
        return opened.head()[0]


def _timeout(signum, frame):
    raise TimeoutError(f"still running after {SECONDS} s")


@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_file_is_refused_cleanly(cli, tmp_path, name):
    path = build(name, tmp_path)
    store = tmp_path / "store.db"
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(SECONDS)
    try:
        ran = cli("--store", str(store), "replay", str(path))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert ran.code == 2, (ran.code, ran.err[-2000:])
    assert "Traceback" not in ran.err, ran.err[-2000:]
    assert len(ran.err) < MAX_STDERR, f"{len(ran.err):,} bytes of messages"
    if name == "a directory":  # refused by the option parser, before any command runs
        assert "is a directory" in ran.err
    else:
        assert ran.err.startswith("error: ") and "nothing was written" in ran.err, ran.err
    assert _records(store) == 0
    REFUSED.append(name)


def test_zz_record_the_hostile_inputs_refused():
    """Reported for docs/reliability.md (runs after the cases above)."""
    record("hostile", cases=len(NAMES), refused=len(REFUSED))
    assert len(REFUSED) == len(NAMES)
