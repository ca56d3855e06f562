"""Built-in plugin ``metrics``: vendor financing, net revenue, concentration, coverage, gaps.

Each metric is registered through ``ledger_register_metrics`` like a user's, and computed from
projection states as of a date: the ``metrics.flows`` projection registered here (dated cash
flows, revenue reports, cash) and the valuation plugin's ``valuation.positions`` (commitments
after amendments, warrant grants, prices). ``compute(states, as_of, settings=None)`` returns
:class:`ledger.plugin.figures.Figure` values; ``settings`` are the valuation assumptions used to price
warrants at their grant date (``[plugins.valuation]``: one set of assumptions for every warrant
figure, whichever command shows it).

Definitions, formulas and the ASC 606-10-32-25 reasoning: docs/valuation-and-metrics.md.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from ledger import hookimpl
from ledger.plugin.figures import Figure
from ledger.plugin.registry import register_each
from plugins.metrics.api import metrics_answer
from plugins.metrics.commands import add_commands
from plugins.metrics.commitments import commitment_coverage, funding_gap
from plugins.metrics.concentration import customer_concentration
from plugins.metrics.flows import FLOWS, NAME
from plugins.metrics.loop_share import loop_share
from plugins.metrics.vendor_financing import net_revenue, vendor_financing
from plugins.valuation.api import NAME as POSITIONS

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


@hookimpl
def ledger_register_queries(register: Callable[..., None]) -> None:
    register_each(
        register,
        [
            (
                "metrics",
                metrics_answer,
                "every registered metric as of a date, or at every quarter end (by='quarter')",
            )
        ],
    )


@hookimpl
def ledger_register_commands(cli: click.Group) -> None:
    add_commands(cli)
