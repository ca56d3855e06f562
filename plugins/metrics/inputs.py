"""What every metric reads: the states, the date and the valuation settings, and small helpers.

The basis answers the questions metrics ask of the two states — a seller's sales, a pair's
financing, what a party owes — from their aggregates, indexing the instruments once per
metric so that no metric scans every commitment for every pair. Amounts in a currency other
than :data:`~plugins.metrics.flows.CURRENCY` are left out and their event ids named in the
detail (``left_out_other_currencies``, the first :data:`~ledger.plugin.evidence.INPUTS_LISTED`,
with ``left_out_other_currencies_total`` when there are more).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from ledger.plugin import evidence
from ledger.plugin.evidence import EventIds, Tally
from ledger.plugin.figures import RATIO_PRECISION, Figure, ratio
from plugins.metrics.flows import CURRENCY, NAME, ZERO, Financing, Flows, Sales
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


class LeftOut:
    """Groups of events left out for their currency: listed ids, counted once per group."""

    def __init__(self) -> None:
        self._groups: dict[str, tuple[tuple[str, ...], int]] = {}

    def add(self, key: str, ids: Iterable[str], total: int) -> None:
        if key not in self._groups:
            self._groups[key] = (tuple(ids), total)

    def __bool__(self) -> bool:
        return bool(self._groups)

    def detail(self) -> dict[str, Any]:
        listed = sorted({i for ids, _ in self._groups.values() for i in ids})
        total = sum(n for _, n in self._groups.values())
        found: dict[str, Any] = {"left_out_other_currencies": listed[: evidence.INPUTS_LISTED]}
        if total > len(found["left_out_other_currencies"]):
            found["left_out_other_currencies_total"] = total
        return found


@attrs.frozen
class Inputs:
    """The states one metric reads, with the date and the valuation settings."""

    as_of: dt.date
    positions: Positions
    flows: Flows
    settings: Settings
    left_out: LeftOut = attrs.field(factory=LeftOut, eq=False)
    _cache: dict[str, Any] = attrs.field(factory=dict, eq=False, alias="cache")

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

    # --- flows ------------------------------------------------------------------------------------

    def sales(self) -> dict[tuple[str, str], Sales]:
        """``{(seller, buyer): sales}`` in :data:`CURRENCY` (the others are left out)."""
        for (seller, buyer, currency), found in self.flows.sales.items():
            if currency != CURRENCY:
                key = f"sales:{seller}:{buyer}:{currency}"
                self.left_out.add(key, found.ids, found.ids.total)
        if "sales" not in self._cache:
            self._cache["sales"] = {
                (s, b): found for (s, b, c), found in self.flows.sales.items() if c == CURRENCY
            }
        usd: dict[tuple[str, str], Sales] = self._cache["sales"]
        return usd

    def sold(self, seller: str) -> EventIds:
        """The ids of ``seller``'s sales in :data:`CURRENCY` to anyone, in recorded order."""
        return self.flows.sold.get(seller) or EventIds()

    def sold_to_modelled(self, seller: str) -> EventIds:
        """The ids of ``seller``'s sales in :data:`CURRENCY` to modelled parties, in order."""
        return self.flows.sold_to_modelled.get(seller) or EventIds()

    def financing(self, source: str, target: str) -> Financing:
        """What ``source`` invested in and lent to ``target`` in :data:`CURRENCY`."""
        index: dict[tuple[str, str], list[tuple[str, Financing]]] = self._index(
            "financing",
            lambda: (((s, t), (c, f)) for (s, t, c), f in self.flows.financing.items()),
        )
        usd = Financing()
        for currency, found in index.get((source, target), ()):
            if currency == CURRENCY:
                usd = found
            else:
                self.left_out.add(
                    f"financing:{source}:{target}:{currency}", found.ids, found.ids.total
                )
        return usd

    # --- positions --------------------------------------------------------------------------------

    def _index(self, name: str, pairs: Callable[[], Iterable[tuple[Any, Any]]]) -> Any:
        """``{key: [values]}`` of ``pairs()``, in their order, made once per metric."""
        if name not in self._cache:
            index: dict[Any, list[Any]] = {}
            for key, value in pairs():
                index.setdefault(key, []).append(value)
            self._cache[name] = index
        return self._cache[name]

    def commitments_between(self, payer: str, payee: str) -> list[CommitmentPosition]:
        """Commitments ``payer`` owes ``payee`` (any currency, any amount), in recorded order."""
        index = self._index(
            "between",
            lambda: (((c.payer, c.payee), c) for c in self.positions.commitments.values()),
        )
        found: list[CommitmentPosition] = index.get((payer, payee), [])
        return found

    def commitments_to(self, payee: str) -> list[CommitmentPosition]:
        """Commitments owed to ``payee`` (any currency, any amount), in recorded order."""
        index = self._index(
            "to", lambda: ((c.payee, c) for c in self.positions.commitments.values())
        )
        found: list[CommitmentPosition] = index.get(payee, [])
        return found

    def owed_by(self, party: str) -> list[CommitmentPosition]:
        index = self._index(
            "by", lambda: ((c.payer, c) for c in self.positions.commitments.values())
        )
        return self.usd(c for c in index.get(party, ()) if c.outstanding)

    def grants_between(self, issuer: str, holder: str) -> list[GrantPosition]:
        index = self._index(
            "grants", lambda: (((g.issuer, g.holder), g) for g in self.positions.grants.values())
        )
        found: list[GrantPosition] = index.get((issuer, holder), [])
        return found

    def grants_of(self, issuer: str) -> list[GrantPosition]:
        index = self._index(
            "grants_of", lambda: ((g.issuer, g) for g in self.positions.grants.values())
        )
        found: list[GrantPosition] = index.get(issuer, [])
        return found

    def usd(self, items: Iterable[Any]) -> list[Any]:
        """Instruments in :data:`CURRENCY`; the ids of the others are kept for ``detail``."""
        kept = []
        for item in items:
            if item.currency == CURRENCY:
                kept.append(item)
            else:
                self.left_out.add(f"event:{item.id}", (item.id,), 1)
        return kept

    def market(self) -> Market:
        if "market" not in self._cache:
            self._cache["market"] = Market.build(
                self.as_of, self.positions.prices, self.positions.valuations, {}
            )
        market: Market = self._cache["market"]
        return market

    def fair_value(self, grant: GrantPosition) -> FairValue:
        if grant.currency != CURRENCY:
            self.left_out.add(f"event:{grant.id}", (grant.id,), 1)
            return FairValue(None, f"strike in {grant.currency}, metrics are in {CURRENCY}")
        key = f"fair_value:{grant.id}"
        if key not in self._cache:
            tranches = tranche_holdings(self.positions, grant, unexercised=False)
            self._cache[key] = grant_date_fair_value(
                tranches, grant.date, self.market(), self.settings
            )
        found: FairValue = self._cache[key]
        return found

    def detail(self, **items: Any) -> dict[str, Any]:
        if self.left_out:
            items |= self.left_out.detail()
        return items


