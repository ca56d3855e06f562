"""A sweep's line chart (PNG or SVG): each chosen figure against the varied setting.

Coordinates are converted to floats here, and only here, to place points on the picture; the
figures themselves stay exact (the table and the JSON carry them). One panel per unit (amounts
in $B, multiples, shares), so figures of different kinds never share an axis. A price sweep
marks every tranche of the issuer's warrants at its price hurdle (and names its delivery
condition), and the lines are broken at each hurdle: a value may jump there, and a line drawn
across the jump would show prices that were never computed.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ledger.model.amounts import format_decimal
from plugins.scenarios.render import CURRENCY
from plugins.scenarios.sweep import SweepResult

FORMATS: Final = {".svg": "svg", ".png": "png"}
COLOURS: Final = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
BILLION: Final = Decimal(10) ** 9


def _scale(unit: str, largest: Decimal) -> tuple[Decimal, str]:
    """Divide by this and label the axis so: billions, millions or units, by the largest value."""
    if CURRENCY.match(unit):
        if largest >= BILLION / 10:
            return BILLION, f"{unit} billions"
        if largest >= Decimal(10) ** 5:
            return Decimal(10) ** 6, f"{unit} millions"
        return Decimal(1), unit
    if unit == "share":
        return Decimal("0.01"), "percent"
    if unit == "ratio":
        return Decimal(1), "multiple (×)"
    return Decimal(1), unit or "value"


def _short(value: Decimal) -> str:
    """A value for a legend, half-even to 0.01 (display only)."""
    return format_decimal(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def _segments(
    xs: Sequence[Decimal], ys: Sequence[Decimal | None], breaks: Sequence[Decimal]
) -> list[tuple[list[float], list[float]]]:
    """Runs of known points, cut where a value is unknown and between two sides of a break."""
    runs: list[tuple[list[float], list[float]]] = []
    current: tuple[list[float], list[float]] = ([], [])
    previous: Decimal | None = None
    for x, y in zip(xs, ys, strict=True):
        crossed = previous is not None and any(previous < b <= x for b in breaks)
        if y is None or crossed:
            if current[0]:
                runs.append(current)
            current = ([], [])
        if y is not None:
            current[0].append(float(x))
            current[1].append(float(y))
        previous = x
    if current[0]:
        runs.append(current)
    return runs


def draw_sweep(result: SweepResult, out: pathlib.Path) -> None:
    """Write the chart of ``result`` to ``out`` (``.png`` or ``.svg``)."""
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ValueError(f"expected a .png or .svg file; got {out.name}")
    units = list(dict.fromkeys(result.units[f] for f in result.figures))
    xs = [v for v, _ in result.points]
    breaks = sorted({h.price for h in result.hurdles if h.price is not None})
    with matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "loopledger", "font.family": "DejaVu Sans"}
    ):
        fig = Figure(figsize=(11, 4.2 + 2.8 * len(units)), layout="constrained")
        FigureCanvasAgg(fig)
        title = result.scenario.title or result.scenario.name
        fig.suptitle(
            f"{title}\nfigures against the {result.axis or result.vary.what}, as of {result.as_of.isoformat()}",
            fontsize=13,
            fontweight="bold",
        )
        axes = fig.subplots(len(units), 1, sharex=True, squeeze=False)[:, 0]
        for ax, unit in zip(axes, units, strict=True):
            mine = [f for f in result.figures if result.units[f] == unit]
            largest = max(
                (abs(v) for _, fs in result.points for f in mine if (v := fs[f]) is not None),
                default=Decimal(0),
            )
            scale, label = _scale(unit, largest)
            for n, key in enumerate(f for f in result.figures if result.units[f] == unit):
                colour = COLOURS[n % len(COLOURS)]
                ys = [None if (y := fs[key]) is None else y / scale for _, fs in result.points]
                for i, (sx, sy) in enumerate(_segments(xs, ys, breaks)):
                    ax.plot(
                        sx,
                        sy,
                        color=colour,
                        marker="o",
                        markersize=3,
                        linewidth=1.8,
                        label=result.labels[key] if i == 0 else None,
                    )
                written = result.as_written[key]
                if written is not None:
                    ax.axhline(
                        float(written / scale),
                        color=colour,
                        linestyle=":",
                        linewidth=1,
                        label=f"as written: {_short(written / scale)} ({label})",
                    )
            for n, h in enumerate(result.hurdles):
                if h.price is None:
                    continue
                ax.axvline(float(h.price), color="#555555", linestyle="--", linewidth=1.2)
                if ax is axes[0]:
                    ax.annotate(
                        h.label,
                        xy=(float(h.price), 1.0),
                        xycoords=("data", "axes fraction"),
                        xytext=(-4, -14 - 12 * n),
                        textcoords="offset points",
                        ha="right",
                        fontsize=8,
                        color="#333333",
                    )
            ax.set_ylabel(label)
            ax.grid(True, color="#DDDDDD", linewidth=0.6)
            ax.legend(loc="upper left", fontsize=8, frameon=False)
        axes[-1].set_xlabel(result.axis or result.vary.what)
        unmarked = [h.label for h in result.hurdles if h.price is None]
        if unmarked:
            fig.text(
                0.01, 0.005, "Tranches without a price hurdle: " + "; ".join(unmarked), fontsize=8
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        metadata = {"Date": None} if fmt == "svg" else None
        fig.savefig(out, format=fmt, dpi=110, facecolor="white", metadata=metadata)
