"""The ``loopledger metrics`` command and how its figures are printed (table, CSV, JSON)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import click

from ledger.plugin.figures import RATIO_PRECISION
from plugins.metrics.api import chosen_specs, needed


def _note(row: Mapping[str, Any]) -> str:
    detail = row.get("detail") or {}
    return str(detail.get("reason") or detail.get("note") or "")


def _shown(row: Mapping[str, Any]) -> str:
    value = row.get("value")
    if value is None:
        return "—"  # no figure (the note says why); never a raw None
    unit = row.get("unit")
    if unit in ("ratio", "share") or not isinstance(value, str):
        return str(value)
    billions = (Decimal(value) / Decimal(10) ** 9).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_EVEN
    )
    return f"{billions:,}B {unit}"


def _csv(series: list[tuple[dt.date | None, list[dict[str, Any]]]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["as_of", "metric", "subject", "value", "unit", "inputs", "note"])
    for day, rows in series:
        for r in rows:
            writer.writerow(
                [
                    day.isoformat() if day else "",
                    r.get("metric", ""),
                    r.get("subject", ""),
                    "" if r.get("value") is None else r["value"],
                    r.get("unit", ""),
                    " ".join(r.get("inputs", [])),
                    _note(r),
                ]
            )
    return out.getvalue()


def _print(series: list[tuple[dt.date | None, list[dict[str, Any]]]]) -> None:
    from ledger.faces.long_table import LONG, write_long_table
    from ledger.faces.output import console, table

    out = console()
    plain = sum(len(rows) for _, rows in series) >= LONG  # rich lays out every cell first
    columns = ["metric", "subject", "value", "note"]
    for day, rows in series:
        title = f"Metrics as of {day}"
        cells = [(r.get("metric", ""), r.get("subject", ""), _shown(r), _note(r)) for r in rows]
        if plain:
            write_long_table(title, columns, cells, right=["value"])
        else:
            out.print(table(title, columns, cells, right=["value"]))
    out.print(
        f"Ratios: {RATIO_PRECISION}. Amounts here in billions, half-even to 3 decimals "
        "(--json and --csv: exact). Every figure's inputs and components: --json.",
        markup=False,
    )


def add_commands(cli: click.Group) -> None:
    """Add ``loopledger metrics`` to the command line."""
    from ledger.faces.options import as_of_option, exit_on_failures, output_option, period_options
    from ledger.faces.output import RECORD_OUTPUTS, print_json, print_records
    from ledger.faces.progress import progress_bar
    from ledger.model.periods import Period

    @cli.command("metrics")
    @as_of_option
    @period_options
    @click.option(
        "--by",
        type=click.Choice(["quarter"]),
        default=None,
        help="A time series: the figures at every calendar quarter end from the first event's "
        "quarter to the last (or --as-of); with -b/-e/-p, the quarter ends in that range.",
    )
    @click.option("--metric", "-m", "names", multiple=True, help="Only this metric (repeatable).")
    @output_option
    @click.option("--csv", "as_csv", is_flag=True, help="The same as -O csv.")
    @click.pass_obj
    def metrics_command(
        session: Any,
        as_of: dt.date | None,
        period: Period,
        by: str | None,
        names: tuple[str, ...],
        output: str,
        as_csv: bool,
    ) -> None:
        """Vendor-financing ratios, net revenue after consideration payable to customers
        (ASC 606-10-32-25), customer concentration, commitment coverage, funding gaps and the
        loop share of reported revenue — as of a date, or by quarter.

        Every figure lists the event ids it was computed from. Ratios are exact quotients (50
        significant digits) shown rounded half-even to 6 decimals; amounts are exact. Warrants
        are priced at their grant date with the [plugins.valuation] assumptions. -b/-e/-p: the
        figures as of the period's last day (with --by quarter: each quarter end in it).
        """
        from ledger.model.problems import InputError, Problem

        if as_csv and output not in ("text", "csv"):
            raise InputError(Problem(field="--csv", message=f"give -O {output} or --csv, not both"))
        if as_csv:
            output = "csv"
        specs = chosen_specs(session.plugins, names)
        cut = period.cut(as_of)
        with progress_bar("metrics", total=session.store.head()[0]) as tick:
            result = session.run(cut, names=needed(specs), progress=tick)
            exit_on_failures(result, *sorted({r for s in specs for r in s.requires}))
            answer = session.query("metrics", result=result, by=by, names=names, begin=period.begin)
        for s in answer.skipped:
            click.echo(f"warning: metric {s} was skipped", err=True)
        series = answer.series
        if output == "csv" and by is None and not period.bounded:
            click.echo(_csv(series), nl=False)  # the original --csv layout
        elif output in RECORD_OUTPUTS:
            print_records(answer, output)
        elif output == "json":
            print_json(answer.to_json())
        else:
            _print(series)
