"""Benchmark: the circular-flow audit over a 100k-event synthetic history (20 parties).

Replays the history into SQLite, folds it with the ``balances`` and ``audit.flows`` projections,
then times the audit: the pro-rata trace of every party's cash, the cycle search per layer, and
``audit()`` as ``loopledger audit`` runs it. The synthetic graph is complete (every party pays
every other), the worst case for cycle enumeration — a complete digraph on 20 nodes has
~5 million simple cycles of up to 6 parties — so cycles are timed at bounded lengths, and
``audit()`` both listing every cycle and at the CLI's defaults (the biggest 1,000, the rest
counted up to 100,000 a layer).

    .venv/bin/python benchmarks/bench_audit.py [N] [MAX_LENGTH]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import COMPANIES, write
from ledger.engine import Engine
from ledger.histories.loader import load_file
from ledger.histories.recording import replay
from ledger.plugin.manager import make_plugin_manager
from ledger.store import Store
from plugins.audit import flows
from plugins.audit.api import DEFAULT_MAX_CYCLES, DEFAULT_MAX_LENGTH, audit, trace_conservation
from plugins.audit.cycles import find_cycles
from plugins.audit.tracing import trace

T = TypeVar("T")


def timed(label: str, count: int, unit: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` once and print its wall time and throughput."""
    started = time.perf_counter()
    value = fn()
    took = time.perf_counter() - started
    print(f"{label:<58} {took:>8.2f} s {count / took:>12,.0f} {unit}/s")
    return value


def main(n: int = 100_000, max_length: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "history.json", n)
        history = load_file(path)
        plugins = make_plugin_manager(
            load_entrypoints=False,
            builtins=[("balances", "plugins.balances.plugin"), ("audit", "plugins.audit.plugin")],
        )
        with Store(str(Path(tmp) / "bench.db")) as store:
            engine = Engine(store, plugins.projections())
            t0 = time.perf_counter()
            report = replay(engine, [history])
            t1 = time.perf_counter()
            assert report.new == n, report
            result = engine.run(use_checkpoint=False, save_checkpoint=False)
            t2 = time.perf_counter()
            balances_only = [r for r in plugins.projections() if r.projection.name == "balances"]
            Engine(store, balances_only).run(use_checkpoint=False, save_checkpoint=False)
            t3 = time.perf_counter()
        assert not result.problems and not result.failures
        state = result.states[flows.NAME]
        moves = flows.moves(state)

        print(f"events: {n:,}   cash moves: {len(moves):,}   parties: {COMPANIES}")
        print(
            f"{'validate + append SQLite':<58} {t1 - t0:>8.2f} s {n / (t1 - t0):>12,.0f} events/s"
        )
        print(
            f"{'fold (read + book + balances + audit.flows)':<58} {t2 - t1:>8.2f} s {n / (t2 - t1):>12,.0f} events/s"
        )
        print(
            f"{'fold without audit.flows (read + book + balances)':<58} {t3 - t2:>8.2f} s {n / (t3 - t2):>12,.0f} events/s"
        )
        for rule in ("pro-rata", "fifo", "lifo"):
            timed(f"trace {rule} (all parties)", len(moves), "moves", partial(trace, moves, rule))
        for layer in flows.LAYERS:
            edges = flows.layer_edges(state, layer)
            for length in range(2, max_length + 1):
                found = timed(
                    f"cycles {layer:<9} max_length={length}",
                    len(edges),
                    "edges",
                    partial(find_cycles, edges, max_length=length),
                )
                print(f"{'':<10}→ {len(found):,} cycles")
        done = timed(
            f"audit(pro-rata, all layers, max_length={max_length}, every cycle)",
            n,
            "events",
            partial(audit, result, rule="pro-rata", max_length=max_length, max_cycles=None),
        )
        print(f"{'':<10}→ {len(done.cycles):,} cycles")
        capped = timed(
            f"audit(pro-rata, all layers, max_length={DEFAULT_MAX_LENGTH}, max_cycles={DEFAULT_MAX_CYCLES})",
            n,
            "events",
            partial(audit, result, rule="pro-rata"),
        )
        assert capped.search is not None
        print(f"{'':<10}→ {len(capped.cycles):,} cycles listed; {capped.search.note()}")
        timed(
            "trace conservation invariant (3 rules, budgeted checks)",
            len(moves),
            "moves",
            partial(trace_conservation, moves),
        )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 3,
    )
