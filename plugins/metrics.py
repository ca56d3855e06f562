"""Built-in plugin ``metrics``: vendor financing, net revenue, concentration, coverage, gaps.

Each metric is registered through ``ledger_register_metrics`` like a user's, and computed from
projection states as of a date: the ``metrics.flows`` projection registered here (dated cash
flows, revenue reports, cash) and the valuation plugin's ``valuation.positions`` (commitments
after amendments, warrant grants, prices). ``compute(states, as_of, settings=None)`` returns
:class:`ledger.metrics.Figure` values; ``settings`` are the valuation assumptions used to price
warrants at their grant date (``[plugins.valuation]``: one set of assumptions for every warrant
figure, whichever command shows it).

Definitions, formulas and the ASC 606-10-32-25 reasoning: docs/valuation-and-metrics.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import attrs
import click

from ledger import hookimpl
from ledger.book import Entry
from ledger.events import Investment, Loan, Purchase, RevenueReport
from ledger.lazy import LazyLog
from ledger.metrics import AMOUNT_PRECISION, RATIO_PRECISION, Figure, quarter_ends, ratio
from ledger.projection import Projection
from ledger.values import WORLD
from plugins.valuation.holdings import Market, Settings, settings_of
from plugins.valuation.positions import NAME as POSITIONS
from plugins.valuation.positions import (
    CommitmentPosition,
    GrantPosition,
    Positions,
    contingent,
    tranche_holdings,
)
from plugins.valuation.valuer import FairValue, grant_date_fair_value

NAME = "metrics.flows"
CURRENCY = "USD"
"""Metrics add amounts of one currency; amounts in others are left out and named in ``detail``."""

ZERO = Decimal(0)
DAYS_PER_YEAR = Decimal(365)
BUYING_KINDS = ("purchase", "compute", "lease")
CASH_NOTE = (
    "ledger cash (assets:cash); several parties' cash starts from a placeholder opening "
    "balance in the bundled data (docs/dataset.md)"
)


# --- the flows projection ------------------------------------------------------------------------


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

    The flows and reports grow with the history; each is a :class:`ledger.lazy.LazyLog`, so a
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


FLOWS: Projection[Flows] = Projection(NAME, _initial, _apply, version="2", describe=_describe)


# --- what every metric reads ---------------------------------------------------------------------


@attrs.frozen
class Ledger:
    """The states one metric reads, with the date and the valuation settings."""

    as_of: dt.date
    positions: Positions
    flows: Flows
    settings: Settings
    left_out: list[str] = attrs.field(factory=list, eq=False)

    @classmethod
    def of(
        cls, states: Mapping[str, Any], as_of: dt.date | None, settings: Mapping[str, Any] | None
    ) -> Ledger | None:
        flows: Flows = states[NAME]
        day = as_of or flows.last_date
        if day is None:
            return None
        # A metric that reads only the flows runs without the valuation plugin's positions.
        positions = states.get(POSITIONS) or Positions()
        return cls(day, positions, flows, settings_of(settings or {}))

    def usd(self, items: Iterable[Any]) -> list[Any]:
        """Items in :data:`CURRENCY`; the ids of the others are kept for ``detail``."""
        kept = []
        for item in items:
            if item.currency == CURRENCY:
                kept.append(item)
            else:
                self.left_out.append(item.id)
        return kept

    def market(self) -> Market:
        return Market.build(self.as_of, self.positions.prices, self.positions.valuations, {})

    def purchases(self) -> list[Flow]:
        return self.usd(f for f in self.flows.purchases if f.date <= self.as_of)

    def owed_by(self, party: str) -> list[CommitmentPosition]:
        return self.usd(
            c for c in self.positions.commitments.values() if c.payer == party and c.outstanding
        )

    def fair_value(self, grant: GrantPosition) -> FairValue:
        if grant.currency != CURRENCY:
            self.left_out.append(grant.id)
            return FairValue(None, f"strike in {grant.currency}, metrics are in {CURRENCY}")
        tranches = tranche_holdings(self.positions, grant, unexercised=False)
        return grant_date_fair_value(tranches, grant.date, self.market(), self.settings)

    def detail(self, **items: Any) -> dict[str, Any]:
        if self.left_out:
            items["left_out_other_currencies"] = sorted(set(self.left_out))
        return items


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


def _ids(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for g in groups for i in g))


def _ratio_figure(
    metric: str,
    subject: str,
    numerator: Decimal,
    denominator: Decimal,
    inputs: Iterable[str],
    detail: dict[str, Any],
    unit: str = "ratio",
) -> Figure:
    return Figure(
        metric=metric,
        subject=subject,
        value=ratio(numerator, denominator),
        unit=unit,
        precision=RATIO_PRECISION,
        inputs=tuple(inputs),
        detail=detail,
    )


# --- vendor financing and net revenue ------------------------------------------------------------


def _warrants(
    ledger: Ledger, issuer: str, holder: str
) -> tuple[Decimal | None, list[Any], list[str]]:
    """Grant-date fair value of the warrants ``issuer`` granted ``holder`` (``None`` if unknown)."""
    total: Decimal | None = ZERO
    shown, inputs = [], []
    for g in ledger.positions.grants.values():
        if (g.issuer, g.holder) != (issuer, holder):
            continue
        fv = ledger.fair_value(g)
        inputs += [g.id, *fv.inputs]
        shown.append(
            {"grant": g.id, "fair_value_at_grant": fv.value, "reason": fv.reason, **fv.assumptions}
        )
        total = None if total is None or fv.value is None else total + fv.value
    return total, shown, inputs


def _financing(ledger: Ledger, supplier: str, customer: str) -> dict[str, Any]:
    flows = ledger.usd(
        f
        for f in ledger.flows.financing
        if (f.source, f.target) == (supplier, customer) and f.date <= ledger.as_of
    )
    warrants, grants, grant_inputs = _warrants(ledger, supplier, customer)
    invested = _sum(f.amount for f in flows if f.kind.startswith("investment"))
    lent = _sum(f.amount for f in flows if f.kind == "loan")
    return {
        "invested": invested,
        "lent": lent,
        "warrants_fair_value_at_grant": warrants,
        "total": None if warrants is None else invested + lent + warrants,
        "warrants": grants,
        "inputs": [f.id for f in flows] + grant_inputs,
    }


def _suppliers(ledger: Ledger) -> list[str]:
    found = {f.target for f in ledger.purchases() if f.source != WORLD}
    found |= {
        c.payee
        for c in ledger.positions.commitments.values()
        if c.kind in BUYING_KINDS and c.payer != WORLD
    }
    found |= {g.issuer for g in ledger.positions.grants.values()}
    return sorted(found - {WORLD})


def vendor_financing(
    states: Mapping[str, Any],
    as_of: dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Figure]:
    """Per supplier: (cash invested in + lent to its customers + grant-date fair value of the
    warrants granted to them) ÷ revenue the supplier recorded from those customers."""
    ledger = Ledger.of(states, as_of, settings)
    if ledger is None:
        return []
    figures = []
    for supplier in _suppliers(ledger):
        sales = [f for f in ledger.purchases() if f.target == supplier and f.source != WORLD]
        revenue: dict[str, Decimal] = {}
        for f in sales:
            revenue[f.source] = revenue.get(f.source, ZERO) + f.amount
        parts = {c: _financing(ledger, supplier, c) for c in sorted(revenue)}
        committed = sorted(
            (
                {
                    c.payer
                    for c in ledger.positions.commitments.values()
                    if c.payee == supplier and c.kind in BUYING_KINDS
                }
                | {g.holder for g in ledger.positions.grants.values() if g.issuer == supplier}
            )
            - set(revenue)
            - {WORLD}
        )
        others = {c: _financing(ledger, supplier, c) for c in committed}
        for c in committed:
            to_buy = [
                k
                for k in ledger.positions.commitments.values()
                if (k.payer, k.payee) == (c, supplier) and k.kind in BUYING_KINDS
            ]
            to_fund = [
                k for k in ledger.owed_by(supplier) if k.payee == c and k.kind == "investment"
            ]
            others[c]["purchase_commitments"] = [k.id for k in to_buy]
            others[c]["investment_commitments_outstanding"] = _sum(k.outstanding for k in to_fund)
            others[c]["investment_commitments"] = [k.id for k in to_fund]
            others[c]["inputs"] += [i for k in to_buy + to_fund for i in k.inputs]
        total_revenue = _sum(revenue.values())
        financing = [p["total"] for p in parts.values()]
        numerator = (
            None
            if any(t is None for t in financing)
            else _sum(t for t in financing if t is not None)
        )
        detail = ledger.detail(
            financing=numerator,
            revenue_from_customers=total_revenue,
            customers={
                c: {"revenue": revenue[c], **{k: v for k, v in parts[c].items() if k != "inputs"}}
                for c in parts
            },
            buyers_without_recorded_purchases={
                c: {k: v for k, v in others[c].items() if k != "inputs"} for c in others
            },
            definition="(invested + lent + grant-date fair value of warrants granted, to "
            "customers) ÷ revenue recorded from those customers; customers = parties that "
            "bought from the supplier",
        )
        if total_revenue == 0:
            detail["reason"] = (
                f"no recorded revenue from customers: no purchase from {supplier} by a modelled "
                f"party on or before {ledger.as_of.isoformat()}"
            ) + (
                f"; committed buyers without a recorded purchase: {', '.join(committed)} (see "
                "buyers_without_recorded_purchases)"
                if committed
                else ""
            )
        elif numerator is None:
            detail["reason"] = "a warrant's fair value at grant is unknown (see customers)"
        inputs = _ids(
            (f.id for f in sales),
            *(p["inputs"] for p in parts.values()),
            *(o["inputs"] for o in others.values()),
        )
        figures.append(
            Figure(
                metric="vendor_financing",
                subject=supplier,
                value=None if numerator is None else ratio(numerator, total_revenue),
                unit="ratio",
                precision=RATIO_PRECISION,
                inputs=inputs,
                detail=detail,
            )
        )
        figures.append(_with_commitments(ledger, supplier, revenue, parts | others))
    return figures


def _with_commitments(
    ledger: Ledger,
    supplier: str,
    revenue: Mapping[str, Decimal],
    financing: Mapping[str, dict[str, Any]],
) -> Figure:
    """The deal as announced: paid and promised financing ÷ recorded and committed buying.

    Why beside the paid ratio: in 2025 most of the loop is promises — NVIDIA's letter of intent
    against OpenAI's 10 GW, AMD's warrant against 6 GW — so the paid ratio is 0 or undefined
    exactly where the question is asked. Outstanding amounts are after amendments and
    draw-downs, so a purchase that drew a commitment down is counted once.
    """
    customers: dict[str, dict[str, Any]] = {}
    inputs: list[str] = []
    for c in sorted(financing):
        to_buy = ledger.usd(
            k
            for k in ledger.positions.commitments.values()
            if (k.payer, k.payee) == (c, supplier) and k.kind in BUYING_KINDS and k.outstanding
        )
        to_fund = [k for k in ledger.owed_by(supplier) if k.payee == c and k.kind == "investment"]
        paid = financing[c]["total"]
        promised = _sum(k.outstanding for k in to_fund)
        customers[c] = {
            "revenue_recorded": revenue.get(c, ZERO),
            "purchases_committed": _sum(k.outstanding for k in to_buy),
            "purchases_committed_binding": _sum(k.outstanding for k in to_buy if k.binding),
            "financing_paid": paid,
            "financing_promised": promised,
            "purchase_commitments": [k.id for k in to_buy],
            "investment_commitments": [k.id for k in to_fund],
        }
        inputs += financing[c]["inputs"] + [i for k in to_buy + to_fund for i in k.inputs]
    paid_total = [x["financing_paid"] for x in customers.values()]
    unknown = any(t is None for t in paid_total)
    numerator = _sum(t for t in paid_total if t is not None) + _sum(
        x["financing_promised"] for x in customers.values()
    )
    denominator = _sum(x["revenue_recorded"] + x["purchases_committed"] for x in customers.values())
    detail = ledger.detail(
        financing=None if unknown else numerator,
        buying=denominator,
        customers=customers,
        definition="(invested + lent + grant-date fair value of warrants granted + investment "
        "commitments outstanding, to customers) ÷ (revenue recorded from them + purchase "
        "commitments they owe the supplier, outstanding, binding or not); customers = parties "
        "that bought, committed to buy, or hold a warrant",
    )
    if unknown:
        detail["reason"] = "a warrant's fair value at grant is unknown (see customers)"
    elif denominator == 0:
        detail["reason"] = (
            f"no recorded revenue and no outstanding purchase commitment owed to {supplier}"
        )
    return Figure(
        metric="vendor_financing.committed",
        subject=supplier,
        value=None if unknown else ratio(numerator, denominator),
        unit="ratio",
        precision=RATIO_PRECISION,
        inputs=_ids(inputs),
        detail=detail,
    )


def net_revenue(
    states: Mapping[str, Any],
    as_of: dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Figure]:
    """Per vendor → customer: recorded revenue − grant-date fair value of the warrants the vendor
    granted that customer (consideration payable to a customer, ASC 606-10-32-25)."""
    ledger = Ledger.of(states, as_of, settings)
    if ledger is None:
        return []
    pairs: dict[tuple[str, str], list[Flow]] = {}
    for f in ledger.purchases():
        if f.source != WORLD:
            pairs.setdefault((f.target, f.source), []).append(f)
    for g in ledger.positions.grants.values():
        pairs.setdefault((g.issuer, g.holder), [])
    figures = []
    for (vendor, customer), sales in sorted(pairs.items()):
        gross = _sum(f.amount for f in sales)
        consideration, grants, grant_inputs = _warrants(ledger, vendor, customer)
        detail = ledger.detail(
            gross_revenue=gross,
            consideration_payable=consideration,
            warrants=grants,
            rule="ASC 606-10-32-25: consideration payable to a customer (here the grant-date "
            "fair value of warrants granted to it) reduces the transaction price unless it pays "
            "for a distinct good or service; this figure nets it against all revenue recorded "
            "from the customer to date",
        )
        net = None if consideration is None else gross - consideration
        if consideration is None:
            detail["reason"] = "a warrant's fair value at grant is unknown (see warrants)"
        elif net is not None and net < 0:
            detail["note"] = (
                "consideration exceeds the revenue recorded so far; under ASC 606-10-32-27 it "
                "reduces revenue as the vendor recognises the revenue it relates to"
            )
        figures.append(
            Figure(
                metric="net_revenue",
                subject=f"{vendor}→{customer}",
                value=net,
                unit=CURRENCY,
                precision=AMOUNT_PRECISION,
                inputs=_ids((f.id for f in sales), grant_inputs),
                detail=detail,
            )
        )
    return figures


# --- customer concentration ----------------------------------------------------------------------


def customer_concentration(
    states: Mapping[str, Any],
    as_of: dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Figure]:
    """Per seller: top-1 and top-3 customers' share of recorded revenue, and the HHI (0–1)."""
    ledger = Ledger.of(states, as_of, settings)
    if ledger is None:
        return []
    by_seller: dict[str, dict[str, Decimal]] = {}
    ids: dict[str, list[str]] = {}
    for f in ledger.purchases():
        revenue = by_seller.setdefault(f.target, {})
        revenue[f.source] = revenue.get(f.source, ZERO) + f.amount
        ids.setdefault(f.target, []).append(f.id)
    figures = []
    for seller, revenue in sorted(by_seller.items()):
        total = _sum(revenue.values())
        ranked = sorted(revenue.items(), key=lambda kv: (-kv[1], kv[0]))
        detail = ledger.detail(
            revenue=total,
            by_customer={c: {"revenue": a, "share": ratio(a, total)} for c, a in ranked},
            note=f"'{WORLD}' (every buyer outside the modelled set) counts as one customer",
        )
        top = [c for c, _ in ranked]
        figures += [
            _ratio_figure(
                "customer_concentration.top1",
                seller,
                ranked[0][1],
                total,
                ids[seller],
                detail | {"customers": top[:1]},
                unit="share",
            ),
            _ratio_figure(
                "customer_concentration.top3",
                seller,
                _sum(a for _, a in ranked[:3]),
                total,
                ids[seller],
                detail | {"customers": top[:3]},
                unit="share",
            ),
            _ratio_figure(
                "customer_concentration.hhi",
                seller,
                _sum(a * a for _, a in ranked),
                total * total,
                ids[seller],
                detail | {"scale": "0–1: Σ share² (× 10,000 for the points scale)"},
            ),
        ]
    return figures


