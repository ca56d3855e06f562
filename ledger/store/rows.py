"""The rows a fold reads and the derived bytes a store keeps beside its records: the postings
stored with each event and the checkpoints, each signed with this user's key
(:mod:`ledger.store.derived`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

import orjson

from ledger.model.postings import Posting
from ledger.store import derived
from ledger.store.records import Record

if TYPE_CHECKING:
    from ledger.store.store import Store


class Stored(NamedTuple):
    """One stored row as a fold reads it: the record's bytes and, for events, its postings."""

    position: int
    raw: bytes
    postings: tuple[Posting, ...] | None
    """The postings recorded with the event and signed with this user's key; None when absent
    or not signed by this user (then the book must derive them)."""


class StoredRecords(Sequence[Record]):
    """Records ``after < position <= upto`` as a sequence read from the store on demand.

    Why: observers of an append receive "the records just appended" — a million of them after a
    bulk import, which must not all be decoded into memory at once.
    """

    def __init__(self, store: Store, after: int, upto: int) -> None:
        self.store, self.after, self.upto = store, after, upto

    def __len__(self) -> int:
        return self.upto - self.after

    def __iter__(self) -> Iterator[Record]:
        return self.store.read(after=self.after, upto=self.upto)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        position = self.after + index + 1
        return next(iter(self.store.read(after=position - 1, upto=position)))


class SavedState(NamedTuple):
    """A checkpoint as loaded: where it stands, which version made it, and its plain data."""

    position: int
    chain: str
    version: str
    data: Any


def encode_postings(postings: Sequence[Posting]) -> bytes:
    return orjson.dumps([(p.party, p.account, p.commodity, f"{p.quantity:f}") for p in postings])


def decode_postings(body: bytes) -> tuple[Posting, ...]:
    return tuple(Posting(p, a, c, Decimal(q)) for p, a, c, q in orjson.loads(body))


PostingsRow: TypeAlias = tuple[int, str, Sequence[Posting]]
"""``(position, content hash of the record there, its postings)``: what the postings table stores."""


def postings_mac(
    position: int, content_hash: str, body: bytes, signer: derived.Signer | None = None
) -> bytes:
    """The MAC of stored postings binds them to the record they were derived from (its position
    and content hash): postings kept from before a record was rewritten are never used for it."""
    return (signer or derived.signer()).mac(
        b"postings", position.to_bytes(8, "big"), content_hash.encode(), body
    )


def state_mac(name: str, position: int, chain: str, version: str, body: bytes) -> bytes:
    return derived.mac(*state_parts(name, position, chain, version, body))


def state_parts(
    name: str, position: int, chain: str, version: str, body: bytes
) -> tuple[bytes, ...]:
    return (
        b"state",
        name.encode(),
        position.to_bytes(8, "big"),
        chain.encode(),
        version.encode(),
        bytes(body),
    )
