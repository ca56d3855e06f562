"""The throwaway PostgreSQL server fixture really serves a password-protected database."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tests.support import pgserver

# Until tests/conftest.py imports it, make the session fixture visible to this module.
postgres_url = pgserver.postgres_url


@pytest.mark.postgres
def test_version_and_numeric_round_trip(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        (version,) = conn.execute("select version()").fetchone() or ("",)
        assert version.startswith("PostgreSQL ")
        conn.execute("create table amounts (id serial primary key, value numeric(24, 2))")
        conn.execute("insert into amounts (value) values (%s)", (Decimal("10000000000.00"),))
        (value,) = conn.execute("select value from amounts").fetchone() or (None,)
        assert value == Decimal("10000000000.00")
        assert isinstance(value, Decimal)
        conn.rollback()


@pytest.mark.postgres
def test_server_listens_on_loopback_with_a_real_password(postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    assert parts.hostname == "127.0.0.1"
    assert parts.password
    wrong = parts._replace(netloc=f"{parts.username}:wrong@{parts.hostname}:{parts.port}")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(urlunsplit(wrong), connect_timeout=5).close()


def test_bindir_override_can_force_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOOPLEDGER_PG_BINDIR", "/nonexistent")
    assert pgserver.find_pg_bindir() is None
