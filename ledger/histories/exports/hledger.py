"""hledger journal export (``loopledger export --format hledger``): read by ``hledger -f FILE``.

The shared journal text (:mod:`ledger.histories.exports.journal`) with hledger's
``decimal-mark`` directive, so no amount such as ``1.000`` is ever read as a thousands group,
and declarations as one-line directives whose comments carry the loopledger names as tags.
"""

from __future__ import annotations

from collections.abc import Iterator

from ledger.histories.exports.journal import lines
from ledger.histories.exports.view import Journal

SUFFIX = ".journal"


def render(journal: Journal, title: str | None = None) -> Iterator[str]:
    return lines(journal, dialect="hledger", title=title)
