"""One append transaction that spans a whole file, written chunk by chunk.

Why: a file must land whole or not at all, yet a million events must not sit in memory first.
So the transaction opens once, each chunk of records (with its index rows and postings) is
written into it as the replay validates it, lookups of ids see the chunks written before, and the
book's checkpoint goes in last — then one commit. Any exception rolls everything back. A
concurrent writer makes the insert fail on the record table's key (or finds the database busy):
that is :class:`~ledger.store.store.ConcurrentAppend`, and the replay starts again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from eventsourcing.persistence import (
    IntegrityError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)

from ledger.book import Known
from ledger.model.events import Event
from ledger.model.postings import Posting
from ledger.model.problems import StoreError
from ledger.store.records import BOOK_ID, TOPIC, Record, Recorded, encode_record
from ledger.store.rows import PostingsRow
from ledger.store.urls import describe, redact

if TYPE_CHECKING:
    from ledger.store.store import Store


class Appender:
    """Appends at ``expected_head + 1 …``; use as a context manager (commit on a clean exit)."""

    def __init__(self, store: Store, expected_head: int) -> None:
        self.store = store
        self.head = expected_head
        self.expected_head = expected_head
        self.recorded_at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        self._stack = contextlib.ExitStack()
        self._cursor: Any = None
        # A memory store has no transaction: what is written is kept here until the commit.
        self._memory_events: list[Recorded] = []
        self._memory_index: list[tuple[str, int, str, str, str]] = []
        self._memory_ids: dict[str, Known] = {}
        self._memory_postings: list[PostingsRow] = []
        self._states: list[tuple[str, int, str, str, Any]] = []

    def __enter__(self) -> Self:
        if self.store.kind != "popo":
            try:
                self._cursor = self._stack.enter_context(
                    self.store.datastore.transaction(commit=True)
                )
                if self.store.kind == "postgres":
                    self.store.recorder._lock_table(self._cursor)
            except (OperationalError, PersistenceError) as exc:
                self._stack.close()
                raise self._busy(exc) from exc
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None and self.store.kind == "popo":
            self._commit_memory()
        try:
            self._stack.__exit__(kind, exc, tb)
        except IntegrityError as err:
            raise self._conflict() from err
        except (OperationalError, PersistenceError) as err:
            raise self._busy(err) from err

    # --- inside the transaction -----------------------------------------------------------------

    def lookup(self, ids: Iterable[str]) -> dict[str, Known]:
        """Index rows of ``ids`` — stored before, or written earlier in this transaction."""
        wanted = set(ids)
        if self.store.kind == "popo":
            found = self.store.lookup(wanted)
            found.update({i: k for i, k in self._memory_ids.items() if i in wanted})
            return found
        return self.store.lookup(wanted, cursor=self._cursor)

    def write(self, records: Sequence[Record], postings: Sequence[PostingsRow] = ()) -> None:
        """Write ``records`` (positions ``head+1 …``) with their index rows and postings."""
        if not records:
            return
        first = self.head + 1
        events = [
            Recorded(
                BOOK_ID,
                first + i,
                encode_record(
                    r.kind, r.value, r.content_hash, r.chain_hash, r.recorded_at or self.recorded_at
                ),
            )
            for i, r in enumerate(records)
        ]
        index_rows = [
            self.store.index_row(r.value, first + i, r.content_hash)
            for i, r in enumerate(records)
            if isinstance(r.value, Event)
        ]
        self.head += len(records)
        if self.store.kind == "popo":
            for i, r in enumerate(records):
                if isinstance(r.value, Event):
                    self._memory_ids[r.value.id] = Known(
                        r.value.TYPE, r.value.date, first + i, r.content_hash
                    )
        self._insert(events, index_rows, postings)

    def write_raw(
        self,
        rows: Sequence[tuple[int, bytes, tuple[str, int, str, str, str] | None]],
        postings: Sequence[PostingsRow] = (),
    ) -> None:
        """Write stored records as their bytes (a copy of another store: :mod:`ledger.store.copying`).

        Each row is ``(position, record bytes, index row or None)``; positions must follow the head.
        """
        events = []
        for position, raw, _ in rows:
            if position != self.head + 1:
                raise StoreError(
                    f"cannot copy record #{position} after #{self.head}: the source is not dense"
                )
            self.head = position
            events.append(Recorded(BOOK_ID, position, raw))
        self._insert(events, [row for _, _, row in rows if row is not None], postings)

    def _insert(
        self,
        events: list[Recorded],
        index_rows: Sequence[tuple[str, int, str, str, str]],
        postings: Sequence[PostingsRow],
    ) -> None:
        """Records, index rows and postings into the transaction (a memory store keeps them
        until the commit)."""
        if self.store.kind == "popo":
            self._memory_events += events
            self._memory_index += index_rows
            self._memory_postings += postings
            return
        stored = [self.store.mapper.to_stored_event(e) for e in events]
        recorder = self.store.recorder
        try:
            recorder._insert_events(self._cursor, stored, index_rows=index_rows)
            if self.store.kind == "postgres":
                recorder._insert_stored_events(self._cursor, stored)
            if postings:
                self.store.replace_postings(postings, cursor=self._cursor)
        except IntegrityError as exc:
            raise self._conflict() from exc
        except (OperationalError, PersistenceError) as exc:
            raise self._busy(exc) from exc

    def save_state(self, name: str, position: int, chain: str, version: str, data: Any) -> None:
        """A checkpoint written in the same transaction (the book at the new head, say)."""
        if self.store.kind == "popo":
            self._states.append((name, position, chain, version, data))
            return
        self.store.save_state(name, position, chain, version, data, cursor=self._cursor)

    def replace_postings(self, rows: Sequence[PostingsRow]) -> None:
        """Overwrite stored postings (after a reversal changed what earlier events post)."""
        if self.store.kind == "popo":
            self._memory_postings += rows
            return
        self.store.replace_postings(rows, cursor=self._cursor)

    def dated_postings(
        self, upto_day: dt.date, batch: int = 5_000
    ) -> Iterator[tuple[int, dt.date, tuple[Posting, ...] | None]]:
        """``(position, event date, postings)`` of every event dated on or before ``upto_day``
        — stored before or written in this transaction — in recorded order, read in pages (so
        a replay can check balance assertions before its commit in bounded memory). Postings
        not signed by this user come as None."""
        from ledger.store import derived, tables
        from ledger.store.rows import decode_postings

        if self.store.kind == "popo":
            indexed = {row[0]: row for row in self._memory_index_rows()}
            pending = {position: postings for position, _, postings in self._memory_postings}
            sign = derived.signer()
            for position in sorted(indexed):
                day, digest = dt.date.fromisoformat(indexed[position][2]), indexed[position][3]
                if day > upto_day:
                    continue
                entries: tuple[Posting, ...] | None = tuple(pending.get(position, ()))
                if position not in pending:
                    body, mac = self.store.memory_postings.get(position, (None, None))
                    entries = None
                    if body is not None and mac is not None:
                        plain = self.store.decrypt(body)
                        if sign.verified(
                            mac, b"postings", position.to_bytes(8, "big"), digest.encode(), plain
                        ):
                            entries = decode_postings(plain)
                yield position, day, entries
            return
        p = self.store.param
        sql = (
            f"SELECT i.position, i.day, i.content_hash, b.body, b.mac FROM {tables.INDEX} i "
            f"LEFT JOIN {tables.POSTINGS} b ON b.position = i.position "
            f"WHERE i.position > {p} AND i.day <= {p} ORDER BY i.position LIMIT {p}"
        )
        sign = derived.signer()
        after, cutoff = 0, upto_day.isoformat()
        while True:
            self._cursor.execute(sql, (after, cutoff, batch))
            rows = [
                tuple(r) if self.store.kind == "sqlite" else tuple(r.values())
                for r in self._cursor.fetchall()
            ]
            if not rows:
                return
            for position, text, sealed, body, mac in rows:
                found: tuple[Posting, ...] | None = None
                if body is not None:
                    clear = self.store._decrypt_derived(body)
                    opened = self.store._open_hash(sealed).encode()
                    if clear is not None and sign.verified(
                        mac, b"postings", int(position).to_bytes(8, "big"), opened, clear
                    ):
                        found = decode_postings(clear)
                yield int(position), dt.date.fromisoformat(text), found
            after = int(rows[-1][0])

    def read_raw(self, batch: int = 5_000) -> Iterator[tuple[int, bytes]]:
        """``(position, record bytes)`` of every record — stored before or written in this
        transaction — in recorded order, read in pages through the transaction's cursor."""
        if self.store.kind == "popo":
            yield from self.store.read_raw()
            for event in self._memory_events:
                yield event.originator_version, event.payload
            return
        book = BOOK_ID
        p = self.store.param
        sql = (
            f"SELECT originator_version, state FROM {self.store.events_table} "
            f"WHERE originator_id = {p} AND originator_version > {p} "
            f"ORDER BY originator_version LIMIT {p}"
        )
        book_id: Any = book.hex if self.store.kind == "sqlite" else book
        after = 0
        while True:
            self._cursor.execute(sql, (book_id, after, batch))
            rows = [
                tuple(r) if self.store.kind == "sqlite" else tuple(r.values())
                for r in self._cursor.fetchall()
            ]
            if not rows:
                return
            for version, state in rows:
                yield (
                    int(version),
                    self.store.mapper.raw_state(StoredEvent(book, int(version), TOPIC, state)),
                )
            after = int(rows[-1][0])

    def _memory_index_rows(self) -> list[tuple[int, str, str, str]]:
        """(position, type, day, content hash) of every event of a memory store, stored or pending."""
        index = self.store._app.recorder.index  # type: ignore[attr-defined]
        rows = [(row[0], row[1], row[2], self.store._open_hash(row[3])) for row in index.values()]
        rows += [
            (position, kind, day, self.store._open_hash(digest))
            for _, position, kind, day, digest in self._memory_index
        ]
        return rows

    # --- helpers ----------------------------------------------------------------------------------

    def _commit_memory(self) -> None:
        if self._memory_events:
            stored = [self.store.mapper.to_stored_event(e) for e in self._memory_events]
            try:
                self.store.memory_recorder._insert_events(stored, index_rows=self._memory_index)
            except IntegrityError as exc:
                raise self._conflict() from exc
        if self._memory_postings:
            self.store.replace_postings(self._memory_postings)
        for name, position, chain, version, data in self._states:
            self.store.save_state(name, position, chain, version, data)

    def _conflict(self) -> Exception:
        from ledger.store.store import ConcurrentAppend

        return ConcurrentAppend(
            f"another writer appended to {describe(self.store.url)} at position {self.expected_head + 1}"
        )

    def _busy(self, exc: Exception) -> Exception:
        from ledger.store.store import ConcurrentAppend

        return ConcurrentAppend(
            f"the store {describe(self.store.url)} is busy: {redact(str(exc), self.store.url)}"
        )
