"""Provenance tracing: how much of a party's outgoing cash comes back to it.

(one concept: the tracer, its three rules and their conservation laws, which change together
and are checked together; split, each part would only be read beside the others.)

Circular financing hides in the question "whose money is this?".  When NVIDIA
invests in OpenAI and OpenAI then buys NVIDIA systems, part of NVIDIA's revenue
may be NVIDIA's own money coming home.  Cash is fungible, so *which* dollars
OpenAI spent is a convention; this module implements three conventions
(*rules*) and lets the audit report all of them side by side.

Tags
----
Every dollar that a party P pays to another modelled party is tagged
*departed-P*.  The tag travels with the money through other parties' cash
pools.  When a dollar tagged departed-P reaches P again it counts as *returned
to P* and the tag is cleared; if P pays it out again it is freshly departed.
Tags of different parties are independent: a dollar can be departed-A and
departed-B at once (A paid B, B paid C).  Consequently a pool never holds its
own party's tag.

* ``departed(P)`` sums every payment P made to a modelled party.  Payments to
  :data:`~plugins.audit.model.WORLD` are *not* departures: they leave the trace
  and can never return, so counting them would only dilute P's share.
* Money from the world enters untagged; tagged money paid to the world leaves
  the trace (it is recorded as *lost* for the tag, see below).

Rules
-----
``pro-rata``
    A pool is a balance plus, per tag, the tagged amount.  A payment of ``a``
    from a pool of balance ``b`` carries ``a × tagged_T / b`` of each tag T.
``fifo`` / ``lifo``
    A pool is a queue of :class:`~plugins.audit.model.Lot` s.  A payment takes
    the oldest (fifo) or newest (lifo) dollars first, splitting a lot where
    needed.  Lots remember, per tag, the route since departure, so returns can
    be broken down by path (in full up to :data:`PATH_KEPT` parties, longer ones
    by first and last hop, see :func:`path_key`).  A payment's lots arrive at the payee in the
    order they were taken.  (Internally a lot keeps only its route: the tags
    it carries and where their paths start follow from it, so a hop appends one
    party to one route instead of rebuilding every tag's path; see ``_Parcel``.)

Overdrafts
----------
The ledger lets a party pay more than the trace knows it holds (opening
balances missing, data gaps).  The excess is *unknown-origin* money: it carries
none of the tags of earlier holders — nobody knows where it came from — but it
*is* a payment by the payer, so it is tagged departed-payer like any other
dollar it pays (otherwise a party with a missing opening balance could never
be seen receiving its own money back).  The payer's balance goes negative; a
negative pool holds no tagged money (and no lots).  Money arriving in a
negative pool first fills the hole: that part loses its tags other than the
payee's own (its return to the payee is still counted — the return is a fact
about the flow, not about the pool).  Under pro-rata the surviving fraction
keeps each tag proportionally; under fifo/lifo the hole absorbs the arriving
dollars in arrival order.

Rounding (where and how)
------------------------
All arithmetic is :class:`~decimal.Decimal` in a 140-digit context that traps
:class:`~decimal.Inexact`, so sums, differences and products of amounts are
exact and any loss of exactness would raise instead of drifting.  To keep that
promise :meth:`Tracer.apply` refuses (``ValueError``, before touching any
state) amounts of 1e30 USD or more or with more than 30 decimal places.
fifo and lifo only split lots (subtraction), so they are exact.  Rounding
happens in exactly two places, both in pro-rata, both to :data:`QUANTUM`
(1e-8 USD) and both toward zero (``ROUND_DOWN``):

1. the tagged amount a payment carries, ``carried_T = ⌊a × tagged_T / b⌋``,
   except that if truncation would leave the payer holding more tag-T money
   than cash (possible only when amounts are finer than the quantum, and then
   by less than one quantum), the carried amount is raised just enough: ``carried_T = max(⌊…⌋, tagged_T −
   (b − a))``.  A payment of the whole pool (``a ≥ b``) carries every tag in
   full, exactly, so emptied pools leave no dust;
2. the part of a tag that survives arriving in a negative pool,
   ``kept_T = ⌊carried_T × surviving / a⌋``.

When every amount is a multiple of the quantum (e.g. whole cents) the clamp in
(1) never fires, and the conservation laws below cannot tell rounding down
from rounding up; with finer amounts rounding up (or dropping the clamp)
breaks "tagged ≤ balance", which the property tests demonstrate.

Rounding down means a single payment is never credited with more of a tag
than its exact share (clamp aside), so the audit does not overstate the money
a return carries; amounts in whole cents whose proportions terminate within 8
decimals stay exact (e.g. the $5B of the NVIDIA/OpenAI example).  Rounding moves tagged value between
pools but never creates or destroys it, so the *tag mass law* below holds
exactly.  ``share`` ratios in the result are computed at 28 significant digits.

Conservation laws
-----------------
:func:`trace_violations` checks, after any step:

* every tagged amount is ≥ 0 and ≤ max(pool balance, 0); no pool holds its own
  party's tag;
* returned ≤ departed for every party;
* each pool balance equals the party's inflows minus outflows recomputed from
  the moves applied so far;
* tag mass: departed(T) = Σ pools' tag T + returned(T) + lost(T), where lost
  counts tag-T dollars paid to the world or swallowed by an overdraft hole;
* fifo/lifo: the lots of a pool sum to max(balance, 0); every lot path starts
  at its tag and ends at the holder;
* per origin, the (origin, via) pair amounts sum to returned; per pair the
  path amounts sum to the pair amount, and each path is a :func:`path_key`;
  sellers' own money ≤ purchase revenue.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import (
    ROUND_DOWN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Any, Literal, get_args

from ledger.engine.gc_pause import no_cyclic_gc
from plugins.audit.model import (
    WORLD,
    CashMove,
    Lot,
    PairFlow,
    PartyFlow,
    PathFlow,
    Rule,
    SellerFlow,
    Trace,
)

__all__ = [
    "ELIDED",
    "PATH_KEPT",
    "QUANTUM",
    "RULES",
    "Tracer",
    "path_key",
    "steps",
    "trace",
    "trace_violations",
]

QUANTUM = Decimal("1e-8")
"""Pro-rata tag amounts are truncated to this many USD (see module docstring)."""

RULES: tuple[Rule, ...] = get_args(Rule)

_ZERO = Decimal(0)
# Amounts are bounded to [1e-30, 1e30) so a balance or tag needs at most ~62 digits and a
# product of two at most ~124: 140 digits keep every operation but the division exact.
_MAX_ADJUSTED = 29
_MIN_EXPONENT = -30
_EXACT = Context(prec=140, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])
_DOWN = Context(prec=140, rounding=ROUND_DOWN, traps=[InvalidOperation, DivisionByZero, Overflow])
_SHARE = Context(prec=28)

PATH_KEPT = 7
"""A return path of up to this many parties (a loop through up to six, its origin counted
once: the audit's default cycle length) is kept in full; a longer one is kept as
``(origin, first hop, ELIDED, via, origin)``, see :func:`path_key`."""

ELIDED = "…"
"""Stands for the parties left out of a long return path (never a party id: ids are ASCII)."""

_ROUTE_SLACK = 32
"""When a parcel's route reaches a multiple of this length it drops the parties before its
oldest path (:meth:`_Parcel.trim`), so routes stay short without a scan on every hop."""


class _Parcel:
    """A fifo/lifo lot as the tracer keeps it; :meth:`Tracer.lots` shows it as a :class:`Lot`.

    ``route`` is the parties the dollars passed through, ending at the holder (empty only for
    a world parcel before it arrives). Under the usual rule (a tag comes home only to its own
    party) the route alone says which tags the dollars carry: every party on it but the holder,
    each tag's path starting where the dollars last left that party (:func:`_route_starts`).
    So such a parcel keeps no ``starts`` (``None``): a hop appends one party to the route and
    looks for the payee on it, and a split shares the route — at a million events a dict of
    up to 50 tags per lot held the lifo tracer at 5 GB. Only a planted rule (tests) keeps
    ``starts[tag]``, the index in ``route`` where the tag's path begins, explicitly, updated in
    place per hop; each such parcel owns its ``starts`` (a split copies it). Routes are tuples,
    shared freely.
    """

    __slots__ = ("amount", "entered", "origin", "route", "starts")

    def __init__(
        self,
        amount: Decimal,
        route: tuple[str, ...],
        starts: dict[str, int] | None,
        origin: Literal["world", "unknown"],
        entered: str,
    ) -> None:
        self.amount = amount
        self.route = route
        self.starts = starts
        self.origin: Literal["world", "unknown"] = origin
        self.entered = entered

    def tags(self) -> dict[str, int]:
        """Tag → where its path starts in ``route`` (a fresh dict when derived from the route)."""
        return _route_starts(self.route) if self.starts is None else self.starts

    def split(self, amount: Decimal) -> _Parcel:
        """A new parcel of ``amount`` of these dollars (the caller reduces this one)."""
        starts = None if self.starts is None else self.starts.copy()
        return _Parcel(amount, self.route, starts, self.origin, self.entered)

    def trim(self) -> None:
        """Drop the parties before every tag's path (a parcel without tags keeps its holder)."""
        tags = self.tags()
        first = min(tags.values(), default=len(self.route) - 1)
        if first:
            self.route = self.route[first:]
            if self.starts is not None:
                self.starts = {tag: i - first for tag, i in tags.items()}

    def lot(self) -> Lot:
        paths = tuple(sorted((tag, self.route[i:]) for tag, i in self.tags().items()))
        return Lot(self.amount, paths, self.origin, self.entered)


def path_key(route: tuple[str, ...], start: int) -> tuple[str, ...]:
    """The key under which dollars that came home along ``route[start:]`` are summed.

    Why not always the full path: paths are nearly all distinct on a long, busy history (a
    million events held 7.1 million of them, 45 parties long on average, 4.4 GB), and a
    reader cannot use a 45-party route. A long path keeps its first hop (whom the origin paid)
    and its last (who paid it back), so the per-path amounts stay exact and sum to the pair's,
    and their number is bounded by the parties, not by the history.
    """
    if len(route) - start <= PATH_KEPT:
        return route[start:]
    return (route[start], route[start + 1], ELIDED, route[-2], route[-1])


def _route_starts(route: tuple[str, ...]) -> dict[str, int]:
    """The tags a route carries under the usual rule, and where each tag's path starts.

    Dollars are tagged with a party when they leave it, and lose that tag only on arriving
    back at it; so every party on the route but the holder (its last party) is a tag, and its
    path starts where the dollars last left it.
    """
    if not route:
        return {}
    starts = {party: i for i, party in enumerate(route[:-1])}  # a later index overwrites
    starts.pop(route[-1], None)
    return starts


def _traceable(amount: Decimal) -> bool:
    """Whether ``amount`` lies in [1e-30, 1e30) (or is zero), ignoring trailing zeros."""
    if not amount:
        return True
    _sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite: CashMove refuses NaN and infinities
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return amount.adjusted() <= _MAX_ADJUSTED and exponent + trailing >= _MIN_EXPONENT


def _floor_share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """⌊amount × part / whole⌋ at QUANTUM, for non-negative inputs and whole > 0.

    The product is exact; the division truncates at 140 digits and the quantize
    truncates again, so the result never exceeds the true quotient (a
    round-half-even division could round up to the next quantum first).
    """
    product = _EXACT.multiply(amount, part)
    return _DOWN.divide(product, whole).quantize(QUANTUM, rounding=ROUND_DOWN, context=_DOWN)


class Tracer:
    """Applies cash moves one at a time and keeps every pool's tags.

    Use :meth:`apply` per move and the read-only accessors between steps (this
    is what the conservation property tests do), or :func:`trace` for the
    whole sequence at once.  Beside the pools it sums every party's inflows −
    outflows separately, so the conservation checks reconcile balances without
    trusting the pools' bookkeeping; with ``keep_moves`` (tests) it also keeps
    the moves. The state is plain data (:meth:`to_plain`), so the ``audit.trace``
    projections checkpoint it.
    """

    def __init__(self, rule: Rule, *, keep_moves: bool = True) -> None:
        if rule not in RULES:
            raise ValueError(f"unknown tracing rule {rule!r}; expected one of {RULES}")
        self._rule: Rule = rule
        self._keep_moves = keep_moves
        self._moves: list[CashMove] = []
        self._expected: defaultdict[str, Decimal] = defaultdict(Decimal)
        self._parties: set[str] = set()
        self._balance: defaultdict[str, Decimal] = defaultdict(Decimal)
        # pro-rata: party -> tag -> tagged amount (zero entries removed)
        self._tags: defaultdict[str, dict[str, Decimal]] = defaultdict(dict)
        # fifo/lifo: party -> lots, oldest at the left (see _Parcel)
        self._lots: defaultdict[str, deque[_Parcel]] = defaultdict(deque)
        # The usual rule (only a lot's payee tag comes home) lets a hop look up one tag.
        self._standard_returns = type(self)._returns_to is _STANDARD_RETURNS
        self._departed: defaultdict[str, Decimal] = defaultdict(Decimal)
        self._returned: defaultdict[str, Decimal] = defaultdict(Decimal)
        self._lost: defaultdict[str, Decimal] = defaultdict(Decimal)
        self._pairs: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self._paths: defaultdict[tuple[str, str], defaultdict[tuple[str, ...], Decimal]] = (
            defaultdict(lambda: defaultdict(Decimal))
        )
        self._revenue: defaultdict[str, Decimal] = defaultdict(Decimal)
        self._own: defaultdict[str, Decimal] = defaultdict(Decimal)

    # ------------------------------------------------------------------ stepping

    @property
    def rule(self) -> Rule:
        return self._rule

    @property
    def moves(self) -> tuple[CashMove, ...]:
        """The moves applied so far, in order (kept only with ``keep_moves``)."""
        return tuple(self._moves)

    def expected_balance(self, party: str) -> Decimal:
        """Inflows − outflows of ``party`` over the moves so far (summed apart from the pools)."""
        return self._expected.get(party, _ZERO)

    def apply(self, move: CashMove) -> None:
        """Move ``move.amount`` from payer's pool to payee's pool, carrying tags."""
        if not isinstance(move, CashMove):
            raise TypeError(f"expected CashMove, got {type(move).__name__}")
        if not _traceable(move.amount):
            raise ValueError(f"{move.event_id}: amount {move.amount} outside the traceable range")
        with localcontext(_EXACT):
            if self._keep_moves:
                self._moves.append(move)
            payer, payee, amount = move.payer, move.payee, move.amount
            self._expected[payee] += amount
            self._expected[payer] -= amount
            self._parties.update(p for p in (payer, payee) if p != WORLD)
            if payer == payee:
                return  # no cash changes pools (nor counts as revenue from a customer)
            purchase = move.kind == "purchase" and payee != WORLD
            if purchase:
                self._revenue[payee] += amount
            if amount == 0:
                return
            if self._rule == "pro-rata":
                returned = self._move_pro_rata(payer, payee, amount)
            else:
                returned = self._move_lots(payer, payee, amount, move.event_id)
            if purchase:
                self._own[payee] += returned

    def _returns_to(self, tag: str, payee: str) -> bool:
        """Whether a dollar tagged ``tag`` arriving at ``payee`` has come home.

        A hook so that tests can plant a broken rule and watch the
        conservation laws catch it; do not override it in production code.
        """
        return tag == payee

    def _proportion(self, amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
        """The pro-rata rounding rule, ⌊amount × part / whole⌋ at :data:`QUANTUM`.

        A method only so that tests can plant a wrong rounding (e.g. up) and see
        the conservation laws catch it; do not override it in production code.
        """
        return _floor_share(amount, part, whole)

    def _move_pro_rata(self, payer: str, payee: str, amount: Decimal) -> Decimal:
        carried: dict[str, Decimal] = {}
        if payer != WORLD:
            balance = self._balance[payer]
            pool = self._tags[payer]
            if balance > 0 and pool:
                if amount >= balance:
                    carried = dict(pool)
                    pool.clear()
                else:
                    rest = balance - amount
                    for tag, tagged in list(pool.items()):
                        share = max(self._proportion(amount, tagged, balance), tagged - rest)
                        carried[tag] = share
                        if share == tagged:
                            del pool[tag]
                        else:
                            pool[tag] = tagged - share
            self._balance[payer] = balance - amount
        if payee == WORLD:
            for tag, value in carried.items():
                self._lost[tag] += value
            return _ZERO
        if payer != WORLD:
            self._departed[payer] += amount
            carried[payer] = carried.get(payer, _ZERO) + amount

        returned = _ZERO
        for tag in list(carried):
            if self._returns_to(tag, payee):
                value = carried.pop(tag)
                self._returned[tag] += value
                self._pairs[(tag, payer)] += value
                returned += value

        before = self._balance[payee]
        after = before + amount
        self._balance[payee] = after
        if before < 0:
            surviving = max(after, _ZERO)
            for tag, value in list(carried.items()):
                kept = self._proportion(surviving, value, amount) if surviving else _ZERO
                self._lost[tag] += value - kept
                carried[tag] = kept
        pool = self._tags[payee]
        for tag, value in carried.items():
            if value:
                pool[tag] = pool.get(tag, _ZERO) + value
        return returned

    def _move_lots(self, payer: str, payee: str, amount: Decimal, event_id: str) -> Decimal:
        taken: list[_Parcel] = []
        standard = self._standard_returns
        if payer == WORLD:
            taken.append(_Parcel(amount, (), None if standard else {}, "world", event_id))
        else:
            pool = self._lots[payer]
            fifo = self._rule == "fifo"
            take = pool.popleft if fifo else pool.pop
            remaining = amount
            while remaining > 0 and pool:
                lot = take()
                if lot.amount <= remaining:
                    taken.append(lot)
                    remaining -= lot.amount
                else:
                    taken.append(lot.split(remaining))
                    lot.amount -= remaining
                    if fifo:
                        pool.appendleft(lot)
                    else:
                        pool.append(lot)
                    remaining = _ZERO
            if remaining > 0:
                taken.append(
                    _Parcel(remaining, (payer,), None if standard else {}, "unknown", event_id)
                )
            self._balance[payer] -= amount
        if payee == WORLD:
            for lot in taken:
                for tag in lot.tags():
                    self._lost[tag] += lot.amount
            return _ZERO
        if payer != WORLD:
            self._departed[payer] += amount

        # Each taken lot hops to the payee: its route gains the payee, it gains the payer's
        # tag (departing where its route ended) and drops the tags that come home. Returns are
        # gathered per path (a path starts at its tag) and booked once per path.
        hop = (payee,)
        tags_payer = payer != WORLD
        back: dict[tuple[str, ...], list[Decimal]] = {}
        for lot in taken:
            route = lot.route
            starts = lot.starts
            if starts is None:
                # The usual rule: the payer's tag is implied by the route, and only the payee's
                # own tag can come home — if the payee is on the route (it is not the holder,
                # the payer), where the dollars last left it. C-speed scans of ≤ 32 parties.
                lot.route = route + hop
                if payee in route:
                    start = len(route) - 1 - route[::-1].index(payee)
                    back.setdefault(path_key(lot.route, start), []).append(lot.amount)
                route = lot.route
            else:
                if tags_payer:
                    starts[payer] = len(route) - 1
                lot.route = route = route + hop
                for tag in [t for t in starts if self._returns_to(t, payee)]:
                    back.setdefault(path_key(route, starts.pop(tag)), []).append(lot.amount)
            if not len(route) % _ROUTE_SLACK:
                lot.trim()

        returned = _ZERO
        for path, values in back.items():
            tag = path[0]
            value = sum(values, _ZERO)
            self._returned[tag] += value
            self._pairs[(tag, payer)] += value
            self._paths[(tag, payer)][path] += value
            returned += value

        before = self._balance[payee]
        self._balance[payee] = before + amount
        pool = self._lots[payee]
        if before >= 0:
            pool.extend(taken)
            return returned
        hole = -before
        for lot in taken:
            swallowed = min(hole, lot.amount)
            if swallowed:
                hole -= swallowed
                for tag in lot.tags():
                    self._lost[tag] += swallowed
            if swallowed < lot.amount:
                lot.amount -= swallowed
                pool.append(lot)
        return returned

    # ------------------------------------------------------------------ reading

    def parties(self) -> tuple[str, ...]:
        """Every modelled party seen so far (never the world), sorted."""
        return tuple(sorted(self._parties))

    def pool_balance(self, party: str) -> Decimal:
        """Cash the trace believes ``party`` holds; negative after an overdraft."""
        return self._balance.get(party, _ZERO)

    def tags_held(self, party: str) -> Mapping[str, Decimal]:
        """Non-zero tagged amounts in ``party``'s pool, by tag (a fresh dict)."""
        if self._rule == "pro-rata":
            return dict(self._tags.get(party, {}))
        held: defaultdict[str, Decimal] = defaultdict(Decimal)
        with localcontext(_EXACT):
            for lot in self._lots.get(party, ()):
                for tag in lot.tags():
                    held[tag] += lot.amount
        return dict(held)

    def tagged(self, party: str, tag: str) -> Decimal:
        """Dollars in ``party``'s pool that departed ``tag`` and have not returned."""
        return self.tags_held(party).get(tag, _ZERO)

    def lots(self, party: str) -> tuple[Lot, ...]:
        """``party``'s lots, oldest first (always empty under pro-rata)."""
        return tuple(lot.lot() for lot in self._lots.get(party, ()))

    def departed(self, party: str) -> Decimal:
        return self._departed.get(party, _ZERO)

    def returned(self, party: str) -> Decimal:
        return self._returned.get(party, _ZERO)

    def lost(self, tag: str) -> Decimal:
        """Tag-``tag`` dollars that left the trace (to the world or into a hole)."""
        return self._lost.get(tag, _ZERO)

    def result(self) -> Trace:
        """Freeze the current state into a :class:`~plugins.audit.model.Trace`."""
        parties = tuple(
            PartyFlow(
                p, self.departed(p), self.returned(p), _ratio(self.returned(p), self.departed(p))
            )
            for p in self.parties()
        )
        sellers = tuple(
            SellerFlow(s, self._revenue[s], self._own[s], _ratio(self._own[s], self._revenue[s]))
            for s in sorted(self._revenue)
        )
        pairs: list[PairFlow] = []
        for key in sorted(self._pairs):
            paths: tuple[PathFlow, ...] | None = None
            if self._rule != "pro-rata":
                by_path: Mapping[tuple[str, ...], Decimal] = self._paths.get(key, {})
                paths = tuple(PathFlow(p, by_path[p]) for p in sorted(by_path))
            pairs.append(PairFlow(key[0], key[1], self._pairs[key], paths))
        return Trace(self._rule, parties, sellers, tuple(pairs))

    def __eq__(self, other: object) -> bool:
        """Tracers are equal when their states are (what the projection laws compare)."""
        return isinstance(other, Tracer) and self.to_plain() == other.to_plain()

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ checkpoints

    def to_plain(self) -> dict[str, Any]:
        """The tracer's state as plain data (the moves are not part of it)."""
        return {
            "rule": self._rule,
            "parties": sorted(self._parties),
            "expected": dict(self._expected),
            "balance": dict(self._balance),
            "tags": {p: dict(tags) for p, tags in self._tags.items() if tags},
            "lots": {
                p: [(lot.amount, lot.route, lot.starts, lot.origin, lot.entered) for lot in lots]
                for p, lots in self._lots.items()
                if lots
            },
            "departed": dict(self._departed),
            "returned": dict(self._returned),
            "lost": dict(self._lost),
            "pairs": dict(self._pairs),
            "paths": {k: dict(v) for k, v in self._paths.items()},
            "revenue": dict(self._revenue),
            "own": dict(self._own),
        }

    def _starts(
        self, route: Sequence[str], starts: Mapping[str, int] | None
    ) -> dict[str, int] | None:
        """A decoded lot's ``starts`` as this tracer keeps them (None: implied by the route)."""
        if self._standard_returns:
            return None
        return _route_starts(tuple(route)) if starts is None else dict(starts)

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> Tracer:
        tracer = cls(data["rule"], keep_moves=False)
        tracer._parties = set(data["parties"])
        tracer._expected.update(data["expected"])
        tracer._balance.update(data["balance"])
        for party, tags in data["tags"].items():
            tracer._tags[party] = dict(tags)
        for party, lots in data["lots"].items():
            tracer._lots[party] = deque(
                _Parcel(amount, tuple(route), tracer._starts(route, starts), origin, entered)
                for amount, route, starts, origin, entered in lots
            )
        for name in ("departed", "returned", "lost", "pairs", "revenue", "own"):
            getattr(tracer, f"_{name}").update(data[name])
        for key, by_path in data["paths"].items():
            tracer._paths[key].update({tuple(path): value for path, value in by_path.items()})
        return tracer


_STANDARD_RETURNS = Tracer._returns_to  # bound at import: tests may replace Tracer


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return _SHARE.divide(part, whole) if whole else None


def trace(moves: Iterable[CashMove], rule: Rule) -> Trace:
    """Trace ``moves`` (in recorded order) under ``rule``.

    For an as-of view pass only the moves up to the cut-off.
    """
    tracer = Tracer(rule)
    with no_cyclic_gc():  # millions of small acyclic objects: see ledger.engine.gc_pause
        for move in moves:
            tracer.apply(move)
        return tracer.result()


def steps(moves: Iterable[CashMove], rule: Rule) -> Iterator[Tracer]:
    """Yield the (same, mutating) tracer after each move — for step-wise checks."""
    tracer = Tracer(rule)
    for move in moves:
        tracer.apply(move)
        yield tracer


def trace_violations(tracer: Tracer) -> list[str]:
    """Every conservation law the tracer's current state breaks (empty if sound).

    Pure: reads the tracer through its public accessors and recomputes the
    balances from the applied moves independently of the tracer's bookkeeping.
    """
    with localcontext(_EXACT):
        return _violations(tracer)


def _violations(tracer: Tracer) -> list[str]:
    problems: list[str] = []
    parties = tracer.parties()
    expected = {p: tracer.expected_balance(p) for p in parties}
    in_pools: defaultdict[str, Decimal] = defaultdict(Decimal)

    for party in parties:
        balance = tracer.pool_balance(party)
        if balance != expected[party]:
            problems.append(f"{party}: pool {balance} != inflows-outflows {expected[party]}")
        held = tracer.tags_held(party)
        for tag, value in held.items():
            in_pools[tag] += value
            if value < 0:
                problems.append(f"{party}: negative tag {tag} {value}")
            if value > max(balance, _ZERO):
                problems.append(f"{party}: tag {tag} {value} exceeds pool {balance}")
        if held.get(party):
            problems.append(f"{party}: holds its own tag {held[party]}")
        if tracer.rule != "pro-rata":
            lots = tracer.lots(party)
            total = sum((lot.amount for lot in lots), _ZERO)
            if total != max(balance, _ZERO):
                problems.append(f"{party}: lots sum {total} != max(pool, 0) {balance}")
            for lot in lots:
                if lot.amount <= 0:
                    problems.append(f"{party}: non-positive lot {lot}")
                for tag, path in lot.paths:
                    if path[0] != tag or path[-1] != party:
                        problems.append(f"{party}: lot path {path} for tag {tag}")

    result = tracer.result()
    for flow in result.parties:
        if flow.returned < 0 or flow.returned > flow.departed:
            problems.append(f"{flow.party}: returned {flow.returned} > departed {flow.departed}")
        mass = in_pools[flow.party] + flow.returned + tracer.lost(flow.party)
        if mass != flow.departed:
            problems.append(
                f"{flow.party}: tag mass {mass} (pools {in_pools[flow.party]} + returned "
                f"{flow.returned} + lost {tracer.lost(flow.party)}) != departed {flow.departed}"
            )
    per_origin: defaultdict[str, Decimal] = defaultdict(Decimal)
    for pair in result.pairs:
        per_origin[pair.origin] += pair.amount
        if pair.paths is not None:
            problems.extend(_path_problems(pair))
    for flow in result.parties:
        if per_origin[flow.party] != flow.returned:
            problems.append(f"{flow.party}: pairs sum {per_origin[flow.party]} != returned")
    for seller in result.sellers:
        if not _ZERO <= seller.own_money_returned <= seller.purchase_revenue:
            problems.append(f"{seller.seller}: own money {seller.own_money_returned} vs revenue")
    return problems


def _path_problems(pair: PairFlow) -> Sequence[str]:
    assert pair.paths is not None
    problems = []
    total = sum((p.amount for p in pair.paths), _ZERO)
    if total != pair.amount:
        problems.append(f"pair {pair.origin}<-{pair.via}: paths sum {total} != {pair.amount}")
    for p in pair.paths:
        if p.path[0] != pair.origin or p.path[-1] != pair.origin or p.path[-2] != pair.via:
            problems.append(f"pair {pair.origin}<-{pair.via}: bad path {p.path}")
        elif (ELIDED in p.path) != (len(p.path) == 5 and p.path[2] == ELIDED) or (
            ELIDED not in p.path and len(p.path) > PATH_KEPT
        ):
            problems.append(f"pair {pair.origin}<-{pair.via}: path {p.path} is not a path key")
    return problems
