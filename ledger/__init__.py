"""loopledger: an event-sourced ledger for following and auditing circular financing.

Notebooks and scripts open a store here; plugin authors need only ``hookimpl``::

    import ledger

    with ledger.open("loopledger.db") as book:
        book.balances(party="openai")

    from ledger import hookimpl

    @hookimpl
    def ledger_register_projections(register): ...

The layers live in folders (see docs/architecture.md); :mod:`ledger.api` is the public surface
and :mod:`ledger.testing` the helpers for plugin authors' tests.
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("loopledger")
"""Marker for hook implementations (``@hookimpl``, ``@hookimpl(trylast=True)``)."""

from ledger import _moved
from ledger.api import Ledger, open

_moved.install()

__all__ = ["Ledger", "__version__", "hookimpl", "open"]
