"""JSON Lines export (``loopledger export --format jsonl``): the stored history, replayable.

Line 1 is the header ``{"loopledger": 1, ...}``; then one record per line in recorded order —
a party as ``{"type": "party", "id": …, "name": …}``, an event as in a history file (exact
decimal strings, money with its currency). Replaying the file into a fresh store records the
same records in the same order, so every content hash and the chain are identical
(docs/format.md, "JSON Lines").
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from ledger.histories.exports.view import Journal
from ledger.model.codec import party_to_dict, to_dict
from ledger.model.values import Party

SUFFIX = ".jsonl"
FORMAT_VERSION = 1


def render(journal: Journal, title: str | None = None) -> Iterator[str]:
    header: dict[str, object] = {"loopledger": FORMAT_VERSION}
    if title:
        header["title"] = title
    yield orjson.dumps(header).decode()
    for record in journal.records():
        if isinstance(record, Party):
            yield orjson.dumps({"type": "party", **party_to_dict(record)}).decode()
        else:
            yield orjson.dumps(to_dict(record.event)).decode()
