"""Built-in plugin: balances per party, account and commodity, as of any date.

A projection like any user's: it sums the postings of each entry. Disable it with
``LOOPLEDGER_DISABLE_PLUGINS=balances`` and the ``balances`` command goes with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click

from ledger import hookimpl
from ledger.book import Entry
from ledger.engine.projection import Projection
from ledger.faces.output import amount_text, console, grouped, print_json, table

Balances = dict[tuple[str, str, str], Decimal]
NAME = "balances"


def initial() -> Balances:
    return {}


def apply(state: Balances, entry: Entry) -> Balances:
    for p in entry.postings:
        key = (p.party, p.account, p.commodity)
        state[key] = state.get(key, Decimal(0)) + p.quantity
    return state


def rows(state: Balances, party: str | None = None) -> list[dict[str, str]]:
    """Non-zero balances sorted by party, account, commodity, as JSON-ready rows."""
    return [
        {"party": k[0], "account": k[1], "commodity": k[2], "amount": amount_text(v, k[2])}
        for k, v in sorted(state.items())
        if v != 0 and (party is None or k[0] == party)
    ]


PROJECTION = Projection(NAME, initial, apply, version="1", describe=lambda s: {"balances": rows(s)})


@hookimpl
def ledger_register_projections(register: Callable[..., None]) -> None:
    register(PROJECTION)


@hookimpl
def ledger_register_commands(cli: click.Group) -> None:
    from ledger.faces.options import as_of_option, exit_on_failures, json_option

    @cli.command("balances")
    @as_of_option
    @click.option("--party", "-p", help="Only this party's accounts.")
    @json_option
    @click.pass_obj
    def balances_command(
        session: Any, as_of: dt.date | None, party: str | None, as_json: bool
    ) -> None:
        """Balances per party, account and commodity (events dated on or before --as-of)."""
        result = session.engine().run(as_of=as_of)
        exit_on_failures(result, NAME)
        listing = rows(result.state(NAME), party)
        if as_json:
            print_json({"as_of": as_of, "balances": listing})
            return
        t = table(
            f"Balances{' as of ' + as_of.isoformat() if as_of else ''} — exact amounts",
            ["party", "account", "commodity", "amount"],
            [
                (
                    r["party"],
                    r["account"],
                    r["commodity"],
                    grouped(Decimal(r["amount"]), r["commodity"]),
                )
                for r in listing
            ],
            right=["amount"],
        )
        console().print(t)
