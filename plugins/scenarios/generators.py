"""The built-in scenario generators, registered through ``ledger_register_scenario_generators``
like a plugin's: revenue growth, deliveries until a commitment is met, tranche draws as their
conditions are met, and a price path.

Each is a pure function of its :class:`~plugins.scenarios.context.Params` and the
:class:`~plugins.scenarios.context.GeneratorContext`, returning event mappings written as in a
deal-history file. Generated amounts are the only numbers a scenario computes that no one wrote
down; they are rounded half-even to the cent (a growth rate to a fractional power is not a
terminating decimal) and the rounding is stated in each event's note.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final

from ledger.model.amounts import format_decimal
from ledger.model.events import Price
from plugins.scenarios.context import ZERO, Generated, GeneratorContext, Params
from plugins.scenarios.dates import PER_YEAR, step, steps

CENT: Final = Decimal("0.01")
_WORKING: Final = decimal.Context(prec=50, rounding=ROUND_HALF_EVEN)
ROUNDING: Final = "rounded half-even to the cent"


def cents(value: Decimal) -> Decimal:
    """``value`` rounded half-even to the cent (for generated amounts only)."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN, context=_WORKING)


def _money(amount: Decimal, currency: str) -> str:
    return f"{format_decimal(amount)} {currency}"


# --- revenue grows g per year from D ---------------------------------------------------------


REVENUE_PARAMETERS: Final = {
    "party": "the party whose revenue grows",
    "growth": "growth per year as a fraction: 1 doubles every year, 0.25 adds a quarter",
    "from": "the date growth starts from (the start of the first period)",
    "until": "the last date a period may end on",
    "every": "period length: month, quarter (default) or year",
    "start": "annual revenue at 'from' (default: the latest revenue or run-rate report, "
    "annualised as commitment coverage does)",
    "measure": "revenue (default: the period's revenue, what commitment coverage divides by) or "
    "run_rate (the annual rate at each period end)",
}


def revenue_growth(params: Params, context: GeneratorContext) -> list[dict[str, Any]]:
    """Revenue grows g per year from D: one report per period, compounding every period."""
    party = params.party("party")
    growth = params.decimal("growth", low=Decimal("-0.99"))
    start = params.date("from")
    until = params.date("until")
    if until <= start:
        params.fail("until", f"expected a date after 'from' ({start.isoformat()}); got {until}")
    every = params.choice("every", ("month", "quarter", "year"), "quarter")
    measure = params.choice("measure", ("run_rate", "revenue"), "revenue")
    if "start" in params:
        annual = params.decimal("start", positive=True)
        basis = f"{format_decimal(annual)} a year at {start.isoformat()} (given)"
    else:
        latest = context.latest_revenue(party, start)
        if latest is None:
            params.fail(
                "start",
                f"no revenue or run-rate report of '{party}' for a period ending on or before "
                f"{start.isoformat()}: give 'start', the annual revenue at 'from'",
            )
        report, annual = latest
        basis = f"annualised from report '{report.id}'"
    per_year = PER_YEAR[every]
    factor = Decimal(1) + growth
    events: list[dict[str, Any]] = []
    for k, period_start in enumerate(steps(start, every), start=0):
        period_end = step(period_start, every) - dt.timedelta(days=1)
        if period_end > until:
            break
        rate = annual * _WORKING.power(factor, _WORKING.divide(Decimal(k + 1), per_year))
        if measure == "revenue":
            days = Decimal((period_end - period_start).days + 1)
            rate = _WORKING.divide(rate * days, Decimal(365))
        amount = cents(rate)
        events.append(
            {
                "type": "revenue_report",
                "date": period_end,
                "party": party,
                "period_start": period_start,
                "period_end": period_end,
                "amount": _money(amount, context.currency),
                "measure": measure,
                "note": f"{basis} × (1 + {format_decimal(growth)})^({k + 1}/{per_year})"
                + (" × days/365" if measure == "revenue" else "")
                + f", {ROUNDING}",
            }
        )
    return events


# --- deliver N GW per period from D until the commitment is met --------------------------------


DELIVERY_PARAMETERS: Final = {
    "commitment": "the commitment delivered under (its payee supplies its payer)",
    "gw": "GW delivered each period",
    "every": "period: day, week, month, quarter (default) or year",
    "from": "the date of the first delivery",
    "until": "the last date a delivery may fall on (default: none, until the total is met)",
    "total_gw": "GW to reach, deliveries already recorded included (default: the "
    "commitment's capacity_gw)",
    "pay": "also record a purchase drawing the commitment with each delivery, its share of "
    "the commitment's total (default false)",
    "amount": "the total the purchases pay, pro rata to GW (default: the commitment's amount "
    "after amendments; needed when it is undisclosed)",
    "item": "what the purchases buy (default: capacity)",
}


