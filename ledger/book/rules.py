"""The per-event-type rules: how each event changes the book and which postings it makes.

One function per event type, registered in :data:`HANDLERS`; each raises :class:`Reject` with the
problems when the event breaks a rule. Adding an event type means adding its handler here.

It is one concept: the rules of every event type, in one module so that a reader sees each type's
postings beside the others' (a draw and the commitment it draws, a grant and its exercise), and
the shared checks (positive, distinct parties) stay private to them.
"""

from __future__ import annotations

import bisect
import decimal
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ledger.book.instruments import CommitmentState, GrantState, LoanState
from ledger.book.state import ZERO, BookState, mark_date
from ledger.model.events import (
    Amendment,
    AssertBalance,
    Commitment,
    Condition,
    Delivery,
    Event,
    Investment,
    Listing,
    Loan,
    OpeningBalance,
    Price,
    Purchase,
    Repayment,
    RevenueReport,
    Reversal,
    ShareIssue,
    WarrantExercise,
    WarrantGrant,
    WarrantVest,
)
from ledger.model.postings import Posting, transfer
from ledger.model.problems import Problem
from ledger.model.values import (
    CAPACITY_GW,
    WORLD,
    Undisclosed,
    cash,
    committed,
    shares,
    units,
    warrants,
)


class Reject(Exception):
    def __init__(self, *problems: Problem) -> None:
        self.problems = list(problems)


def _reject(field: str | None, message: str) -> Reject:
    return Reject(Problem(field=field, message=message))


def _positive(value: Decimal | None, field: str, what: str = "amount") -> None:
    if value is not None and value <= 0:
        raise _reject(field, f"expected a positive {what}; got {value}")


def _distinct(a: str, b: str, fa: str, fb: str) -> None:
    if a == b:
        raise _reject(fb, f"{fa} and {fb} are both '{a}'; a party cannot deal with itself")


# --- one handler per event type -----------------------------------------------------------------


def _opening(book: BookState, e: OpeningBalance) -> tuple[Posting, ...]:
    if e.party == WORLD:
        raise _reject("party", f"'{WORLD}' has unbounded cash; it takes no opening balance")
    _positive(e.amount.amount, "amount")
    c, a = cash(e.amount.currency), e.amount.amount
    return (
        *transfer(c, a, (e.party, "assets:cash"), (e.party, "equity:contributed")),
        *transfer(c, a, (WORLD, f"equity:funding:{e.party}"), (WORLD, "assets:cash")),
    )


_INSTRUMENT_ACCOUNTS = {
    "equity": ("assets:investments", "equity:paid-in"),
    "convertible": ("assets:convertibles", "liabilities:convertibles"),
    "debt": ("assets:notes", "liabilities:notes"),
}


def _draw(
    book: BookState, e: Investment | Purchase, payer: str, payee: str, kinds: tuple[str, ...]
) -> tuple[Posting, ...]:
    """Draw ``e.amount`` down the commitment it names, up to what is outstanding (rest = overrun)."""
    if e.commitment is None:
        if e.tranche is not None:
            raise _reject(
                "tranche", "a tranche needs the commitment it belongs to ('commitment' field)"
            )
        return ()
    state = book.commitments[e.commitment]
    c = state.event
    if c.kind not in kinds:
        raise _reject(
            "commitment",
            f"'{c.id}' is a {c.kind} commitment; a {e.TYPE} can draw only {' or '.join(kinds)} commitments",
        )
    if (c.payer, c.payee) != (payer, payee):
        raise _reject(
            "commitment",
            f"'{c.id}' is owed by {c.payer} to {c.payee}, but this {e.TYPE} is {payer} → {payee}",
        )
    if state.closed:
        raise _reject("commitment", f"'{c.id}' was {state.status} by '{state.status_event}'")
    if e.amount.currency != c.amount.currency:
        raise _reject(
            "amount",
            f"currency {e.amount.currency} differs from the commitment's {c.amount.currency}",
        )
    room = state.outstanding
    if e.tranche is not None:
        tranche = next((t for t in c.tranches if t.id == e.tranche), None)
        if tranche is None:
            raise _reject(
                "tranche",
                f"commitment '{c.id}' has no tranche '{e.tranche}' (tranches: {', '.join(t.id for t in c.tranches) or 'none'})",
            )
        if tranche.expires is not None and e.date > tranche.expires:
            raise _reject(
                "tranche",
                f"tranche '{e.tranche}' of '{c.id}' expired on {tranche.expires}; it can no longer be drawn",
            )
        room = min(room, tranche.amount.amount - state.tranche_drawn.get(e.tranche, ZERO))
        if book.validate and e.override is None and tranche.condition is not None:
            _milestone_met(book, e, c, tranche.condition, f"tranche '{e.tranche}' of '{c.id}'")
    if (
        book.validate
        and e.override is None
        and e.amount.amount > room
        and not isinstance(c.amount, Undisclosed)
    ):
        where = f"tranche '{e.tranche}' of '{c.id}'" if e.tranche is not None else f"'{c.id}'"
        raise _reject(
            "amount",
            f"draws {e.amount.amount} {e.amount.currency} on {where}, which has "
            f"{max(room, ZERO)} outstanding (committed {state.total}, drawn {state.drawn}): "
            "record the amendment that raised it first, leave 'commitment' out if the excess "
            'is a separate payment, or say why with override: "<reason>" (the excess is then '
            "booked as plain cash and 'verify' lists it)",
        )
    drawn = max(ZERO, min(e.amount.amount, room))
    state.drawn += drawn
    state.overrun += e.amount.amount - drawn
    state.draws.append(e.id)
    if e.tranche is not None:
        state.tranche_drawn[e.tranche] = state.tranche_drawn.get(e.tranche, ZERO) + drawn
    if not drawn:
        return ()
    return transfer(
        committed(c.amount.currency),
        drawn,
        (c.payer, f"liabilities:commitments:{c.payee}"),
        (c.payee, f"assets:commitments:{c.payer}"),
    )


