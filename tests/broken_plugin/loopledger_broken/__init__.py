"""A plugin that cannot be imported: it needs a package that is not installed.

loopledger must warn naming the plugin and carry on without it (or stop, under
LOOPLEDGER_STRICT_PLUGINS=1).
"""

from __future__ import annotations

raise ImportError(
    "loopledger_broken needs the 'loopledger-quantum-pricing' package, which is not installed"
)
