"""The benchmark's synthetic history: valid, the same in every format, and the same money as its journal.

``make bench`` times loopledger against ledger-cli and hledger on these files, so the files must
say the same thing: the history must replay and verify cleanly, YAML/JSON/JSON Lines must hold
the same events, and the journal's per-account cash totals — as ledger-cli and hledger compute
them — must equal ``loopledger balances``. ~2,000 events keep it quick.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tracemalloc
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from benchmarks.generate import HistoryGenerator
from benchmarks.writers import Written, write_history
from ledger.histories.loader import load_file
from ledger.model.codec import to_dict
from tests.conftest import run_cli

EVENTS = 2_000
EVENT_TYPES = {
    "opening_balance",
    "investment",
    "loan",
    "repayment",
    "commitment",
    "purchase",
    "delivery",
    "warrant_grant",
    "warrant_vest",
    "warrant_exercise",
    "revenue_report",
    "price",
    "amendment",
    "reversal",
}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    return write_history(tmp_path_factory.mktemp("history"), EVENTS, seed=3)


@pytest.fixture(scope="module")
def store(written: Written) -> str:
    """A SQLite store holding the YAML history (replay must succeed)."""
    path = str(written.expected.parent / "bench.db")
    ran = run_cli("--store", path, "replay", str(written.paths["yaml"]))
    assert ran.code == 0, ran.err
    assert f"{EVENTS} new" in ran.out
    return path


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed (apt-get install ledger hledger; .ci/run does it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def _run(*argv: str) -> str:
    ran = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert ran.returncode == 0 and not ran.stderr.strip(), (argv, ran.returncode, ran.stderr)
    return ran.stdout


def _usd(text: str) -> Decimal:
    amount, _, commodity = text.strip().partition(" ")
    assert commodity == "USD", text
    return Decimal(amount)


def test_the_history_uses_every_event_type_and_replays_and_verifies_cleanly(written, store):
    types = {g.event["type"] for g in HistoryGenerator(EVENTS, seed=3)}
    assert types == EVENT_TYPES
    ran = run_cli("--store", store, "verify")
    assert ran.code == 0, ran.out + ran.err
    assert "all checks hold" in ran.out


def test_several_seeds_replay_cleanly(tmp_path):
    for seed in (1, 2, 5):
        done = write_history(tmp_path / str(seed), 1_500, seed=seed, formats=("json",))
        ran = run_cli("--store", "memory:", "replay", str(done.paths["json"]))
        assert ran.code == 0, (seed, ran.err)


def test_yaml_json_and_json_lines_hold_the_same_history(written):
    from_yaml, from_json = load_file(written.paths["yaml"]), load_file(written.paths["json"])
    assert from_yaml.events == from_json.events and len(from_json.events) == EVENTS
    assert from_yaml.parties == from_json.parties
    lines = written.paths["jsonl"].read_bytes().splitlines()
    header, events = orjson.loads(lines[0]), [orjson.loads(line) for line in lines[1:]]
    document = orjson.loads(written.paths["json"].read_bytes())
    assert header == {"loopledger": 1, "parties": document["parties"]}
    assert events == document["events"]
    # and the parsed events say what the plain ones do
    assert [to_dict(e)["id"] for e in from_json.events] == [e["id"] for e in events]


def test_generation_is_deterministic(tmp_path):
    a = write_history(tmp_path / "a", 500, seed=9)
    b = write_history(tmp_path / "b", 500, seed=9)
    c = write_history(tmp_path / "c", 500, seed=10)
    for fmt in ("yaml", "json", "jsonl", "journal"):
        assert a.paths[fmt].read_bytes() == b.paths[fmt].read_bytes()
        assert a.paths[fmt].read_bytes() != c.paths[fmt].read_bytes()


def test_generation_keeps_memory_flat():
    """Bounded pools: three times the events must not cost more memory (no event is kept)."""

    def peak(n: int) -> int:
        tracemalloc.start()
        for _ in HistoryGenerator(n, pool=30):
            pass
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    small, large = peak(3_000), peak(9_000)
    assert large < small * 1.3 + 64 * 1024, (small, large)


def _loopledger_usd(store: str) -> dict[str, Decimal]:
    ran = run_cli("--store", store, "balances", "--json")
    assert ran.code == 0, ran.err
    rows = orjson.loads(ran.out)["balances"]
    return {
        f"{r['party']}:{r['account']}": Decimal(r["amount"])
        for r in rows
        if r["commodity"] == "USD"
    }


def test_the_journal_has_loopledgers_cash_balances_per_account(written, store):
    expected = {
        k: Decimal(v) for k, v in orjson.loads(written.expected.read_bytes())["usd"].items()
    }
    assert expected == _loopledger_usd(store)
    assert sum(expected.values()) == 0 and len(expected) > 500


@pytest.mark.tools
def test_ledger_cli_and_hledger_read_the_journal_with_the_same_balances(written, store):
    journal = str(written.paths["journal"])
    loopledger = _loopledger_usd(store)
    out = _run(
        _tool("ledger"),
        "-f",
        journal,
        "balance",
        "--flat",
        "--no-total",
        "--balance-format",
        "%(account)\t%(display_total)\n",
    )
    by_ledger = {}
    for line in out.splitlines():
        account, _, amount = line.partition("\t")
        by_ledger[account] = _usd(amount)
    out = _run(_tool("hledger"), "-f", journal, "balance", "--flat", "--no-total", "-O", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["account", "balance"]
    by_hledger = {account: _usd(amount) for account, amount in rows[1:]}
    assert by_ledger == loopledger
    assert by_hledger == loopledger
    # The plain `balance` a benchmark times accepts the file too (exit 0, nothing on stderr).
    _run("ledger", "-f", journal, "balance")
    _run("hledger", "-f", journal, "balance")


def test_the_floor_script_folds_the_same_cash(written, store):
    import sys

    ran = subprocess.run(
        [sys.executable, str(Path(__file__).parent.parent / "benchmarks" / "floor.py"), store],
        capture_output=True,
        check=True,
        timeout=60,
    )
    cash = {p: Decimal(v) for p, v in orjson.loads(ran.stdout).items()}
    loopledger = _loopledger_usd(store)
    assert cash == {k.split(":")[0]: v for k, v in loopledger.items() if k.endswith(":assets:cash")}
