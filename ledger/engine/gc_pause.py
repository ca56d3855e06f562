"""One context manager: pause Python's cyclic garbage collector for a bulk build.

Why: a fold allocates millions of small acyclic objects while keeping a large live heap (the
book), and unpickling a checkpoint makes every object a new survivor; generation-2 collections
then rescan that growing heap again and again for nothing (at 100k events, two thirds of a
checkpoint catch-up). Reference counting still frees everything; the collector is restored
afterwards, even on error.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["no_cyclic_gc"]


@contextlib.contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block; restore its previous state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
