"""Histories going out: the stored history as journals that hledger, ledger-cli and beancount
read, as posting rows for spreadsheets (CSV), and as JSON Lines that replay into a fresh store.

Every exporter reads the same :class:`~ledger.histories.exports.view.Journal` — the fold of the
store through the engine with each event's postings — so an export and ``loopledger balances``
agree by construction; the tests hold them to it with the real tools.
"""

from __future__ import annotations

from ledger.histories.exports.formats import FORMATS, export, write_export
from ledger.histories.exports.view import Journal, Transaction, read_journal

__all__ = ["FORMATS", "Journal", "Transaction", "export", "read_journal", "write_export"]
