"""Projection ``valuation.positions``: what each party holds, owes and is owed, and the marks.

Why a projection: a valuation as of any date needs the positions *as of* that date, and the
engine folds exactly the events dated on or before it — so one pure fold answers for today and
for last year, with checkpoints for free. Amounts come from the postings the book derived
(draw-downs capped at what is outstanding, amendments, repayments split into principal and
interest), so the positions always agree with ``loopledger balances``; the event only says
which instrument a posting belongs to.

The state is keyed on event ids and party ids (never store positions), compared by value, and
checkpointed as plain data (:mod:`plugins.valuation.state`); nothing here is ordered by a set.
It grows with the instruments (commitments, grants, claims) and the parties, never with the
events that touch them: each list of event ids keeps its first
:data:`~ledger.plugin.evidence.INPUTS_LISTED` and a count (:class:`~ledger.plugin.evidence.EventIds`),
and prices keep of each day only the marks a valuation can pick (:func:`~plugins.valuation.holdings.keep_mark`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from ledger.book import Entry
from ledger.engine.projection import Projection
from ledger.model.events import (
    Amendment,
    Commitment,
    Condition,
    Delivery,
    Event,
    Investment,
    Loan,
    Price,
    Purchase,
    Repayment,
    ShareIssue,
    Tranche,
    WarrantExercise,
    WarrantGrant,
    WarrantVest,
    commitment_of,
)
from ledger.model.values import WORLD, Money, is_cash
from ledger.plugin.evidence import EventIds
from plugins.valuation.holdings import ZERO, Holding, Mark, TrancheTerms, keep_mark
from plugins.valuation.state import (
    Claim,
    CommitmentPosition,
    GrantPosition,
    Positions,
    Stake,
    TrancheState,
    from_plain,
    to_plain,
)

NAME = "valuation.positions"
CLAIM_PREFIX = {
    "loan": "assets:loans:",
    "note": "assets:notes:",
    "convertible": "assets:convertibles:",
}
"""Where the lender's side of each kind of claim is posted (see ledger.book)."""


# --- the fold ------------------------------------------------------------------------------------


def initial() -> Positions:
    return Positions()


def _stakes(state: Positions, entry: Entry) -> None:
    """Shares from ``assets:shares`` and cost from ``assets:investments:<issuer>``, per holder."""
    shares: dict[tuple[str, str], Decimal] = {}
    cost: dict[tuple[str, str], tuple[Decimal, str]] = {}
    for p in entry.postings:
        if p.party == WORLD:
            continue
        if p.account == "assets:shares" and p.commodity.startswith("shares:"):
            key = (p.party, p.commodity.removeprefix("shares:"))
            shares[key] = shares.get(key, ZERO) + p.quantity
        elif p.account.startswith("assets:investments:") and is_cash(p.commodity):
            key = (p.party, p.account.removeprefix("assets:investments:"))
            cost[key] = (cost.get(key, (ZERO, ""))[0] + p.quantity, p.commodity)
    for key in [*shares, *(k for k in cost if k not in shares)]:
        stake = state.stakes.setdefault(key, Stake())
        stake.shares += shares.get(key, ZERO)
        if key in cost:
            amount, stake.currency = cost[key]
            stake.cost += amount
            if key not in shares:
                stake.uncounted_cost += amount
        stake.inputs.add(entry.event.id)


def _claim_id(event: Event) -> str | None:
    if isinstance(event, (Loan, Investment)):
        return event.id
    if isinstance(event, Repayment):
        return event.loan
    return None


def _amounts(state: Positions, entry: Entry) -> None:
    """Outstanding commitments and claims, from the payee's / lender's side of the postings."""
    event = entry.event
    cid = commitment_of(event)
    commitment = state.commitments.get(cid) if cid else None
    lid = _claim_id(event)
    claim = state.claims.get(lid) if lid else None
    if commitment is not None:
        account = f"assets:commitments:{commitment.payer}"
        moved = [
            p.quantity
            for p in entry.postings
            if p.party == commitment.payee
            and p.account == account
            and p.commodity.startswith("committed:")
        ]
        if moved:
            commitment.outstanding += sum(moved, ZERO)
            added = commitment.inputs.add_once(event.id)
            if added and isinstance(event, (Investment, Purchase)):
                commitment.draws += 1
                if getattr(event, "settlement", None) == "prior":
                    commitment.cashless_draws += 1
            tranche = getattr(event, "tranche", None)
            if tranche is not None and isinstance(event, (Investment, Purchase)):
                taken = -sum(moved, ZERO)  # a draw lowers the payee's claim
                drawn = commitment.drawn_by_tranche
                drawn[tranche] = drawn.get(tranche, ZERO) + taken
    if claim is not None:
        account = f"{CLAIM_PREFIX[claim.instrument]}{claim.borrower}"
        moved = [
            p.quantity
            for p in entry.postings
            if p.party == claim.lender and p.account == account and is_cash(p.commodity)
        ]
        if moved:
            claim.outstanding += sum(moved, ZERO)
            claim.inputs.add_once(event.id)


