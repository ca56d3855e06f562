"""A picture of one flow layer with its cycles highlighted.

An auditor's first question is "where are the loops?", and a drawing answers
it faster than a table.  The picture is deterministic (a circular layout, no
randomness) so the same ledger always gives the same file, and it needs no
system binaries (matplotlib's Agg renderer, networkx for geometry).

Amounts are rounded here, and only here, for display: labels show billions of
USD with one decimal (``"$10.0B"``); the numbers the audit computes stay exact.
"""

from __future__ import annotations

import io
import math
import pathlib
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Final

import matplotlib
import networkx as nx
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ledger.faces.files import replace_file
from ledger.faces.output import billions
from ledger.model.safetext import for_mathtext
from plugins.audit.cycles import build_graph
from plugins.audit.model import Cycle, CycleSearch, Edge
from plugins.audit.standing import LegParts, loop_standing

__all__ = ["billions", "draw"]

_BILLION = Decimal(10) ** 9
_TENTH = Decimal("0.1")
# Colour-blind-friendly, high-contrast colours for the biggest cycles (Okabe–Ito order).
_CYCLE_COLOURS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_OTHER_CYCLES = "#8B4513"
_PLAIN = "#A0A0A0"
_RAD = 0.15
_CURVE = f"arc3,rad={_RAD}"
_NODE_SIZE = 500  # points²: small discs, names sit outside the circle
# Layout geometry in data units (the circular layout has radius 1, axes ±1.45 × ±1.3).
_NAME_OFFSET = 0.07
_NODE_CLEARANCE = 0.16
_LABEL_W, _LABEL_H = 0.26, 0.09
_SUFFIXES = {".svg": "svg", ".png": "png"}
MAX_DRAWN_FLOWS = 150
"""Flows drawn at most; the rest are counted in the legend (see :func:`_keep_biggest`)."""


def draw(
    edges: Iterable[Edge],
    cycles: Sequence[Cycle],
    *,
    title: str,
    out: pathlib.Path,
    names: Mapping[str, str] | None = None,
    search: CycleSearch | None = None,
    write: Callable[[pathlib.Path, bytes], None] | None = None,
    parts: Mapping[tuple[str, str], LegParts] | None = None,
) -> None:
    """Write a picture of ``edges`` (one layer) to ``out`` (``.svg`` or ``.png``).

    ``write(out, data)`` stores the file (default: :func:`ledger.faces.files.replace_file`,
    which never writes through a link).

    Parties are nodes labelled with ``names[party]`` (the id when missing);
    flows are curved arrows whose width grows linearly with the amount and
    whose label is the amount in $B.  Edges on a cycle take the colour of the
    biggest cycle (first in ``cycles``) they lie on; the legend lists the
    coloured cycles with their bottleneck.  Flows to or from the world are
    not drawn (see :func:`~plugins.audit.cycles.build_graph`).  The SVG keeps
    text as text, so party names are searchable in the file.  With the
    ``search`` that found a truncated ``cycles``, the legend counts the cycles
    not drawn and calls uncoloured flows "on no drawn cycle" (they may lie on
    one that was left out).  With ``parts`` (what each flow stands on,
    :func:`plugins.audit.api.leg_parts`), each amount carries its code — P paid, S stake,
    B binding, N non-binding — a flow made only of non-binding promises is dashed, and each
    loop in the legend says whether it is firm.
    """
    fmt = _SUFFIXES.get(out.suffix.lower())
    if fmt is None:
        raise ValueError(f"unsupported picture format {out.suffix!r}: use .svg or .png")
    # Names are other people's text: mathtext ($…$) and control/bidi characters escaped.
    names = {party: for_mathtext(name) for party, name in (names or {}).items()}
    graph = build_graph(edges)
    for cycle in cycles:
        graph.add_nodes_from(cycle.parties)

    colour_of, legend = _cycle_colours(graph, cycles, names, search, parts)
    left_out = _keep_biggest(graph, colour_of)
    if left_out:
        label = f"{left_out:,} smaller flows not drawn ({graph.number_of_edges():,} drawn)"
        legend.append(Line2D([], [], color=_PLAIN, linewidth=0, label=textwrap.fill(label, 34)))
    pos = nx.circular_layout(_layout_order(graph, cycles))

    # Text stays text in the SVG; a fixed hash salt makes its element ids reproducible.
    with matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "loopledger", "font.family": "DejaVu Sans"}
    ):
        fig = Figure(figsize=(12, 9), layout="constrained")
        FigureCanvasAgg(fig)
        fig.suptitle(title, fontsize=16, fontweight="bold")
        # The graph gets a square-ish panel; the legend its own narrow column, so a long
        # list of cycles never squeezes or covers the drawing.
        grid = fig.add_gridspec(1, 2, width_ratios=(3.0, 1.1))
        ax = fig.add_subplot(grid[0])
        ax.set_axis_off()
        ax.set_aspect("equal")
        _draw_graph(ax, graph, pos, colour_of, names, parts)
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
        # No creation date in the SVG, so the same ledger gives a byte-identical file.
        metadata = {"Date": None} if fmt == "svg" else None
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=120, facecolor="white", metadata=metadata)
        (write or replace_file)(out, buffer.getvalue())


