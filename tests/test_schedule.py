"""Binding commitments by the year they fall due (plugins.metrics.schedule): exact, by hand and
as a property — the parts always sum to what is outstanding."""

from __future__ import annotations

import datetime as dt
from decimal import Context, Decimal, localcontext

from hypothesis import given
from hypothesis import strategies as st

from ledger.plugin.figures import ratio
from plugins.metrics import schedule as module
from plugins.metrics.schedule import NOT_STATED, PAST_END, add_schedules, schedule

AS_OF = dt.date(2026, 7, 2)


def test_by_hand():
    # 100 over 2027-01-01..2028-12-31 (365 + 366 = 731 days): 2027 gets 100 × 365 / 731.
    due = schedule(Decimal(100), dt.date(2027, 1, 1), dt.date(2028, 12, 31), AS_OF)
    assert due["2027"] == ratio(Decimal(36500), Decimal(731))
    with localcontext(Context(prec=200)):
        assert due["2028"] == 100 - due["2027"]  # the last year takes the rest, exactly
    # Started before the figures' date: only what remains, from 2026-07-03 (182 days in 2026).
    due = schedule(Decimal(365), dt.date(2026, 1, 1), dt.date(2027, 7, 2), AS_OF)
    assert due["2026"] == ratio(Decimal(365 * 182), Decimal(365)) == Decimal(182)
    assert due["2027"] == Decimal(183)
    assert schedule(Decimal(5), None, None, AS_OF) == {NOT_STATED: Decimal(5)}
    assert schedule(Decimal(5), None, dt.date(2026, 1, 1), AS_OF) == {PAST_END: Decimal(5)}
    assert schedule(Decimal(0), None, None, AS_OF) == {}
    assert list(add_schedules([{NOT_STATED: Decimal(1)}, {"2028": Decimal(2), "2027": 1}])) == [
        "2027",
        "2028",
        NOT_STATED,
    ]


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e13"), places=2)
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2040, 12, 31))


@given(amounts, st.none() | dates, dates, dates)
def test_the_parts_sum_to_the_outstanding_amount_exactly(amount, start, end, as_of):
    due = schedule(amount, start, end, as_of)
    with localcontext(Context(prec=200)):
        assert sum(due.values(), Decimal(0)) == amount
    assert all(v >= 0 for v in due.values())
    years = [int(k) for k in due if k.isdigit()]
    assert years == sorted(years) and (not years or years[-1] == end.year)


def test_the_property_catches_a_schedule_that_rounds_each_year(monkeypatch):
    """A variant that rounds each year's part to the cent loses a cent: 100 over 2027–2029
    (365 + 366 + 365 days) is 33.30 + 33.39 + 33.30 = 99.99 — the exact-sum law fails."""
    real = module.schedule

    def rounded(amount, start, end, as_of):
        return {k: v.quantize(Decimal("0.01")) for k, v in real(amount, start, end, as_of).items()}

    monkeypatch.setattr(module, "schedule", rounded)
    due = module.schedule(Decimal(100), dt.date(2027, 1, 1), dt.date(2029, 12, 31), AS_OF)
    assert sum(due.values()) == Decimal("99.99") != Decimal(100)
