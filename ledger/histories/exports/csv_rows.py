"""Posting rows as CSV (``loopledger export --format csv``): one row per posting, for spreadsheets.

Columns: position, date, id, type, status, party, account, commodity, quantity (exact text),
confidence, source. Summing ``quantity`` per party, account and commodity gives ``loopledger
balances``. (To write events as an importable CSV history, use ``loopledger print -O csv``.)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from ledger.histories.exports.view import Journal
from ledger.model.amounts import format_decimal

SUFFIX = ".csv"
COLUMNS = (
    "position",
    "date",
    "id",
    "type",
    "status",
    "party",
    "account",
    "commodity",
    "quantity",
    "confidence",
    "source",
)


def render(journal: Journal, title: str | None = None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.removesuffix("\n")

    writer.writerow(COLUMNS)
    yield flush()
    for t, p in journal.postings():
        e = t.event
        writer.writerow(
            (
                t.position,
                e.date.isoformat(),
                e.id,
                e.TYPE,
                t.status,
                p.party,
                p.account,
                p.commodity,
                format_decimal(p.quantity),
                e.confidence,
                e.source or "",
            )
        )
        yield flush()
