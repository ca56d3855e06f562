"""A throwaway PostgreSQL server for the test suite, started from the installed binaries.

``throwaway_postgres()`` runs ``initdb`` into a temporary directory, starts the server on a
free port bound to 127.0.0.1 only (password auth over TCP), creates a database, yields its
URL and always stops the server and removes the directory.  ``postgres_url`` is the
session-scoped pytest fixture built on it (skipped when the binaries are absent, failed
instead when ``CI=true``).

PostgreSQL refuses to run as root; when the tests run as root the server runs as the
``postgres`` system user if there is one, else as a dedicated ``loopledger-pg`` user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

__all__ = [
    "PostgresStartError",
    "find_pg_bindir",
    "postgres_url",
    "throwaway_postgres",
]

#: Set to a directory to use only the binaries there (a nonexistent path forces "not found").
BINDIR_ENV = "LOOPLEDGER_PG_BINDIR"
#: The unprivileged user created when running as root and no ``postgres`` user exists.
FALLBACK_USER = "loopledger-pg"
NOT_FOUND_MESSAGE = "PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql"

_TOOLS = ("initdb", "pg_ctl")
_LOG_TAIL_LINES = 40


class PostgresStartError(RuntimeError):
    """The throwaway server could not be set up; the message carries the log tail."""


def _has_tools(directory: Path) -> bool:
    return all(os.access(directory / tool, os.X_OK) for tool in _TOOLS)


def _version_key(bindir: Path) -> tuple[int, ...]:
    """Sort key for ``/usr/lib/postgresql/<version>/bin``: numeric parts of the version."""
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def find_pg_bindir() -> Path | None:
    """Directory holding both ``initdb`` and ``pg_ctl``, or ``None``.

    ``$LOOPLEDGER_PG_BINDIR`` wins if set; then ``PATH`` (symlinks resolved, as Debian's
    /usr/local/bin links point into the versioned directory); then the highest version
    under ``/usr/lib/postgresql/*/bin``.
    """
    override = os.environ.get(BINDIR_ENV)
    if override:
        path = Path(override)
        return path if _has_tools(path) else None
    initdb = shutil.which("initdb")
    if initdb is not None:
        for candidate in (Path(initdb).resolve().parent, Path(initdb).parent):
            if _has_tools(candidate):
                return candidate
    versioned = [d for d in Path("/usr/lib/postgresql").glob("*/bin") if _has_tools(d)]
    return max(versioned, key=_version_key, default=None)


@dataclass(frozen=True)
class _RunAs:
    """Who runs initdb/pg_ctl: ``None`` ids mean the current (non-root) user."""

    uid: int | None = None
    gid: int | None = None

    def run(
        self, args: list[str], *, log: Path, cwd: Path, timeout: float
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``args`` with output appended to ``log`` (never a pipe: postgres inherits it)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        drop: dict[str, Any] = (
            {} if self.uid is None else {"user": self.uid, "group": self.gid, "extra_groups": []}
        )
        with log.open("ab") as out:
            return subprocess.run(
                args,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=env,
                timeout=timeout,
                check=False,
                **drop,
            )


def _server_account() -> _RunAs:
    """The account to run the server as: ourselves, or an unprivileged user when root."""
    if os.geteuid() != 0:
        return _RunAs()
    for name in ("postgres", FALLBACK_USER):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return _RunAs(entry.pw_uid, entry.pw_gid)
    useradd = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--user-group", FALLBACK_USER],
        capture_output=True,
        text=True,
        check=False,
    )
    try:  # a concurrent session may have created it first
        entry = pwd.getpwnam(FALLBACK_USER)
    except KeyError:
        raise PostgresStartError(
            f"running as root and could not create user {FALLBACK_USER!r} "
            f"(useradd exit {useradd.returncode}): {useradd.stderr.strip()}"
        ) from None
    return _RunAs(entry.pw_uid, entry.pw_gid)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(*logs: Path) -> str:
    parts = []
    for log in logs:
        if log.exists():
            lines = log.read_text(errors="replace").splitlines()[-_LOG_TAIL_LINES:]
            parts.append(f"--- {log.name} (last {len(lines)} lines) ---\n" + "\n".join(lines))
    return "\n".join(parts) or "(no log output)"


