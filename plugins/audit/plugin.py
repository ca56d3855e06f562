"""Built-in plugin ``audit``: where money goes round, and how much of it comes back.

Registers, through the same hooks any plugin uses:

* the ``audit.flows`` projection (:mod:`plugins.audit.flows`);
* two invariants for ``loopledger verify`` — the tracer's conservation laws after every cash
  move under every rule, and its pools reconciled with the book's ``assets:cash``;
* the ``loopledger audit`` and ``loopledger graph`` commands.

Disable it with ``LOOPLEDGER_DISABLE_PLUGINS=audit`` and all of that goes with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from invariants.accounting import balances_of
from invariants.violation import Context, Violation
from ledger import hookimpl
from ledger.amounts import AmountError, parse_decimal
from ledger.values import is_cash
from plugins.audit import flows
from plugins.audit.flows import DEFAULT_MAX_LENGTH, LAYERS, NAME, PROJECTION, FlowState
from plugins.audit.model import DEFAULT_MAX_CYCLES, Rule
from plugins.audit.tracing import RULES

if TYPE_CHECKING:
    from plugins.audit.api import AuditReport

# The CLI starts with every plugin imported: networkx (cycles) and matplotlib (picture) are
# imported only by the code that needs them, so other commands do not pay ~0.5 s for them.

__all__ = [
    "check_trace_conservation",
    "check_trace_reconciles",
    "ledger_register_commands",
    "ledger_register_invariants",
    "ledger_register_projections",
]


@hookimpl
def ledger_register_projections(register: Callable[..., None]) -> None:
    register(PROJECTION)


# --- invariants ----------------------------------------------------------------------------------


def _flow_state(context: Context) -> FlowState:
    """The projection's state from the context, else folded here from the entries."""
    state = context.states.get(NAME)
    if isinstance(state, FlowState):
        return state
    state = flows.initial()
    for entry in context.entries:
        if PROJECTION.handles is None or entry.event.TYPE in PROJECTION.handles:
            state = flows.apply(state, entry)
    return state


def check_trace_conservation(context: Context) -> list[Violation]:
    """Every rule's tracer keeps its conservation laws after every cash move, per currency."""
    from plugins.audit.api import trace_conservation

    state = _flow_state(context)
    found: list[Violation] = []
    for currency in sorted(state.moves):
        found += trace_conservation(flows.moves(state, currency))
    return found


def check_trace_reconciles(context: Context) -> list[Violation]:
    """The tracer's pool per party equals the party's ``assets:cash`` balance, per currency."""
    from plugins.audit.api import reconciliation

    state = _flow_state(context)
    balances = context.states.get("balances")
    if balances is None:
        balances = balances_of(context.entries)
    cash: dict[str, dict[str, Decimal]] = {}
    for (party, account, commodity), amount in balances.items():
        if account == "assets:cash" and is_cash(commodity):
            cash.setdefault(commodity, {})[party] = amount
    found: list[Violation] = []
    for currency in sorted(set(cash) | set(state.moves)):
        found += reconciliation(
            flows.moves(state, currency), cash.get(currency, {}), currency=currency
        )
    return found


@hookimpl
def ledger_register_invariants(register: Callable[..., None]) -> None:
    register(
        "audit.trace-conservation",
        check_trace_conservation,
        description="provenance tracing (pro-rata, fifo, lifo): tagged ≤ pool, returned ≤ departed, tag mass kept, after every cash move",
    )
    register(
        "audit.trace-reconciles",
        check_trace_reconciles,
        description="the tracer's cash pool of every party equals its assets:cash balance",
    )


# --- the commands --------------------------------------------------------------------------------


class _Amount(click.ParamType):  # type: ignore[type-arg]
    """An exact amount: ``1000000000``, ``"2.5B"`` (never a float)."""

    name = "AMOUNT"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Decimal:
        try:
            amount = parse_decimal(value)
        except AmountError as exc:
            self.fail(str(exc), param, ctx)
        if amount < 0:
            self.fail(f"expected an amount ≥ 0; got {amount}", param, ctx)
        return amount


def _percent(share: Decimal | None) -> str:
    if share is None:
        return "—"
    return f"{(share * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN)}%"


def _events(ids: tuple[str, ...], shown: int = 4) -> str:
    """One id a line (ids are long and must not break), the rest counted."""
    lines = list(ids[:shown])
    if len(ids) > shown:
        lines.append(f"(+{len(ids) - shown} more)")
    return "\n".join(lines)


def _table(
    title: str, columns: list[str], rows: list[tuple[Any, ...]], right: tuple[str, ...]
) -> Any:
    from ledger.output import table

    t = table(title, columns, rows, right=right)
    for column in t.columns:
        column.no_wrap = column.header in ("layer", "in order", *right)
        if column.header == "loop":
            column.min_width = 20
    return t


DISPLAY_ROUNDING = (
    "$B: billions rounded half-even to 0.1 for display only; --json prints exact amounts."
)


