"""The user's path, timed: loopledger's commands as whole processes, against ledger-cli and hledger.

For each size the harness generates one synthetic history (``benchmarks/generate.py``: YAML,
JSON, JSON Lines and the same cash flows as a ledger-cli/hledger journal), then times with
``/usr/bin/time -v`` what a user runs: ``replay`` of each file into a fresh store, the first
``balances`` after the import, ``balances`` again, ``audit``, ``metrics --by quarter``,
``verify`` and ``report``. Every loopledger run is paired with ``ledger -f F balance`` and
``hledger -f F balance`` on the same history, interleaved A B A B, so that the ratios come from
the same minutes of a shared machine; the table quotes the median of the pairs. The floor —
sqlite3 + orjson reading the store's rows and folding cash in Decimal (``benchmarks/floor.py``)
— is timed the same way. The same loopledger commands then run once against a throwaway
PostgreSQL server (``tests/support/pgserver.py``).

A command that fails, times out or exceeds the memory cap is reported as FAILED(exit N),
TIMEOUT or MemoryError with its stderr tail; the harness goes on. Results are printed as a
Markdown table (and written with ``--out results.md`` / ``--out results.json``) with the
machine named. Missing ``ledger``/``hledger``/PostgreSQL are installed with apt when run as
root (or with ``sudo -n``), unless ``--no-install``.

    .venv/bin/python benchmarks/bench_cli.py --sizes 100000,1000000 --out bench.md --out bench.json
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import orjson

from benchmarks.timing import Run, measure
from benchmarks.writers import Written, write_history


@dataclass(frozen=True)
class Command:
    """A loopledger command line (after ``--store URL``); ``{yaml}`` etc. name the files."""

    name: str
    args: tuple[str, ...]
    kind: str  # "replay" (fresh store) | "first" (store as imported) | "query"
    fmt: str | None = None

    def label(self) -> str:
        shown = " ".join(self.args).replace("{report}", "OUT")
        for fmt in ("yaml", "json", "jsonl"):
            shown = shown.replace(f"{{{fmt}}}", f"hist.{fmt}")
        if self.name == "balances-first":
            return "loopledger balances (first, after import)"
        if self.name == "balances":
            return "loopledger balances (again)"
        if self.name == "balances-json":
            return "loopledger balances --json (again)"
        return f"loopledger {shown}"


COMMANDS = (
    Command("replay-yaml", ("replay", "{yaml}"), "replay", "yaml"),
    Command("replay-json", ("replay", "{json}"), "replay", "json"),
    Command("replay-jsonl", ("replay", "{jsonl}"), "replay", "jsonl"),
    Command("balances-first", ("balances",), "first"),
    Command("balances", ("balances",), "query"),
    Command("balances-json", ("balances", "--json"), "query"),
    Command("audit", ("audit",), "query"),
    Command("metrics", ("metrics", "--by", "quarter"), "query"),
    Command("verify", ("verify",), "query"),
    Command("report", ("report", "--out", "{report}"), "query"),
)
FLOOR = "floor"
BAD_INPUT = "bad-input"
NAMES = [c.name for c in COMMANDS] + [FLOOR, BAD_INPUT]
STORE_PREFERENCE = ("jsonl", "json", "yaml")
"""Which replayed store the later commands use: the first of these that replayed."""


# --- the machine ----------------------------------------------------------------------------------


def _first_line(argv: list[str]) -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else None


def _meminfo_bytes() -> int:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def machine(loopledger: list[str]) -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    pg = None
    with contextlib.suppress(Exception):
        from tests.support.pgserver import find_pg_bindir

        bindir = find_pg_bindir()
        if bindir is not None:
            pg = _first_line([str(bindir / "postgres"), "--version"])
    commit = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(_meminfo_bytes() / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "ledger": _first_line(["ledger", "--version"]),
        "hledger": _first_line(["hledger", "--version"]),
        "postgresql": pg,
        "loopledger": _first_line([*loopledger, "--version"]),
        "git": commit,
        "load_average": os.getloadavg()[0],
    }


def ensure_tools(*, postgres: bool, install: bool) -> list[str]:
    """Install what is missing with apt (root, or ``sudo -n``); return notes on what is still missing."""
    missing = [t for t in ("ledger", "hledger") if shutil.which(t) is None]
    if postgres:
        from tests.support.pgserver import find_pg_bindir

        if find_pg_bindir() is None:
            missing.append("postgresql")
    if missing and install:
        prefix = [] if os.geteuid() == 0 else ["sudo", "-n"] if shutil.which("sudo") else None
        if prefix is None:
            return [f"not installed (run as root or install by hand): {', '.join(missing)}"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        print(f"installing with apt: {' '.join(missing)}", file=sys.stderr)
        for argv in (
            [*prefix, "apt-get", "update"],
            [*prefix, "apt-get", "install", "-y", *missing],
        ):
            done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, check=False)
            if done.returncode != 0:
                return [f"apt-get failed ({' '.join(argv)}): still missing {', '.join(missing)}"]
        return ensure_tools(postgres=postgres, install=False)
    return [f"missing: {', '.join(missing)}"] if missing else []


# --- stores ---------------------------------------------------------------------------------------


class SqliteStores:
    """SQLite files in the size's work directory; the imported store is copied for each first run."""

    name = "SQLite"
    repeats = True

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pristine: str | None = None
        self.count = 0

    @staticmethod
    def _files(url: str) -> list[Path]:
        path = Path(url)
        return [
            p
            for p in path.parent.glob(path.name + "*")
            if p.name == path.name or p.name[len(path.name)] == "-"
        ]

    def fresh(self, tag: str) -> str:
        self.count += 1
        url = str(self.directory / f"{tag}-{self.count}.db")
        self.drop(url)
        return url

    def drop(self, url: str) -> None:
        for p in self._files(url):
            p.unlink()

    def records(self, url: str) -> int:
        """How many records the store holds (0 when the file was never made)."""
        if not Path(url).exists():
            return 0
        with contextlib.closing(sqlite3.connect(url)) as db:
            try:
                return int(db.execute("SELECT count(*) FROM loopledger_ids").fetchone()[0])
            except sqlite3.OperationalError:  # no tables: nothing was ever recorded
                return 0

    def work(self) -> str:
        """A copy of the imported store as ``replay`` left it (no checkpoint yet)."""
        assert self.pristine is not None
        target = str(self.directory / "work.db")
        self.drop(target)
        for p in self._files(self.pristine):
            shutil.copyfile(p, target + p.name[len(Path(self.pristine).name) :])
        return target

    def close(self) -> None:
        pass


