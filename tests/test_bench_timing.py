"""The benchmark's process timer: figures for a run, and a named failure instead of a crash.

``make bench`` must go on when a command fails, runs out of memory or hangs, and say which it
was with the command's own last words; these cases are cheap to produce with ``sh`` and Python.
"""

from __future__ import annotations

import os
import sys

import pytest

from benchmarks.timing import GNU_TIME, _clock, measure

pytestmark = pytest.mark.skipif(
    not os.path.exists(GNU_TIME), reason=f"{GNU_TIME} (GNU time) is not installed"
)


def test_a_run_has_wall_cpu_and_peak_memory(tmp_path):
    out = tmp_path / "out.txt"
    code = "x = bytearray(60 * 2**20); x[::4096] = b'1' * len(x[::4096]); print('done')"
    run = measure([sys.executable, "-c", code], timeout=60, stdout=out)
    assert run.ok and run.exit_code == 0
    assert run.wall is not None and run.cpu is not None and run.wall >= 0
    assert run.rss_kb is not None and run.rss_kb > 60 * 1024  # the 60 MiB were touched
    assert out.read_text() == "done\n"


def test_a_failing_command_is_named_with_its_stderr_tail(tmp_path):
    run = measure(
        ["sh", "-c", "echo first >&2; echo last words >&2; exit 3"],
        timeout=30,
        stdout=tmp_path / "o",
    )
    assert run.status == "FAILED(exit 3)" and run.exit_code == 3
    assert run.stderr_tail == ["first", "last words"]


def test_a_hanging_command_is_killed_and_reported_as_a_timeout(tmp_path):
    run = measure(["sh", "-c", "sleep 30 & wait"], timeout=0.5, stdout=tmp_path / "o")
    assert run.status == "TIMEOUT(0.5 s)" and not run.ok


def test_the_memory_cap_turns_a_runaway_into_a_memory_error(tmp_path):
    code = "x = bytearray(3 * 2**30)"
    run = measure(
        [sys.executable, "-c", code], timeout=60, stdout=tmp_path / "o", memory_limit=2**30
    )
    assert run.status == "FAILED(exit 1)"
    assert run.stderr_tail[-1] == "MemoryError"


def test_a_missing_program_is_an_error_not_an_exception(tmp_path):
    run = measure(["/nonexistent/tool"], timeout=10, stdout=tmp_path / "o")
    assert not run.ok and run.status.startswith("FAILED(exit 127)")


def test_gnu_times_clock_reads_as_seconds():
    assert _clock("0:01.50") == 1.5
    assert _clock("1:02:03") == 3723
