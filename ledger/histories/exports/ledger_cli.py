"""ledger-cli journal export (``loopledger export --format ledger``): read by ``ledger -f FILE``.

The shared journal text (:mod:`ledger.histories.exports.journal`) with ledger-cli's block
declarations (``account`` / ``commodity`` with a ``note``) and the metadata keys declared as
``tag`` directives, so ``ledger --pedantic`` accepts it.
"""

from __future__ import annotations

from collections.abc import Iterator

from ledger.histories.exports.journal import lines
from ledger.histories.exports.view import Journal

SUFFIX = ".ledger"


def render(journal: Journal, title: str | None = None) -> Iterator[str]:
    return lines(journal, dialect="ledger", title=title)
