"""What a fold gives back: the states, what went wrong, and what the store holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs

from ledger.book import Book, Entry
from ledger.engine.projection import ProjectionProtocol
from ledger.model.problems import Problem
from ledger.model.values import Party


@attrs.frozen
class Failure:
    """A projection that raised: who, on which event, and why."""

    plugin: str
    projection: str
    event_id: str | None
    position: int | None
    error: str
    traceback: str


@attrs.frozen
class Registered:
    """A projection with the plugin that registered it."""

    projection: ProjectionProtocol
    plugin: str


@attrs.define
class Result:
    """States after a run, with what went wrong and what the store holds."""

    as_of: dt.date | None
    position: int
    states: dict[str, Any]
    failures: list[Failure]
    problems: list[Problem]
    processed: int
    from_checkpoint: bool
    parties: dict[str, Party] = attrs.Factory(dict)
    max_date: dt.date | None = None
    """The date of the latest recorded event (whatever ``as_of`` is)."""
    reversed: dict[str, str] = attrs.Factory(dict)
    """``{target id: reversal id}`` in effect for this run."""
    entries: list[Entry] | None = None
    _book: Book | None = attrs.field(default=None, alias="book")
    _book_loader: Callable[[], Book] | None = attrs.field(default=None, alias="book_loader")

    def state(self, name: str) -> Any:
        """The state of projection ``name`` (KeyError if unknown or quarantined)."""
        return self.states[name]

    @property
    def book(self) -> Book:
        """The core book as of this run (folded on first use when the run did not need it)."""
        if self._book is None:
            assert self._book_loader is not None
            self._book = self._book_loader()
        return self._book