# --- commitments: coverage and funding gap -------------------------------------------------------


def _annual_report(ledger: Ledger, party: str, measures: tuple[str, ...]) -> Report | None:
    """The latest whole-company report of ``party`` (by period end, then recorded order)."""
    chosen = None
    for r in ledger.usd(ledger.flows.reports):
        if r.party != party or r.measure not in measures or r.segment is not None:
            continue
        if r.date > ledger.as_of or r.period_end > ledger.as_of:
            continue
        if chosen is None or r.period_end >= chosen.period_end:
            chosen = r
    return chosen


def _commitments(
    owed: list[CommitmentPosition],
    part: Mapping[str, Decimal] | None = None,
    waiting: Mapping[str, tuple[Decimal, tuple[str, ...]]] | None = None,
) -> list[dict[str, Any]]:
    part = part if part is not None else {c.id: c.outstanding for c in owed}
    waiting = waiting or {}
    return [
        {
            "id": c.id,
            "payee": c.payee,
            "kind": c.kind,
            "binding": c.binding,
            "outstanding": c.outstanding,
            "counted": part[c.id],
            **(
                {"waiting_on_deliveries": waiting[c.id][0], "tranches_waiting": waiting[c.id][1]}
                if c.id in waiting and waiting[c.id][0]
                else {}
            ),
        }
        for c in owed
    ]