def _milestone_met(
    book: BookState, e: Investment | Purchase, c: Commitment, condition: Condition, what: str
) -> None:
    """Refuse a draw on a delivery-gated tranche before its GW are delivered (by its date)."""
    if condition.metric != "delivered_gw":
        return
    group = f"commitment:{c.id}"
    if group in book.deliveries:
        held, counted = book.gw_delivered(group, e.date), f"deliveries under '{c.id}'"
    else:
        held = book.gw_delivered(f"pair:{c.payee}>{c.payer}", e.date) + book.gw_delivered(
            f"pair:{c.payer}>{c.payee}", e.date
        )
        counted = f"deliveries between {c.payer} and {c.payee}"
    if held < condition.at_least:
        raise _reject(
            "tranche",
            f"{what} falls due when {condition.at_least} GW are delivered, but {counted} dated "
            f"on or before {e.date} come to {held} GW: record the deliveries first, or say why "
            'it was paid early with override: "<reason>"',
        )


def _investment(book: BookState, e: Investment) -> tuple[Posting, ...]:
    _distinct(e.investor, e.investee, "investor", "investee")
    _positive(e.amount.amount, "amount")
    _positive(e.shares, "shares", "number of shares")
    asset, claim = _INSTRUMENT_ACCOUNTS[e.instrument]
    c, a = cash(e.amount.currency), e.amount.amount
    # Settled before the history's cash figures: the same stake and claim, no cash leg.
    paid_from, paid_into = (
        (f"equity:prior:{e.investee}", f"equity:prior:{e.investor}")
        if e.settlement == "prior"
        else ("assets:cash", "assets:cash")
    )
    postings: tuple[Posting, ...] = (
        *transfer(c, a, (e.investor, f"{asset}:{e.investee}"), (e.investor, paid_from)),
        *transfer(c, a, (e.investee, paid_into), (e.investee, f"{claim}:{e.investor}")),
    )
    if e.shares:
        postings += transfer(
            shares(e.investee),
            e.shares,
            (e.investor, "assets:shares"),
            (e.investee, "equity:shares-issued"),
        )
    return postings + _draw(book, e, e.investor, e.investee, ("investment",))


def _loan(book: BookState, e: Loan) -> tuple[Posting, ...]:
    _distinct(e.lender, e.borrower, "lender", "borrower")
    _positive(e.amount.amount, "amount")
    if e.rate is not None and e.rate < 0:
        raise _reject("rate", f"expected a rate ≥ 0; got {e.rate}")
    if e.maturity is not None and e.maturity < e.date:
        raise _reject("maturity", f"maturity {e.maturity} is before the loan date {e.date}")
    book.loans[e.id] = LoanState(e, e.amount.amount)
    c, a = cash(e.amount.currency), e.amount.amount
    return (
        *transfer(c, a, (e.lender, f"assets:loans:{e.borrower}"), (e.lender, "assets:cash")),
        *transfer(c, a, (e.borrower, "assets:cash"), (e.borrower, f"liabilities:loans:{e.lender}")),
    )


