"""The book: the pure fold that turns recorded events into balanced postings, with the rules
that need history (draws capped at what is outstanding, amendments, vesting, cashless exercise).

May import only ``ledger.model``; must not import the store, the engine, plugins or any face.
"""

from __future__ import annotations

from ledger.book.book import Book, fold, money_of, reversed_targets
from ledger.book.instruments import CommitmentState, GrantState, LoanState
from ledger.book.state import EXACT, ZERO, BookState, Entry, Known

__all__ = [
    "EXACT",
    "ZERO",
    "Book",
    "BookState",
    "CommitmentState",
    "Entry",
    "GrantState",
    "Known",
    "LoanState",
    "fold",
    "money_of",
    "reversed_targets",
]
