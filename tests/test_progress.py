"""Long commands draw a progress bar on a terminal, and nothing at all when piped."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE

LOOPLEDGER = str(Path(sys.executable).parent / "loopledger")


def test_a_bar_on_a_terminal_and_nothing_when_piped(tmp_path):
    store = str(tmp_path / "p.db")
    env = {**os.environ, "LOOPLEDGER_LOAD_PLUGINS": "", "TERM": "xterm", "COLUMNS": "100"}
    assert (
        subprocess.run(
            [LOOPLEDGER, "--store", store, "replay", str(EXAMPLE)],
            env=env,
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    command = [
        LOOPLEDGER,
        "--store",
        store,
        "export",
        "--format",
        "hledger",
        "--out",
        str(tmp_path / "x.journal"),
    ]
    # On a terminal (standard output and error are a pseudo-terminal).
    leader, follower = pty.openpty()
    done = subprocess.run(command, stdout=follower, stderr=follower, env=env, check=False)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert done.returncode == 0
    assert b"export hledger" in seen and b"\x1b[" in seen  # the bar, drawn with escapes
    # Piped: only the answer (here the one-line summary on stderr), no escapes.
    piped = subprocess.run(command, capture_output=True, env=env, check=False)
    assert piped.returncode == 0
    assert b"\x1b" not in piped.stderr + piped.stdout
    assert piped.stderr.decode().startswith("wrote ")


def on_terminal(command: list[str], env: dict[str, str], cwd: Path) -> tuple[int, bytes]:
    """Run ``command`` with standard output and error on a pseudo-terminal; all it drew."""
    leader, follower = pty.openpty()
    done = subprocess.Popen(command, stdout=follower, stderr=follower, env=env, cwd=cwd)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    return done.wait(), seen


LONG_COMMANDS = [
    ("replay", [str(EXAMPLE)], b"replay"),
    ("verify", [], b"verify"),
    ("audit", [], b"audit"),
    ("metrics", [], b"metrics"),
    ("value", [], b"value"),
    ("export", ["--format", "beancount", "--out", "x.beancount"], b"export beancount"),
    # The report's steps: a rich spinner (its first frame, ⠋) while each one runs.
    ("report", ["--out", "report", "--format", "text"], "\u280b".encode()),
]


@pytest.mark.parametrize(
    ("command", "args", "label"), LONG_COMMANDS, ids=[c[0] for c in LONG_COMMANDS]
)
def test_every_long_command_draws_on_a_terminal_and_nothing_when_piped(
    tmp_path, command, args, label
):
    store = str(tmp_path / "p.db")
    env = {**os.environ, "LOOPLEDGER_LOAD_PLUGINS": "", "TERM": "xterm", "COLUMNS": "100"}
    recorded = subprocess.run(
        [LOOPLEDGER, "--store", store, "replay", str(EXAMPLE)],
        env=env,
        capture_output=True,
        check=False,
        cwd=tmp_path,
    )
    assert recorded.returncode == 0, recorded.stderr
    line = [LOOPLEDGER, "--store", store, command, *args]
    code, seen = on_terminal(line, env, tmp_path)
    assert code == 0, seen[-2000:]
    # A live display (rich hides the cursor while it draws) with the command's label.
    assert label in seen and b"\x1b[?25l" in seen, seen[-2000:]
    piped = subprocess.run(line, capture_output=True, env=env, check=False, cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert b"\x1b" not in piped.stdout + piped.stderr
