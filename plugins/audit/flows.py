"""The ``audit.flows`` projection: the ledger's entries as the audit algorithms' inputs.

The algorithms in :mod:`plugins.audit.tracing` and :mod:`plugins.audit.cycles` take plain
:class:`~plugins.audit.model.CashMove` and :class:`~plugins.audit.model.Edge` values and know
nothing about events. This fold is the one place that turns entries into those values, so the
tracer can be reconciled against the book (see the ``audit.trace-conservation`` invariant):

* **cash moves** are read from the postings on ``assets:cash`` (who paid, who was paid), so
  every dollar the book moves — opening balances from the world, investments, loans,
  repayments (principal and interest), purchases, warrant exercises paid in cash — is a move;
* the **cash** layer is one edge per move;
* the **committed** layer is one edge per commitment, payer → payee, for what is still
  *outstanding*: built from the postings in ``committed:<currency>`` (the commitment, its
  amendments, cancellation and draw-downs), with the ids and dates of those events;
* the **equity** layer is the stakes: equity and convertible investments at the amount paid,
  investor → investee (also those settled before the history, which move no cash), stock issued
  as consideration issuer → holder at its stated value, and warrant grants issuer → holder at
  their grant-date intrinsic value
  (shares after amendments × (last per-share price of the issuer on or before the grant date −
  strike), floored at 0; no price → 0, reported as "no price");
* the **all** layer is the union of the three (an investment, both cash and a stake, once).

Everything is kept per currency: a cash pool, and a cycle, only make sense in one currency.
The state compares by value and holds no store positions, so reversals and as-of cuts fold to
exactly the state of the shorter history (the laws :func:`ledger.testing.check_projection`
checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, localcontext
from typing import Any, Final, Literal, get_args

import attrs

from ledger.book import EXACT, Entry
from ledger.engine.lazy import LazyDict, LazyLog
from ledger.engine.projection import Projection
from ledger.model.events import (
    Amendment,
    Investment,
    Price,
    ShareIssue,
    WarrantGrant,
    commitment_of,
)
from ledger.model.values import is_cash
from plugins.audit.model import KINDS, CashMove, Edge

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "LAYERS",
    "NAME",
    "PROJECTION",
    "CommitmentFlow",
    "FlowState",
    "Layer",
    "WarrantStake",
    "aggregate",
    "currencies",
    "layer_edges",
    "moves",
]

NAME: Final = "audit.flows"
DEFAULT_MAX_LENGTH: Final = 6
"""Parties on a cycle at most, by default: enumerating simple cycles is exponential in length."""
Layer = Literal["cash", "committed", "equity", "all"]
LAYERS: tuple[Layer, ...] = get_args(Layer)
ZERO: Final = Decimal(0)
_CASH_ACCOUNT = "assets:cash"
_OWED = "liabilities:commitments:"
_STAKES = ("equity", "convertible")
_HANDLES = (
    *sorted(KINDS),
    "commitment",
    "amendment",
    "warrant_grant",
    "share_issue",
    "price",
)


@attrs.define
class CommitmentFlow:
    """What is still owed on one commitment, and the events that made it so."""

    commitment: str
    payer: str
    payee: str
    currency: str
    outstanding: Decimal = ZERO
    event_ids: list[str] = attrs.Factory(list)
    event_dates: list[dt.date] = attrs.Factory(list)


@attrs.define
class WarrantStake:
    """A warrant grant as a stake issuer → holder; valued only when read (see :func:`value`).

    ``shares`` follows amendments (a new share count, a cancellation of the unvested rest), read
    from the holder's warrant postings; exercises do not reduce it — an exercised warrant is
    still the stake the issuer handed over.
    """

    grant: str
    issuer: str
    holder: str
    currency: str
    strike: Decimal
    date: dt.date
    shares: Decimal = ZERO
    event_ids: list[str] = attrs.Factory(list)
    event_dates: list[dt.date] = attrs.Factory(list)


Row = tuple[str, dt.date, str, str, Decimal, str]
"""A cash move or a stake as plain values: (event id, date, payer, payee, amount, kind).

