"""Time one command as a whole process with ``/usr/bin/time -v``: wall, user+sys CPU, peak RSS.

Why a separate process under GNU time rather than timers in Python: the user pays for the
interpreter start, imports, plugin loading and printing too, and peak RSS is only honest when
measured by the kernel for the process that did the work. A command that fails, runs out of its
memory cap or passes its timeout becomes a :class:`Run` that says so, with its stderr tail — the
benchmark goes on.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

GNU_TIME = "/usr/bin/time"
TAIL_LINES = 12


@dataclass
class Run:
    """One process: its figures, or why there are none."""

    argv: list[str]
    status: str  # "ok" | "FAILED(exit N)" | "TIMEOUT" | "ERROR: ..."
    wall: float | None = None  # seconds
    cpu: float | None = None  # user + sys seconds
    rss_kb: int | None = None  # peak resident set size
    exit_code: int | None = None
    stderr_tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _clock(text: str) -> float:
    """GNU time's ``h:mm:ss`` or ``m:ss.ss`` as seconds."""
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _parse(report: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, pattern in (
        ("wall", r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)"),
        ("user", r"User time \(seconds\): ([\d.]+)"),
        ("sys", r"System time \(seconds\): ([\d.]+)"),
        ("rss_kb", r"Maximum resident set size \(kbytes\): (\d+)"),
        ("exit", r"Exit status: (\d+)"),
        ("signal", r"Command terminated by signal (\d+)"),
    ):
        m = re.search(pattern, report)
        if m:
            found[key] = m.group(1)
    return found


def _tail(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [line[:300] for line in lines[-TAIL_LINES:]]


def measure(
    argv: Sequence[str],
    *,
    timeout: float,
    stdout: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    memory_limit: int | None = None,
) -> Run:
    """Run ``argv`` under ``/usr/bin/time -v``; stdout to ``stdout``, killed after ``timeout`` s.

    ``memory_limit`` (bytes) caps the address space of the process (``RLIMIT_AS``), so a
    command that would take the shared machine's memory fails with its own MemoryError instead.
    """
    argv = list(argv)
    with tempfile.TemporaryDirectory(prefix="bench-time-") as scratch:
        report, errors = Path(scratch) / "time.txt", Path(scratch) / "stderr.txt"

        def limit() -> None:
            if memory_limit:
                resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

        try:
            with stdout.open("wb") as out, errors.open("wb") as err:
                process = subprocess.Popen(
                    [GNU_TIME, "-v", "-o", str(report), *argv],
                    stdout=out,
                    stderr=err,
                    stdin=subprocess.DEVNULL,
                    env=dict(env) if env is not None else None,
                    cwd=cwd,
                    start_new_session=True,  # its own process group, so a timeout ends all of it
                    preexec_fn=limit if memory_limit else None,  # noqa: PLW1509 - no threads here
                )
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    return Run(
                        argv, f"TIMEOUT({timeout:g} s)", wall=timeout, stderr_tail=_tail(errors)
                    )
        except OSError as exc:
            return Run(argv, f"ERROR: {exc}")
        figures = _parse(
            report.read_text(encoding="utf-8", errors="replace") if report.exists() else ""
        )
        if "wall" not in figures:
            return Run(argv, f"ERROR: no figures from {GNU_TIME}", stderr_tail=_tail(errors))
        code = int(figures.get("exit", process.returncode))
        run = Run(
            argv,
            "ok",
            wall=_clock(figures["wall"]),
            cpu=float(figures["user"]) + float(figures["sys"]),
            rss_kb=int(figures["rss_kb"]),
            exit_code=code,
        )
        if "signal" in figures:
            run.status = f"FAILED(signal {figures['signal']})"
        elif code != 0:
            run.status = f"FAILED(exit {code})"
        if not run.ok:
            run.stderr_tail = _tail(errors)
        return run
