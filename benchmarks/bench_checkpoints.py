"""Benchmark: full rebuild of every projection over 100k events vs catching up after 1,000 more.

The catch-up must cost a small fraction of the rebuild (target: at least 20× less), because it
reads only the records appended since the checkpoint.

    .venv/bin/python benchmarks/bench_checkpoints.py [N]
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import history, write

AFTER = dt.date(2026, 1, 1)  # the main history ends in 2025
from ledger.engine import Engine
from ledger.histories.loader import load_bytes, load_file
from ledger.histories.recording import replay
from ledger.plugin.manager import make_plugin_manager
from ledger.store import Store


def main(n: int = 100_000, more: int = 1_000) -> float:
    import orjson

    with tempfile.TemporaryDirectory() as tmp:
        plugins = make_plugin_manager(load_entrypoints=False)
        names = [r.projection.name for r in plugins.projections()]
        with Store(str(Path(tmp) / "bench.db")) as store:
            engine = Engine(store, plugins.projections())
            replay(engine, [load_file(write(Path(tmp) / "h.json", n))])
            t0 = time.perf_counter()
            full = engine.rebuild()
            t1 = time.perf_counter()
            extra = history(more, seed=11, start_index=n + 100, with_parties=False, start=AFTER)
            replay(
                Engine(store, []), [load_bytes(orjson.dumps(extra), "more.json", json_format=True)]
            )
            t2 = time.perf_counter()
            caught_up = engine.run()
            t3 = time.perf_counter()
        assert not full.failures and not caught_up.failures, (full.failures, caught_up.failures)
        assert caught_up.from_checkpoint and caught_up.processed == more
        rebuild_s, update_s = t1 - t0, t3 - t2
        print(f"projections: {', '.join(names)}")
        print(f"full rebuild over {n:,} events: {rebuild_s:.2f} s ({n / rebuild_s:,.0f} events/s)")
        print(f"bring up to date after {more:,} new events: {update_s:.3f} s")
        print(f"ratio: {rebuild_s / update_s:.1f}x smaller (target >= 20x)")
        return rebuild_s / update_s


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