class PostgresStores:
    """Databases on one throwaway server; the commands run once, so the imported one is reused."""

    name = "PostgreSQL"
    repeats = False

    def __init__(self, base_url: str, size: int) -> None:
        self.base = base_url.rpartition("/")[0]
        self.admin = base_url
        self.size = size
        self.pristine: str | None = None
        self.made: list[str] = []

    def _sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(statement)

    def fresh(self, tag: str) -> str:
        name = f"bench_{self.size}_{tag}_{len(self.made)}"
        self._sql(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return f"{self.base}/{name}"

    def drop(self, url: str) -> None:
        name = url.rpartition("/")[2]
        with contextlib.suppress(Exception):
            self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def records(self, url: str) -> int:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            try:
                row = conn.execute("SELECT count(*) FROM loopledger_ids").fetchone()
            except psycopg.errors.UndefinedTable:
                return 0
        return int(row[0]) if row else 0

    def work(self) -> str:
        assert self.pristine is not None
        return self.pristine

    def close(self) -> None:
        for name in self.made:
            self.drop(f"{self.base}/{name}")


# --- one size, one backend ------------------------------------------------------------------------


@dataclass
class Row:
    """One command's runs and the ledger-cli/hledger runs paired with them."""

    command: str
    label: str
    runs: list[Run] = field(default_factory=list)
    ledger: list[Run | None] = field(default_factory=list)
    hledger: list[Run | None] = field(default_factory=list)
    note: str = ""

    def ok_runs(self) -> list[Run]:
        return [r for r in self.runs if r.ok]

    def status(self) -> str:
        bad = [r for r in self.runs if not r.ok]
        if self.note and not self.runs:
            return self.note
        return bad[0].status if bad and not self.ok_runs() else "ok"

    def ratio(self, tool: str, what: str) -> float | None:
        pairs = []
        for run, other in zip(self.runs, getattr(self, tool), strict=True):
            a, b = getattr(run, what), getattr(other, what) if other else None
            if run.ok and other is not None and other.ok and a is not None and b:
                pairs.append(a / b)
        return statistics.median(pairs) if pairs else None

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "label": self.label,
            "status": self.status(),
            "note": self.note,
            "runs": [r.to_json() for r in self.runs],
            "ledger": [r.to_json() if r else None for r in self.ledger],
            "hledger": [r.to_json() if r else None for r in self.hledger],
            "ratio": {
                f"{tool}_{what}": self.ratio(tool, what)
                for tool in ("ledger", "hledger")
                for what in ("wall", "cpu")
            },
        }


