"""The ``valuation.positions`` state: stakes, grants, commitments, claims, marks and deliveries,
and the plain data it is checkpointed as.

Why plain data written by hand: a checkpoint is read back from a store that may come from
someone else, so it holds only text, integers, lists and text-keyed mappings
(:mod:`ledger.model.plain`), in one fixed shape per class — decimals as their exact text
(``str``, so ``2E+9`` stays ``2E+9``), dates as ISO text, each group of event ids as
``[total, last, *ids]``. Anything else fails to decode, and the engine folds again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from ledger.model import plain
from ledger.model.events import Condition
from ledger.plugin.evidence import EventIds
from plugins.valuation.holdings import ZERO, Mark


@attrs.define
class Stake:
    """Shares of one issuer held by one party, with the cash paid for them."""

    shares: Decimal = ZERO
    cost: Decimal = ZERO
    uncounted_cost: Decimal = ZERO  # cost of investments recorded without a share count
    currency: str = "USD"
    inputs: EventIds = attrs.Factory(EventIds)


@attrs.define
class TrancheState:
    shares: Decimal
    conditions: tuple[Condition, ...]
    vested_by: str | None = None


@attrs.define
class GrantPosition:
    """A warrant grant after amendments: tranches, what vested, what was exercised."""

    id: str
    date: dt.date
    issuer: str
    holder: str
    strike: Decimal
    currency: str
    expiry: dt.date
    commitment: str | None
    tranches: dict[str, TrancheState]
    exercised: Decimal = ZERO
    status: str | None = None
    inputs: EventIds = attrs.Factory(EventIds)

    @property
    def closed(self) -> bool:
        return self.status in ("cancelled", "lapsed")


@attrs.define
class CommitmentPosition:
    """A commitment's outstanding amount (from the committed postings) and its terms.

    ``inputs`` are the commitment, its amendments and the draws on it; ``draws`` counts the
    draws among them — purchases and investments from the payer to the payee, each of which
    also moved both parties' cash (so a figure that lists a party's cash movements, or the
    payer's flows to the payee, already counts them).
    """

    id: str
    date: dt.date
    payer: str
    payee: str
    kind: str
    currency: str
    total: Decimal
    outstanding: Decimal = ZERO
    binding: bool = True
    status: str | None = None
    delivered_gw: Decimal = ZERO
    delivery_inputs: EventIds = attrs.Factory(EventIds)
    inputs: EventIds = attrs.Factory(EventIds)
    draws: int = 0
    """Draws on it (investments and purchases naming it), each one of the payee's inputs."""
    cashless_draws: int = 0
    """Of those, draws booked without a cash leg (``settlement: prior``)."""
    gated: tuple[tuple[str, Decimal, Decimal | None], ...] = ()
    """(tranche id, amount, GW that must be delivered first) of every tranche with a delivery
    condition; GW ``None`` for a tranche that waits on a ``trigger`` (an outside event)."""
    drawn_by_tranche: dict[str, Decimal] = attrs.Factory(dict)
    """What draws naming a tranche (``tranche:`` on a purchase or investment) took from it."""
    start: dt.date | None = None
    end: dt.date | None = None
    """The term the commitment states (None: not stated): coverage schedules what is left of a
    binding commitment over it, by year (:mod:`plugins.metrics.schedule`)."""


@attrs.define
class Claim:
    """A loan, note or convertible: principal outstanding, lender → borrower."""

    id: str
    date: dt.date
    lender: str
    borrower: str
    instrument: str
    currency: str
    principal: Decimal
    outstanding: Decimal = ZERO
    inputs: EventIds = attrs.Factory(EventIds)


@attrs.define
class Positions:
    """Everything the valuation (and the metrics) read, as of the last folded entry.

    Grants, commitments and claims are kept in the order they were recorded (each instrument
    once); prices and valuations per party in date order, a few marks a day
    (:func:`~plugins.valuation.holdings.keep_mark`).
    """

    stakes: dict[tuple[str, str], Stake] = attrs.Factory(dict)  # (holder, issuer)
    grants: dict[str, GrantPosition] = attrs.Factory(dict)
    commitments: dict[str, CommitmentPosition] = attrs.Factory(dict)
    claims: dict[str, Claim] = attrs.Factory(dict)
    prices: dict[str, list[Mark]] = attrs.Factory(dict)
    valuations: dict[str, list[Mark]] = attrs.Factory(dict)
    delivered_gw: dict[tuple[str, str], Decimal] = attrs.Factory(dict)  # (supplier, customer)
    delivery_inputs: dict[tuple[str, str], EventIds] = attrs.Factory(dict)


# --- as plain data -------------------------------------------------------------------------------

FORMAT = 1
"""The shape written below; a checkpoint of another shape is refused (and folded again)."""


_d = plain.decimal_of
_day = plain.date_of
_text = plain.text_of


def _maybe(value: Any) -> str | None:
    return None if value is None else _text(value)


def _marks(marks: dict[str, list[Mark]]) -> dict[str, list[list[str]]]:
    return {
        p: [[m.date.isoformat(), str(m.amount), m.currency, m.event_id] for m in ms]
        for p, ms in marks.items()
    }


