"""The same history gives byte-identical balances on SQLite, memory and a real PostgreSQL server."""

from __future__ import annotations

import json

import pytest

from ledger.engine import Engine
from ledger.faces.output import dumps
from ledger.histories.loader import load_file
from ledger.histories.recording import replay
from ledger.plugin.manager import make_plugin_manager
from ledger.store import Store
from plugins.balances.projection import rows


def _balances_json(url: str, example) -> str:
    plugins = make_plugin_manager(load_entrypoints=False)
    with Store(url) as store:
        engine = Engine(store, plugins.projections())
        replay(engine, [load_file(example)])
        result = engine.run()
        return dumps({"as_of": None, "balances": rows(result.state("balances"))})


@pytest.mark.postgres
def test_balances_json_identical_on_sqlite_memory_and_postgresql(
    cli, example, pg_store_url, tmp_path
):
    sqlite_url = str(tmp_path / "a.db")
    assert cli("--store", sqlite_url, "replay", str(example)).code == 0
    from_sqlite_cli = cli("--store", sqlite_url, "balances", "--json").out
    assert cli("--store", pg_store_url, "replay", str(example)).code == 0
    from_pg_cli = cli("--store", pg_store_url, "balances", "--json").out
    from_memory = _balances_json("memory:", example) + "\n"
    assert from_sqlite_cli == from_pg_cli == from_memory
    assert len(json.loads(from_memory)["balances"]) > 50


@pytest.mark.postgres
def test_postgres_replay_is_idempotent_and_checkpoints_resume(cli, example, pg_store_url):
    assert cli("--store", pg_store_url, "replay", str(example)).code == 0
    again = cli("--store", pg_store_url, "replay", str(example))
    assert again.code == 0 and ": 0 new, 148 already present" in again.out
    with Store(pg_store_url) as store:
        engine = Engine(store, make_plugin_manager(load_entrypoints=False).projections())
        first = engine.run()
        second = engine.run()
        assert second.from_checkpoint and second.processed == 0
        assert first.state("balances") == second.state("balances")


def test_unreachable_postgres_is_a_clear_error(cli, monkeypatch):
    monkeypatch.setenv("LOOPLEDGER_PG_CONNECT_TIMEOUT", "1")
    ran = cli("--store", "postgresql://u:secret@127.0.0.1:1/db", "balances")
    assert ran.code == 2 and "cannot open the store" in ran.err and "secret" not in ran.err


def test_sqlite_store_in_missing_folder(cli, example):
    ran = cli("--store", "/nonexistent/dir/x.db", "replay", str(example))
    assert ran.code == 2 and "folder /nonexistent/dir does not exist" in ran.err


def test_a_missing_store_is_an_error_for_every_command_that_does_not_record(cli, tmp_path):
    """A mistyped --store must not be created empty and then pass verify."""
    typo = tmp_path / "typo.db"
    for command in (["verify"], ["balances"], ["audit", "--json"], ["events"], ["report"]):
        ran = cli("--store", str(typo), *command)
        assert ran.code == 2, (command, ran.err)
        assert f"no store at {typo}: replay a deal-history file into it first" in ran.err
        assert not typo.exists(), command


@pytest.mark.postgres
def test_an_empty_postgresql_database_is_no_store_and_stays_untouched(cli, pg_store_url, example):
    import psycopg

    ran = cli("--store", pg_store_url, "verify")
    assert ran.code == 2 and "no loopledger store in postgresql://" in ran.err
    with psycopg.connect(pg_store_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)  # reading created nothing
    assert cli("--store", pg_store_url, "replay", str(example)).code == 0
    assert cli("--store", pg_store_url, "verify").code == 0


def test_memory_store_is_refused_by_commands_that_only_read(cli):
    ran = cli("--store", "memory:", "verify")
    assert ran.code == 2 and "a memory: store holds nothing between commands" in ran.err


def test_the_postgres_recorder_topic_names_the_class():
    """urls.py names the PostgreSQL recorder by its topic, so SQLite stores never import psycopg."""
    from eventsourcing.utils import get_topic

    from ledger.store.postgres_recorder import PostgresRecorder
    from ledger.store.urls import environment

    url = "postgresql://u:p@localhost:5432/db"
    assert environment(url)["APPLICATION_RECORDER_TOPIC"] == get_topic(PostgresRecorder)
