"""Vendor financing (what a supplier put into its customers ÷ revenue from them) and net revenue
after consideration payable to customers (ASC 606-10-32-25)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from ledger.model.values import WORLD
from ledger.plugin.evidence import EventIds, Tally
from ledger.plugin.figures import AMOUNT_PRECISION, RATIO_PRECISION, Figure, ratio
from plugins.metrics.flows import BUYING_KINDS, CURRENCY, ZERO, Sales
from plugins.metrics.inputs import (
    Inputs,
    add_commitment,
    add_fair_value,
    add_ids,
    sum_of,
)
from plugins.metrics.thin_sales import sales_base, too_few
from plugins.valuation.api import CommitmentPosition


def _warrants(basis: Inputs, issuer: str, holder: str) -> tuple[Decimal | None, list[Any], Tally]:
    """Grant-date fair value of the warrants ``issuer`` granted ``holder`` (``None`` if unknown)."""
    total: Decimal | None = ZERO
    shown = []
    inputs = Tally()
    for g in basis.grants_between(issuer, holder):
        fv = basis.fair_value(g)
        add_fair_value(inputs, g, fv)
        shown.append(
            {"grant": g.id, "fair_value_at_grant": fv.value, "reason": fv.reason, **fv.assumptions}
        )
        total = None if total is None or fv.value is None else total + fv.value
    return total, shown, inputs


@attrs.define
class _Part:
    """One customer's share of a supplier's figures, with what it rests on (in order)."""

    shown: dict[str, Any]
    flows: tuple[str, EventIds]
    grants: Tally
    commitments: list[tuple[CommitmentPosition, bool]] = attrs.Factory(list)

    def add_to(self, tally: Tally) -> None:
        add_ids(tally, *self.flows)
        merge(tally, self.grants)
        for c, draws_counted in self.commitments:
            add_commitment(tally, c, draws_counted=draws_counted)


def merge(tally: Tally, other: Tally) -> None:
    tally.list(other.ids)
    for key, total in other.counts().items():
        tally.count(key, total)


def _financing(basis: Inputs, supplier: str, customer: str) -> _Part:
    flows = basis.financing(supplier, customer)
    warrants, grants, grant_inputs = _warrants(basis, supplier, customer)
    invested, lent = flows.invested, flows.lent
    return _Part(
        {
            "invested": invested,
            "lent": lent,
            "warrants_fair_value_at_grant": warrants,
            "total": None if warrants is None else invested + lent + warrants,
            "warrants": grants,
        },
        (f"financing:{supplier}:{customer}", flows.ids),
        grant_inputs,
    )


def _suppliers(basis: Inputs) -> list[str]:
    found = {seller for seller, buyer in basis.sales() if buyer != WORLD}
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
    sales = basis.sales()
    for supplier in _suppliers(basis):
        revenue: dict[str, Decimal] = {
            buyer: found.amount
            for (seller, buyer), found in sales.items()
            if seller == supplier and buyer != WORLD
        }
        parts = {c: _financing(basis, supplier, c) for c in sorted(revenue)}
        committed = sorted(
            (
                {c.payer for c in basis.commitments_to(supplier) if c.kind in BUYING_KINDS}
                | {g.holder for g in basis.grants_of(supplier)}
            )
            - set(revenue)
            - {WORLD}
        )
        others = {c: _financing(basis, supplier, c) for c in committed}
        for c in committed:
            to_buy = [k for k in basis.commitments_between(c, supplier) if k.kind in BUYING_KINDS]
            to_fund = [
                k for k in basis.owed_by(supplier) if k.payee == c and k.kind == "investment"
            ]
            other = others[c]
            other.shown["purchase_commitments"] = [k.id for k in to_buy]
            other.shown["investment_commitments_outstanding"] = sum_of(
                k.outstanding for k in to_fund
            )
            other.shown["investment_commitments"] = [k.id for k in to_fund]
            # A draw on an investment commitment the supplier owes c is one of its flows to c.
            other.commitments += [(k, False) for k in to_buy] + [(k, True) for k in to_fund]
        total_revenue = sum_of(revenue.values())
        financing = [p.shown["total"] for p in parts.values()]
        numerator = (
            None
            if any(t is None for t in financing)
            else sum_of(t for t in financing if t is not None)
        )
        detail = basis.detail(
            financing=numerator,
            revenue_from_customers=total_revenue,
            customers={c: {"revenue": revenue[c], **parts[c].shown} for c in parts},
            buyers_without_recorded_purchases={c: dict(others[c].shown) for c in others},
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
        base = sales_base(basis.flows.days.get(supplier), set(revenue))
        detail["sales_base"] = base.to_json()
        computed = None if numerator is None else ratio(numerator, total_revenue)
        thin = too_few(base) if numerator is not None else None
        if thin is not None:
            detail["reason"], detail["computed"] = thin, computed
        inputs = Tally()
        add_ids(inputs, f"sold_to_modelled:{supplier}", basis.sold_to_modelled(supplier))
        for part in [*parts.values(), *others.values()]:
            part.add_to(inputs)
        figures.append(
            Figure(
                metric="vendor_financing",
                subject=supplier,
                value=None if thin is not None else computed,
                unit="ratio",
                precision=RATIO_PRECISION,
                inputs=inputs.ids,
                inputs_total=inputs.total,
                detail=detail,
            )
        )
        figures.append(_with_commitments(basis, supplier, revenue, parts | others))
    return figures


def _with_commitments(
    basis: Inputs,
    supplier: str,
    revenue: Mapping[str, Decimal],
    financing: Mapping[str, _Part],
) -> Figure:
    """The deal as announced: paid and promised financing ÷ recorded and committed buying.

    Why beside the paid ratio: in 2025 most of the loop is promises — NVIDIA's letter of intent
    against OpenAI's 10 GW, AMD's warrant against 6 GW — so the paid ratio is 0 or undefined
    exactly where the question is asked. Outstanding amounts are after amendments and
    draw-downs, so a purchase that drew a commitment down is counted once.
    """
    customers: dict[str, dict[str, Any]] = {}
    inputs = Tally()
    for c in sorted(financing):
        to_buy = basis.usd(
            k
            for k in basis.commitments_between(c, supplier)
            if k.kind in BUYING_KINDS and k.outstanding
        )
        to_fund = [k for k in basis.owed_by(supplier) if k.payee == c and k.kind == "investment"]
        paid = financing[c].shown["total"]
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
        financing[c].add_to(inputs)
        for k in to_buy:
            add_commitment(inputs, k)
        for k in to_fund:
            add_commitment(inputs, k, draws_counted=True)  # its draws are flows to c
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
        inputs=inputs.ids,
        inputs_total=inputs.total,
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
    pairs: dict[tuple[str, str], Sales | None] = {
        (seller, buyer): found for (seller, buyer), found in basis.sales().items() if buyer != WORLD
    }
    for g in basis.positions.grants.values():
        pairs.setdefault((g.issuer, g.holder), None)
    figures = []
    for (vendor, customer), sales in sorted(pairs.items()):
        gross = sales.amount if sales is not None else ZERO
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
        inputs = Tally()
        if sales is not None:
            add_ids(inputs, f"sales:{vendor}:{customer}", sales.ids)
        merge(inputs, grant_inputs)
        figures.append(
            Figure(
                metric="net_revenue",
                subject=f"{vendor}→{customer}",
                value=net,
                unit=CURRENCY,
                precision=AMOUNT_PRECISION,
                inputs=inputs.ids,
                inputs_total=inputs.total,
                detail=detail,
            )
        )
    return figures
