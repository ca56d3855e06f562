"""loopledger-exposure: the cash each party paid to each counterparty, net of what it received."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click

from ledger import hookimpl
from ledger.book import Entry
from ledger.engine.projection import Projection

Paid = dict[tuple[str, str, str], Decimal]  # (payer, payee, currency) -> cash paid, gross
ZERO = Decimal(0)


def apply(state: Paid, entry: Entry) -> Paid:
    """Pair each cash receipt with the cash payment of the same event and currency."""
    cash = [p for p in entry.postings if p.account == "assets:cash"]
    for got in (p for p in cash if p.quantity > 0):
        payer = next(p.party for p in cash if p.quantity < 0 and p.commodity == got.commodity)
        key = (payer, got.party, got.commodity)
        state[key] = state.get(key, ZERO) + got.quantity
    return state


def rows(state: Paid) -> list[dict[str, Any]]:
    """One row per party and counterparty: net = cash paid to it − cash received from it."""
    pairs = sorted(set(state) | {(b, a, c) for a, b, c in state})
    return [
        {
            "party": a,
            "counterparty": b,
            "currency": c,
            "net": state.get((a, b, c), ZERO) - state.get((b, a, c), ZERO),
        }
        for a, b, c in pairs
    ]


BY_COUNTERPARTY = Projection("exposure.by_counterparty", dict, apply, version="1", describe=rows)


def round_trip_cash(states: dict[str, Any], as_of: dt.date | None) -> list[dict[str, Any]]:
    """Cash that went both ways between two parties: per pair the smaller direction, summed."""
    paid: Paid = states[BY_COUNTERPARTY.name]
    totals: dict[str, Decimal] = {}
    for (a, b, c), amount in paid.items():
        if a < b:
            totals[c] = totals.get(c, ZERO) + min(amount, paid.get((b, a, c), ZERO))
    return [{"value": v, "unit": c} for c, v in sorted(totals.items())]


@hookimpl
def ledger_register_projections(register: Callable[..., None]) -> None:
    register(BY_COUNTERPARTY)


@hookimpl
def ledger_register_metrics(register: Callable[..., None]) -> None:
    register(
        "exposure.round_trip_cash",
        round_trip_cash,
        requires=(BY_COUNTERPARTY.name,),
        description="cash that flowed both ways between the same two parties",
    )


@hookimpl
def ledger_register_commands(cli: click.Group) -> None:
    from ledger.faces.options import as_of_option, exit_on_failures, json_option
    from ledger.faces.output import print_json

    @cli.command("exposure")
    @as_of_option
    @json_option
    @click.pass_obj
    def exposure(session: Any, as_of: dt.date | None, as_json: bool) -> None:
        """Net cash each party paid to each counterparty (paid − received)."""
        result = session.engine().run(as_of=as_of)
        exit_on_failures(result, BY_COUNTERPARTY.name)
        listing = rows(result.state(BY_COUNTERPARTY.name))
        if as_json:
            print_json({"as_of": as_of, "exposure": listing})
            return
        for r in listing:
            click.echo(f"{r['party']} → {r['counterparty']}: {r['net']} {r['currency']}")
