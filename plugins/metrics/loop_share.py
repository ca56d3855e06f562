"""Loop share: the share of a party's latest reported revenue recorded as sales to modelled parties."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ledger.plugin.evidence import Tally
from ledger.plugin.figures import Figure
from plugins.metrics.commitments import annual_report
from plugins.metrics.flows import period_sales
from plugins.metrics.inputs import Inputs, ratio_figure


def loop_share(
    states: Mapping[str, Any],
    as_of: dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Figure]:
    """Per party, for its latest reported revenue: the part the basis records as sales to
    modelled parties within the period ÷ the reported amount."""
    basis = Inputs.of(states, as_of, settings)
    if basis is None:
        return []
    figures = []
    for party in sorted(basis.flows.reporting):
        report = annual_report(basis, party, ("revenue",))
        if report is None:
            continue
        basis.sales()  # names the sales left out for their currency
        amount, outside, count, listed = period_sales(
            basis.flows, party, report.period_start, report.period_end
        )
        inputs = Tally()
        inputs.add_ids([report.id])
        inputs.add(
            f"sales:{party}:{report.period_start}:{report.period_end}",
            (i for _, i, _, _ in listed),
            count,
        )
        by_customer = {i: {"buyer": buyer, "amount": a} for _, i, buyer, a in listed}
        detail = basis.detail(
            report=report.id,
            period_start=report.period_start,
            period_end=report.period_end,
            reported=report.amount,
            from_modelled_parties=amount,
            by_customer=by_customer,
            from_outside=outside,
        )
        if count > len(by_customer):
            detail["by_customer_total"] = count  # by_customer lists the first sales only
        figures.append(
            ratio_figure("loop_share", party, amount, report.amount, inputs, detail, unit="share")
        )
    return figures
