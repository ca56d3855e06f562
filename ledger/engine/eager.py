"""Projections folded while a replay appends, so the first query after an import answers at once.

A projection marked ``eager`` (the built-in ``balances``: a few additions per entry) is fed each
new entry by the replay that records it, and its checkpoint is written in the same transaction as
the records. That happens only when the projection's checkpoint stands at the head the replay
starts from (or the store is empty): otherwise the next query folds it from the stored postings
as usual.
"""

from __future__ import annotations

from typing import Any

from ledger.book import Entry
from ledger.model.events import Event
from ledger.model.postings import Posting


class EagerFolds:
    """The eager projections of an engine, brought along with one append."""

    def __init__(self, engine: Any, head: int, chain: str, *, enabled: bool = True) -> None:
        self.engine = engine
        self.folds: list[tuple[Any, Any]] = []
        for registered in engine.projections if enabled else ():
            if not getattr(registered.projection, "eager", False):
                continue
            if head == 0:
                self.folds.append((registered, registered.projection.initial()))
                continue
            loaded = engine.load_checkpoint(registered, head, chain)
            if loaded is not None and loaded[0] == head:
                self.folds.append((registered, loaded[1]))

    def feed(self, position: int, event: Event, postings: tuple[Posting, ...]) -> None:
        entry = Entry(position, event, postings)
        kept = []
        for registered, state in self.folds:
            handles = registered.projection.handles
            if handles is None or event.TYPE in handles:
                try:
                    state = registered.projection.apply(state, entry)
                except Exception:  # noqa: BLE001, S112 - a failing projection is folded (and reported) later
                    continue
            kept.append((registered, state))
        self.folds = kept

    def save(self, appender: Any, position: int, chain: str) -> None:
        for registered, state in self.folds:
            self.engine.save_checkpoint(registered, state, position, chain, appender)