def _base_tempdir() -> str:
    """A temp base that the unprivileged server user can traverse (/tmp as fallback)."""
    base = Path(tempfile.gettempdir()).resolve()
    if os.geteuid() == 0 and not all(os.stat(p).st_mode & 0o001 for p in (base, *base.parents)):
        return "/tmp"
    return str(base)


def _stop(bindir: Path, account: _RunAs, root: Path, data: Path) -> None:
    """Stop the server immediately; kill the postmaster by its pid if pg_ctl fails."""
    try:
        pg_ctl = str(bindir / "pg_ctl")
        result = account.run(
            [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop"],
            log=root / "pg_ctl-stop.log",
            cwd=root,
            timeout=60,
        )
        if result.returncode == 0:
            return
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def throwaway_postgres(
    *, dbname: str = "loopledger", user: str = "loopledger", bindir: Path | None = None
) -> Iterator[str]:
    """Start a private PostgreSQL server; yield ``postgresql://user:pw@127.0.0.1:port/db``.

    The server and its directory are always removed on exit, even on errors.
    Raises ``PostgresStartError`` (with the initdb/server log tail) if it cannot start.
    """
    bindir = bindir or find_pg_bindir()
    if bindir is None:
        raise PostgresStartError(NOT_FOUND_MESSAGE)
    account = _server_account()
    root = Path(tempfile.mkdtemp(prefix="loopledger-pg-", dir=_base_tempdir()))  # mode 0o700
    try:
        yield _start(bindir, account, root, dbname=dbname, user=user)
    finally:
        data = root / "data"
        if (data / "postmaster.pid").exists():
            _stop(bindir, account, root, data)
        shutil.rmtree(root, ignore_errors=True)


def _start(bindir: Path, account: _RunAs, root: Path, *, dbname: str, user: str) -> str:
    """initdb + pg_ctl start + CREATE DATABASE inside ``root``; return the database URL."""
    data, initdb_log, server_log = root / "data", root / "initdb.log", root / "server.log"
    password = secrets.token_urlsafe(18)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    if account.uid is not None:
        for path in (root, pwfile):
            os.chown(path, account.uid, -1 if account.gid is None else account.gid)
    try:
        initdb = account.run(
            [
                str(bindir / "initdb"),
                "-D", str(data),
                "-U", user,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            log=initdb_log,
            cwd=root,
            timeout=180,
        )  # fmt: skip
        pwfile.unlink()
        if initdb.returncode != 0:
            raise PostgresStartError(
                f"initdb failed (exit {initdb.returncode}) in {data}\n{_tail(initdb_log)}"
            )
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# loopledger throwaway test server\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{root}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        for attempt in range(3):  # the free port may be taken before the server binds it
            port = _free_port()
            start = account.run(
                [
                    str(bindir / "pg_ctl"),
                    "-D", str(data),
                    "-l", str(server_log),
                    "-o", f"-p {port}",
                    "-w", "-t", "60",
                    "start",
                ],
                log=root / "pg_ctl.log",
                cwd=root,
                timeout=90,
            )  # fmt: skip
            if start.returncode == 0:
                break
            if attempt == 2 or "already in use" not in _tail(server_log):
                raise PostgresStartError(
                    f"pg_ctl start failed (exit {start.returncode}) on 127.0.0.1:{port}\n"
                    + _tail(root / "pg_ctl.log", server_log)
                )
    except subprocess.TimeoutExpired as exc:
        raise PostgresStartError(f"timed out: {exc}\n{_tail(initdb_log, server_log)}") from exc
    base = f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{port}"
    _create_database(f"{base}/postgres", dbname, server_log)
    return f"{base}/{quote(dbname, safe='')}"


def _create_database(admin_url: str, dbname: str, server_log: Path) -> None:
    """Create ``dbname`` over TCP with the password, which proves the URL works."""
    import psycopg  # imported lazily: conftest imports this module even without a server
    from psycopg import sql

    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    except psycopg.Error as exc:
        raise PostgresStartError(
            f"server started but CREATE DATABASE failed: {exc}\n{_tail(server_log)}"
        ) from exc


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Session-wide throwaway server URL; skip without binaries, but fail when ``CI=true``."""
    if find_pg_bindir() is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"{NOT_FOUND_MESSAGE} (CI=true: a missing server is a failure)", pytrace=False
            )
        pytest.skip(NOT_FOUND_MESSAGE)
    with throwaway_postgres() as url:
        yield url
