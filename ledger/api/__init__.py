"""The public API: open a store, record histories, fold it and ask it questions — what the command
line, the demo, notebooks and plugin authors use instead of assembling store, engine and plugins.

May import every ``ledger`` layer below it and ``invariants``; must not import faces or ``plugins``.
"""

from __future__ import annotations

from ledger.api.facade import FoldFailed, Ledger, Listed, check_fold, default_store_url, open

__all__ = ["FoldFailed", "Ledger", "Listed", "check_fold", "default_store_url", "open"]
