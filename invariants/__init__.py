"""Pure predicates over deal histories and projection states, shared by tests, ``verify`` and plugin authors.

Each invariant takes a :class:`Context` (or plain events) and returns a list of
:class:`Violation` — empty when the law holds. Register extra ones with the
``ledger_register_invariants`` hook.
"""

from __future__ import annotations

from invariants.violation import Context, Violation

__all__ = ["Context", "Violation"]
