"""The ``metrics.flows`` projection: cash flows, revenue reports and cash per party, aggregated.

Why aggregates: every metric adds flows up per supplier, customer, pair or period, so the state
keeps those sums rather than one row per event — it grows with the parties and the days, never
with the number of purchases. What a figure lists of the events behind a sum is the first
:data:`~ledger.plugin.evidence.INPUTS_LISTED` of them and their count
(:class:`~ledger.plugin.evidence.EventIds`); ``order`` (how many entries were folded before
one) lets groups be merged back into recorded order. The state is checkpointed as plain data
(:func:`to_plain`).

The state is *as of* the last entry folded: ``Engine.run(as_of=D)`` and ``Engine.series`` fold
exactly the events dated on or before D, so a metric computed from it needs no dated rows —
except loop share, which asks about the days of a revenue report's period, and reads the sales
kept per seller and day (:class:`DaySales`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Final

import attrs

from ledger.book import Entry
from ledger.engine.projection import Projection
from ledger.model import plain
from ledger.model.events import Investment, Loan, Purchase, RevenueReport, ShareIssue
from ledger.model.values import WORLD
from ledger.plugin import evidence
from ledger.plugin.evidence import EventIds

NAME = "metrics.flows"
CURRENCY = "USD"
"""Metrics add amounts of one currency; amounts in others are left out and named in ``detail``."""

ZERO = Decimal(0)
DAYS_PER_YEAR = Decimal(365)
BUYING_KINDS = ("purchase", "compute", "lease")
CASH_NOTE = (
    "ledger cash (assets:cash): only the cash the history records; where it gives no cash "
    "balance for a party that pays, this is below zero and verify notes the overdraft"
)


@attrs.define
class Sales:
    """Purchases one buyer made from one seller in one currency: their sum and their ids."""

    amount: Decimal = ZERO
    ids: EventIds = attrs.Factory(EventIds)


@attrs.define
class DaySales:
    """One seller's sales in :data:`CURRENCY` on one day: to modelled buyers and to the world.

    ``sales`` are the first :data:`~ledger.plugin.evidence.INPUTS_LISTED` sales to modelled
    buyers as ``(order, id, buyer, amount)``; ``count`` counts them all.
    """

    modelled: Decimal = ZERO
    outside: Decimal = ZERO
    count: int = 0
    sales: list[tuple[int, str, str, Decimal]] = attrs.Factory(list)


@attrs.define
class Financing:
    """What one party invested in and lent to another, in one currency, and the events' ids."""

    invested: Decimal = ZERO
    lent: Decimal = ZERO
    ids: EventIds = attrs.Factory(EventIds)


@attrs.frozen
class Report:
    """A revenue report as recorded (``order``: its place in the folded order)."""

    id: str
    order: int
    date: dt.date
    party: str
    period_start: dt.date
    period_end: dt.date
    amount: Decimal
    currency: str
    measure: str
    segment: str | None


@attrs.define
class Flows:
    """Flows, reports and cash, aggregated, as of the last folded entry.

    * ``sales``: per (seller, buyer, currency); ``sold`` and ``sold_to_modelled``: the ids of
      each seller's sales in :data:`CURRENCY` to anyone / to modelled parties, in recorded order;
      ``days``: per seller, per day (:class:`DaySales`, for a report's period);
    * ``financing``: per (investor or lender, investee or borrower, currency);
    * ``reports``: per (party, measure), the whole-company reports in :data:`CURRENCY` that can
      still be a party's latest — the latest by period end among those whose period ended, and
      any whose period ends after the last folded date; ``reporting``: every party with any
      report; ``other_currency_reports``: the ids of reports in other currencies;
    * ``cash`` per (party, currency) and ``cash_inputs``: the events that moved each party's cash.
    """

    folded: int = 0
    sales: dict[tuple[str, str, str], Sales] = attrs.Factory(dict)
    sold: dict[str, EventIds] = attrs.Factory(dict)
    sold_to_modelled: dict[str, EventIds] = attrs.Factory(dict)
    days: dict[str, dict[dt.date, DaySales]] = attrs.Factory(dict)
    financing: dict[tuple[str, str, str], Financing] = attrs.Factory(dict)
    reports: dict[tuple[str, str], list[Report]] = attrs.Factory(dict)
    reporting: set[str] = attrs.Factory(set)
    other_currency_reports: EventIds = attrs.Factory(EventIds)
    cash: dict[tuple[str, str], Decimal] = attrs.Factory(dict)  # (party, currency)
    cash_inputs: dict[str, EventIds] = attrs.Factory(dict)
    first_date: dt.date | None = None
    last_date: dt.date | None = None


def _initial() -> Flows:
    return Flows()


def _ids(groups: dict[str, EventIds], key: str) -> EventIds:
    found = groups.get(key)
    if found is None:
        found = groups[key] = EventIds()
    return found


