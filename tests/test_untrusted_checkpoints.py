"""A store someone sent you cannot run code through its checkpoints.

Checkpoints are plain data under a MAC keyed by this user's derived-data key (docs/architecture.md,
"Checkpoints and trust"). Here every checkpoint row of a real store — SQLite and PostgreSQL — is
overwritten with a pickle that writes a file when unpickled, or with random bytes, and a
loopledger 0.1 checkpoint table holding the same pickle is planted beside them. Every command must
still answer exactly as on the clean store (it folds again), the pickle must never run, and
``verify`` must name every bad checkpoint.
"""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, Ran, run_cli

COMMANDS: list[tuple[str, ...]] = [
    ("balances", "--json"),
    ("balances", "--json", "--as-of", "2025-12-31"),
    ("audit", "--json"),
    ("metrics", "--json"),
    ("metrics", "--json", "--by", "quarter"),
    ("value", "--json"),
]


class _WritesAFile:
    """Unpickling this writes ``path``: what a crafted checkpoint would do."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (f"open({self.path!r}, 'w').write('pickle ran')",))


def _payloads(marker: Path) -> list[bytes]:
    return [pickle.dumps(_WritesAFile(marker)), os.urandom(64)]


def test_the_planted_pickle_would_really_run(tmp_path):
    """The payload is not a dud: unpickled, it writes its file (so its absence below means
    something)."""
    marker = tmp_path / "ran"
    pickle.loads(_payloads(marker)[0])  # the point of the test: it is real
    assert marker.read_text() == "pickle ran"


def _answers(store: str, out: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for args in COMMANDS:
        ran = run_cli("--store", store, *args)
        assert ran.code == 0, (args, ran.err)
        found[" ".join(args)] = json.loads(ran.out)
    ran = run_cli("--store", store, "report", "--out", str(out))
    checked = json.loads((out / "verify.json").read_text(encoding="utf-8"))
    failed = sorted(c["name"] for c in checked["checks"] if not c["ok"])
    # The report's verify section names checkpoints no command above folded again (fifo/lifo
    # tracers): the one failure allowed, and then the report exits 1 saying so.
    assert failed in ([], ["checkpoints"]) and ran.code == (1 if failed else 0), (failed, ran.err)
    found["report verify failed"] = failed
    for name in ("audit.json", "metrics.json", "value.json"):
        found[f"report {name}"] = json.loads((out / name).read_text(encoding="utf-8"))
    return found


def _verify(store: str) -> tuple[Ran, dict[str, Any]]:
    ran = run_cli("--store", store, "verify", "--json")
    return ran, json.loads(ran.out)


def _sqlite_tamper(path: Path) -> Callable[[bytes, bytes], list[str]]:
    def tamper(first: bytes, second: bytes) -> list[str]:
        with sqlite3.connect(path) as db:
            names = [n for (n,) in db.execute("SELECT name FROM loopledger_state ORDER BY name")]
            for i, name in enumerate(names):
                db.execute(
                    "UPDATE loopledger_state SET body = ? WHERE name = ?",
                    (first if i % 2 == 0 else second, name),
                )
            db.execute("CREATE TABLE IF NOT EXISTS loopledger_checkpoints (name TEXT, data BLOB)")
            db.execute("INSERT INTO loopledger_checkpoints VALUES ('balances', ?)", (first,))
        return names

    return tamper


def _postgres_tamper(url: str) -> Callable[[bytes, bytes], list[str]]:
    import psycopg

    def tamper(first: bytes, second: bytes) -> list[str]:
        with psycopg.connect(url, autocommit=True) as db:
            rows = db.execute("SELECT name FROM loopledger_state ORDER BY name").fetchall()
            names = [r[0] for r in rows]
            for i, name in enumerate(names):
                db.execute(
                    "UPDATE loopledger_state SET body = %s WHERE name = %s",
                    (first if i % 2 == 0 else second, name),
                )
            db.execute("CREATE TABLE IF NOT EXISTS loopledger_checkpoints (name TEXT, data BYTEA)")
            db.execute("INSERT INTO loopledger_checkpoints VALUES ('balances', %s)", (first,))
        return names

    return tamper


def _check_untrusted(store: str, tamper: Callable[[bytes, bytes], list[str]], tmp: Path) -> None:
    marker = tmp / "the-pickle-ran"
    ran = run_cli("--store", store, "replay", str(EXAMPLE))
    assert ran.code == 0, ran.err
    clean = _answers(store, tmp / "clean")  # also leaves a checkpoint of every projection
    ran, report = _verify(store)
    assert ran.code == 0 and all(c["ok"] for c in report["checks"]), ran.out

    pickled, noise = _payloads(marker)
    names = tamper(pickled, noise)
    assert {"book", "projection:balances", "projection:audit.flows"} <= set(names), names
    ran, report = _verify(store)
    assert ran.code == 1
    (bad,) = [c for c in report["checks"] if c["name"] == "checkpoints"]
    named = " ".join(v["message"] for v in bad["violations"])
    for name in names:
        assert f"checkpoint '{name}'" in named and "altered" in named
    legacy = " ".join(n["message"] for n in report["notes"] if n["invariant"] == "checkpoints")
    assert "loopledger 0.1" in legacy and "balances" in legacy and "never opened" in legacy
    others = [c for c in report["checks"] if c["name"] != "checkpoints"]
    assert all(c["ok"] for c in others), [c for c in others if not c["ok"]]

    tamper(noise, pickled)  # verify folded again and replaced them: plant them once more
    tampered = _answers(store, tmp / "tampered")
    assert clean.pop("report verify failed") == []
    assert tampered.pop("report verify failed") == ["checkpoints"]
    assert tampered == clean
    assert not marker.exists()
    ran, report = _verify(store)  # the commands folded again and replaced every checkpoint
    (bad,) = [c for c in report["checks"] if c["name"] == "checkpoints"]
    assert bad["ok"], [v["message"][:60] for v in bad["violations"]]
    assert not marker.exists()


def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOOPLEDGER_DERIVED_KEY", "ab" * 32)
    monkeypatch.setenv("LOOPLEDGER_LOAD_PLUGINS", "")
    monkeypatch.delenv("LOOPLEDGER_DISABLE_PLUGINS", raising=False)


def test_sqlite_checkpoints_planted_by_someone_else_are_never_run(monkeypatch, tmp_path):
    _isolated(monkeypatch, tmp_path)
    path = tmp_path / "sent-to-you.db"
    _check_untrusted(str(path), _sqlite_tamper(path), tmp_path)


@pytest.mark.postgres
def test_postgres_checkpoints_planted_by_someone_else_are_never_run(
    monkeypatch, tmp_path, pg_store_url
):
    _isolated(monkeypatch, tmp_path)
    _check_untrusted(pg_store_url, _postgres_tamper(pg_store_url), tmp_path)
