"""A bad event near the end of a large file is refused with file and line, and nothing is written.

Import streams a file in chunks into one transaction, so the last chunk is checked long after the
first ones were appended: the refusal must still roll every chunk back. The benchmark does this at
1M events (``make bench``: a bad date at position 999,999, with its peak memory); here 20,000
events in every format, into a store that already holds the bundled history, whose every table
must be byte-for-byte what it was.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from benchmarks.bench_cli import _break_second_last_date
from benchmarks.writers import write_history
from tests.conftest import EXAMPLE

N = 20_000


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("scale")
    paths = write_history(directory, N, formats=("yaml", "json", "jsonl")).paths
    return {fmt: paths[fmt] for fmt in ("yaml", "json", "jsonl")}


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return list(db.iterdump())


def _break_json(source: Path, target: Path) -> int:
    """The JSON document's last-but-one event with an impossible date; its line."""
    text = source.read_text(encoding="utf-8")
    at = text.rfind('"date":', 0, text.rfind('"date":'))
    assert at > 0
    start = text.index('"', at + len('"date":')) + 1
    target.write_text(text[:start] + "2025-13-45" + text[start + 10 :], encoding="utf-8")
    return text.count("\n", 0, at) + 1


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["jsonl", "yaml", "json"])
def test_a_bad_event_at_position_n_minus_1_leaves_the_store_unchanged(
    cli, store_path, tmp_path, written, fmt
):
    assert cli("replay", str(EXAMPLE)).code == 0
    assert cli("balances").code == 0  # checkpoints too: they must not move either
    before = _dump(store_path)
    bad = tmp_path / f"bad.{fmt}"
    if fmt == "json":
        line = _break_json(written[fmt], bad)
    else:
        line = _break_second_last_date(written[fmt], bad)
    ran = cli("replay", str(bad))
    assert ran.code == 2, ran.err
    located = [m for m in ran.err.splitlines() if f"bad.{fmt}:{line}" in m]
    assert len(located) == 1, ran.err  # one message, naming the file and line
    assert "date" in ran.err and "2025-13-45" in ran.err, ran.err
    assert "nothing was written" in ran.err.lower() or "nothing written" in ran.err.lower(), ran.err
    assert _dump(store_path) == before


def test_the_broken_copy_differs_only_in_that_date(tmp_path, written):
    """The helper breaks exactly one event, the last but one (else the test above proves less)."""
    bad = tmp_path / "bad.jsonl"
    line = _break_second_last_date(written["jsonl"], bad)
    old = written["jsonl"].read_text(encoding="utf-8").splitlines()
    new = bad.read_text(encoding="utf-8").splitlines()
    differ = [i + 1 for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    assert differ == [line] == [len(old) - 1]
    assert new[line - 1] == old[line - 1].replace("2025-12-31", "2025-13-45", 1)