def _repayment(book: BookState, e: Repayment) -> tuple[Posting, ...]:
    _positive(e.amount.amount, "amount")
    state = book.loans[e.loan]
    loan = state.event
    if e.amount.currency != loan.amount.currency:
        raise _reject(
            "amount", f"currency {e.amount.currency} differs from the loan's {loan.amount.currency}"
        )
    principal = min(e.amount.amount, state.outstanding)
    interest = e.amount.amount - principal
    state.outstanding -= principal
    state.interest_paid += interest
    c, lender, borrower = cash(e.amount.currency), loan.lender, loan.borrower
    postings: tuple[Posting, ...] = ()
    if principal:
        postings += transfer(
            c, principal, (borrower, f"liabilities:loans:{lender}"), (borrower, "assets:cash")
        )
        postings += transfer(
            c, principal, (lender, "assets:cash"), (lender, f"assets:loans:{borrower}")
        )
    if interest:
        postings += transfer(
            c, interest, (borrower, f"expenses:interest:{lender}"), (borrower, "assets:cash")
        )
        postings += transfer(
            c, interest, (lender, "assets:cash"), (lender, f"income:interest:{borrower}")
        )
    return postings


def _commitment(book: BookState, e: Commitment) -> tuple[Posting, ...]:
    _distinct(e.payer, e.payee, "payer", "payee")
    _positive(e.capacity_gw, "capacity_gw", "capacity")
    if e.start and e.end and e.end < e.start:
        raise _reject("end", f"end {e.end} is before start {e.start}")
    if isinstance(e.amount, Undisclosed):
        if e.tranches:
            raise _reject(
                "tranches",
                "a commitment of undisclosed amount takes no tranches (a tranche needs an amount); say the split in the note",
            )
        # Its value is not known: it posts nothing, and an amendment with an amount discloses it.
        book.commitments[e.id] = CommitmentState(e, ZERO, binding=e.binding)
        return ()
    _positive(e.amount.amount, "amount")
    seen: set[str] = set()
    total = ZERO
    for t in e.tranches:
        if t.id in seen:
            raise _reject("tranches", f"tranche id '{t.id}' appears twice")
        seen.add(t.id)
        if t.amount.currency != e.amount.currency:
            raise _reject(
                "tranches",
                f"tranche '{t.id}' is in {t.amount.currency}, the commitment in {e.amount.currency}",
            )
        _positive(t.amount.amount, "tranches", f"amount for tranche '{t.id}'")
        if t.condition is not None and t.trigger is not None:
            raise _reject(
                "tranches",
                f"tranche '{t.id}' has both a condition and a trigger; give one (a milestone the ledger measures, or an outside event in words)",
            )
        if t.expires is not None and t.expires < e.date:
            raise _reject(
                "tranches",
                f"tranche '{t.id}' expires on {t.expires}, before the commitment's date {e.date}",
            )
        total += t.amount.amount
    if total > e.amount.amount:
        raise _reject(
            "tranches",
            f"tranche amounts sum to {total}, more than the commitment's {e.amount.amount}",
        )
    book.commitments[e.id] = CommitmentState(e, e.amount.amount, binding=e.binding)
    return transfer(
        committed(e.amount.currency),
        e.amount.amount,
        (e.payee, f"assets:commitments:{e.payer}"),
        (e.payer, f"liabilities:commitments:{e.payee}"),
    )


def _purchase(book: BookState, e: Purchase) -> tuple[Posting, ...]:
    _distinct(e.buyer, e.seller, "buyer", "seller")
    _positive(e.amount.amount, "amount")
    _positive(e.quantity, "quantity", "quantity")
    c, a = cash(e.amount.currency), e.amount.amount
    postings = (
        *transfer(c, a, (e.buyer, f"expenses:purchases:{e.seller}"), (e.buyer, "assets:cash")),
        *transfer(c, a, (e.seller, "assets:cash"), (e.seller, f"income:sales:{e.buyer}")),
    )
    return postings + _draw(book, e, e.buyer, e.seller, ("purchase", "compute", "lease"))


