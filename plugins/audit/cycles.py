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
import itertools
from collections.abc import Iterable, Iterator, Sequence
from decimal import Context, Decimal, Inexact
from itertools import pairwise
from typing import TYPE_CHECKING

from plugins.audit.model import COUNT_LIMIT, WORLD, Cycle, CycleSearch, Edge

__all__ = ["build_graph", "find_cycles", "is_time_respecting", "search_cycles"]

_EXACT = Context(prec=60, traps=[Inexact])


if TYPE_CHECKING:
    import networkx as nx


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
    import networkx as nx  # here: importing networkx costs every command ~0.5 s of start-up

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
    sampled = any(e.days for e in group)
    days = tuple(sorted({d for e in group for d in e.day_numbers})) if sampled else ()
    return Edge(
        layer=first.layer,
        source=first.source,
        target=first.target,
        amount=amount,
        first_date=min(e.first_date for e in group),
        last_date=max(e.last_date for e in group),
        event_ids=tuple(event_id for event_id, _ in events),
        event_dates=tuple(date for _, date in events),
        days=days,
        events=sum(e.event_count for e in group) if sampled else 0,
    )


def is_time_respecting(edges: Sequence[Edge]) -> bool:
    """Whether one event per edge, in cycle order from some rotation, has non-decreasing dates.

    For a fixed rotation a greedy scan is optimal: taking the earliest event
    of each edge that is not before the previous pick leaves the most room for
    the edges after it.  Every rotation is tried, so a loop that "starts" at
    any party counts.  Equal dates are allowed (same-day round trips happen).
    """
    dates = [edge.day_numbers for edge in edges]
    for start in range(len(dates)):
        previous: int | None = None
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
    max_cycles: int | None = None,
) -> list[Cycle]:
    """The simple cycles of the layer's flow graph, biggest bottleneck first.

    Each path starts at its lexicographically smallest party and repeats it at
    the end, so the same loop always reads the same way.  Cycles whose
    bottleneck is below ``min_amount`` are dropped; ``max_length`` bounds the
    number of parties (edges) on a cycle; ``max_cycles`` keeps only the biggest
    (see :func:`search_cycles`, which also says how many were left out).  Ties
    are ordered by length, then path, so the output is deterministic.

    The number of simple cycles can grow exponentially with a dense graph;
    pass ``max_length`` and ``max_cycles`` for big layers.
    """
    return list(
        search_cycles(
            edges, min_amount=min_amount, max_length=max_length, max_cycles=max_cycles
        ).cycles
    )


def search_cycles(
    edges: Iterable[Edge],
    *,
    min_amount: Decimal = Decimal(0),
    max_length: int | None = None,
    max_cycles: int | None = None,
    count_limit: int = COUNT_LIMIT,
) -> CycleSearch:
    """The biggest cycles of the layer (at most ``max_cycles``; None: all), and how many exist.

    The search stays bounded on dense graphs:

    * edges below ``min_amount`` are removed *before* the search — a cycle's bottleneck is its
      smallest edge, so these are exactly the cycles ``min_amount`` would drop;
    * networkx enumerates with ``length_bound=max_length`` (never longer cycles);
    * with ``max_cycles``, cycles are only counted (up to ``count_limit``) until it is clear
      they do not all fit; the listed ones are then found without enumerating the rest: the
      largest amount threshold whose subgraph (edges ≥ threshold) has at most ``max_cycles``
      cycles is bisected, its cycles — every cycle with a bottleneck above the next amount —
      are listed, and the remaining places go to cycles whose bottleneck equals that next
      amount, shortest first (among equally long ones, in the search's deterministic order).
      Every step stops after a few times ``max_cycles`` cycles.

    So the listed cycles are always the biggest ones, and ``found`` is exact unless counting
    stopped at ``count_limit`` (then ``exact`` is False and ``found`` a lower bound).
    """
    if not isinstance(min_amount, Decimal):
        raise TypeError(f"min_amount must be a Decimal, not {type(min_amount).__name__}")
    for name, value in (("max_length", max_length), ("max_cycles", max_cycles)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"{name} must be a positive int or None, got {value!r}")
    graph = build_graph(edges)
    layer = graph.graph["layer"]
    search = _Search(graph, min_amount, max_length)
    if max_cycles is None:
        chosen = list(search.cycles(search.graph))
        found, exact = len(chosen), True
    else:
        limit = max(count_limit, max_cycles + 1)
        found = search.count(search.graph, limit)
        exact = found < limit
        if found <= max_cycles:
            chosen = list(search.cycles(search.graph))
        else:
            chosen = search.biggest(max_cycles)
    listed = [search.cycle(nodes, layer) for nodes in chosen]
    listed.sort(key=lambda cycle: (-cycle.bottleneck, len(cycle.path), cycle.path))
    return CycleSearch(tuple(listed), found, exact)


