"""Loop share: the share of a party's latest reported revenue recorded as sales to modelled parties."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ledger.model.values import WORLD
from ledger.plugin.figures import Figure
from plugins.metrics.commitments import annual_report
from plugins.metrics.inputs import Inputs, merged_ids, ratio_figure, sum_of


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
    for party in sorted({r.party for r in basis.flows.reports}):
        report = annual_report(basis, party, ("revenue",))
        if report is None:
            continue
        sales = [
            f
            for f in basis.purchases()
            if f.target == party and report.period_start <= f.date <= report.period_end
        ]
        modelled = [f for f in sales if f.source != WORLD]
        amount = sum_of(f.amount for f in modelled)
        figures.append(
            ratio_figure(
                "loop_share",
                party,
                amount,
                report.amount,
                merged_ids([report.id], (f.id for f in modelled)),
                basis.detail(
                    report=report.id,
                    period_start=report.period_start,
                    period_end=report.period_end,
                    reported=report.amount,
                    from_modelled_parties=amount,
                    by_customer={f.id: {"buyer": f.source, "amount": f.amount} for f in modelled},
                    from_outside=sum_of(f.amount for f in sales if f.source == WORLD),
                ),
                unit="share",
            )
        )
    return figures
