"""eventsourcing recorders that write the event-id index in the same transaction as the records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    Mapper,
    StoredEvent,
    Transcoder,
)
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder

from ledger.store.records import RecordMapper

# eventsourcing calls _insert_events(cursor, stored_events, **kwargs) inside the insert
# transaction (that is how it records tracking rows atomically); the rows of the event-id index
# ride along as a keyword argument.

INDEX_TABLE: Final = "loopledger_ids"


class SQLiteRecorder(SQLiteApplicationRecorder):
    def _insert_events(
        self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        rows = kwargs.get("index_rows")
        if rows:
            c.executemany(
                f"INSERT INTO {INDEX_TABLE} (event_id, position, type, day, content_hash) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        return ids


class MemoryRecorder(POPOApplicationRecorder):
    def __init__(self) -> None:
        super().__init__()
        self.index: dict[str, tuple[int, str, str, str]] = {}

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self._database_lock:
            rows = kwargs.get("index_rows") or []
            if any(r[0] in self.index for r in rows):
                raise IntegrityError("event id already indexed")
            ids = super()._insert_events(stored_events, **kwargs)
            for event_id, position, kind, day, digest in rows:
                self.index[event_id] = (position, kind, day, digest)
            return ids


class LedgerApplication(Application[UUID]):
    name = "loopledger"

    def construct_recorder(self) -> ApplicationRecorder:
        if isinstance(self.factory, POPOFactory):
            return MemoryRecorder()
        return super().construct_recorder()

    def construct_mapper(self) -> Mapper[UUID]:
        factory = self.factory
        return RecordMapper(
            transcoder=_NoTranscoder(),
            cipher=factory.cipher(),
            compressor=factory.compressor(),
        )


class _NoTranscoder(Transcoder):
    """Records are encoded by :class:`RecordMapper` itself; this is never called."""

    def encode(self, obj: Any) -> bytes:
        raise TypeError("loopledger records are encoded by RecordMapper")

    def decode(self, data: bytes) -> Any:
        raise TypeError("loopledger records are decoded by RecordMapper")
