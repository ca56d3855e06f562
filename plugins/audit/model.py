"""Plain input and result values of the circular-flow audit.

The audit algorithms (:mod:`plugins.audit.tracing`, :mod:`plugins.audit.cycles`,
:mod:`plugins.audit.picture`) know nothing about the event store or the plugin
system: the caller turns ledger events into these frozen values and hands them
over.  Keeping the boundary this narrow is what lets the algorithms be tested
by hand-computed examples and property tests without a ledger.

Money is always :class:`decimal.Decimal`.  A float amount is refused with
:class:`TypeError` because a binary float cannot say "$0.10" exactly, and the
audit's conservation laws are exact equalities.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Any, Final, Literal

import attrs

__all__ = [
    "COUNT_LIMIT",
    "DEFAULT_MAX_CYCLES",
    "KINDS",
    "WORLD",
    "CashMove",
    "Cycle",
    "CycleSearch",
    "Edge",
    "Lot",
    "PairFlow",
    "PartyFlow",
    "PathFlow",
    "Rule",
    "SellerFlow",
    "Trace",
]

WORLD = "world"
"""Reserved party id for everyone outside the modelled set of parties.

Money from the world enters the trace carrying no tag; money paid to the world
leaves the trace (it can never come back as a *traced* dollar).
"""

KINDS = frozenset(
    {"opening_balance", "investment", "loan", "repayment", "purchase", "warrant_exercise"}
)
"""Event types a :class:`CashMove` may come from (the ledger's cash-moving events)."""

Rule = Literal["pro-rata", "fifo", "lifo"]
"""How tagged dollars are picked out of a payer's cash pool (see :mod:`.tracing`)."""


def _money(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Accept only finite, non-negative Decimals.

    Floats are refused outright (not converted): silently turning ``0.1`` into
    ``0.1000000000000000055511151231257827`` would break exact reconciliation.
    A direction of flow is expressed by payer/payee, so a negative amount is
    always a caller bug.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal):
        raise TypeError(f"{attribute.name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{attribute.name} must be finite, got {value}")
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value}")