def _keep_biggest(graph: nx.DiGraph, colour_of: Mapping[tuple[str, str], str]) -> int:
    """Leave at most :data:`MAX_DRAWN_FLOWS` flows in ``graph``: those on the coloured loops,
    then the biggest; return how many were taken out.

    Why: 2,450 labelled arrows between 50 parties cost over a minute to draw and show nothing
    (every pair overlaps every other); the loops in colour and the biggest flows still do.
    """
    pairs = list(graph.edges)
    if len(pairs) <= MAX_DRAWN_FLOWS:
        return 0
    coloured = {p for p in pairs if colour_of.get(p, _OTHER_CYCLES) != _OTHER_CYCLES}
    rest = sorted(
        (p for p in pairs if p not in coloured), key=lambda p: (-graph.edges[p]["amount"], p)
    )
    kept = coloured | set(rest[: max(0, MAX_DRAWN_FLOWS - len(coloured))])
    dropped = [p for p in pairs if p not in kept]
    graph.remove_edges_from(dropped)
    return len(dropped)


def _layout_order(graph: nx.DiGraph, cycles: Sequence[Cycle]) -> list[str]:
    """Nodes in circle order: big cycles' parties adjacent, so their arrows stay short."""
    order: list[str] = []
    for cycle in cycles:
        order.extend(p for p in cycle.parties if p not in order and p in graph)
    order.extend(sorted(p for p in graph.nodes if p not in order))
    return order


def _cycle_colours(
    graph: nx.DiGraph,
    cycles: Sequence[Cycle],
    names: Mapping[str, str],
    search: CycleSearch | None = None,
    parts: Mapping[tuple[str, str], LegParts] | None = None,
) -> tuple[dict[tuple[str, str], str], list[Line2D]]:
    colour_of: dict[tuple[str, str], str] = {}
    legend: list[Line2D] = []
    others = 0
    for index, cycle in enumerate(cycles):
        colour = _CYCLE_COLOURS[index] if index < len(_CYCLE_COLOURS) else _OTHER_CYCLES
        claimed = False
        for pair in cycle.pairs:
            if graph.has_edge(*pair) and pair not in colour_of:
                colour_of[pair] = colour
                claimed = True
        if index < len(_CYCLE_COLOURS):
            route = " → ".join(names.get(p, p) for p in cycle.path)
            timing = "" if cycle.time_respecting else ", out of time order"
            if parts is not None:
                standing, _ = loop_standing(parts.get(pair, LegParts()) for pair in cycle.pairs)
                timing += f", {standing}"
            if claimed:
                text = textwrap.fill(f"{route} ({billions(cycle.bottleneck)}{timing})", 34)
                legend.append(Line2D([], [], color=colour, linewidth=3, label=text))
            else:
                # Every flow of this loop already carries a bigger loop's colour: a swatch of
                # its own would point at nothing on the picture.
                text = textwrap.fill(
                    f"{route} ({billions(cycle.bottleneck)}{timing}; its flows carry the "
                    "colours above)",
                    34,
                )
                legend.append(Line2D([], [], color=_PLAIN, linewidth=2, linestyle=":", label=text))
        else:
            others += 1
    truncated = search is not None and search.truncated
    if others:
        legend.append(
            Line2D([], [], color=_OTHER_CYCLES, linewidth=3, label=f"{others} smaller cycles")
        )
    if truncated:
        assert search is not None
        more = f"{search.not_listed:,}" if search.exact else f"at least {search.not_listed:,}"
        legend.append(
            Line2D([], [], color=_PLAIN, linewidth=0, label=f"{more} more cycles not drawn")
        )
    if legend and any(pair not in colour_of for pair in graph.edges):
        plain = "flow on no drawn cycle" if truncated else "flow on no cycle"
        legend.append(Line2D([], [], color=_PLAIN, linewidth=2, label=plain))
    if parts is not None:
        legend.append(
            Line2D(
                [], [], color=_PLAIN, linewidth=2, linestyle="--", label="only non-binding promises"
            )
        )
        legend.append(
            Line2D(
                [],
                [],
                linewidth=0,
                label=textwrap.fill(
                    "amounts: P paid (cash), S stake handed over, B binding, N non-binding", 34
                ),
            )
        )
    return colour_of, legend


def leg_code(parts: LegParts) -> str:
    """``P+B`` for a flow partly paid and partly a binding promise (see :func:`draw`)."""
    return "+".join(_CODES[k] for k in parts.kinds)


