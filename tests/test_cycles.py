"""Flow graphs and cycles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from plugins.audit.cycles import build_graph, find_cycles, is_time_respecting
from plugins.audit.model import WORLD, Edge

B = D(10) ** 9


def edge(source: str, target: str, amount: D | int, date: str, event_id: str = "") -> Edge:
    day = dt.date.fromisoformat(date)
    return Edge.single(
        "cash", source, target, D(amount), day, event_id or f"{source}>{target}@{date}"
    )


def test_parallel_edges_are_aggregated_and_world_and_self_loops_dropped() -> None:
    graph = build_graph(
        [
            edge("A", "B", 3, "2025-03-01", "e2"),
            edge("A", "B", 4, "2025-01-01", "e1"),
            edge(WORLD, "A", 100, "2025-01-01"),
            edge("C", WORLD, 100, "2025-01-01"),
            edge("A", "A", 5, "2025-01-01"),
        ]
    )
    assert set(graph.nodes) == {"A", "B", "C"}  # C only ever dealt with the world
    assert list(graph.edges) == [("A", "B")]
    merged = graph.edges["A", "B"]["edge"]
    assert merged.amount == 7 and graph.edges["A", "B"]["amount"] == 7
    assert merged.first_date == dt.date(2025, 1, 1) and merged.last_date == dt.date(2025, 3, 1)
    assert merged.event_ids == ("e1", "e2")  # ordered by date
    assert merged.event_dates == (dt.date(2025, 1, 1), dt.date(2025, 3, 1))
    assert graph.graph["layer"] == "cash"


def test_layers_must_not_mix() -> None:
    other = Edge.single("purchase", "B", "A", D(1), dt.date(2025, 1, 1), "p")
    with pytest.raises(ValueError, match="layers"):
        build_graph([edge("A", "B", 1, "2025-01-01"), other])


def test_two_party_loop() -> None:
    # NVIDIA invests $10B in OpenAI, OpenAI buys $6B of NVIDIA systems (in two orders).
    cycles = find_cycles(
        [
            edge("NVIDIA", "OpenAI", 10 * B, "2025-01-15", "inv"),
            edge("OpenAI", "NVIDIA", 4 * B, "2025-03-01", "po1"),
            edge("OpenAI", "NVIDIA", 2 * B, "2025-04-01", "po2"),
        ]
    )
    [cycle] = cycles
    assert cycle.layer == "cash"
    assert cycle.path == ("NVIDIA", "OpenAI", "NVIDIA")  # starts at the smallest id
    assert cycle.bottleneck == 6 * B
    assert cycle.time_respecting
    assert cycle.event_ids == ("inv", "po1", "po2")
    assert [e.amount for e in cycle.edges] == [10 * B, 6 * B]
    assert cycle.pairs == (("NVIDIA", "OpenAI"), ("OpenAI", "NVIDIA"))


def test_three_party_loop_is_rotated_to_the_smallest_party() -> None:
    cycles = find_cycles(
        [
            edge("Oracle", "AMD", 5, "2025-01-01"),
            edge("AMD", "Microsoft", 7, "2025-02-01"),
            edge("Microsoft", "Oracle", 9, "2025-03-01"),
        ]
    )
    [cycle] = cycles
    assert cycle.path == ("AMD", "Microsoft", "Oracle", "AMD")
    assert cycle.bottleneck == 5
    # Oracle→AMD (Jan) → AMD→Microsoft (Feb) → Microsoft→Oracle (Mar): starts at Oracle.
    assert cycle.time_respecting


def test_every_two_party_loop_is_time_respecting_from_one_side() -> None:
    # A→B in June, B→A in January.  Read from A that is backwards in time, but read from B
    # it is B→A (Jan) then A→B (Jun): a round trip in order.  Any rotation may start the
    # chain, so a 2-cycle always qualifies: start with the leg holding the earliest event;
    # every event of the other leg is on or after it.
    [cycle] = find_cycles([edge("A", "B", 1, "2025-06-01"), edge("B", "A", 1, "2025-01-01")])
    assert cycle.time_respecting


def test_three_party_loop_whose_dates_decrease_around_every_rotation() -> None:
    # A→B Mar, B→C Feb, C→A Jan.  Every rotation hits a step back in time:
    #   A→B(Mar) B→C(Feb)✗ · B→C(Feb) C→A(Jan)✗ · C→A(Jan) A→B(Mar) B→C(Feb)✗
    edges = [
        edge("A", "B", 1, "2025-03-01"),
        edge("B", "C", 1, "2025-02-01"),
        edge("C", "A", 1, "2025-01-01"),
    ]
    [cycle] = find_cycles(edges)
    assert not cycle.time_respecting
    # A repeat of A→B in April does not help: A→B(Apr) B→C(Feb)✗, C→A(Jan) A→B(Mar)
    # B→C(Feb)✗ — the greedy pick for A→B is the earliest ≥ Jan, i.e. March.
    assert not find_cycles([*edges, edge("A", "B", 1, "2025-04-01")])[0].time_respecting
    # A repeat of B→C in April does: C→A(Jan) → A→B(Mar) → B→C(Apr).
    assert find_cycles([*edges, edge("B", "C", 1, "2025-04-01")])[0].time_respecting


def test_greedy_scan_needs_the_earliest_feasible_event() -> None:
    # Edge 2 has events in Feb and Jun; edge 3 only in Mar.  Picking Jun for edge 2 would fail.
    edges = [
        Edge.single("cash", "A", "B", D(1), dt.date(2025, 1, 1), "x"),
        Edge(
            "cash",
            "B",
            "C",
            D(2),
            dt.date(2025, 2, 1),
            dt.date(2025, 6, 1),
            ("late", "early"),
            (dt.date(2025, 6, 1), dt.date(2025, 2, 1)),
        ),
        Edge.single("cash", "C", "A", D(1), dt.date(2025, 3, 1), "z"),
    ]
    assert is_time_respecting(edges)
    # Same-day legs count as in order.
    same_day = [edge("A", "B", 1, "2025-01-01"), edge("B", "A", 1, "2025-01-01")]
    assert is_time_respecting(same_day)


GRAPH = [
    edge("A", "B", 10, "2025-01-01"),
    edge("B", "A", 8, "2025-01-02"),  # A⇄B bottleneck 8
    edge("B", "C", 3, "2025-01-03"),
    edge("C", "A", 5, "2025-01-04"),  # A→B→C→A bottleneck 3
    edge("C", "D", 2, "2025-01-05"),
    edge("D", "B", 2, "2025-01-06"),  # B→C→D→B bottleneck 2
    edge("D", "A", 1, "2025-01-07"),  # A→B→C→D→A bottleneck 1
]


def test_cycles_are_sorted_by_bottleneck() -> None:
    cycles = find_cycles(GRAPH)
    assert [(c.path, c.bottleneck) for c in cycles] == [
        (("A", "B", "A"), D(8)),
        (("A", "B", "C", "A"), D(3)),
        (("B", "C", "D", "B"), D(2)),
        (("A", "B", "C", "D", "A"), D(1)),
    ]


def test_min_amount_filter() -> None:
    assert [c.bottleneck for c in find_cycles(GRAPH, min_amount=D(2))] == [8, 3, 2]
    assert [c.bottleneck for c in find_cycles(GRAPH, min_amount=D("2.01"))] == [8, 3]
    assert find_cycles(GRAPH, min_amount=D(9)) == []
    with pytest.raises(TypeError):
        find_cycles(GRAPH, min_amount=2.0)  # type: ignore[arg-type]


def test_max_length_filter() -> None:
    assert [len(c.parties) for c in find_cycles(GRAPH, max_length=2)] == [2]
    assert [len(c.parties) for c in find_cycles(GRAPH, max_length=3)] == [2, 3, 3]
    assert len(find_cycles(GRAPH, max_length=4)) == 4
    assert find_cycles(GRAPH, max_length=1) == []
    with pytest.raises(ValueError):
        find_cycles(GRAPH, max_length=0)


def test_no_edges_no_cycles() -> None:
    assert find_cycles([]) == []
    assert find_cycles([edge("A", WORLD, 1, "2025-01-01"), edge(WORLD, "A", 1, "2025-01-02")]) == []


def test_edge_validation() -> None:
    day = dt.date(2025, 1, 1)
    with pytest.raises(TypeError):
        Edge.single("cash", "A", "B", 1.0, day, "e")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="event_dates"):
        Edge("cash", "A", "B", D(1), day, day, ("e1", "e2"), (day,))
    with pytest.raises(ValueError, match="min/max"):
        Edge("cash", "A", "B", D(1), day, dt.date(2025, 2, 1), ("e1",), (day,))
