"""``-O html``: a command's answer as one self-contained page in the web face's style.

Why the web face's renderer and stylesheet: the page reads like the app's and the one-file
report's (the same inlined, pinned styles; no script, nothing fetched), so it can be attached or
published as it is. Every cell is the exact text ``-O csv`` prints — no rounding, no markup:
names from other people's files are escaped like every value the templates show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.faces.web.render import render

if TYPE_CHECKING:
    from ledger.api.tables import Table

RIGHT_KINDS = ("decimal", "int")


def table_page(records: Table, title: str) -> str:
    """The rows of ``records`` as an HTML document titled ``title`` (numbers right-aligned)."""
    rows = records.text_rows()
    return render(
        "table.html",
        report=True,
        title=title,
        columns=[c.name for c in records.columns],
        right={c.name for c in records.columns if c.kind in RIGHT_KINDS},
        rows=rows,
        note=f"{len(rows):,} rows, every value exact (as -O csv prints it).",
    )
