"""The ``loopledger scenario`` commands: ``run`` (compare scenarios with their base) and
``sweep`` (one setting over a grid, as a table and a line chart)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click


def output_option(f: Any) -> Any:
    """``-O text|json|csv`` (``--json`` is the same as ``-O json``)."""
    f = click.option("--json", "as_json", is_flag=True, help="The same as -O json.")(f)
    return click.option(
        "-O",
        "--output",
        "output",
        type=click.Choice(["text", "json", "csv"]),
        default="text",
        show_default=True,
        help="Tables (rounded for reading), JSON or CSV (every value exact).",
    )(f)


def add_commands(cli: click.Group) -> None:
    """Add ``loopledger scenario run|sweep`` to the command line."""
    from ledger.faces.options import as_of_option

    @cli.group("scenario")
    def scenario_group() -> None:
        """What if: branch the history with a scenario file and see every figure that changes.

        A scenario (YAML or JSON, see docs/scenarios.md) names a base — the store, optionally
        as of a date — and changes: events added, dropped or replaced, price series, valuation
        settings, and generators (revenue growth, deliveries, tranche draws, price paths).
        Nothing is ever written to the store.
        """

    @scenario_group.command("run")
    @click.argument(
        "files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
    )
    @as_of_option
    @output_option
    @click.pass_obj
    def run_command(
        session: Any, files: tuple[Path, ...], as_of: dt.date | None, output: str, as_json: bool
    ) -> None:
        """Fold the base and each scenario FILE in memory and print every figure that differs:
        loops (added, removed, bottleneck changed), money coming back per party and rule,
        metrics per period and values per holding, as base → scenario (Δ).

        Several FILES are compared side by side, as of one date: --as-of, else the latest
        date any of them reaches. The changes are checked exactly as 'replay' checks a history
        (a bad one exits 2 naming file, line and field); the store is only read.
        """
        from ledger.faces.output import print_json
        from plugins.scenarios.render import print_run, run_csv
        from plugins.scenarios.run import run_scenarios

        report = run_scenarios(session, files, as_of=as_of)
        output = "json" if as_json else output
        if output == "json":
            print_json(report.to_json())
        elif output == "csv":
            click.echo(run_csv(report), nl=False)
        else:
            print_run(report)

    from plugins.scenarios.sweep_command import add_sweep

    add_sweep(scenario_group)