def _sale(state: Flows, e: Purchase) -> None:
    seller, buyer, amount, currency = e.seller, e.buyer, e.amount.amount, e.amount.currency
    key = (seller, buyer, currency)
    pair = state.sales.get(key)
    if pair is None:
        pair = state.sales[key] = Sales()
    pair.amount += amount
    pair.ids.add(e.id)
    if currency != CURRENCY:
        return
    _ids(state.sold, seller).add(e.id)
    days = state.days.get(seller)
    if days is None:
        days = state.days[seller] = {}
    day = days.get(e.date)
    if day is None:
        day = days[e.date] = DaySales()
    if buyer == WORLD:
        day.outside += amount
        return
    _ids(state.sold_to_modelled, seller).add(e.id)
    day.modelled += amount
    day.count += 1
    if len(day.sales) < evidence.INPUTS_LISTED:
        day.sales.append((state.folded, e.id, buyer, amount))


def _financing(state: Flows, e: Investment | Loan | ShareIssue) -> None:
    if isinstance(e, Investment):
        key, amount = (e.investor, e.investee, e.amount.currency), e.amount.amount
    elif isinstance(e, ShareIssue):
        # Stock handed to a customer as consideration finances it like an investment would.
        key, amount = (e.issuer, e.holder, e.value.currency), e.value.amount
    else:
        key, amount = (e.lender, e.borrower, e.amount.currency), e.amount.amount
    found = state.financing.get(key)
    if found is None:
        found = state.financing[key] = Financing()
    if isinstance(e, Loan):
        found.lent += amount
    else:
        found.invested += amount
    found.ids.add(e.id)


def _report(state: Flows, e: RevenueReport) -> None:
    state.reporting.add(e.party)
    if e.amount.currency != CURRENCY:
        state.other_currency_reports.add(e.id)
        return
    if e.segment is not None:
        return
    report = Report(
        e.id,
        state.folded,
        e.date,
        e.party,
        e.period_start,
        e.period_end,
        e.amount.amount,
        e.amount.currency,
        e.measure,
        e.segment,
    )
    key = (e.party, e.measure)
    kept = [r for r in state.reports.get(key, ()) if r.period_end != e.period_end] + [report]
    kept.sort(key=lambda r: r.period_end)
    # Of the reports whose period has ended by the last folded date only the latest can ever be
    # chosen (a metric's date is never earlier); later-ending ones wait for their date.
    assert state.last_date is not None
    ended = [r for r in kept if r.period_end <= state.last_date]
    state.reports[key] = ended[-1:] + [r for r in kept if r.period_end > state.last_date]


def _apply(state: Flows, entry: Entry) -> Flows:
    e = entry.event
    if state.first_date is None or e.date < state.first_date:
        state.first_date = e.date
    if state.last_date is None or e.date > state.last_date:
        state.last_date = e.date
    if isinstance(e, Purchase):
        _sale(state, e)
    elif isinstance(e, (Investment, Loan, ShareIssue)):
        _financing(state, e)
    elif isinstance(e, RevenueReport):
        _report(state, e)
    seen: list[str] = []
    for p in entry.postings:
        if p.account == "assets:cash" and p.party != WORLD:
            key = (p.party, p.commodity)
            state.cash[key] = state.cash.get(key, ZERO) + p.quantity
            if p.party not in seen:
                seen.append(p.party)
                _ids(state.cash_inputs, p.party).add(e.id)
    state.folded += 1
    return state


# --- reading it ----------------------------------------------------------------------------------


def latest_report(
    state: Flows, party: str, measures: tuple[str, ...], as_of: dt.date
) -> Report | None:
    """The latest whole-company report of ``party`` in :data:`CURRENCY` with one of
    ``measures`` whose period ended by ``as_of`` (by period end, then recorded order)."""
    chosen = None
    for measure in measures:
        for r in state.reports.get((party, measure), ()):
            if r.date > as_of or r.period_end > as_of:
                continue
            if chosen is None or (r.period_end, r.order) > (chosen.period_end, chosen.order):
                chosen = r
    return chosen


def period_sales(
    state: Flows, seller: str, start: dt.date, end: dt.date
) -> tuple[Decimal, Decimal, int, list[tuple[int, str, str, Decimal]]]:
    """``seller``'s sales in :data:`CURRENCY` dated from ``start`` to ``end``: to modelled
    buyers, to the world, how many to modelled buyers, and the first of those (in recorded
    order) as ``(order, id, buyer, amount)``."""
    modelled = outside = ZERO
    count = 0
    listed: list[tuple[int, str, str, Decimal]] = []
    for day, sales in state.days.get(seller, {}).items():
        if start <= day <= end:
            modelled += sales.modelled
            outside += sales.outside
            count += sales.count
            listed += sales.sales
    listed.sort()
    return modelled, outside, count, listed[: evidence.INPUTS_LISTED]


def _view(ids: EventIds) -> dict[str, Any]:
    return {"inputs": list(ids.ids), "inputs_total": ids.total}


