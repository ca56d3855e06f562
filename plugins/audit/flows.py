"""The ``audit.flows`` projection: the ledger's entries as the audit algorithms' inputs.

The algorithms in :mod:`plugins.audit.tracing` and :mod:`plugins.audit.cycles` take plain
:class:`~plugins.audit.model.CashMove` and :class:`~plugins.audit.model.Edge` values and know
nothing about events. This fold is the one place that turns entries into those values, so the
tracer can be reconciled against the book (see the ``audit.trace-conservation`` invariant):

* **cash moves** are read from the postings on ``assets:cash`` (who paid, who was paid), so
  every dollar the book moves — opening balances from the world, investments, loans,
  repayments (principal and interest), purchases, warrant exercises paid in cash — is a move;
* the **cash** layer is one flow per payer → payee pair (the moves themselves are not kept: the
  tracers, :mod:`plugins.audit.tracers`, fold them as they go by);
* the **committed** layer is one edge per commitment, payer → payee, for what is still
  *outstanding*: built from the postings in ``committed:<currency>`` (the commitment, its
  amendments, cancellation and draw-downs), with the ids and dates of those events;
* the **equity** layer is the stakes: equity and convertible investments at the amount paid,
  investor → investee (also those settled before the history, which move no cash), stock issued
  as consideration issuer → holder at its stated value, and warrant grants issuer → holder at
  the amount the caller gives (the audit query passes their grant-date fair values,
  :mod:`plugins.audit.fair_values`), else at their grant-date intrinsic value
  (shares after amendments × (last per-share price of the issuer on or before the grant date −
  strike), floored at 0; no price → 0, reported as "no price");
* the **all** layer is the union of the three (an investment, both cash and a stake, once).

Everything is kept per currency: a cash pool, and a cycle, only make sense in one currency.
The state compares by value and holds no store positions, so reversals and as-of cuts fold to
exactly the state of the shorter history (the laws :func:`ledger.testing.check_projection`
checks).

Why aggregated: a million-event history has hundreds of thousands of moves, but only parties ×
parties flows. Each flow keeps its amount, how many events made it, the first
:data:`FLOW_EXAMPLES` event ids (with their dates), and every distinct date of its events — what
the time-order test of a loop needs. So the state is bounded by parties, instruments and days,
and is plain data for its checkpoint.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, localcontext
from typing import Any, Final, Literal, get_args

import attrs

from ledger.book import EXACT, Entry
from ledger.engine.projection import Projection
from ledger.model.events import (
    Amendment,
    Commitment,
    Investment,
    Price,
    ShareIssue,
    WarrantGrant,
    commitment_of,
)
from ledger.model.values import is_cash
from plugins.audit.aggregates import FLOW_EXAMPLES, Flow, Marks
from plugins.audit.model import KINDS, CashMove, Edge

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "FLOW_EXAMPLES",
    "LAYERS",
    "NAME",
    "PROJECTION",
    "CommitmentFlow",
    "Flow",
    "FlowState",
    "Layer",
    "WarrantStake",
    "aggregate",
    "cash_moves",
    "currencies",
    "layer_edges",
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
    flow: Flow = attrs.Factory(Flow)

    @property
    def outstanding(self) -> Decimal:
        return self.flow.amount


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
    flow: Flow = attrs.Factory(Flow)

    @property
    def shares(self) -> Decimal:
        return self.flow.amount


@attrs.define
class FlowState:
    """Flows per layer and currency between parties, commitments, stakes and share prices."""

    cash: dict[tuple[str, str, str], Flow] = attrs.Factory(dict)
    """(currency, payer, payee) → the cash paid (the world included)."""
    stakes: dict[tuple[str, str, str], Flow] = attrs.Factory(dict)
    """(currency, investor, investee) → equity and convertible investments paid in cash (so in
    the cash layer too)."""
    other_stakes: dict[tuple[str, str, str], Flow] = attrs.Factory(dict)
    """(currency, from, to) → stakes that moved no cash: investments settled before the history,
    and stock issued as consideration (issuer → holder at its stated value)."""
    commitments: dict[str, CommitmentFlow] = attrs.Factory(dict)
    warrants: dict[str, WarrantStake] = attrs.Factory(dict)
    prices: dict[str, Marks] = attrs.Factory(dict)
    non_binding: set[str] = attrs.Factory(set)
    """Commitments recorded as non-binding (letters of intent) and not yet made definitive: a
    loop's leg says whether it rests on one (:mod:`plugins.audit.standing`)."""

    def binding(self, commitment: str) -> bool:
        return commitment not in self.non_binding


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
        for currency, payer, payee, amount in _cash_legs(entry):
            flow = state.cash.get((currency, payer, payee))
            if flow is None:
                flow = state.cash[(currency, payer, payee)] = Flow()
            flow.add(amount, event.id, event.date)
    if isinstance(event, Investment) and event.instrument in _STAKES:
        paid = any(p.account == _CASH_ACCOUNT for p in entry.postings)
        _stake(
            state.stakes if paid else state.other_stakes,
            event.amount.currency,
            event.investor,
            event.investee,
            event.amount.amount,
            event.id,
            event.date,
        )
    if isinstance(event, ShareIssue):
        _stake(
            state.other_stakes,
            event.value.currency,
            event.issuer,
            event.holder,
            event.value.amount,
            event.id,
            event.date,
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
        marks = state.prices.get(event.party)
        if marks is None:
            marks = state.prices[event.party] = Marks()
        marks.add(event.date, event.per_share.amount)
    if isinstance(event, Commitment) and not event.binding:
        state.non_binding.add(event.id)
    if isinstance(event, Amendment) and event.status == "definitive":
        state.non_binding.discard(event.of)
    _committed(state, entry)
    _warrant_shares(state, entry)


def _stake(
    stakes: dict[tuple[str, str, str], Flow],
    currency: str,
    source: str,
    target: str,
    amount: Decimal,
    event_id: str,
    date: dt.date,
) -> None:
    flow = stakes.get((currency, source, target))
    if flow is None:
        flow = stakes[(currency, source, target)] = Flow()
    flow.add(amount, event_id, date)


def _cash_legs(entry: Entry) -> Iterator[tuple[str, str, str, Decimal]]:
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
    for currency, by_party in nets.items():
        payers = [(party, -net) for party, net in by_party.items() if net < 0]
        payees = [(party, net) for party, net in by_party.items() if net > 0]
        i = j = 0
        paid, got = ZERO, ZERO
        while i < len(payers) and j < len(payees):
            amount = min(payers[i][1] - paid, payees[j][1] - got)
            yield currency, payers[i][0], payees[j][0], amount
            paid, got = paid + amount, got + amount
            if paid == payers[i][1]:
                i, paid = i + 1, ZERO
            if got == payees[j][1]:
                j, got = j + 1, ZERO


def cash_moves(entries: Iterable[Entry], currency: str | None = None) -> Iterator[CashMove]:
    """The cash moves of ``entries`` in recorded order (the tracers' input), one currency or all."""
    with localcontext(EXACT):
        for entry in entries:
            event = entry.event
            if event.TYPE not in KINDS:
                continue
            for cur, payer, payee, amount in _cash_legs(entry):
                if currency is None or cur == currency:
                    yield CashMove(event.id, event.date, payer, payee, amount, event.TYPE)


def entry_moves(entry: Entry) -> list[tuple[str, CashMove]]:
    """``(currency, move)`` of one entry."""
    event = entry.event
    if event.TYPE not in KINDS:
        return []
    return [
        (cur, CashMove(event.id, event.date, payer, payee, amount, event.TYPE))
        for cur, payer, payee, amount in _cash_legs(entry)
    ]


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
        flow.flow.add(-p.quantity, entry.event.id, entry.event.date)


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
    stake.flow.add(delta, event.id, event.date)


# --- reading the state -----------------------------------------------------------------------


def currencies(state: FlowState) -> list[str]:
    """Every currency that appears in a move, a stake or a commitment, sorted."""
    found = {c for c, _, _ in (*state.cash, *state.stakes, *state.other_stakes)}
    found |= {c.currency for c in state.commitments.values()}
    found |= {w.currency for w in state.warrants.values()}
    return sorted(found)


def last_price(state: FlowState, party: str, on: dt.date) -> tuple[dt.date, Decimal] | None:
    """The last per-share price of ``party`` dated on or before ``on`` (same date: recorded last)."""
    marks = state.prices.get(party)
    return None if marks is None else marks.last(on)


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


def layer_edges(
    state: FlowState,
    layer: Layer,
    currency: str = "USD",
    warrant_amounts: Mapping[str, Decimal] | None = None,
) -> list[Edge]:
    """The flows of one layer: one edge per pair (a commitment: one per commitment).

    World edges are included (opening balances, payments to outsiders);
    :func:`~plugins.audit.cycles.build_graph` drops them, and so does :func:`aggregate`.
    ``warrant_amounts`` (grant id → amount) values those warrant stakes instead of their
    grant-date intrinsic value: the audit passes the grant-date fair values the valuation
    plugin computes (:func:`plugins.audit.api.audit_answer`).
    """
    if layer == "cash":
        return [
            f.edge("cash", payer, payee)
            for (cur, payer, payee), f in state.cash.items()
            if cur == currency and payer != payee and f.amount > 0
        ]
    if layer == "committed":
        return [
            c.flow.edge("committed", c.payer, c.payee)
            for c in state.commitments.values()
            if c.currency == currency and c.outstanding > 0
        ]
    if layer == "equity":
        return [
            *(
                f.edge("equity", investor, investee)
                for (cur, investor, investee), f in state.stakes.items()
                if cur == currency
            ),
            *_other_stake_edges(state, currency),
            *_warrant_edges(state, currency, warrant_amounts),
        ]
    if layer == "all":
        # An investment is both paid cash and a stake: in the union it counts once (as cash).
        return [
            attrs.evolve(edge, layer="all")
            for edge in (
                *layer_edges(state, "cash", currency),
                *layer_edges(state, "committed", currency),
                *_other_stake_edges(state, currency),
                *_warrant_edges(state, currency, warrant_amounts),
            )
        ]
    raise ValueError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")


def _other_stake_edges(state: FlowState, currency: str) -> list[Edge]:
    return [
        f.edge("equity", source, target)
        for (cur, source, target), f in state.other_stakes.items()
        if cur == currency
    ]


def warrant_amount(
    state: FlowState, stake: WarrantStake, amounts: Mapping[str, Decimal] | None = None
) -> Decimal:
    """A warrant stake's amount in the equity layer: ``amounts[grant]`` when given, else its
    grant-date intrinsic value."""
    if amounts is not None and stake.grant in amounts:
        return amounts[stake.grant]
    return value(state, stake).value


def _warrant_edges(
    state: FlowState, currency: str, amounts: Mapping[str, Decimal] | None = None
) -> list[Edge]:
    return [
        w.flow.edge("equity", w.issuer, w.holder, warrant_amount(state, w, amounts))
        for w in state.warrants.values()
        if w.currency == currency and w.shares > 0
    ]


def aggregate(edges: Iterable[Edge]) -> list[Edge]:
    """One edge per (source, target) between modelled parties, as the cycle search sees them."""
    from plugins.audit.cycles import build_graph  # networkx: imported when first needed

    graph = build_graph(edges)
    return sorted(
        (graph.edges[u, v]["edge"] for u, v in graph.edges),
        key=lambda e: (-e.amount, e.source, e.target),
    )


# --- describe and checkpoint ----------------------------------------------------------------


def _edge_json(edge: Edge) -> dict[str, Any]:
    return {
        "source": edge.source,
        "target": edge.target,
        "amount": edge.amount,
        "first_date": edge.first_date,
        "last_date": edge.last_date,
        "events": list(edge.event_ids),
        "event_count": edge.event_count,
    }


def describe(state: FlowState) -> dict[str, Any]:
    """Per currency and layer, the aggregated edges between modelled parties."""
    return {
        currency: {
            "edges": {
                layer: [_edge_json(e) for e in aggregate(layer_edges(state, layer, currency))]
                for layer in LAYERS
            }
        }
        for currency in currencies(state)
    }


def encode(state: FlowState) -> dict[str, Any]:
    return {
        "cash": [[*k, f.to_plain()] for k, f in state.cash.items()],
        "stakes": [[*k, f.to_plain()] for k, f in state.stakes.items()],
        "other_stakes": [[*k, f.to_plain()] for k, f in state.other_stakes.items()],
        "commitments": [
            [c.commitment, c.payer, c.payee, c.currency, c.flow.to_plain()]
            for c in state.commitments.values()
        ],
        "warrants": [
            [w.grant, w.issuer, w.holder, w.currency, w.strike, w.date, w.flow.to_plain()]
            for w in state.warrants.values()
        ],
        "prices": {p: [list(m.days), m.prices] for p, m in state.prices.items()},
        "non_binding": sorted(state.non_binding),
    }


def decode(data: Mapping[str, Any]) -> FlowState:
    state = FlowState()
    for cur, a, b, flow in data["cash"]:
        state.cash[(cur, a, b)] = Flow.from_plain(flow)
    for cur, a, b, flow in data["stakes"]:
        state.stakes[(cur, a, b)] = Flow.from_plain(flow)
    for cur, a, b, flow in data["other_stakes"]:
        state.other_stakes[(cur, a, b)] = Flow.from_plain(flow)
    for cid, payer, payee, cur, flow in data["commitments"]:
        state.commitments[cid] = CommitmentFlow(cid, payer, payee, cur, Flow.from_plain(flow))
    for gid, issuer, holder, cur, strike, date, flow in data["warrants"]:
        state.warrants[gid] = WarrantStake(
            gid, issuer, holder, cur, strike, date, Flow.from_plain(flow)
        )
    for party, (days, prices) in data["prices"].items():
        state.prices[party] = Marks(array("i", days), list(prices))
    state.non_binding = set(data["non_binding"])
    return state


PROJECTION: Final = Projection(
    NAME,
    initial,
    apply,
    handles=_HANDLES,
    version="6",
    describe=describe,
    encode=encode,
    decode=decode,
)


def edges_json(edges: Sequence[Edge]) -> list[dict[str, Any]]:
    """Aggregated edges as JSON-ready rows (amounts as Decimals; the printer makes them text)."""
    return [_edge_json(e) for e in edges]


def names_of(parties: Mapping[str, Any]) -> dict[str, str]:
    """``{id: display name}`` from a book's parties."""
    return {pid: getattr(p, "name", pid) or pid for pid, p in parties.items()}
