"""Encryption at rest (#13): keys, encrypted stores on SQLite and PostgreSQL, and every refusal.

Each test would fail on a store without encryption: the plaintext scan finds the history's names
in a plain store (the positive control below) and none in an encrypted one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ledger.store import encryption
from tests.conftest import EXAMPLE, Ran
from tests.conftest import run_cli as run_in_process


def run_cli(*args: str) -> Ran:
    """One command as its own process would see it: ``--key-file`` lasts for that command only."""
    before = os.environ.get(encryption.KEY_FILE_ENV, "")
    try:
        return run_in_process(*args)
    finally:
        os.environ[encryption.KEY_FILE_ENV] = before


@pytest.fixture(autouse=True)
def _no_key_from_outside(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No key from the caller's shell; ``--key-file`` (which sets the variable) undone after."""
    monkeypatch.setenv(encryption.KEY_ENV, "")
    monkeypatch.setenv(encryption.KEY_FILE_ENV, "")
    yield


def keygen(path: Path) -> Path:
    ran = run_cli("keygen", "--out", str(path))
    assert ran.code == 0, ran.err
    return path


def secrets_of_history() -> list[bytes]:
    """Strings an eavesdropper must not find: event ids and party names of the bundled history."""
    doc = yaml.safe_load(EXAMPLE.read_text())
    found = {e["id"] for e in doc["events"]}
    found |= {p["name"] for p in doc["parties"] if len(p.get("name", "")) > 5}
    return sorted(s.encode() for s in found if len(s) > 5)


def sqlite_bytes(path: Path) -> bytes:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return b"".join(
        Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal")
        if Path(f"{path}{suffix}").exists()
    )


def postgres_bytes(url: str) -> bytes:
    import psycopg

    out = []
    with psycopg.connect(url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema='public'"
            )
        ]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    out.append(
                        bytes(value)
                        if isinstance(value, bytes | memoryview)
                        else str(value).encode()
                    )
    return b"\n".join(out)


def found_in(data: bytes, needles: list[bytes]) -> list[bytes]:
    return [n for n in needles if n in data]


def ok(ran: Ran) -> Ran:
    assert ran.code == 0, ran.err
    return ran


def balances(store: str, *key: str) -> object:
    return json.loads(ok(run_cli("--store", store, *key, "balances", "--json")).out)


def test_keygen_prints_a_key_and_writes_a_private_file(tmp_path: Path) -> None:
    ran = ok(run_cli("keygen"))
    key = ran.out.strip()
    assert len(encryption.parse_key(key, "printed key")) == 32
    assert ok(run_cli("keygen")).out.strip() != key  # random, not derived from anything
    path = keygen(tmp_path / "k")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(encryption.read_key_file(str(path))) == 32
    again = run_cli("keygen", "--out", str(path))
    assert again.code == 2 and "never overwrites" in again.err


def test_an_encrypted_sqlite_store_shows_no_history_and_answers_as_a_plain_one(
    tmp_path: Path,
) -> None:
    key = keygen(tmp_path / "k")
    plain, sealed = str(tmp_path / "plain.db"), str(tmp_path / "sealed.db")
    ok(run_cli("--store", plain, "replay", str(EXAMPLE)))
    ok(run_cli("--store", sealed, "--key-file", str(key), "replay", str(EXAMPLE)))
    assert balances(sealed, "--key-file", str(key)) == balances(plain)
    ran = ok(run_cli("--store", sealed, "--key-file", str(key), "verify"))
    assert "all checks hold" in ran.out
    ok(run_cli("--store", sealed, "--key-file", str(key), "audit"))
    needles = secrets_of_history()
    assert len(found_in(sqlite_bytes(Path(plain)), needles)) > len(needles) // 2  # the scan works
    assert found_in(sqlite_bytes(Path(sealed)), needles) == []
    raw_key = key.read_text().strip()
    data = sqlite_bytes(Path(sealed))
    assert raw_key.encode() not in data
    assert encryption.parse_key(raw_key, "k") not in data