def sum_of(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


def add_commitment(
    tally: Tally, c: CommitmentPosition, *, draws_counted: bool = False, as_cash: bool = False
) -> None:
    """A commitment's inputs; with ``draws_counted`` the figure already counts its draws (the
    payer's flows to the payee), so only the rest is counted. With ``as_cash`` too, the draws
    were counted as the payer's cash movements, which a draw booked without a cash leg
    (``settlement: prior``) is not: those still count here."""
    counted = (c.draws - (c.cashless_draws if as_cash else 0)) if draws_counted else 0
    tally.add(f"commitment:{c.id}", c.inputs, c.inputs.total - counted)


def add_fair_value(tally: Tally, grant: GrantPosition, fv: FairValue) -> None:
    """A warrant grant's id and what its fair value at grant rests on (the grant alone when
    the fair value is unknown)."""
    if not fv.counts:
        tally.add_ids((grant.id,))
        return
    tally.list((grant.id, *fv.inputs))
    for key, total in fv.counts.items():
        tally.count(key, total)


def add_ids(tally: Tally, key: str, ids: EventIds) -> None:
    tally.add(key, ids, ids.total)


def ratio_figure(
    metric: str,
    subject: str,
    numerator: Decimal,
    denominator: Decimal,
    inputs: Tally,
    detail: dict[str, Any],
    unit: str = "ratio",
) -> Figure:
    return Figure(
        metric=metric,
        subject=subject,
        value=ratio(numerator, denominator),
        unit=unit,
        precision=RATIO_PRECISION,
        inputs=inputs.ids,
        inputs_total=inputs.total,
        detail=detail,
    )
