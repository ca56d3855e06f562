"""A picture of one flow layer with its cycles highlighted.

An auditor's first question is "where are the loops?", and a drawing answers
it faster than a table.  The picture is deterministic (a circular layout, no
randomness) so the same ledger always gives the same file, and it needs no
system binaries (matplotlib's Agg renderer, networkx for geometry).

Amounts are rounded here, and only here, for display: labels show billions of
USD with one decimal (``"$10.0B"``); the numbers the audit computes stay exact.
"""

from __future__ import annotations

import pathlib
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import matplotlib
import networkx as nx
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from plugins.audit.cycles import build_graph
from plugins.audit.model import Cycle, Edge

__all__ = ["billions", "draw"]

_BILLION = Decimal(10) ** 9
_TENTH = Decimal("0.1")
# Colour-blind-friendly, high-contrast colours for the biggest cycles (Okabe–Ito order).
_CYCLE_COLOURS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_OTHER_CYCLES = "#8B4513"
_PLAIN = "#A0A0A0"
_CURVE = "arc3,rad=0.15"
_NODE_SIZE = 2200
_SUFFIXES = {".svg": "svg", ".png": "png"}


def billions(amount: Decimal) -> str:
    """``Decimal(12_345_000_000)`` → ``"$12.3B"`` (half-up); tiny non-zero flows → ``"<$0.1B"``."""
    tenths = (amount / _BILLION).quantize(_TENTH, rounding=ROUND_HALF_UP)
    if tenths == 0 and amount > 0:
        return "<$0.1B"
    return f"${tenths:,}B"


def draw(
    edges: Iterable[Edge],
    cycles: Sequence[Cycle],
    *,
    title: str,
    out: pathlib.Path,
    names: Mapping[str, str] | None = None,
) -> None:
    """Write a picture of ``edges`` (one layer) to ``out`` (``.svg`` or ``.png``).

    Parties are nodes labelled with ``names[party]`` (the id when missing);
    flows are curved arrows whose width grows linearly with the amount and
    whose label is the amount in $B.  Edges on a cycle take the colour of the
    biggest cycle (first in ``cycles``) they lie on; the legend lists the
    coloured cycles with their bottleneck.  The SVG keeps text as text, so
    party names are searchable in the file.
    """
    fmt = _SUFFIXES.get(out.suffix.lower())
    if fmt is None:
        raise ValueError(f"unsupported picture format {out.suffix!r}: use .svg or .png")
    names = dict(names or {})
    graph = build_graph(edges)
    for cycle in cycles:
        graph.add_nodes_from(cycle.parties)

    colour_of, legend = _cycle_colours(graph, cycles, names)
    pos = nx.circular_layout(_layout_order(graph, cycles))

    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": "DejaVu Sans"}):
        fig = Figure(figsize=(12, 9), layout="constrained")
        FigureCanvasAgg(fig)
        fig.suptitle(title, fontsize=16, fontweight="bold")
        # The graph gets a square-ish panel; the legend its own narrow column, so a long
        # list of cycles never squeezes or covers the drawing.
        grid = fig.add_gridspec(1, 2, width_ratios=(3.0, 1.1))
        ax = fig.add_subplot(grid[0])
        ax.set_axis_off()
        ax.set_aspect("equal")
        _draw_graph(ax, graph, pos, colour_of, names)
        side = fig.add_subplot(grid[1])
        side.set_axis_off()
        if legend:
            side.legend(
                handles=legend,
                loc="upper left",
                fontsize=9,
                frameon=False,
                title="Cycles (bottleneck)",
                title_fontsize=11,
                alignment="left",
                labelspacing=0.9,
                handlelength=1.6,
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, format=fmt, dpi=120, facecolor="white")


def _layout_order(graph: nx.DiGraph, cycles: Sequence[Cycle]) -> list[str]:
    """Nodes in circle order: big cycles' parties adjacent, so their arrows stay short."""
    order: list[str] = []
    for cycle in cycles:
        order.extend(p for p in cycle.parties if p not in order and p in graph)
    order.extend(sorted(p for p in graph.nodes if p not in order))
    return order