@dataclass
class Block:
    """Everything measured for one size on one backend."""

    events: int
    backend: str
    written: Written | None = None
    rows: list[Row] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    generation_s: float | None = None
    load: list[float] = field(default_factory=list)
    file_bytes: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "backend": self.backend,
            "generation_s": self.generation_s,
            "files": self.file_bytes,
            "journal": {
                "transactions": self.written.transactions if self.written else None,
                "postings": self.written.postings if self.written else None,
            },
            "load_average": self.load,
            "rows": [r.to_json() for r in self.rows],
            "checks": self.checks,
            "notes": self.notes,
        }


class Bench:
    def __init__(self, args: argparse.Namespace, loopledger: list[str]) -> None:
        self.args = args
        self.loopledger = loopledger
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("LOOPLEDGER_STORE", "LOOPLEDGER_DISABLE_PLUGINS")
        }
        self.tools = {t: shutil.which(t) for t in ("ledger", "hledger")}

    # -- running -------------------------------------------------------------------------------

    def _measure(self, argv: list[str], out: Path, *, capped: bool, name: str = "") -> Run:
        run = measure(
            argv,
            timeout=self.args.command_timeout.get(name, self.args.timeout),
            stdout=out,
            env=self.env,
            cwd=out.parent,
            memory_limit=self.args.memory_limit if capped else None,
        )
        if any("MemoryError" in line for line in run.stderr_tail):
            run.status += " MemoryError"
        shown = f"{run.wall:.2f} s, {(run.rss_kb or 0) / 1024:,.0f} MB" if run.wall else ""
        print(
            f"  {run.status:<16} {shown:<22} {' '.join(Path(a).name if '/' in a else a for a in argv)}",
            file=sys.stderr,
        )
        return run

    def _pair(self, row: Row, argv: list[str], directory: Path, journal: Path) -> Run:
        run = self._measure(argv, directory / "out.txt", capped=True, name=row.command)
        row.runs.append(run)
        for tool in ("ledger", "hledger"):
            exe = self.tools[tool]
            paired = None
            if exe is not None:
                paired = self._measure(
                    [exe, "-f", str(journal), "balance"], directory / f"{tool}.txt", capped=False
                )
            getattr(row, tool).append(paired)
        return run

    def _repeats(self, first: Run, row: Row, repeats: bool) -> int:
        """How many pairs to run: several when a pair is short, one when it takes minutes."""
        if not repeats or not first.ok:
            return 1
        total = sum(r.wall or 0 for r in (first, row.ledger[-1], row.hledger[-1]) if r is not None)
        if total < 20:
            return self.args.reps
        return min(3, self.args.reps) if total < 120 else 1

    def _timed(
        self,
        row: Row,
        argv_for: Callable[[], list[str]],
        directory: Path,
        journal: Path,
        repeats: bool,
    ) -> None:
        first = self._pair(row, argv_for(), directory, journal)
        for _ in range(self._repeats(first, row, repeats) - 1):
            self._pair(row, argv_for(), directory, journal)

    def _cli(self, url: str, cmd: Command, files: dict[str, str]) -> list[str]:
        args = [a.format(**files) for a in cmd.args]
        return [*self.loopledger, "--store", url, *args]

    def wanted(self, name: str, size: int) -> bool:
        if self.args.only and name not in self.args.only:
            return False
        return name not in self.args.skip and f"{name}@{size}" not in self.args.skip

    def run_block(
        self, block: Block, stores: SqliteStores | PostgresStores, directory: Path
    ) -> None:
        assert block.written is not None
        written, size = block.written, block.events
        journal = written.paths["journal"]
        files = {k: str(v) for k, v in written.paths.items()} | {
            "report": str(directory / "report")
        }
        block.load.append(os.getloadavg()[0])
        replayed: dict[str, str] = {}
        for cmd in COMMANDS:
            if cmd.kind != "replay":
                continue
            row = Row(cmd.name, cmd.label())
            if not self.wanted(cmd.name, size):
                row.note = "skipped"
                block.rows.append(row)
                continue
            print(f"{size:,} events, {stores.name}: {cmd.label()}", file=sys.stderr)
            fmt = cmd.fmt or ""
            run: Run | None = None
            for _ in range(self.args.reps):
                url = stores.fresh(fmt)
                run = self._pair(row, self._cli(url, cmd, files), directory, journal)
                if run.ok and fmt not in replayed:
                    replayed[fmt] = url  # kept: the later commands may use it
                else:
                    stores.drop(url)
                if len(row.runs) >= self._repeats(row.runs[0], row, stores.repeats):
                    break
            block.rows.append(row)
        self._choose_store(block, stores, replayed, files)
        if stores.pristine is None:
            block.notes.append(
                "no store could be made: every replay failed; later commands not run"
            )
            return
        for url in replayed.values():
            if url != stores.pristine:
                stores.drop(url)
        work: str | None = None
        for cmd in COMMANDS:
            if cmd.kind == "replay":
                continue
            row = Row(cmd.name, cmd.label())
            block.rows.append(row)
            if not self.wanted(cmd.name, size):
                row.note = "skipped"
                if cmd.kind == "first":
                    work = self._warm(block, stores, files, directory)
                continue
            print(f"{size:,} events, {stores.name}: {cmd.label()}", file=sys.stderr)
            if cmd.kind == "first":

                def first(cmd: Command = cmd) -> list[str]:
                    nonlocal work
                    work = stores.work()
                    return self._cli(work, cmd, files)

                self._timed(row, first, directory, journal, stores.repeats)
                continue
            if work is None:
                work = self._warm(block, stores, files, directory)
            self._timed(
                row,
                lambda cmd=cmd, url=work: self._cli(url, cmd, files),
                directory,
                journal,
                stores.repeats,
            )
        if work is not None:
            self._check_balances(block, work, directory)
        if self.wanted(BAD_INPUT, size):
            for fmt in ("jsonl", "yaml"):
                self._bad_input(block, stores, written.paths[fmt], fmt, directory)
        if isinstance(stores, SqliteStores) and self.wanted(FLOOR, size):
            self._floor(block, stores.pristine, directory, journal)
        block.load.append(os.getloadavg()[0])

    def _warm(self, block: Block, stores: Any, files: dict[str, str], directory: Path) -> str:
        """The imported store after an untimed first ``balances`` (so "again" means again)."""
        work: str = stores.work()
        run = self._measure(
            [*self.loopledger, "--store", work, "balances"], directory / "warm.txt", capped=True
        )
        block.notes.append(f"untimed first balances (to make the checkpoint): {run.status}")
        return work

    def _choose_store(
        self, block: Block, stores: Any, replayed: dict[str, str], files: dict[str, str]
    ) -> None:
        for fmt in STORE_PREFERENCE:
            if fmt in replayed:
                stores.pristine = replayed[fmt]
                block.notes.append(f"later commands use the store replayed from hist.{fmt}")
                return
        # No timed replay succeeded: make the store untimed from a format not yet tried (one
        # that failed or timed out when timed would only fail again, minutes later).
        tried = {r.command for r in block.rows if r.runs}
        for fmt in STORE_PREFERENCE:
            if f"replay-{fmt}" in tried:
                continue
            url = stores.fresh(f"setup-{fmt}")
            argv = [*self.loopledger, "--store", url, "replay", files[fmt]]
            print(
                f"{block.events:,} events, {stores.name}: untimed set-up replay of hist.{fmt}",
                file=sys.stderr,
            )
            run = self._measure(argv, Path(files["report"]).parent / "setup.txt", capped=True)
            if run.ok:
                stores.pristine = url
                block.notes.append(f"later commands use a store replayed (untimed) from hist.{fmt}")
                return
            stores.drop(url)
            block.notes.append(f"untimed set-up replay of hist.{fmt}: {run.status}")

    def _check_balances(self, block: Block, url: str, directory: Path) -> None:
        """Untimed: ``balances --json`` must equal the journal's USD totals account by account."""
        assert block.written is not None
        out = directory / "check.json"
        run = self._measure(
            [*self.loopledger, "--store", url, "balances", "--json"], out, capped=True
        )
        if not run.ok:
            block.checks.append(f"balances --json could not be checked: {run.status}")
            return
        rows = orjson.loads(out.read_bytes())["balances"]
        got = {
            f"{r['party']}:{r['account']}": Decimal(r["amount"])
            for r in rows
            if r["commodity"] == "USD"
        }
        expected = {k: Decimal(v) / 100 for k, v in block.written.usd.items()}
        same = got == expected
        block.checks.append(
            f"loopledger balances --json equals the journal's USD totals on {len(expected):,} accounts: "
            + ("yes" if same else f"NO ({len(set(got.items()) ^ set(expected.items()))} differ)")
        )

    def _bad_input(
        self, block: Block, stores: Any, source: Path, fmt: str, directory: Path
    ) -> None:
        """Untimed check, figures printed: a bad date on the last-but-one event of the file
        (position N-1) is refused with exit 2 naming file, line and field, in flat memory,
        and the store it was replayed into holds nothing afterwards."""
        bad = directory / f"bad.{fmt}"
        line = _break_second_last_date(source, bad)
        url = stores.fresh(f"bad-{fmt}")
        print(f"{block.events:,} events, {stores.name}: replay bad.{fmt}", file=sys.stderr)
        run = self._measure(
            [*self.loopledger, "--store", url, "replay", str(bad)],
            directory / "bad.txt",
            capped=True,
        )
        message = " ".join(run.stderr_tail)
        named = f"bad.{fmt}:{line}" in message and "date" in message
        left = stores.records(url)
        block.checks.append(
            f"a bad date at position {block.events - 1:,} of hist.{fmt} (line {line:,}): "
            f"exit {run.exit_code} in {run.wall or 0:.1f} s, peak {_mb(run.rss_kb)}, "
            f"message names file:line and field: {'yes' if named else 'NO'}, "
            f"records in the store afterwards: {left}"
            + ("" if run.exit_code == 2 and named and left == 0 else " — NOT as expected")
            + (f" ({message[:200]})" if not named else "")
        )
        stores.drop(url)
        bad.unlink()

    def _floor(self, block: Block, store: str, directory: Path, journal: Path) -> None:
        assert block.written is not None
        row = Row(FLOOR, "floor: sqlite3 + orjson read of the rows + Decimal fold of cash")
        print(f"{block.events:,} events, SQLite: {row.label}", file=sys.stderr)
        argv = [sys.executable, str(ROOT / "benchmarks" / "floor.py"), store]
        self._timed(row, lambda: argv, directory, journal, True)
        block.rows.append(row)
        if row.ok_runs():
            cash = {
                p: Decimal(v) for p, v in orjson.loads((directory / "out.txt").read_bytes()).items()
            }
            expected = {
                k.split(":")[0]: Decimal(v) / 100
                for k, v in block.written.usd.items()
                if k.endswith(":assets:cash")
            }
            block.checks.append(
                f"the floor's cash per party equals the journal's: {'yes' if cash == expected else 'NO'}"
            )


