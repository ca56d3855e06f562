"""Store URLs: SQLite paths, ``memory:`` and PostgreSQL URLs, and what eventsourcing needs for each."""

from __future__ import annotations

import os
import re
from urllib.parse import quote, unquote, urlparse

from eventsourcing.utils import get_topic

from ledger.model.problems import StoreError
from ledger.store.recorders import SQLiteRecorder

_SCHEMES = ("postgresql://", "postgres://")


def _split_userinfo(url: str) -> tuple[str, str, str | None, str] | None:
    """``(scheme, user, password, rest)`` of a PostgreSQL URL, or None when it has no userinfo.

    Why by hand: a password holding ``#``, ``?``, ``/`` or ``@`` that was not percent-encoded
    makes ``urlparse`` cut the URL in the wrong place — and then the password is printed as
    part of a "host" or "path" in an error message. The userinfo ends at the last ``@``
    after which a host and a ``/database`` follow.
    """
    scheme = next((s for s in _SCHEMES if url.startswith(s)), None)
    if scheme is None:
        return None
    rest = url[len(scheme) :]
    ats = [i for i, ch in enumerate(rest) if ch == "@"]
    for at in reversed(ats):
        tail = rest[at + 1 :]
        host = re.split(r"[/?#]", tail, maxsplit=1)[0]
        if host and tail[len(host) : len(host) + 1] == "/":
            userinfo = rest[:at]
            user, sep, password = userinfo.partition(":")
            return scheme, user, password if sep else None, tail
    if ats:  # no host/database after any '@': treat everything before the last as userinfo
        userinfo = rest[: ats[-1]]
        user, sep, password = userinfo.partition(":")
        return scheme, user, password if sep else None, rest[ats[-1] + 1 :]
    return None


def describe(url: str) -> str:
    """The store URL with any password hidden, for messages (every URL form, encoded or not)."""
    parts = _split_userinfo(url)
    if parts is None:
        return url
    scheme, user, password, rest = parts
    if password is None:
        return url
    return f"{scheme}{user}:***@{rest}"


def redact(text: str, url: str) -> str:
    """``text`` (an error message, a child's stderr) with the URL's password removed, in every
    spelling it may take there (as written, percent-decoded, percent-encoded)."""
    parts = _split_userinfo(url)
    if parts is None or not parts[2]:
        return text
    password = parts[2]
    for spelling in sorted(
        {password, unquote(password), quote(unquote(password), safe="")}, key=len, reverse=True
    ):
        if spelling:
            text = text.replace(spelling, "***")
    return text


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite store URL; None for ``memory:`` and PostgreSQL."""
    if url in ("memory:", ":memory:") or url.startswith(("postgresql://", "postgres://")):
        return None
    return url.removeprefix("sqlite:")


def environment(url: str) -> dict[str, str]:
    if url in ("memory:", ":memory:"):
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if url.startswith(_SCHEMES):
        recorder = {"APPLICATION_RECORDER_TOPIC": "ledger.store.postgres_recorder:PostgresRecorder"}
        parts = _split_userinfo(url)
        user, password = ("", "") if parts is None else (parts[1], parts[2] or "")
        hostpart = url.split("://", 1)[1] if parts is None else parts[3]
        parsed = urlparse("postgresql://" + hostpart)
        try:
            port = parsed.port
        except ValueError:
            port = -1
        if not parsed.hostname or not parsed.path.strip("/") or port == -1:
            raise StoreError(
                f"expected postgresql://user:password@host:port/database; got {describe(url)} "
                "(percent-encode special characters in the password: '@' as %40, '/' as %2F)"
            )
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parsed.path.strip("/")),
            "POSTGRES_HOST": parsed.hostname,
            "POSTGRES_PORT": str(port or 5432),
            "POSTGRES_USER": unquote(user),
            "POSTGRES_PASSWORD": unquote(password),
            "POSTGRES_CONNECT_TIMEOUT": os.environ.get("LOOPLEDGER_PG_CONNECT_TIMEOUT", "10"),
            **recorder,
        }
        return env
    path = url.removeprefix("sqlite:")
    if not path:
        raise StoreError("empty store path")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise StoreError(f"cannot create the store {path}: folder {parent} does not exist")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "APPLICATION_RECORDER_TOPIC": get_topic(SQLiteRecorder),
    }
