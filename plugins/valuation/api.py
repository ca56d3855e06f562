"""What other plugins may use of the valuation plugin: settings, the market, positions, fair values
and the report. Import from here, not from the modules behind it (the layering test enforces it)."""

from __future__ import annotations

from plugins.valuation.holdings import Holding, Market, Settings, Valuation, settings_of
from plugins.valuation.positions import (
    NAME,
    CommitmentPosition,
    GrantPosition,
    Positions,
    contingent,
    tranche_holdings,
)
from plugins.valuation.report import assumptions, report, value_answer
from plugins.valuation.valuer import FairValue, grant_date_fair_value

__all__ = [
    "NAME",
    "CommitmentPosition",
    "FairValue",
    "GrantPosition",
    "Holding",
    "Market",
    "Positions",
    "Settings",
    "Valuation",
    "assumptions",
    "contingent",
    "grant_date_fair_value",
    "report",
    "settings_of",
    "tranche_holdings",
    "value_answer",
]
