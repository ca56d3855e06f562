"""``loopledger scenario sweep``: the command line of :mod:`plugins.scenarios.sweep`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from plugins.scenarios.commands import output_option


def print_sweep(result: Any) -> None:
    from ledger.faces.output import console, table
    from plugins.scenarios.render import ROUNDING_NOTE, shown

    columns = [result.vary.what, *(result.labels[f] for f in result.figures)]
    rows = [["as written", *(shown(result.as_written[f], result.units[f]) for f in result.figures)]]
    rows += [
        [str(v), *(shown(fs[f], result.units[f]) for f in result.figures)]
        for v, fs in result.points
    ]
    click.echo(
        f"Scenario '{result.scenario.name}': {result.axis}, figures as of "
        f"{result.as_of.isoformat()}"
    )
    console().print(table(None, columns, rows, right=columns))
    for h in result.hurdles:
        click.echo(f"marked: {h.label}")
    click.echo("figures: " + ", ".join(result.figures))
    click.echo(ROUNDING_NOTE)


def add_sweep(group: click.Group) -> None:
    from ledger.faces.options import as_of_option

    @group.command("sweep")
    @click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
    @click.option(
        "--vary",
        "vary_text",
        required=True,
        metavar="WHAT=LOW:HIGH:STEP",
        help="What to vary and over which values: volatility[:ISSUER], rate, "
        "probability[:GRANT], price:PARTY, or a generator parameter (growth, or N.growth for "
        "change N); values LOW:HIGH:STEP or v1,v2,…",
    )
    @click.option(
        "--figure",
        "-f",
        "figures",
        multiple=True,
        metavar="ID",
        help="A figure to read at each point, as 'scenario run --json' names it "
        "(value/openai/warrant/a05-…, metric/commitment_coverage.binding/openai, "
        "round_trip/fifo/nvidia/returned, loop/all/amd,openai). Repeatable; default: the "
        "figures that differ between the first and last point (at most six).",
    )
    @click.option(
        "--chart",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Also draw the figures as a line chart (.png or .svg).",
    )
    @as_of_option
    @output_option
    @click.pass_obj
    def sweep_command(
        session: Any,
        file: Path | None,
        vary_text: str,
        figures: tuple[str, ...],
        chart: Path | None,
        as_of: dt.date | None,
        output: str,
        as_json: bool,
    ) -> None:
        """Vary one setting of scenario FILE (or of the store as it is) over a grid and read the
        chosen figures at every point, as a table and optionally a line chart.

        A price sweep (price:amd=150:700:25) marks every tranche of the party's warrants at its
        price hurdle. Nothing is written to the store.
        """
        from ledger.faces.output import print_json
        from ledger.model.problems import InputError, Problem
        from plugins.scenarios.files import load_scenario
        from plugins.scenarios.render import table_csv
        from plugins.scenarios.sweep import empty_scenario, parse_vary, sweep

        if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
            raise InputError(
                Problem(field="--chart", message=f"expected a .png or .svg file; got {chart}")
            )
        vary = parse_vary(vary_text)
        scenario = load_scenario(file) if file is not None else empty_scenario()
        result = sweep(session, scenario, vary, figures, as_of=as_of)
        if chart is not None:
            from plugins.scenarios.chart import draw_sweep

            draw_sweep(result, chart)
        output = "json" if as_json else output
        if output == "json":
            print_json(result.to_json() | {"chart": None if chart is None else str(chart)})
        elif output == "csv":
            rows = [["as written", *(result.as_written[f] for f in result.figures)]]
            rows += [[v, *(fs[f] for f in result.figures)] for v, fs in result.points]
            click.echo(table_csv([result.vary.what, *result.figures], rows), nl=False)
        else:
            print_sweep(result)
            if chart is not None:
                click.echo(f"chart: {chart}")
