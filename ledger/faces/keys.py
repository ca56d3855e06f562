"""The commands of encryption at rest: ``keygen`` makes a key, ``encrypt`` copies a store under one.

Why here and not in a plugin: which key opens a store is part of opening it, like ``--store``,
so it belongs to the core command line (the key itself is handled by the store layer).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ledger.api.facade import Ledger, encrypt_store
from ledger.model.problems import StoreError
from ledger.store import describe, encryption


@click.command("keygen")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the key to this new file (mode 600) instead of printing it.",
)
def keygen_command(out: Path | None) -> None:
    """Make a new encryption key (AES-256, base64).

    Keep it outside the store: with it in $LOOPLEDGER_KEY, or in a file named by --key-file,
    a new store is encrypted and an encrypted store opens. Lose it and the store cannot be read.
    """
    key = encryption.new_key()
    if out is None:
        click.echo(key)
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(out, flags, 0o600)
    except FileExistsError:
        raise StoreError(f"{out} exists: keygen never overwrites a key") from None
    except OSError as exc:
        raise StoreError(f"cannot create {out}: {exc.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    click.echo(f"wrote a new key to {out} (mode 600)", err=True)


@click.command("encrypt")
@click.option(
    "--out",
    "target",
    required=True,
    metavar="PATH|URL",
    help="The new encrypted store (a SQLite file that does not exist yet, or an empty PostgreSQL database).",
)
@click.option(
    "--source-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The key of the source store when it is itself encrypted (to move it to a new key).",
)
@click.pass_obj
def encrypt_command(session: Ledger, target: str, source_key_file: Path | None) -> None:
    """Copy the store (--store) into a new store encrypted with the key given.

    The key is $LOOPLEDGER_KEY or --key-file. Records are copied byte for byte, so the copy's
    hash chain equals the original's and 'verify' holds on both; checkpoints are folded again
    on first use.
    """
    source_key = (
        encryption.read_key_file(str(source_key_file)) if source_key_file is not None else None
    )
    copied = encrypt_store(session.store_url, target, source_key=source_key)
    click.echo(
        f"copied {copied} records from {session.location} into {describe(target)} (encrypted)"
    )
