"""loopledger: an event-sourced ledger for following and auditing circular financing.

Plugin authors need only ``hookimpl`` from here::

    from ledger import hookimpl

    @hookimpl
    def ledger_register_projections(register): ...
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("loopledger")
"""Marker for hook implementations (``@hookimpl``, ``@hookimpl(trylast=True)``)."""

__all__ = ["__version__", "hookimpl"]
