"""The last price on or before D is the latest-dated; among same-date prices, the one recorded last.

Every lookup of it — the book's (cashless exercises), valuation's market, the audit's grant-date
warrant value, and the history model behind the hypothesis strategies — follows that one rule,
whatever order the prices were recorded in.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import find, settings

from invariants.strategies import HistoryModel, party_list
from ledger.book import Book, fold
from ledger.model.events import Price, Reversal
from ledger.model.plain import PlainError
from ledger.model.values import Money, Party
from ledger.testing import fold as fold_projection
from ledger.testing import load_text
from plugins.audit import flows
from plugins.valuation.holdings import Mark, Market, insert_mark

DAY = dt.date(2025, 3, 10)

# Recorded in this order: a later-dated price first, an older-dated one after it, then three
# prices of one day whose amounts are not in recorded order (the last recorded is the lowest).
MARKS = [
    ("late", DAY, "120"),
    ("older", DAY - dt.timedelta(days=5), "999"),
    ("same-1", DAY, "200"),
    ("same-2", DAY, "150"),
    ("same-3", DAY, "130"),
]


def price_events(party: str = "amd") -> list[Price]:
    return [
        Price(id=pid, date=day, party=party, per_share=Money(D(amount)))
        for pid, day, amount in MARKS
    ]


AMD = (Party(id="amd", name="AMD"), Party(id="openai", name="OpenAI"))


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (DAY, D("130")),  # same-3: the day's price recorded last — not the highest (200)
        (DAY + dt.timedelta(days=1), D("130")),
        (DAY - dt.timedelta(days=1), D("999")),  # older, though recorded after 'late'
        (DAY - dt.timedelta(days=5), D("999")),
        (DAY - dt.timedelta(days=6), None),
    ],
)
def test_book_last_price(on, expected):
    book, _, problems = fold(price_events(), AMD)
    assert problems == []
    assert book.last_price("amd", on) == expected
    assert book.last_price("nobody", on) is None


def test_book_keeps_prices_in_date_order_and_same_day_prices_in_recorded_order():
    book, _, _ = fold(price_events(), AMD)
    assert book.prices["amd"] == [
        (DAY - dt.timedelta(days=5), D("999")),
        (DAY, D("120")),
        (DAY, D("200")),
        (DAY, D("150")),
        (DAY, D("130")),
    ]


CASHLESS = """\
loopledger: 1
parties:
  - {id: amd, name: AMD}
  - {id: openai, name: OpenAI}
events:
  - {id: g, date: 2025-03-01, type: warrant_grant, issuer: amd, holder: openai, shares: 1000,
     strike: "50", expiry: 2030-01-01, tranches: [{id: all, shares: 1000}]}
  - {id: v, date: 2025-03-01, type: warrant_vest, grant: g, tranche: all}
  - {id: close, date: 2025-03-10, type: price, party: amd, per_share: "200"}
  - {id: restated, date: 2025-03-10, type: price, party: amd, per_share: "150"}
  - {id: earlier, date: 2025-03-05, type: price, party: amd, per_share: "400"}
  - {id: ex, date: 2025-03-12, type: warrant_exercise, grant: g, shares: 1000, cashless: true}