def _break_second_last_date(source: Path, target: Path) -> int:
    """Copy ``source`` with the last-but-one event's date made impossible; return its line."""
    data = source.read_bytes()
    end = data.rstrip().rfind(b"\n")  # the start of the last event's line
    start = data.rfind(b"\n", 0, end) + 1  # ... and of the one before it
    row = data[start:end]
    key = b'"date":"' if row.lstrip().startswith(b"{") else b"date: "
    at = row.index(key) + len(key)
    broken = row[:at] + b"2025-13-45" + row[at + len("2025-12-31") :]
    target.write_bytes(data[:start] + broken + data[end:])
    return data.count(b"\n", 0, start) + 1


# --- rendering ------------------------------------------------------------------------------------


def _mb(kb: float | None) -> str:
    if kb is None:
        return "—"
    mb = kb / 1024
    return f"{mb / 1024:.2f} GB" if mb >= 1000 else f"{mb:,.0f} MB"


def _x(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}×" if value < 10 else f"{value:.1f}×" if value < 100 else f"{value:,.0f}×"


def _median(runs: list[Run], what: str) -> float | None:
    values = [getattr(r, what) for r in runs if r.ok and getattr(r, what) is not None]
    return statistics.median(values) if values else None


def _line(label: str, events: int, runs: list[Run], ratios: tuple[str, str]) -> str:
    ok = [r for r in runs if r.ok]
    wall, cpu, rss = _median(ok, "wall"), _median(ok, "cpu"), _median(ok, "rss_kb")
    rate = f"{events / wall:,.0f}" if wall else "—"
    return (
        f"| {label} | {len(ok)} | {rate} | {wall:,.2f} | {cpu:,.2f} | {_mb(rss)} | {ratios[0]} | {ratios[1]} |"
        if wall is not None
        else ""
    )


