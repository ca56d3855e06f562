"""The event store: an eventsourcing application over SQLite, memory or PostgreSQL.

This is the only module that knows eventsourcing and SQL. The whole book is one event stream
(one aggregate id); each recorded party or event is one stored event whose version is its
position. That gives three guarantees for free from eventsourcing's recorders:

* a file lands atomically — all its new records are inserted by one ``save()`` in one transaction;
* concurrent writers cannot interleave — two appends at the same position conflict on the
  ``(originator_id, originator_version)`` key and the loser retries from the new head;
* order is the recorded order — positions are dense 1, 2, 3 …


Records are encoded by :mod:`ledger.store.records`; the recorders that keep the event-id index
in the same transaction are in :mod:`ledger.store.recorders`; URLs in :mod:`ledger.store.urls`.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final, Self
from urllib.parse import quote

import orjson
from eventsourcing.persistence import (
    IntegrityError,
    StoredEvent,
)

from ledger.book import Known
from ledger.model.events import Event, Reversal
from ledger.model.problems import StoreError
from ledger.store.recorders import INDEX_TABLE, LedgerApplication
from ledger.store.records import (
    BOOK_ID,
    TOPIC,
    Record,
    Recorded,
    RecordMapper,
    decode_record,
    encode_record,
)
from ledger.store.urls import describe, environment, sqlite_path

DEFAULT_STORE: Final = "loopledger.db"
READ_BATCH: Final = 5_000


class ConcurrentAppend(StoreError):
    """Another writer appended first; re-read the head and try again."""


class Store:
    """Append-only record stream plus projection checkpoints, in one database."""

    def __init__(
        self, url: str = DEFAULT_STORE, *, create: bool = True, read_only: bool = False
    ) -> None:
        """Open the store at ``url``; with ``create=False`` a SQLite file must already exist.

        Why: a mistyped ``--store`` for ``verify`` must not create an empty store and report
        that all checks hold on it. Only commands that record (``replay``, ``demo``) create.

        ``read_only`` (implies ``create=False``) is for faces that only look (``loopledger
        serve``): SQLite is opened by the driver in read-only mode, no table or index is made,
        ``append`` is refused, and new checkpoints are not saved (folds still start from the
        last saved one).
        """
        create = create and not read_only
        self.url = url
        self.read_only = read_only
        path = sqlite_path(url)
        if not create and path and not os.path.exists(path):
            raise StoreError(
                f"no store at {path}: replay a deal-history file into it first "
                f"('loopledger --store {path} replay FILE'), or check --store / $LOOPLEDGER_STORE"
            )
        if not create and url in ("memory:", ":memory:"):
            raise StoreError(
                "a memory: store holds nothing between commands: use it from Python, or give "
                "this command a SQLite file or PostgreSQL URL"
            )
        env = environment(url)
        if not create and url.startswith(("postgresql://", "postgres://")):
            env["CREATE_TABLE"] = "n"  # reading: never create tables in someone's database
        if read_only:
            env["CREATE_TABLE"] = "n"
            if path:  # the driver refuses every write on this connection
                env["SQLITE_DBNAME"] = f"file:{quote(os.path.abspath(path))}?mode=ro"
        env.update(
            {
                k: v
                for k, v in os.environ.items()
                if k.startswith(("LOOPLEDGER_CIPHER", "LOOPLEDGER_COMPRESSOR"))
            }
        )
        try:
            self._app = LedgerApplication(env=env)
        except Exception as exc:  # noqa: BLE001 - any driver error becomes one clear message
            raise StoreError(f"cannot open the store {describe(url)}: {exc}") from None
        self.kind = env["PERSISTENCE_MODULE"].rsplit(".", 1)[-1]
        self._mapper: RecordMapper = self._app.mapper  # type: ignore[assignment]
        self._memory_checkpoints: dict[str, tuple[int, str, bytes]] = {}
        if not create and self.kind == "postgres" and not self._has_tables():
            self._app.close()
            raise StoreError(
                f"no loopledger store in {describe(url)}: replay a deal-history file into it "
                "first, or check --store / $LOOPLEDGER_STORE"
            )
        if not read_only:
            self._create_tables()
            self._ensure_index()

    def _has_tables(self) -> bool:
        """Whether the database already holds loopledger's record table (PostgreSQL)."""
        table = self._app.recorder.events_table_name  # type: ignore[attr-defined]
        with self._datastore().transaction(commit=False) as cursor:
            cursor.execute("SELECT to_regclass(%s) AS t", (table,))
            row = cursor.fetchone()
        return row is not None and row["t"] is not None

    def close(self) -> None:
        self._app.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the record stream ----------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        """``(position, chain link)`` of the last record; ``(0, GENESIS)`` when empty."""
        from ledger.model.codec import GENESIS

        last = self._app.recorder.select_events(BOOK_ID, desc=True, limit=1)
        if not last:
            return 0, GENESIS
        record = decode_record(self._mapper.raw_state(last[0]), last[0].originator_version)
        return record.position, record.chain_hash

    def read(
        self, after: int = 0, upto: int | None = None, batch: int = READ_BATCH
    ) -> Iterator[Record]:
        """Records with ``after < position <= upto`` in recorded order, read in pages."""
        position = after
        raw_state = self._mapper.raw_state
        while True:
            limit = batch if upto is None else min(batch, upto - position)
            if limit <= 0:
                return
            page = self._app.recorder.select_events(BOOK_ID, gt=position, limit=limit)
            if not page:
                return
            for stored in page:
                yield decode_record(raw_state(stored), stored.originator_version)
            position = page[-1].originator_version

    def read_raw(
        self, after: int = 0, upto: int | None = None, batch: int = READ_BATCH
    ) -> Iterator[tuple[int, bytes]]:
        """``(position, decrypted-but-unparsed bytes)``, for fast scans and for verification."""
        position = after
        raw_state = self._mapper.raw_state
        while True:
            limit = batch if upto is None else min(batch, upto - position)
            if limit <= 0:
                return
            if self.kind == "sqlite":
                rows = self._select_sqlite(position, limit)
                if not rows:
                    return
                for version, state in rows:
                    yield version, raw_state(StoredEvent(BOOK_ID, version, TOPIC, state))
                position = rows[-1][0]
                continue
            page = self._app.recorder.select_events(BOOK_ID, gt=position, limit=limit)
            if not page:
                return
            for stored in page:
                yield stored.originator_version, raw_state(stored)
            position = page[-1].originator_version

    def _select_sqlite(self, after: int, limit: int) -> list[tuple[int, bytes]]:
        # The library's select_events builds a UUID and a StoredEvent per row (~8 µs); on
        # replay of millions that is most of the read time, so SQLite is read directly.
        table = self._app.recorder.events_table_name  # type: ignore[attr-defined]
        with self._datastore().transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT originator_version, state FROM {table} WHERE originator_id=? AND originator_version>? "
                "ORDER BY originator_version LIMIT ?",
                (BOOK_ID.hex, after, limit),
            )
            return [(row[0], row[1]) for row in cursor.fetchall()]

    def reversals(self) -> list[tuple[int, str, str, dt.date]]:
        """``(position, reversal id, target id, date)`` of every stored reversal (one fast scan)."""
        found = []
        for position, raw in self.read_raw():
            if b'"type":"reversal"' in raw:
                body = decode_record(raw, position).value
                if isinstance(body, Reversal):
                    found.append((position, body.id, body.of, body.date))
        return found

    def append(self, records: Sequence[Record], expected_head: int) -> None:
        """Insert ``records`` at positions ``expected_head+1 …`` in one transaction, or none."""
        self._writable("append records")
        if not records:
            return
        now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        events = [
            Recorded(
                BOOK_ID,
                expected_head + i,
                encode_record(r.kind, r.value, r.content_hash, r.chain_hash, r.recorded_at or now),
            )
            for i, r in enumerate(records, start=1)
        ]
        # The event-id index rows are written in the same transaction (see _SQLiteRecorder).
        index_rows = [
            (r.value.id, expected_head + i, r.value.TYPE, r.value.date.isoformat(), r.content_hash)
            for i, r in enumerate(records, start=1)
            if isinstance(r.value, Event)
        ]
        try:
            # events.put is what Application.save does after collecting events; calling it
            # directly skips a runtime-Protocol isinstance check per event (~17 µs each).
            self._app.events.put(events, index_rows=index_rows)
        except IntegrityError as exc:
            raise ConcurrentAppend(
                f"another writer appended to {describe(self.url)} at position {expected_head + 1}"
            ) from exc

    # --- the event-id index -------------------------------------------------------------------

    def lookup(self, ids: Iterable[str]) -> dict[str, Known]:
        """Index rows of the given event ids that are recorded (others are simply absent)."""
        wanted = sorted(set(ids))
        found: dict[str, Known] = {}
        if self.kind == "popo":
            index = self._app.recorder.index  # type: ignore[attr-defined]
            for event_id in wanted:
                row = index.get(event_id)
                if row is not None:
                    found[event_id] = Known(row[1], dt.date.fromisoformat(row[2]), row[0], row[3])
            return found
        p = self._param()
        with self._datastore().transaction(commit=False) as cursor:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                cursor.execute(
                    f"SELECT event_id, position, type, day, content_hash FROM {INDEX_TABLE} WHERE event_id IN ({', '.join([p] * len(chunk))})",
                    chunk,
                )
                for row in cursor.fetchall():
                    found[row["event_id"]] = Known(
                        row["type"],
                        dt.date.fromisoformat(row["day"]),
                        row["position"],
                        row["content_hash"],
                    )
        return found

    def index_rows(self) -> dict[str, int]:
        """Every indexed event id with its position (for verification)."""
        if self.kind == "popo":
            return {k: v[0] for k, v in self._app.recorder.index.items()}  # type: ignore[attr-defined]
        with self._datastore().transaction(commit=False) as cursor:
            cursor.execute(f"SELECT event_id, position FROM {INDEX_TABLE}")
            return {row["event_id"]: row["position"] for row in cursor.fetchall()}

    def _ensure_index(self) -> None:
        """Build the index from the stream if the store predates it (or it was dropped)."""
        if self.kind == "popo":
            return
        with self._datastore().transaction(commit=False) as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n FROM {INDEX_TABLE}")
            indexed = cursor.fetchone()["n"]
        if indexed or not self.head()[0]:
            return
        rows = [
            (r.value.id, r.position, r.value.TYPE, r.value.date.isoformat(), r.content_hash)
            for r in self.read()
            if isinstance(r.value, Event)
        ]
        p = self._param()
        with self._datastore().transaction(commit=True) as cursor:
            cursor.executemany(
                f"INSERT INTO {INDEX_TABLE} (event_id, position, type, day, content_hash) VALUES ({p}, {p}, {p}, {p}, {p})",
                rows,
            )

    # --- checkpoints ----------------------------------------------------------------------------

    def _create_tables(self) -> None:
        if self.kind == "popo":
            return
        blob = "BYTEA" if self.kind == "postgres" else "BLOB"
        with self._datastore().transaction(commit=True) as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS loopledger_checkpoints "
                f"(name TEXT PRIMARY KEY, position BIGINT NOT NULL, chain TEXT NOT NULL, state {blob} NOT NULL)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {INDEX_TABLE} (event_id TEXT PRIMARY KEY, position BIGINT NOT NULL, "
                "type TEXT NOT NULL, day TEXT NOT NULL, content_hash TEXT NOT NULL)"
            )

    def _datastore(self) -> Any:
        return self._app.recorder.datastore  # type: ignore[attr-defined]

    def _param(self) -> str:
        return "%s" if self.kind == "postgres" else "?"

    def load_checkpoint(self, name: str) -> tuple[int, str, Any] | None:
        """``(position, chain link, state)`` saved under ``name``, or None (also when unreadable)."""
        if self.kind == "popo":
            row: Any = self._memory_checkpoints.get(name)
        else:
            p = self._param()
            with self._datastore().transaction(commit=False) as cursor:
                cursor.execute(
                    f"SELECT position, chain, state FROM loopledger_checkpoints WHERE name={p}",
                    (name,),
                )
                found = cursor.fetchone()
            row = (
                None
                if found is None
                else (found["position"], found["chain"], bytes(found["state"]))
            )
        if row is None:
            return None
        try:
            state = pickle.loads(row[2])
        except Exception:  # noqa: BLE001 - an unreadable checkpoint is simply rebuilt
            return None
        return row[0], row[1], state

    def _writable(self, what: str) -> None:
        if self.read_only:
            raise StoreError(f"{describe(self.url)} is open read-only: cannot {what}")

    def save_checkpoint(self, name: str, position: int, chain: str, state: Any) -> None:
        """Replace the checkpoint ``name`` with ``state`` at ``position`` (not when read-only)."""
        if self.read_only:
            return
        blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        if self.kind == "popo":
            self._memory_checkpoints[name] = (position, chain, blob)
            return
        p = self._param()
        with self._datastore().transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM loopledger_checkpoints WHERE name={p}", (name,))
            cursor.execute(
                f"INSERT INTO loopledger_checkpoints (name, position, chain, state) VALUES ({p}, {p}, {p}, {p})",
                (name, position, chain, blob),
            )

    def delete_checkpoints(self, names: Sequence[str] | None = None) -> None:
        """Discard the named checkpoints (all when ``names`` is None)."""
        self._writable("discard checkpoints")
        if self.kind == "popo":
            for n in list(self._memory_checkpoints) if names is None else names:
                self._memory_checkpoints.pop(n, None)
            return
        with self._datastore().transaction(commit=True) as cursor:
            if names is None:
                cursor.execute("DELETE FROM loopledger_checkpoints")
            else:
                p = self._param()
                for n in names:
                    cursor.execute(f"DELETE FROM loopledger_checkpoints WHERE name={p}", (n,))

    # --- for verify's tamper tests and tooling ----------------------------------------------------

    def chain_at(self, position: int) -> str | None:
        """The chain link stored at ``position`` (None if there is no such record)."""
        page = self._app.recorder.select_events(BOOK_ID, gt=position - 1, lte=position, limit=1)
        if not page:
            return None
        return str(orjson.loads(self._mapper.raw_state(page[0]))["c"])
