"""Containers for projection states whose checkpointed part stays pickled until it is read.

Why: a catch-up loads the checkpoint and folds the few records appended since. Unpickling a
state of 100k rows (Decimals, dates, attrs records) costs far more than folding a thousand
entries on top of it, yet the fold only appends rows and touches a few records. So these keep
what came from a checkpoint as pickled bytes, decode it only when something reads it, and
write it back to the next checkpoint as the bytes it came as:

* :class:`LazyLog` — an append-only sequence (moves, flows, reports): ``append`` never decodes;
  reading it (iterating, ``len``, indexing, ``==``) decodes it once;
* :class:`LazyDict` — a mapping of records by id (commitments, claims): keys are plain, each
  value is decoded the first time it is read.

Both compare by value (a ``LazyLog`` equals the list of its items, a ``LazyDict`` the dict of
its items), so a state read from a checkpoint equals the state folded from scratch. A fold
that mutates a record must read it first (``d[key]``, ``d.get(key)``), which decodes it. Each
value of a ``LazyDict`` is pickled on its own, so values must not share mutable objects.
"""

from __future__ import annotations

import pickle
from collections.abc import (
    ItemsView,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    Sequence,
    ValuesView,
)
from typing import Any, TypeVar, overload

from ledger.engine.gc_pause import no_cyclic_gc

__all__ = ["LazyDict", "LazyLog"]

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

_PROTOCOL = pickle.HIGHEST_PROTOCOL
MAX_CHUNKS = 16
"""A log that came with this many chunks (one per checkpoint that added rows) is decoded and
written back as one chunk when next pickled, so reading one never takes more than 16 ``loads``."""


class LazyLog(Sequence[T]):
    """An append-only list whose checkpointed rows stay pickled until it is read."""

    __slots__ = ("_chunks", "_items")

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._chunks: list[bytes] = []  # pickled lists: the first rows, in order
        self._items: list[T] = list(items)  # the rows after them

    def append(self, item: T) -> None:
        self._items.append(item)

    def extend(self, items: Iterable[T]) -> None:
        self._items.extend(items)

    def _rows(self) -> list[T]:
        if self._chunks:
            rows: list[T] = []
            with no_cyclic_gc():
                for chunk in self._chunks:
                    rows += pickle.loads(chunk)
            rows += self._items
            self._items, self._chunks = rows, []
        return self._items

    def __len__(self) -> int:
        return len(self._rows())

    def __bool__(self) -> bool:
        return bool(self._chunks) or bool(self._items)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self._rows()[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self._rows())

    def __reversed__(self) -> Iterator[T]:
        return reversed(self._rows())

    def __contains__(self, item: object) -> bool:
        return item in self._rows()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyLog):
            return self._rows() == other._rows()
        if isinstance(other, list):
            return self._rows() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._rows()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        if len(self._chunks) >= MAX_CHUNKS:
            self._rows()
        chunks = list(self._chunks)
        if self._items:
            chunks.append(pickle.dumps(self._items, protocol=_PROTOCOL))
        return _log, (type(self), chunks)


def _log(cls: type[LazyLog[Any]], chunks: list[bytes]) -> LazyLog[Any]:
    log = cls()
    log._chunks = chunks
    return log


class LazyDict(MutableMapping[K, V]):
    """A dict (insertion-ordered) whose values from a checkpoint are decoded when first read."""

    __slots__ = ("_data", "_raw")

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._data: dict[K, Any] = dict(items)
        self._raw: set[K] = set()  # keys whose value is still pickled bytes

    def __getitem__(self, key: K) -> V:
        value = self._data[key]
        if self._raw and key in self._raw:
            value = self._data[key] = pickle.loads(value)
            self._raw.discard(key)
        return value  # type: ignore[no-any-return]

    def get(self, key: K, default: Any = None) -> Any:
        return self[key] if key in self._data else default

    def _decode_all(self) -> dict[K, V]:
        if self._raw:
            data, loads = self._data, pickle.loads
            with no_cyclic_gc():
                for key in self._raw:
                    data[key] = loads(data[key])
            self._raw = set()
        return self._data

    def values(self) -> ValuesView[V]:
        self._decode_all()
        return super().values()

    def items(self) -> ItemsView[K, V]:
        self._decode_all()
        return super().items()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyDict):
            return self._decode_all() == other._decode_all()
        if isinstance(other, Mapping):
            return self._decode_all() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __setitem__(self, key: K, value: V) -> None:
        self._data[key] = value
        if self._raw:
            self._raw.discard(key)

    def __delitem__(self, key: K) -> None:
        del self._data[key]
        self._raw.discard(key)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._decode_all()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        raw, dumps = self._raw, pickle.dumps
        values = [v if k in raw else dumps(v, protocol=_PROTOCOL) for k, v in self._data.items()]
        return _dict, (type(self), list(self._data), values)


def _dict(
    cls: type[LazyDict[Any, Any]], keys: list[Any], values: list[bytes]
) -> LazyDict[Any, Any]:
    mapping = cls()
    mapping._data = dict(zip(keys, values, strict=True))
    mapping._raw = set(keys)
    return mapping