"""


def test_a_cashless_exercise_nets_at_the_same_day_price_recorded_last():
    h = load_text(CASHLESS)
    _, entries, problems = fold(h.events, h.parties)
    assert problems == []
    [ex] = [e for e in entries if e.event.id == "ex"]
    delivered = {
        (p.party, p.account): p.quantity for p in ex.postings if p.commodity == "shares:amd"
    }
    # P = 150 ('restated', recorded after the 200 of the same day; 'earlier' is dated before):
    # 1000 × (150 − 50) / 150 = 666.67 → 666 shares (at 200 it would be 750; at 400, 875).
    assert delivered[("openai", "assets:shares")] == D(666)


def test_valuation_market_uses_the_same_rule():
    marks: list[Mark] = []
    for pid, day, amount in MARKS:
        insert_mark(marks, Mark(day, D(amount), "USD", pid))
    market = Market.build(DAY + dt.timedelta(days=30), {"amd": marks}, {}, {})
    assert market.last_price("amd", DAY).event_id == "same-3"
    assert market.last_price("amd", DAY - dt.timedelta(days=1)).event_id == "older"
    assert market.at(DAY).last_price("amd").event_id == "same-3"


def test_the_audit_values_a_warrant_at_the_same_rule():
    h = load_text(CASHLESS)
    state = fold_projection(flows.PROJECTION, h.events, h.parties)
    assert flows.last_price(state, "amd", DAY) == (DAY, D("150"))
    assert flows.last_price(state, "amd", DAY - dt.timedelta(days=1)) == (
        DAY - dt.timedelta(days=5),
        D("400"),
    )


def test_a_book_checkpoint_of_another_format_is_refolded_not_trusted():
    book, _, _ = fold(price_events(), AMD)
    data = book.to_plain()
    assert Book.from_plain(data).last_price("amd", DAY) == D("130")
    # A book of an older format (say, before same-day prices kept their recorded order) may
    # hold its price lists in another order: it is refused, and the engine folds again.
    with pytest.raises(PlainError):
        Book.from_plain({**data, "format": Book.STATE_FORMAT - 1})


# --- the history model behind the hypothesis strategies ---------------------------------------


def simplest(strategy):
    """The simplest value of ``strategy`` — but True for a boolean ("cashless, if allowed")."""
    return find(strategy, lambda v: v is not False, settings=settings(database=None))


def model_with_vested_grant() -> tuple[HistoryModel, list, dt.date]:
    model = HistoryModel(party_list(2))
    grant = model._grant(simplest)  # strike 0.01, dated START
    model.dates[grant.id] = grant.date  # what draw_event does after each event
    vest = model._vest(simplest)
    model.dates[vest.id] = vest.date
    return model, [grant, vest], grant.date


def add_price(model: HistoryModel, events: list, pid: str, day: dt.date, amount: str) -> None:
    issuer = events[0].issuer
    events.append(Price(id=pid, date=day, party=issuer, per_share=Money(D(amount))))
    model.prices.setdefault(issuer, []).append((day, D(amount), pid))
    model.dates[pid] = day


def test_the_model_nets_at_the_same_day_price_recorded_last():
    model, events, day = model_with_vested_grant()
    add_price(model, events, "px-high", day, "200")
    add_price(model, events, "px-low", day, "0.01")  # recorded last: not above the strike
    exercise = model._exercise(simplest)
    assert not exercise.cashless
    _, _, problems = fold([*events, exercise], party_list(2))
    assert problems == []


def test_the_model_protects_the_price_a_cashless_exercise_used():
    model, events, day = model_with_vested_grant()
    add_price(model, events, "px-low", day, "0.01")
    add_price(model, events, "px-high", day, "200")  # recorded last: the one the book uses
    exercise = model._exercise(simplest)
    assert exercise.cashless
    assert "px-high" not in model.reversible()  # reversing it would change the netting price
    _, _, problems = fold([*events, exercise], party_list(2))
    assert problems == []


def test_the_model_counts_a_reversed_price_that_an_as_of_cut_brings_back():
    model, events, day = model_with_vested_grant()
    add_price(model, events, "px-high", day, "200")
    add_price(model, events, "px-low", day, "0.01")
    undo = Reversal(id="r1", date=day + dt.timedelta(days=10), of="px-low", reason="typo")
    events.append(undo)
    model.reversed.add("px-low")
    assert model.last_price(events[0].issuer, day)[2] == "px-high"
    exercise = model._exercise(simplest)
    # At head px-low is reversed and 200 would do; but as of a day before the reversal px-low
    # is back as the last price, and a cashless exercise would be refused there.
    assert not exercise.cashless
    for as_of in (day, None):
        _, _, problems = fold([*events, exercise], party_list(2), as_of=as_of)
        assert problems == []


def test_the_model_ignores_a_reversed_price():
    model, events, day = model_with_vested_grant()
    later = day + dt.timedelta(days=1)
    add_price(model, events, "px-low", day, "0.01")
    add_price(model, events, "px-high", later, "200")
    events.append(Reversal(id="r1", date=later, of="px-high", reason="typo"))
    model.reversed.add("px-high")
    model.grants[events[0].id]["last"] = later  # the exercise comes after both prices
    exercise = model._exercise(simplest)
    # The book skips px-high (reversed): it would net at 0.01, not above the 0.01 strike.
    assert exercise.date == later and not exercise.cashless
    _, _, problems = fold([*events, exercise], party_list(2))
    assert problems == []
