"""The projection engine: folds the store's effective history through the book and every
registered projection, with checkpoints and as-of cuts.

May import ``ledger.model``, ``ledger.book`` and ``ledger.store``; must not import plugins or faces.
"""

from __future__ import annotations

from ledger.engine.engine import Engine
from ledger.engine.projection import Projection, ProjectionProtocol
from ledger.engine.result import Failure, Registered, Result

__all__ = ["Engine", "Failure", "Projection", "ProjectionProtocol", "Registered", "Result"]
