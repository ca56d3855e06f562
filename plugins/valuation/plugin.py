"""Built-in plugin ``valuation``: what every party holds, valued as of any date.

Registers the ``valuation.positions`` projection, the built-in valuer (``trylast``, so a user
plugin answering ``ledger_value_instrument`` for one kind overrides it) and the
``loopledger value`` command. Settings come from ``[plugins.valuation]`` (see
:class:`plugins.valuation.holdings.Settings`); they are read per command from the session's
plugin facade, so two plugin managers in one process never share configuration.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from ledger import hookimpl
from ledger.plugin.registry import register_each
from plugins.valuation import positions
from plugins.valuation.commands import add_commands
from plugins.valuation.curves import warrant_curve_answer
from plugins.valuation.report import value_answer
from plugins.valuation.valuer import ledger_value_instrument

__all__ = [
    "ledger_register_commands",
    "ledger_register_projections",
    "ledger_register_queries",
    "ledger_value_instrument",
]


@hookimpl
def ledger_register_projections(register: Callable[..., None]) -> None:
    register(positions.PROJECTION)


@hookimpl
def ledger_register_queries(register: Callable[..., None]) -> None:
    register_each(
        register,
        [
            (
                "value",
                value_answer,
                "every holding valued as of a date, with its basis and assumptions",
            ),
            (
                "value.warrant_curve",
                warrant_curve_answer,
                "each warrant's value against its issuer's share price, hurdles marked",
            ),
        ],
        requires=(positions.NAME,),
    )


@hookimpl
def ledger_register_commands(cli: click.Group) -> None:
    add_commands(cli)
