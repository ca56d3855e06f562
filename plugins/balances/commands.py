"""The ``loopledger balances`` command."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import click

from ledger.faces.long_table import LONG, write_long_table
from ledger.faces.output import console, grouped, print_json, table
from plugins.balances.projection import NAME


def add_commands(cli: click.Group) -> None:
    """Add ``loopledger balances`` to the command line."""
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
        result = session.run(as_of, names=[NAME])
        exit_on_failures(result, NAME)
        listing = session.query("balances", result=result, party=party)
        if as_json:
            print_json({"as_of": as_of, "balances": listing})
            return
        title = f"Balances{' as of ' + as_of.isoformat() if as_of else ''} — exact amounts"
        columns = ["party", "account", "commodity", "amount"]
        rows = (
            (
                r["party"],
                r["account"],
                r["commodity"],
                grouped(Decimal(r["amount"]), r["commodity"]),
            )
            for r in listing
        )
        if len(listing) >= LONG:
            write_long_table(title, columns, rows, right=["amount"])
            return
        console().print(table(title, columns, rows, right=["amount"]))
