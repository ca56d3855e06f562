"""The valuation report: every holding valued through the ``ledger_value_instrument`` hook,
with its basis, assumptions and the rules applied — what ``loopledger value --json`` prints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ledger.api.parties import resolve_party
from ledger.api.tables import Column, Table
from ledger.model.problems import LedgerError
from ledger.model.values import Party
from ledger.plugin import evidence
from ledger.plugin.figures import ratio
from plugins.valuation import positions
from plugins.valuation.holdings import Holding, Market, Settings, Valuation

NAME = positions.NAME
ZERO = Decimal(0)
BILLION = Decimal(10) ** 9
_STAKES = ("shares", "private_stake")  # a quantity of 0 there means "no share count recorded"
RULES = {
    "as_of": "the --as-of date, else the date of the last recorded event",
    "prices": "the last recorded mark on or before the date; marks of the same date: the one "
    "recorded last",
    "years": "days to expiry / 365, to 50 significant digits",
    "rounding": "option values half-even to 1E-10 per share, then × shares exactly; "
    "everything else exact",
    "signs": "payables (commitments and loans owed) are negative",
    "inputs": f"the first {evidence.INPUTS_LISTED:,} event ids a value rests on, in recorded order; "
    "inputs_total counts them all",
    "stale": "a price is stale when the last recorded mark is more than "
    "{STALE_DAYS} days older than the date of the figures",
}
STALE_DAYS = 30
"""A mark more than this many days before the figures' date is flagged ``stale``."""
RULES["stale"] = RULES["stale"].format(STALE_DAYS=STALE_DAYS)


def assumptions(settings: Settings) -> dict[str, Any]:
    """What every valuation output states: the settings and the rules applied."""
    return {**settings.describe(), "rules": RULES}


def _value(
    plugins: Any, h: Holding, as_of: dt.date, market: Market, settings: Settings
) -> Valuation:
    answer = plugins.value_instrument(
        kind=h.kind, holding=h, as_of=as_of, market=market, settings=settings
    )
    if not isinstance(answer, Valuation):
        what = (
            "no valuer answered" if answer is None else f"a valuer returned {type(answer).__name__}"
        )
        raise LedgerError(
            f"cannot value {h.kind} '{h.instrument}' of {h.party}: {what} "
            "(ledger_value_instrument must return plugins.valuation.holdings.Valuation)"
        )
    return answer


def _counts(h: Holding, v: Valuation) -> dict[str, int]:
    """``{group: events}`` of a valuation's inputs.

    A valuer that gives no ``counts`` (a user's) is taken to list what it used: each input
    once, and — when it passed the holding's listed inputs on — the holding's unlisted ones too.
    """
    if v.counts is not None:
        return dict(v.counts)
    counts = {f"event:{i}": 1 for i in v.inputs}
    unlisted = (h.inputs_total or len(h.inputs)) - len(h.inputs)
    if unlisted > 0 and set(h.inputs) <= set(v.inputs):
        counts["unlisted"] = unlisted
    return counts


def _inputs(listed: Sequence[str], counts: Mapping[str, int]) -> dict[str, Any]:
    return {"inputs": list(listed[: evidence.INPUTS_LISTED]), "inputs_total": sum(counts.values())}


def _row(h: Holding, v: Valuation, as_of: dt.date | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "party": h.party,
        "kind": h.kind,
        "instrument": h.instrument,
        "counterparty": h.counterparty,
        "quantity": None if h.kind in _STAKES and h.quantity == 0 else h.quantity,
        "currency": h.currency,
        "value": v.value,
        "value_if_met": v.value_if_met,
        "basis": v.basis,
        "assumptions": dict(v.assumptions),
        **_inputs(v.inputs, _counts(h, v)),
    }
    if h.cost is not None:
        row["cost"] = h.cost
    if h.side is not None:
        row["side"] = h.side
    if h.binding is not None:
        row["binding"] = h.binding
    mark = v.assumptions.get("price_date") or v.assumptions.get("spot_date")
    if as_of is not None and isinstance(mark, dt.date):
        row |= price_age(mark, as_of)  # a value at a market price says how old that price is
    return row


def _total(values: Sequence[Decimal | None]) -> Decimal | None:
    return (
        None if any(v is None for v in values) else sum((v for v in values if v is not None), ZERO)
    )


