"""The loop as an interactive graph reads it: parties at fixed places, flows per drawn layer, loops.

Why a query of its own (``audit.graph``): a browser graph needs what the audit's JSON does not
say in one place — commitments split into *binding* and *non-binding* promises (so each can be
toggled and drawn in its own line style), and node positions that do not move when the date or
the layers shown change, so two dates can be compared by eye. The positions are computed from
the *whole* recorded history (every declared party on one circle, the parties of the biggest
loops next to each other, as in the static picture), never from the date asked.

Every amount is an exact decimal string (as ``loopledger audit --json`` prints it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

from ledger.engine import Result
from plugins.audit.api import audit, exact, warrant_fair_values
from plugins.audit.flows import NAME, FlowState, aggregate, layer_edges, names_of
from plugins.audit.model import WORLD, Edge

DRAWN: Final = ("cash", "binding", "non_binding", "equity")
"""The graph's layers: cash paid, promises split by their binding flag, stakes."""

DRAWN_MEANING: Final = {
    "cash": "cash paid",
    "binding": "binding promises outstanding (commitments)",
    "non_binding": "non-binding promises outstanding (letters of intent, options)",
    "equity": "stakes handed over (investments; warrants at grant-date fair value)",
}

_COMMITTED_SPLIT: Final = {True: "binding", False: "non_binding"}


def _binding(state: FlowState, edge: Edge) -> bool:
    """The binding flag of the commitment behind a committed edge (its first event), as of the
    fold's date — from the audit's own state, so no book is folded for it."""
    return state.binding(edge.event_ids[0]) if edge.event_ids else True


def drawn_edges(
    result: Result, currency: str = "USD", warrant_amounts: Mapping[str, Decimal] | None = None
) -> list[dict[str, Any]]:
    """One edge per (drawn layer, source, target) between modelled parties, biggest first;
    warrant stakes at ``warrant_amounts`` (grant-date fair values) when given."""
    state: FlowState = result.states[NAME]
    rows: list[dict[str, Any]] = []
    for layer in ("cash", "equity"):
        rows += [
            _edge_row(layer, e)
            for e in aggregate(layer_edges(state, layer, currency, warrant_amounts))
        ]
    split: dict[str, list[Edge]] = {"binding": [], "non_binding": []}
    for edge in layer_edges(state, "committed", currency):
        split[_COMMITTED_SPLIT[_binding(state, edge)]].append(edge)
    for layer, edges in split.items():
        rows += [_edge_row(layer, e) for e in aggregate(edges)]
    order = {layer: i for i, layer in enumerate(DRAWN)}
    rows.sort(key=lambda r: (order[r["layer"]], -Decimal(r["amount"]), r["source"], r["target"]))
    return rows


def _edge_row(layer: str, edge: Edge) -> dict[str, Any]:
    return {
        "id": f"{layer}:{edge.source}>{edge.target}",
        "layer": layer,
        "source": edge.source,
        "target": edge.target,
        "amount": exact(edge.amount),
        "first_date": edge.first_date.isoformat(),
        "last_date": edge.last_date.isoformat(),
        "events": list(edge.event_ids),
    }


def circle_order(parties: Iterable[str], cycles: Iterable[Any]) -> list[str]:
    """Parties in circle order: the biggest loops' parties adjacent, then the rest by id."""
    known = sorted(set(parties) - {WORLD})
    order: list[str] = []
    for cycle in cycles:
        order += [p for p in cycle.parties if p in known and p not in order]
    return order + [p for p in known if p not in order]


def positions(order: list[str], radius: int = 300) -> dict[str, tuple[int, int]]:
    """Integer places on a circle, the first party at the top, going clockwise.

    Whole numbers so the same history always gives byte-identical JSON on every machine.
    """
    count = max(len(order), 1)
    return {
        party: (
            round(radius * math.sin(2 * math.pi * i / count)),
            round(-radius * math.cos(2 * math.pi * i / count)),
        )
        for i, party in enumerate(order)
    }


def layout(full: Result, currency: str = "USD") -> dict[str, tuple[int, int]]:
    """Positions of every declared party, from the fold of the whole history."""
    whole = audit(full, layers=("all",), currency=currency, max_cycles=50)
    return positions(circle_order(full.book.parties, whole.cycles))


def graph_answer(
    ledger: Any,
    result: Result,
    *,
    currency: str = "USD",
    full: Result | None = None,
    places: Mapping[str, tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """The ``audit.graph`` query: nodes at stable places, the drawn layers' edges, the loops
    and the round trips (pro-rata), as ``audit --json`` lists them.

    :param full: a fold of the whole history to lay the parties out from (default: folded
        here when ``result`` is a cut as of a date).
    :param places: the places an earlier answer gave (``{id: [x, y]}``), to skip laying out
        again when drawing many dates of one history.
    """
    whole = result if result.as_of is None else (full or ledger.run())
    if places is None:
        places = layout(whole, currency)
    names: Mapping[str, str] = names_of(whole.book.parties)
    fair = warrant_fair_values(ledger, result, currency)
    edges = drawn_edges(result, currency, fair)
    active = {e["source"] for e in edges} | {e["target"] for e in edges}
    report = audit(result, currency=currency, warrant_fair_values=fair)
    audited = report.to_json()
    # Firm loops first, then those resting on non-binding promises (as the report and
    # ``audit --json`` list them).
    promises: dict[tuple[str, str], list[str]] = {}
    for e in edges:
        if e["layer"] in ("binding", "non_binding"):
            promises.setdefault((e["source"], e["target"]), []).append(e["layer"])
    cycles = []
    for cycle in audited["cycles"]:
        for leg in cycle["edges"]:
            if "committed" in leg["layers"]:
                leg["promises"] = promises.get((leg["source"], leg["target"]), [])
        cycles.append(cycle)
    return {
        "as_of": None if report.as_of is None else report.as_of.isoformat(),
        "currency": currency,
        "layers": dict(DRAWN_MEANING),
        "nodes": [
            {
                "id": party,
                "name": names.get(party, party),
                "x": x,
                "y": y,
                "active": party in active,
            }
            for party, (x, y) in places.items()
        ],
        "edges": edges,
        "cycles": cycles,
        "cycles_found": audited["cycles_found"],
        "round_trips": audited["round_trips"],
        "truncated": audited["truncated"],
    }
