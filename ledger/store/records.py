"""Records as they are stored: one party or event, its content hash and chain link, as orjson bytes.

The mapper is lean: records are orjson bytes ``{"k": kind, "r": record, "h": content hash,
"c": chain link, "t": recorded at}`` under one fixed topic, decoded straight into values without
eventsourcing's generic transcoder.
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple
from uuid import UUID, uuid5

import orjson
from eventsourcing.persistence import (
    Mapper,
    StoredEvent,
)

from ledger.model.codec import from_dict, party_from_dict, party_to_dict, to_dict
from ledger.model.events import Event
from ledger.model.problems import CorruptRecord, unreadable, unreadable_reason
from ledger.model.values import Party

BOOK_ID: Final = uuid5(UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8"), "loopledger:book")
TOPIC: Final = "loopledger.record.v1"


class Record(NamedTuple):
    """A party declaration or an event as it is (or will be) stored."""

    kind: str  # "party" | "event"
    value: Party | Event
    content_hash: str
    chain_hash: str
    position: int = 0
    recorded_at: str = ""


class Recorded:
    """The eventsourcing domain event that carries one record (protocol: id + version)."""

    __slots__ = ("originator_id", "originator_version", "payload")

    def __init__(self, originator_id: UUID, originator_version: int, payload: bytes) -> None:
        self.originator_id = originator_id
        self.originator_version = originator_version
        self.payload = payload


class RecordMapper(Mapper[UUID]):
    """Stores records as compact orjson under one topic; compression/encryption still apply."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = domain_event.payload
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            domain_event.originator_id, domain_event.originator_version, TOPIC, state
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return Recorded(
            UUID(str(stored_event.originator_id)),
            stored_event.originator_version,
            self.raw_state(stored_event),
        )

    def raw_state(self, stored_event: StoredEvent) -> bytes:
        """The record's bytes; :func:`~ledger.model.problems.unreadable` when they do not decrypt."""
        state = stored_event.state
        try:
            if self.cipher:
                state = self.cipher.decrypt(bytes(state))
            if self.compressor:
                state = self.compressor.decompress(state)
        except Exception as exc:  # noqa: BLE001 - altered or truncated bytes, named by position
            what = "decrypt" if self.cipher else "decompress"
            return unreadable(f"its stored bytes do not {what} ({exc}): altered or truncated")
        return state


FORMAT: Final = 2
"""Records of format 2 (loopledger 0.2) carry ``"v": 2`` and their chain link covers the moment
they were recorded; format 1 records have no ``v`` and a link over the content hash only."""


def encode_record(
    kind: str, value: Party | Event, content_hash: str, chain_hash: str, recorded_at: str
) -> bytes:
    body = party_to_dict(value) if isinstance(value, Party) else to_dict(value)
    return orjson.dumps(
        {"k": kind, "r": body, "h": content_hash, "c": chain_hash, "t": recorded_at, "v": FORMAT}
    )


_TYPE_AT: Final = len(b'{"k":"event","r":{"type":"')


def record_type(raw: bytes) -> str | None:
    """The event type of a stored record without decoding it (None for a party or anything odd).

    Why: a fold decodes only the records some projection handles; the writer above puts the
    kind and the type first, so both are read from the first bytes.
    """
    if not raw.startswith(b'{"k":"event","r":{"type":"'):
        return None
    end = raw.find(b'"', _TYPE_AT)
    return None if end < 0 else raw[_TYPE_AT:end].decode()


def record_hash(raw: bytes) -> str | None:
    """The content hash a stored record carries, without decoding it (None for anything odd).

    Why: stored postings are trusted only for the record they were derived from, and a fold
    reads millions of them. The writer above puts ``"h"`` right after the body, and a string
    inside the body cannot hold ``,"h":"`` unescaped, so its last occurrence is the hash.
    """
    at = raw.rfind(b',"h":"')
    if at < 0:
        return None
    start = at + 6
    end = raw.find(b'"', start)
    return None if end - start != 64 else raw[start:end].decode()


def decode_record(raw: bytes, position: int) -> Record:
    """One stored record; :class:`CorruptRecord` naming the position when it does not decode."""
    reason = unreadable_reason(raw)
    if reason is not None:
        raise CorruptRecord(position, reason)
    try:
        data = orjson.loads(raw)
        body = data["r"]
        value: Party | Event = party_from_dict(body) if data["k"] == "party" else from_dict(body)
        return Record(data["k"], value, data["h"], data["c"], position, data["t"])
    except CorruptRecord:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever was written there, it is not a record
        raise CorruptRecord(position, f"{type(exc).__name__}: {exc}") from None
