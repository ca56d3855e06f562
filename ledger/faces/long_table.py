"""Long tables written as plain aligned text, in time linear in their rows.

Why: rich lays out every cell of a table (measuring, wrapping, cropping) before printing it; for
the 130,000 accounts of a 100k-event store that is 30 s of CPU for a listing ledger-cli prints in
under a second. Past ``LONG`` rows the faces print this instead: the same columns, aligned, no
wrapping (a long cell widens its column), nothing held but the rows themselves. Cells are
other people's text: control and bidi characters in them are written as visible escapes, as in
rich tables (a newline or an ANSI escape in a name would break the alignment or the terminal).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from ledger.model.safetext import visible

LONG = 2_000
"""Rows from which a table is written plainly (a terminal still gets rich's boxes below it)."""


def write_long_table(
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    right: Iterable[str] = (),
    out: TextIO | None = None,
) -> int:
    """Write ``rows`` under ``columns`` (those named in ``right`` right-aligned); return the
    number of rows written."""
    stream = out if out is not None else sys.stdout
    columns = [visible(c) for c in columns]
    cells = [[visible(str(v)) for v in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    flush = set(right)
    aligned = [c in flush for c in columns]

    def line(row: Sequence[str]) -> str:
        parts = [
            cell.rjust(w) if r else cell.ljust(w)
            for cell, w, r in zip(row, widths, aligned, strict=True)
        ]
        return "  ".join(parts).rstrip() + "\n"

    if title:
        stream.write(visible(title) + "\n")
    stream.write(line(list(columns)))
    stream.write("  ".join("-" * w for w in widths) + "\n")
    stream.writelines(map(line, cells))
    return len(cells)
