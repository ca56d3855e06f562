"""``scenario run`` and ``scenario sweep`` never write to the store: a SQLite file keeps its bytes
(and gains no side files), a PostgreSQL database keeps every row of every table, its schema
and its ``pg_dump``."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest

import ledger
from ledger.testing import run_cli
from tests.support.pgserver import find_pg_bindir
from tests.support.scenarios import BASE, SCENARIO, plugins, write

COMMANDS = (
    ("scenario", "run", "{scenario}"),
    ("scenario", "run", "{scenario}", "{scenario}", "--json"),
    (
        "scenario",
        "sweep",
        "{scenario}",
        "--vary",
        "price:chipco=30:70:20",
        "--chart",
        "{folder}/chart.png",
    ),
    ("scenario", "sweep", "--vary", "volatility=0.2,0.4"),
)


def run_all(store: str, scenario: Path) -> None:
    for command in COMMANDS:
        args = [a.format(scenario=scenario, folder=scenario.parent) for a in command]
        ran = run_cli(plugins(), *args, store=store)
        assert ran.code == 0, (args, ran.err)


def test_sqlite_store_bytes_are_unchanged(tmp_path):
    folder = tmp_path / "store"
    folder.mkdir()
    path = folder / "base.db"
    with ledger.open(str(path), plugins=plugins()) as book:
        book.replay(write(tmp_path, "base.yaml", BASE))
    # A query that would like to write a checkpoint, so there is one the commands could touch.
    with ledger.open(str(path), plugins=plugins()) as book:
        book.balances()
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    run_all(str(path), write(tmp_path, "deliver.yaml", SCENARIO))
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert after == before and list(before) == ["base.db"]
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps
    assert (tmp_path / "chart.png").exists()


def database_image(
    url: str,
) -> tuple[list[tuple[object, ...]], dict[str, list[tuple[object, ...]]]]:
    """The schema (every column of every table) and every row of every table, in order."""
    with psycopg.connect(url) as conn:
        schema = conn.execute(
            "SELECT table_name, column_name, data_type, ordinal_position FROM "
            "information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 4"
        ).fetchall()
        tables = sorted({row[0] for row in schema})
        rows = {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}
    return schema, rows


def pg_dump(url: str) -> str | None:
    bindir = find_pg_bindir()
    tool = bindir / "pg_dump" if bindir is not None else shutil.which("pg_dump")
    if tool is None or not Path(tool).exists():
        return None
    parsed = urlparse(url)
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}
    out = subprocess.run(
        [
            str(tool),
            "--no-owner",
            "-h",
            parsed.hostname or "127.0.0.1",
            "-p",
            str(parsed.port or 5432),
            "-U",
            parsed.username or "",
            parsed.path.strip("/"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    # pg_dump stamps its own version and a per-run restrict key; the rest is the database.
    return "\n".join(
        line
        for line in out.splitlines()
        if not line.startswith(("\\restrict", "\\unrestrict", "-- Dumped"))
    )


@pytest.mark.postgres
def test_postgres_store_is_unchanged(tmp_path, pg_store_url):
    with ledger.open(pg_store_url, plugins=plugins()) as book:
        book.replay(write(tmp_path, "base.yaml", BASE))
        book.balances()
    before, dumped = database_image(pg_store_url), pg_dump(pg_store_url)
    # There is a checkpoint the commands leave alone (whatever the store's table for it is).
    saved = [t for t, rows in before[1].items() if rows and ("checkpoint" in t or "state" in t)]
    assert saved, sorted(before[1])
    run_all(pg_store_url, write(tmp_path, "deliver.yaml", SCENARIO))
    assert database_image(pg_store_url) == before
    assert pg_dump(pg_store_url) == dumped
