"""An export never holds the history: its traced peak memory grows by far less per event than
the events and postings it writes would take.

Why a traced-memory comparison rather than a timing or an RSS figure: Python's allocation
tracing counts what the export itself keeps alive, deterministically, on any machine. What an
export must keep is one page of records and its declarations — a name per account and
commodity, which the synthetic history adds with its instruments (about 15,000 accounts at
24,000 events) — so the peak grows by about 400 bytes per event; an export that gathered its
transactions, or the fold's entries, grew by about 2,500 (measured on this branch before the
export streamed). The RSS figures at 10k and 100k events are ``benchmarks/bench_export.py``'s,
in docs/export.md.
"""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest

import ledger
from benchmarks.writers import write_history
from ledger.testing import plugin_manager


class Discard(io.TextIOBase):
    """A text stream that counts what is written and keeps none of it."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def store_of(folder: Path, n: int) -> str:
    written = write_history(folder, n, formats=["jsonl"])
    url = str(folder / "store.db")
    with ledger.open(url, plugins=plugin_manager()) as book:
        book.replay(written.paths["jsonl"])
    return url


def export_peak(url: str, fmt: str) -> tuple[int, int]:
    """(traced peak bytes, characters written) of exporting the store at ``url``."""
    with ledger.open(url, plugins=plugin_manager()) as book:
        out = Discard()
        book.store.head()  # opened before tracing: the connection is not the export's
        tracemalloc.start()
        try:
            journal = book.export(fmt, out)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert journal.transaction_count > 0 and out.chars > 0
    return peak, out.chars


SMALL, LARGE = 5_000, 15_000
"""Both beyond one page of the store's reads (5,000 records), so pages weigh the same in both."""

BYTES_PER_EVENT = 800
"""The most the peak may grow per added event (streaming: ~400; holding the history: ~2,500)."""


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    base = tmp_path_factory.mktemp("memory")
    return {n: store_of(base / str(n), n) for n in (SMALL, LARGE)}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["hledger", "jsonl"])
def test_the_peak_grows_by_far_less_per_event_than_the_history_would_take(stores, fmt):
    small, small_chars = export_peak(stores[SMALL], fmt)
    large, large_chars = export_peak(stores[LARGE], fmt)
    assert large_chars > 2.5 * small_chars  # the larger export did write three times as much
    per_event = (large - small) / (LARGE - SMALL)
    assert per_event < BYTES_PER_EVENT, (fmt, small, large, per_event)
