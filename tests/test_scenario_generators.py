"""The built-in scenario generators, each on numbers small enough to check by hand, and a plugin's
generator through ``ledger_register_scenario_generators``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import ledger
from ledger import hookimpl
from ledger.model.events import Delivery, Investment, Price, Purchase, RevenueReport
from ledger.model.problems import InputError
from plugins.scenarios.api import branch, load_scenario, read_base, run_scenarios
from tests.support.scenarios import BASE, plugins, scenario_text, write

D = Decimal


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "base.db"
    extra = BASE + (
        "  - {id: rev, date: 2025-07-01, type: revenue_report, party: labco, "
        'period_start: 2025-01-01, period_end: 2025-06-30, amount: "10"}\n'
        "  - id: fund\n    date: 2025-01-10\n    type: commitment\n    payer: chipco\n"
        '    payee: labco\n    amount: "30"\n    kind: investment\n    tranches:\n'
        '      - {id: a, amount: "10"}\n'
        '      - {id: b, amount: "10", condition: {delivered_gw: {at_least: 1}}}\n'
        '      - {id: c, amount: "10", condition: {delivered_gw: {at_least: 2}}}\n'
    )
    with ledger.open(str(path), plugins=plugins()) as book:
        book.replay(write(tmp_path, "base.yaml", extra))
    return path


def generated(tmp_path, store, *changes, extra=None):
    """The events the scenario's changes wrote, in order."""
    scenario = load_scenario(write(tmp_path, "gen.yaml", scenario_text(*changes)))
    pm = plugins(*(extra or ()))
    with ledger.open(str(store), plugins=pm) as book:
        base = read_base(book, scenario.base)
        branched = branch(scenario, base, pm, {})
    ids = set(branched.generated) | set(branched.added)
    return [e for e in branched.events if e.id in ids], branched


def test_revenue_growth_compounds_every_period(tmp_path, store):
    # growth 15 a year = ×16 a year = ×2 a quarter, exactly: 16^(k/4) for k = 1, 2, 3, 4.
    events, _ = generated(
        tmp_path,
        store,
        'generate: revenue_growth\nparty: labco\ngrowth: "15"\nfrom: 2025-07-01\n'
        'until: 2026-06-30\nstart: "10"\nmeasure: run_rate',
    )
    assert all(isinstance(e, RevenueReport) and e.measure == "run_rate" for e in events)
    assert [(e.period_start.isoformat(), e.period_end.isoformat()) for e in events] == [
        ("2025-07-01", "2025-09-30"),
        ("2025-10-01", "2025-12-31"),
        ("2026-01-01", "2026-03-31"),
        ("2026-04-01", "2026-06-30"),
    ]
    assert [e.amount.amount for e in events] == [D(20), D(40), D(80), D(160)]
    assert [e.date for e in events] == [e.period_end for e in events]


def test_revenue_growth_starts_from_the_latest_report_annualised(tmp_path, store):
    # The latest report: 10 over 181 days (2025-01-01 … 2025-06-30) → 10 × 365 / 181 a year.
    # Doubling yearly, the first year's revenue (a whole year's period, 365 days) is twice that.
    events, _ = generated(
        tmp_path,
        store,
        'generate: revenue_growth\nparty: labco\ngrowth: "1"\nfrom: 2025-07-01\n'
        "until: 2026-06-30\nevery: year\nmeasure: revenue",
    )
    (only,) = events
    annual = D(10) * 365 / 181
    assert only.measure == "revenue" and only.period_end == dt.date(2026, 6, 30)
    assert only.amount.amount == (2 * annual).quantize(D("0.01"))  # rounded half-even to cents
    assert "rounded half-even to the cent" in only.note


def test_deliveries_until_the_commitment_is_met_and_paid_pro_rata(tmp_path, store):
    events, _ = generated(
        tmp_path,
        store,
        'generate: deliveries\ncommitment: com\ngw: "0.75"\nevery: month\nfrom: 2025-02-01\npay: true',
    )
    deliveries = [e for e in events if isinstance(e, Delivery)]
    purchases = [e for e in events if isinstance(e, Purchase)]
    # 2 GW in steps of 0.75: 0.75, 0.75 and the 0.5 that is left.
    assert [(e.date.isoformat(), e.capacity_gw) for e in deliveries] == [
        ("2025-02-01", D("0.75")),
        ("2025-03-01", D("0.75")),
        ("2025-04-01", D("0.5")),
    ]
    assert all(
        (e.supplier, e.customer, e.commitment) == ("chipco", "labco", "com") for e in deliveries
    )
    # Paid as delivered: 60 × 0.75/2, then the cumulative share less what was paid.
    assert [e.amount.amount for e in purchases] == [D("22.50"), D("22.50"), D("15.00")]
    assert sum(e.amount.amount for e in purchases) == 60