def commitment_coverage(
    states: Mapping[str, Any],
    as_of: dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Figure]:
    """Per party: outstanding commitments it owes (binding, non-binding) ÷ its latest annualised
    reported revenue — how many years of revenue the commitments take."""
    ledger = Ledger.of(states, as_of, settings)
    if ledger is None:
        return []
    payers = sorted(
        {c.payer for c in ledger.positions.commitments.values() if c.outstanding} - {WORLD}
    )
    figures = []
    for party in payers:
        owed = ledger.owed_by(party)
        report = _annual_report(ledger, party, ("revenue", "run_rate"))
        annual: dict[str, Any] = {}
        days = Decimal(1)
        if report is not None:
            period = (report.period_end - report.period_start).days + 1
            run_rate = report.measure == "run_rate"
            days = Decimal(1) if run_rate else Decimal(period)
            annual = {
                "report": report.id,
                "measure": report.measure,
                "period_start": report.period_start,
                "period_end": report.period_end,
                "period_days": period,
                "reported": report.amount,
                "annualised": report.amount
                if run_rate
                else ratio(report.amount * DAYS_PER_YEAR, Decimal(period)),
                "annualisation": "run rate as reported"
                if run_rate
                else "amount × 365 ÷ days in the period (both ends included)",
            }
        waiting = {c.id: contingent(ledger.positions, c) for c in owed}
        due = {c.id: c.outstanding - waiting[c.id][0] for c in owed}
        groups = (
            ("binding", [c for c in owed if c.binding and due[c.id]], due),
            (
                "contingent",
                [c for c in owed if c.binding and waiting[c.id][0]],
                {i: w[0] for i, w in waiting.items()},
            ),
            (
                "non_binding",
                [c for c in owed if not c.binding],
                {c.id: c.outstanding for c in owed},
            ),
        )
        for label, chosen, part in groups:
            amount = _sum(part[c.id] for c in chosen)
            detail = ledger.detail(
                owed=amount,
                commitments=_commitments(chosen, part, waiting),
                revenue=annual or None,
            )
            # owed ÷ (amount × 365 / days) computed as one quotient: owed × days ÷ (amount × 365)
            denominator = (
                ZERO
                if report is None
                else report.amount * (Decimal(1) if report.measure == "run_rate" else DAYS_PER_YEAR)
            )
            if report is None:
                detail["reason"] = (
                    f"no revenue or run-rate report of {party} (whole company) for a period "
                    f"ending on or before {ledger.as_of.isoformat()}"
                )
            if label == "contingent" and not chosen:
                continue
            figures.append(
                _ratio_figure(
                    f"commitment_coverage.{label}",
                    party,
                    amount * days,
                    denominator,
                    _ids(*(c.inputs for c in chosen), [report.id] if report else []),
                    detail,
                )
            )
    return figures


