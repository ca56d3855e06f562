"""Old import paths of modules that moved into the layer folders, kept for one release.

Why an import hook instead of a shim file per old module: seven files at the top of ``ledger/``
would hide the layers the folders are there to show. ``import ledger.output`` (a path
docs/plugins.md gave plugin authors) still works; it returns the module at its new place and
warns once with :class:`DeprecationWarning` naming that place. Removed in loopledger 0.3.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Final

MOVED: Final = {
    "ledger.cli_support": "ledger.faces.options",
    "ledger.output": "ledger.faces.output",
    "ledger.projection": "ledger.engine.projection",
    "ledger.metrics": "ledger.plugin.figures",
    "ledger.reports": "ledger.plugin.reports",
    "ledger.hookspecs": "ledger.plugin.hookspecs",
    "ledger.plugin_manager": "ledger.plugin.manager",
    "ledger.gc_pause": "ledger.engine.gc_pause",
    "ledger.cli": "ledger.faces.cli",
    "ledger.values": "ledger.model.values",
    "ledger.events": "ledger.model.events",
    "ledger.errors": "ledger.model.problems",
    "ledger.loader": "ledger.histories.loader",
}
"""Old module path → where it lives now."""


class _MovedLoader(importlib.abc.Loader):
    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.new}; import it from there "
            "(the old path is removed in loopledger 0.3)",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module at its new place is already loaded."""


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _MovedLoader(new))


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