def _on_commitment(state: Positions, e: Commitment) -> None:
    state.commitments[e.id] = CommitmentPosition(
        e.id,
        e.date,
        e.payer,
        e.payee,
        e.kind,
        e.amount.currency,
        e.amount.amount if isinstance(e.amount, Money) else ZERO,  # undisclosed: no figure
        binding=e.binding,
        gated=tuple(g for g in map(_gate, e.tranches) if g is not None),
        start=e.start,
        end=e.end,
    )


def _gate(t: Tranche) -> tuple[str, Decimal, Decimal | None] | None:
    """A tranche that is not due at once: (id, amount, GW needed; None = waits on a trigger)."""
    if t.trigger is not None:
        return t.id, t.amount.amount, None
    if t.condition is not None and t.condition.metric == "delivered_gw":
        return t.id, t.amount.amount, t.condition.at_least
    return None


def _on_claim(state: Positions, e: Loan | Investment) -> None:
    if isinstance(e, Loan):
        lender, borrower, instrument = e.lender, e.borrower, "loan"
    else:
        lender, borrower = e.investor, e.investee
        instrument = {"debt": "note", "convertible": "convertible"}[e.instrument]
    state.claims[e.id] = Claim(
        e.id, e.date, lender, borrower, instrument, e.amount.currency, e.amount.amount
    )


def _on_grant(state: Positions, e: WarrantGrant) -> None:
    state.grants[e.id] = GrantPosition(
        e.id,
        e.date,
        e.issuer,
        e.holder,
        e.strike.amount,
        e.strike.currency,
        e.expiry,
        e.commitment,
        {t.id: TrancheState(t.shares, t.conditions) for t in e.tranches},
    )
    state.grants[e.id].inputs.add(e.id)


def _on_amendment(state: Positions, e: Amendment) -> None:
    if e.of in state.commitments:
        c = state.commitments[e.of]
        if e.amount is not None:
            c.total = e.amount.amount
        if e.status is not None:
            c.status = e.status
            if e.status == "definitive":
                c.binding = True
        c.inputs.add_once(e.id)
        return
    g = state.grants.get(e.of)
    if g is None:
        return
    if e.shares is not None:
        tranche = e.tranche if e.tranche is not None else next(iter(g.tranches))
        g.tranches[tranche].shares = e.shares
    if e.status is not None:
        g.status = e.status
    g.inputs.add_once(e.id)


def _on_delivery(state: Positions, e: Delivery) -> None:
    if e.capacity_gw is None:
        return
    key = (e.supplier, e.customer)
    state.delivered_gw[key] = state.delivered_gw.get(key, ZERO) + e.capacity_gw
    if key not in state.delivery_inputs:
        state.delivery_inputs[key] = EventIds()
    state.delivery_inputs[key].add_once(e.id)
    if e.commitment is not None and e.commitment in state.commitments:
        c = state.commitments[e.commitment]
        c.delivered_gw += e.capacity_gw
        c.delivery_inputs.add_once(e.id)


def _on_price(state: Positions, e: Price) -> None:
    mark = e.per_share or e.valuation
    if mark is None:
        return
    marks = state.prices if e.per_share is not None else state.valuations
    keep_mark(marks.setdefault(e.party, []), Mark(e.date, mark.amount, mark.currency, e.id))


def apply(state: Positions, entry: Entry) -> Positions:
    e = entry.event
    if isinstance(e, Commitment):
        _on_commitment(state, e)
    elif isinstance(e, Loan) or (isinstance(e, Investment) and e.instrument != "equity"):
        _on_claim(state, e)
    elif isinstance(e, WarrantGrant):
        _on_grant(state, e)
    elif isinstance(e, WarrantVest):
        g = state.grants[e.grant]
        g.tranches[e.tranche].vested_by = e.id
        g.inputs.add_once(e.id)
    elif isinstance(e, WarrantExercise):
        g = state.grants[e.grant]
        g.exercised += e.shares
        g.inputs.add_once(e.id)
    elif isinstance(e, Amendment):
        _on_amendment(state, e)
    elif isinstance(e, Delivery):
        _on_delivery(state, e)
    elif isinstance(e, Price):
        _on_price(state, e)
    if isinstance(e, (Investment, WarrantExercise, ShareIssue)):
        _stakes(state, entry)  # the only events that post shares or investments at cost
    if isinstance(e, (Commitment, Amendment, Investment, Purchase, Loan, Repayment)):
        _amounts(state, entry)
    return state