def funding_gap(
    states: Mapping[str, Any],
    as_of: dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Figure]:
    """Per party: outstanding commitments it owes − (its cash + investment commitments owed to it)."""
    ledger = Ledger.of(states, as_of, settings)
    if ledger is None:
        return []
    commitments = list(ledger.positions.commitments.values())
    payers = sorted({c.payer for c in commitments if c.outstanding} - {WORLD})
    figures = []
    for party in payers:
        owed = ledger.owed_by(party)
        funding = ledger.usd(
            c for c in commitments if c.payee == party and c.kind == "investment" and c.outstanding
        )
        cash = ledger.flows.cash.get((party, CURRENCY), ZERO)
        owed_all = _sum(c.outstanding for c in owed)
        owed_binding = _sum(c.outstanding for c in owed if c.binding)
        funded = _sum(c.outstanding for c in funding)
        funded_binding = _sum(c.outstanding for c in funding if c.binding)
        figures.append(
            Figure(
                metric="funding_gap",
                subject=party,
                value=owed_all - (cash + funded),
                unit=CURRENCY,
                precision=AMOUNT_PRECISION,
                inputs=_ids(
                    *(c.inputs for c in owed),
                    *(c.inputs for c in funding),
                    ledger.flows.cash_inputs.get(party, []),
                ),
                detail=ledger.detail(
                    owed=owed_all,
                    owed_binding=owed_binding,
                    cash=cash,
                    cash_note=CASH_NOTE,
                    investment_commitments_owed_to_it=funded,
                    binding_only=owed_binding - (cash + funded_binding),
                    commitments_owed=_commitments(owed),
                    commitments_owed_to_it=_commitments(funding),
                    sign="positive: a gap to fund; negative: covered",
                ),
            )
        )
    return figures