def _delivery(book: BookState, e: Delivery) -> tuple[Posting, ...]:
    _distinct(e.supplier, e.customer, "supplier", "customer")
    if (e.capacity_gw is None) == (e.quantity is None):
        raise _reject("capacity_gw", "give either capacity_gw, or quantity with unit")
    if e.quantity is not None and not e.unit:
        raise _reject("unit", "a quantity needs its unit (e.g. unit: gpu)")
    _positive(e.capacity_gw, "capacity_gw", "capacity")
    _positive(e.quantity, "quantity", "quantity")
    if e.commitment is not None:
        state = book.commitments[e.commitment]
        if (state.event.payee, state.event.payer) != (e.supplier, e.customer):
            raise _reject(
                "commitment",
                f"'{e.commitment}' is owed by {state.event.payer} to {state.event.payee}; a delivery under it goes {state.event.payee} → {state.event.payer}",
            )
        if e.capacity_gw is not None:
            state.delivered_gw += e.capacity_gw
            book.add_delivery(f"commitment:{e.commitment}", e.date, e.capacity_gw)
    if e.capacity_gw is not None:
        book.add_delivery(f"pair:{e.supplier}>{e.customer}", e.date, e.capacity_gw)
        commodity, quantity = CAPACITY_GW, e.capacity_gw
    else:
        assert e.quantity is not None and e.unit is not None
        commodity, quantity = units(e.unit), e.quantity
    return transfer(
        commodity,
        quantity,
        (e.customer, f"capacity:received:{e.supplier}"),
        (e.supplier, f"capacity:delivered:{e.customer}"),
    )


def _share_issue(book: BookState, e: ShareIssue) -> tuple[Posting, ...]:
    _distinct(e.issuer, e.holder, "issuer", "holder")
    if WORLD in (e.issuer, e.holder):
        raise _reject(
            "issuer" if e.issuer == WORLD else "holder",
            f"'{WORLD}' neither issues nor holds modelled stock; a share_issue is between two parties",
        )
    _positive(e.value.amount, "value", "value")
    _positive(e.shares, "shares", "number of shares")
    if e.commitment is not None:
        c = book.commitments[e.commitment].event
        if {c.payer, c.payee} != {e.issuer, e.holder}:
            raise _reject(
                "commitment",
                f"'{c.id}' is between {c.payer} and {c.payee}; stock issued as consideration under it goes between those two",
            )
    # Not cash: the holder's stake against consideration received, the issuer's consideration
    # given against the stock it issued.
    c, v = cash(e.value.currency), e.value.amount
    postings: tuple[Posting, ...] = (
        *transfer(
            c,
            v,
            (e.holder, f"assets:investments:{e.issuer}"),
            (e.holder, f"income:consideration:{e.issuer}"),
        ),
        *transfer(
            c,
            v,
            (e.issuer, f"expenses:consideration:{e.holder}"),
            (e.issuer, f"equity:paid-in:{e.holder}"),
        ),
    )
    if e.shares:
        postings += transfer(
            shares(e.issuer),
            e.shares,
            (e.holder, "assets:shares"),
            (e.issuer, "equity:shares-issued"),
        )
    return postings


def _listing(book: BookState, e: Listing) -> tuple[Posting, ...]:
    if e.party == WORLD:
        raise _reject("party", f"'{WORLD}' is not listed; it is everyone outside the book")
    return ()


def _grant(book: BookState, e: WarrantGrant) -> tuple[Posting, ...]:
    _distinct(e.issuer, e.holder, "issuer", "holder")
    _positive(e.shares, "shares", "number of shares")
    if e.strike.amount < 0:
        raise _reject("strike", f"expected a strike ≥ 0; got {e.strike.amount}")
    if e.expiry < e.date:
        raise _reject("expiry", f"expiry {e.expiry} is before the grant date {e.date}")
    if not e.tranches:
        raise _reject(
            "tranches",
            "a grant needs at least one tranche (one tranche of all shares if it vests at once)",
        )
    seen: set[str] = set()
    for t in e.tranches:
        if t.id in seen:
            raise _reject("tranches", f"tranche id '{t.id}' appears twice")
        seen.add(t.id)
        _positive(t.shares, "tranches", f"number of shares for tranche '{t.id}'")
    total = sum((t.shares for t in e.tranches), ZERO)
    if total != e.shares:
        raise _reject("tranches", f"tranche shares sum to {total}, but the grant is for {e.shares}")
    book.grants[e.id] = GrantState(e, {t.id: t.shares for t in e.tranches})
    return transfer(
        warrants(e.issuer),
        e.shares,
        (e.holder, f"assets:warrants:unvested:{e.issuer}"),
        (e.issuer, f"equity:warrants-issued:{e.holder}"),
    )


