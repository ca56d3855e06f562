"""The ``loopledger metrics`` command and how its figures are printed (table, CSV, JSON)."""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import click

from ledger.plugin.figures import AMOUNT_PRECISION, RATIO_PRECISION, Figure, quarter_ends
from plugins.metrics.flows import NAME, Flows
from plugins.valuation.holdings import Settings


def _accepts_settings(compute: Callable[..., Any]) -> bool:
    try:
        return "settings" in inspect.signature(compute).parameters
    except (TypeError, ValueError):
        return False


def _json_item(name: str, item: Any) -> dict[str, Any]:
    """A figure as JSON; a user metric may return plain mappings, kept as given."""
    if isinstance(item, Figure):
        return item.to_json()
    if isinstance(item, Mapping):
        return {"metric": name, **item}
    return {"metric": name, "value": item}


def figures_as_of(
    states: Mapping[str, Any],
    as_of: dt.date | None,
    specs: Iterable[Any],
    settings: Settings,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every registered metric computed from ``states``, as JSON-ready rows, and the metrics
    skipped because a projection they need is missing (its plugin disabled or quarantined)."""
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for spec in specs:
        missing = [r for r in spec.requires if r not in states]
        if missing:
            skipped.append(f"{spec.name} (needs {', '.join(missing)})")
            continue
        extra = {"settings": settings} if _accepts_settings(spec.compute) else {}
        rows += [_json_item(spec.name, item) for item in spec.compute(states, as_of, **extra)]
    return rows, skipped


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
        settings = Settings.from_config(session.plugins.plugin_config("valuation"))
        specs = session.plugins.metrics()
        known = {s.name for s in specs}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise InputError(
                Problem(
                    field="--metric",
                    message=f"no metric named '{unknown[0]}' (known: {', '.join(sorted(known))})",
                )
            )
        if names:
            specs = [s for s in specs if s.name in names]
        engine = session.engine()
        result = engine.run(as_of=as_of)
        needed = sorted({r for s in specs for r in s.requires})
        exit_on_failures(result, *needed)
        flows = result.states.get(NAME)
        last = as_of or result.book.max_date
        if by == "quarter":
            first = flows.first_date if isinstance(flows, Flows) else None
            days: list[dt.date | None] = list(quarter_ends(first, last)) if first and last else []
        else:
            days = [last]
        series: list[tuple[dt.date | None, list[dict[str, Any]]]] = []
        skipped: list[str] = []
        for day in days:
            states = result.states if day == last and by is None else engine.run(as_of=day).states
            rows, skipped = figures_as_of(states, day, specs, settings) if day else ([], [])
            series.append((day, rows))
        for s in skipped:
            click.echo(f"warning: metric {s} was skipped", err=True)
        precision = {"ratios": RATIO_PRECISION, "amounts": AMOUNT_PRECISION}
        assumptions = settings.describe()
        if as_csv:
            click.echo(_csv(series), nl=False)
        elif as_json and by is None:
            day, rows = series[0]
            print_json(
                {"as_of": day, "precision": precision, "assumptions": assumptions, "figures": rows}
            )
        elif as_json:
            print_json(
                {
                    "by": by,
                    "precision": precision,
                    "assumptions": assumptions,
                    "series": [{"as_of": d, "figures": rows} for d, rows in series],
                }
            )
        else:
            _print(series)
