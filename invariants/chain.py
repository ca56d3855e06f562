"""Tamper evidence: recompute the hash chain of the stored records.

link_0 = GENESIS; link_i = SHA-256(link_{i−1} ":" content_hash_i) and content_hash_i =
SHA-256(canonical(record_i)). A record whose content was edited fails its content hash; one
whose hash was recomputed too breaks the next link; a deleted record leaves a gap in positions
and breaks the link after it. A balanced but altered event passes every accounting invariant,
so only this chain can reveal it.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from invariants.violation import Violation
from ledger.model.codec import GENESIS, chain_hash, content_hash, from_dict, party_from_dict
from ledger.model.events import Event
from ledger.model.problems import unreadable_reason
from ledger.model.values import Party


def chain_violations(raw_records: Iterable[tuple[int, bytes]]) -> list[Violation]:
    """Every record's content hash and chain link, recomputed; the first break of each kind is named."""
    found: list[Violation] = []
    previous = GENESIS
    expected_position = 1
    for position, raw in raw_records:
        reason = unreadable_reason(raw)
        if reason is not None:
            found.append(Violation("hash-chain", f"record #{position} cannot be read: {reason}"))
            return found
        try:
            data = orjson.loads(raw)
            body = data["r"]
            record: Event | Party = (
                party_from_dict(body) if data["k"] == "party" else from_dict(body)
            )
        except Exception as exc:  # noqa: BLE001 - any undecodable record is a violation, not a crash
            found.append(
                Violation(
                    "hash-chain",
                    f"record #{position} cannot be decoded: {type(exc).__name__}: {exc}",
                )
            )
            return found
        label = f"{'party' if isinstance(record, Party) else 'event'} '{record.id}' (#{position})"
        if position != expected_position:
            found.append(
                Violation(
                    "hash-chain",
                    f"records #{expected_position}–#{position - 1} are missing before {label}: deleted from the store",
                    (record.id,),
                )
            )
        digest = content_hash(record)
        if digest != data["h"]:
            amounts = {
                k: v
                for k, v in body.items()
                if isinstance(v, str) and v[:1].isdigit() and k != "date"
            }
            found.append(
                Violation(
                    "hash-chain",
                    f"{label} was altered after it was recorded: its content no longer matches its SHA-256 (content now: {', '.join(f'{k}={v}' for k, v in sorted(amounts.items())) or 'see record'})",
                    (record.id,),
                )
            )
        link = chain_hash(previous, data["h"], data.get("t") if data.get("v") == 2 else None)
        if link != data["c"]:
            found.append(
                Violation(
                    "hash-chain",
                    f"broken link at {label}: the chain does not lead to it from the record before (edited, inserted or a predecessor deleted)",
                    (record.id,),
                )
            )
        previous = data["c"]
        expected_position = position + 1
        if len(found) >= 20:
            break
    return found
