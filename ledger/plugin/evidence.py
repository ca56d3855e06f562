"""The event ids a figure rests on, kept in flat memory: the first ones listed, all of them counted.

Why a cap: a figure says which events it was computed from, so an auditor can recompute it —
but a supplier with a million sales would otherwise carry a million ids in every projection
state, every checkpoint and every figure. So states keep the first :data:`INPUTS_LISTED` ids of
each group (in the order the events were folded) and the exact count, and a figure lists the
first :data:`INPUTS_LISTED` of its merged inputs with ``inputs_total`` beside them.

Merging capped groups stays exact: when every group lists its own first N ids, the first N
distinct ids of the groups taken one after another are among the listed ones. The count is
exact too, because each group is counted once under a key that names it (the same group reached
twice is counted once), and groups with different keys share no event — where one group is
part of another (a draw on a commitment is also a cash movement), the figure counts only the
part that is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final

import attrs

INPUTS_LISTED: Final = 1_000
"""How many event ids a figure (or a state's group of ids) lists; the rest are only counted."""


@attrs.define
class EventIds:
    """The first :data:`INPUTS_LISTED` ids of a group of events, in folded order, and how many.

    ``last`` is the id added last (listed or not), so that an event reaching the group twice in a
    row is added once (:meth:`add_once`).
    """

    ids: list[str] = attrs.Factory(list)
    total: int = 0
    last: str | None = None

    def add(self, event_id: str) -> None:
        self.total += 1
        self.last = event_id
        if len(self.ids) < INPUTS_LISTED:
            self.ids.append(event_id)

    def add_once(self, event_id: str) -> bool:
        """Add ``event_id`` unless it was the last one added; whether it was added."""
        if self.last == event_id:
            return False
        self.add(event_id)
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def complete(self) -> bool:
        """Whether every id is listed."""
        return self.total == len(self.ids)

    def to_plain(self) -> list[Any]:
        """``[total, last, *ids]`` — text and integers only (``last`` is left out when listed)."""
        last = None if self.ids and self.last == self.ids[-1] else self.last
        return [self.total, last, *self.ids]

    @classmethod
    def from_plain(cls, data: list[Any]) -> EventIds:
        total, last, *ids = data
        if type(total) is not int or len(ids) > min(total, INPUTS_LISTED):
            raise ValueError("malformed event ids")
        if not all(type(i) is str for i in ids):
            raise ValueError("an event id must be text")
        return cls(ids, total, last if last is not None else (ids[-1] if ids else None))


class Tally:
    """A figure's inputs as they are merged: the first :data:`INPUTS_LISTED` distinct ids in
    the order given, and the exact count of distinct events (groups counted once per key)."""

    def __init__(self) -> None:
        self._listed: dict[str, None] = {}
        self._counted: dict[str, int] = {}

    def add(self, key: str, ids: Iterable[str], total: int) -> None:
        """Group ``key``: its listed ids (its first ones, in order) and how many events it has."""
        self.list(ids)
        self.count(key, total)

    def add_ids(self, ids: Iterable[str]) -> None:
        """Single events, each its own group (counted once however often it comes)."""
        for i in ids:
            self.add(f"event:{i}", (i,), 1)

    def list(self, ids: Iterable[str]) -> None:
        listed = self._listed
        for i in ids:
            if i in listed:
                continue
            if len(listed) >= INPUTS_LISTED:
                return
            listed[i] = None

    def count(self, key: str, total: int) -> None:
        self._counted.setdefault(key, total)

    def counts(self) -> dict[str, int]:
        """``{group key: events}`` as counted so far (for merging into another tally)."""
        return dict(self._counted)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._listed)

    @property
    def total(self) -> int:
        return sum(self._counted.values())


__all__ = ["INPUTS_LISTED", "EventIds", "Tally"]
