"""Double-entry postings: (party, account, commodity, signed quantity).

A NamedTuple rather than an attrs class because millions are created on replay; it is just as
immutable. Positive quantities are debits (assets, expenses), negative are credits (liabilities,
equity, income) — the hledger/beancount sign convention.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple


class Posting(NamedTuple):
    """One leg of an event: ``quantity`` of ``commodity`` on ``party``'s ``account``."""

    party: str
    account: str
    commodity: str
    quantity: Decimal


def sums_by_commodity(postings: Iterable[Posting]) -> dict[str, Decimal]:
    """Σ quantity per commodity; a balanced set gives all zeros."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for p in postings:
        totals[p.commodity] += p.quantity
    return dict(totals)


def unbalanced(postings: Iterable[Posting]) -> dict[str, Decimal]:
    """The commodities whose postings do not sum to zero, with their residual."""
    return {c: s for c, s in sums_by_commodity(postings).items() if s != 0}


def transfer(
    commodity: str,
    quantity: Decimal,
    debit: tuple[str, str],
    credit: tuple[str, str],
) -> tuple[Posting, Posting]:
    """Two balanced legs: ``+quantity`` to ``debit=(party, account)``, ``-quantity`` to ``credit``."""
    return (
        Posting(debit[0], debit[1], commodity, quantity),
        Posting(credit[0], credit[1], commodity, -quantity),
    )
