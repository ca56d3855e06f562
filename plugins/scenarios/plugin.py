"""Built-in plugin ``scenarios``: counterfactual scenarios and sensitivity sweeps.

Registers, through the same hooks any plugin uses: the built-in scenario generators
(``revenue_growth``, ``deliveries``, ``tranche_draws``, ``price_path``) with
``ledger_register_scenario_generators`` — the hook a user's plugin uses to add its own — and
the ``loopledger scenario run`` and ``loopledger scenario sweep`` commands.

It reads other plugins only through their ``api`` modules and the store only through the
public API: a scenario's figures are the answers of the ``audit``, ``metrics`` and ``value``
queries on a ``memory:`` fold of the branched history (docs/scenarios.md).
"""

from __future__ import annotations

from collections.abc import Callable

import click

from ledger import hookimpl
from plugins.scenarios.commands import add_commands
from plugins.scenarios.generators import BUILT_IN

__all__ = ["ledger_register_commands", "ledger_register_scenario_generators"]


@hookimpl
def ledger_register_scenario_generators(register: Callable[..., None]) -> None:
    for name, (generate, parameters, description) in BUILT_IN.items():
        register(name, generate, parameters=parameters, description=description)


@hookimpl
def ledger_register_commands(cli: click.Group) -> None:
    add_commands(cli)
