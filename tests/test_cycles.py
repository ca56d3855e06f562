"""Flow graphs and cycles."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import time
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.audit.cycles import build_graph, find_cycles, is_time_respecting, search_cycles
from plugins.audit.model import COUNT_LIMIT, WORLD, Edge

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


# --- bounded search: --max-cycles ------------------------------------------------------------------


def complete(n: int, amount=lambda i, j: D(1)) -> list[Edge]:  # type: ignore[no-untyped-def]
    """Every one of ``n`` parties pays every other: the worst case for cycle search."""
    parties = [f"p{i:02d}" for i in range(n)]
    return [
        edge(a, b, amount(i, j), "2025-01-01", f"{a}>{b}")
        for i, a in enumerate(parties)
        for j, b in enumerate(parties)
        if a != b
    ]


def test_max_cycles_lists_the_biggest_and_counts_the_rest() -> None:
    search = search_cycles(GRAPH, max_cycles=2)
    assert [c.bottleneck for c in search.cycles] == [8, 3]
    assert (search.found, search.exact, search.truncated, search.not_listed) == (4, True, True, 2)
    assert search.note() == "truncated: 2 more cycles not listed"
    assert find_cycles(GRAPH, max_cycles=2) == list(search.cycles)
    whole = search_cycles(GRAPH, max_cycles=4)
    assert not whole.truncated and whole.note() is None and len(whole.cycles) == 4
    # Counting stops at count_limit (at least max_cycles + 1): then the count is a lower bound.
    capped = search_cycles(GRAPH, max_cycles=1, count_limit=2)
    assert [c.bottleneck for c in capped.cycles] == [8]
    assert (capped.found, capped.exact) == (2, False)
    assert capped.note() == "truncated: at least 1 more cycles not listed"
    with pytest.raises(ValueError, match="max_cycles"):
        search_cycles(GRAPH, max_cycles=0)


def test_a_dense_graph_returns_quickly_and_reports_truncation() -> None:
    # 20 parties all paying each other $1, plus a planted $9 loop p03 → p07 → p11 → p03 and a
    # $5 two-party loop p01 ⇄ p02. Up to 6 parties this graph has 5,054,836 simple cycles:
    # listing them all took ~70 s a layer; the bounded search must stay well under that.
    big = {("p03", "p07"): 9, ("p07", "p11"): 9, ("p11", "p03"): 9, ("p01", "p02"): 5}
    big[("p02", "p01")] = 5
    edges = complete(20, lambda i, j: D(big.get((f"p{i:02d}", f"p{j:02d}"), 1)))
    started = time.perf_counter()
    search = search_cycles(edges, max_length=6, max_cycles=1000)
    elapsed = time.perf_counter() - started
    assert elapsed < 10, elapsed  # ~0.2 s here
    assert len(search.cycles) == 1000 and search.truncated
    assert not search.exact and search.found == COUNT_LIMIT
    assert search.note() == "truncated: at least 99,000 more cycles not listed"
    top = [(c.path, c.bottleneck) for c in search.cycles[:2]]
    assert top == [(("p03", "p07", "p11", "p03"), 9), (("p01", "p02", "p01"), 5)]
    # The rest tie at $1; the shortest are listed first: all 188 other two-party loops.
    assert [len(c.parties) for c in search.cycles[2:190]] == [2] * 188
    assert all(c.bottleneck == 1 for c in search.cycles[2:])


def test_min_amount_prunes_the_graph_before_the_search() -> None:
    # Same dense graph: with min_amount 9 only the planted loop's edges are searched.
    big = {("p03", "p07"): 9, ("p07", "p11"): 9, ("p11", "p03"): 9}
    edges = complete(20, lambda i, j: D(big.get((f"p{i:02d}", f"p{j:02d}"), 1)))
    started = time.perf_counter()
    search = search_cycles(edges, min_amount=D(9), max_length=6)  # no max_cycles: all of them
    assert time.perf_counter() - started < 5
    assert [c.path for c in search.cycles] == [("p03", "p07", "p11", "p03")]
    assert (search.found, search.exact) == (1, True)


def test_the_listing_does_not_depend_on_the_order_of_the_edges() -> None:
    edges = complete(7)
    first = search_cycles(edges, max_length=4, max_cycles=30)
    shuffled = list(edges)
    random.Random(7).shuffle(shuffled)
    again = search_cycles(shuffled, max_length=4, max_cycles=30)
    assert [c.path for c in first.cycles] == [c.path for c in again.cycles]
    assert first.found == again.found == 21 + 35 * 2 + 35 * 6  # 2-, 3- and 4-party loops


@st.composite
def graphs(draw):  # type: ignore[no-untyped-def]
    parties = [f"p{i}" for i in range(draw(st.integers(2, 6)))]
    pairs = [(a, b) for a in parties for b in parties if a != b]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    return [edge(a, b, draw(st.integers(1, 4)), "2025-01-01", f"{a}>{b}") for a, b in chosen]


@settings(max_examples=300, deadline=None)
@given(
    graphs(),
    st.integers(1, 12),
    st.one_of(st.none(), st.integers(2, 6)),
    st.integers(0, 3),
    st.integers(1, 40),
)
def test_a_truncated_search_lists_exactly_the_biggest_cycles(
    edges, max_cycles, max_length, min_amount, count_limit
) -> None:
    every = find_cycles(edges, min_amount=D(min_amount), max_length=max_length)
    search = search_cycles(
        edges,
        min_amount=D(min_amount),
        max_length=max_length,
        max_cycles=max_cycles,
        count_limit=count_limit,
    )
    listed = list(search.cycles)
    limit = max(count_limit, max_cycles + 1)
    assert search.found == min(len(every), limit) and search.exact == (len(every) < limit)
    assert len(listed) == min(max_cycles, len(every))
    assert search.truncated == (len(every) > max_cycles)
    # The biggest bottlenecks, in order; every listed cycle is a real one, none twice.
    assert [c.bottleneck for c in listed] == [c.bottleneck for c in every[:max_cycles]]
    assert listed == sorted(listed, key=lambda c: (-c.bottleneck, len(c.path), c.path))
    assert {c.path for c in listed} <= {c.path for c in every}
    assert len({c.path for c in listed}) == len(listed)
    assert all(c in every for c in listed)
    cut = listed[-1].bottleneck if listed else None
    left_out = [c for c in every if c.bottleneck == cut and c not in listed]
    if left_out:  # ties at the cut: the shortest are listed
        assert max(len(c.path) for c in listed if c.bottleneck == cut) <= min(
            len(c.path) for c in left_out
        )


def test_the_listing_at_a_tie_is_the_same_in_every_process() -> None:
    # networkx visits nodes through sets; string hashes change per process, so the search runs
    # on parties numbered in name order. 45 two-party loops, then 55 of the 240 three-party ones.
    script = (
        "import datetime as dt, decimal\n"
        "from plugins.audit.cycles import search_cycles\n"
        "from plugins.audit.model import Edge\n"
        "ps = [f'party-{c}' for c in 'abcdefghij']\n"
        "day = dt.date(2025, 1, 1)\n"
        "edges = [Edge.single('cash', a, b, decimal.Decimal(1), day, a + b)"
        " for a in ps for b in ps if a != b]\n"
        "found = search_cycles(edges, max_length=4, max_cycles=100)\n"
        "print([c.path for c in found.cycles])\n"
    )
    root = Path(__file__).resolve().parent.parent
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