class _Search:
    """Cycle enumeration over an integer copy of the graph (parties numbered in name order).

    Why integers: networkx keeps nodes in sets along the way, and the iteration order of a set
    of strings changes from one process to the next (hash randomisation); of small ints it does
    not. The listed cycles at a truncation cut must not depend on the process.
    """

    def __init__(self, graph: nx.DiGraph, min_amount: Decimal, max_length: int | None) -> None:
        self.source = graph
        self.names = sorted(graph.nodes)
        number = {name: i for i, name in enumerate(self.names)}
        self.amount: dict[tuple[int, int], Decimal] = {}
        for u, v in sorted(graph.edges, key=lambda e: (number[e[0]], number[e[1]])):
            amount = graph.edges[u, v]["amount"]
            if amount >= min_amount:
                self.amount[number[u], number[v]] = amount
        self.max_length = max_length
        self.graph = self.subgraph(None)

    def subgraph(self, threshold: Decimal | None) -> nx.DiGraph:
        """The edges of at least ``threshold`` (None: all of them)."""
        import networkx as nx

        sub = nx.DiGraph()
        sub.add_nodes_from(range(len(self.names)))
        sub.add_edges_from(
            e for e, amount in self.amount.items() if threshold is None or amount >= threshold
        )
        return sub

    def cycles(self, graph: nx.DiGraph, length: int | None = None) -> Iterator[list[int]]:
        """Simple cycles of at most ``length`` parties (default: the search's max_length)."""
        import networkx as nx

        bound = self.max_length if length is None else length
        return nx.simple_cycles(graph, length_bound=bound)  # type: ignore[no-any-return]

    def count(self, graph: nx.DiGraph, cap: int) -> int:
        return sum(1 for _ in itertools.islice(self.cycles(graph), cap))

    def bottleneck(self, nodes: list[int]) -> Decimal:
        return min(self.amount[u, v] for u, v in pairwise([*nodes, nodes[0]]))

    def biggest(self, k: int) -> list[list[int]]:
        """``k`` cycles with no bigger bottleneck left out (the graph has more than ``k``)."""
        levels = sorted(set(self.amount.values()), reverse=True)
        # Invariant: subgraph(levels[low]) has ≤ k cycles (low = -1: no edges, none);
        # subgraph(levels[high]) has more than k (high = last: the whole graph).
        low, high = -1, len(levels) - 1
        while high - low > 1:
            middle = (low + high) // 2
            if self.count(self.subgraph(levels[middle]), k + 1) <= k:
                low = middle
            else:
                high = middle
        chosen = [] if low < 0 else list(self.cycles(self.subgraph(levels[low])))
        # The rest: cycles whose bottleneck is exactly levels[high], shortest first.
        cut, graph = levels[high], self.subgraph(levels[high])
        longest = self.max_length or len(self.names)
        for length in range(2, longest + 1):
            if len(chosen) == k:
                break
            for nodes in self.cycles(graph, length):
                # Shorter cycles were taken in earlier rounds; bigger ones are in ``chosen``.
                if len(nodes) == length and self.bottleneck(nodes) == cut:
                    chosen.append(nodes)
                    if len(chosen) == k:
                        break
        return chosen

    def cycle(self, nodes: list[int], layer: str) -> Cycle:
        start = nodes.index(min(nodes))  # numbers follow names: the smallest party first
        rotated = [self.names[n] for n in (*nodes[start:], *nodes[:start])]
        path = (*rotated, rotated[0])
        on_cycle = tuple(self.source.edges[u, v]["edge"] for u, v in pairwise(path))
        return Cycle(
            layer=layer,
            path=path,
            bottleneck=min(edge.amount for edge in on_cycle),
            time_respecting=is_time_respecting(on_cycle),
            event_ids=tuple(event_id for edge in on_cycle for event_id in edge.event_ids),
            edges=on_cycle,
        )
