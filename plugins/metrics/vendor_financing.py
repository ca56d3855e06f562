"""Vendor financing (what a supplier put into its customers ÷ revenue from them) and net revenue
after consideration payable to customers (ASC 606-10-32-25)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledger.model.values import WORLD
from ledger.plugin.figures import AMOUNT_PRECISION, RATIO_PRECISION, Figure, ratio
from plugins.metrics.flows import BUYING_KINDS, CURRENCY, ZERO, Flow
from plugins.metrics.inputs import Inputs, merged_ids, sum_of


def _warrants(
    basis: Inputs, issuer: str, holder: str
) -> tuple[Decimal | None, list[Any], list[str]]:
    """Grant-date fair value of the warrants ``issuer`` granted ``holder`` (``None`` if unknown)."""
    total: Decimal | None = ZERO
    shown, inputs = [], []
    for g in basis.positions.grants.values():
        if (g.issuer, g.holder) != (issuer, holder):
            continue
        fv = basis.fair_value(g)
        inputs += [g.id, *fv.inputs]
        shown.append(
            {"grant": g.id, "fair_value_at_grant": fv.value, "reason": fv.reason, **fv.assumptions}
        )
        total = None if total is None or fv.value is None else total + fv.value
    return total, shown, inputs


def _financing(basis: Inputs, supplier: str, customer: str) -> dict[str, Any]:
    flows = basis.usd(
        f
        for f in basis.flows.financing
        if (f.source, f.target) == (supplier, customer) and f.date <= basis.as_of
    )
    warrants, grants, grant_inputs = _warrants(basis, supplier, customer)
    invested = sum_of(f.amount for f in flows if f.kind.startswith("investment"))
    lent = sum_of(f.amount for f in flows if f.kind == "loan")
    return {
        "invested": invested,
        "lent": lent,
        "warrants_fair_value_at_grant": warrants,
        "total": None if warrants is None else invested + lent + warrants,
        "warrants": grants,
        "inputs": [f.id for f in flows] + grant_inputs,
    }


def _suppliers(basis: Inputs) -> list[str]:
    found = {f.target for f in basis.purchases() if f.source != WORLD}
    found |= {
        c.payee
        for c in basis.positions.commitments.values()
        if c.kind in BUYING_KINDS and c.payer != WORLD
    }
    found |= {g.issuer for g in basis.positions.grants.values()}
    return sorted(found - {WORLD})


def vendor_financing(
    states: Mapping[str, Any],
    as_of: dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Figure]:
    """Per supplier: (cash invested in + lent to its customers + grant-date fair value of the
    warrants granted to them) ÷ revenue the supplier recorded from those customers."""
    basis = Inputs.of(states, as_of, settings)
    if basis is None:
        return []
    figures = []
    for supplier in _suppliers(basis):
        sales = [f for f in basis.purchases() if f.target == supplier and f.source != WORLD]
        revenue: dict[str, Decimal] = {}
        for f in sales:
            revenue[f.source] = revenue.get(f.source, ZERO) + f.amount
        parts = {c: _financing(basis, supplier, c) for c in sorted(revenue)}
        committed = sorted(
            (
                {
                    c.payer
                    for c in basis.positions.commitments.values()
                    if c.payee == supplier and c.kind in BUYING_KINDS
                }
                | {g.holder for g in basis.positions.grants.values() if g.issuer == supplier}
            )
            - set(revenue)
            - {WORLD}
        )
        others = {c: _financing(basis, supplier, c) for c in committed}
        for c in committed:
            to_buy = [
                k
                for k in basis.positions.commitments.values()
                if (k.payer, k.payee) == (c, supplier) and k.kind in BUYING_KINDS
            ]
            to_fund = [
                k for k in basis.owed_by(supplier) if k.payee == c and k.kind == "investment"
            ]
            others[c]["purchase_commitments"] = [k.id for k in to_buy]
            others[c]["investment_commitments_outstanding"] = sum_of(k.outstanding for k in to_fund)
            others[c]["investment_commitments"] = [k.id for k in to_fund]
            others[c]["inputs"] += [i for k in to_buy + to_fund for i in k.inputs]
        total_revenue = sum_of(revenue.values())
        financing = [p["total"] for p in parts.values()]
        numerator = (
            None
            if any(t is None for t in financing)
            else sum_of(t for t in financing if t is not None)
        )
        detail = basis.detail(
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
                f"party on or before {basis.as_of.isoformat()}"
            ) + (
                f"; committed buyers without a recorded purchase: {', '.join(committed)} (see "
                "buyers_without_recorded_purchases)"
                if committed
                else ""
            )
        elif numerator is None:
            detail["reason"] = "a warrant's fair value at grant is unknown (see customers)"
        inputs = merged_ids(
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
        figures.append(_with_commitments(basis, supplier, revenue, parts | others))
    return figures


def _with_commitments(
    basis: Inputs,
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
        to_buy = basis.usd(
            k
            for k in basis.positions.commitments.values()
            if (k.payer, k.payee) == (c, supplier) and k.kind in BUYING_KINDS and k.outstanding
        )
        to_fund = [k for k in basis.owed_by(supplier) if k.payee == c and k.kind == "investment"]
        paid = financing[c]["total"]
        promised = sum_of(k.outstanding for k in to_fund)
        customers[c] = {
            "revenue_recorded": revenue.get(c, ZERO),
            "purchases_committed": sum_of(k.outstanding for k in to_buy),
            "purchases_committed_binding": sum_of(k.outstanding for k in to_buy if k.binding),
            "financing_paid": paid,
            "financing_promised": promised,
            "purchase_commitments": [k.id for k in to_buy],
            "investment_commitments": [k.id for k in to_fund],
        }
        inputs += financing[c]["inputs"] + [i for k in to_buy + to_fund for i in k.inputs]
    paid_total = [x["financing_paid"] for x in customers.values()]
    unknown = any(t is None for t in paid_total)
    numerator = sum_of(t for t in paid_total if t is not None) + sum_of(
        x["financing_promised"] for x in customers.values()
    )
    denominator = sum_of(
        x["revenue_recorded"] + x["purchases_committed"] for x in customers.values()
    )
    detail = basis.detail(
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
        inputs=merged_ids(inputs),
        detail=detail,
    )


def net_revenue(
    states: Mapping[str, Any],
    as_of: dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Figure]:
    """Per vendor → customer: recorded revenue − grant-date fair value of the warrants the vendor
    granted that customer (consideration payable to a customer, ASC 606-10-32-25)."""
    basis = Inputs.of(states, as_of, settings)
    if basis is None:
        return []
    pairs: dict[tuple[str, str], list[Flow]] = {}
    for f in basis.purchases():
        if f.source != WORLD:
            pairs.setdefault((f.target, f.source), []).append(f)
    for g in basis.positions.grants.values():
        pairs.setdefault((g.issuer, g.holder), [])
    figures = []
    for (vendor, customer), sales in sorted(pairs.items()):
        gross = sum_of(f.amount for f in sales)
        consideration, grants, grant_inputs = _warrants(basis, vendor, customer)
        detail = basis.detail(
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
                inputs=merged_ids((f.id for f in sales), grant_inputs),
                detail=detail,
            )
        )
    return figures
