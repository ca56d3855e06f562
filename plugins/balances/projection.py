"""The ``balances`` projection: the sum of every posting per party, account and commodity."""

from __future__ import annotations

from decimal import Decimal

from ledger.book import Entry
from ledger.engine.projection import Projection
from ledger.model.values import amount_text

Balances = dict[tuple[str, str, str], Decimal]
NAME = "balances"


def initial() -> Balances:
    return {}


def apply(state: Balances, entry: Entry) -> Balances:
    for p in entry.postings:
        key = (p.party, p.account, p.commodity)
        state[key] = state.get(key, Decimal(0)) + p.quantity
    return state


def rows(state: Balances, party: str | None = None) -> list[dict[str, str]]:
    """Non-zero balances sorted by party, account, commodity, as JSON-ready rows."""
    return [
        {"party": k[0], "account": k[1], "commodity": k[2], "amount": amount_text(v, k[2])}
        for k, v in sorted(state.items())
        if v != 0 and (party is None or k[0] == party)
    ]


PROJECTION = Projection(
    NAME, initial, apply, version="1", describe=lambda s: {"balances": rows(s)}, eager=True
)
