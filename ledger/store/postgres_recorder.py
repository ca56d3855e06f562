"""The PostgreSQL recorder: eventsourcing's, with the event-id index written in its transaction.

Apart from the SQLite one so that a command on a SQLite store never imports psycopg (a quarter
of a second of every start).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from ledger.store.recorders import INDEX_TABLE


class PostgresRecorder(PostgresApplicationRecorder):
    def _insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        rows = kwargs.get("index_rows")
        if rows:
            curs.executemany(
                f"INSERT INTO {INDEX_TABLE} (event_id, position, type, day, content_hash) VALUES (%s, %s, %s, %s, %s)",
                rows,
            )
