"""What every exporter reads: the stored history in recorded order, each event with its postings.

Why one view: the journals, the posting rows and the JSON Lines all start from the same fold, so
they cannot disagree with each other or with ``loopledger balances``. Postings come from the
engine's fold of the effective history (a reversed event and its reversal post nothing, and are
exported as transactions without postings that say so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import attrs

from ledger.engine import Engine
from ledger.model.events import Event, Reversal
from ledger.model.postings import Posting
from ledger.model.problems import LedgerError
from ledger.model.values import Party


@attrs.frozen
class Transaction:
    """One recorded event as a transaction: where it was recorded, its status, its postings."""

    position: int
    event: Event
    status: str
    """``recorded``, ``reversed by <id>`` or ``reverses <id>``."""
    postings: tuple[Posting, ...]


@attrs.frozen
class Journal:
    """The stored history as of a date: parties and events in recorded order, with postings."""

    as_of: dt.date | None
    records: tuple[Party | Transaction, ...]
    """Parties and transactions interleaved exactly as they were recorded."""

    @property
    def parties(self) -> tuple[Party, ...]:
        return tuple(r for r in self.records if isinstance(r, Party))

    @property
    def transactions(self) -> tuple[Transaction, ...]:
        return tuple(r for r in self.records if isinstance(r, Transaction))

    def postings(self) -> Iterator[tuple[Transaction, Posting]]:
        """Every posting with the transaction it belongs to, in recorded order."""
        for t in self.transactions:
            for p in t.postings:
                yield t, p

    @property
    def first_date(self) -> dt.date | None:
        return min((t.event.date for t in self.transactions), default=None)


class ExportFailed(LedgerError):
    """The stored history does not fold, so no export could be trusted (exit 1)."""


def read_journal(
    engine: Engine,
    as_of: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> Journal:
    """Fold the store as of ``as_of`` and pair every recorded event with its postings."""
    result = engine.run(
        as_of=as_of,
        keep_entries=True,
        use_checkpoint=False,
        save_checkpoint=False,
        progress=progress,
    )
    if result.problems:
        raise ExportFailed(
            "the stored history does not fold cleanly ("
            + "; ".join(p.render() for p in result.problems[:3])
            + "); run 'loopledger verify'"
        )
    postings = {e.position: e.postings for e in result.entries or []}
    reversed_by = result.reversed
    records: list[Party | Transaction] = []
    for record in engine.store.read():
        value = record.value
        if isinstance(value, Party):
            records.append(value)
            continue
        if as_of is not None and value.date > as_of:
            continue
        if value.id in reversed_by:
            status = f"reversed by {reversed_by[value.id]}"
        elif isinstance(value, Reversal):
            status = f"reverses {value.of}"
        else:
            status = "recorded"
        records.append(
            Transaction(record.position, value, status, postings.get(record.position, ()))
        )
    return Journal(as_of, tuple(records))
