"""Encryption at rest: which key opens a store, and what of a store it protects.

Why: an auditor's store holds a company's whole deal history; a copy on a laptop, a backup or a
shared PostgreSQL server should tell a reader without the key nothing beyond its shape. With a
key (``loopledger keygen`` makes one; ``$LOOPLEDGER_KEY`` holds it, or ``$LOOPLEDGER_KEY_FILE`` /
``--key-file`` names a file holding it), every record, stored posting and checkpoint body is
encrypted and authenticated with AES-256-GCM (eventsourcing's cipher over the ``cryptography``
package), and the event-id index holds a keyed digest of each id instead of the id. What stays
readable is listed in docs/security.md: the number of records and their sizes, each event's type
and date in the index, checkpoint names, positions and chain links.

A store says whether it is encrypted: a ``loopledger_meta`` row holds a known phrase encrypted
with the key it was made with. Opening it checks that row first, so a missing or wrong key is
one message before anything is read, and a key given for a plain store is refused rather than
silently ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import stat
from pathlib import Path
from typing import Final

from ledger.model.problems import StoreError

KEY_ENV: Final = "LOOPLEDGER_KEY"
KEY_FILE_ENV: Final = "LOOPLEDGER_KEY_FILE"
KEY_BYTES: Final = 32
CIPHER_TOPIC: Final = "eventsourcing.cryptography:AESCipher"
MARK: Final = "encryption"
"""The meta row whose presence says "encrypted"; its value is :data:`PHRASE` under the key."""
PHRASE: Final = b"loopledger key check v1"
SCHEME: Final = "aes-256-gcm"


def new_key() -> str:
    """A fresh random key, base64 (what ``loopledger keygen`` prints)."""
    from eventsourcing.cryptography import AESCipher

    return str(AESCipher.create_key(KEY_BYTES))


def parse_key(text: str, where: str) -> bytes:
    """The 32 key bytes of ``text`` (base64, as ``keygen`` prints it); one message otherwise."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise StoreError(
            f"{where} is not a loopledger key: expected {KEY_BYTES} bytes in base64 "
            "(44 characters, as 'loopledger keygen' prints)"
        )
    return key


def read_key_file(path: str) -> bytes:
    """The key in ``path``; refused when others may read the file (as ssh refuses such keys)."""
    file = Path(path)
    try:
        mode = file.stat().st_mode
        if not stat.S_ISREG(mode):
            raise StoreError(f"key file {path} is not a regular file")
        if mode & 0o077:
            raise StoreError(
                f"key file {path} may be read by others (mode {stat.S_IMODE(mode):o}): "
                f"run 'chmod 600 {path}'"
            )
        text = file.read_text("ascii")
    except StoreError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read key file {path}: {exc}") from None
    return parse_key(text, f"key file {path}")


def configured_key() -> bytes | None:
    """The key this process was given: ``$LOOPLEDGER_KEY``, else ``$LOOPLEDGER_KEY_FILE``, else None."""
    text = os.environ.get(KEY_ENV)
    path = os.environ.get(KEY_FILE_ENV)
    if text and path:
        raise StoreError(
            f"both ${KEY_ENV} and a key file (--key-file or ${KEY_FILE_ENV}) are given: give one"
        )
    if text:
        return parse_key(text, f"${KEY_ENV}")
    if path:
        return read_key_file(path)
    return None


class Sealer:
    """The cipher of one key, and the keyed digest that stands for an event id in the index."""

    def __init__(self, key: bytes) -> None:
        # Imported here: the cryptography package costs ~150 ms of start-up that a command on a
        # plain store never needs.
        from eventsourcing.cryptography import AESCipher
        from eventsourcing.utils import Environment

        self.cipher_key = base64.b64encode(key).decode()
        self.cipher = AESCipher(Environment(env={"CIPHER_KEY": self.cipher_key}))
        self._index_key = hashlib.sha256(b"loopledger index id\x00" + key).digest()

    @property
    def environment(self) -> dict[str, str]:
        """What eventsourcing's factory needs to encrypt the record table with this key."""
        return {"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": self.cipher_key}

    def index_id(self, event_id: str) -> str:
        """What the index stores for ``event_id``: deterministic (lookups work), keyed (no dictionary)."""
        digest = hmac.new(self._index_key, event_id.encode(), hashlib.sha256).hexdigest()
        return "k:" + digest[:40]

    def seal_text(self, text: str) -> str:
        return base64.b64encode(self.cipher.encrypt(text.encode())).decode()

    def open_text(self, sealed: str) -> str:
        return self.cipher.decrypt(base64.b64decode(sealed)).decode()

    def mark(self) -> bytes:
        return bytes(self.cipher.encrypt(PHRASE))

    def opens(self, mark: bytes) -> bool:
        try:
            return bool(self.cipher.decrypt(bytes(mark)) == PHRASE)
        except ValueError:
            return False
