"""Copying a store's records into a new store byte for byte (``loopledger encrypt``).

Why: encrypting a plain store (or moving one to a new key) must not re-derive or re-encode a
single record — the copy's hash chain, content hashes and recorded-at moments are the
original's, so ``verify`` holds on both and anchors taken on the original still match. Records go
in as the bytes they were stored as (re-encrypted under the target's key), with their index rows
and the postings signed by this user's key; checkpoints are derived data and are not copied (the
first command on the copy folds them again).
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.model.events import Event
from ledger.model.problems import StoreError
from ledger.store.appending import Appender
from ledger.store.records import Record, decode_record
from ledger.store.rows import Stored
from ledger.store.store import Store
from ledger.store.urls import describe

CHUNK = 5_000


def copy_records(
    source: Store, target: Store, progress: Callable[[int], object] | None = None
) -> int:
    """Copy every record of ``source`` into the empty ``target`` in one transaction; the count."""
    if target.head()[0]:
        raise StoreError(
            f"{describe(target.url)} already holds records: encrypt copies into a new, empty store"
        )
    copied = 0
    with target.appending(0) as appender:
        rows: list[tuple[Stored, Record]] = []
        for stored in source.read_stored():
            record = decode_record(stored.raw, stored.position)
            rows.append((stored, record))
            if len(rows) >= CHUNK:
                copied += _write(appender, target, rows)
                rows = []
                if progress is not None:
                    progress(copied)
        copied += _write(appender, target, rows)
    return copied


def _write(appender: Appender, target: Store, rows: list[tuple[Stored, Record]]) -> int:
    if not rows:
        return 0
    appender.write_raw(
        [
            (
                stored.position,
                stored.raw,
                target.index_row(record.value, stored.position, record.content_hash)
                if isinstance(record.value, Event)
                else None,
            )
            for stored, record in rows
        ],
        [
            (stored.position, record.content_hash, stored.postings)
            for stored, record in rows
            if stored.postings is not None
        ],
    )
    return len(rows)
