"""``ledger.engine.lazy``: checkpointed parts of a state stay pickled until read, and nothing shows it."""

from __future__ import annotations

import copy
import pickle
from decimal import Decimal

from ledger.engine import lazy
from ledger.engine.lazy import LazyDict, LazyLog


def _round_trip(value):
    return pickle.loads(pickle.dumps(value, protocol=5))


def test_log_appends_without_decoding_and_reads_in_order():
    log = LazyLog([("a", Decimal("1.10"))])
    loaded = _round_trip(log)
    assert loaded._chunks and loaded._items == []
    loaded.append(("b", Decimal(2)))
    assert len(loaded._chunks) == 1  # appending left the checkpointed rows pickled
    again = _round_trip(loaded)
    assert len(again._chunks) == 2  # and the next checkpoint writes only the new rows
    assert bool(again)
    assert again == [("a", Decimal("1.10")), ("b", Decimal(2))]
    assert [("a", Decimal("1.10")), ("b", Decimal(2))] == again
    assert again == LazyLog([("a", Decimal("1.10")), ("b", Decimal(2))])
    assert again[-1] == ("b", Decimal(2)) and again[:1] == [("a", Decimal("1.10"))]
    assert len(again) == 2 and next(reversed(again)) == ("b", Decimal(2))
    assert again != [("a", Decimal("1.10"))]
    assert not LazyLog() and LazyLog() == []


def test_log_chunks_are_compacted():
    log: LazyLog[int] = LazyLog()
    for i in range(lazy.MAX_CHUNKS + 3):
        log.append(i)
        log = _round_trip(log)
        assert len(log._chunks) <= lazy.MAX_CHUNKS
    assert log == list(range(lazy.MAX_CHUNKS + 3))


def test_dict_decodes_only_the_values_read():
    d = LazyDict({"x": [1], "y": [2]})
    loaded = _round_trip(d)
    assert loaded._raw == {"x", "y"}
    loaded["x"].append(10)  # a fold mutates what it reads
    assert loaded._raw == {"y"}
    loaded["z"] = [3]
    assert loaded.get("missing") is None and "y" in loaded
    again = _round_trip(loaded)
    assert list(again) == ["x", "y", "z"]  # insertion order kept
    assert again == {"x": [1, 10], "y": [2], "z": [3]}
    assert {"x": [1, 10], "y": [2], "z": [3]} == again
    assert again == LazyDict({"x": [1, 10], "y": [2], "z": [3]})
    assert again != {"x": [1], "y": [2], "z": [3]}
    del again["y"]
    assert dict(again.items()) == {"x": [1, 10], "z": [3]}
    assert again.setdefault("w", [4]) == [4] and len(again) == 3


def test_copies_are_independent():
    d = _round_trip(LazyDict({"x": [1]}))
    log = _round_trip(LazyLog([1]))
    d2, log2 = copy.deepcopy(d), copy.deepcopy(log)
    d2["x"].append(2)
    log2.append(2)
    assert d == {"x": [1]} and log == [1]
    assert d2 == {"x": [1, 2]} and log2 == [1, 2]