Why tuples and not :class:`CashMove`/:class:`Edge`: the state is pickled into every
checkpoint, and 50,000 attrs objects cost ~3× the time and twice the bytes of tuples; the
validated values are built when the audit reads the state.
"""


@attrs.define
class FlowState:
    """Cash moves, stakes, commitments and per-share prices, per currency where it matters.

    The rows and the commitments grow with the history; they are :mod:`ledger.engine.lazy`
    containers, so a catch-up from a checkpoint does not decode them to append a few.
    """

    moves: dict[str, LazyLog[Row]] = attrs.Factory(dict)
    investments: dict[str, LazyLog[Row]] = attrs.Factory(dict)
    commitments: LazyDict[str, CommitmentFlow] = attrs.Factory(LazyDict)
    warrants: LazyDict[str, WarrantStake] = attrs.Factory(LazyDict)
    prices: dict[str, list[tuple[dt.date, Decimal]]] = attrs.Factory(dict)


def initial() -> FlowState:
    return FlowState()


def apply(state: FlowState, entry: Entry) -> FlowState:
    """Fold one entry; every figure comes from its postings, the event only names things."""
    with localcontext(EXACT):
        _apply(state, entry)
    return state


def _apply(state: FlowState, entry: Entry) -> None:
    event = entry.event
    if event.TYPE in KINDS:
        _cash(state, entry)
    if isinstance(event, Investment) and event.instrument in _STAKES:
        _rows(state.investments, event.amount.currency).append(
            (
                event.id,
                event.date,
                event.investor,
                event.investee,
                event.amount.amount,
                event.instrument,
            )
        )
    if isinstance(event, ShareIssue):
        # Stock handed over as consideration: a stake issuer → holder at its stated value.
        _rows(state.investments, event.value.currency).append(
            (event.id, event.date, event.issuer, event.holder, event.value.amount, "share_issue")
        )
    if isinstance(event, WarrantGrant):
        state.warrants[event.id] = WarrantStake(
            event.id,
            event.issuer,
            event.holder,
            event.strike.currency,
            event.strike.amount,
            event.date,
        )
    if isinstance(event, Price) and event.per_share is not None:
        state.prices.setdefault(event.party, []).append((event.date, event.per_share.amount))
    _committed(state, entry)
    _warrant_shares(state, entry)


def _rows(by_currency: dict[str, LazyLog[Row]], currency: str) -> LazyLog[Row]:
    rows = by_currency.get(currency)
    if rows is None:
        rows = by_currency[currency] = LazyLog()
    return rows


def _cash(state: FlowState, entry: Entry) -> None:
    """Who paid whom, from the net change of each party's ``assets:cash`` per currency.

    Every cash event has one payer and one payee (a repayment's principal and interest legs
    net to one payment); should a future event have more, payers are matched to payees in
    posting order so the moves still sum to the postings.
    """
    nets: dict[str, dict[str, Decimal]] = {}
    for p in entry.postings:
        if p.account == _CASH_ACCOUNT and is_cash(p.commodity):
            by_party = nets.setdefault(p.commodity, {})
            by_party[p.party] = by_party.get(p.party, ZERO) + p.quantity
    event = entry.event
    for currency, by_party in nets.items():
        payers = [(party, -net) for party, net in by_party.items() if net < 0]
        payees = [(party, net) for party, net in by_party.items() if net > 0]
        out = _rows(state.moves, currency)
        i = j = 0
        paid, got = ZERO, ZERO
        while i < len(payers) and j < len(payees):
            amount = min(payers[i][1] - paid, payees[j][1] - got)
            out.append((event.id, event.date, payers[i][0], payees[j][0], amount, event.TYPE))
            paid, got = paid + amount, got + amount
            if paid == payers[i][1]:
                i, paid = i + 1, ZERO
            if got == payees[j][1]:
                j, got = j + 1, ZERO


def _committed(state: FlowState, entry: Entry) -> None:
    """Outstanding per commitment = − Σ of the payer's ``liabilities:commitments:*`` postings."""
    for p in entry.postings:
        if not (p.commodity.startswith("committed:") and p.account.startswith(_OWED)):
            continue
        cid = commitment_of(entry.event)
        if cid is None:
            raise ValueError(
                f"event '{entry.event.id}' ({entry.event.TYPE}) posts committed money but names no commitment"
            )
        flow = state.commitments.get(cid)
        if flow is None:
            flow = state.commitments[cid] = CommitmentFlow(
                cid, p.party, p.account.removeprefix(_OWED), p.commodity.partition(":")[2]
            )
        flow.outstanding -= p.quantity
        if not flow.event_ids or flow.event_ids[-1] != entry.event.id:
            flow.event_ids.append(entry.event.id)
            flow.event_dates.append(entry.event.date)


