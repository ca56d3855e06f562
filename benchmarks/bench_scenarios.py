"""Benchmark: the bundled scenarios on the bundled history, against the demo's budget (< 2 s each).

Replays the bundled history into a SQLite store in a temporary folder, then times each bundled
scenario (ledger/examples/scenarios/*.yaml) as ``loopledger scenario run`` runs it — read the
base, apply the changes, replay both sides into memory, read every figure at every period and
compare — in this process (best of ``REPEAT``: wall and CPU seconds), and once as a fresh
``loopledger`` process (wall and CPU, which include starting Python and loading every plugin).
CPU time is printed beside wall time because a shared machine's load stretches the wall clock,
not the work. Then one sweep: the AMD warrant against AMD's price at the end of 2027, 23 points.

    .venv/bin/python benchmarks/bench_scenarios.py [REPEAT]
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ledger
from ledger.plugin.manager import make_plugin_manager
from plugins.demo.plugin import bundled_example
from plugins.scenarios.api import load_scenario, parse_vary, run_scenarios, sweep

EXAMPLES = ROOT / "ledger" / "examples"
BUDGET_S = 2.0


def main(repeat: int = 3) -> None:
    scenarios = sorted((EXAMPLES / "scenarios").glob("*.yaml"))
    plugins = make_plugin_manager(load_entrypoints=False, config={})
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "bundled.db")
        with ledger.open(store, plugins=plugins, create=True) as book, bundled_example() as history:
            report = book.replay(history)
            print(f"bundled history: {history.name}, {report.new} events in {store}")
        print(
            f"{'scenario':<18} {'differ':>6} {'in process: wall':>17} {'cpu':>6} "
            f"{'CLI: wall':>10} {'cpu':>6}  budget < {BUDGET_S:.0f} s"
        )
        for path in scenarios:
            times = []
            for _ in range(repeat):
                with ledger.open(store, plugins=plugins) as book:
                    started, cpu = time.perf_counter(), time.process_time()
                    outcome = run_scenarios(book, [path])
                    times.append((time.perf_counter() - started, time.process_time() - cpu))
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            loopledger = str(Path(sys.executable).parent / "loopledger")
            args = [loopledger, "--store", store, "scenario", "run", str(path), "--json"]
            subprocess.run(args, check=True, capture_output=True, cwd=tmp)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            child = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            best_wall, best_cpu = min(times)
            verdict = "ok" if best_cpu < BUDGET_S else "OVER"
            differ = len(outcome.outcomes[0].differences)
            print(
                f"{path.stem:<18} {differ:>6} {best_wall:>16.2f}s {best_cpu:>5.2f}s "
                f"{wall:>9.2f}s {child:>5.2f}s  {verdict}"
            )
        amd = EXAMPLES / "scenarios" / "amd-600-6gw.yaml"
        with ledger.open(store, plugins=plugins) as book:
            started, cpu = time.perf_counter(), time.process_time()
            result = sweep(
                book,
                load_scenario(amd),
                parse_vary("to=150:700:25"),
                ["value/openai/warrant/a05-amd-openai-warrant"],
            )
            took, used = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"sweep amd-600-6gw to=150:700:25: {len(result.points)} points in {took:.2f} s "
            f"wall, {used:.2f} s cpu"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
