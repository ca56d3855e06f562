"""What every command needs: the store URL, the plugins, and an engine over both.

Commands from plugins receive this object through ``click.pass_obj``, so a plugin's command is
written exactly like a built-in one.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import attrs

from ledger.engine import Engine
from ledger.store import DEFAULT_STORE, Store

if TYPE_CHECKING:
    from ledger.plugin.manager import Plugins


def default_store_url() -> str:
    """``--store``, else ``LOOPLEDGER_STORE``, else ``./loopledger.db``."""
    return os.environ.get("LOOPLEDGER_STORE") or DEFAULT_STORE


@attrs.define
class Session:
    """Lazily opened store and engine for one CLI invocation."""

    store_url: str
    plugins: Plugins
    _store: Store | None = None
    may_create: bool = False
    """Whether opening may create a new SQLite file: only commands that record set it."""

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.store_url, create=self.may_create)
        return self._store

    def engine(self) -> Engine:
        """An engine running every registered projection."""
        return Engine(self.store, self.plugins.projections())

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