def _print(report: AuditReport) -> None:
    from ledger.output import console
    from plugins.audit.picture import billions

    out = console()
    when = f" as of {report.as_of.isoformat()}" if report.as_of else ""
    currency = "" if report.currency == "USD" else f" ({report.currency})"
    if report.cycles:
        rows = [
            (
                i,
                c.layer,
                " → ".join(report.name(p) for p in c.path),
                billions(c.bottleneck),
                "yes" if c.time_respecting else "NO",
                _events(c.event_ids) + "".join(f"\n{n}" for n in report.notes(c)),
            )
            for i, c in enumerate(report.cycles, start=1)
        ]
        out.print(
            _table(
                f"Loops{when}{currency}, biggest first (layers: {', '.join(report.layers)})",
                ["#", "layer", "loop", "bottleneck", "in order", "events"],
                rows,
                right=("#", "bottleneck"),
            )
        )
    else:
        out.print(
            f"No loops{when} in layers {', '.join(report.layers)}"
            f" (min amount {report.min_amount}, at most {report.max_length or 'any'} parties).",
            markup=False,
        )
    note = report.search.note() if report.search is not None else None
    if note:
        out.print(
            f"{note} (--max-cycles {report.max_cycles}; the biggest are listed). Raise"
            " --min-amount or lower --max-length to narrow the search.",
            markup=False,
        )
    parties = sorted(report.trace.parties, key=lambda f: (-f.returned, -f.departed, f.party))
    out.print(
        _table(
            f"Round trips of cash{when}{currency}, rule {report.rule}: paid to other parties, and back",
            ["party", "departed", "returned", "share"],
            [
                (
                    report.name(f.party),
                    billions(f.departed),
                    billions(f.returned),
                    _percent(f.share),
                )
                for f in parties
            ],
            right=("departed", "returned", "share"),
        )
    )
    sellers = sorted(report.trace.sellers, key=lambda s: (-s.own_money_returned, s.seller))
    if sellers:
        out.print(
            _table(
                f"Sellers{when}, rule {report.rule}: purchase revenue that was their own money",
                ["seller", "purchase revenue", "own money", "share"],
                [
                    (
                        report.name(s.seller),
                        billions(s.purchase_revenue),
                        billions(s.own_money_returned),
                        _percent(s.share),
                    )
                    for s in sellers
                ],
                right=("purchase revenue", "own money", "share"),
            )
        )
    for w in report.warrants:
        if w.note:
            out.print(f"note: warrant '{w.grant}': {w.note}", markup=False)
    out.print(
        "in order: some chain of the loop's events, one per flow, runs in date order.",
        DISPLAY_ROUNDING,
        sep="\n",
        markup=False,
    )


def short_name(name: str, limit: int = 16) -> str:
    """A long name without its parenthetical qualifier, for the picture.

    Why: names sit outside the circle and the layout keeps them inside the figure, so one
    40-character name ("Stargate (OpenAI/SoftBank/Oracle/MGX venture)") shrinks the whole
    drawing; "Stargate" says enough on a picture whose numbers are in ``audit --json``.
    """
    if len(name) <= limit:
        return name
    return name.split(" (", 1)[0].strip() or name


@hookimpl
def ledger_register_commands(cli: click.Group) -> None:
    from ledger.cli_support import as_of_option, exit_on_failures, json_option
    from ledger.output import print_json

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
        type=_Amount(),
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
    @json_option
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
        as_json: bool,
    ) -> None:
        """Loops of money per layer (cycles, bottlenecks, time order) and round trips of cash.

        A loop is a cycle of flows between parties; its bottleneck caps what can have gone all
        the way round. Round trips trace tagged dollars through every party's cash pool under
        --rule, and report how much of each party's outgoing money came back to it.
        """
        from plugins.audit.api import audit

        result = session.engine().run(as_of=as_of)
        exit_on_failures(result, NAME)
        report = audit(
            result,
            rule=rule,
            layers=layers or LAYERS,  # type: ignore[arg-type]
            min_amount=min_amount,
            max_length=max_length,
            max_cycles=max_cycles,
            currency=currency,
        )
        if as_json:
            print_json(report.to_json())
        else:
            _print(report)

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
        from plugins.audit.cycles import search_cycles
        from plugins.audit.picture import draw

        if out.suffix.lower() not in (".svg", ".png"):
            raise click.BadParameter(
                f"unsupported picture format {out.suffix or '(none)'!r}: use .svg or .png",
                param_hint="--out",
            )
        result = session.engine().run(as_of=as_of)
        exit_on_failures(result, NAME)
        state: FlowState = result.states[NAME]
        edges = flows.layer_edges(state, layer, currency)  # type: ignore[arg-type]
        search = search_cycles(edges, max_length=max_length, max_cycles=max_cycles)
        cycles = list(search.cycles)
        when = f", as of {as_of.isoformat()}" if as_of else ""
        what = {
            "cash": "cash paid",
            "committed": "commitments outstanding",
            "equity": "stakes (investments, warrants at grant-date value)",
            "all": "cash paid + commitments outstanding + stakes",
        }[layer]
        draw(
            edges,
            cycles,
            title=f"Circular flows — {what} ({currency}{when})",
            out=out,
            names={p: short_name(n) for p, n in flows.names_of(result.book.parties).items()},
            search=search,
        )
        click.echo(
            f"wrote {out}: {len(flows.aggregate(edges))} flows, {len(cycles)} loops ({layer} layer)"
        )
        note = search.note()
        if note:
            click.echo(f"{note} (--max-cycles {max_cycles}; the biggest are drawn)")