def test_deliveries_count_what_is_already_delivered(tmp_path, store):
    events, _ = generated(
        tmp_path,
        store,
        "add:\n  - {id: d0, date: 2025-01-20, type: delivery, supplier: chipco, customer: labco, "
        'capacity_gw: "1.5", commitment: com}',
        'generate: deliveries\ncommitment: com\ngw: "1"\nfrom: 2025-02-01',
    )
    assert [(e.id, e.capacity_gw) for e in events] == [
        ("d0", D("1.5")),
        ("probe:deliveries-2.1", D("0.5")),
    ]


def test_tranche_draws_follow_the_deliveries(tmp_path, store):
    events, _ = generated(
        tmp_path,
        store,
        'generate: deliveries\ncommitment: com\ngw: "1"\nevery: week\nfrom: 2025-02-01',
        "generate: tranche_draws\ncommitment: fund",
    )
    draws = [e for e in events if isinstance(e, Investment)]
    # a has no condition: drawn on the commitment's date; b after 1 GW, c after 2 GW.
    assert [(e.tranche, e.date.isoformat(), e.amount.amount) for e in draws] == [
        ("a", "2025-01-10", D(10)),
        ("b", "2025-02-01", D(10)),
        ("c", "2025-02-08", D(10)),
    ]
    assert all((e.investor, e.investee, e.commitment) == ("chipco", "labco", "fund") for e in draws)


SECRET = (
    "add:\n  - {id: secret, date: 2025-01-08, type: commitment, payer: labco, payee: chipco, "
    'amount: undisclosed, kind: purchase, capacity_gw: "2"}'
)


def test_deliveries_of_an_undisclosed_commitment_pay_the_amount_given(tmp_path, store):
    # The commitment's value is undisclosed: the scenario says what the 2 GW cost (40), and
    # each GW is paid its share of that; the note says where the number came from.
    events, _ = generated(
        tmp_path,
        store,
        SECRET,
        'generate: deliveries\ncommitment: secret\ngw: "1"\nevery: week\nfrom: 2025-02-01\n'
        'pay: true\namount: "40"',
    )
    purchases = [e for e in events if isinstance(e, Purchase)]
    assert [(e.date.isoformat(), e.amount.amount) for e in purchases] == [
        ("2025-02-01", D(20)),
        ("2025-02-08", D(20)),
    ]
    assert all(e.commitment == "secret" and e.amount.currency == "USD" for e in purchases)
    assert purchases[0].note.startswith(
        "hypothetical: generator 'deliveries' (change #2): 1 GW of 2 × 40"
    )
    # Without pay the amount is not needed: deliveries only.
    events, _ = generated(
        tmp_path,
        store,
        SECRET,
        'generate: deliveries\ncommitment: secret\ngw: "1"\nevery: week\nfrom: 2025-02-01',
    )
    assert [type(e) for e in events[1:]] == [Delivery, Delivery]
    # 'amount' also overrides a disclosed total: 2 GW of 'com' (60) paid as if it were 100.
    events, _ = generated(
        tmp_path,
        store,
        'generate: deliveries\ncommitment: com\ngw: "2"\nfrom: 2025-02-01\npay: true\namount: "100"',
    )
    assert [e.amount.amount for e in events if isinstance(e, Purchase)] == [D(100)]


def test_deliveries_of_an_undisclosed_commitment_paid_without_an_amount_are_refused(
    tmp_path, store
):
    with pytest.raises(InputError) as refused:
        generated(
            tmp_path,
            store,
            SECRET,
            'generate: deliveries\ncommitment: secret\ngw: "1"\nfrom: 2025-02-01\npay: true',
        )
    (problem,) = refused.value.problems
    # 'amount' is absent: the line is the change's own ('- generate: deliveries').
    assert problem.field == "changes[2].amount" and problem.line == 6
    assert "the amount of 'secret' is undisclosed" in problem.message


DEAL = (
    "add:\n  - id: deal\n    date: 2025-01-10\n    type: commitment\n    payer: chipco\n"
    '    payee: labco\n    amount: "30"\n    kind: investment\n    tranches:\n'
    '      - {id: ipo, amount: "10", trigger: "an IPO of LabCo"}\n'
    '      - {id: early, amount: "10", condition: {delivered_gw: {at_least: 1}}, expires: 2025-01-31}\n'
    '      - {id: late, amount: "10", condition: {delivered_gw: {at_least: 1}}, expires: 2025-12-31}'
)
DELIVER_WEEKLY = 'generate: deliveries\ncommitment: com\ngw: "1"\nevery: week\nfrom: 2025-02-01'


def draws(events):
    return [
        (e.tranche, e.date.isoformat(), e.amount.amount)
        for e in events
        if isinstance(e, Investment)
    ]


def test_tranche_draws_leave_triggered_and_expired_tranches_undrawn(tmp_path, store):
    # The first GW arrives 2025-02-01: after 'early' expired (2025-01-31), before 'late' did.
    # 'ipo' waits on an outside event the ledger cannot see: not drawn.
    events, _ = generated(
        tmp_path, store, DEAL, DELIVER_WEEKLY, "generate: tranche_draws\ncommitment: deal"
    )
    assert draws(events) == [("late", "2025-02-01", D(10))]


