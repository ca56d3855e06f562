"""What a metric produces: a :class:`Figure`, and the calendar metrics are reported on. Pure.

Why a value type of its own: a figure is only worth something if an auditor can recompute it,
so every figure carries the ids of the events it was computed from (the first
:data:`~ledger.plugin.evidence.INPUTS_LISTED`, and how many there are), its unit, and how it was
rounded. Values stay exact ``Decimal`` (ratios are quotients taken to 50 significant digits);
rounding happens only when a figure is shown (:meth:`Figure.shown`).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import attrs

from ledger.model.amounts import format_decimal
from ledger.plugin import evidence

RATIO_DIGITS = 50
"""Significant digits of every ratio (a quotient is the only inexact step in a metric)."""

RATIO_PLACES = 6
"""Decimal places a ratio is shown with (JSON, CSV, tables), rounded half-even."""

RATIO_PRECISION = (
    f"quotient to {RATIO_DIGITS} significant digits; shown rounded half-even to "
    f"{RATIO_PLACES} decimals"
)
AMOUNT_PRECISION = "exact (no rounding)"

_RATIO_CONTEXT = decimal.Context(
    prec=RATIO_DIGITS,
    rounding=ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
_QUANTUM = Decimal(1).scaleb(-RATIO_PLACES)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """``numerator / denominator`` to 50 significant digits; ``None`` when the denominator is 0."""
    if denominator == 0:
        return None
    return _RATIO_CONTEXT.divide(numerator, denominator)


def round_ratio(value: Decimal) -> Decimal:
    """A ratio as shown: half-even to :data:`RATIO_PLACES` decimals."""
    return value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN, context=_RATIO_CONTEXT)


def _ids(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(ids)


@attrs.frozen(kw_only=True)
class Figure:
    """One metric for one subject (a party, or ``"a→b"`` for a pair) as of a date.

    :param value: exact; ``None`` when it cannot be computed (``detail["reason"]`` says why).
    :param unit: ``"ratio"``, ``"share"`` (a fraction of a whole) or a currency code.
    :param precision: how the value was computed and how it is rounded when shown.
    :param inputs: ids of the events the value was computed from: the first
        :data:`~ledger.plugin.evidence.INPUTS_LISTED` (more given are cut to that many).
    :param inputs_total: how many events the value was computed from (default: ``len(inputs)``
        as given, before the cut).
    :param detail: the components (numerator, denominator, per-counterparty parts, …).
    """

    metric: str
    subject: str
    value: Decimal | None
    unit: str
    precision: str
    inputs: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    detail: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    inputs_total: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.inputs_total is None:
            object.__setattr__(self, "inputs_total", len(self.inputs))
        if len(self.inputs) > evidence.INPUTS_LISTED:
            object.__setattr__(self, "inputs", self.inputs[: evidence.INPUTS_LISTED])

    @property
    def is_ratio(self) -> bool:
        return self.unit in ("ratio", "share")

    def shown(self) -> str | None:
        """The value as text: ratios rounded half-even to 6 decimals, amounts exact."""
        if self.value is None:
            return None
        return format_decimal(round_ratio(self.value) if self.is_ratio else self.value)

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "subject": self.subject,
            "value": self.shown(),
            "unit": self.unit,
            "precision": self.precision,
            "inputs": list(self.inputs),
            "inputs_total": self.inputs_total,
            "detail": dict(self.detail),
        }


def quarter_end(day: dt.date) -> dt.date:
    """The last day of the calendar quarter containing ``day``."""
    last_month = (day.month - 1) // 3 * 3 + 3
    if last_month == 12:
        return dt.date(day.year, 12, 31)
    return dt.date(day.year, last_month + 1, 1) - dt.timedelta(days=1)


def quarter_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """Calendar quarter ends from the quarter containing ``start`` to the one containing ``end``."""
    if end < start:
        return []
    ends = [quarter_end(start)]
    while ends[-1] < end:
        ends.append(quarter_end(ends[-1] + dt.timedelta(days=1)))
    return ends


__all__ = [
    "AMOUNT_PRECISION",
    "RATIO_DIGITS",
    "RATIO_PLACES",
    "RATIO_PRECISION",
    "Figure",
    "quarter_end",
    "quarter_ends",
    "ratio",
    "round_ratio",
]
