"""What every exporter reads: the stored history in recorded order, each event with its postings.

Why one view: the journals, the posting rows and the JSON Lines all start from the same fold, so
they cannot disagree with each other or with ``loopledger balances``. Postings are those of the
effective history (a reversed event and its reversal post nothing, and are exported as
transactions without postings that say so).

Why two passes over the store, never the history in memory: a journal declares its accounts and
commodities before its first transaction, so :func:`read_journal` first reads the store page by
page keeping only those declarations (a few names per party), the parties and counts; each
:meth:`Journal.records` is then a fresh paged read that yields one transaction at a time, so an
export's memory stays flat however long the history is. Postings come from the store where every
event's postings are stored and signed for it and the export covers the whole history (what the
engine's fold trusts for ``balances``); otherwise — an export as of an earlier date, or postings
missing — both passes fold through the book, which holds the book's state, not the events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import attrs

from ledger.book import Book
from ledger.engine import Engine
from ledger.engine.facts import Facts, load_facts
from ledger.model.events import Event, Price, Reversal
from ledger.model.postings import Posting
from ledger.model.problems import LedgerError, Problem
from ledger.model.values import Party, shares
from ledger.store.records import decode_record


@attrs.frozen
class Transaction:
    """One recorded event as a transaction: where it was recorded, its status, its postings."""

    position: int
    event: Event
    status: str
    """``recorded``, ``reversed by <id>`` or ``reverses <id>``."""
    postings: tuple[Posting, ...]


class ExportFailed(LedgerError):
    """The stored history does not fold, so no export could be trusted (exit 1)."""


class _MissingPostings(Exception):
    """An event has no stored postings signed for it: the book must derive them."""


@attrs.define
class Journal:
    """The stored history as of a date: what a journal declares, and its records on demand.

    ``parties``, ``accounts``, ``commodities``, ``first_date`` and the counts come from the
    first pass; :meth:`records` (and :meth:`transactions`, :meth:`postings`) read the store
    again each time they are called, in recorded order, one page at a time.
    """

    engine: Engine
    as_of: dt.date | None
    head: int
    """The store's last position when the export began: both passes stop there, so a record
    appended meanwhile is in neither."""
    reversed_by: dict[str, str]
    """``{target id: reversal id}`` of the reversals dated on or before ``as_of``."""
    from_store: bool
    """Postings read as stored (True) or derived through the book (False)."""
    parties: tuple[Party, ...] = ()
    accounts: frozenset[tuple[str, str]] = frozenset()
    """Every (party, account) a posting of the export names."""
    commodities: frozenset[str] = frozenset()
    """Every commodity posted, and every share and currency a per-share price names."""
    first_date: dt.date | None = None
    transaction_count: int = 0
    posting_count: int = 0
    progress: Callable[[int], None] | None = None
    """Told the records read so far, over both passes (2 × the store's records in all)."""
    _read: int = 0

    def records(self) -> Iterator[Party | Transaction]:
        """Parties and transactions interleaved exactly as they were recorded (a new pass)."""
        try:
            yield from _records(self)
        except _MissingPostings:  # only if a fold changed the stored postings since pass one
            raise ExportFailed(
                "the store's postings changed during the export; run it again"
            ) from None

    def transactions(self) -> Iterator[Transaction]:
        return (r for r in self.records() if isinstance(r, Transaction))

    def postings(self) -> Iterator[tuple[Transaction, Posting]]:
        """Every posting with the transaction it belongs to, in recorded order."""
        for t in self.transactions():
            for p in t.postings:
                yield t, p

    def _tick(self) -> None:
        self._read += 1
        if self.progress is not None and self._read % 10_000 == 0:
            self.progress(self._read)


def _status(journal: Journal, event: Event) -> str:
    if event.id in journal.reversed_by:
        return f"reversed by {journal.reversed_by[event.id]}"
    if isinstance(event, Reversal):
        return f"reverses {event.of}"
    return "recorded"


def _records(journal: Journal) -> Iterator[Party | Transaction]:
    store, as_of = journal.engine.store, journal.as_of
    if journal.from_store:
        for stored in store.read_stored(upto=journal.head):
            journal._tick()
            value = decode_record(stored.raw, stored.position).value
            if isinstance(value, Party):
                yield value
                continue
            status = _status(journal, value)
            if status != "recorded" or isinstance(value, Reversal):
                yield Transaction(stored.position, value, status, ())
                continue
            if stored.postings is None:
                raise _MissingPostings(stored.position)
            yield Transaction(stored.position, value, status, stored.postings)
        return
    book = Book(journal.reversed_by, validate=False)
    problems: list[Problem] = []
    for position, raw in store.read_raw(upto=journal.head):
        journal._tick()
        record = decode_record(raw, position)
        value = record.value
        if isinstance(value, Party):
            problems += book.declare(value)
            yield value
            continue
        if book.max_date is None or value.date > book.max_date:
            book.max_date = value.date
        if as_of is not None and value.date > as_of:
            continue
        postings, found = book.apply(value, position, record.content_hash)
        if found:
            problems += [p.at(position=position) for p in found]
            continue
        status = _status(journal, value)
        if status != "recorded" or isinstance(value, Reversal):
            postings = ()
        yield Transaction(position, value, status, postings)
    if problems:
        raise ExportFailed(
            "the stored history does not fold cleanly ("
            + "; ".join(p.render() for p in problems[:3])
            + "); run 'loopledger verify'"
        )


def _reversed_by(facts: Facts, as_of: dt.date | None) -> dict[str, str]:
    return {t: r for t, r, day in facts.reversals_with_dates() if as_of is None or day <= as_of}


def read_journal(
    engine: Engine,
    as_of: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> Journal:
    """The first pass over the store as of ``as_of``: what the export declares and counts.

    Raises :class:`ExportFailed` before anything is written when the history does not fold.
    """
    head, chain = engine.store.head()
    facts = load_facts(engine.store, head, chain)
    whole = as_of is None or facts.max_date is None or as_of >= facts.max_date
    reversed_by = _reversed_by(facts, as_of)
    for from_store in (True, False) if whole else (False,):
        journal = Journal(engine, as_of, head, reversed_by, from_store, progress=progress)
        try:
            _declare(journal)
        except _MissingPostings:
            journal.progress = None
            continue
        return journal
    raise AssertionError("the book pass never asks for stored postings")


def _declare(journal: Journal) -> None:
    parties: list[Party] = []
    accounts: set[tuple[str, str]] = set()
    commodities: set[str] = set()
    first: dt.date | None = None
    transactions = postings = 0
    for record in _records(journal):
        if isinstance(record, Party):
            parties.append(record)
            continue
        transactions += 1
        event = record.event
        first = event.date if first is None or event.date < first else first
        for p in record.postings:
            postings += 1
            accounts.add((p.party, p.account))
            commodities.add(p.commodity)
        if isinstance(event, Price) and event.per_share is not None:
            commodities.add(shares(event.party))
            commodities.add(event.per_share.currency)
    journal.parties = tuple(parties)
    journal.accounts = frozenset(accounts)
    journal.commodities = frozenset(commodities)
    journal.first_date = first
    journal.transaction_count = transactions
    journal.posting_count = postings
