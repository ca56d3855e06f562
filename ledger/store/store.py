"""The event store: an eventsourcing application over SQLite, memory or PostgreSQL.

This layer is the only one that knows eventsourcing and SQL. The whole book is one event stream
(one aggregate id); each recorded party or event is one stored event whose version is its
position. That gives three guarantees from eventsourcing's recorders:

* a file lands atomically — all its new records are written in one transaction
  (:meth:`Store.appending`, chunk after chunk, committed once);
* concurrent writers cannot interleave — two appends at the same position conflict on the
  ``(originator_id, originator_version)`` key and the loser retries from the new head;
* order is the recorded order — positions are dense 1, 2, 3 …

Beside the records, in the same database (see :mod:`ledger.store.tables`): the event-id index,
the postings the book derived for each event, and checkpoints — the last two *derived* data that
is trusted only with this user's MAC (:mod:`ledger.store.derived`). Records are encoded by
:mod:`ledger.store.records`; the recorders are in :mod:`ledger.store.recorders`; URLs in
:mod:`ledger.store.urls`.

It is one concept: the one object that opens a database and reads and writes each of its
tables, so that every SQL statement of loopledger sits in this module or beside it in the store
layer (appending, tables); splitting it by table would spread one transaction over modules.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from types import EllipsisType
from typing import Any, Final, Self
from urllib.parse import quote

import orjson
from eventsourcing.persistence import DatabaseError, IntegrityError, OperationalError, StoredEvent

from ledger.book import Known
from ledger.model.codec import GENESIS
from ledger.model.postings import Posting
from ledger.model.problems import DamagedStore, StoreError
from ledger.store import derived, encryption, tables
from ledger.store.recorders import LedgerApplication, MemoryRecorder
from ledger.store.records import (
    BOOK_ID,
    TOPIC,
    Record,
    RecordMapper,
    decode_record,
    record_hash,
)
from ledger.store.rows import (
    PostingsRow,
    SavedState,
    Stored,
    decode_postings,
    encode_postings,
    postings_mac,
    state_mac,
    state_parts,
)
from ledger.store.urls import describe, environment, redact, sqlite_path

DEFAULT_STORE: Final = "loopledger.db"
READ_BATCH: Final = 5_000
STATE_COMPRESS_OVER: Final = 64 << 10
"""State bodies larger than this are stored zlib-compressed."""


class ConcurrentAppend(StoreError):
    """Another writer appended first, or holds the store; re-read the head and try again."""


def _open_application(env: dict[str, str], url: str) -> LedgerApplication:
    """The eventsourcing application over the store; table creation racing another process
    that opens a fresh database at the same moment is retried, any other error is one message."""
    for attempt in range(4):
        try:
            return LedgerApplication(env=env)
        except Exception as exc:  # noqa: BLE001 - any driver error becomes one clear message
            if attempt < 3 and _lost_creation_race(exc):
                time.sleep(0.05 * (attempt + 1))
                continue
            raise StoreError(
                f"cannot open the store {describe(url)}: {redact(str(exc), url)}"
            ) from None
    raise AssertionError("unreachable")


def _lost_creation_race(exc: BaseException) -> bool:
    """PostgreSQL's CREATE TABLE IF NOT EXISTS is not atomic: two sessions creating one table
    at once, one gets a unique violation on the catalogue (or 'already exists')."""
    text = f"{type(exc).__name__}: {exc} {exc.__cause__ or ''}"
    return any(
        word in text
        for word in (
            "already exists",
            "pg_type_typname_nsp_index",
            "UniqueViolation",
            "duplicate key",
            "tuple concurrently updated",  # two sessions changing one catalogue row
            "deadlock detected",
        )
    )


def _create_private(path: str) -> None:
    """Create a new SQLite store file readable by its owner only (0600), never through a link.

    Why: a store holds whole deal histories, often confidential; SQLite would create it with
    the umask's 0644. An existing file is left as it is (its owner chose its mode).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        os.close(os.open(path, flags, 0o600))
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create the store {path}: {exc.strerror or exc}") from None


