"""The store: an append-only record stream and projection checkpoints in one database (SQLite,
PostgreSQL or memory), built on eventsourcing — the only layer that knows eventsourcing and SQL.

May import ``ledger.model`` and ``ledger.book``; must not import the engine, plugins or any face.
"""

from __future__ import annotations

from ledger.store import encryption
from ledger.store.copying import copy_records
from ledger.store.records import Record
from ledger.store.store import DEFAULT_STORE, ConcurrentAppend, Store
from ledger.store.urls import describe, sqlite_path

__all__ = [
    "DEFAULT_STORE",
    "ConcurrentAppend",
    "Record",
    "Store",
    "copy_records",
    "describe",
    "encryption",
    "sqlite_path",
]