def render_block(block: Block) -> list[str]:
    w = block.written
    head = f"### {block.events:,} events — {block.backend} store"
    lines = [head, ""]
    if w is not None:
        sizes = ", ".join(f"{k} {v / 2**20:,.0f} MB" for k, v in block.file_bytes.items())
        lines.append(
            f"History: 50 companies, seed {w.seed}; journal {w.transactions:,} transactions, "
            f"{w.postings:,} postings; files {sizes}; generated in {block.generation_s:.0f} s. "
            f"Load average {' → '.join(f'{x:.1f}' for x in block.load)}."
        )
        lines.append("")
    lines += [
        "| command | runs | events/s | wall s | CPU s | peak RSS | ÷ ledger-cli wall (CPU) | ÷ hledger wall (CPU) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ledger_runs: list[Run] = []
    hledger_runs: list[Run] = []
    failures: list[str] = []
    for row in block.rows:
        ledger_runs += [r for r in row.ledger if r is not None]
        hledger_runs += [r for r in row.hledger if r is not None]
        if row.note and not row.runs:
            lines.append(f"| {row.label} | 0 | — | {row.note} | — | — | — | — |")
            continue
        ratios = tuple(
            f"{_x(row.ratio(tool, 'wall'))} ({_x(row.ratio(tool, 'cpu'))})"
            for tool in ("ledger", "hledger")
        )
        line = _line(row.label, block.events, row.runs, ratios)  # type: ignore[arg-type]
        if line:
            lines.append(line)
        bad = [r for r in row.runs if not r.ok]
        if bad:
            if not line:
                lines.append(f"| {row.label} | 0 | — | {bad[0].status} | — | — | — | — |")
            tail = "\n".join(f"      {t}" for t in bad[0].stderr_tail) or "      (no stderr)"
            failures.append(
                f"- {row.label}: {bad[0].status} ({len(bad)} of {len(row.runs)} runs); stderr tail:\n{tail}"
            )
    for label, runs in (
        ("ledger -f hist.journal balance", ledger_runs),
        ("hledger -f hist.journal balance", hledger_runs),
    ):
        line = _line(label, block.events, runs, ("—", "—"))
        lines.append(line or f"| {label} | 0 | — | not run | — | — | — | — |")
        bad = [r for r in runs if not r.ok]
        if bad:
            failures.append(f"- {label}: {bad[0].status} in {len(bad)} runs")
    lines.append("")
    lines += [f"- {c}" for c in block.checks] + [f"- {n}" for n in block.notes]
    if failures:
        lines += ["", "Failures:", *failures]
    lines.append("")
    return lines


def render(meta: dict[str, Any], blocks: list[Block], notes: list[str]) -> str:
    m = meta
    lines = [
        f"## loopledger CLI benchmark — {m['date']}",
        "",
        (
            f"Machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['ram_gib']} GiB RAM; "
            f"{m['os']}; Python {m['python']}; SQLite {m['sqlite']}; {m['ledger']}; {m['hledger']}; "
            f"{m['postgresql'] or 'PostgreSQL: none'}; {m['loopledger']} (git {m['git']})."
        ),
        "",
        (
            "Whole processes under `/usr/bin/time -v`; wall, CPU (user+sys) and peak RSS are medians of the runs; "
            "each ÷ is the median over pairs of (loopledger ÷ the tool) timed back to back on the same history. "
            "events/s = history events ÷ wall (the journal holds only the events that move cash). "
            "Peak RSS on PostgreSQL is the client's; the server's memory is not counted."
        ),
        "",
    ]
    lines += [f"- {n}" for n in notes]
    if notes:
        lines.append("")
    for block in blocks:
        lines += render_block(block)
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------------


def _loopledger() -> list[str]:
    beside = Path(sys.executable).parent / "loopledger"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("loopledger")
    if found:
        return [found]
    raise SystemExit("loopledger is not installed: run 'make install' first")


@contextlib.contextmanager
def _postgres(enabled: bool, notes: list[str]) -> Iterator[str | None]:
    if not enabled:
        yield None
        return
    try:
        from tests.support.pgserver import throwaway_postgres

        server = throwaway_postgres(dbname="bench")
        url = server.__enter__()
    except Exception as exc:  # noqa: BLE001 - no server is a note, not the end of the benchmark
        notes.append(f"PostgreSQL not run: {exc}")
        yield None
        return
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", default="100000,1000000", help="comma-separated event counts")
    p.add_argument(
        "--postgres-sizes", default=None, help="sizes also run on PostgreSQL (default: --sizes)"
    )
    p.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(NAMES)}")
    p.add_argument(
        "--skip",
        default="",
        help="comma-separated NAME or NAME@SIZE to leave out (e.g. report@1000000)",
    )
    p.add_argument("--reps", type=int, default=5, help="most pairs for a short command (default 5)")
    p.add_argument("--timeout", type=float, default=1200, help="seconds per command (default 1200)")
    p.add_argument(
        "--command-timeout",
        action="append",
        default=[],
        metavar="NAME=SECONDS",
        help="a different timeout for one command (repeatable), e.g. report=300",
    )
    p.add_argument(
        "--memory-limit-gb",
        type=float,
        default=round(0.6 * _meminfo_bytes() / 2**30, 1),
        help="address-space cap of each loopledger process (default 60%% of RAM; 0: none)",
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--out", action="append", default=[], type=Path, help="results .md or .json (repeatable)"
    )
    p.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where histories and stores go (default: a temp dir)",
    )
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--no-postgres", action="store_true", help="SQLite only")
    p.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    p.add_argument("--no-install", action="store_true", help="do not apt-get install missing tools")
    args = p.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.postgres_sizes = (
        [int(s) for s in args.postgres_sizes.split(",") if s] if args.postgres_sizes else args.sizes
    )
    args.only = {s for s in args.only.split(",") if s}
    args.skip = {s for s in args.skip.split(",") if s}
    unknown = {s.partition("@")[0] for s in args.only | args.skip} - set(NAMES)
    if unknown:
        p.error(f"unknown command names {sorted(unknown)}; expected some of {', '.join(NAMES)}")
    timeouts = [item.partition("=") for item in args.command_timeout]
    args.command_timeout = {name: float(seconds) for name, _, seconds in timeouts}
    unknown |= set(args.command_timeout) - set(NAMES)
    if unknown:
        p.error(f"unknown command names {sorted(unknown)}; expected some of {', '.join(NAMES)}")
    args.memory_limit = int(args.memory_limit_gb * 2**30) or None
    return args