def _warrant_shares(state: FlowState, entry: Entry) -> None:
    """Granted shares net of amendments: the holder's grant/amendment postings on warrants."""
    event = entry.event
    if isinstance(event, WarrantGrant):
        grant = event.id
    elif isinstance(event, Amendment) and event.of in state.warrants:
        grant = event.of
    else:
        return
    stake = state.warrants[grant]
    delta = sum(
        (
            p.quantity
            for p in entry.postings
            if p.party == stake.holder and p.commodity == f"warrants:{stake.issuer}"
        ),
        ZERO,
    )
    stake.shares += delta
    stake.event_ids.append(event.id)
    stake.event_dates.append(event.date)


# --- reading the state -----------------------------------------------------------------------


def currencies(state: FlowState) -> list[str]:
    """Every currency that appears in a move, a stake or a commitment, sorted."""
    found = set(state.moves) | set(state.investments)
    found |= {c.currency for c in state.commitments.values()}
    found |= {w.currency for w in state.warrants.values()}
    return sorted(found)


def moves(state: FlowState, currency: str = "USD") -> list[CashMove]:
    """The cash moves in ``currency``, in recorded order (the tracer's input)."""
    return [CashMove(*row) for row in state.moves.get(currency, ())]


def last_price(state: FlowState, party: str, on: dt.date) -> tuple[dt.date, Decimal] | None:
    """The last per-share price of ``party`` dated on or before ``on`` (same date: recorded last)."""
    best: tuple[dt.date, Decimal] | None = None
    for date, price in state.prices.get(party, ()):
        if date <= on and (best is None or date >= best[0]):
            best = (date, price)
    return best


@attrs.frozen
class WarrantValue:
    """A grant's grant-date intrinsic value, with the price it used (None: no price)."""

    grant: str
    issuer: str
    holder: str
    currency: str
    shares: Decimal
    strike: Decimal
    price: Decimal | None
    price_date: dt.date | None
    value: Decimal

    @property
    def note(self) -> str | None:
        if self.price is None:
            return f"no price of {self.issuer} on or before the grant date: valued at 0"
        return None


def value(state: FlowState, stake: WarrantStake) -> WarrantValue:
    """shares × max(P − K, 0) with P the last price on or before the grant date; exact."""
    mark = last_price(state, stake.issuer, stake.date)
    amount = ZERO
    if mark is not None:
        with localcontext(EXACT):
            amount = stake.shares * max(mark[1] - stake.strike, ZERO)
    return WarrantValue(
        stake.grant,
        stake.issuer,
        stake.holder,
        stake.currency,
        stake.shares,
        stake.strike,
        None if mark is None else mark[1],
        None if mark is None else mark[0],
        amount,
    )


def warrant_values(state: FlowState, currency: str = "USD") -> list[WarrantValue]:
    """Every grant in ``currency`` with its grant-date value, in recorded order."""
    return [value(state, w) for w in state.warrants.values() if w.currency == currency]


def _relabel(edge: Edge, layer: str) -> Edge:
    return attrs.evolve(edge, layer=layer)