def test_tranche_draws_take_a_trigger_as_met_when_told(tmp_path, store):
    # triggered: the 'ipo' tranche is drawn on 'from'; 'late' is drawn then too (its GW came
    # earlier, no draw before 'from'); 'early' stays undrawn, 'from' being past its expiry.
    events, _ = generated(
        tmp_path,
        store,
        DEAL,
        DELIVER_WEEKLY,
        "generate: tranche_draws\ncommitment: deal\nfrom: 2025-03-01\ntriggered: true",
    )
    assert draws(events) == [("ipo", "2025-03-01", D(10)), ("late", "2025-03-01", D(10))]
    (ipo,) = [e for e in events if isinstance(e, Investment) and e.tranche == "ipo"]
    assert "its trigger taken as met (an IPO of LabCo)" in ipo.note
    # Before its expiry, the early tranche is drawn on the delivery that meets its condition.
    events, _ = generated(
        tmp_path,
        store,
        DEAL,
        'generate: deliveries\ncommitment: com\ngw: "1"\nevery: week\nfrom: 2025-01-20',
        "generate: tranche_draws\ncommitment: deal",
    )
    assert draws(events) == [("early", "2025-01-20", D(10)), ("late", "2025-01-20", D(10))]


def test_price_path_linear_replaces_the_marks_it_covers(tmp_path, store):
    events, branched = generated(
        tmp_path,
        store,
        'add:\n  - {id: mar, date: 2025-03-15, type: price, party: chipco, per_share: "99"}',
        'generate: price_path\nparty: chipco\nto: "60"\nfrom: 2025-01-04\nby: 2025-04-04',
    )
    marks = [e for e in events if isinstance(e, Price)]
    # From the price recorded on 2025-01-04 (20) to 60 in 90 days:
    # 20 + 40 × 31/90, 20 + 40 × 59/90, 60 — each rounded half-even to the cent.
    assert [(e.date.isoformat(), e.per_share.amount) for e in marks] == [
        ("2025-02-04", D("33.78")),
        ("2025-03-04", D("46.22")),
        ("2025-04-04", D("60.00")),
    ]
    assert "mar" not in {e.id for e in branched.events}  # the path replaces the marks it covers


def test_price_path_geometric(tmp_path, store):
    events, _ = generated(
        tmp_path,
        store,
        'generate: price_path\nparty: chipco\nstart: "20"\nto: "80"\nfrom: 2025-01-01\n'
        "by: 2025-01-03\nevery: day\nshape: geometric\nreplace: false",
    )
    # The given start is recorded; halfway the price has doubled once: 20 × 4^(1/2) = 40.
    assert [e.per_share.amount for e in events] == [D("20.00"), D("40.00"), D("80.00")]


# --- a plugin's generator ----------------------------------------------------------------------------


def buyback(params, context):
    """ChipCo's price on a day, from the last recorded price raised by a percentage."""
    last = context.last_price("chipco")
    up = params.decimal("up", low=D(0))
    return [
        {
            "type": "price",
            "date": params.date("day"),
            "party": "chipco",
            "per_share": last.per_share.amount * (1 + up),
        }
    ]


class Buyback:
    @hookimpl
    def ledger_register_scenario_generators(self, register):
        register("probe.buyback", buyback, parameters={"day": "the day", "up": "by how much"})


class StealsDeliveries:
    @hookimpl
    def ledger_register_scenario_generators(self, register):
        register("deliveries", buyback)


def test_hook_ledger_register_scenario_generators_in_a_scenario(tmp_path, store):
    # A user generator runs like a built-in: parameters typed and checked, events marked.
    events, _ = generated(
        tmp_path, store, 'generate: probe.buyback\nday: 2025-02-10\nup: "2"', extra=[Buyback()]
    )
    (mark,) = events
    assert (mark.id, mark.per_share.amount, mark.source, mark.confidence) == (
        "probe:probe.buyback-1.1",
        D(60),
        "scenario:probe",
        "estimate",
    )
    assert mark.note == "hypothetical: generator 'probe.buyback' (change #1)"
    # $60 touches the $50 hurdle: only the warrant's value if met changes (no GW delivered).
    scenario = write(
        tmp_path,
        "buyback.yaml",
        scenario_text(
            'generate: probe.buyback\nday: 2025-02-10\nup: "2"', head="as_of: 2025-02-28\n"
        ),
    )
    with ledger.open(str(store), plugins=plugins(Buyback())) as book:
        (outcome,) = run_scenarios(book, [scenario]).outcomes
    assert {d.key: d.after for d in outcome.differences if d.section == "values"} == {
        "value_if_met/labco/warrant/grant": D(600)
    }
    # A plugin cannot take over a built-in generator, whatever its name sorts as.
    with pytest.warns(RuntimeWarning, match="scenario generator name 'deliveries'"):
        stolen = plugins(StealsDeliveries()).scenario_generator("deliveries")
    assert stolen is not None and stolen.plugin == "scenarios"