def _cycle_colours(
    graph: nx.DiGraph, cycles: Sequence[Cycle], names: Mapping[str, str]
) -> tuple[dict[tuple[str, str], str], list[Line2D]]:
    colour_of: dict[tuple[str, str], str] = {}
    legend: list[Line2D] = []
    others = 0
    for index, cycle in enumerate(cycles):
        colour = _CYCLE_COLOURS[index] if index < len(_CYCLE_COLOURS) else _OTHER_CYCLES
        for pair in cycle.pairs:
            if graph.has_edge(*pair):
                colour_of.setdefault(pair, colour)
        if index < len(_CYCLE_COLOURS):
            route = " → ".join(names.get(p, p) for p in cycle.path)
            timing = "" if cycle.time_respecting else ", out of time order"
            text = textwrap.fill(f"{route} ({billions(cycle.bottleneck)}{timing})", 34)
            legend.append(Line2D([], [], color=colour, linewidth=3, label=text))
        else:
            others += 1
    if others:
        legend.append(
            Line2D([], [], color=_OTHER_CYCLES, linewidth=3, label=f"{others} smaller cycles")
        )
    if legend:
        legend.append(Line2D([], [], color=_PLAIN, linewidth=2, label="flow on no cycle"))
    return colour_of, legend


def _draw_graph(
    ax: Axes,
    graph: nx.DiGraph,
    pos: Mapping[str, Any],
    colour_of: Mapping[tuple[str, str], str],
    names: Mapping[str, str],
) -> None:
    pairs = list(graph.edges)
    amounts = [graph.edges[pair]["amount"] for pair in pairs]
    biggest = max(amounts, default=Decimal(0))
    widths = [1.0 + 7.0 * float(a / biggest) if biggest else 1.0 for a in amounts]
    colours = [colour_of.get(pair, _PLAIN) for pair in pairs]
    # Plain flows first, cycle flows on top.
    order = sorted(range(len(pairs)), key=lambda i: pairs[i] in colour_of)
    nx.draw_networkx_nodes(
        graph,
        pos,
        ax=ax,
        node_size=_NODE_SIZE,
        node_color="#F4F1E8",
        edgecolors="#444444",
        linewidths=1.5,
    )
    if pairs:
        nx.draw_networkx_edges(
            graph,
            pos,
            ax=ax,
            edgelist=[pairs[i] for i in order],
            width=[widths[i] for i in order],
            edge_color=[colours[i] for i in order],
            alpha=0.85,
            arrows=True,
            arrowstyle="-|>",
            arrowsize=18,
            node_size=_NODE_SIZE,
            connectionstyle=_CURVE,
        )
        amount_labels = nx.draw_networkx_edge_labels(
            graph,
            pos,
            ax=ax,
            edge_labels={pair: billions(graph.edges[pair]["amount"]) for pair in pairs},
            font_size=9,
            font_color="#222222",
            # Off-centre towards the payer, so the labels of A→B and B→A sit apart.
            label_pos=0.62,
            rotate=False,
            node_size=_NODE_SIZE,
            connectionstyle=_CURVE,
            bbox={
                "boxstyle": "round,pad=0.2",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.85,
            },
        )
        for text in amount_labels.values():
            text.set_zorder(4)  # above arrows and node discs, below party names
    # Names last so no arrow or amount label covers them.
    labels = nx.draw_networkx_labels(
        graph,
        pos,
        ax=ax,
        labels={p: names.get(p, p) for p in graph.nodes},
        font_size=11,
        font_weight="bold",
        bbox={"boxstyle": "round,pad=0.25", "facecolor": "#F4F1E8", "edgecolor": "none"},
    )
    for text in labels.values():
        text.set_zorder(5)
    ax.margins(0.12)