def _party(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Party ids are non-empty strings; ids are compared, never interpreted."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"{attribute.name} must be a non-empty str, got {value!r}")


def _date(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, datetime.date):
        raise TypeError(f"{attribute.name} must be a datetime.date, got {type(value).__name__}")


@attrs.frozen
class CashMove:
    """One movement of cash, in the order the ledger recorded it.

    ``kind`` is the ledger event type that moved the cash (see :data:`KINDS`).
    Either side may be :data:`WORLD`.  A move whose payer is its payee moves no
    cash between pools and is ignored by the tracer.
    """

    event_id: str = attrs.field(validator=attrs.validators.instance_of(str))
    date: datetime.date = attrs.field(validator=_date)
    payer: str = attrs.field(validator=_party)
    payee: str = attrs.field(validator=_party)
    amount: Decimal = attrs.field(validator=_money)
    kind: str = attrs.field(validator=attrs.validators.in_(KINDS))


def _edge_events(instance: Edge, _attribute: attrs.Attribute[Any], value: object) -> None:
    """Per-event dates must line up with event ids and span first..last date.

    The time-respecting test of a cycle walks individual dated events, so an
    edge has to carry them; the summary dates must agree or one of the two is
    a lie.
    """
    if not isinstance(value, tuple) or not all(isinstance(d, datetime.date) for d in value):
        raise TypeError("event_dates must be a tuple of datetime.date")
    if len(value) != len(instance.event_ids):
        raise ValueError(
            f"event_dates has {len(value)} entries but event_ids has {len(instance.event_ids)}"
        )
    if not value:
        raise ValueError("an edge aggregates at least one event")
    if instance.days:
        first, last = instance.days[0], instance.days[-1]
        if list(instance.days) != sorted(set(instance.days)):
            raise ValueError("days must be distinct day numbers in ascending order")
        if first != instance.first_date.toordinal() or last != instance.last_date.toordinal():
            raise ValueError("first_date/last_date must be the first and last of days")
        if any(not first <= d.toordinal() <= last for d in value):
            raise ValueError("event_dates must lie within days")
    elif min(value) != instance.first_date or max(value) != instance.last_date:
        raise ValueError("first_date/last_date must be the min/max of event_dates")


@attrs.frozen
class Edge:
    """Aggregated flow from ``source`` to ``target`` within one layer.

    A *layer* is one kind of relation drawn as a graph (e.g. ``"cash"``,
    ``"investment"``, ``"purchase"``); cycles are only searched within a layer.
    ``event_ids`` and ``event_dates`` are aligned: event ``event_ids[i]``
    happened on ``event_dates[i]``.
    """

    layer: str = attrs.field(validator=attrs.validators.instance_of(str))
    source: str = attrs.field(validator=_party)
    target: str = attrs.field(validator=_party)
    amount: Decimal = attrs.field(validator=_money)
    first_date: datetime.date = attrs.field(validator=_date)
    last_date: datetime.date = attrs.field(validator=_date)
    event_ids: tuple[str, ...] = attrs.field(
        validator=attrs.validators.deep_iterable(
            attrs.validators.instance_of(str), attrs.validators.instance_of(tuple)
        )
    )
    event_dates: tuple[datetime.date, ...] = attrs.field(validator=_edge_events)
    days: tuple[int, ...] = ()
    """Every distinct date of the edge's events (``date.toordinal()``), when ``event_ids`` lists
    only some of them: an edge aggregated from a long history keeps the first ids as examples
    but every date, which is what the time-order test needs."""
    events: int = 0
    """How many events the edge aggregates (0: exactly those in ``event_ids``)."""

    @property
    def event_count(self) -> int:
        return self.events or len(self.event_ids)

    @property
    def day_numbers(self) -> tuple[int, ...]:
        """The distinct dates of all its events, ascending, as day numbers."""
        return self.days or tuple(sorted({d.toordinal() for d in self.event_dates}))

    @classmethod
    def single(
        cls,
        layer: str,
        source: str,
        target: str,
        amount: Decimal,
        date: datetime.date,
        event_id: str,
    ) -> Edge:
        """An edge made of exactly one event — the common case when building from moves."""
        return cls(layer, source, target, amount, date, date, (event_id,), (date,))


@attrs.frozen
class Cycle:
    """A simple cycle of flows within one layer.

    ``path`` starts at the lexicographically smallest party and repeats it at
    the end, so ``("A", "B", "C", "A")`` has edges A→B, B→C, C→A (``edges`` in
    that order).  ``bottleneck`` is the smallest edge amount: no more than that
    can have gone all the way round.  ``time_respecting`` says whether some
    chain of the dated events, one per edge, starting at some rotation of the
    cycle, has non-decreasing dates — i.e. the money *could* have travelled
    round in the recorded order.
    """

    layer: str
    path: tuple[str, ...]
    bottleneck: Decimal = attrs.field(validator=_money)
    time_respecting: bool
    event_ids: tuple[str, ...]
    edges: tuple[Edge, ...]

    @property
    def parties(self) -> tuple[str, ...]:
        """The distinct parties on the cycle, in path order."""
        return self.path[:-1]

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The (source, target) pairs of the cycle's edges, in path order."""
        return tuple(zip(self.path[:-1], self.path[1:], strict=True))


DEFAULT_MAX_CYCLES: Final = 1000
"""Cycles listed at most, by default: a dense book has millions, and the biggest are the story."""

COUNT_LIMIT: Final = 100_000
"""Cycles counted at most (beyond those listed) to say how many were left out; ~0.1 s a layer."""


@attrs.frozen
class CycleSearch:
    """The cycles of one layer (or of several), biggest bottleneck first, maybe truncated.

    ``found`` is how many cycles there are in all (within the length bound and at least the
    minimum amount) — exactly when ``exact``, else a lower bound: counting stopped at
    :data:`COUNT_LIMIT` so that a dense graph cannot keep the search running for hours.
    """

    cycles: tuple[Cycle, ...]
    found: int
    exact: bool = True

    @property
    def truncated(self) -> bool:
        """Whether cycles exist that are not listed."""
        return self.found > len(self.cycles)

    @property
    def not_listed(self) -> int:
        """How many cycles are not listed (at least this many when not ``exact``)."""
        return self.found - len(self.cycles)

    def note(self) -> str | None:
        """``truncated: N more cycles not listed`` (or ``at least N more``), None if complete."""
        if not self.truncated:
            return None
        more = f"{self.not_listed:,}" if self.exact else f"at least {self.not_listed:,}"
        return f"truncated: {more} more cycles not listed"


@attrs.frozen
class Lot:
    """A parcel of dollars in a fifo/lifo pool that travelled together.

    ``paths`` maps each tag the dollars carry (a party they departed from and
    have not yet returned to) to the parties they passed through since that
    departure, starting with the tagged party and ending with the current
    holder.  ``origin`` says how the dollars entered the modelled set:
    ``"world"`` (paid in by an outsider) or ``"unknown"`` (an overdraft: the
    payer paid out more than the trace knows it held).  ``entered`` is the
    event id where that happened.
    """

    amount: Decimal
    paths: tuple[tuple[str, tuple[str, ...]], ...]
    origin: Literal["world", "unknown"]
    entered: str

    @property
    def tags(self) -> frozenset[str]:
        return frozenset(tag for tag, _ in self.paths)

    def path(self, tag: str) -> tuple[str, ...] | None:
        """The route since departing ``tag``'s party, or None if not tagged ``tag``."""
        for t, p in self.paths:
            if t == tag:
                return p
        return None


@attrs.frozen
class PartyFlow:
    """How much of one party's outgoing money came back to it.

    ``departed`` counts every dollar the party paid to another *modelled*
    party (payments to the world are excluded: they can never return).
    ``returned`` counts the departed dollars that reached the party again.
    ``share`` is returned ÷ departed, or None when nothing departed.
    """

    party: str
    departed: Decimal
    returned: Decimal
    share: Decimal | None


@attrs.frozen
class SellerFlow:
    """The part of a seller's recorded purchase revenue that was its own money.

    ``purchase_revenue`` sums every move of kind ``"purchase"`` paid to the
    seller (from anyone, the world included); ``own_money_returned`` is the
    part of it that the trace identifies as the seller's own departed dollars
    coming back.  ``share`` is own ÷ revenue, or None for no revenue.
    """

    seller: str
    purchase_revenue: Decimal
    own_money_returned: Decimal
    share: Decimal | None


@attrs.frozen
class PathFlow:
    """Returned dollars that all took the same route (``path[0] == path[-1]``).

    A route of more than seven parties is shown as ``(origin, first hop, "…", via, origin)``
    and sums every long route with those ends (see :func:`plugins.audit.tracing.path_key`).
    """

    path: tuple[str, ...]
    amount: Decimal


@attrs.frozen
class PairFlow:
    """Dollars returned to ``origin`` whose last hop was a payment by ``via``.

    ``paths`` breaks the amount down by full route for the lot-based rules
    (fifo, lifo); pro-rata mixes pools and cannot tell routes apart, so it
    reports None.
    """

    origin: str
    via: str
    amount: Decimal
    paths: tuple[PathFlow, ...] | None


@attrs.frozen
class Trace:
    """The outcome of tracing a sequence of moves under one rule.

    Tuples are sorted by party id (pairs by (origin, via)); the lookup methods
    return zero-valued entries for parties the trace never saw, so callers do
    not need to special-case absence.
    """

    rule: Rule
    parties: tuple[PartyFlow, ...]
    sellers: tuple[SellerFlow, ...]
    pairs: tuple[PairFlow, ...]

    def party(self, party: str) -> PartyFlow:
        for flow in self.parties:
            if flow.party == party:
                return flow
        return PartyFlow(party, Decimal(0), Decimal(0), None)

    def seller(self, seller: str) -> SellerFlow:
        for flow in self.sellers:
            if flow.seller == seller:
                return flow
        return SellerFlow(seller, Decimal(0), Decimal(0), None)

    def pair(self, origin: str, via: str) -> PairFlow:
        for flow in self.pairs:
            if (flow.origin, flow.via) == (origin, via):
                return flow
        return PairFlow(origin, via, Decimal(0), None if self.rule == "pro-rata" else ())

    def as_mapping(self) -> Mapping[str, PartyFlow]:
        """Party flows keyed by party id."""
        return {flow.party: flow for flow in self.parties}

    def to_json(self) -> dict[str, Any]:
        """Round trips, sellers and pairs as ``audit --json`` prints them (decimals exact)."""
        return {
            "round_trips": [
                {
                    "party": f.party,
                    "departed": exact(f.departed),
                    "returned": exact(f.returned),
                    "share": _opt(f.share),
                }
                for f in self.parties
            ],
            "sellers": [
                {
                    "seller": s.seller,
                    "purchase_revenue": exact(s.purchase_revenue),
                    "own_money_returned": exact(s.own_money_returned),
                    "share": _opt(s.share),
                }
                for s in self.sellers
            ],
            "pairs": [
                {
                    "origin": p.origin,
                    "via": p.via,
                    "amount": exact(p.amount),
                    "paths": None
                    if p.paths is None
                    else [{"path": list(f.path), "amount": exact(f.amount)} for f in p.paths],
                }
                for p in self.pairs
            ],
        }


_WIDE = Context(prec=200)


def exact(value: Decimal) -> str:
    """Exact positional text without trailing fractional zeros (``5000000000.00000000`` → ``5000000000``)."""
    if value == value.to_integral_value(context=_WIDE):
        return format(value.quantize(Decimal(1), context=_WIDE), "f")
    return format(value.normalize(context=_WIDE), "f")


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else exact(value)
