"""Whose derived data to trust: the key that signs checkpoints and stored postings.

A store holds two kinds of bytes. Its *records* are the history: every record carries its content
hash and a chain link, so ``loopledger verify`` proves them. Everything else — projection
checkpoints, the book's checkpoint, the postings kept beside each record — is *derived*: a pure
function of the records, kept only so that a query does not refold a million events. A store
someone sends you could carry derived bytes that disagree with its own records (so ``balances``
would say what ``verify`` refutes), or bytes crafted to attack a decoder.

So: derived bytes are only ever decoded as plain data (orjson, then typed builders — never
``pickle``), and they are used only when they carry a MAC made with *your* key, which lives
outside every store: ``$LOOPLEDGER_DERIVED_KEY`` (64 hex digits), else a file created on first
use at ``$XDG_STATE_HOME/loopledger/derived.key`` (``~/.local/state/…``), mode 0600. Derived
bytes made with another key, or altered, are ignored and computed again from the records. A team
that shares one PostgreSQL store gives everyone the same key so that they share the derived data
too.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
from pathlib import Path
from typing import Final

from ledger.model.problems import StoreError

ENV: Final = "LOOPLEDGER_DERIVED_KEY"
_blake = hashlib.blake2b
MAC_BYTES: Final = 16


def key_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "loopledger" / "derived.key"


@functools.cache
def _key(env_value: str | None, path: str) -> bytes:
    if env_value:
        try:
            key = bytes.fromhex(env_value.strip())
        except ValueError:
            key = b""
        if len(key) != 32:
            raise StoreError(f"${ENV} must be 64 hex digits (32 bytes); it is not")
        return key
    file = Path(path)
    try:
        return bytes.fromhex(file.read_text("ascii").strip())
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read the derived-data key {file}: {exc}") from None
    key = secrets.token_bytes(32)
    try:
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return bytes.fromhex(file.read_text("ascii").strip())
    except OSError as exc:
        raise StoreError(f"cannot create the derived-data key {file}: {exc}") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(key.hex() + "\n")
    return key


_WHERE: dict[tuple[str | None, ...], str] = {}


def key() -> bytes:
    """This user's derived-data key (created on first use).

    Called for every stored posting, so where the key lives is worked out once per setting of
    the environment variables that decide it.
    """
    env = os.environ
    settings = (env.get(ENV), env.get("XDG_STATE_HOME"), env.get("HOME"))
    where = _WHERE.get(settings)
    if where is None:
        where = _WHERE[settings] = str(key_path())
    return _key(settings[0], where)


def key_id() -> str:
    """A short public name of the key: which checkpoints in a store are ours."""
    return hashlib.sha256(b"loopledger derived key id:" + key()).hexdigest()[:16]


class Signer:
    """MACs under one key, looked up once: a fold or an append signs or checks a row per
    event, and finding the key (three environment lookups) cost more than the hash."""

    __slots__ = ("_keyed",)

    def __init__(self, key_bytes: bytes) -> None:
        self._keyed = _blake(key=key_bytes, digest_size=MAC_BYTES)

    def mac(self, *parts: bytes) -> bytes:
        h = self._keyed.copy()
        for part in parts:
            h.update(len(part).to_bytes(8, "big"))
            h.update(part)
        return h.digest()

    def verified(self, expected: bytes, *parts: bytes) -> bool:
        return secrets.compare_digest(self.mac(*parts), bytes(expected))


def signer() -> Signer:
    """A :class:`Signer` under this user's key as the environment names it now."""
    return Signer(key())


def mac(*parts: bytes) -> bytes:
    """The MAC of ``parts`` under this user's key (BLAKE2b keyed, 16 bytes)."""
    return signer().mac(*parts)


def verified(expected: bytes, *parts: bytes) -> bool:
    return signer().verified(expected, *parts)
