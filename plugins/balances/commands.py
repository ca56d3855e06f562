"""The ``loopledger balances`` command."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ledger.faces.long_table import LONG, write_long_table
from ledger.faces.output import RECORD_OUTPUTS, console, grouped, print_json, print_records, table
from ledger.model.periods import Period
from plugins.balances.projection import NAME


def add_commands(cli: click.Group) -> None:
    """Add ``loopledger balances`` to the command line."""
    from ledger.faces.options import (
        as_of_option,
        exit_on_failures,
        output_option,
        party_option,
        period_options,
    )

    @cli.command("balances")
    @as_of_option
    @period_options
    @party_option("Only this party's accounts")
    @click.option(
        "--depth",
        type=click.IntRange(min=1),
        default=None,
        help="Cut accounts to this many components, each with the subtotal of those beneath "
        "(1: assets, liabilities, …; 2: assets:cash, assets:commitments, …).",
    )
    @output_option
    @click.pass_obj
    def balances_command(
        session: Any,
        as_of: dt.date | None,
        period: Period,
        party: str | None,
        depth: int | None,
        output: str,
    ) -> None:
        """Balances per party, account and commodity (events dated on or before --as-of, or
        before --end). With --begin or a --period that has a start: the flows within the
        period — the postings of the events dated in it — instead of balances."""
        cut = period.cut(as_of)
        result = session.run(cut, names=[NAME])
        exit_on_failures(result, NAME)
        listing = session.balances(cut, begin=period.begin, result=result, party=party, depth=depth)
        if output == "json":
            print_json(listing.to_json())
            return
        if output in RECORD_OUTPUTS:
            print_records(listing, output)
            return
        if period.begin is not None:
            title = f"Flows {period.describe()} — exact amounts"
        else:
            title = f"Balances{' as of ' + cut.isoformat() if cut else ''} — exact amounts"
        columns = ["party", "account", "commodity", "amount"]
        rows = ((r.party, r.account, r.commodity, grouped(r.amount, r.commodity)) for r in listing)
        if len(listing) >= LONG:
            write_long_table(title, columns, rows, right=["amount"])
            return
        console().print(table(title, columns, rows, right=["amount"]))
