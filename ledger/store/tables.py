"""loopledger's own tables beside eventsourcing's record table, for SQLite and PostgreSQL.

* ``loopledger_ids`` — the event-id index (id → position, type, date, content hash), written in
  the same transaction as the records: replay checks ids and references against it.
* ``loopledger_postings`` — the postings the book derived for each event when it was recorded,
  with a MAC (:mod:`ledger.store.derived`): a projection folds from them without the book.
* ``loopledger_state`` — checkpoints of projections and of the book, one row per name and key,
  plain data with a MAC and a version.
* ``loopledger_meta`` — facts about the store itself: whether it is encrypted, with a check
  that the key opens it (:mod:`ledger.store.encryption`).
* ``loopledger_checkpoints`` — the pickled checkpoints of loopledger 0.1: never read again;
  ``verify`` names them and ``rebuild`` drops them.
"""

from __future__ import annotations

from typing import Final

INDEX: Final = "loopledger_ids"
POSTINGS: Final = "loopledger_postings"
STATE: Final = "loopledger_state"
LEGACY_CHECKPOINTS: Final = "loopledger_checkpoints"
META: Final = "loopledger_meta"


def create_statements(postgres: bool) -> list[str]:
    blob = "BYTEA" if postgres else "BLOB"
    return [
        (
            f"CREATE TABLE IF NOT EXISTS {INDEX} (event_id TEXT PRIMARY KEY, position BIGINT NOT NULL, "
            "type TEXT NOT NULL, day TEXT NOT NULL, content_hash TEXT NOT NULL)"
        ),
        f"CREATE INDEX IF NOT EXISTS {INDEX}_type ON {INDEX} (type)",
        (
            f"CREATE TABLE IF NOT EXISTS {POSTINGS} (position BIGINT PRIMARY KEY, body {blob} NOT NULL, "
            f"mac {blob} NOT NULL)"
        ),
        f"CREATE TABLE IF NOT EXISTS {META} (name TEXT PRIMARY KEY, value {blob} NOT NULL)",
        (
            f"CREATE TABLE IF NOT EXISTS {STATE} (name TEXT NOT NULL, key_id TEXT NOT NULL, "
            "position BIGINT NOT NULL, chain TEXT NOT NULL, version TEXT NOT NULL, "
            f"body {blob} NOT NULL, mac {blob} NOT NULL, PRIMARY KEY (name, key_id))"
        ),
    ]
