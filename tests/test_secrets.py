"""A PostgreSQL password is never shown: not in a message, not in a report file, not in the argv
of a child process (the process table is readable by every user) — for every way a URL may
spell it (plain, percent-encoded, or holding ``#``, ``?``, ``/``, ``@`` or ``:`` unencoded).
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from ledger.store.urls import describe, environment, redact
from tests.support.histories import finished, loopledger

SECRET = "s3#cr?et/p@ss:wd"
"""Every character that makes a naive URL parser cut the URL in the wrong place."""

# (url, user, password as the server knows it, host, port, database)
FORMS = [
    ("postgresql://alice:plainsecret@db.example:5433/books", "alice", "plainsecret"),
    ("postgres://alice:plainsecret@db.example:5433/books", "alice", "plainsecret"),
    (f"postgresql://alice:{quote(SECRET, safe='')}@db.example:5433/books", "alice", SECRET),
    (f"postgresql://alice:{SECRET}@db.example:5433/books", "alice", SECRET),
    ("postgresql://alice:pa#ss@db.example:5433/books", "alice", "pa#ss"),
    ("postgresql://alice:pa?ss@db.example:5433/books", "alice", "pa?ss"),
    ("postgresql://alice:pa/ss@db.example:5433/books", "alice", "pa/ss"),
    ("postgresql://alice:p@ss@db.example:5433/books", "alice", "p@ss"),
    ("postgresql://alice:pa%23ss@db.example:5433/books?sslmode=require", "alice", "pa#ss"),
]


def _spellings(password: str) -> set[str]:
    return {password, quote(password, safe="")}


@pytest.mark.parametrize(("url", "user", "password"), FORMS)
def test_every_url_form_is_parsed_whole_and_described_without_its_password(url, user, password):
    env = environment(url)
    assert env["POSTGRES_USER"] == user
    assert env["POSTGRES_PASSWORD"] == password
    assert env["POSTGRES_HOST"] == "db.example"
    assert env["POSTGRES_PORT"] == "5433"
    assert env["POSTGRES_DBNAME"] == "books"
    shown = describe(url)
    assert shown.startswith(("postgresql://alice:***@db.example:5433/books", "postgres://"))
    for spelling in _spellings(password):
        assert spelling not in shown
        assert spelling not in redact(f"connection failed for {url} ({password})", url)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://alice:{SECRET}@/books",  # no host
        f"postgresql://alice:{SECRET}@db.example:99999/books",  # no such port
        f"postgresql://alice:{SECRET}@db.example:5433",  # no database
        f"postgresql://alice:{SECRET}db.example",  # no '@' at all: all of it may be secret
    ],
)
def test_a_malformed_url_is_refused_without_echoing_the_password(cli, url):
    ran = cli("--store", url, "balances")
    assert ran.code == 2 and "Traceback" not in ran.err, ran.err
    for spelling in (*_spellings(SECRET), "s3#cr", "p@ss:wd"):
        assert spelling not in ran.err + ran.out, ran.err


@pytest.mark.parametrize(("url", "user", "password"), FORMS)
def test_an_unreachable_server_is_named_without_the_password(cli, monkeypatch, url, user, password):
    monkeypatch.setenv("LOOPLEDGER_PG_CONNECT_TIMEOUT", "1")
    local = url.replace("db.example:5433", "127.0.0.1:1")
    ran = cli("--store", local, "balances")
    assert ran.code == 2 and "cannot open the store" in ran.err, ran.err
    for spelling in _spellings(password):
        assert spelling not in ran.err + ran.out


def _processes_showing(needles: set[str]) -> list[str]:
    """Command lines in the process table that hold any of ``needles``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(n in argv for n in needles):
            found.append(argv)
    return found


@pytest.fixture
def secret_store_url(postgres_url: str):
    """A database owned by a role whose password holds every awkward character."""
    import psycopg

    role, name = f"r_{uuid.uuid4().hex[:10]}", f"ll_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{SECRET}'")
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{role}"')
    host = postgres_url.rsplit("@", 1)[1].split("/", 1)[0]
    yield role, host, name
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'DROP ROLE "{role}"')


@pytest.mark.postgres
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
@pytest.mark.parametrize("encoded", [True, False], ids=["percent-encoded", "as-typed"])
def test_no_process_shows_the_password_while_replay_and_verify_run(
    secret_store_url, example, tmp_path, encoded
):
    role, host, name = secret_store_url
    password = quote(SECRET, safe="") if encoded else SECRET
    url = f"postgresql://{role}:{password}@{host}/{name}"
    # The URL is handed over the way users are told to: in the environment, not in argv.
    env = {"LOOPLEDGER_STORE": url}
    seen: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.extend(_processes_showing(_spellings(SECRET) - {""}))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        outputs = []
        for args in (
            ("replay", str(example)),
            ("verify",),
            ("report", "--out", str(tmp_path / "report")),
        ):
            code, out, err = finished(loopledger(*args, env=env), timeout=300)
            assert code == 0, err
            outputs.append(out + err)
    finally:
        stop.set()
        watcher.join()
    assert seen == []
    for text in outputs:
        for spelling in _spellings(SECRET):
            assert spelling not in text
    assert "fresh process" in outputs[1]
    for written in (tmp_path / "report").iterdir():
        if written.is_file():
            content = written.read_bytes().decode(errors="replace")
            for spelling in _spellings(SECRET):
                assert spelling not in content, written.name
    assert os.environ.get("LOOPLEDGER_STORE") != url
