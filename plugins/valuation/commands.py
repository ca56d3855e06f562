"""The ``loopledger value`` command."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from plugins.valuation.render import print_valuation
from plugins.valuation.report import NAME


def add_commands(cli: click.Group) -> None:
    """Add ``loopledger value`` to the command line."""
    from ledger.faces.options import as_of_option, exit_on_failures, output_option, party_option
    from ledger.faces.output import RECORD_OUTPUTS, print_json, print_records
    from ledger.faces.progress import progress_bar

    @cli.command("value")
    @as_of_option
    @party_option("Only this party's holdings")
    @output_option
    @click.pass_obj
    def value_command(session: Any, as_of: dt.date | None, party: str | None, output: str) -> None:
        """Value every party's holdings as of a date: shares, private stakes, warrant tranches
        (Black–Scholes / up-and-in barrier calls), commitments and loans at face.

        Each line states its basis, assumptions and the event ids it rests on. Volatility, rate
        and probabilities come from [plugins.valuation] in loopledger.toml (defaults: volatility
        0.50, rate 0.04, probability 0). Without --as-of: the date of the last recorded event.
        """
        with progress_bar("value", total=session.store.head()[0]) as tick:
            result = session.run(as_of, names=[NAME], progress=tick)
            exit_on_failures(result, NAME)
            data = session.query("value", result=result, party=party)
        if output == "json":
            print_json(data)
        elif output in RECORD_OUTPUTS:
            print_records(data, output)
        else:
            print_valuation(data)
