"""The export formats by name, and writing one to a file or a stream."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from ledger.engine import Engine
from ledger.histories.exports import beancount, csv_rows, hledger, jsonl, ledger_cli
from ledger.histories.exports.view import Journal, read_journal

Renderer = Callable[[Journal, str | None], Iterator[str]]

FORMATS: dict[str, tuple[Renderer, str]] = {
    "hledger": (hledger.render, hledger.SUFFIX),
    "ledger": (ledger_cli.render, ledger_cli.SUFFIX),
    "beancount": (beancount.render, beancount.SUFFIX),
    "csv": (csv_rows.render, csv_rows.SUFFIX),
    "jsonl": (jsonl.render, jsonl.SUFFIX),
}
"""name → (render, usual file suffix)."""


def export(journal: Journal, fmt: str, title: str | None = None) -> Iterator[str]:
    """The lines of ``journal`` in format ``fmt`` (without line ends)."""
    render, _ = FORMATS[fmt]
    return render(journal, title)


def write_export(
    engine: Engine,
    fmt: str,
    out: Path | IO[str],
    *,
    as_of: dt.date | None = None,
    title: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Journal:
    """Fold the store as of ``as_of`` and write it in ``fmt`` to a path or an open text stream.

    A file is written beside its target and moved into place, so a failed export never leaves
    half a journal behind.
    """
    journal = read_journal(engine, as_of, progress)
    if isinstance(out, Path):
        partial = out.with_name(out.name + ".partial")
        with partial.open("w", encoding="utf-8", newline="\n") as stream:
            for line in export(journal, fmt, title):
                stream.write(line + "\n")
        partial.replace(out)
    else:
        for line in export(journal, fmt, title):
            out.write(line + "\n")
    return journal
