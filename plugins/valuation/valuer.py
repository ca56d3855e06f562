"""The built-in valuer: one rule per instrument kind, answering ``ledger_value_instrument`` last.

Why a hook implementation registered ``trylast``: ``ledger_value_instrument`` is a
firstresult hook, so a user plugin that answers for one kind (say ``"private_stake"``, from its
own marks) is asked first and wins, and this valuer still answers every kind nobody else did.

Rules (docs/valuation-and-metrics.md has the formulas and defaults):

* listed shares — the last recorded per-share price on or before the date;
* private stakes — the last recorded company valuation × the stake fraction (shares held ÷ the
  issuer's declared shares outstanding) when both are known, else cost;
* warrant tranches — Black–Scholes when vested (or every condition is met), an up-and-in
  barrier call (barrier = the price hurdle) while a hurdle has not been touched by a recorded
  price, and, while deliveries are missing, ``value = probability × value_if_met``;
* commitments and loans — face value outstanding, negative when payable.

All arithmetic is Decimal. Option prices come from :mod:`plugins.valuation.pricing` (rounded
half-even to 1E-10 per share); a per-share value from a company valuation is rounded the same
way; everything else (shares × price, probability × value) is exact.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import attrs

from ledger import hookimpl
from plugins.valuation.holdings import (
    ZERO,
    Holding,
    Market,
    Settings,
    Valuation,
    event_counts,
    holding_counts,
    settings_of,
)
from plugins.valuation.pricing import PRICE_QUANTUM, black_scholes_call, up_and_in_call

DAYS_PER_YEAR = Decimal(365)
_WORKING = decimal.Context(prec=50, rounding=ROUND_HALF_EVEN)


def years_between(start: dt.date, end: dt.date) -> Decimal:
    """Year fraction ``days / 365`` (actual/365), to 50 significant digits; 0 if ``end`` ≤ ``start``."""
    days = (end - start).days
    return _WORKING.divide(Decimal(max(days, 0)), DAYS_PER_YEAR)


def _per_share(value: Decimal) -> Decimal:
    return value.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN, context=decimal.Context(prec=80))


def _clean(value: Decimal) -> Decimal:
    return Decimal(0) if value == 0 else value


# --- shares and stakes ---------------------------------------------------------------------------


def value_shares(h: Holding, as_of: dt.date, market: Market, settings: Settings) -> Valuation:
    """Shares at the last per-share price; without one, as a private stake."""
    mark = market.last_price(h.counterparty)
    if mark is None:
        return value_private_stake(h, as_of, market, settings)
    if h.uncounted_cost and mark.currency != h.currency:
        return Valuation(
            None,
            None,
            f"price in {mark.currency}, cost in {h.currency}: no exchange rate is recorded",
            inputs=(*h.inputs, mark.event_id),
            counts=holding_counts(h) | event_counts(mark.event_id),
        )
    value = h.quantity * mark.amount + h.uncounted_cost
    basis = f"market price {mark.date.isoformat()}"
    assumptions: dict[str, Any] = {
        "price": mark.amount,
        "price_date": mark.date,
        "price_event": mark.event_id,
        "formula": "shares × price",
    }
    if h.uncounted_cost:
        basis += "; cost for investments recorded without a share count"
        assumptions["formula"] = "shares × price + cost recorded without a share count"
        assumptions["uncounted_cost"] = h.uncounted_cost
    counts = holding_counts(h) | event_counts(mark.event_id)
    return Valuation(value, value, basis, assumptions, (*h.inputs, mark.event_id), counts)


def _no_stake_fraction(h: Holding, market: Market) -> str | None:
    """Why the stake fraction is unknown, or ``None`` when it is known."""
    party = market.parties.get(h.counterparty)
    if party is None or party.shares_outstanding is None:
        return f"shares outstanding of '{h.counterparty}' are not declared"
    if h.quantity <= 0:
        return "no share count is recorded for the stake"
    if h.uncounted_cost:
        return f"{h.uncounted_cost} of the cost was recorded without a share count"
    return None


def value_private_stake(
    h: Holding, as_of: dt.date, market: Market, settings: Settings
) -> Valuation:
    """Valuation × stake fraction when both are known, else cost."""
    mark = market.last_valuation(h.counterparty)
    reason = (
        f"no company valuation of '{h.counterparty}' is recorded on or before {as_of.isoformat()}"
        if mark is None
        else _no_stake_fraction(h, market)
    )
    if mark is not None and reason is None and mark.currency != h.currency:
        reason = f"valuation in {mark.currency}, cost in {h.currency}"
    if mark is None or reason is not None:
        cost = h.cost if h.cost is not None else ZERO
        return Valuation(
            cost,
            cost,
            "cost",
            {"reason": f"cost, because {reason}", "cost": cost},
            h.inputs,
            holding_counts(h),
        )
    outstanding = market.parties[h.counterparty].shares_outstanding
    assert outstanding is not None
    per_share = _per_share(_WORKING.divide(mark.amount, outstanding))
    value = per_share * h.quantity
    assumptions = {
        "valuation": mark.amount,
        "valuation_date": mark.date,
        "valuation_event": mark.event_id,
        "shares_outstanding": outstanding,
        "stake": _WORKING.divide(h.quantity, outstanding),
        "per_share": per_share,
        "formula": "valuation ÷ shares outstanding (half-even to 1E-10 per share) × shares held",
    }
    counts = holding_counts(h) | event_counts(mark.event_id)
    return Valuation(
        value, value, "valuation × stake", assumptions, (*h.inputs, mark.event_id), counts
    )


# --- warrants ------------------------------------------------------------------------------------


def value_warrant_tranche(
    h: Holding, as_of: dt.date, market: Market, settings: Settings
) -> Valuation:
    """One tranche: vanilla or barrier call per share × shares, × probability while deliveries lag."""
    t = h.tranche
    if t is None:
        raise ValueError(f"holding '{h.instrument}' has no tranche terms")
    own = holding_counts(h)
    if as_of > t.expiry:
        expired = f"expired on {t.expiry.isoformat()}"
        return Valuation(Decimal(0), Decimal(0), expired, {}, h.inputs, own)
    spot = market.last_price(t.issuer)
    if spot is None:
        basis = f"unknown: no recorded share price of '{t.issuer}' on or before {as_of.isoformat()}"
        return Valuation(None, None, basis, {}, h.inputs, own)
    if spot.currency != h.currency:
        basis = f"unknown: price in {spot.currency}, strike in {h.currency}"
        counts = own | event_counts(spot.event_id)
        return Valuation(None, None, basis, {}, (*h.inputs, spot.event_id), counts)
    vol, rate = settings.volatility_for(t.issuer), settings.rate
    years = years_between(as_of, t.expiry)
    inputs = [*h.inputs, spot.event_id]
    marks = [spot.event_id]
    assumptions: dict[str, Any] = {
        "spot": spot.amount,
        "spot_date": spot.date,
        "strike": t.strike,
        "expiry": t.expiry,
        "days_to_expiry": (t.expiry - as_of).days,
        "years": years,
        "volatility": vol,
        "rate": rate,
        "dividend_yield": ZERO,
    }
    touched = None
    if t.price_hurdle is not None:
        touched = market.first_at_least(t.issuer, t.price_hurdle, since=t.grant_date)
        assumptions["price_hurdle"] = t.price_hurdle
    if t.vested or t.price_hurdle is None or touched is not None:
        per_share = black_scholes_call(spot.amount, t.strike, years, vol, rate)
        model = "Black–Scholes"
        if t.vested:
            state = f"vested ({t.vested_by})"
        elif touched is not None:
            state = f"price hurdle {t.price_hurdle} touched {touched.date.isoformat()}"
            inputs.append(touched.event_id)
            marks.append(touched.event_id)
        else:
            state = "no price hurdle"
    else:
        assert t.price_hurdle is not None
        per_share = up_and_in_call(spot.amount, t.strike, t.price_hurdle, years, vol, rate)
        model = f"up-and-in barrier call (barrier {t.price_hurdle})"
        state = "price hurdle not yet touched"
    value_if_met = per_share * h.quantity
    probability = Decimal(1)
    deliveries = not t.vested and t.gw_needed is not None
    if not t.vested and not t.deliveries_met:
        probability = settings.probability_for(t.grant, t.tranche)
        state += f"; deliveries {t.gw_delivered} of {t.gw_needed} GW, probability {probability}"
        inputs += t.delivery_inputs
    elif not t.vested and t.gw_needed is not None:
        state += f"; deliveries met ({t.gw_delivered} of {t.gw_needed} GW)"
        inputs += t.delivery_inputs
    assumptions |= {"model": model, "per_share": per_share, "probability": probability}
    return Valuation(
        _clean(probability * value_if_met),
        value_if_met,
        f"{model}; {state}",
        assumptions,
        tuple(dict.fromkeys(inputs)),
        holding_counts(h, deliveries=deliveries) | event_counts(*marks),
    )


@attrs.frozen
class FairValue:
    """A grant's fair value at its grant date; ``value`` is ``None`` when unknown (``reason``).

    ``counts`` is ``{group: events}`` of the inputs, listed or not (see :class:`Valuation`).
    """

    value: Decimal | None
    reason: str | None
    assumptions: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    inputs: tuple[str, ...] = ()
    counts: Mapping[str, int] = attrs.field(factory=dict, hash=False)


def grant_date_fair_value(
    tranches: list[Holding], grant_date: dt.date, market: Market, settings: Settings
) -> FairValue:
    """The fair value of a warrant grant on its grant date (the ASC 718 measure).

    Each tranche is priced with the market known on the grant date: price hurdles (market
    conditions) as barriers, delivery conditions (performance conditions) taken as met — they
    decide whether the value is recognised, not what it is. ``tranches`` is the grant-date view
    (:func:`plugins.valuation.positions.tranche_holdings` with ``unexercised=False``).
    """
    then = market.at(grant_date)
    total = ZERO
    per_tranche: dict[str, Any] = {}
    inputs: list[str] = []
    counts: dict[str, int] = {}
    common: Mapping[str, Any] = {}
    for h in tranches:
        v = value_warrant_tranche(h, grant_date, then, settings)
        if v.value_if_met is None:
            return FairValue(
                None, "fair value at grant unknown: " + v.basis.removeprefix("unknown: ")
            )
        total += v.value_if_met
        common = v.assumptions
        per_tranche[h.instrument] = {
            "shares": h.quantity,
            "model": common.get("model"),
            "per_share": common.get("per_share"),
            "value": v.value_if_met,
        }
        inputs += v.inputs
        counts |= v.counts if v.counts is not None else event_counts(*v.inputs)
    assumptions: dict[str, Any] = {
        "date": grant_date,
        **{
            k: common[k]
            for k in ("spot", "spot_date", "years", "volatility", "rate")
            if k in common
        },
        "delivery_conditions": "taken as met: performance conditions decide whether the value is "
        "recognised, not what it is",
        "tranches": per_tranche,
    }
    return FairValue(total, None, assumptions, tuple(dict.fromkeys(inputs)), counts)


# --- claims at face ------------------------------------------------------------------------------


def value_at_face(h: Holding, as_of: dt.date, market: Market, settings: Settings) -> Valuation:
    """Commitments and loans at the face amount outstanding; negative when payable."""
    value = -h.quantity if h.side == "payable" else h.quantity
    binding = "" if h.binding is None else ("binding" if h.binding else "non-binding")
    basis = f"face value, {h.side}" + (f", {binding}" if binding else "")
    return Valuation(value, value, basis, {"outstanding": h.quantity}, h.inputs, holding_counts(h))


Valuer = Callable[[Holding, dt.date, Market, Settings], Valuation]

VALUERS: dict[str, Valuer] = {
    "shares": value_shares,
    "private_stake": value_private_stake,
    "warrant_tranche": value_warrant_tranche,
    "commitment": value_at_face,
    "loan": value_at_face,
}


@hookimpl(trylast=True)
def ledger_value_instrument(
    kind: str, holding: Any, as_of: Any, market: Any, settings: Mapping[str, Any]
) -> Valuation | None:
    """The built-in answer for every kind it knows; ``None`` for a kind it does not."""
    valuer = VALUERS.get(kind)
    if valuer is None:
        return None
    return valuer(holding, as_of, market, settings_of(settings))
