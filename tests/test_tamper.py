"""Tampering with a store outside loopledger (#13): every kind is named by ``verify``, exit 1.

Each kind edits the database directly — records, their recorded-at moments, their order, their
length, the id index, stored postings, checkpoints and (SQLite) a whole database page — on
SQLite and on a real PostgreSQL server. ``verify`` must exit 1 naming the position or the
checkpoint, with no traceback; and a read command never answers from a checkpoint that
disagrees with the records.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger.model.codec import chain_hash, content_hash, from_dict
from ledger.store import Store
from tests.conftest import EXAMPLE, Ran, run_cli
from tests.support.figures import record


class Raw:
    """Direct SQL on a store's database, as someone editing the file or the server would."""

    def __init__(self, url: str) -> None:
        with Store(url, create=False) as store:
            self.table = store.events_table
        self.postgres = url.startswith("postgresql://")
        if self.postgres:
            import psycopg

            self.conn: Any = psycopg.connect(url, autocommit=True)
        else:
            self.conn = sqlite3.connect(url, isolation_level=None)

    def q(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(sql.replace("?", "%s") if self.postgres else sql, params)
        return list(cursor.fetchall()) if cursor.description else []

    def state(self, position: int) -> bytes:
        return bytes(
            self.q(f"SELECT state FROM {self.table} WHERE originator_version = ?", position)[0][0]
        )

    def set_state(self, position: int, state: bytes) -> None:
        self.q(f"UPDATE {self.table} SET state = ? WHERE originator_version = ?", state, position)

    def close(self) -> None:
        self.conn.close()


def _recorded_at(raw: Raw) -> str:
    data = orjson.loads(raw.state(40))
    data["t"] = "2020-01-01T00:00:00.000000+00:00"
    raw.set_state(40, orjson.dumps(data))
    return "#40"


def _swap(raw: Raw) -> str:
    a, b = raw.state(30), raw.state(31)
    raw.set_state(30, b)
    raw.set_state(31, a)
    return "#30"


def _truncate(raw: Raw) -> str:
    state = raw.state(70)
    raw.set_state(70, state[: len(state) // 2])
    return "record #70"


def _delete(raw: Raw) -> str:
    raw.q(f"DELETE FROM {raw.table} WHERE originator_version = ?", 90)
    return "#90"


def _index_id(raw: Raw) -> str:
    raw.q("UPDATE loopledger_ids SET event_id = ? WHERE position = ?", "forged-id", 50)
    return "#50 is indexed as 'forged-id'"


def _index_date(raw: Raw) -> str:
    raw.q("UPDATE loopledger_ids SET day = ? WHERE position = ?", "2031-01-01", 60)
    return "(#60) was altered: date '2031-01-01'"


def _index_deleted(raw: Raw) -> str:
    (position,) = raw.q("SELECT MIN(position) FROM loopledger_ids WHERE position > 80")[0]
    raw.q("DELETE FROM loopledger_ids WHERE position = ?", position)
    return f"(#{position}) is stored but missing from the id index"


def _postings(raw: Raw) -> str:
    (position,) = raw.q("SELECT MIN(position) FROM loopledger_postings WHERE position > 100")[0]
    raw.q("UPDATE loopledger_postings SET body = ? WHERE position = ?", b"J[]", position)
    return f"#{position}"


def _checkpoint(raw: Raw) -> str:
    (name,) = raw.q("SELECT name FROM loopledger_state ORDER BY name")[0]
    raw.q("UPDATE loopledger_state SET body = ? WHERE name = ?", b"J{}", name)
    return f"checkpoint '{name}'"


KINDS: dict[str, Callable[[Raw], str]] = {
    "recorded-at moment edited": _recorded_at,
    "two records swapped": _swap,
    "a record truncated": _truncate,
    "a record deleted": _delete,
    "an index id forged": _index_id,
    "an index date edited": _index_date,
    "an index row deleted": _index_deleted,
    "stored postings altered": _postings,
    "a checkpoint altered": _checkpoint,
}


def fresh(url: str) -> None:
    ran = run_cli("--store", url, "replay", str(EXAMPLE))
    assert ran.code == 0, ran.err
    ran = run_cli("--store", url, "balances")  # checkpoints and postings exist
    assert ran.code == 0, ran.err


def verify(url: str) -> Ran:
    ran = run_cli("--store", url, "verify")
    assert "Traceback" not in ran.out + ran.err
    return ran


def _check(url: str, kind: str, backend: str) -> None:
    fresh(url)
    raw = Raw(url)
    try:
        named = KINDS[kind](raw)
    finally:
        raw.close()
    ran = verify(url)
    caught = ran.code == 1 and named in ran.out
    if kind == "stored postings altered":
        # Derived data: not the history. verify names the position and the fold derives them
        # again (the balances stay exact); it is a note, not a failed check.
        caught = ran.code == 0 and named in ran.out
    record("tamper", backend=backend, case=kind, caught=caught)
    assert caught, (kind, named, ran.code, ran.out[-3000:])


@pytest.mark.parametrize("kind", list(KINDS))
def test_sqlite_tampering_is_named(kind: str, tmp_path: Path) -> None:
    _check(str(tmp_path / "t.db"), kind, "SQLite")


@pytest.mark.postgres
@pytest.mark.parametrize("kind", list(KINDS))
def test_postgres_tampering_is_named(kind: str, pg_store_url: str) -> None:
    _check(pg_store_url, kind, "PostgreSQL")


def test_a_corrupt_database_page_is_one_message(tmp_path: Path) -> None:
    url = str(tmp_path / "t.db")
    fresh(url)
    size = os.path.getsize(url)
    rng = random.Random(13)
    with open(url, "r+b") as file:  # a page in the middle: records live there
        file.seek(size // 2 - (size // 2) % 4096)
        file.write(bytes(rng.randrange(256) for _ in range(4096)))
    ran = verify(url)
    caught = ran.code == 1 and "is damaged" in ran.err and len(ran.err.splitlines()) == 1
    record("tamper", backend="SQLite", case="a database page overwritten", caught=caught)
    assert caught, ran.err
    ran = run_cli("--store", url, "events")
    assert ran.code == 1 and "is damaged" in ran.err and "Traceback" not in ran.err


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "t.db")
    else:
        yield request.getfixturevalue("pg_store_url")


SMALL = """loopledger: 1
parties: [{id: nvidia, name: NVIDIA}, {id: openai, name: OpenAI}]
events:
  - {id: ob, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "9B"}
  - {id: inv, date: 2025-01-02, type: investment, investor: nvidia, investee: openai, amount: "5B"}
"""


def cash(url: str, party: str) -> str:
    ran = run_cli("--store", url, "balances", "--json")
    assert ran.code == 0, ran.err
    rows = json.loads(ran.out)["balances"]
    return next(r["amount"] for r in rows if r["party"] == party and r["account"] == "assets:cash")


def test_a_checkpoint_that_disagrees_with_the_chain_is_not_answered_from(
    any_store: str, tmp_path: Path
) -> None:
    """The last record rewritten with a consistent hash and link (as a forger would): the
    checkpoint no longer matches the chain, so balances come from the records, not from it."""
    history = tmp_path / "small.yaml"
    history.write_text(SMALL)
    assert run_cli("--store", any_store, "replay", str(history)).code == 0
    assert cash(any_store, "nvidia").startswith("4000000000")  # and the checkpoint is saved
    raw = Raw(any_store)
    try:
        (last,) = raw.q(f"SELECT MAX(originator_version) FROM {raw.table}")[0]
        data = orjson.loads(raw.state(last))
        prev = orjson.loads(raw.state(last - 1))
        assert data["r"]["id"] == "inv"
        data["r"]["amount"] = "6000000000 USD"
        data["h"] = content_hash(from_dict(data["r"]))
        data["c"] = chain_hash(prev["c"], data["h"], data["t"])
        raw.set_state(last, orjson.dumps(data))
    finally:
        raw.close()
    assert cash(any_store, "nvidia").startswith("3000000000")  # the records, not the checkpoint
