"""What each leg of a loop stands on: cash paid, a stake handed over, a binding or a non-binding promise.

Why: a loop of two letters of intent and a loop of two paid invoices have the same shape and
can have the same bottleneck; a reader must see which is which before reading the amount. Each
flow between two parties is split into its parts (cash paid, stakes that moved no cash — stock
issued as consideration, warrants —, binding commitments outstanding, non-binding ones), so a
leg says what it is made of and a loop is labelled by its weakest leg:

* ``firm`` — every leg holds something paid, handed over or binding;
* ``partly non-binding`` — at least one leg is only non-binding promises;
* ``non-binding only`` — every leg is only non-binding promises.

``firm_bottleneck`` is the smallest leg without its non-binding part: what could go all the way
round on paid, handed-over and binding terms alone (0 when a leg is only non-binding).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Final, Literal

import attrs

from plugins.audit.flows import FlowState, Layer, warrant_amount
from plugins.audit.model import WORLD, Cycle

__all__ = [
    "KINDS",
    "STANDING_ORDER",
    "Leg",
    "LegParts",
    "Standing",
    "leg_parts",
    "loop_standing",
    "parts_by_pair",
]

ZERO: Final = Decimal(0)
KINDS: Final = ("paid", "stake", "binding", "non_binding")
"""A leg's parts, strongest first: cash paid, a stake handed over, binding, non-binding."""
LABELS: Final = {
    "paid": "paid",
    "stake": "stake",
    "binding": "binding",
    "non_binding": "non-binding",
}
Standing = Literal["firm", "partly non-binding", "non-binding only"]
STANDING_ORDER: Final[tuple[Standing, ...]] = ("firm", "partly non-binding", "non-binding only")
"""The headline order of loops: firm ones first, those resting on letters of intent last."""


@attrs.frozen
class LegParts:
    """One flow between two parties, split by what it stands on (exact Decimals)."""

    paid: Decimal = ZERO
    stake: Decimal = ZERO
    binding: Decimal = ZERO
    non_binding: Decimal = ZERO

    def __add__(self, other: LegParts) -> LegParts:
        return LegParts(
            self.paid + other.paid,
            self.stake + other.stake,
            self.binding + other.binding,
            self.non_binding + other.non_binding,
        )

    @property
    def total(self) -> Decimal:
        return self.paid + self.stake + self.binding + self.non_binding

    @property
    def firm(self) -> Decimal:
        """What is paid, handed over or binding: the leg without its non-binding promises."""
        return self.paid + self.stake + self.binding

    @property
    def kinds(self) -> tuple[str, ...]:
        """The parts present, strongest first (``("paid", "binding")``)."""
        return tuple(k for k in KINDS if getattr(self, k) > 0)

    @property
    def label(self) -> str:
        """``paid``, ``binding``, ``non-binding``, or the parts present joined: ``paid+binding``."""
        return "+".join(LABELS[k] for k in self.kinds) or "none"

    def to_json(self) -> dict[str, str]:
        from plugins.audit.model import exact

        return {k: exact(getattr(self, k)) for k in KINDS if getattr(self, k) > 0}


@attrs.frozen
class Leg:
    """A loop's flow source → target with its parts."""

    source: str
    target: str
    parts: LegParts


def parts_by_pair(
    contributions: Iterable[tuple[str, str, str, Decimal]],
) -> dict[tuple[str, str], LegParts]:
    """``{(source, target): parts}`` from ``(source, target, kind, amount)`` rows between modelled
    parties (a row touching the world, or a party with itself, is left out as the cycle search
    leaves it out)."""
    found: dict[tuple[str, str], LegParts] = {}
    for source, target, kind, amount in contributions:
        if WORLD in (source, target) or source == target or not amount:
            continue
        if kind not in KINDS:
            raise ValueError(f"unknown leg part {kind!r}; expected one of {', '.join(KINDS)}")
        part = LegParts(**{kind: amount})
        found[(source, target)] = found.get((source, target), LegParts()) + part
    return found


def loop_standing(legs: Iterable[LegParts]) -> tuple[Standing, Decimal]:
    """A loop's label and its firm bottleneck from its legs' parts (see the module docstring)."""
    chosen = list(legs)
    if not chosen:
        raise ValueError("a loop has at least one leg")
    only_promises = [leg.firm == 0 for leg in chosen]
    standing: Standing = (
        "non-binding only"
        if all(only_promises)
        else "partly non-binding"
        if any(only_promises)
        else "firm"
    )
    return standing, min(leg.firm for leg in chosen)


def cycle_legs(cycle: Cycle, parts: Mapping[tuple[str, str], LegParts]) -> list[Leg]:
    """The legs of ``cycle`` in path order with their parts (empty parts for an unknown pair)."""
    return [
        Leg(e.source, e.target, parts.get((e.source, e.target), LegParts())) for e in cycle.edges
    ]


def leg_parts(
    state: FlowState,
    layer: Layer,
    currency: str = "USD",
    warrant_amounts: Mapping[str, Decimal] | None = None,
) -> dict[tuple[str, str], LegParts]:
    """(source, target) → what the layer's flow between them stands on.

    The same flows :func:`~plugins.audit.flows.layer_edges` draws, each put in one part: cash
    paid and equity bought with cash → *paid*; stock issued as consideration, investments
    settled before the history and warrants → *stake*; commitments outstanding → *binding* or
    *non_binding* by their flag (an amendment to ``definitive`` makes one binding). The parts of
    a pair sum to its edge's amount in that layer.
    """
    rows: list[tuple[str, str, str, Decimal]] = []
    if layer in ("cash", "all"):
        rows += [
            (payer, payee, "paid", f.amount)
            for (cur, payer, payee), f in state.cash.items()
            if cur == currency and f.amount > 0
        ]
    if layer == "equity":
        rows += [
            (investor, investee, "paid", f.amount)
            for (cur, investor, investee), f in state.stakes.items()
            if cur == currency
        ]
    if layer in ("equity", "all"):
        rows += [
            (source, target, "stake", f.amount)
            for (cur, source, target), f in state.other_stakes.items()
            if cur == currency
        ]
        rows += [
            (w.issuer, w.holder, "stake", warrant_amount(state, w, warrant_amounts))
            for w in state.warrants.values()
            if w.currency == currency and w.shares > 0
        ]
    if layer in ("committed", "all"):
        rows += [
            (
                c.payer,
                c.payee,
                "binding" if state.binding(c.commitment) else "non_binding",
                c.outstanding,
            )
            for c in state.commitments.values()
            if c.currency == currency and c.outstanding > 0
        ]
    return parts_by_pair(rows)