def write_outputs(
    paths: list[Path], meta: dict[str, Any], blocks: list[Block], notes: list[str]
) -> None:
    for path in paths:
        if path.suffix == ".json":
            data = {"machine": meta, "notes": notes, "blocks": [b.to_json() for b in blocks]}
            path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        else:
            path.write_text(render(meta, blocks, notes) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    postgres = not args.no_postgres and bool(args.postgres_sizes)
    notes = ensure_tools(postgres=postgres, install=not args.no_install)
    loopledger = _loopledger()
    meta = machine(loopledger)
    if args.memory_limit:
        notes.append(
            f"each loopledger process is capped at {args.memory_limit_gb:g} GiB of address space"
        )
    special = "".join(f", {k} {v:g} s" for k, v in args.command_timeout.items())
    notes.append(
        f"per-command timeout {args.timeout:g} s{special}; load average at start "
        f"{meta['load_average']:.2f} (a shared machine: other work ran beside the benchmark)"
    )
    bench = Bench(args, loopledger)
    blocks: list[Block] = []
    root = args.workdir or Path(tempfile.mkdtemp(prefix="loopledger-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        with _postgres(postgres, notes) as pg_url:
            for size in args.sizes:
                directory = root / str(size)
                print(f"generating {size:,} events into {directory}", file=sys.stderr)
                started = time.perf_counter()
                written = write_history(directory, size, seed=args.seed)
                took = time.perf_counter() - started
                file_bytes = {f: p.stat().st_size for f, p in written.paths.items()}
                backends: list[tuple[str, Callable[[], Any]]] = []
                if not args.no_sqlite:
                    backends.append(("SQLite", lambda d=directory: SqliteStores(d)))
                if pg_url and size in args.postgres_sizes:
                    backends.append(("PostgreSQL", lambda s=size: PostgresStores(pg_url, s)))
                for name, make in backends:
                    block = Block(size, name, written, generation_s=took, file_bytes=file_bytes)
                    blocks.append(block)
                    stores = make()
                    try:
                        bench.run_block(block, stores, directory)
                    except Exception as exc:  # noqa: BLE001 - report what broke, keep the rest
                        block.notes.append(f"harness error: {type(exc).__name__}: {exc}")
                    finally:
                        stores.close()
                    write_outputs(args.out, meta, blocks, notes)
                if not args.keep:
                    shutil.rmtree(directory, ignore_errors=True)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    write_outputs(args.out, meta, blocks, notes)
    print(render(meta, blocks, notes))


if __name__ == "__main__":
    main()
