"""What every metric reads: the states, the date and the valuation settings, and small helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from ledger.plugin.figures import RATIO_PRECISION, Figure, ratio
from plugins.metrics.flows import CURRENCY, NAME, ZERO, Flow, Flows
from plugins.valuation.api import NAME as POSITIONS
from plugins.valuation.api import (
    CommitmentPosition,
    FairValue,
    GrantPosition,
    Market,
    Positions,
    Settings,
    grant_date_fair_value,
    settings_of,
    tranche_holdings,
)


@attrs.frozen
class Inputs:
    """The states one metric reads, with the date and the valuation settings."""

    as_of: dt.date
    positions: Positions
    flows: Flows
    settings: Settings
    left_out: list[str] = attrs.field(factory=list, eq=False)

    @classmethod
    def of(
        cls, states: Mapping[str, Any], as_of: dt.date | None, settings: Mapping[str, Any] | None
    ) -> Inputs | None:
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


def sum_of(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


def merged_ids(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for g in groups for i in g))


def ratio_figure(
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