@pytest.mark.postgres
def test_an_encrypted_postgres_store_shows_no_history(pg_store_url: str, tmp_path: Path) -> None:
    key = keygen(tmp_path / "k")
    ok(run_cli("--store", pg_store_url, "--key-file", str(key), "replay", str(EXAMPLE)))
    assert (
        "all checks hold"
        in ok(run_cli("--store", pg_store_url, "--key-file", str(key), "verify")).out
    )
    data = postgres_bytes(pg_store_url)
    assert found_in(data, secrets_of_history()) == []
    assert key.read_text().strip().encode() not in data
    ran = run_cli("--store", pg_store_url, "balances")
    assert ran.code == 2 and "is encrypted" in ran.err


def file_digest(path: Path) -> str:
    return hashlib.sha256(sqlite_bytes(path)).hexdigest()


def test_missing_wrong_and_unwanted_keys_are_one_message_each_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, other = keygen(tmp_path / "k"), keygen(tmp_path / "other")
    sealed, plain = tmp_path / "sealed.db", tmp_path / "plain.db"
    ok(run_cli("--store", str(sealed), "--key-file", str(key), "replay", str(EXAMPLE)))
    ok(run_cli("--store", str(plain), "replay", str(EXAMPLE)))
    before = file_digest(sealed), file_digest(plain)
    cases = [
        (("--store", str(sealed), "balances"), "is encrypted: give its key"),
        (("--store", str(sealed), "replay", str(EXAMPLE)), "is encrypted: give its key"),
        (("--store", str(sealed), "--key-file", str(other), "balances"), "does not open"),
        (("--store", str(sealed), "--key-file", str(other), "verify"), "does not open"),
        (("--store", str(plain), "--key-file", str(key), "balances"), "is a plain store"),
        (
            ("--store", str(plain), "--key-file", str(key), "replay", str(EXAMPLE)),
            "is a plain store",
        ),
    ]
    for args, expected in cases:
        ran = run_cli(*args)
        assert ran.code == 2, (args, ran.err)
        assert expected in ran.err and "Traceback" not in ran.err
        assert len(ran.err.strip().splitlines()) <= 2, ran.err
    assert (file_digest(sealed), file_digest(plain)) == before
    monkeypatch.setenv(encryption.KEY_ENV, other.read_text().strip())
    ran = run_cli("--store", str(sealed), "events")
    assert ran.code == 2 and "does not open" in ran.err


@pytest.mark.parametrize(
    "text",
    [
        "short",
        base64.b64encode(b"k" * 16).decode(),  # a real AES-128 key: loopledger keys are 256-bit
        "not base64 at all!!!!!!!!!!!!!!!!!!!!!!!!!!",
        base64.b64encode(b"k" * 33).decode(),
    ],
)
def test_a_malformed_key_is_refused_before_anything_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv(encryption.KEY_ENV, text)
    ran = run_cli("--store", str(tmp_path / "s.db"), "replay", str(EXAMPLE))
    assert ran.code == 2 and "$LOOPLEDGER_KEY is not a loopledger key" in ran.err
    assert "Traceback" not in ran.err
    assert not (tmp_path / "s.db").exists()


def test_key_files_others_may_read_and_two_keys_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = keygen(tmp_path / "k")
    os.chmod(key, 0o644)
    ran = run_cli("--store", str(tmp_path / "s.db"), "--key-file", str(key), "replay", str(EXAMPLE))
    assert ran.code == 2 and "chmod 600" in ran.err
    os.chmod(key, 0o600)
    monkeypatch.setenv(encryption.KEY_ENV, key.read_text().strip())
    ran = run_cli("--store", str(tmp_path / "s.db"), "--key-file", str(key), "replay", str(EXAMPLE))
    assert ran.code == 2 and "give one" in ran.err
    assert not (tmp_path / "s.db").exists()