# --- reading the state ---------------------------------------------------------------------------


def delivered_for(state: Positions, grant: GrantPosition) -> tuple[Decimal, EventIds, str]:
    """GW counted towards a grant's delivery conditions, the delivery events counted, and the
    name of that group of deliveries (the same for every grant that counts them).

    Deliveries under the grant's commitment when it names one, else every delivery from the
    issuer (the supplier) to the holder (the customer).
    """
    if grant.commitment is not None and grant.commitment in state.commitments:
        c = state.commitments[grant.commitment]
        return c.delivered_gw, c.delivery_inputs, f"commitment:{c.id}"
    key = (grant.issuer, grant.holder)
    found = state.delivery_inputs.get(key) or EventIds()
    return state.delivered_gw.get(key, ZERO), found, f"pair:{grant.issuer}→{grant.holder}"


def contingent(state: Positions, c: CommitmentPosition) -> tuple[Decimal, tuple[str, ...]]:
    """The part of a commitment's outstanding amount still waiting on deliveries or on a
    trigger, and the tranches it comes from.

    Why: a contract like AMD–OpenAI binds only its first GW; later tranches fall due as GW are
    delivered. A tranche with a ``trigger`` (Amazon's $35B if OpenAI files for an IPO) falls due
    only if that happens, which the ledger learns from a draw naming it. Until then they are not
    owed, so coverage reports them apart from what is.
    GW delivered count deliveries under the commitment when any names it, else every delivery
    between its two parties (either direction: the supplier may be payer or payee). The amount
    is what is left of the tranches whose ``delivered_gw`` condition is unmet (less draws that
    named the tranche), capped at what is outstanding (after amendments and draw-downs; draws
    that name no tranche are taken to come from the tranches already due).
    """
    if not c.gated:
        return ZERO, ()
    if c.delivery_inputs:
        gw = c.delivered_gw
    else:
        gw = max(
            state.delivered_gw.get((c.payee, c.payer), ZERO),
            state.delivered_gw.get((c.payer, c.payee), ZERO),
        )
    left = {
        tid: max(amount - c.drawn_by_tranche.get(tid, ZERO), ZERO) for tid, amount, _ in c.gated
    }
    waiting = [
        (tid, left[tid])
        for tid, _, needed in c.gated
        if (needed is None or gw < needed) and left[tid]
    ]
    total = sum((amount for _, amount in waiting), ZERO)
    return min(total, c.outstanding), tuple(tid for tid, _ in waiting)


def _hurdle(conditions: tuple[Condition, ...], metric: str) -> Decimal | None:
    levels = [c.at_least for c in conditions if c.metric == metric]
    return max(levels) if levels else None


def tranche_holdings(
    state: Positions, grant: GrantPosition, *, unexercised: bool = True
) -> list[Holding]:
    """One holding per tranche still held: vested tranches less the shares exercised (exercised
    shares are taken from the vested tranches in tranche order — they share strike and expiry,
    so the order changes no value), and unvested tranches unless the grant was cancelled or
    lapsed (which forfeits them).

    With ``unexercised=False`` every tranche is returned at its full size and unvested (the
    grant-date view, used for the fair value at grant).
    """
    delivered, delivery_inputs, source = delivered_for(state, grant)
    left = grant.exercised if unexercised else ZERO
    vested_first = sorted(grant.tranches.items(), key=lambda kv: kv[1].vested_by is None)
    holdings = []
    for tid, t in vested_first:
        quantity = t.shares
        if unexercised and t.vested_by is not None:
            used = min(left, quantity)
            quantity, left = quantity - used, left - used
        if quantity <= 0 or (t.vested_by is None and grant.closed):
            continue
        terms = TrancheTerms(
            grant=grant.id,
            tranche=tid,
            issuer=grant.issuer,
            holder=grant.holder,
            grant_date=grant.date,
            expiry=grant.expiry,
            strike=grant.strike,
            vested_by=t.vested_by if unexercised else None,
            price_hurdle=_hurdle(t.conditions, "share_price"),
            gw_needed=_hurdle(t.conditions, "delivered_gw"),
            gw_delivered=delivered,
            delivery_inputs=tuple(delivery_inputs),
            delivery_inputs_total=delivery_inputs.total,
            delivery_source=source,
        )
        holdings.append(
            Holding(
                party=grant.holder,
                kind="warrant_tranche",
                instrument=f"{grant.id}:{tid}",
                counterparty=grant.issuer,
                quantity=quantity,
                currency=grant.currency,
                inputs=tuple(grant.inputs),
                inputs_total=grant.inputs.total,
                tranche=terms,
            )
        )
    return holdings