def price_age(price_date: dt.date, as_of: dt.date) -> dict[str, Any]:
    """How old a mark is on ``as_of``, and whether it is stale (:data:`STALE_DAYS`)."""
    age = (as_of - price_date).days
    return {"price_age_days": age, "stale": age > STALE_DAYS}


def _dilution(
    issuer: str, quantity: Decimal, market: Market, on_issuer: Decimal
) -> dict[str, Any] | None:
    """The warrant's shares as a share of the issuer's: of those outstanding, and of the count
    there would be with every recorded warrant on the issuer exercised (``on_issuer`` shares)."""
    party = market.parties.get(issuer)
    outstanding = None if party is None else party.shares_outstanding
    if not outstanding:
        return None
    return {
        "shares_outstanding": outstanding,
        "of_outstanding": ratio(quantity, outstanding),
        "warrant_shares_on_issuer": on_issuer,
        "of_fully_diluted": ratio(quantity, outstanding + on_issuer),
        "meaning": "the warrant's shares ÷ the issuer's shares outstanding (as declared); and ÷ "
        "those plus the shares of every recorded warrant on the issuer, as if all were exercised",
    }


def _scenarios(
    lines: list[tuple[Holding, Valuation]],
    spot: Any,
    top: Decimal | None,
    quantity: Decimal,
    strike: Decimal,
) -> dict[str, Any]:
    """The warrant's value now in each case side by side, so no default assumption makes the
    headline: deliveries met or not × price hurdle touched or not (and the price at the hurdle).

    Deliveries not met: the tranches never vest, worth 0 whatever the price. Met and the hurdle
    not touched: the valuer's model at spot with the delivery conditions met (``value_if_met``:
    an up-and-in barrier call). Met and touched: the barrier no longer bites, the warrant is a
    call at spot — shown at intrinsic value, which for a near-zero strike is within shares ×
    strike of the call's value.
    """
    met = _total([v.value_if_met for _, v in lines])
    return {
        "deliveries_not_met": ZERO,
        "deliveries_met_hurdle_not_touched": met,
        "deliveries_met_hurdle_touched": None
        if spot is None
        else quantity * max(spot.amount - strike, ZERO),
        "deliveries_met_price_at_final_hurdle": None
        if top is None
        else quantity * max(top - strike, ZERO),
        "assumption": "each case is taken as given, not weighted: 'value' weights unmet delivery "
        "conditions by the configured probability (plugins.valuation probabilities), which is a "
        "setting, not a finding",
    }


def _warrant_row(
    lines: list[tuple[Holding, Valuation]], market: Market, on_issuer: Decimal = ZERO
) -> dict[str, Any]:
    """One row per grant: the tranches, their sum, intrinsic value now and if all hurdles are
    met, the value in each scenario side by side, and the dilution."""
    first = lines[0][0]
    t = first.tranche
    assert t is not None
    quantity = sum((h.quantity for h, _ in lines), ZERO)
    spot = market.last_price(t.issuer)
    hurdles = [h.tranche.price_hurdle for h, _ in lines if h.tranche and h.tranche.price_hurdle]
    top = max(hurdles) if hurdles else None
    inputs = list(dict.fromkeys(i for _, v in lines for i in v.inputs))
    counts: dict[str, int] = {}
    for h, v in lines:
        counts |= _counts(h, v)
    return {
        "party": first.party,
        "kind": "warrant",
        "instrument": t.grant,
        "counterparty": t.issuer,
        "quantity": quantity,
        "currency": first.currency,
        "value": _total([v.value for _, v in lines]),
        "value_if_met": _total([v.value_if_met for _, v in lines]),
        "basis": f"sum of {len(lines)} tranche{'s' if len(lines) > 1 else ''}",
        "assumptions": {"strike": t.strike, "expiry": t.expiry, "grant_date": t.grant_date},
        **_inputs(inputs, counts),
        "intrinsic_at_spot": None
        if spot is None
        else {
            "price": spot.amount,
            "price_date": spot.date,
            "price_event": spot.event_id,
            "value": quantity * max(spot.amount - t.strike, ZERO),
            "formula": f"{quantity} × ({spot.amount} − {t.strike})",
            **price_age(spot.date, market.as_of),
        },
        "if_all_hurdles_met": None
        if top is None
        else {
            "price": top,
            "value": quantity * max(top - t.strike, ZERO),
            "formula": f"{quantity} × ({top} − {t.strike})",
            "meaning": "intrinsic value if every condition is met and the share price stands at "
            "the final hurdle",
        },
        "scenarios": _scenarios(lines, spot, top, quantity, t.strike),
        "dilution": _dilution(t.issuer, quantity, market, on_issuer or quantity),
        "tranches": [
            _row(h, v, market.as_of) | {"tranche": h.tranche.tranche if h.tranche else None}
            for h, v in lines
        ],
    }


