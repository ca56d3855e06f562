"""Benchmark: load, validate + append (SQLite) and fold balances over a 100k-event history.

Prints events/s for each phase. Reference (eventsourcing 9.5.6 on this 2-core machine, from the
team's notes): decode ~80k events/s, append ~19k events/s in 1,000-event saves.

    .venv/bin/python benchmarks/bench_replay.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import COMPANIES, write
from ledger.engine import Engine
from ledger.histories.loader import load_file
from ledger.histories.recording import replay
from ledger.plugin.manager import make_plugin_manager
from ledger.store import Store


def main(n: int = 100_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "history.json", n)
        t0 = time.perf_counter()
        history = load_file(path)
        t1 = time.perf_counter()
        plugins = make_plugin_manager(
            load_entrypoints=False, builtins=[("balances", "plugins.balances.plugin")]
        )
        with Store(str(Path(tmp) / "bench.db")) as store:
            engine = Engine(store, plugins.projections())
            t2 = time.perf_counter()
            report = replay(engine, [history])
            t3 = time.perf_counter()
            assert report.new == n, report
            result = engine.run(use_checkpoint=False, save_checkpoint=False)
            t4 = time.perf_counter()
            from ledger.engine.gc_pause import no_cyclic_gc

            with no_cyclic_gc():
                read = sum(1 for _ in store.read())
            t5 = time.perf_counter()
            tracemalloc.start()
            engine.run(use_checkpoint=False, save_checkpoint=False)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert not result.problems and result.processed == n + COMPANIES
        print(f"events: {n:,}")
        print(f"load + check file (JSON): {n / (t1 - t0):>10,.0f} events/s  ({t1 - t0:.2f} s)")
        print(f"validate + append SQLite: {n / (t3 - t2):>10,.0f} events/s  ({t3 - t2:.2f} s)")
        print(f"read + decode from store: {read / (t5 - t4):>10,.0f} events/s  ({t5 - t4:.2f} s)")
        print(
            f"fold balances (read+book+projection): {n / (t4 - t3):>10,.0f} events/s  ({t4 - t3:.2f} s, peak traced memory of a fold {peak / 2**20:.0f} MiB, measured in a separate run)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
