"""Built-in plugin ``audit``: where money goes round, and how much of it comes back.

Registers, through the same hooks any plugin uses:

* the ``audit.flows`` projection (:mod:`plugins.audit.flows`);
* two invariants for ``loopledger verify`` — the tracer's conservation laws after every cash
  move under every rule, and its pools reconciled with the book's ``assets:cash``;
* the ``loopledger audit`` and ``loopledger graph`` commands.

Disable it with ``LOOPLEDGER_DISABLE_PLUGINS=audit`` and all of that goes with it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import click

from invariants.accounting import balances_of
from invariants.violation import Context, Violation
from ledger import hookimpl
from ledger.model.values import is_cash
from ledger.plugin.registry import register_each
from plugins.audit import flows, tracers
from plugins.audit.commands import add_commands
from plugins.audit.flows import NAME, PROJECTION, FlowState
from plugins.audit.tracing import Tracer

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
    for projection in tracers.PROJECTIONS.values():
        register(projection)


# --- invariants ----------------------------------------------------------------------------------


def check_trace_conservation(context: Context) -> list[Violation]:
    """Every rule's tracer keeps its conservation laws after every cash move, per currency."""
    from plugins.audit.api import trace_conservation

    found: list[Violation] = []
    for currency in _currencies(context):
        found += trace_conservation(flows.cash_moves(context.entries, currency))
    return found


def check_trace_reconciles(context: Context) -> list[Violation]:
    """The tracer's pool per party equals the party's ``assets:cash`` balance, per currency."""
    from plugins.audit.api import reconciliation

    balances = context.states.get("balances")
    if balances is None:
        balances = balances_of(context.entries)
    cash: dict[str, dict[str, Decimal]] = {}
    for (party, account, commodity), amount in balances.items():
        if account == "assets:cash" and is_cash(commodity):
            cash.setdefault(commodity, {})[party] = amount
    # The pro-rata tracer folded with the other projections has run every cash move already.
    traced = context.states.get(tracers.name_of("pro-rata"))
    found: list[Violation] = []
    for currency in sorted(set(cash) | set(_currencies(context))):
        tracer = traced.get(currency) if isinstance(traced, dict) else None
        if not isinstance(tracer, Tracer):
            if isinstance(traced, dict):
                tracer = Tracer("pro-rata", keep_moves=False)  # that currency moved no cash
            else:
                found += reconciliation(
                    flows.cash_moves(context.entries, currency),
                    cash.get(currency, {}),
                    currency=currency,
                )
                continue
        found += reconciliation(tracer, cash.get(currency, {}), currency=currency)
    return found


def _currencies(context: Context) -> list[str]:
    state = context.states.get(NAME)
    if isinstance(state, FlowState):
        return flows.currencies(state)
    return sorted(
        {p.commodity for e in context.entries for p in e.postings if is_cash(p.commodity)}
    )


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


@hookimpl
def ledger_register_queries(register: Callable[..., None]) -> None:
    from plugins.audit.api import audit_answer, picture, round_trips
    from plugins.audit.graph import graph_answer

    register_each(
        register,
        [
            ("audit", audit_answer, "loops per layer and round trips of cash"),
            (
                "audit.round_trips",
                round_trips,
                "how much of each party's outgoing cash came back to it, under one rule",
            ),
            (
                "audit.picture",
                picture,
                "one layer's flows drawn with its biggest loops (SVG or PNG)",
            ),
            (
                "audit.graph",
                graph_answer,
                (
                    "parties at places stable across dates, flows per drawn layer (cash, binding "
                    "and non-binding promises, equity) and the loops, for an interactive graph"
                ),
            ),
        ],
        requires=(NAME,),
    )


@hookimpl
def ledger_register_commands(cli: click.Group) -> None:
    add_commands(cli)
