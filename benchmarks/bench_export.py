"""Benchmark: ``loopledger export`` in every format at growing history sizes, peak RSS and time.

Why: an export must not hold the history in memory (docs/export.md, "Memory"): its peak RSS
should stay about the same from 10k to 100k events. Each size is a synthetic history
(benchmarks/generate.py) replayed once into a SQLite store in a temporary folder; every export
then runs as a whole process under ``/usr/bin/time -v`` (wall, user+sys CPU, peak RSS), writing
its file beside the store. ``loopledger --version`` is measured too: the interpreter and imports
alone, the floor under every figure.

    .venv/bin/python benchmarks/bench_export.py [--sizes 10000,100000] [--formats hledger,csv]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import Run, measure
from benchmarks.writers import write_history

FORMATS = ("hledger", "ledger", "beancount", "csv", "jsonl")
TIMEOUT = 3_600.0


def loopledger() -> list[str]:
    """The ``loopledger`` command installed beside this interpreter (the venv's)."""
    return [str(Path(sys.executable).with_name("loopledger"))]


def _mb(kb: int | None) -> str:
    return "?" if kb is None else f"{kb / 1024:,.0f} MB"


def _row(label: str, run: Run, size: int | None = None) -> str:
    if not run.ok:
        return f"| {label} | {run.status} | | | |"
    shown = "" if size is None else f"{size / 2**20:,.1f} MB"
    return (
        f"| {label} | {run.wall or 0:.1f} s | {run.cpu or 0:.1f} s | {_mb(run.rss_kb)} | {shown} |"
    )


def bench(n: int, formats: list[str], folder: Path) -> list[str]:
    env = {**os.environ, "LOOPLEDGER_STORE": str(folder / "store.db")}
    written = write_history(folder, n, formats=["jsonl"])
    started = time.perf_counter()
    subprocess.run(
        [*loopledger(), "replay", str(written.paths["jsonl"])],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    print(f"{n:,} events replayed in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    lines = [
        f"### {n:,} events",
        "",
        "| command | wall | CPU | peak RSS | file |",
        "|---|---|---|---|---|",
    ]
    floor = measure([*loopledger(), "--version"], timeout=60, stdout=folder / "version.txt")
    lines.append(_row("`loopledger --version`", floor))
    for fmt in formats:
        out = folder / f"export.{fmt}"
        run = measure(
            [*loopledger(), "export", "--format", fmt, "--out", str(out)],
            timeout=TIMEOUT,
            stdout=folder / "stdout.txt",
            env=env,
        )
        lines.append(_row(f"`export --format {fmt}`", run, out.stat().st_size if run.ok else None))
        print(lines[-1], file=sys.stderr)
        out.unlink(missing_ok=True)
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated event counts")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated")
    args = parser.parse_args(argv)
    formats = [f for f in args.formats.split(",") if f]
    report: list[str] = []
    for n in (int(s) for s in args.sizes.split(",") if s):
        with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
            report += [*bench(n, formats, Path(tmp)), ""]
    print("\n".join(report))


if __name__ == "__main__":
    main()
