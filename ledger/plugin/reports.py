"""A report as plain data — title, sections of paragraphs and tables — that renderers turn into text.

Why data first: the demo, a user's script and a plugin can build one report and have it written
as Markdown, plain text or whatever format a plugin registers (``ledger_register_renderers``).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs


@attrs.frozen
class Table:
    """Rows of already-formatted cells (rounding, if any, happened when the cell was made)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    right: frozenset[str] = frozenset()


@attrs.frozen
class Section:
    """A heading with paragraphs, tables and images, in that order."""

    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    images: tuple[tuple[str, str], ...] = ()  # (alt text, relative path)


@attrs.frozen
class Source:
    """Where figures in a report come from: one source address, its confidence, and the
    recorded events (and fact-table rows) that cite it."""

    url: str
    confidence: str
    """The confidence of the events citing it (``stated``, ``reported``, ``estimate``; several
    joined with ``, `` when the events differ)."""
    events: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()

    @property
    def is_link(self) -> bool:
        return self.url.startswith(("https://", "http://"))


@attrs.frozen
class Report:
    title: str
    sections: tuple[Section, ...]
    footnotes: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    """The sources of the figures shown, for a renderer that lays them out itself; the built-in
    report also lists them in its last section, so every renderer shows them."""


def table(
    columns: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[str] = ()
) -> Table:
    """Build a :class:`Table` from any cell values (``str()`` of each)."""
    return Table(tuple(columns), tuple(tuple(str(c) for c in r) for r in rows), frozenset(right))