def layer_edges(state: FlowState, layer: Layer, currency: str = "USD") -> list[Edge]:
    """The flows of one layer, one edge per event (a commitment: one per commitment).

    World edges are included (opening balances, payments to outsiders);
    :func:`~plugins.audit.cycles.build_graph` drops them, and so does :func:`aggregate`.
    """
    if layer == "cash":
        return [
            Edge.single("cash", payer, payee, amount, date, event_id)
            for event_id, date, payer, payee, amount, _ in state.moves.get(currency, ())
            if payer != payee and amount > 0
        ]
    if layer == "committed":
        return [
            Edge(
                "committed",
                c.payer,
                c.payee,
                c.outstanding,
                min(c.event_dates),
                max(c.event_dates),
                tuple(c.event_ids),
                tuple(c.event_dates),
            )
            for c in state.commitments.values()
            if c.currency == currency and c.outstanding > 0
        ]
    if layer == "equity":
        stakes = [
            Edge.single("equity", investor, investee, amount, date, event_id)
            for event_id, date, investor, investee, amount, _ in state.investments.get(currency, ())
        ]
        for w in state.warrants.values():
            if w.currency != currency or w.shares <= 0:
                continue
            stakes.append(
                Edge(
                    "equity",
                    w.issuer,
                    w.holder,
                    value(state, w).value,
                    min(w.event_dates),
                    max(w.event_dates),
                    tuple(w.event_ids),
                    tuple(w.event_dates),
                )
            )
        return stakes
    if layer == "all":
        union: list[Edge] = []
        seen: set[tuple[str, str, tuple[str, ...]]] = set()
        for part in ("cash", "committed", "equity"):
            for edge in layer_edges(state, part, currency):
                key = (edge.source, edge.target, edge.event_ids)
                if key in seen:
                    continue  # an investment is both paid cash and a stake: count it once
                seen.add(key)
                union.append(_relabel(edge, "all"))
        return union
    raise ValueError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")


def aggregate(edges: Iterable[Edge]) -> list[Edge]:
    """One edge per (source, target) between modelled parties, as the cycle search sees them."""
    from plugins.audit.cycles import build_graph  # networkx: imported when first needed

    graph = build_graph(edges)
    return sorted(
        (graph.edges[u, v]["edge"] for u, v in graph.edges),
        key=lambda e: (-e.amount, e.source, e.target),
    )


# --- describe (``loopledger project audit.flows``) -------------------------------------------


def _edge_json(edge: Edge) -> dict[str, Any]:
    return {
        "source": edge.source,
        "target": edge.target,
        "amount": edge.amount,
        "first_date": edge.first_date,
        "last_date": edge.last_date,
        "events": list(edge.event_ids),
    }


def describe(state: FlowState) -> dict[str, Any]:
    """Per currency: the moves, and per layer the aggregated edges between modelled parties."""
    out: dict[str, Any] = {}
    for currency in currencies(state):
        out[currency] = {
            "moves": [
                {
                    "event": event_id,
                    "date": date,
                    "payer": payer,
                    "payee": payee,
                    "amount": amount,
                    "kind": kind,
                }
                for event_id, date, payer, payee, amount, kind in state.moves.get(currency, ())
            ],
            "edges": {
                layer: [_edge_json(e) for e in aggregate(layer_edges(state, layer, currency))]
                for layer in LAYERS
            },
        }
    return out


PROJECTION: Final = Projection(
    NAME, initial, apply, handles=_HANDLES, version="4", describe=describe
)


def edges_json(edges: Sequence[Edge]) -> list[dict[str, Any]]:
    """Aggregated edges as JSON-ready rows (amounts as Decimals; the printer makes them text)."""
    return [_edge_json(e) for e in edges]


def names_of(parties: Mapping[str, Any]) -> dict[str, str]:
    """``{id: display name}`` from a book's parties."""
    return {pid: getattr(p, "name", pid) or pid for pid, p in parties.items()}
