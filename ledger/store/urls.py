"""Store URLs: SQLite paths, ``memory:`` and PostgreSQL URLs, and what eventsourcing needs for each."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

from eventsourcing.utils import get_topic

from ledger.model.problems import StoreError
from ledger.store.recorders import SQLiteRecorder


def describe(url: str) -> str:
    """The store URL with any password hidden, for messages."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite store URL; None for ``memory:`` and PostgreSQL."""
    if url in ("memory:", ":memory:") or url.startswith(("postgresql://", "postgres://")):
        return None
    return url.removeprefix("sqlite:")


def environment(url: str) -> dict[str, str]:
    if url in ("memory:", ":memory:"):
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if url.startswith(("postgresql://", "postgres://")):
        recorder = {"APPLICATION_RECORDER_TOPIC": "ledger.store.postgres_recorder:PostgresRecorder"}
        parsed = urlparse(url)
        if not parsed.hostname or not parsed.path.strip("/"):
            raise StoreError(
                f"expected postgresql://user:password@host:port/database; got {describe(url)}"
            )
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parsed.path.strip("/")),
            "POSTGRES_HOST": parsed.hostname,
            "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": unquote(parsed.username or ""),
            "POSTGRES_PASSWORD": unquote(parsed.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": os.environ.get("LOOPLEDGER_PG_CONNECT_TIMEOUT", "10"),
            **recorder,
        }
        return env
    path = url.removeprefix("sqlite:")
    if not path:
        raise StoreError("empty store path")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise StoreError(f"cannot create the store {path}: folder {parent} does not exist")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "APPLICATION_RECORDER_TOPIC": get_topic(SQLiteRecorder),
    }