# --- loop share ----------------------------------------------------------------------------------


def loop_share(
    states: Mapping[str, Any],
    as_of: dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Figure]:
    """Per party, for its latest reported revenue: the part the ledger records as sales to
    modelled parties within the period ÷ the reported amount."""
    ledger = Ledger.of(states, as_of, settings)
    if ledger is None:
        return []
    figures = []
    for party in sorted({r.party for r in ledger.flows.reports}):
        report = _annual_report(ledger, party, ("revenue",))
        if report is None:
            continue
        sales = [
            f
            for f in ledger.purchases()
            if f.target == party and report.period_start <= f.date <= report.period_end
        ]
        modelled = [f for f in sales if f.source != WORLD]
        amount = _sum(f.amount for f in modelled)
        figures.append(
            _ratio_figure(
                "loop_share",
                party,
                amount,
                report.amount,
                _ids([report.id], (f.id for f in modelled)),
                ledger.detail(
                    report=report.id,
                    period_start=report.period_start,
                    period_end=report.period_end,
                    reported=report.amount,
                    from_modelled_parties=amount,
                    by_customer={f.id: {"buyer": f.source, "amount": f.amount} for f in modelled},
                    from_outside=_sum(f.amount for f in sales if f.source == WORLD),
                ),
                unit="share",
            )
        )
    return figures