def _vest(book: BookState, e: WarrantVest) -> tuple[Posting, ...]:
    state = book.grants[e.grant]
    if e.tranche not in state.tranche_shares:
        raise _reject(
            "tranche",
            f"grant '{e.grant}' has no tranche '{e.tranche}' (tranches: {', '.join(state.tranche_shares)})",
        )
    if e.tranche in state.vested:
        raise _reject(
            "tranche",
            f"tranche '{e.tranche}' of '{e.grant}' already vested by '{state.vested[e.tranche]}'; more shares would vest than were granted",
        )
    if state.closed:
        raise _reject("grant", f"grant '{e.grant}' was {state.status}")
    if book.validate and e.override is None:
        _vest_conditions_hold(book, e, state.event)
    state.vested[e.tranche] = e.id
    _new_basis(state, e)
    g, n = state.event, state.tranche_shares[e.tranche]
    return transfer(
        warrants(g.issuer),
        n,
        (g.holder, f"assets:warrants:vested:{g.issuer}"),
        (g.holder, f"assets:warrants:unvested:{g.issuer}"),
    )


def _vest_conditions_hold(book: BookState, e: WarrantVest, g: WarrantGrant) -> None:
    """Refuse a vest whose tranche's conditions do not hold on its date: GW delivered under the
    grant's commitment (or issuer → holder when it names none), the issuer's last price."""
    tranche = next(t for t in g.tranches if t.id == e.tranche)
    unmet = []
    for condition in tranche.conditions:
        if condition.metric == "delivered_gw":
            if g.commitment is not None:
                group, counted = f"commitment:{g.commitment}", f"under '{g.commitment}'"
            else:
                group, counted = f"pair:{g.issuer}>{g.holder}", f"{g.issuer} → {g.holder}"
            held = book.gw_delivered(group, e.date)
            if held < condition.at_least:
                unmet.append(
                    f"delivered_gw ≥ {condition.at_least} (deliveries {counted} dated on or "
                    f"before {e.date}: {held} GW)"
                )
        else:
            price = book.last_price(g.issuer, e.date)
            if price is None or price < condition.at_least:
                held_text = (
                    f"no price of '{g.issuer}' recorded on or before {e.date}"
                    if price is None
                    else f"the last price of '{g.issuer}' on or before {e.date}: {price}"
                )
                unmet.append(f"share_price ≥ {condition.at_least} ({held_text})")
    if unmet:
        raise _reject(
            "tranche",
            f"tranche '{e.tranche}' of '{g.id}' vests when {' and '.join(unmet)}; record what "
            'met it first, or say why it vested anyway with override: "<reason>"',
        )


def _exercise(book: BookState, e: WarrantExercise) -> tuple[Posting, ...]:
    _positive(e.shares, "shares", "number of shares")
    state = book.grants[e.grant]
    g = state.event
    available = state.vested_shares - state.exercised
    if e.shares > available:
        raise _reject(
            "shares",
            f"exercises {e.shares} shares but only {available} are vested and unexercised on '{e.grant}' (vested {state.vested_shares}, exercised {state.exercised})",
        )
    if e.date > g.expiry and e.override is None:
        raise _reject(
            "date",
            f"grant '{e.grant}' expired on {g.expiry}; an exercise after it needs "
            'override: "<reason>" (an extension agreed after the grant, say)',
        )
    if book.validate and state.basis is not None and e.date < state.basis[0]:
        day, basis = state.basis
        raise _reject(
            "date",
            f"is dated {e.date}, before '{basis}' ({day}), already recorded on '{e.grant}': the "
            f"shares it exercises vest by events dated on or before it, so a fold as of a day "
            f"between them would exercise shares not yet vested — date it on or after {day}, "
            "or record it before that event",
        )
    state.exercised += e.shares
    postings: tuple[Posting, ...] = transfer(
        warrants(g.issuer),
        e.shares,
        (g.issuer, f"equity:warrants-issued:{g.holder}"),
        (g.holder, f"assets:warrants:vested:{g.issuer}"),
    )
    if e.cashless:
        price = book.last_price(g.issuer, e.date)
        if price is None:
            raise _reject(
                "cashless",
                f"a cashless exercise needs a per-share price of '{g.issuer}' dated on or before {e.date}; record one with a 'price' event",
            )
        if price <= g.strike.amount:
            raise _reject(
                "cashless",
                f"the last price of '{g.issuer}' ({price}) is not above the strike ({g.strike.amount}); a cashless exercise would deliver nothing",
            )
        # Net shares = n·(P−K)/P, rounded down to whole shares: the fraction is forfeited, as in practice.
        with decimal.localcontext(decimal.Context(prec=60)):
            delivered = (e.shares * (price - g.strike.amount) / price).to_integral_value(
                rounding=decimal.ROUND_DOWN
            )
    else:
        delivered = e.shares
        paid = e.shares * g.strike.amount
        if paid:
            c = cash(g.strike.currency)
            postings += transfer(
                c, paid, (g.holder, f"assets:investments:{g.issuer}"), (g.holder, "assets:cash")
            )
            postings += transfer(
                c, paid, (g.issuer, "assets:cash"), (g.issuer, f"equity:paid-in:{g.holder}")
            )
    if delivered:
        postings += transfer(
            shares(g.issuer),
            delivered,
            (g.holder, "assets:shares"),
            (g.issuer, "equity:shares-issued"),
        )
    return postings