def _marks_from(data: dict[str, Any]) -> dict[str, list[Mark]]:
    return {
        _text(p): [Mark(_day(d), _d(a), _text(c), _text(i)) for d, a, c, i in ms]
        for p, ms in data.items()
    }


def to_plain(state: Positions) -> dict[str, Any]:
    """The state as text, integers, lists and text-keyed mappings (see the module docstring)."""
    return {
        "format": FORMAT,
        "stakes": [
            [
                h,
                i,
                str(s.shares),
                str(s.cost),
                str(s.uncounted_cost),
                s.currency,
                s.inputs.to_plain(),
            ]
            for (h, i), s in state.stakes.items()
        ],
        "grants": [
            [
                g.id,
                g.date.isoformat(),
                g.issuer,
                g.holder,
                str(g.strike),
                g.currency,
                g.expiry.isoformat(),
                g.commitment,
                [
                    [
                        tid,
                        str(t.shares),
                        [[c.metric, str(c.at_least)] for c in t.conditions],
                        t.vested_by,
                    ]
                    for tid, t in g.tranches.items()
                ],
                str(g.exercised),
                g.status,
                g.inputs.to_plain(),
            ]
            for g in state.grants.values()
        ],
        "commitments": [
            [
                c.id,
                c.date.isoformat(),
                c.payer,
                c.payee,
                c.kind,
                c.currency,
                str(c.total),
                str(c.outstanding),
                c.binding,
                c.status,
                str(c.delivered_gw),
                c.delivery_inputs.to_plain(),
                c.inputs.to_plain(),
                c.draws,
                c.cashless_draws,
                [
                    [tid, str(amount), None if gw is None else str(gw)]
                    for tid, amount, gw in c.gated
                ],
                [[tid, str(drawn)] for tid, drawn in c.drawn_by_tranche.items()],
                None if c.start is None else c.start.isoformat(),
                None if c.end is None else c.end.isoformat(),
            ]
            for c in state.commitments.values()
        ],
        "claims": [
            [
                k.id,
                k.date.isoformat(),
                k.lender,
                k.borrower,
                k.instrument,
                k.currency,
                str(k.principal),
                str(k.outstanding),
                k.inputs.to_plain(),
            ]
            for k in state.claims.values()
        ],
        "prices": _marks(state.prices),
        "valuations": _marks(state.valuations),
        "deliveries": [
            [s, c, str(gw), state.delivery_inputs[(s, c)].to_plain()]
            for (s, c), gw in state.delivered_gw.items()
        ],
    }


def from_plain(data: Any) -> Positions:
    """The state :func:`to_plain` wrote; ``ValueError`` (or a ``TypeError``) for anything else."""
    if type(data) is not dict or data.get("format") != FORMAT:
        raise ValueError("not a valuation.positions checkpoint of this format")
    state = Positions()
    for h, i, shares, cost, uncounted, currency, ids in data["stakes"]:
        state.stakes[(_text(h), _text(i))] = Stake(
            _d(shares), _d(cost), _d(uncounted), _text(currency), EventIds.from_plain(ids)
        )
    for gid, day, issuer, holder, strike, cur, expiry, com, tranches, ex, status, ids in data[
        "grants"
    ]:
        state.grants[_text(gid)] = GrantPosition(
            gid,
            _day(day),
            _text(issuer),
            _text(holder),
            _d(strike),
            _text(cur),
            _day(expiry),
            _maybe(com),
            {
                _text(tid): TrancheState(
                    _d(shares),
                    tuple(Condition(metric=_text(m), at_least=_d(a)) for m, a in conditions),
                    _maybe(vested),
                )
                for tid, shares, conditions, vested in tranches
            },
            _d(ex),
            _maybe(status),
            EventIds.from_plain(ids),
        )
    for row in data["commitments"]:
        (cid, day, payer, payee, kind, cur, total, outstanding, binding, status, gw) = row[:11]
        delivery_ids, ids, draws, cashless, gated, drawn, start, end = row[11:]
        if type(binding) is not bool or type(draws) is not int or type(cashless) is not int:
            raise ValueError("malformed commitment")
        state.commitments[_text(cid)] = CommitmentPosition(
            cid,
            _day(day),
            _text(payer),
            _text(payee),
            _text(kind),
            _text(cur),
            _d(total),
            _d(outstanding),
            binding,
            _maybe(status),
            _d(gw),
            EventIds.from_plain(delivery_ids),
            EventIds.from_plain(ids),
            draws,
            cashless,
            tuple((_text(t), _d(a), None if g is None else _d(g)) for t, a, g in gated),
            {_text(t): _d(a) for t, a in drawn},
            None if start is None else _day(start),
            None if end is None else _day(end),
        )
    for kid, day, lender, borrower, instrument, cur, principal, outstanding, ids in data["claims"]:
        state.claims[_text(kid)] = Claim(
            kid,
            _day(day),
            _text(lender),
            _text(borrower),
            _text(instrument),
            _text(cur),
            _d(principal),
            _d(outstanding),
            EventIds.from_plain(ids),
        )
    state.prices = _marks_from(data["prices"])
    state.valuations = _marks_from(data["valuations"])
    for s, c, gw, ids in data["deliveries"]:
        state.delivered_gw[(_text(s), _text(c))] = _d(gw)
        state.delivery_inputs[(s, c)] = EventIds.from_plain(ids)
    return state
