"""Built-in plugin: balances per party, account and commodity, as of any date.

A projection like any user's: it sums the postings of each entry. Disable it with
``LOOPLEDGER_DISABLE_PLUGINS=balances`` and the ``balances`` command goes with it.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from ledger import hookimpl
from ledger.plugin.registry import register_each
from plugins.balances.api import balances_answer
from plugins.balances.commands import add_commands
from plugins.balances.projection import NAME, PROJECTION


@hookimpl
def ledger_register_queries(register: Callable[..., None]) -> None:
    register_each(
        register,
        [
            (
                "balances",
                balances_answer,
                "non-zero balances per party, account and commodity as of a date, or the flows "
                + "within a period (begin=)",
            )
        ],
        requires=(NAME,),
    )


@hookimpl
def ledger_register_projections(register: Callable[..., None]) -> None:
    register(PROJECTION)


@hookimpl
def ledger_register_commands(cli: click.Group) -> None:
    add_commands(cli)
