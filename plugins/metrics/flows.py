"""The ``metrics.flows`` projection: dated cash flows, revenue reports and cash, per party."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from ledger.book import Entry
from ledger.engine.lazy import LazyLog
from ledger.engine.projection import Projection
from ledger.model.events import Investment, Loan, Purchase, RevenueReport, ShareIssue
from ledger.model.values import WORLD

NAME = "metrics.flows"
CURRENCY = "USD"
"""Metrics add amounts of one currency; amounts in others are left out and named in ``detail``."""

ZERO = Decimal(0)
DAYS_PER_YEAR = Decimal(365)
BUYING_KINDS = ("purchase", "compute", "lease")
CASH_NOTE = (
    "ledger cash (assets:cash): only the cash the history records; where it gives no cash "
    "balance for a party that pays, this is below zero and verify notes the overdraft"
)


@attrs.frozen
class Flow:
    """Cash from ``source`` to ``target``: a purchase, an investment or a loan."""

    id: str
    date: dt.date
    source: str
    target: str
    amount: Decimal
    currency: str
    kind: str  # "purchase", "investment:<instrument>", "loan"


@attrs.frozen
class Report:
    """A revenue report as recorded."""

    id: str
    date: dt.date
    party: str
    period_start: dt.date
    period_end: dt.date
    amount: Decimal
    currency: str
    measure: str
    segment: str | None


@attrs.define
class Flows:
    """Dated flows and reports, and each party's cash, as of the last folded entry.

    The flows and reports grow with the history; each is a :class:`ledger.engine.lazy.LazyLog`, so a
    catch-up from a checkpoint appends to them without decoding them.
    """

    purchases: LazyLog[Flow] = attrs.Factory(LazyLog)
    financing: LazyLog[Flow] = attrs.Factory(LazyLog)
    reports: LazyLog[Report] = attrs.Factory(LazyLog)
    cash: dict[tuple[str, str], Decimal] = attrs.Factory(dict)  # (party, currency)
    cash_inputs: dict[str, list[str]] = attrs.Factory(dict)
    first_date: dt.date | None = None
    last_date: dt.date | None = None


def _initial() -> Flows:
    return Flows()


def _apply(state: Flows, entry: Entry) -> Flows:
    e = entry.event
    if state.first_date is None or e.date < state.first_date:
        state.first_date = e.date
    if state.last_date is None or e.date > state.last_date:
        state.last_date = e.date
    if isinstance(e, Purchase):
        m = e.amount
        state.purchases.append(
            Flow(e.id, e.date, e.buyer, e.seller, m.amount, m.currency, "purchase")
        )
    elif isinstance(e, Investment):
        m = e.amount
        kind = f"investment:{e.instrument}"
        state.financing.append(
            Flow(e.id, e.date, e.investor, e.investee, m.amount, m.currency, kind)
        )
    elif isinstance(e, ShareIssue):
        # Stock handed to a customer as consideration finances it like an investment would.
        m = e.value
        state.financing.append(
            Flow(e.id, e.date, e.issuer, e.holder, m.amount, m.currency, "investment:share_issue")
        )
    elif isinstance(e, Loan):
        m = e.amount
        state.financing.append(
            Flow(e.id, e.date, e.lender, e.borrower, m.amount, m.currency, "loan")
        )
    elif isinstance(e, RevenueReport):
        state.reports.append(
            Report(
                e.id,
                e.date,
                e.party,
                e.period_start,
                e.period_end,
                e.amount.amount,
                e.amount.currency,
                e.measure,
                e.segment,
            )
        )
    seen: list[str] = []
    for p in entry.postings:
        if p.account == "assets:cash" and p.party != WORLD:
            key = (p.party, p.commodity)
            state.cash[key] = state.cash.get(key, ZERO) + p.quantity
            if p.party not in seen:
                seen.append(p.party)
                state.cash_inputs.setdefault(p.party, []).append(e.id)
    return state


def _describe(state: Flows) -> dict[str, Any]:
    return {
        "purchases": [attrs.asdict(f) for f in state.purchases],
        "financing": [attrs.asdict(f) for f in state.financing],
        "reports": [attrs.asdict(r) for r in state.reports],
        "cash": [
            {"party": p, "currency": c, "amount": a, "inputs": state.cash_inputs.get(p, [])}
            for (p, c), a in state.cash.items()
        ],
        "first_date": state.first_date,
        "last_date": state.last_date,
    }


FLOWS: Projection[Flows] = Projection(NAME, _initial, _apply, version="3", describe=_describe)
