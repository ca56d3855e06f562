"""The ``loopledger audit`` and ``loopledger graph`` commands."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

# The CLI starts with every plugin imported: networkx (cycles) and matplotlib (picture) are
# imported only by the code that needs them, so other commands do not pay ~0.5 s for them.
from ledger.faces.options import AmountType
from plugins.audit import tracers
from plugins.audit.flows import DEFAULT_MAX_LENGTH, LAYERS, NAME
from plugins.audit.model import DEFAULT_MAX_CYCLES, Rule
from plugins.audit.render import print_report
from plugins.audit.tracing import RULES


def add_commands(cli: click.Group) -> None:
    """Add ``loopledger audit`` and ``loopledger graph`` to the command line."""
    from ledger.faces.options import as_of_option, exit_on_failures, output_option
    from ledger.faces.output import RECORD_OUTPUTS, print_json, print_records
    from ledger.faces.progress import progress_bar

    layer_help = "cash (paid), committed (outstanding), equity (stakes), all (their union)"

    @cli.command("audit")
    @as_of_option
    @click.option(
        "--rule",
        type=click.Choice(RULES),
        default="pro-rata",
        show_default=True,
        help="Which dollars a payer spends: pro-rata (a mix), fifo (oldest), lifo (newest).",
    )
    @click.option(
        "--layer",
        "layers",
        type=click.Choice(LAYERS),
        multiple=True,
        help=f"Only these layers (repeatable; default all four): {layer_help}.",
    )
    @click.option(
        "--min-amount",
        type=AmountType(),
        default="0",
        show_default=True,
        help="Hide loops whose bottleneck is below this (exact, e.g. 1B).",
    )
    @click.option(
        "--max-length",
        type=click.IntRange(min=1),
        default=DEFAULT_MAX_LENGTH,
        show_default=True,
        help="Most parties on a loop (the search is exponential in it).",
    )
    @click.option(
        "--max-cycles",
        type=click.IntRange(min=1),
        default=DEFAULT_MAX_CYCLES,
        show_default=True,
        help="Most loops listed, the biggest; the rest are counted and reported as truncated.",
    )
    @click.option("--currency", default="USD", show_default=True, help="Currency to audit.")
    @output_option
    @click.pass_obj
    def audit_command(
        session: Any,
        as_of: dt.date | None,
        rule: Rule,
        layers: tuple[str, ...],
        min_amount: Decimal,
        max_length: int,
        max_cycles: int,
        currency: str,
        output: str,
    ) -> None:
        """Loops of money per layer (cycles, bottlenecks, time order) and round trips of cash.

        A loop is a cycle of flows between parties; its bottleneck caps what can have gone all
        the way round. Round trips trace tagged dollars through every party's cash pool under
        --rule, and report how much of each party's outgoing money came back to it. -O csv: one
        row per loop.
        """
        with progress_bar("audit", total=session.store.head()[0]) as tick:
            result = session.run(as_of, names=[NAME, tracers.name_of(rule)], progress=tick)
            exit_on_failures(result, NAME, tracers.name_of(rule))
            report = session.query(
                "audit",
                result=result,
                rule=rule,
                layers=layers or LAYERS,
                min_amount=min_amount,
                max_length=max_length,
                max_cycles=max_cycles,
                currency=currency,
            )
        if output == "json":
            print_json(report.to_json())
        elif output in RECORD_OUTPUTS:
            print_records(report, output)
        else:
            print_report(report)

    @cli.command("graph")
    @as_of_option
    @click.option(
        "--layer",
        type=click.Choice(LAYERS),
        default="all",
        show_default=True,
        help=f"The layer to draw: {layer_help}.",
    )
    @click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        help="Picture file: .svg (text stays searchable) or .png.",
    )
    @click.option(
        "--max-length",
        type=click.IntRange(min=1),
        default=DEFAULT_MAX_LENGTH,
        show_default=True,
        help="Most parties on a highlighted loop.",
    )
    @click.option(
        "--max-cycles",
        type=click.IntRange(min=1),
        default=DEFAULT_MAX_CYCLES,
        show_default=True,
        help="Most loops drawn, the biggest; the rest are counted in the legend.",
    )
    @click.option("--currency", default="USD", show_default=True, help="Currency to draw.")
    @click.pass_obj
    def graph_command(
        session: Any,
        as_of: dt.date | None,
        layer: str,
        out: Path,
        max_length: int,
        max_cycles: int,
        currency: str,
    ) -> None:
        """Draw one layer's flows between parties with its loops highlighted (SVG or PNG).

        Arrows are flows (width ∝ amount, labelled in $B); loops take a colour each, biggest
        first, listed in the legend with their bottleneck.
        """
        if out.suffix.lower() not in (".svg", ".png"):
            raise click.BadParameter(
                f"unsupported picture format {out.suffix or '(none)'!r}: use .svg or .png",
                param_hint="--out",
            )
        result = session.run(as_of, names=[NAME])
        exit_on_failures(result, NAME)
        drawn = session.query(
            "audit.picture",
            result=result,
            out=out,
            layer=layer,
            max_length=max_length,
            max_cycles=max_cycles,
            currency=currency,
        )
        search = drawn.search
        click.echo(f"wrote {out}: {drawn.flows} flows, {drawn.loops} loops ({layer} layer)")
        note = search.note()
        if note:
            click.echo(f"{note} (--max-cycles {max_cycles}; the biggest are drawn)")