def _revenue(book: BookState, e: RevenueReport) -> tuple[Posting, ...]:
    if e.party == WORLD:
        raise _reject("party", f"'{WORLD}' reports nothing; it is everyone outside the book")
    if e.period_end < e.period_start:
        raise _reject(
            "period_end", f"period_end {e.period_end} is before period_start {e.period_start}"
        )
    return ()


def _price(book: BookState, e: Price) -> tuple[Posting, ...]:
    if e.party == WORLD:
        raise _reject("party", f"'{WORLD}' has no price")
    if (e.per_share is None) == (e.valuation is None):
        raise _reject("per_share", "give exactly one of per_share or valuation")
    mark = e.per_share or e.valuation
    assert mark is not None
    _positive(mark.amount, "per_share" if e.per_share else "valuation", "price")
    if e.per_share is not None:
        # Sorted by date only, and inserted after every mark of the same date, so same-date
        # marks stay in recorded order (sorting the (date, price) tuples would order a day's
        # marks by amount, and the highest would pass for the last).
        marks = book.prices.setdefault(e.party, [])
        marks.insert(
            bisect.bisect_right(marks, e.date, key=mark_date), (e.date, e.per_share.amount)
        )
    return ()


def _amendment(book: BookState, e: Amendment) -> tuple[Posting, ...]:
    if e.amount is None and e.status is None and e.shares is None:
        raise _reject("amount", "an amendment needs a new amount (or shares) and/or a status")
    if e.status in ("cancelled", "lapsed") and (e.amount is not None or e.shares is not None):
        raise _reject(
            "status", f"a {e.status} amendment ends the terms; do not also give a new amount"
        )
    if e.of in book.commitments:
        return _amend_commitment(book.commitments[e.of], e)
    return _amend_grant(book.grants[e.of], e)


def _amend_commitment(state: CommitmentState, e: Amendment) -> tuple[Posting, ...]:
    c = state.event
    if e.shares is not None or e.tranche is not None:
        raise _reject(
            "shares" if e.shares is not None else "tranche",
            f"'{c.id}' is a commitment: amend its amount, not shares or a tranche",
        )
    if state.closed:
        raise _reject("of", f"'{c.id}' was already {state.status} by '{state.status_event}'")
    commodity = committed(c.amount.currency)
    postings: tuple[Posting, ...] = ()
    if e.amount is not None:
        if e.amount.currency != c.amount.currency:
            raise _reject(
                "amount",
                f"currency {e.amount.currency} differs from the commitment's {c.amount.currency}",
            )
        _positive(e.amount.amount, "amount")
        if e.amount.amount < state.drawn:
            raise _reject(
                "amount",
                f"new total {e.amount.amount} is below the {state.drawn} already drawn on '{c.id}'",
            )
        delta = e.amount.amount - state.total
        state.total = e.amount.amount
        if delta:
            postings = transfer(
                commodity,
                delta,
                (c.payee, f"assets:commitments:{c.payer}"),
                (c.payer, f"liabilities:commitments:{c.payee}"),
            )
    if e.status is not None:
        if e.status in ("cancelled", "lapsed"):
            left = state.outstanding
            if left:
                postings += transfer(
                    commodity,
                    left,
                    (c.payer, f"liabilities:commitments:{c.payee}"),
                    (c.payee, f"assets:commitments:{c.payer}"),
                )
        if e.status == "definitive":
            state.binding = True
        state.status, state.status_event = e.status, e.id
    return postings


