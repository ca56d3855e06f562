"""``loopledger value``: each instrument kind valued by its rule, on small histories written here.

Option prices themselves are checked against QuantLib in tests/test_pricing.py; here the
expected values are built from those same pricing functions, so these tests pin down *which*
price each tranche gets (spot, strike, barrier, years, volatility, probability) and when.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from decimal import Decimal

import pytest
from hypothesis import given

from invariants.strategies import histories
from ledger import hookimpl
from ledger.testing import check_projection, fold, plugin_manager, run_cli
from plugins.valuation.api import report
from plugins.valuation.holdings import Settings, Valuation
from plugins.valuation.positions import PROJECTION
from plugins.valuation.pricing import black_scholes_call, up_and_in_call

VOL, RATE = Decimal("0.50"), Decimal("0.04")  # the documented defaults

WARRANTS = """\
loopledger: 1
parties:
  - {id: amd, name: AMD, ticker: AMD, shares_outstanding: 1600000000}
  - {id: openai, name: OpenAI}
events:
  - {id: c, date: 2025-01-01, type: commitment, payer: openai, payee: amd, amount: "10B", kind: purchase, capacity_gw: "2"}
  - {id: px-0, date: 2025-01-02, type: price, party: amd, per_share: "100"}
  - id: g
    date: 2025-01-02
    type: warrant_grant
    issuer: amd
    holder: openai
    shares: 3000
    strike: "0.01"
    expiry: 2027-01-02
    commitment: c
    tranches:
      - {id: now, shares: 1000}
      - {id: hurdle, shares: 1000, conditions: [{metric: share_price, at_least: 150}]}
      - {id: gw, shares: 1000, conditions: [{metric: delivered_gw, at_least: 1}]}
  - {id: v-now, date: 2025-01-03, type: warrant_vest, grant: g, tranche: now}
  - {id: px-1, date: 2025-03-01, type: price, party: amd, per_share: "120"}
  - {id: px-2, date: 2025-06-02, type: price, party: amd, per_share: "160"}
  - {id: px-3, date: 2025-07-01, type: price, party: amd, per_share: "130"}
  - {id: d-1, date: 2025-09-01, type: delivery, supplier: amd, customer: openai, capacity_gw: "1", commitment: c}
"""

STAKES = """\
loopledger: 1
parties:
  - {id: openai, name: OpenAI, shares_outstanding: 1000000}
  - {id: anthropic, name: Anthropic}
  - {id: softbank, name: SoftBank}
  - {id: microsoft, name: Microsoft}
  - {id: intel, name: Intel, ticker: INTC}
  - {id: nvidia, name: NVIDIA}
events:
  - {id: ob-sb, date: 2025-01-01, type: opening_balance, party: softbank, amount: "20B"}
  - {id: ob-ms, date: 2025-01-01, type: opening_balance, party: microsoft, amount: "5B"}
  - {id: ob-nv, date: 2025-01-01, type: opening_balance, party: nvidia, amount: "10B"}
  - {id: sb-oa, date: 2025-02-01, type: investment, investor: softbank, investee: openai, amount: "10B", shares: 100000}
  - {id: ms-oa, date: 2025-02-01, type: investment, investor: microsoft, investee: openai, amount: "1B"}
  - {id: sb-an, date: 2025-02-01, type: investment, investor: softbank, investee: anthropic, amount: "2B", shares: 5000}
  - {id: nv-in, date: 2025-02-01, type: investment, investor: nvidia, investee: intel, amount: "5B", shares: 200000000}
  - {id: loan, date: 2025-02-10, type: loan, lender: nvidia, borrower: microsoft, amount: "1B"}
  - {id: com, date: 2025-02-10, type: commitment, payer: microsoft, payee: nvidia, amount: "3B", kind: compute, binding: false}
  - {id: px-in-1, date: 2025-03-01, type: price, party: intel, per_share: "24.90"}
  - {id: rep, date: 2025-03-01, type: repayment, loan: loan, amount: "0.4B"}
  - {id: val-oa, date: 2025-03-15, type: price, party: openai, valuation: "500B"}
  - {id: val-an, date: 2025-03-15, type: price, party: anthropic, valuation: "350B"}
  - {id: px-in-2, date: 2025-04-01, type: price, party: intel, per_share: "31.80"}