_CODES: Final = {"paid": "P", "stake": "S", "binding": "B", "non_binding": "N"}


def _draw_graph(
    ax: Axes,
    graph: nx.DiGraph,
    pos: Mapping[str, tuple[float, float]],
    colour_of: Mapping[tuple[str, str], str],
    names: Mapping[str, str],
    parts: Mapping[tuple[str, str], LegParts] | None = None,
) -> None:
    pairs = list(graph.edges)
    promised_only = {
        pair for pair in pairs if parts is not None and pair in parts and parts[pair].firm == 0
    }
    amounts = [graph.edges[pair]["amount"] for pair in pairs]
    biggest = max(amounts, default=Decimal(0))
    widths = [1.0 + 5.0 * float(a / biggest) if biggest else 1.0 for a in amounts]
    nx.draw_networkx_nodes(
        graph,
        pos,
        ax=ax,
        node_size=_NODE_SIZE,
        node_color="#F4F1E8",
        edgecolors="#333333",
        linewidths=1.5,
    )
    # Plain flows first and faded, cycle flows on top in full colour: the loops are the story.
    for on_cycle, dashed, alpha in (
        (False, False, 0.45),
        (False, True, 0.45),
        (True, False, 0.9),
        (True, True, 0.9),
    ):
        chosen = [
            i
            for i, pair in enumerate(pairs)
            if (pair in colour_of) == on_cycle and (pair in promised_only) == dashed
        ]
        if not chosen:
            continue
        nx.draw_networkx_edges(
            graph,
            pos,
            ax=ax,
            edgelist=[pairs[i] for i in chosen],
            width=[widths[i] for i in chosen],
            edge_color=[colour_of.get(pairs[i], _PLAIN) for i in chosen],
            alpha=alpha,
            arrows=True,
            arrowstyle="-|>",
            arrowsize=16,
            node_size=_NODE_SIZE,
            connectionstyle=_CURVE,
            style="dashed" if dashed else "solid",
        )
    # Biggest flows get the first pick of label spots.
    by_size = sorted(range(len(pairs)), key=lambda i: (-amounts[i], pairs[i]))
    placed: list[tuple[float, float]] = []
    for i in by_size:
        x, y = _label_spot(pos[pairs[i][0]], pos[pairs[i][1]], list(pos.values()), placed)
        placed.append((x, y))
        ax.text(
            x,
            y,
            billions(amounts[i])
            + (f" {leg_code(parts[pairs[i]])}" if parts and pairs[i] in parts else ""),
            fontsize=9,
            color="#222222",
            ha="center",
            va="center",
            zorder=4,  # above arrows and node discs
            bbox={
                "boxstyle": "round,pad=0.2",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.85,
            },
        )
    # Names outside the circle, pointing away from its centre: every arrow runs inside
    # the circle, so nothing crosses a name however long it is.
    for party, (x, y) in pos.items():
        norm = math.hypot(x, y)
        dx, dy = (x / norm, y / norm) if norm > 1e-9 else (0.0, 1.0)
        ax.text(
            x + _NAME_OFFSET * dx,
            y + _NAME_OFFSET * dy,
            names.get(party, party),
            fontsize=11,
            fontweight="bold",
            ha="left" if dx > 0.3 else "right" if dx < -0.3 else "center",
            va="bottom" if dy > 0.3 else "top" if dy < -0.3 else "center",
            zorder=5,
        )
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.3, 1.3)


def _label_spot(
    source: tuple[float, float],
    target: tuple[float, float],
    nodes: Sequence[tuple[float, float]],
    placed: Sequence[tuple[float, float]],
) -> tuple[float, float]:
    """A point on the drawn arc for an amount label, clear of nodes and other labels.

    The arc is matplotlib's ``arc3`` quadratic Bézier (control point offset by
    ``rad`` × the chord, perpendicular); with an equal-aspect axis this is the
    same curve in data coordinates.  Candidate spots run from the middle
    outwards; the first one far enough from every node and placed label wins,
    otherwise the one with the most room.
    """
    (x0, y0), (x2, y2) = source, target
    cx = (x0 + x2) / 2 + _RAD * (y2 - y0)
    cy = (y0 + y2) / 2 - _RAD * (x2 - x0)
    best: tuple[float, tuple[float, float]] = (-1.0, (cx, cy))
    for t in (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.2, 0.8):
        x = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x2
        y = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y2
        room = min(
            [math.hypot(x - nx_, y - ny_) / _NODE_CLEARANCE for nx_, ny_ in nodes]
            + [math.hypot((x - lx) / _LABEL_W, (y - ly) / _LABEL_H) for lx, ly in placed],
            default=math.inf,
        )
        if room >= 1.0:
            return (x, y)
        if room > best[0]:
            best = (room, (x, y))
    return best[1]