def _amend_grant(state: GrantState, e: Amendment) -> tuple[Posting, ...]:
    g = state.event
    if e.amount is not None:
        raise _reject("amount", f"'{g.id}' is a warrant grant: amend its shares, not an amount")
    if state.closed:
        raise _reject("of", f"'{g.id}' was already {state.status}")
    commodity = warrants(g.issuer)
    postings: tuple[Posting, ...] = ()
    if e.shares is not None:
        _positive(e.shares, "shares", "number of shares")
        tranche = e.tranche
        if tranche is None:
            if len(state.tranche_shares) != 1:
                raise _reject(
                    "tranche",
                    f"'{g.id}' has {len(state.tranche_shares)} tranches; say which one the new share count is for",
                )
            tranche = next(iter(state.tranche_shares))
        if tranche not in state.tranche_shares:
            raise _reject("tranche", f"grant '{g.id}' has no tranche '{tranche}'")
        if tranche in state.vested:
            raise _reject(
                "tranche",
                f"tranche '{tranche}' already vested by '{state.vested[tranche]}'; its shares can no longer change",
            )
        delta = e.shares - state.tranche_shares[tranche]
        state.tranche_shares[tranche] = e.shares
        if delta:
            postings = transfer(
                commodity,
                delta,
                (g.holder, f"assets:warrants:unvested:{g.issuer}"),
                (g.issuer, f"equity:warrants-issued:{g.holder}"),
            )
    elif e.tranche is not None:
        raise _reject("tranche", "a tranche is named only with a new share count")
    if e.status in ("cancelled", "lapsed"):
        unvested = sum((n for t, n in state.tranche_shares.items() if t not in state.vested), ZERO)
        if unvested:
            postings += transfer(
                commodity,
                unvested,
                (g.issuer, f"equity:warrants-issued:{g.holder}"),
                (g.holder, f"assets:warrants:unvested:{g.issuer}"),
            )
    if e.status is not None:
        state.status = e.status
    _new_basis(state, e)
    return postings


def _new_basis(state: GrantState, e: WarrantVest | Amendment) -> None:
    """Remember the latest-dated vest or amendment of a grant (what an exercise rests on)."""
    if state.basis is None or e.date >= state.basis[0]:
        state.basis = (e.date, e.id)


def _reversal(book: BookState, e: Reversal) -> tuple[Posting, ...]:
    # Reached only for a second reversal of one target, or when the caller did not pre-scan.
    first = book.reversed.get(e.of)
    if first is not None:
        raise _reject("of", f"'{e.of}' is already reversed by '{first}'")
    raise _reject(
        "of",
        f"reversal of '{e.of}' reached the book without its target being marked; fold with reversed_targets(events)",
    )


ACCOUNT = re.compile(r"^[a-z0-9][a-z0-9_.-]*(:[a-z0-9][a-z0-9_.-]*)*$")


def _assert_balance(book: BookState, e: AssertBalance) -> tuple[Posting, ...]:
    # Posts nothing: whether the balance holds is checked over the whole history
    # (ledger.book.assertions), since events recorded later may be dated earlier.
    if not ACCOUNT.match(e.account):
        raise _reject(
            "account",
            f"expected an account such as assets:cash (lowercase words joined by ':'); got {e.account!r}",
        )
    if not e.commodity.strip() or " " in e.commodity.strip():
        raise _reject(
            "commodity",
            f"expected a commodity such as USD, committed:USD or shares:amd; got {e.commodity!r}",
        )
    return ()


HANDLERS: dict[type[Event], Callable[[BookState, Any], tuple[Posting, ...]]] = {
    OpeningBalance: _opening,
    Investment: _investment,
    Loan: _loan,
    Repayment: _repayment,
    Commitment: _commitment,
    Purchase: _purchase,
    Delivery: _delivery,
    ShareIssue: _share_issue,
    WarrantGrant: _grant,
    WarrantVest: _vest,
    WarrantExercise: _exercise,
    RevenueReport: _revenue,
    Price: _price,
    Listing: _listing,
    Amendment: _amendment,
    Reversal: _reversal,
    AssertBalance: _assert_balance,
}