"""


def years(start: str, end: str) -> Decimal:
    """days / 365 to 50 significant digits, as the valuation documents."""
    days = (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days
    return decimal.Context(prec=50).divide(Decimal(days), Decimal(365))


def value(cli, *args: str) -> dict:
    ran = cli("value", "--json", *args)
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


def line(data: dict, party: str, instrument: str) -> dict:
    for row in data["holdings"]:
        if (row["party"], row["instrument"]) == (party, instrument):
            return row
    raise AssertionError(f"no holding {instrument} of {party}")


def tranches(data: dict, grant: str = "g") -> dict[str, dict]:
    row = line(data, "openai", grant)
    assert row["kind"] == "warrant"
    return {t["tranche"]: t for t in row["tranches"]}


@pytest.fixture
def warrants(cli, write):
    assert cli("replay", str(write("w.yaml", WARRANTS))).code == 0
    return cli


@pytest.fixture
def stakes(cli, write):
    assert cli("replay", str(write("s.yaml", STAKES))).code == 0
    return cli


# --- warrants ------------------------------------------------------------------------------------


def test_a_vested_tranche_is_black_scholes_times_shares(warrants):
    t = tranches(value(warrants, "--as-of", "2025-03-01"))["now"]
    # spot = px-1 (120, the last price on or before 2025-03-01); 672 days to 2027-01-02.
    expected = black_scholes_call(
        Decimal(120), Decimal("0.01"), years("2025-03-01", "2027-01-02"), VOL, RATE
    ) * Decimal(1000)
    assert Decimal(t["value"]) == expected
    assert t["value_if_met"] == t["value"]
    assert t["basis"] == "Black–Scholes; vested (v-now)"
    assert t["assumptions"]["spot"] == "120" and t["assumptions"]["days_to_expiry"] == 672
    assert {"g", "v-now", "px-1"} <= set(t["inputs"])


def test_a_price_hurdle_is_a_barrier_until_a_recorded_price_touches_it(warrants):
    # Before px-2 (160 ≥ 150): an up-and-in call with barrier 150 at spot 120.
    before = tranches(value(warrants, "--as-of", "2025-06-01"))["hurdle"]
    barrier = up_and_in_call(
        Decimal(120), Decimal("0.01"), Decimal(150), years("2025-06-01", "2027-01-02"), VOL, RATE
    )
    assert Decimal(before["value"]) == barrier * 1000
    assert before["basis"].startswith("up-and-in barrier call (barrier 150)")
    # After the touch the spot falls back to 130 < 150, but the hurdle has been met: vanilla.
    after = tranches(value(warrants, "--as-of", "2025-07-01"))["hurdle"]
    vanilla = black_scholes_call(
        Decimal(130), Decimal("0.01"), years("2025-07-01", "2027-01-02"), VOL, RATE
    )
    assert Decimal(after["value"]) == vanilla * 1000
    assert "price hurdle 150 touched 2025-06-02" in after["basis"]
    assert "px-2" in after["inputs"]
    # The barrier call is worth less than the vanilla call on the same day.
    same_day_vanilla = black_scholes_call(
        Decimal(120), Decimal("0.01"), years("2025-06-01", "2027-01-02"), VOL, RATE
    )
    assert barrier < same_day_vanilla


def test_a_delivery_tranche_is_worth_nothing_until_the_delivery_is_recorded(warrants):
    waiting = tranches(value(warrants, "--as-of", "2025-08-31"))["gw"]
    if_met = black_scholes_call(
        Decimal(130), Decimal("0.01"), years("2025-08-31", "2027-01-02"), VOL, RATE
    )
    assert Decimal(waiting["value"]) == 0
    assert Decimal(waiting["value_if_met"]) == if_met * 1000 > 0
    assert "deliveries 0 of 1 GW, probability 0" in waiting["basis"]
    # d-1 delivers 1 GW under commitment c, the grant's commitment: probability 1.
    met = tranches(value(warrants, "--as-of", "2025-09-01"))["gw"]
    expected = black_scholes_call(
        Decimal(130), Decimal("0.01"), years("2025-09-01", "2027-01-02"), VOL, RATE
    )
    assert Decimal(met["value"]) == Decimal(met["value_if_met"]) == expected * 1000
    assert "d-1" in met["inputs"]


def test_volatility_and_probability_come_from_the_configuration(warrants, write):
    write(
        "loopledger.toml",
        '[plugins.valuation]\nvolatility = {amd = "0.3"}\nrate = "0.05"\n'
        'probability = {"g:gw" = "0.25"}\n',
    )
    data = value(warrants, "--as-of", "2025-03-01")
    assert data["assumptions"]["volatility"] == {"default": "0.50", "amd": "0.3"}
    assert data["assumptions"]["rate"] == "0.05"
    t = tranches(data)
    T = years("2025-03-01", "2027-01-02")
    per_share = black_scholes_call(
        Decimal(120), Decimal("0.01"), T, Decimal("0.3"), Decimal("0.05")
    )
    assert Decimal(t["now"]["value"]) == per_share * 1000
    # The delivery tranche: 0.25 × its value if met (same vanilla price: no price hurdle).
    assert Decimal(t["gw"]["value_if_met"]) == per_share * 1000
    assert Decimal(t["gw"]["value"]) == Decimal("0.25") * per_share * 1000
    assert t["gw"]["assumptions"]["probability"] == "0.25"


def test_a_float_in_the_configuration_is_refused(warrants, write):
    write("loopledger.toml", "[plugins.valuation]\nvolatility = 0.3\n")
    ran = warrants("value")
    assert ran.code == 2
    assert "plugins.valuation.volatility" in ran.err and "float" in ran.err


def test_the_grant_row_sums_its_tranches(warrants):
    data = value(warrants, "--as-of", "2025-03-01")
    row = line(data, "openai", "g")
    assert Decimal(row["value"]) == sum(Decimal(t["value"]) for t in row["tranches"])
    assert Decimal(row["value_if_met"]) == sum(Decimal(t["value_if_met"]) for t in row["tranches"])
    assert row["quantity"] == "3000"
    # Only one tranche has a price hurdle (150): all 3000 shares at 150 − 0.01.
    assert row["if_all_hurdles_met"]["value"] == "449970.00"
    assert row["intrinsic_at_spot"]["value"] == "359970.00"  # 3000 × (120 − 0.01)


# --- stakes, shares, commitments and loans ------------------------------------------------------


def test_private_stake_basis_is_valuation_times_stake_or_cost(stakes):
    before = value(stakes, "--as-of", "2025-03-10")
    assert line(before, "softbank", "shares:openai")["basis"] == "cost"
    assert line(before, "softbank", "shares:openai")["value"] == "10000000000"
    data = value(stakes, "--as-of", "2025-03-20")
    softbank = line(data, "softbank", "shares:openai")
    assert softbank["kind"] == "private_stake"
    assert softbank["basis"] == "valuation × stake"
    assert Decimal(softbank["value"]) == Decimal("50000000000")  # 500B × 100,000 / 1,000,000
    assert "val-oa" in softbank["inputs"] and "sb-oa" in softbank["inputs"]
    microsoft = line(data, "microsoft", "shares:openai")
    assert (microsoft["basis"], microsoft["value"], microsoft["quantity"]) == (
        "cost",
        "1000000000",
        None,
    )
    assert (
        microsoft["assumptions"]["reason"]
        == "cost, because no share count is recorded for the stake"
    )
    anthropic = line(data, "softbank", "shares:anthropic")
    assert anthropic["basis"] == "cost"
    assert (
        "shares outstanding of 'anthropic' are not declared" in anthropic["assumptions"]["reason"]
    )


def test_listed_shares_use_the_last_price_as_of_the_date(stakes):
    unpriced = line(value(stakes, "--as-of", "2025-02-15"), "nvidia", "shares:intel")
    assert (unpriced["kind"], unpriced["basis"]) == ("private_stake", "cost")
    march = line(value(stakes, "--as-of", "2025-03-20"), "nvidia", "shares:intel")
    assert (march["kind"], march["basis"]) == ("shares", "market price 2025-03-01")
    assert march["value"] == "4980000000.00"  # 200M × 24.90
    april = line(value(stakes, "--as-of", "2025-04-01"), "nvidia", "shares:intel")
    assert (april["basis"], april["value"]) == ("market price 2025-04-01", "6360000000.00")


def test_commitments_and_loans_at_face_receivable_and_payable(stakes):
    data = value(stakes, "--as-of", "2025-03-01")
    assert line(data, "nvidia", "loan")["value"] == "600000000"  # 1B lent, 0.4B repaid
    assert line(data, "microsoft", "loan")["value"] == "-600000000"
    com = line(data, "nvidia", "com")
    assert (com["kind"], com["side"], com["binding"], com["value"]) == (
        "commitment",
        "receivable",
        False,
        "3000000000",
    )
    assert line(data, "microsoft", "com")["value"] == "-3000000000"
    before_repayment = value(stakes, "--as-of", "2025-02-28")
    assert line(before_repayment, "nvidia", "loan")["value"] == "1000000000"


def test_party_filter_and_unknown_party(stakes):
    data = value(stakes, "--party", "nvidia")
    assert {r["party"] for r in data["holdings"]} == {"nvidia"}
    ran = stakes("value", "--party", "nobody")
    assert ran.code == 2 and "unknown party 'nobody'" in ran.err


def test_human_table(stakes):
    ran = stakes("value", "--as-of", "2025-03-20", "--party", "softbank")
    assert ran.code == 0, ran.err
    assert "shares:openai" in ran.out and "valuation × stake" in ran.out and "$50.000B" in ran.out


def test_a_date_before_any_event(stakes):
    assert stakes("value", "--as-of", "2024-12-31", "--json").code == 0
    assert value(stakes, "--as-of", "2024-12-31")["holdings"] == []


def test_nothing_recorded(cli, store_path):
    from ledger.store import Store

    Store(str(store_path)).close()  # an empty store
    data = value(cli)
    assert (data["as_of"], data["holdings"]) == (None, [])
    assert data["assumptions"]["rate"] == "0.04"


# --- a user valuer overrides one kind ------------------------------------------------------------


class MarksFromMyDesk:
    """Answers for private stakes only; every other kind falls through to the built-in valuer."""

    @hookimpl
    def ledger_value_instrument(self, kind, holding):
        if kind != "private_stake":
            return None
        return Valuation(Decimal("42"), Decimal("42"), "my desk's mark", {"desk": "x"}, ("val-oa",))


class Broken:
    @hookimpl
    def ledger_value_instrument(self, kind):
        return "oops" if kind == "loan" else None


def test_a_user_plugin_overrides_one_instrument_kind(tmp_path, write):
    store = str(tmp_path / "user.db")
    plugins = plugin_manager(MarksFromMyDesk())
    assert run_cli(plugins, "replay", str(write("s.yaml", STAKES)), store=store).code == 0
    ran = run_cli(plugins, "value", "--json", "--as-of", "2025-03-20", store=store)
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    softbank = line(data, "softbank", "shares:openai")
    assert (softbank["value"], softbank["basis"]) == ("42", "my desk's mark")
    intel = line(data, "nvidia", "shares:intel")  # listed shares: still the built-in valuer
    assert intel["basis"] == "market price 2025-03-01"
    # Without the plugin, the same store gives the built-in answer.
    ran = run_cli(plugin_manager(), "value", "--json", "--as-of", "2025-03-20", store=store)
    assert line(json.loads(ran.out), "softbank", "shares:openai")["basis"] == "valuation × stake"


def test_a_valuer_returning_the_wrong_type_is_reported(tmp_path, write):
    store = str(tmp_path / "broken.db")
    plugins = plugin_manager(Broken())
    assert run_cli(plugins, "replay", str(write("s.yaml", STAKES)), store=store).code == 0
    ran = run_cli(plugins, "value", store=store)
    assert ran.code == 1
    assert "cannot value loan 'loan'" in ran.err and "returned str" in ran.err


# --- the bundled example -------------------------------------------------------------------------


def test_the_amd_warrants_on_the_bundled_example(cli, example):
    assert cli("replay", str(example)).code == 0
    data = value(cli)
    assert data["as_of"] == "2026-07-02"  # the last recorded event
    assert data["assumptions"]["volatility"] == {"default": "0.50"}
    assert data["assumptions"]["rate"] == "0.04"
    assert data["assumptions"]["probabilities"] == {"default": "0"}
    # OpenAI's (a05) and Meta's (a15) warrants side by side: 160,000,000 shares each at $0.01,
    # nothing delivered, AMD never at 600; spot 496 (p17, 2026-05-28, the latest AMD price).
    for holder, grant, expiry in (
        ("openai", "a05-amd-openai-warrant", "2030-10-05"),
        ("meta", "a15-amd-meta-warrant", "2031-02-24"),
    ):
        row = line(data, holder, grant)
        assert (row["kind"], row["counterparty"], row["quantity"]) == (
            "warrant",
            "amd",
            "160000000",
        )
        (t,) = row["tranches"]
        assert t["tranche"] == "full-6gw-600"
        assert t["basis"] == (
            "up-and-in barrier call (barrier 600); price hurdle not yet touched; "
            "deliveries 0 of 6 GW, probability 0"
        )
        expected = up_and_in_call(
            Decimal(496), Decimal("0.01"), Decimal(600), years("2026-07-02", expiry), VOL, RATE
        )
        assert Decimal(t["value_if_met"]) == expected * 160_000_000
        assert Decimal(t["value"]) == 0
        assert {grant, "p17-amd-price-2026-05-28"} <= set(row["inputs"])
        assert row["if_all_hurdles_met"]["value"] == "95998400000.00"  # 160M × (600 − 0.01)
        assert row["intrinsic_at_spot"]["value"] == "79358400000.00"  # 160M × (496 − 0.01)


def test_stock_received_as_consideration_is_marked_at_its_price(cli, example):
    assert cli("replay", str(example)).code == 0
    data = value(cli)
    # CoreWeave's 8,750,000 shares to OpenAI (c04, $0.35B) at CRWV 79.56 (p22): $696,150,000.
    [stake] = [
        h
        for h in data["holdings"]
        if (h["party"], h["instrument"]) == ("openai", "shares:coreweave")
    ]
    assert (stake["quantity"], stake["cost"], stake["value"]) == (
        "8750000",
        "350000000",
        "696150000.00",
    )
    # Microsoft's $11.6B funded before the history (settlement: prior) is a stake at cost.
    [msft] = [
        h
        for h in data["holdings"]
        if (h["party"], h["instrument"]) == ("microsoft", "shares:openai")
    ]
    assert (msft["kind"], msft["value"], msft["inputs"]) == (
        "private_stake",
        "11600000000",
        ["m01-microsoft-openai-funded"],
    )


def test_the_amd_warrant_on_announcement_day(cli, example):
    assert cli("replay", str(example)).code == 0
    row = line(value(cli, "--as-of", "2025-10-06"), "openai", "a05-amd-openai-warrant")
    # Two marks on 2025-10-06: the intraday 213 (a11) then the close 203 (p05): the later one.
    assert row["intrinsic_at_spot"]["price_event"] == "p05-amd-price-close-2025-10-06"
    assert row["intrinsic_at_spot"]["value"] == "32478400000.00"  # 160M × (203 − 0.01)


# --- the projection keeps the ledger's laws; the valuation never crashes -------------------------

PLUGINS = plugin_manager()


@given(histories())
def test_positions_keep_the_conservation_laws_and_every_holding_values(h):
    assert check_projection(PROJECTION, h.events, h.parties) == []
    if not h.events:
        return
    state = fold(PROJECTION, h.events, h.parties)
    day = max(e.date for e in h.events)
    data = report(state, {p.id: p for p in h.parties}, day, PLUGINS, Settings())
    ids = {e.id for e in h.events}
    for row in data["holdings"]:
        assert set(row["inputs"]) <= ids
        if row["kind"] in ("shares", "private_stake", "warrant") and row["value"] is not None:
            assert row["value"] >= 0