# --- registration --------------------------------------------------------------------------------

BOTH = (POSITIONS, NAME)
FLOWS_ONLY = (NAME,)
METRICS: dict[str, tuple[Callable[..., list[Figure]], tuple[str, ...], str]] = {
    "vendor_financing": (
        vendor_financing,
        BOTH,
        "(invested + lent + warrant fair value at grant) to customers ÷ revenue from them",
    ),
    "net_revenue": (
        net_revenue,
        BOTH,
        "revenue per vendor and customer after consideration payable (ASC 606-10-32-25)",
    ),
    "customer_concentration": (
        customer_concentration,
        FLOWS_ONLY,
        "top-1 and top-3 customers' share of recorded revenue, and HHI (0–1)",
    ),
    "commitment_coverage": (
        commitment_coverage,
        BOTH,
        "outstanding commitments owed ÷ latest annualised reported revenue",
    ),
    "funding_gap": (
        funding_gap,
        BOTH,
        "commitments owed − (cash + investment commitments owed to it)",
    ),
    "loop_share": (
        loop_share,
        FLOWS_ONLY,
        "share of the latest reported revenue recorded as sales to modelled parties",
    ),
}
"""name → (compute, the projections it reads, description)."""


@hookimpl
def ledger_register_projections(register: Callable[..., None]) -> None:
    register(FLOWS)


