"""Every typed answer's DataFrame keeps amounts as exact Decimals and dates as dates.

Why a check per column kind, on every answer: pandas converts quietly — a column of Decimals
built the ordinary way can come out as floats, and dates as Timestamps or text — and a notebook
user would then sum binary floats without knowing it. The check is shown to catch exactly that
on a frame built the naive way.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

import ledger
from ledger.testing import plugin_manager
from tests.conftest import EXAMPLE

pd = pytest.importorskip("pandas")


def inexact_columns(frame: Any, answer: Any) -> list[str]:
    """Columns of ``answer`` whose values in ``frame`` are not of their kind (None allowed)."""
    wrong = []
    for column in answer.columns:
        values = [v for v in frame[column.name] if v is not None and not pd.isna(v)]
        if column.kind == "decimal" and not all(type(v) is Decimal for v in values):
            wrong.append(column.name)
        if column.kind == "date" and not all(type(v) is dt.date for v in values):
            wrong.append(column.name)
    return wrong


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    url = str(tmp_path_factory.mktemp("frames") / "store.db")
    with ledger.open(url, plugins=plugin_manager()) as opened:
        opened.replay(EXAMPLE)
        yield opened


ANSWERS = {
    "balances": lambda b: b.balances(as_of=dt.date(2025, 12, 31)),
    "balances of a period": lambda b: b.balances(period="2025Q4"),
    "events": lambda b: b.events(),
    "register": lambda b: b.register(party="openai"),
    "accounts": lambda b: b.accounts(),
    "parties": lambda b: b.parties(),
    "stats": lambda b: b.stats(),
    "audit": lambda b: b.audit(),
    "round trips": lambda b: b.audit().round_trips(),
    "metrics by quarter": lambda b: b.metrics(by="quarter"),
    "value": lambda b: b.value(as_of=dt.date(2025, 12, 31)),
}


@pytest.mark.parametrize("name", ANSWERS)
def test_the_frame_has_exact_decimals_and_dates(book, name):
    answer = ANSWERS[name](book)
    frame = answer.to_pandas()
    records = answer.to_records()
    assert len(frame) == len(records) > 0, name
    assert list(frame.columns) == [c.name for c in answer.columns]
    assert inexact_columns(frame, answer) == []
    for column in answer.columns:
        if column.kind == "decimal":  # sums are exact: the frame's equals the records'
            total = sum((r[column.name] for r in records if r[column.name] is not None), Decimal(0))
            assert frame[column.name].dropna().sum() == total, (name, column.name)


def test_the_check_catches_a_frame_built_the_naive_way(book):
    answer = book.register(party="openai")
    naive = pd.DataFrame.from_records(answer.to_records())
    naive["amount"] = naive["amount"].astype(float)
    naive["date"] = pd.to_datetime(naive["date"])
    assert set(inexact_columns(naive, answer)) >= {"amount", "date"}