def deliveries(params: Params, context: GeneratorContext) -> list[dict[str, Any]]:
    """Deliver N GW per period from D until the commitment's capacity is met."""
    terms = _commitment(params, context)
    c = terms.event
    gw = params.decimal("gw", positive=True)
    every = params.choice("every", ("day", "week", "month", "quarter", "year"), "quarter")
    first = params.date("from")
    until = params.date("until", None)
    if c.capacity_gw is None and "total_gw" not in params:
        params.fail("total_gw", f"commitment '{c.id}' states no capacity_gw: give total_gw")
    total = params.decimal("total_gw", c.capacity_gw, positive=True)
    pay = params.flag("pay", False)
    item = params.text("item", "capacity")
    if pay and c.kind not in ("purchase", "compute", "lease"):
        params.fail(
            "pay",
            f"'{c.id}' is a {c.kind} commitment; only purchase, compute and lease commitments "
            "are paid by purchases",
        )
    value = params.decimal("amount", terms.total, positive=True)
    if pay and value is None:
        params.fail(
            "amount",
            f"the amount of '{c.id}' is undisclosed: give the total the purchases pay "
            "('amount', a hypothesis)",
        )
    currency = getattr(c.amount, "currency", context.currency)
    done = context.delivered_gw(c)
    events: list[dict[str, Any]] = []
    paid = ZERO
    for day in steps(first, every, until):
        if done >= total:
            break
        now = min(gw, total - done)
        done += now
        events.append(
            {
                "type": "delivery",
                "date": day,
                "supplier": c.payee,
                "customer": c.payer,
                "capacity_gw": now,
                "commitment": c.id,
                "note": f"{format_decimal(done)} of {format_decimal(total)} GW delivered",
            }
        )
        if pay:
            # Pay the cumulative share, so the payments sum to exactly total × delivered share.
            due = cents(_WORKING.divide(value * min(done, total), total))
            events.append(
                {
                    "type": "purchase",
                    "date": day,
                    "buyer": c.payer,
                    "seller": c.payee,
                    "amount": _money(due - paid, currency),
                    "item": item,
                    "quantity": now,
                    "unit": "GW",
                    "commitment": c.id,
                    "note": f"{format_decimal(now)} GW of {format_decimal(total)} × "
                    f"{format_decimal(value)}, {ROUNDING}",
                }
            )
            paid = due
    return events


def _commitment(params: Params, context: GeneratorContext) -> Any:
    cid = params.text("commitment")
    terms = context.commitment(cid)
    if terms is None:
        params.fail(
            "commitment", f"no commitment '{cid}' in the base or the scenario's earlier changes"
        )
    if terms.closed:
        params.fail(
            "commitment",
            f"'{cid}' was {terms.status} by '{terms.status_event}': drop that amendment first "
            f"(a change '- drop: {terms.status_event}') to draw or deliver under it",
        )
    return terms


# --- draw each tranche as its condition is met ---------------------------------------------------


TRANCHE_PARAMETERS: Final = {
    "commitment": "the commitment whose tranches are drawn",
    "from": "no draw before this date (default: the commitment's date)",
    "instrument": "for an investment commitment: equity (default), convertible or debt",
    "item": "for a purchase, compute or lease commitment: what the purchases buy",
    "triggered": "also draw tranches released by an outside event (a 'trigger'), on 'from' "
    "(default false: the ledger cannot tell whether it happened)",
}


def tranche_draws(params: Params, context: GeneratorContext) -> list[dict[str, Any]]:
    """Draw each tranche of a commitment, in full, on the day its condition is first met."""
    terms = _commitment(params, context)
    c = terms.event
    earliest = params.date("from", c.date)
    instrument = params.choice("instrument", ("equity", "convertible", "debt"), "equity")
    item = params.text("item", "capacity")
    triggered = params.flag("triggered", False)
    if not c.tranches:
        params.fail("commitment", f"'{c.id}' has no tranches; write its draws with 'add'")
    delivered = sorted(context.deliveries(c), key=lambda e: e.date)
    events: list[dict[str, Any]] = []
    for t in c.tranches:
        left = t.amount.amount - context.drawn(c.id, t.id)
        if left <= 0:
            continue
        if t.trigger is not None and not triggered:
            continue
        day, why = _when_met(t.condition, delivered, context, c.payee, max(earliest, c.date))
        if t.trigger is not None:
            why = f"its trigger taken as met ({t.trigger})"
        if day is None or (t.expires is not None and max(day, earliest) > t.expires):
            continue
        draw: dict[str, Any] = {
            "date": max(day, earliest),
            "amount": _money(left, t.amount.currency),
            "commitment": c.id,
            "tranche": t.id,
            "note": f"tranche '{t.id}' drawn in full: {why}",
        }
        if c.kind == "investment":
            draw |= {
                "type": "investment",
                "investor": c.payer,
                "investee": c.payee,
                "instrument": instrument,
            }
        else:
            draw |= {"type": "purchase", "buyer": c.payer, "seller": c.payee, "item": item}
        events.append(draw)
    return events


