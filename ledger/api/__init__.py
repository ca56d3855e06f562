"""The public API: open a store, record histories, fold it and ask it questions — what the command
line, the demo, notebooks and plugin authors use instead of assembling store, engine and plugins.

May import every ``ledger`` layer below it and ``invariants``; must not import faces or ``plugins``.
"""

from __future__ import annotations

from ledger.api.facade import FoldFailed, Ledger, check_fold, default_store_url, open, periods
from ledger.api.listings import EventList, Listed, Register
from ledger.api.parties import resolve_party
from ledger.api.tables import Column, Table

__all__ = [
    "Column",
    "EventList",
    "FoldFailed",
    "Ledger",
    "Listed",
    "Register",
    "Table",
    "check_fold",
    "default_store_url",
    "open",
    "periods",
    "resolve_party",
]
