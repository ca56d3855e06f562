"""The grant-date fair value of each warrant stake, from the valuation plugin, for the equity layer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledger.engine import Result

__all__ = ["warrant_fair_values"]


def warrant_fair_values(ledger: Any, result: Result, currency: str = "USD") -> dict[str, Decimal]:
    """Grant id → grant-date fair value (the valuation plugin's barrier model, its settings), for
    the warrant stakes of the equity layer; empty when the valuation plugin is not loaded.

    Why fair value: an unvested warrant that needs the issuer's stock at $600 is not worth its
    intrinsic value on the day it is granted; its grant-date fair value is what the holder got
    (and what ASC 606 deducts from the issuer's revenue). A grant the model cannot price (no
    price on or before its grant date) is left out and keeps its intrinsic value (0).
    """
    from plugins.valuation import api as valuation

    if valuation.NAME not in result.states:  # a run that did not fold it (unknown: skipped)
        result = ledger.run(result.as_of, names=[valuation.NAME])
        if valuation.NAME not in result.states:  # the valuation plugin is disabled
            return {}
    positions = result.states[valuation.NAME]
    day = result.as_of or result.max_date
    if day is None:
        return {}
    settings = valuation.Settings.from_config(ledger.plugins.plugin_config("valuation"))
    market = valuation.Market.build(day, positions.prices, positions.valuations, {})
    found: dict[str, Decimal] = {}
    for grant in positions.grants.values():
        if grant.currency != currency:
            continue
        tranches = valuation.tranche_holdings(positions, grant, unexercised=False)
        fair = valuation.grant_date_fair_value(tranches, grant.date, market, settings)
        if fair.value is not None:
            found[grant.id] = fair.value
    return found