def _describe(state: Flows) -> dict[str, Any]:
    return {
        "sales": [
            {"seller": s, "buyer": b, "currency": c, "amount": x.amount, **_view(x.ids)}
            for (s, b, c), x in state.sales.items()
        ],
        "financing": [
            {
                "source": s,
                "target": t,
                "currency": c,
                "invested": f.invested,
                "lent": f.lent,
                **_view(f.ids),
            }
            for (s, t, c), f in state.financing.items()
        ],
        "sales_by_day": [
            {
                "seller": s,
                "date": d,
                "to_modelled_parties": x.modelled,
                "to_outside": x.outside,
                "sales_to_modelled_parties": x.count,
            }
            for s, days in state.days.items()
            for d, x in days.items()
        ],
        "reports": [attrs.asdict(r) for rs in state.reports.values() for r in rs],
        "cash": [
            {"party": p, "currency": c, "amount": a, **_view(state.cash_inputs[p])}
            for (p, c), a in state.cash.items()
        ],
        "first_date": state.first_date,
        "last_date": state.last_date,
    }


# --- as plain data -------------------------------------------------------------------------------

FORMAT: Final = 1


_d = plain.decimal_of
_day = plain.date_of
_text = plain.text_of


def _int(value: Any) -> int:
    if type(value) is not int:
        raise ValueError("expected an integer")
    return value


def _date_text(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def to_plain(state: Flows) -> dict[str, Any]:
    """The state as text, integers, lists and text-keyed mappings (decimals as their exact text,
    dates as ISO text, event ids as ``[total, last, *ids]``) — what a checkpoint holds."""
    return {
        "format": FORMAT,
        "folded": state.folded,
        "sales": [
            [s, b, c, str(x.amount), x.ids.to_plain()] for (s, b, c), x in state.sales.items()
        ],
        "sold": {s: ids.to_plain() for s, ids in state.sold.items()},
        "sold_to_modelled": {s: ids.to_plain() for s, ids in state.sold_to_modelled.items()},
        "days": {
            s: [
                [
                    d.isoformat(),
                    str(x.modelled),
                    str(x.outside),
                    x.count,
                    [[o, i, b, str(a)] for o, i, b, a in x.sales],
                ]
                for d, x in days.items()
            ]
            for s, days in state.days.items()
        },
        "financing": [
            [s, t, c, str(f.invested), str(f.lent), f.ids.to_plain()]
            for (s, t, c), f in state.financing.items()
        ],
        "reports": [
            [
                r.id,
                r.order,
                r.date.isoformat(),
                r.party,
                r.period_start.isoformat(),
                r.period_end.isoformat(),
                str(r.amount),
                r.currency,
                r.measure,
            ]
            for rs in state.reports.values()
            for r in rs
        ],
        "reporting": sorted(state.reporting),
        "other_currency_reports": state.other_currency_reports.to_plain(),
        "cash": [[p, c, str(a)] for (p, c), a in state.cash.items()],
        "cash_inputs": {p: ids.to_plain() for p, ids in state.cash_inputs.items()},
        "first_date": _date_text(state.first_date),
        "last_date": _date_text(state.last_date),
    }


def from_plain(data: Any) -> Flows:
    """The state :func:`to_plain` wrote; ``ValueError`` (or a ``TypeError``) for anything else."""
    if type(data) is not dict or data.get("format") != FORMAT:
        raise ValueError("not a metrics.flows checkpoint of this format")
    state = Flows(folded=_int(data["folded"]))
    for s, b, c, amount, ids in data["sales"]:
        state.sales[(_text(s), _text(b), _text(c))] = Sales(_d(amount), EventIds.from_plain(ids))
    state.sold = {_text(s): EventIds.from_plain(i) for s, i in data["sold"].items()}
    state.sold_to_modelled = {
        _text(s): EventIds.from_plain(i) for s, i in data["sold_to_modelled"].items()
    }
    for s, days in data["days"].items():
        state.days[_text(s)] = {
            _day(d): DaySales(
                _d(modelled),
                _d(outside),
                _int(count),
                [(_int(o), _text(i), _text(b), _d(a)) for o, i, b, a in sales],
            )
            for d, modelled, outside, count, sales in days
        }
    for s, t, c, invested, lent, ids in data["financing"]:
        state.financing[(_text(s), _text(t), _text(c))] = Financing(
            _d(invested), _d(lent), EventIds.from_plain(ids)
        )
    for rid, order, day, party, start, end, amount, currency, measure in data["reports"]:
        report = Report(
            _text(rid),
            _int(order),
            _day(day),
            _text(party),
            _day(start),
            _day(end),
            _d(amount),
            _text(currency),
            _text(measure),
            None,
        )
        state.reports.setdefault((report.party, report.measure), []).append(report)
    state.reporting = {_text(p) for p in data["reporting"]}
    state.other_currency_reports = EventIds.from_plain(data["other_currency_reports"])
    state.cash = {(_text(p), _text(c)): _d(a) for p, c, a in data["cash"]}
    state.cash_inputs = {_text(p): EventIds.from_plain(i) for p, i in data["cash_inputs"].items()}
    state.first_date = None if data["first_date"] is None else _day(data["first_date"])
    state.last_date = None if data["last_date"] is None else _day(data["last_date"])
    return state


FLOWS: Projection[Flows] = Projection(
    NAME,
    _initial,
    _apply,
    version="4",
    describe=_describe,
    encode=to_plain,
    decode=from_plain,
)
