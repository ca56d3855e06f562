"""Beancount export (``loopledger export --format beancount``): checked by ``bean-check``.

Beancount wants its five root accounts, capitalised account components and upper-case currency
names; :class:`~ledger.histories.exports.names.Names` maps loopledger's accounts and commodities
to such names, and the export declares each with its loopledger name as metadata (``open`` and
``commodity`` directives, dated on the first exported event). A transaction per recorded event,
with the event's id, type, confidence, source, note, override, position and status as metadata; a
per-share price is also a ``price`` directive. Beancount balances each transaction per currency
— loopledger's postings already do, so no cost or price is attached to any posting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ledger.histories.exports.journal import describe, metadata, names_for
from ledger.histories.exports.view import Journal
from ledger.model.amounts import format_decimal
from ledger.model.events import Price
from ledger.model.values import shares

SUFFIX = ".beancount"


def quoted(text: str) -> str:
    """A beancount string: backslash and double quote escaped, on one line."""
    flat = " ".join(text.split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(journal: Journal, title: str | None = None) -> Iterator[str]:
    names = names_for(journal, "beancount")
    opened = (journal.first_date or dt.date(1970, 1, 1)).isoformat()
    yield f'option "title" {quoted(title or "loopledger export")}'
    if journal.as_of is not None:
        yield f"; events dated on or before {journal.as_of.isoformat()}"
    yield "; one transaction per recorded event; amounts exact"
    yield ""
    for commodity, name in sorted(names.commodities.items(), key=lambda kv: kv[1]):
        yield f"{opened} commodity {name}"
        yield f"  loopledger: {quoted(commodity)}"
    yield ""
    for (party, account), name in sorted(names.accounts.items(), key=lambda kv: kv[1]):
        yield f"{opened} open {name}"
        yield f"  party: {quoted(party)}"
        yield f"  loopledger: {quoted(account)}"
    for t in journal.transactions():
        yield ""
        e = t.event
        if isinstance(e, Price) and e.per_share is not None and t.status == "recorded":
            yield (
                f"{e.date.isoformat()} price {names.symbol(shares(e.party))} "
                f"{format_decimal(e.per_share.amount)} {names.symbol(e.per_share.currency)}"
            )
        yield f"{e.date.isoformat()} * {quoted(describe(t))}"
        for key, value in metadata(t):
            yield f"  {key}: {quoted(value)}"
        for p in t.postings:
            if p.quantity == 0:
                continue
            yield (
                f"  {names.account(p.party, p.account)}  "
                f"{format_decimal(p.quantity)} {names.symbol(p.commodity)}"
            )
