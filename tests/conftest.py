"""Shared fixtures: hypothesis profiles, a throwaway PostgreSQL server, and a CLI runner.

``HYPOTHESIS_PROFILE=ci`` (set by ``make test``) runs ≥ 500 examples per property with no
deadline, derandomized so a failure reproduces exactly; locally the default profile is quick.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, settings

from tests.support import pgserver

settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

postgres_url = pgserver.postgres_url


@pytest.fixture(autouse=True, scope="session")
def _private_state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The derived-data key is made under ``$XDG_STATE_HOME``: a temp dir, so tests leave no trace
    in the user's home (child processes inherit it)."""
    old = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state-home"))
    yield
    if old is None:
        os.environ.pop("XDG_STATE_HOME", None)
    else:
        os.environ["XDG_STATE_HOME"] = old


ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "ledger" / "examples" / "ai-compute-2025-2026.yaml"


@attrs.frozen
class Ran:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> Ran:
    """Run ``loopledger ARGS`` in this process (fresh plugin manager) and capture everything."""
    from ledger.faces.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return Ran(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """``cli(*args)`` runs loopledger against a fresh SQLite store in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOOPLEDGER_STORE", str(tmp_path / "test.db"))
    monkeypatch.setenv("LOOPLEDGER_LOAD_PLUGINS", "")
    monkeypatch.delenv("LOOPLEDGER_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("LOOPLEDGER_STRICT_PLUGINS", raising=False)
    return run_cli


@pytest.fixture
def example() -> Path:
    return EXAMPLE


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def write(tmp_path: Path):
    """``write(name, text)`` writes a file in tmp_path and returns its path."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write


@contextlib.contextmanager
def copied(src: Path, dst: Path) -> Iterator[Path]:
    shutil.copy(src, dst)
    yield dst


@pytest.fixture
def pg_store_url(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the session's throwaway server (dropped afterwards)."""
    import uuid

    import psycopg

    name = f"ll_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_url.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