def _when_met(
    condition: Any, delivered: list[Any], context: GeneratorContext, issuer: str, since: dt.date
) -> tuple[dt.date | None, str]:
    if condition is None:
        return since, "no condition"
    level = condition.at_least
    if condition.metric == "delivered_gw":
        done = ZERO
        for e in delivered:
            done += e.capacity_gw
            if done >= level:
                return e.date, f"{format_decimal(level)} GW delivered by '{e.id}'"
        return None, ""
    for e in sorted(context.effective(), key=lambda e: e.date):
        if (
            isinstance(e, Price)
            and e.party == issuer
            and e.per_share is not None
            and e.per_share.amount >= level
            and e.date >= since
        ):
            return e.date, f"share price {format_decimal(level)} reached by '{e.id}'"
    return None, ""


# --- a price path from P0 to P1 by D ---------------------------------------------------------------


PRICE_PARAMETERS: Final = {
    "party": "whose share price moves",
    "to": "the price reached on 'by'",
    "by": "the date the path ends",
    "from": "the date the path starts (default: the last recorded price's date)",
    "start": "the price at 'from' (default: the last recorded price on or before 'from'); "
    "when given it is recorded as a mark on 'from'",
    "every": "a mark every day, week, month (default) or quarter",
    "shape": "linear (default: equal steps in dollars) or geometric (equal steps in percent)",
    "replace": "drop recorded prices of the party dated after 'from' up to 'by' (default true)",
}


def price_path(params: Params, context: GeneratorContext) -> Generated:
    """A share price moving from P0 to P1 by a date, one mark per step."""
    party = params.party("party")
    target = params.decimal("to", positive=True)
    end = params.date("by")
    last = context.last_price(party, params.date("from", None))
    begin = params.date("from", last.date if last is not None else None)
    if begin is None:
        params.fail("from", f"no recorded share price of '{party}': give 'from' and 'start'")
    if end <= begin:
        params.fail("by", f"expected a date after 'from' ({begin.isoformat()}); got {end}")
    given = "start" in params
    if given:
        origin = params.decimal("start", positive=True)
    elif last is not None and last.per_share is not None:
        origin = last.per_share.amount
    else:
        params.fail("start", f"no recorded share price of '{party}' on or before {begin}")
    every = params.choice("every", ("day", "week", "month", "quarter"), "month")
    shape = params.choice("shape", ("linear", "geometric"), "linear")
    replace = params.flag("replace", True)
    span = Decimal((end - begin).days)
    days = [d for d in steps(begin, every, end) if d > begin or given]
    if not days or days[-1] != end:
        days.append(end)
    marks = []
    for day in days:
        share = _WORKING.divide(Decimal((day - begin).days), span)
        if shape == "linear":
            price = origin + (target - origin) * share
        else:
            price = origin * _WORKING.power(_WORKING.divide(target, origin), share)
        marks.append(
            {
                "type": "price",
                "date": day,
                "party": party,
                "per_share": _money(cents(price), context.currency),
                "note": f"{shape} path {format_decimal(origin)} → {format_decimal(target)} "
                f"from {begin.isoformat()} to {end.isoformat()}, {ROUNDING}",
            }
        )
    dropped = (
        tuple(
            e.id
            for e in context.effective()
            if replace
            and isinstance(e, Price)
            and e.party == party
            and e.per_share is not None
            and e.valuation is None
            and begin < e.date <= end
        )
        if replace
        else ()
    )
    return Generated(tuple(marks), dropped)


Generator = Callable[[Params, GeneratorContext], Any]

BUILT_IN: Final[dict[str, tuple[Generator, dict[str, str], str]]] = {
    "revenue_growth": (
        revenue_growth,
        REVENUE_PARAMETERS,
        "revenue grows g per year from a date: a revenue or run-rate report every period",
    ),
    "deliveries": (
        deliveries,
        DELIVERY_PARAMETERS,
        "deliver N GW per period from a date until the commitment is met (optionally paid)",
    ),
    "tranche_draws": (
        tranche_draws,
        TRANCHE_PARAMETERS,
        "draw each tranche of a commitment on the day its condition is first met",
    ),
    "price_path": (
        price_path,
        PRICE_PARAMETERS,
        "a share price path from P0 to P1 by a date, replacing the recorded marks in between",
    ),
}
"""name → (generate, parameters, description), registered by :mod:`plugins.scenarios.plugin`."""
