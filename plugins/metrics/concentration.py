"""Customer concentration: top-1 and top-3 customers' share of recorded revenue, and HHI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from ledger.model.values import WORLD
from ledger.plugin.evidence import Tally
from ledger.plugin.figures import Figure, ratio
from plugins.metrics.inputs import Inputs, add_ids, ratio_figure, sum_of
from plugins.metrics.thin_sales import sales_base, too_few


def customer_concentration(
    states: Mapping[str, Any],
    as_of: dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Figure]:
    """Per seller: top-1 and top-3 customers' share of recorded revenue, and the HHI (0–1).

    A seller whose recorded sales are too few to mean anything (:mod:`.thin_sales`: fewer than
    three, or one day's bookings above half the revenue) gets no value — one booking would
    otherwise read as "100% of its customers" — with the reason and the exact quotient kept in
    ``detail`` (``computed``)."""
    basis = Inputs.of(states, as_of, settings)
    if basis is None:
        return []
    by_seller: dict[str, dict[str, Decimal]] = {}
    for (seller, buyer), found in basis.sales().items():
        by_seller.setdefault(seller, {})[buyer] = found.amount
    figures = []
    for seller, revenue in sorted(by_seller.items()):
        ids = Tally()
        add_ids(ids, f"sold:{seller}", basis.sold(seller))
        total = sum_of(revenue.values())
        ranked = sorted(revenue.items(), key=lambda kv: (-kv[1], kv[0]))
        detail = basis.detail(
            revenue=total,
            by_customer={c: {"revenue": a, "share": ratio(a, total)} for c, a in ranked},
            note=f"'{WORLD}' (every buyer outside the modelled set) counts as one customer",
        )
        top = [c for c, _ in ranked]
        base = sales_base(basis.flows.days.get(seller))
        thin = too_few(base)
        detail["sales_base"] = base.to_json()
        made = [
            ratio_figure(
                "customer_concentration.top1",
                seller,
                ranked[0][1],
                total,
                ids,
                detail | {"customers": top[:1]},
                unit="share",
            ),
            ratio_figure(
                "customer_concentration.top3",
                seller,
                sum_of(a for _, a in ranked[:3]),
                total,
                ids,
                detail | {"customers": top[:3]},
                unit="share",
            ),
            ratio_figure(
                "customer_concentration.hhi",
                seller,
                sum_of(a * a for _, a in ranked),
                total * total,
                ids,
                detail | {"scale": "0–1: Σ share² (× 10,000 for the points scale)"},
            ),
        ]
        if thin is not None:
            made = [
                attrs.evolve(
                    f, value=None, detail=dict(f.detail) | {"reason": thin, "computed": f.value}
                )
                for f in made
            ]
        figures += made
    return figures
