"""What a projection is: a named, pure fold over recorded entries.

A projection never sees a reversed event nor the reversal that cancels it: the engine hands it
the *effective history* (see :mod:`ledger.book`), so plugin authors never write undo logic.

``apply`` may update the state it is given in place and return it, provided ``initial()``
returns a fresh state on every call: the engine never reuses an old state, and that keeps folds
over millions of entries fast.

Checkpoints keep states as plain data (:mod:`ledger.model.plain`: dicts, lists, tuples, sets,
text, integers, ``Decimal``, dates — never pickles). A state made of those needs nothing more;
another state gives ``encode`` (state → plain data) and ``decode`` (the reverse). A state that
cannot be encoded is folded again each time instead of being checkpointed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import attrs

from ledger.book import Entry

S = TypeVar("S")


@runtime_checkable
class ProjectionProtocol(Protocol):
    """The duck type the engine accepts (a :class:`Projection` is the easy way to make one)."""

    name: str
    handles: frozenset[str] | None
    version: str

    def initial(self) -> Any: ...

    def apply(self, state: Any, entry: Entry) -> Any: ...


def _handles(types: Iterable[str] | None) -> frozenset[str] | None:
    return None if types is None else frozenset(types)


@attrs.frozen
class Projection(Generic[S]):
    """A projection from plain functions.

    :param name: unique name, namespaced by plugin (``"myplugin.exposure"``).
    :param initial: returns a fresh initial state.
    :param apply: ``(state, entry) -> state``.
    :param handles: event types to receive (``None`` = all); others are skipped cheaply.
    :param version: bump when the fold changes, so stored checkpoints are discarded.
    :param describe: turns a state into JSON-able data for ``loopledger project NAME --json``.
    :param eager: fold it while a replay records (its checkpoint then stands at the new head,
        so the first query after an import answers at once) — for projections that cost little
        per entry, such as balances.
    :param encode: state → plain data for its checkpoint (default: the state itself).
    :param decode: plain data → state (default: the data itself).
    """

    name: str
    initial: Callable[[], S]
    apply: Callable[[S, Entry], S]
    handles: frozenset[str] | None = attrs.field(default=None, converter=_handles)
    version: str = "1"
    describe: Callable[[S], Any] | None = None
    eager: bool = False
    encode: Callable[[S], Any] | None = None
    decode: Callable[[Any], S] | None = None
