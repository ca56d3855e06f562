"""Periods as hledger users write them: half-open, quarters and years, ``FROM..TO``."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.model.periods import Period, PeriodError, combine, parse_period, period_start

D = dt.date


@pytest.mark.parametrize(
    ("text", "begin", "end"),
    [
        ("2025", D(2025, 1, 1), D(2026, 1, 1)),
        ("2025Q4", D(2025, 10, 1), D(2026, 1, 1)),
        ("2025q1", D(2025, 1, 1), D(2025, 4, 1)),
        ("2025-Q2", D(2025, 4, 1), D(2025, 7, 1)),
        ("2025-12", D(2025, 12, 1), D(2026, 1, 1)),
        ("2024-02", D(2024, 2, 1), D(2024, 3, 1)),
        ("2025-10-06", D(2025, 10, 6), D(2025, 10, 7)),
        ("2025Q1..2025Q3", D(2025, 1, 1), D(2025, 10, 1)),
        ("2025-06..", D(2025, 6, 1), None),
        ("..2025", None, D(2026, 1, 1)),
    ],
)
def test_period_texts(text, begin, end):
    assert parse_period(text) == Period(begin, end)


@pytest.mark.parametrize(
    "text", ["2025Q5", "2025-13", "25", "last year", "2025-02-30", "2026..2025"]
)
def test_bad_period_texts(text):
    with pytest.raises(PeriodError):
        parse_period(text)


def test_half_open_and_cut():
    q4 = parse_period("2025Q4")
    assert q4.contains(D(2025, 12, 31)) and not q4.contains(D(2026, 1, 1))
    assert q4.last_day == D(2025, 12, 31)
    assert q4.cut(None) == D(2025, 12, 31) and q4.cut(D(2025, 11, 1)) == D(2025, 11, 1)
    assert period_start("2026") == D(2026, 1, 1)
    assert combine(D(2025, 11, 1), None, q4) == Period(D(2025, 11, 1), D(2026, 1, 1))
    assert not Period().bounded and Period().cut(None) is None
