"""Flow graphs and their cycles: where money (or claims) can go round.

The tracer (:mod:`plugins.audit.tracing`) answers "how much came back"; this
module answers "along which loops could it have come back".  A cycle in a flow
layer is only a *possible* round trip: the bottleneck (smallest edge) caps the
money that can have gone all the way round, and the time-respecting flag says
whether the recorded events even happened in an order that allows it.

Graphs are built one layer at a time; the caller chooses which edges form a
layer (e.g. all investments, or all cash) and passes only those.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterable, Sequence
from decimal import Context, Decimal, Inexact
from itertools import pairwise

import networkx as nx

from plugins.audit.model import WORLD, Cycle, Edge

__all__ = ["build_graph", "find_cycles", "is_time_respecting"]

_EXACT = Context(prec=60, traps=[Inexact])


def build_graph(edges: Iterable[Edge]) -> nx.DiGraph:
    """A :class:`networkx.DiGraph` with one edge per (source, target).

    Parallel edges are aggregated: amounts summed, first_date the earliest,
    last_date the latest, event ids unioned (each with its date, ordered by
    date then id).  Every non-world party mentioned becomes a node, but edges
    touching :data:`~plugins.audit.model.WORLD` are dropped — the world is not
    one party, so a "cycle through the world" means nothing — and so are
    self-loops (a party paying itself is not circular financing).

    Each graph edge carries the aggregated :class:`Edge` under ``"edge"`` and
    its amount under ``"amount"``; the graph's ``"layer"`` attribute names the
    layer (None for an empty graph).  Mixing layers raises :class:`ValueError`
    because a cycle across layers (an investment answered by a purchase) is a
    different question, asked by building a combined layer on purpose.
    """
    graph = nx.DiGraph()
    layer: str | None = None
    groups: dict[tuple[str, str], list[Edge]] = {}
    for edge in edges:
        if not isinstance(edge, Edge):
            raise TypeError(f"expected Edge, got {type(edge).__name__}")
        if layer is None:
            layer = edge.layer
        elif edge.layer != layer:
            raise ValueError(f"edges of layers {layer!r} and {edge.layer!r} mixed in one graph")
        graph.add_nodes_from(p for p in (edge.source, edge.target) if p != WORLD)
        if WORLD in (edge.source, edge.target) or edge.source == edge.target:
            continue
        groups.setdefault((edge.source, edge.target), []).append(edge)
    graph.graph["layer"] = layer
    for (source, target), group in groups.items():
        merged = _aggregate(group)
        graph.add_edge(source, target, edge=merged, amount=merged.amount)
    return graph


def _aggregate(group: Sequence[Edge]) -> Edge:
    if len(group) == 1:
        return group[0]
    dated: dict[str, datetime.date] = {}
    for edge in group:
        for event_id, date in zip(edge.event_ids, edge.event_dates, strict=True):
            dated.setdefault(event_id, date)
    events = sorted(dated.items(), key=lambda item: (item[1], item[0]))
    amount = Decimal(0)
    for edge in group:
        amount = _EXACT.add(amount, edge.amount)
    first = group[0]
    return Edge(
        layer=first.layer,
        source=first.source,
        target=first.target,
        amount=amount,
        first_date=min(e.first_date for e in group),
        last_date=max(e.last_date for e in group),
        event_ids=tuple(event_id for event_id, _ in events),
        event_dates=tuple(date for _, date in events),
    )


def is_time_respecting(edges: Sequence[Edge]) -> bool:
    """Whether one event per edge, in cycle order from some rotation, has non-decreasing dates.

    For a fixed rotation a greedy scan is optimal: taking the earliest event
    of each edge that is not before the previous pick leaves the most room for
    the edges after it.  Every rotation is tried, so a loop that "starts" at
    any party counts.  Equal dates are allowed (same-day round trips happen).
    """
    dates = [sorted(edge.event_dates) for edge in edges]
    for start in range(len(dates)):
        previous: datetime.date | None = None
        for offset in range(len(dates)):
            candidates = dates[(start + offset) % len(dates)]
            index = 0 if previous is None else bisect.bisect_left(candidates, previous)
            if index == len(candidates):
                break
            previous = candidates[index]
        else:
            return True
    return False


def find_cycles(
    edges: Iterable[Edge],
    *,
    min_amount: Decimal = Decimal(0),
    max_length: int | None = None,
) -> list[Cycle]:
    """Every simple cycle of the layer's flow graph, biggest bottleneck first.

    Each path starts at its lexicographically smallest party and repeats it at
    the end, so the same loop always reads the same way.  Cycles whose
    bottleneck is below ``min_amount`` are dropped; ``max_length`` bounds the
    number of parties (edges) on a cycle.  Ties are ordered by length, then
    path, so the output is deterministic.

    The number of simple cycles can grow exponentially with a dense graph;
    pass ``max_length`` for big layers.
    """
    if not isinstance(min_amount, Decimal):
        raise TypeError(f"min_amount must be a Decimal, not {type(min_amount).__name__}")
    if max_length is not None and (
        isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1
    ):
        raise ValueError(f"max_length must be a positive int or None, got {max_length!r}")
    graph = build_graph(edges)
    layer = graph.graph["layer"]
    found: list[Cycle] = []
    for nodes in nx.simple_cycles(graph, length_bound=max_length):
        start = nodes.index(min(nodes))
        rotated = [*nodes[start:], *nodes[:start]]
        path = (*rotated, rotated[0])
        on_cycle = tuple(graph.edges[u, v]["edge"] for u, v in pairwise(path))
        bottleneck = min(edge.amount for edge in on_cycle)
        if bottleneck < min_amount:
            continue
        found.append(
            Cycle(
                layer=layer,
                path=path,
                bottleneck=bottleneck,
                time_respecting=is_time_respecting(on_cycle),
                event_ids=tuple(event_id for edge in on_cycle for event_id in edge.event_ids),
                edges=on_cycle,
            )
        )
    found.sort(key=lambda cycle: (-cycle.bottleneck, len(cycle.path), cycle.path))
    return found