def test_encrypt_copies_a_plain_store_record_for_record(tmp_path: Path) -> None:
    key, newer = keygen(tmp_path / "k"), keygen(tmp_path / "k2")
    plain, sealed, moved = tmp_path / "plain.db", tmp_path / "sealed.db", tmp_path / "moved.db"
    ok(run_cli("--store", str(plain), "replay", str(EXAMPLE)))
    ran = ok(
        run_cli("--store", str(plain), "--key-file", str(key), "encrypt", "--out", str(sealed))
    )
    assert "copied 171 records" in ran.out
    heads = []
    for store, args in ((plain, ()), (sealed, ("--key-file", str(key)))):
        report = json.loads(ok(run_cli("--store", str(store), *args, "verify", "--json")).out)
        assert report["ok"]
        heads.append(report["head"])
    assert heads[0] == heads[1]  # the same chain: records copied as stored
    assert balances(str(sealed), "--key-file", str(key)) == balances(str(plain))
    assert found_in(sqlite_bytes(sealed), secrets_of_history()) == []
    # to a new key: the source opened with its own
    ok(
        run_cli(
            "--store",
            str(sealed),
            "--key-file",
            str(newer),
            "encrypt",
            "--out",
            str(moved),
            "--source-key-file",
            str(key),
        )
    )
    report = json.loads(
        ok(run_cli("--store", str(moved), "--key-file", str(newer), "verify", "--json")).out
    )
    assert report["ok"] and report["head"] == heads[0]
    refused = run_cli("--store", str(moved), "--key-file", str(key), "balances")
    assert refused.code == 2 and "does not open" in refused.err


def test_encrypt_refusals_leave_nothing(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k")
    plain, sealed = tmp_path / "plain.db", tmp_path / "sealed.db"
    ok(run_cli("--store", str(plain), "replay", str(EXAMPLE)))
    ran = run_cli("--store", str(plain), "encrypt", "--out", str(sealed))
    assert ran.code == 2 and "needs the new store's key" in ran.err
    assert not sealed.exists()
    sealed.write_bytes(b"mine")
    ran = run_cli("--store", str(plain), "--key-file", str(key), "encrypt", "--out", str(sealed))
    assert ran.code == 2 and "never overwrites" in ran.err
    assert sealed.read_bytes() == b"mine"
    ran = run_cli(
        "--store",
        str(tmp_path / "none.db"),
        "--key-file",
        str(key),
        "encrypt",
        "--out",
        str(tmp_path / "t.db"),
    )
    assert ran.code == 2 and "no store at" in ran.err
    assert not (tmp_path / "t.db").exists()


@pytest.mark.postgres
def test_encrypt_into_postgres(tmp_path: Path, pg_store_url: str) -> None:
    key = keygen(tmp_path / "k")
    plain = tmp_path / "plain.db"
    ok(run_cli("--store", str(plain), "replay", str(EXAMPLE)))
    ok(run_cli("--store", str(plain), "--key-file", str(key), "encrypt", "--out", pg_store_url))
    report = json.loads(
        ok(run_cli("--store", pg_store_url, "--key-file", str(key), "verify", "--json")).out
    )
    assert report["ok"] and report["records"] == 171
    assert balances(pg_store_url, "--key-file", str(key)) == balances(str(plain))
    assert found_in(postgres_bytes(pg_store_url), secrets_of_history()) == []


def test_an_altered_encrypted_record_is_named_by_position(tmp_path: Path) -> None:
    key = keygen(tmp_path / "k")
    sealed = tmp_path / "sealed.db"
    ok(run_cli("--store", str(sealed), "--key-file", str(key), "replay", str(EXAMPLE)))
    with sqlite3.connect(sealed) as conn:
        (state,) = conn.execute(
            "SELECT state FROM stored_events WHERE originator_version = 50"
        ).fetchone()
        altered = bytearray(state)
        altered[40] ^= 1
        conn.execute(
            "UPDATE stored_events SET state = ? WHERE originator_version = 50", (bytes(altered),)
        )
    ran = run_cli("--store", str(sealed), "--key-file", str(key), "verify")
    assert ran.code == 1 and "Traceback" not in ran.err + ran.out
    assert "record #50 cannot be read" in ran.out and "do not decrypt" in ran.out
    ran = run_cli("--store", str(sealed), "--key-file", str(key), "rebuild")
    assert ran.code == 1 and "stored record #50" in ran.err and "Traceback" not in ran.err