class Store:
    """Append-only record stream, its index, postings and checkpoints, in one database."""

    def __init__(
        self,
        url: str = DEFAULT_STORE,
        *,
        create: bool = True,
        read_only: bool = False,
        key: bytes | EllipsisType | None = ...,
    ) -> None:
        """Open the store at ``url``; with ``create=False`` it must already exist.

        ``key`` is the encryption key (:mod:`ledger.store.encryption`): by default the one this
        process was given (``$LOOPLEDGER_KEY`` or ``$LOOPLEDGER_KEY_FILE``); ``None`` opens a
        plain store. A new store opened with a key is encrypted; an encrypted store refuses a
        missing or wrong key, a plain one refuses a key, each with one message.

        Why: a mistyped ``--store`` for ``verify`` must not create an empty store and report
        that all checks hold on it. Only commands that record (``replay``, ``demo``) create.

        ``read_only`` (implies ``create=False``) is for faces that only look (``loopledger
        serve``): SQLite is opened by the driver in read-only mode, no table or index is made,
        appends are refused, and postings and checkpoints are not saved (folds still start from
        the last saved ones).
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
        env.update({k: v for k, v in os.environ.items() if k.startswith("LOOPLEDGER_COMPRESSOR")})
        if key is ...:
            key = encryption.configured_key()
        self.sealer = encryption.Sealer(key) if key else None
        if self.sealer is not None:
            env.update(self.sealer.environment)
        if path and create:
            _create_private(path)
        self._app = _open_application(env, url)
        self.kind = env["PERSISTENCE_MODULE"].rsplit(".", 1)[-1]
        self._mapper: RecordMapper = self._app.mapper  # type: ignore[assignment]
        self.memory_postings: dict[int, tuple[bytes, bytes]] = {}
        self.memory_states: dict[tuple[str, str], tuple[int, str, str, bytes, bytes]] = {}
        if not create and self.kind == "postgres" and not self._has_tables():
            self._app.close()
            raise StoreError(
                f"no loopledger store in {describe(url)}: replay a deal-history file into it "
                "first, or check --store / $LOOPLEDGER_STORE"
            )
        if not read_only:
            self._create_tables()
        try:
            self._check_encryption()
        except StoreError:
            self._app.close()
            raise
        if not read_only:
            self._ensure_index()

    # --- encryption at rest ---------------------------------------------------------------------

    def _check_encryption(self) -> None:
        """Refuse a missing or wrong key, or a key for a plain store; mark a new encrypted one."""
        if self.kind == "popo":
            return  # nothing is at rest
        mark = self._meta(encryption.MARK)
        where = describe(self.url)
        if mark is not None:
            if self.sealer is None:
                raise StoreError(
                    f"{where} is encrypted: give its key in ${encryption.KEY_ENV} or with "
                    "--key-file (the key 'loopledger keygen' printed when the store was made)"
                )
            if not self.sealer.opens(mark):
                raise StoreError(
                    f"the key given does not open {where}: it is not the key this store was "
                    "encrypted with (the AES-GCM check failed); nothing was read"
                )
            return
        if self.sealer is None:
            return
        if self._raw_count() or self.read_only:
            raise StoreError(
                f"{where} is a plain store (not encrypted), yet a key was given: open it without "
                f"${encryption.KEY_ENV} / --key-file, or copy it into a new encrypted store with "
                f"'loopledger --store {where} encrypt --out NEW'"
            )
        p = self.param
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {tables.META} (name, value) VALUES ({p}, {p}) "
                "ON CONFLICT (name) DO NOTHING",
                (encryption.MARK, self.sealer.mark()),
            )
        self._check_encryption()  # a concurrent creator may have marked it with another key

    def _meta(self, name: str) -> bytes | None:
        """A row of ``loopledger_meta``; None when absent (or the store predates the table)."""
        p = self.param
        if self.kind == "sqlite":
            exists = self._fetch(
                f"SELECT name FROM sqlite_master WHERE type='table' AND name={p}",
                (tables.META,),
            )
        else:
            exists = [
                r
                for r in self._fetch("SELECT to_regclass(%s) AS t", (tables.META,))
                if r["t"] is not None
            ]
        if not exists:
            return None
        rows = self._fetch(f"SELECT value FROM {tables.META} WHERE name={p}", (name,))
        if not rows:
            return None
        return bytes(rows[0][0] if self.kind == "sqlite" else rows[0]["value"])

    def _raw_count(self) -> int:
        """How many records the table holds, without decoding one (the key may not fit them)."""
        rows = self._fetch(f"SELECT COUNT(*) AS n FROM {self.events_table}")
        return int(rows[0][0] if self.kind == "sqlite" else rows[0]["n"])

    @property
    def encrypted(self) -> bool:
        return self.sealer is not None

    def index_id(self, event_id: str) -> str:
        """The form of ``event_id`` in the index: itself, or its keyed digest when encrypted."""
        return event_id if self.sealer is None else self.sealer.index_id(event_id)

    def index_row(
        self, event: Any, position: int, content_hash: str
    ) -> tuple[str, int, str, str, str]:
        """The index row of ``event`` at ``position`` as stored (id and hash sealed if encrypted)."""
        if self.sealer is None:
            return (event.id, position, event.TYPE, event.date.isoformat(), content_hash)
        return (
            self.sealer.index_id(event.id),
            position,
            event.TYPE,
            event.date.isoformat(),
            self.sealer.seal_text(content_hash),
        )

    def _has_tables(self) -> bool:
        """Whether the database already holds loopledger's record table (PostgreSQL)."""
        table = self.events_table
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT to_regclass(%s) AS t", (table,))
            row = cursor.fetchone()
        return row is not None and row["t"] is not None

    def close(self) -> None:
        self._app.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what the appender and the readers share ------------------------------------------------

    @property
    def datastore(self) -> Any:
        return self._app.recorder.datastore  # type: ignore[attr-defined]

    @property
    def recorder(self) -> Any:
        return self._app.recorder

    @property
    def mapper(self) -> RecordMapper:
        return self._mapper

    @property
    def events_table(self) -> str:
        return str(self._app.recorder.events_table_name)  # type: ignore[attr-defined]

    @property
    def param(self) -> str:
        return "%s" if self.kind == "postgres" else "?"

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with (
            self._damage_named("reading the store"),
            self.datastore.transaction(commit=False) as cursor,
        ):
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    @contextlib.contextmanager
    def _damage_named(self, doing: str) -> Iterator[None]:
        """A database file damaged outside loopledger (a corrupt page) is one message naming
        what was being read, exit 1 — not a driver traceback. Busy and conflict errors pass."""
        try:
            yield
        except (OperationalError, IntegrityError):
            raise
        except DatabaseError as exc:
            raise DamagedStore(
                f"the database of {describe(self.url)} is damaged ({redact(str(exc), self.url)}) "
                f"while {doing}: it was altered outside loopledger; restore it from a copy"
            ) from None

    def encrypt(self, body: bytes) -> bytes:
        cipher = self._mapper.cipher
        return cipher.encrypt(body) if cipher else body

    def decrypt(self, body: bytes) -> bytes:
        cipher = self._mapper.cipher
        return cipher.decrypt(bytes(body)) if cipher else bytes(body)

    def _decrypt_derived(self, body: bytes) -> bytes | None:
        """Derived bytes in the clear; None when they do not decrypt (they are derived again)."""
        try:
            return self.decrypt(body)
        except ValueError:
            return None

    # --- the record stream ----------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        """``(position, chain link)`` of the last record; ``(0, GENESIS)`` when empty."""
        with self._damage_named("reading the last record"):
            last = self._app.recorder.select_events(BOOK_ID, desc=True, limit=1)
        if not last:
            return 0, GENESIS
        record = decode_record(self._mapper.raw_state(last[0]), last[0].originator_version)
        return record.position, record.chain_hash

    def read(
        self, after: int = 0, upto: int | None = None, batch: int = READ_BATCH
    ) -> Iterator[Record]:
        """Records with ``after < position <= upto`` in recorded order, read in pages."""
        for position, raw in self.read_raw(after, upto, batch):
            yield decode_record(raw, position)

    def read_raw(
        self, after: int = 0, upto: int | None = None, batch: int = READ_BATCH
    ) -> Iterator[tuple[int, bytes]]:
        """``(position, decrypted-but-unparsed bytes)``, for fast scans and for verification."""
        for row in self._pages(after, upto, batch, postings=False):
            yield row.position, row.raw

    def read_stored(
        self, after: int = 0, upto: int | None = None, batch: int = READ_BATCH
    ) -> Iterator[Stored]:
        """Records with the postings recorded for them (None where absent or not signed by us)."""
        return self._pages(after, upto, batch, postings=True)

    def _pages(
        self, after: int, upto: int | None, batch: int, *, postings: bool
    ) -> Iterator[Stored]:
        position = after
        raw_state = self._mapper.raw_state
        while True:
            limit = batch if upto is None else min(batch, upto - position)
            if limit <= 0:
                return
            if self.kind == "popo":
                page = self._app.recorder.select_events(BOOK_ID, gt=position, limit=limit)
                rows = [
                    (
                        s.originator_version,
                        s.state,
                        *self.memory_postings.get(s.originator_version, (None, None)),
                    )
                    for s in page
                ]
            else:
                rows = self._select(position, limit, postings)
            if not rows:
                return
            sign = derived.signer()
            for version, state, body, mac in rows:
                raw = raw_state(StoredEvent(BOOK_ID, version, TOPIC, state))
                entries: tuple[Posting, ...] | None = None
                if body is not None:
                    plain = self._decrypt_derived(body)
                    digest = record_hash(raw)
                    if (
                        plain is not None
                        and digest is not None
                        and sign.verified(
                            mac, b"postings", version.to_bytes(8, "big"), digest.encode(), plain
                        )
                    ):
                        entries = decode_postings(plain)
                yield Stored(version, raw, entries)
            position = rows[-1][0]

    def _select(self, after: int, limit: int, postings: bool) -> list[tuple[Any, ...]]:
        # The library's select_events builds a UUID and a StoredEvent per row (~8 µs); on a
        # fold of millions that is most of the read time, so the tables are read directly.
        p = self.param
        if postings:
            sql = (
                f"SELECT e.originator_version, e.state, p.body, p.mac FROM {self.events_table} e "
                f"LEFT JOIN {tables.POSTINGS} p ON p.position = e.originator_version "
                f"WHERE e.originator_id={p} AND e.originator_version>{p} "
                f"ORDER BY e.originator_version LIMIT {p}"
            )
        else:
            sql = (
                f"SELECT originator_version, state, NULL AS body, NULL AS mac FROM {self.events_table} "
                f"WHERE originator_id={p} AND originator_version>{p} "
                f"ORDER BY originator_version LIMIT {p}"
            )
        book_id: Any = BOOK_ID.hex if self.kind == "sqlite" else BOOK_ID
        with (
            self._damage_named(f"reading the records after #{after}"),
            self.datastore.transaction(commit=False) as cursor,
        ):
            cursor.execute(sql, (book_id, after, limit))
            if self.kind == "sqlite":
                return [tuple(row) for row in cursor.fetchall()]
            return [tuple(row.values()) for row in cursor.fetchall()]

    def positions_of_type(self, type_name: str) -> list[int]:
        """Positions of the stored events of one type, via the index (reversals, assertions)."""
        if self.kind == "popo":
            index = self._app.recorder.index  # type: ignore[attr-defined]
            return sorted(row[0] for row in index.values() if row[1] == type_name)
        rows = self._fetch(
            f"SELECT position FROM {tables.INDEX} WHERE type={self.param} ORDER BY position",
            (type_name,),
        )
        return [row[0] if self.kind == "sqlite" else row["position"] for row in rows]

    def reversals(self) -> list[tuple[int, str, str, dt.date]]:
        """``(position, reversal id, target id, date)`` of every stored reversal, via the index."""
        from ledger.model.events import Reversal

        found = []
        for position in self.positions_of_type("reversal"):
            for record in self.read(after=position - 1, upto=position):
                if isinstance(record.value, Reversal):
                    found.append((position, record.value.id, record.value.of, record.value.date))
        return found

    def appending(self, expected_head: int) -> Any:
        """A transaction appending at ``expected_head + 1 …`` (see :class:`ledger.store.appending.Appender`)."""
        from ledger.store.appending import Appender

        self._writable("append records")
        return Appender(self, expected_head)

    def _writable(self, what: str) -> None:
        if self.read_only:
            raise StoreError(f"{describe(self.url)} is open read-only: cannot {what}")

    def append(
        self,
        records: Sequence[Record],
        expected_head: int,
        postings: Sequence[PostingsRow] = (),
    ) -> None:
        """Insert ``records`` at positions ``expected_head+1 …`` in one transaction, or none."""
        if not records:
            return
        with self.appending(expected_head) as appender:
            appender.write(records, postings)

    # --- the event-id index -------------------------------------------------------------------

    def lookup(self, ids: Iterable[str], cursor: Any = None) -> dict[str, Known]:
        """Index rows of the given event ids that are recorded (others are simply absent)."""
        forms = {self.index_id(event_id): event_id for event_id in set(ids)}
        wanted = sorted(forms)
        found: dict[str, Known] = {}
        if self.kind == "popo":
            index = self._app.recorder.index  # type: ignore[attr-defined]
            for form in wanted:
                row = index.get(form)
                if row is not None:
                    found[forms[form]] = Known(
                        row[1], dt.date.fromisoformat(row[2]), row[0], self._open_hash(row[3])
                    )
            return found
        p = self.param

        def run(cur: Any) -> None:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                cur.execute(
                    f"SELECT event_id, position, type, day, content_hash FROM {tables.INDEX} "
                    f"WHERE event_id IN ({', '.join([p] * len(chunk))})",
                    chunk,
                )
                for row in cur.fetchall():
                    known = _known(row, self.kind)
                    form = row[0] if self.kind == "sqlite" else row["event_id"]
                    found[forms[form]] = known._replace(
                        content_hash=self._open_hash(known.content_hash)
                    )

        if cursor is not None:
            run(cursor)
        else:
            with self.datastore.transaction(commit=False) as cur:
                run(cur)
        return found

    def _open_hash(self, stored: str) -> str:
        return stored if self.sealer is None else self.sealer.open_text(stored)

    def index_rows(self) -> dict[str, int]:
        """Every indexed event id (as stored: see :meth:`index_id`) with its position."""
        if self.kind == "popo":
            return {k: v[0] for k, v in self._app.recorder.index.items()}  # type: ignore[attr-defined]
        rows = self._fetch(f"SELECT event_id, position FROM {tables.INDEX}")
        return (
            {r[0]: r[1] for r in rows}
            if self.kind == "sqlite"
            else {r["event_id"]: r["position"] for r in rows}
        )

    def index_by_position(
        self, batch: int = READ_BATCH
    ) -> Iterator[tuple[int, str, str, str, str]]:
        """``(position, event id as stored, type, day, content hash)`` of every indexed event in
        recorded order, in pages (the hash opened when the store is encrypted)."""
        if self.kind == "popo":
            index = self._app.recorder.index  # type: ignore[attr-defined]
            yield from sorted(
                (row[0], event_id, row[1], row[2], self._open_hash(row[3]))
                for event_id, row in index.items()
            )
            return
        after, p = 0, self.param
        while True:
            rows = self._fetch(
                f"SELECT position, event_id, type, day, content_hash FROM {tables.INDEX} "
                f"WHERE position > {p} ORDER BY position LIMIT {p}",
                (after, batch),
            )
            if not rows:
                return
            for row in rows:
                position, event_id, kind, day, digest = (
                    tuple(row) if self.kind == "sqlite" else tuple(row.values())
                )
                try:
                    digest = self._open_hash(digest)
                except (ValueError, TypeError):
                    digest = "(does not decrypt)"
                yield position, event_id, kind, day, digest
            after = rows[-1][0] if self.kind == "sqlite" else rows[-1]["position"]

    def index_days(self) -> Iterator[tuple[int, str, str]]:
        """``(position, type, day)`` of every indexed event in recorded order (a cheap scan)."""
        if self.kind == "popo":
            index = self._app.recorder.index  # type: ignore[attr-defined]
            yield from sorted((row[0], row[1], row[2]) for row in index.values())
            return
        rows = self._fetch(f"SELECT position, type, day FROM {tables.INDEX} ORDER BY position")
        for row in rows:
            yield (
                (row[0], row[1], row[2])
                if self.kind == "sqlite"
                else (
                    row["position"],
                    row["type"],
                    row["day"],
                )
            )

    def _ensure_index(self) -> None:
        """Build the index from the stream if the store predates it (or it was dropped)."""
        if self.kind == "popo":
            return
        rows = self._fetch(f"SELECT COUNT(*) AS n FROM {tables.INDEX}")
        indexed = rows[0][0] if self.kind == "sqlite" else rows[0]["n"]
        if indexed or not self.head()[0]:
            return
        from ledger.model.events import Event

        index_rows = [
            self.index_row(r.value, r.position, r.content_hash)
            for r in self.read()
            if isinstance(r.value, Event)
        ]
        p = self.param
        with self.datastore.transaction(commit=True) as cursor:
            cursor.executemany(
                f"INSERT INTO {tables.INDEX} (event_id, position, type, day, content_hash) "
                f"VALUES ({p}, {p}, {p}, {p}, {p})",
                index_rows,
            )

    def _create_tables(self) -> None:
        if self.kind == "popo":
            return
        statements = tables.create_statements(self.kind == "postgres")
        for attempt in range(4):
            try:
                with self.datastore.transaction(commit=True) as cursor:
                    for statement in statements:
                        cursor.execute(statement)
                return
            except Exception as exc:  # noqa: BLE001 - a concurrent creator on a fresh database
                if attempt < 3 and self.kind == "postgres" and _lost_creation_race(exc):
                    time.sleep(0.05 * (attempt + 1))  # another creator is making them too
                    continue
                raise StoreError(
                    f"cannot prepare the store {describe(self.url)}: {redact(str(exc), self.url)}"
                ) from None

    # --- postings ---------------------------------------------------------------------------------

    def postings_rows(self, rows: Sequence[PostingsRow]) -> list[tuple[int, bytes, bytes]]:
        """``(position, stored body, MAC)`` rows for the given postings (signed by this user)."""
        out = []
        sign = derived.signer()
        for position, digest, postings in rows:
            body = encode_postings(postings)
            out.append((position, self.encrypt(body), postings_mac(position, digest, body, sign)))
        return out

    def replace_postings(self, rows: Sequence[PostingsRow], cursor: Any = None) -> None:
        """Write (or overwrite) the postings of the given positions (not when read-only: a
        fold then derives them again next time)."""
        if self.read_only:
            return
        encoded = self.postings_rows(rows)
        if self.kind == "popo":
            for position, body, mac in encoded:
                self.memory_postings[position] = (body, mac)
            return
        p = self.param
        sql = (
            f"INSERT INTO {tables.POSTINGS} (position, body, mac) VALUES ({p}, {p}, {p}) "
            "ON CONFLICT (position) DO UPDATE SET body = excluded.body, mac = excluded.mac"
        )
        if cursor is not None:
            cursor.executemany(sql, encoded)
            return
        with self.datastore.transaction(commit=True) as cur:
            cur.executemany(sql, encoded)

    # --- checkpoints --------------------------------------------------------------------------

    def load_state(self, name: str) -> SavedState | None:
        """This user's checkpoint ``name``: None when absent, not made with this user's key,
        altered, or not plain data (it is then simply computed again)."""
        key = derived.key_id()
        if self.kind == "popo":
            row: Any = self.memory_states.get((name, key))
        else:
            p = self.param
            found = self._fetch(
                f"SELECT position, chain, version, body, mac FROM {tables.STATE} "
                f"WHERE name={p} AND key_id={p}",
                (name, key),
            )
            row = (
                None
                if not found
                else tuple(found[0])
                if self.kind == "sqlite"
                else tuple(found[0].values())
            )
        if row is None:
            return None
        position, chain, version, stored, mac = row
        try:
            body = self.decrypt(stored)
        except Exception:  # noqa: BLE001 - undecryptable: not ours
            return None
        if not derived.verified(mac, *state_parts(name, position, chain, version, body)):
            return None
        try:
            data = orjson.loads(zlib.decompress(body[1:]) if body[:1] == b"Z" else body[1:])
        except (orjson.JSONDecodeError, zlib.error, ValueError):
            return None
        return SavedState(position, chain, version, data)

    def save_state(
        self, name: str, position: int, chain: str, version: str, data: Any, cursor: Any = None
    ) -> None:
        """Replace this user's checkpoint ``name`` with ``data`` (plain JSON-able values; not
        when read-only).

        A checkpoint only saves time: when another process writes it at the same moment (a lock
        held too long, a key conflict), this one is simply not written — the caller already has
        its answer. Inside a caller's transaction (``cursor``) the caller decides.
        """
        if self.read_only:
            return
        encoded = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
        body = (
            b"Z" + zlib.compress(encoded, 1)
            if len(encoded) > STATE_COMPRESS_OVER
            else b"J" + encoded
        )
        mac = state_mac(name, position, chain, version, body)
        key = derived.key_id()
        if self.kind == "popo":
            self.memory_states[(name, key)] = (position, chain, version, self.encrypt(body), mac)
            return
        p = self.param
        params = (name, key, position, chain, version, self.encrypt(body), mac)
        sql = (
            f"INSERT INTO {tables.STATE} (name, key_id, position, chain, version, body, mac) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}) ON CONFLICT (name, key_id) DO UPDATE SET "
            "position = excluded.position, chain = excluded.chain, version = excluded.version, "
            "body = excluded.body, mac = excluded.mac"
        )
        if cursor is not None:
            cursor.execute(sql, params)
            return
        try:
            with self.datastore.transaction(commit=True) as cur:
                cur.execute(sql, params)
        except (IntegrityError, OperationalError):
            return

    def delete_states(self, names: Sequence[str] | None = None) -> None:
        """Discard this user's checkpoints ``names`` (all of them, and the 0.1 pickles, when None)."""
        self._writable("discard checkpoints")
        key = derived.key_id()
        if self.kind == "popo":
            for k in list(self.memory_states):
                if k[1] == key and (names is None or k[0] in names):
                    del self.memory_states[k]
            return
        p = self.param
        with self.datastore.transaction(commit=True) as cursor:
            if names is None:
                cursor.execute(f"DELETE FROM {tables.STATE} WHERE key_id={p}", (key,))
                cursor.execute(f"DROP TABLE IF EXISTS {tables.LEGACY_CHECKPOINTS}")
            else:
                for n in names:
                    cursor.execute(
                        f"DELETE FROM {tables.STATE} WHERE name={p} AND key_id={p}", (n, key)
                    )

    def state_audit(self) -> list[tuple[str, str, str]]:
        """``(name, whose, verdict)`` of every checkpoint row, for ``verify``: ``ours``/``other
        key``; ``ok``/``altered``/``not plain data``; and the 0.1 pickles, never opened."""
        rows: list[tuple[str, str, int, str, str, bytes, bytes]]
        if self.kind == "popo":
            rows = [(n, k, *v) for (n, k), v in self.memory_states.items()]
            legacy: list[str] = []
        else:
            fetched = self._fetch(
                f"SELECT name, key_id, position, chain, version, body, mac FROM {tables.STATE} ORDER BY name"
            )
            rows = [tuple(r) if self.kind == "sqlite" else tuple(r.values()) for r in fetched]
            legacy = self._legacy_names()
        key = derived.key_id()
        out = []
        for name, key_id, position, chain, version, stored, mac in rows:
            if key_id != key:
                out.append((name, "other key", "not used"))
                continue
            try:
                body = self.decrypt(stored)
            except Exception:  # noqa: BLE001
                out.append((name, "ours", "cannot be decrypted"))
                continue
            ok = derived.verified(mac, *state_parts(name, position, chain, version, body))
            out.append((name, "ours", "ok" if ok else "altered (its MAC does not match)"))
        out += [(n, "loopledger 0.1 pickle", "never opened") for n in legacy]
        return out

    def _legacy_names(self) -> list[str]:
        try:
            rows = self._fetch(f"SELECT name FROM {tables.LEGACY_CHECKPOINTS}")
        except Exception:  # noqa: BLE001 - no such table: nothing to name
            return []
        return [r[0] if self.kind == "sqlite" else r["name"] for r in rows]

    # --- for verify's tamper tests and tooling ----------------------------------------------------

    def chain_at(self, position: int) -> str | None:
        """The chain link stored at ``position`` (None if there is no such record)."""
        for _, raw in self.read_raw(after=position - 1, upto=position):
            return str(orjson.loads(raw)["c"])
        return None

    @property
    def memory_recorder(self) -> MemoryRecorder:
        recorder = self._app.recorder
        assert isinstance(recorder, MemoryRecorder)
        return recorder


def _known(row: Any, kind: str) -> Known:
    if kind == "sqlite":
        return Known(row[2], dt.date.fromisoformat(row[3]), row[1], row[4])
    return Known(
        row["type"], dt.date.fromisoformat(row["day"]), row["position"], row["content_hash"]
    )