@hookimpl
def ledger_register_metrics(register: Callable[..., None]) -> None:
    for name, (compute, requires, description) in METRICS.items():
        register(name, compute, requires=requires, description=description)


# --- the command ---------------------------------------------------------------------------------


def _accepts_settings(compute: Callable[..., Any]) -> bool:
    try:
        return "settings" in inspect.signature(compute).parameters
    except (TypeError, ValueError):
        return False


def _json_item(name: str, item: Any) -> dict[str, Any]:
    """A figure as JSON; a user metric may return plain mappings, kept as given."""
    if isinstance(item, Figure):
        return item.to_json()
    if isinstance(item, Mapping):
        return {"metric": name, **item}
    return {"metric": name, "value": item}


def figures_as_of(
    states: Mapping[str, Any],
    as_of: dt.date | None,
    specs: Iterable[Any],
    settings: Settings,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every registered metric computed from ``states``, as JSON-ready rows, and the metrics
    skipped because a projection they need is missing (its plugin disabled or quarantined)."""
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for spec in specs:
        missing = [r for r in spec.requires if r not in states]
        if missing:
            skipped.append(f"{spec.name} (needs {', '.join(missing)})")
            continue
        extra = {"settings": settings} if _accepts_settings(spec.compute) else {}
        rows += [_json_item(spec.name, item) for item in spec.compute(states, as_of, **extra)]
    return rows, skipped


def _note(row: Mapping[str, Any]) -> str:
    detail = row.get("detail") or {}
    return str(detail.get("reason") or detail.get("note") or "")


def _shown(row: Mapping[str, Any]) -> str:
    value = row.get("value")
    if value is None:
        return "None"
    unit = row.get("unit")
    if unit in ("ratio", "share") or not isinstance(value, str):
        return str(value)
    billions = (Decimal(value) / Decimal(10) ** 9).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_EVEN
    )
    return f"{billions:,}B {unit}"


def _csv(series: list[tuple[dt.date | None, list[dict[str, Any]]]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["as_of", "metric", "subject", "value", "unit", "inputs", "note"])
    for day, rows in series:
        for r in rows:
            writer.writerow(
                [
                    day.isoformat() if day else "",
                    r.get("metric", ""),
                    r.get("subject", ""),
                    "" if r.get("value") is None else r["value"],
                    r.get("unit", ""),
                    " ".join(r.get("inputs", [])),
                    _note(r),
                ]
            )
    return out.getvalue()


def _print(series: list[tuple[dt.date | None, list[dict[str, Any]]]]) -> None:
    from ledger.output import console, table

    out = console()
    for day, rows in series:
        out.print(
            table(
                f"Metrics as of {day}",
                ["metric", "subject", "value", "note"],
                [(r.get("metric", ""), r.get("subject", ""), _shown(r), _note(r)) for r in rows],
                right=["value"],
            )
        )
    out.print(
        f"Ratios: {RATIO_PRECISION}. Amounts here in billions, half-even to 3 decimals "
        "(--json and --csv: exact). Every figure's inputs and components: --json.",
        markup=False,
    )


@hookimpl
def ledger_register_commands(cli: click.Group) -> None:
    from ledger.cli_support import as_of_option, exit_on_failures, json_option
    from ledger.output import print_json

    @cli.command("metrics")
    @as_of_option
    @click.option(
        "--by",
        type=click.Choice(["quarter"]),
        default=None,
        help="A time series: the figures at every calendar quarter end from the first event's "
        "quarter to the last (or --as-of).",
    )
    @click.option("--metric", "-m", "names", multiple=True, help="Only this metric (repeatable).")
    @json_option
    @click.option("--csv", "as_csv", is_flag=True, help="CSV: one row per figure.")
    @click.pass_obj
    def metrics_command(
        session: Any,
        as_of: dt.date | None,
        by: str | None,
        names: tuple[str, ...],
        as_json: bool,
        as_csv: bool,
    ) -> None:
        """Vendor-financing ratios, net revenue after consideration payable to customers
        (ASC 606-10-32-25), customer concentration, commitment coverage, funding gaps and the
        loop share of reported revenue — as of a date, or by quarter.

        Every figure lists the event ids it was computed from. Ratios are exact quotients (50
        significant digits) shown rounded half-even to 6 decimals; amounts are exact. Warrants
        are priced at their grant date with the [plugins.valuation] assumptions.
        """
        from ledger.errors import InputError, Problem

        if as_json and as_csv:
            raise InputError(Problem(field="--csv", message="give --json or --csv, not both"))
        settings = Settings.from_config(session.plugins.plugin_config("valuation"))
        specs = session.plugins.metrics()
        known = {s.name for s in specs}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise InputError(
                Problem(
                    field="--metric",
                    message=f"no metric named '{unknown[0]}' (known: {', '.join(sorted(known))})",
                )
            )
        if names:
            specs = [s for s in specs if s.name in names]
        engine = session.engine()
        result = engine.run(as_of=as_of)
        needed = sorted({r for s in specs for r in s.requires})
        exit_on_failures(result, *needed)
        flows = result.states.get(NAME)
        last = as_of or result.book.max_date
        if by == "quarter":
            first = flows.first_date if isinstance(flows, Flows) else None
            days: list[dt.date | None] = list(quarter_ends(first, last)) if first and last else []
        else:
            days = [last]
        series: list[tuple[dt.date | None, list[dict[str, Any]]]] = []
        skipped: list[str] = []
        for day in days:
            states = result.states if day == last and by is None else engine.run(as_of=day).states
            rows, skipped = figures_as_of(states, day, specs, settings) if day else ([], [])
            series.append((day, rows))
        for s in skipped:
            click.echo(f"warning: metric {s} was skipped", err=True)
        precision = {"ratios": RATIO_PRECISION, "amounts": AMOUNT_PRECISION}
        assumptions = settings.describe()
        if as_csv:
            click.echo(_csv(series), nl=False)
        elif as_json and by is None:
            day, rows = series[0]
            print_json(
                {"as_of": day, "precision": precision, "assumptions": assumptions, "figures": rows}
            )
        elif as_json:
            print_json(
                {
                    "by": by,
                    "precision": precision,
                    "assumptions": assumptions,
                    "series": [{"as_of": d, "figures": rows} for d, rows in series],
                }
            )
        else:
            _print(series)
