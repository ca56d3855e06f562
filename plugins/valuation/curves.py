"""Each warrant's value against its issuer's share price: the curve behind "what is it worth?".

Why a query (``value.warrant_curve``): a warrant that vests at share-price hurdles is worth
little at today's price and a great deal at the last hurdle; a reader needs the whole curve,
with the hurdles marked and the assumptions stated, not one number. Each point is the value the
valuation would report on the same date if the issuer's last price were that price — the same
valuer (through ``ledger_value_instrument``, so a user's valuer takes part), the same settings;
a price at or above a hurdle counts as the hurdle touched.

Every value is exact Decimal (the option prices inside are half-even to 1E-10 per share, as in
``loopledger value``).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal
from typing import Any, Final

from ledger.model.problems import InputError, Problem
from plugins.valuation import positions
from plugins.valuation.holdings import Holding, Mark, Market, Settings, Valuation, insert_mark
from plugins.valuation.report import RULES, _value

HYPOTHETICAL: Final = "hypothetical-price"
"""The event id of the price a curve point assumes (no recorded event has it)."""

POINTS: Final = 40
ZERO: Final = Decimal(0)


def price_grid(top: Decimal, points: int = POINTS) -> list[Decimal]:
    """``points`` evenly spaced whole-cent prices from one step up to at least ``top``."""
    step = (top / points).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    step = max(step, Decimal("0.01"))
    return [step * i for i in range(1, points + 1)]


def _market_at(
    state: positions.Positions, parties: Any, as_of: dt.date, issuer: str, price: Mark
) -> Market:
    prices = {p: list(marks) for p, marks in state.prices.items()}
    marks = prices.setdefault(issuer, [])
    insert_mark(marks, price)
    return Market.build(as_of, prices, state.valuations, parties)


def _sum(values: list[Decimal | None]) -> Decimal | None:
    return None if any(v is None for v in values) else sum((v or ZERO for v in values), ZERO)


def _point(
    plugins: Any, tranches: list[Holding], as_of: dt.date, market: Market, settings: Settings
) -> tuple[Decimal | None, Decimal | None, list[Valuation]]:
    valued = [_value(plugins, h, as_of, market, settings) for h in tranches]
    return _sum([v.value for v in valued]), _sum([v.value_if_met for v in valued]), valued


def curve(
    plugins: Any,
    state: positions.Positions,
    parties: Any,
    grant: positions.GrantPosition,
    as_of: dt.date,
    settings: Settings,
    points: int = POINTS,
) -> dict[str, Any] | None:
    """One grant's curve as JSON-ready data, or None when nothing of it is still held."""
    tranches = positions.tranche_holdings(state, grant)
    if not tranches:
        return None
    real = Market.build(as_of, state.prices, state.valuations, parties)
    spot = real.last_price(grant.issuer)
    hurdles = sorted(
        {h.tranche.price_hurdle for h in tranches if h.tranche and h.tranche.price_hurdle}
    )
    top = max([*hurdles, spot.amount if spot else ZERO, grant.strike * 2]) * Decimal("1.25")
    rows = []
    for price in price_grid(top, points):
        mark = Mark(as_of, price, grant.currency, HYPOTHETICAL)
        value, if_met, _ = _point(
            plugins,
            tranches,
            as_of,
            _market_at(state, parties, as_of, grant.issuer, mark),
            settings,
        )
        rows.append(
            {
                "price": price,
                "value": value,
                "value_if_met": if_met,
                "intrinsic": sum((h.quantity for h in tranches), ZERO)
                * max(price - grant.strike, ZERO),
            }
        )
    now_value, now_if_met, valued = _point(plugins, tranches, as_of, real, settings)
    shares = sum((h.quantity for h in tranches), ZERO)
    return {
        "grant": grant.id,
        "issuer": grant.issuer,
        "holder": grant.holder,
        "currency": grant.currency,
        "shares": shares,
        "strike": grant.strike,
        "expiry": grant.expiry,
        "hurdles": hurdles,
        "spot": None
        if spot is None
        else {
            "price": spot.amount,
            "date": spot.date,
            "event": spot.event_id,
            "value": now_value,
            "value_if_met": now_if_met,
        },
        "tranches": [
            {
                "tranche": h.instrument,
                "shares": h.quantity,
                "price_hurdle": h.tranche.price_hurdle if h.tranche else None,
                "gw_needed": h.tranche.gw_needed if h.tranche else None,
                "gw_delivered": h.tranche.gw_delivered if h.tranche else None,
                "basis": v.basis,
                "assumptions": dict(v.assumptions),
            }
            for h, v in zip(tranches, valued, strict=True)
        ],
        "points": rows,
    }


def warrant_curve_answer(
    ledger: Any,
    result: Any,
    *,
    grant: str | None = None,
    points: int = POINTS,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """The ``value.warrant_curve`` query: every warrant grant's value at ``points`` share
    prices as of the fold's date, with the hurdles, today's price and the assumptions."""
    settings = settings or Settings.from_config(ledger.plugins.plugin_config("valuation"))
    state: positions.Positions = result.state(positions.NAME)
    day = result.as_of or result.book.max_date
    grants = {g.id: g for g in state.grants.values()}
    if grant is not None and grant not in grants:
        raise InputError(
            Problem(
                field="grant",
                message=f"no warrant grant '{grant}' (known: {', '.join(sorted(grants)) or 'none'})",
            )
        )
    curves = []
    if day is not None:
        for gid, position in grants.items():
            if grant is None or gid == grant:
                found = curve(
                    ledger.plugins, state, result.book.parties, position, day, settings, points
                )
                if found is not None:
                    curves.append(found)
    return {
        "as_of": day,
        "assumptions": {**settings.describe(), "rules": RULES},
        "method": "each point: the warrant valued on the as-of date as if the issuer's last "
        "share price were that price (a price at or above a hurdle counts as touched); "
        "delivery conditions not yet met are weighted by the configured probability",
        "curves": curves,
    }