def holdings(state: Positions, has_price: Callable[[str], bool]) -> list[Holding]:
    """Every holding of every modelled party, in a stable order (party, kind, instrument).

    ``has_price(issuer)`` tells listed shares (a recorded per-share price) from private stakes.
    """
    found: list[Holding] = []
    for (holder, issuer), s in state.stakes.items():
        if s.shares == 0 and s.cost == 0:
            continue
        found.append(
            Holding(
                party=holder,
                kind="shares" if has_price(issuer) else "private_stake",
                instrument=f"shares:{issuer}",
                counterparty=issuer,
                quantity=s.shares,
                currency=s.currency,
                cost=s.cost,
                uncounted_cost=s.uncounted_cost,
                inputs=tuple(s.inputs),
                inputs_total=s.inputs.total,
            )
        )
    for g in state.grants.values():
        found += tranche_holdings(state, g)
    for c in state.commitments.values():
        if c.outstanding == 0:
            continue
        for party, other, side in ((c.payee, c.payer, "receivable"), (c.payer, c.payee, "payable")):
            if party != WORLD:
                found.append(
                    Holding(
                        party=party,
                        kind="commitment",
                        instrument=c.id,
                        counterparty=other,
                        quantity=c.outstanding,
                        currency=c.currency,
                        side=side,
                        binding=c.binding,
                        inputs=tuple(c.inputs),
                        inputs_total=c.inputs.total,
                    )
                )
    for k in state.claims.values():
        if k.outstanding == 0:
            continue
        for party, other, side in (
            (k.lender, k.borrower, "receivable"),
            (k.borrower, k.lender, "payable"),
        ):
            if party != WORLD:
                found.append(
                    Holding(
                        party=party,
                        kind="loan",
                        instrument=k.id,
                        counterparty=other,
                        quantity=k.outstanding,
                        currency=k.currency,
                        side=side,
                        inputs=tuple(k.inputs),
                        inputs_total=k.inputs.total,
                    )
                )
    order = {
        kind: i
        for i, kind in enumerate(
            ("shares", "private_stake", "warrant_tranche", "commitment", "loan")
        )
    }
    return sorted(found, key=lambda h: (h.party, order[h.kind], h.instrument, h.side or ""))


# --- describe ------------------------------------------------------------------------------------


def _view(instance: Any) -> dict[str, Any]:
    """An instance's fields as JSON-ready data; a group of event ids as its listed ids and a
    ``<name>_total`` beside them."""
    out: dict[str, Any] = {}
    for key, value in attrs.asdict(instance, recurse=False).items():
        if isinstance(value, EventIds):
            out[key] = list(value.ids)
            out[f"{key}_total"] = value.total
        else:
            out[key] = value
    return out


def describe(state: Positions) -> dict[str, Any]:
    """JSON-ready view for ``loopledger project valuation.positions``."""
    return {
        "stakes": [{"holder": h, "issuer": i, **_view(s)} for (h, i), s in state.stakes.items()],
        "grants": [
            {
                **{k: v for k, v in _view(g).items() if k != "tranches"},
                "tranches": [
                    {
                        "id": tid,
                        "shares": t.shares,
                        "vested_by": t.vested_by,
                        "conditions": [
                            {"metric": c.metric, "at_least": c.at_least} for c in t.conditions
                        ],
                    }
                    for tid, t in g.tranches.items()
                ],
            }
            for g in state.grants.values()
        ],
        "commitments": [_view(c) for c in state.commitments.values()],
        "claims": [_view(k) for k in state.claims.values()],
        "prices": {p: [attrs.asdict(m) for m in ms] for p, ms in state.prices.items()},
        "valuations": {p: [attrs.asdict(m) for m in ms] for p, ms in state.valuations.items()},
        "deliveries": [
            {
                "supplier": s,
                "customer": c,
                "gw": gw,
                "inputs": list(state.delivery_inputs[(s, c)].ids),
                "inputs_total": state.delivery_inputs[(s, c)].total,
            }
            for (s, c), gw in state.delivered_gw.items()
        ],
    }


HANDLES = tuple(
    t.TYPE
    for t in (
        Amendment,
        Commitment,
        Delivery,
        Investment,
        Loan,
        Price,
        Purchase,
        Repayment,
        ShareIssue,
        WarrantExercise,
        WarrantGrant,
        WarrantVest,
    )
)
"""The event types that move a position or a mark (openings, revenue reports: none)."""


PROJECTION: Projection[Positions] = Projection(
    NAME,
    initial,
    apply,
    handles=HANDLES,
    version="8",
    describe=describe,
    encode=to_plain,
    decode=from_plain,
)

__all__ = [
    "NAME",
    "PROJECTION",
    "Claim",
    "CommitmentPosition",
    "GrantPosition",
    "Positions",
    "Stake",
    "TrancheState",
    "contingent",
    "delivered_for",
    "holdings",
    "tranche_holdings",
]