def report(
    state: positions.Positions,
    parties: Mapping[str, Party],
    as_of: dt.date,
    plugins: Any,
    settings: Settings,
    party: str | None = None,
) -> dict[str, Any]:
    """The valuation as JSON-ready data (Decimals exact), as ``loopledger value --json`` prints it.

    ``plugins`` is the plugin facade (``session.plugins``): every holding is valued through
    ``ledger_value_instrument``, so user valuers take part.
    """
    market = Market.build(as_of, state.prices, state.valuations, parties)
    rows: list[dict[str, Any]] = []
    grants: dict[str, list[tuple[Holding, Valuation]]] = {}
    for h in positions.holdings(state, lambda issuer: market.last_price(issuer) is not None):
        if party is not None and h.party != party:
            continue
        v = _value(plugins, h, as_of, market, settings)
        if h.tranche is None:
            rows.append(_row(h, v, as_of))
            continue
        if h.tranche.grant not in grants:
            grants[h.tranche.grant] = []
            rows.append({"grant": h.tranche.grant})  # placeholder, keeps the order
        grants[h.tranche.grant].append((h, v))
    on_issuer: dict[str, Decimal] = {}
    for g in state.grants.values():
        if not g.closed:
            shares = sum((tr.shares for tr in g.tranches.values()), ZERO) - g.exercised
            on_issuer[g.issuer] = on_issuer.get(g.issuer, ZERO) + shares
    rows = [
        _warrant_row(
            grants[r["grant"]], market, on_issuer.get(state.grants[r["grant"]].issuer, ZERO)
        )
        if "grant" in r
        else r
        for r in rows
    ]
    return {
        "as_of": as_of,
        "assumptions": assumptions(settings),
        "holdings": rows,
    }


HOLDING_COLUMNS = (
    Column("party"),
    Column("kind"),
    Column("instrument"),
    Column("tranche"),
    Column("counterparty"),
    Column("quantity", "decimal"),
    Column("currency"),
    Column("value", "decimal"),
    Column("value_if_met", "decimal"),
    Column("basis"),
    Column("inputs"),
)


class ValueReport(dict[str, Any], Table):
    """The valuation: the ``value --json`` mapping (``as_of``, ``assumptions``, ``holdings``)
    that is also a typed table — one record per holding, and per tranche of a warrant grant."""

    @property
    def columns(self) -> tuple[Column, ...]:
        return HOLDING_COLUMNS

    def to_records(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for h in self["holdings"]:
            lines = h.get("tranches") or [None]
            for x in lines:
                part = h if x is None else {**h, **x}
                rows.append(
                    {
                        "party": h["party"],
                        "kind": h["kind"],
                        "instrument": h["instrument"],
                        "tranche": None if x is None else x.get("tranche"),
                        "counterparty": h.get("counterparty"),
                        "quantity": part.get("quantity"),
                        "currency": h.get("currency"),
                        "value": part.get("value"),
                        "value_if_met": part.get("value_if_met"),
                        "basis": part.get("basis"),
                        "inputs": " ".join(part.get("inputs") or ()),
                    }
                )
        return rows

    def __len__(self) -> int:
        return dict.__len__(self)


def value_answer(
    ledger: Any, result: Any, *, party: str | None = None, settings: Settings | None = None
) -> ValueReport:
    """The ``value`` query: the report as of the fold's date (the last event's without one);
    ``party`` by id, name or ticker."""
    settings = settings or Settings.from_config(ledger.plugins.plugin_config("valuation"))
    parties = result.parties
    pid = resolve_party(parties, party) if party is not None else None
    day = result.as_of or result.max_date
    if day is None:
        return ValueReport({"as_of": None, "assumptions": assumptions(settings), "holdings": []})
    return ValueReport(report(result.state(NAME), parties, day, ledger.plugins, settings, pid))
