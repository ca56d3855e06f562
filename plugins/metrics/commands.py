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
        return "None"
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
    from ledger.faces.output import console, table

    out = console()
    for day, rows in series:
        out.print(
            table(
                f"Metrics as of {day}",
                ["metric", "subject", "value", "note"],
                [(r.get("metric", ""), r.get("subject", ""), _shown(r), _note(r)) for r in rows],
                right=["value"],
            )
        )
    out.print(
        f"Ratios: {RATIO_PRECISION}. Amounts here in billions, half-even to 3 decimals "
        "(--json and --csv: exact). Every figure's inputs and components: --json.",
        markup=False,
    )


def add_commands(cli: click.Group) -> None:
    """Add ``loopledger metrics`` to the command line."""
    from ledger.faces.options import as_of_option, exit_on_failures, json_option
    from ledger.faces.output import print_json

    @cli.command("metrics")
    @as_of_option
    @click.option(
        "--by",
        type=click.Choice(["quarter"]),
        default=None,
        help="A time series: the figures at every calendar quarter end from the first event's "
        "quarter to the last (or --as-of).",
    )
    @click.option("--metric", "-m", "names", multiple=True, help="Only this metric (repeatable).")
    @json_option
    @click.option("--csv", "as_csv", is_flag=True, help="CSV: one row per figure.")
    @click.pass_obj
    def metrics_command(
        session: Any,
        as_of: dt.date | None,
        by: str | None,
        names: tuple[str, ...],
        as_json: bool,
        as_csv: bool,
    ) -> None:
        """Vendor-financing ratios, net revenue after consideration payable to customers
        (ASC 606-10-32-25), customer concentration, commitment coverage, funding gaps and the
        loop share of reported revenue — as of a date, or by quarter.

        Every figure lists the event ids it was computed from. Ratios are exact quotients (50
        significant digits) shown rounded half-even to 6 decimals; amounts are exact. Warrants
        are priced at their grant date with the [plugins.valuation] assumptions.
        """
        from ledger.model.problems import InputError, Problem

        if as_json and as_csv:
            raise InputError(Problem(field="--csv", message="give --json or --csv, not both"))
        specs = chosen_specs(session.plugins, names)
        result = session.run(as_of, names=needed(specs))  # one fold, of what the metrics read
        exit_on_failures(result, *sorted({r for s in specs for r in s.requires}))
        answer = session.query("metrics", result=result, by=by, names=names)
        for s in answer.skipped:
            click.echo(f"warning: metric {s} was skipped", err=True)
        series = answer.series
        if as_csv:
            click.echo(_csv(series), nl=False)
        elif as_json:
            print_json(answer.to_json())
        else:
            _print(series)
