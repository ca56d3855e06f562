"""Tests for plugins.valuation.pricing: known values, QuantLib agreement, no-arbitrage laws."""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
import QuantLib as ql
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.valuation import pricing
from plugins.valuation.pricing import black_scholes_call, norm_cdf, up_and_in_call

D = Decimal
QUANTUM = pricing.PRICE_QUANTUM
RATE = D("0.04")

# --- Φ ------------------------------------------------------------------------------------

# Reference values of Φ (from erf tables / high-precision evaluations).
KNOWN_CDF = [
    (D(0), D("0.5")),
    (D(1), D("0.841344746068542948585232545632")),
    (D(-1), D("0.158655253931457051414767454368")),
    (D(-3), D("0.00134989803163009452665181476759")),
    (D(2), D("0.97724986805182079")),
    (D("1.96"), D("0.97500210485177952")),
    (D(-10), D("7.6198530241605260659733432516E-24")),
]


@pytest.mark.parametrize(("x", "expected"), KNOWN_CDF, ids=[str(x) for x, _ in KNOWN_CDF])
def test_norm_cdf_known_values(x: Decimal, expected: Decimal) -> None:
    got = norm_cdf(x)
    assert isinstance(got, Decimal)
    assert abs(got - expected) < D("1E-16")


def test_norm_cdf_tail_is_relatively_accurate() -> None:
    # Φ(−10) is ~7.6e-24: 1e-16 absolute would be meaningless, check ~25 significant digits.
    got = norm_cdf(D(-10))
    assert abs(got / D("7.619853024160526065973343251599e-24") - 1) < D("1E-25")


def test_norm_cdf_limits() -> None:
    assert norm_cdf(D("Infinity")) == 1
    assert norm_cdf(D("-Infinity")) == 0
    assert norm_cdf(D(1000)) == 1
    assert D(0) < norm_cdf(D(-1000)) < D("1E-217000")


def test_norm_cdf_series_and_continued_fraction_agree_at_the_switch() -> None:
    with decimal.localcontext(pricing._context()):
        for a in (D("4.5"), D(5), D(6), D(7)):
            series_tail = D("0.5") - pricing._cdf_minus_half_series(a)
            cf_tail = pricing._upper_tail_cf(a)
            assert abs(series_tail - cf_tail) < D("1E-40")


def test_norm_cdf_matches_quantlib_to_1e_15() -> None:
    reference = ql.CumulativeNormalDistribution()
    for i in range(-1000, 1001, 7):
        x = D(i) / D(100)
        assert abs(float(norm_cdf(x)) - reference(float(x))) < 1e-15, x


@given(st.decimals(min_value=-40, max_value=40, places=6))
def test_norm_cdf_symmetry_and_monotonicity(x: Decimal) -> None:
    assert abs(norm_cdf(x) + norm_cdf(-x) - 1) <= D("1E-29")
    assert norm_cdf(x) <= norm_cdf(x + D("0.001"))


# --- input validation and rounding ---------------------------------------------------------


def test_floats_are_rejected_with_type_error() -> None:
    with pytest.raises(TypeError, match="binary floats are not accepted; pass Decimal"):
        black_scholes_call(100.0, D(100), D(1), D("0.2"), RATE)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="binary floats are not accepted; pass Decimal"):
        up_and_in_call(D(100), D(100), D(200), D(1), 0.2, RATE)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="binary floats"):
        norm_cdf(0.5)  # type: ignore[arg-type]


def test_other_non_decimals_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"rate must be a decimal\.Decimal, got int"):
        black_scholes_call(D(100), D(100), D(1), D("0.2"), 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got str"):
        up_and_in_call(D(100), D(100), "200", D(1), D("0.2"), RATE)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["spot", "strike", "years", "vol"])
def test_negative_inputs_are_rejected(field: str) -> None:
    kwargs = {"spot": D(100), "strike": D(100), "years": D(1), "vol": D("0.2"), "rate": RATE}
    kwargs[field] = D("-0.01")
    with pytest.raises(ValueError, match=f"{field} must be >= 0"):
        black_scholes_call(**kwargs)
    with pytest.raises(ValueError, match=f"{field} must be >= 0"):
        up_and_in_call(barrier=D(200), **kwargs)


def test_bad_barrier_and_non_finite_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="barrier must be > 0"):
        up_and_in_call(D(100), D(100), D(0), D(1), D("0.2"), RATE)
    with pytest.raises(ValueError, match="must be finite"):
        black_scholes_call(D("NaN"), D(100), D(1), D("0.2"), RATE)
    with pytest.raises(ValueError, match="must be finite"):
        black_scholes_call(D(100), D(100), D("Infinity"), D("0.2"), RATE)


def test_results_are_quantized_and_independent_of_caller_context() -> None:
    expected = black_scholes_call(D(164), D("0.01"), D(2), D("0.5"), RATE)
    assert expected.as_tuple().exponent == QUANTUM.as_tuple().exponent
    with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_DOWN)):
        assert black_scholes_call(D(164), D("0.01"), D(2), D("0.5"), RATE) == expected
        assert up_and_in_call(D(164), D("0.01"), D(600), D(2), D("0.5"), RATE) == D("23.7752623624")


# --- edge cases ----------------------------------------------------------------------------


def test_vanilla_edge_cases() -> None:
    # T = 0: intrinsic value.
    assert black_scholes_call(D(120), D(100), D(0), D("0.3"), RATE) == D(20)
    assert black_scholes_call(D(80), D(100), D(0), D("0.3"), RATE) == 0
    # σ = 0: discounted intrinsic of the forward, max(S·e^{−qT} − K·e^{−rT}, 0).
    got = black_scholes_call(D(100), D(100), D(1), D(0), RATE)
    assert got == (D(100) - D(100) * (-RATE).exp()).quantize(QUANTUM)
    assert black_scholes_call(D(90), D(100), D(1), D(0), D(0)) == 0
    # K = 0: the option is the share less the dividends, S·e^{−qT}.
    got = black_scholes_call(D(213), D(0), D(2), D("0.5"), RATE, dividend_yield=D("0.01"))
    assert got == (D(213) * D("-0.02").exp()).quantize(QUANTUM)
    # S = 0: worthless.
    assert black_scholes_call(D(0), D(100), D(1), D("0.3"), RATE) == 0
    # The AMD warrant strike: worth almost the whole share.
    warrant = black_scholes_call(D(164), D("0.01"), D(5), D("0.5"), RATE)
    assert D(164) - D("0.01") < warrant < D(164)


def test_up_and_in_edge_cases() -> None:
    vanilla = black_scholes_call(D(400), D(100), D(2), D("0.5"), RATE)
    # Barrier already touched (S ≥ H): it is the vanilla call.
    assert up_and_in_call(D(400), D(100), D(400), D(2), D("0.5"), RATE) == vanilla
    assert up_and_in_call(D(400), D(100), D(250), D(2), D("0.5"), RATE) == vanilla
    # K ≥ H: finishing above K implies touching H, so it equals the vanilla call.
    assert up_and_in_call(D(164), D(300), D(250), D(2), D("0.5"), RATE) == black_scholes_call(
        D(164), D(300), D(2), D("0.5"), RATE
    )
    # No time left or a worthless share below the barrier: zero.
    assert up_and_in_call(D(164), D("0.01"), D(600), D(0), D("0.5"), RATE) == 0
    assert up_and_in_call(D(0), D("0.01"), D(600), D(1), D("0.5"), RATE) == 0
    # σ = 0: deterministic growth at r − q hits the barrier or not.
    assert up_and_in_call(D(100), D(50), D(104), D(1), D(0), RATE) == black_scholes_call(
        D(100), D(50), D(1), D(0), RATE
    )
    assert up_and_in_call(D(100), D(50), D(105), D(1), D(0), RATE) == 0
    # K = 0: the knock-in share, worth less than the share itself.
    assert D(0) < up_and_in_call(D(164), D(0), D(600), D(2), D("0.5"), RATE) < D(164)


# --- agreement with QuantLib ---------------------------------------------------------------

TODAY = ql.Date(15, 1, 2025)
DAY_COUNT = ql.Actual365Fixed()
SPOTS = [50, 164, 213, 400, 590]
BARRIERS = [250, 400, 600]
STRIKES = ["0.01", "100", "213"]
VOLS = ["0.2", "0.5", "0.8"]
# Whole days so that Actual/365F year fractions are exact: ≈0.5 (183/365), 2 and 5 years.
DAYS = [183, 730, 1825]
GRID = list(itertools.product(SPOTS, BARRIERS, STRIKES, VOLS, DAYS))
DIVIDEND_CASES = [(164, 400, "100", "0.5", 730), (50, 250, "0.01", "0.8", 1825)]


@pytest.fixture(scope="module", autouse=True)
def _quantlib_evaluation_date() -> Iterator[None]:
    settings_ = ql.Settings.instance()
    previous = settings_.evaluationDate
    settings_.evaluationDate = TODAY
    yield
    settings_.evaluationDate = previous


def _quantlib_prices(
    spot: int, barrier: int, strike: str, vol: str, days: int, dividend: str
) -> tuple[float, float]:
    """(vanilla, up-and-in) from QuantLib's analytic engines on flat Actual/365F curves."""
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(float(spot))),
        ql.YieldTermStructureHandle(ql.FlatForward(TODAY, float(dividend), DAY_COUNT)),
        ql.YieldTermStructureHandle(ql.FlatForward(TODAY, float(RATE), DAY_COUNT)),
        ql.BlackVolTermStructureHandle(
            ql.BlackConstantVol(TODAY, ql.NullCalendar(), float(vol), DAY_COUNT)
        ),
    )
    exercise = ql.EuropeanExercise(TODAY + days)
    payoff = ql.PlainVanillaPayoff(ql.Option.Call, float(strike))
    vanilla = ql.VanillaOption(payoff, exercise)
    vanilla.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    if spot >= barrier:  # QuantLib refuses a touched barrier; it is the vanilla call then.
        return vanilla.NPV(), vanilla.NPV()
    barrier_option = ql.BarrierOption(ql.Barrier.UpIn, float(barrier), 0.0, payoff, exercise)
    barrier_option.setPricingEngine(ql.AnalyticBarrierEngine(process))
    return vanilla.NPV(), barrier_option.NPV()


def _assert_close(mine: Decimal, reference: float) -> None:
    # 1e-6 relative, with a 1e-9 absolute floor for values near zero (prices are rounded to
    # 1e-10, and QuantLib's double arithmetic cancels in B − C + D).
    assert abs(float(mine) - reference) <= max(1e-6 * abs(reference), 1e-9), (mine, reference)


@pytest.mark.parametrize(
    ("spot", "barrier", "strike", "vol", "days", "dividend"),
    [(*case, "0") for case in GRID] + [(*case, "0.01") for case in DIVIDEND_CASES],
)
def test_agrees_with_quantlib(
    spot: int, barrier: int, strike: str, vol: str, days: int, dividend: str
) -> None:
    ql_vanilla, ql_up_in = _quantlib_prices(spot, barrier, strike, vol, days, dividend)
    args = {
        "spot": D(spot),
        "strike": D(strike),
        "years": D(days) / D(365),
        "vol": D(vol),
        "rate": RATE,
        "dividend_yield": D(dividend),
    }
    _assert_close(black_scholes_call(**args), ql_vanilla)
    _assert_close(up_and_in_call(barrier=D(barrier), **args), ql_up_in)


# --- no-arbitrage properties ---------------------------------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
spots = st.decimals(min_value=0, max_value=1000, places=2)
strikes = spots
barriers = st.decimals(min_value="0.01", max_value=1500, places=2)
years_ = st.decimals(min_value=0, max_value=10, places=3)
vols = st.decimals(min_value=0, max_value=2, places=3)
rates = st.decimals(min_value="-0.02", max_value="0.15", places=4)
dividends = st.decimals(min_value=0, max_value="0.08", places=4)

CallPricer = Callable[[Decimal, Decimal, Decimal, Decimal, Decimal], Decimal]


@PROPERTY_SETTINGS
@given(spots, strikes, barriers, years_, vols, rates, dividends)
def test_prices_are_non_negative_and_up_in_at_most_vanilla(
    spot: Decimal,
    strike: Decimal,
    barrier: Decimal,
    years: Decimal,
    vol: Decimal,
    rate: Decimal,
    dividend: Decimal,
) -> None:
    vanilla = black_scholes_call(spot, strike, years, vol, rate, dividend)
    up_in = up_and_in_call(spot, strike, barrier, years, vol, rate, dividend)
    assert vanilla >= 0
    assert up_in >= 0
    assert up_in <= vanilla


@PROPERTY_SETTINGS
@given(spots, spots, strikes, years_, vols, rates, dividends)
def test_vanilla_is_monotone_in_spot(
    spot_a: Decimal,
    spot_b: Decimal,
    strike: Decimal,
    years: Decimal,
    vol: Decimal,
    rate: Decimal,
    dividend: Decimal,
) -> None:
    low, high = sorted((spot_a, spot_b))
    assert black_scholes_call(low, strike, years, vol, rate, dividend) <= black_scholes_call(
        high, strike, years, vol, rate, dividend
    )


def lower_bound_property(
    price: CallPricer,
    *,
    positive_only: bool = False,
    run_settings: settings = PROPERTY_SETTINGS,
) -> Callable[[], None]:
    """Hypothesis test: C ≥ max(S − K·e^{−rT}, 0) (no dividends) for the given pricer.

    ``positive_only`` keeps S, K, T, σ > 0 for pricers that do not handle the edge cases.
    """
    low = D("0.01") if positive_only else D(0)
    spot_s = st.decimals(min_value=low, max_value=1000, places=2)
    years_s = st.decimals(min_value=low, max_value=10, places=3)
    vol_s = st.decimals(min_value=low, max_value=2, places=3)

    @run_settings
    @given(spot_s, spot_s, years_s, vol_s, rates)
    def check(spot: Decimal, strike: Decimal, years: Decimal, vol: Decimal, rate: Decimal) -> None:
        value = price(spot, strike, years, vol, rate)
        with decimal.localcontext(decimal.Context(prec=50)):
            bound = max(spot - strike * (-rate * years).exp(), D(0))
        # The price is rounded half-even to 1e-10, so it may sit half a quantum below.
        assert value >= bound - QUANTUM / 2, (value, bound)

    return check


def test_vanilla_at_least_discounted_intrinsic() -> None:
    lower_bound_property(black_scholes_call)()


def _call_with_d2_sign_flipped(
    spot: Decimal, strike: Decimal, years: Decimal, vol: Decimal, rate: Decimal
) -> Decimal:
    """A deliberately wrong Black–Scholes: S·Φ(d1) − K·e^{−rT}·Φ(−d2)."""
    sd = vol * years.sqrt()
    d1 = ((spot / strike).ln() + (rate + vol * vol / 2) * years) / sd
    d2 = d1 - sd
    return spot * norm_cdf(d1) - strike * (-rate * years).exp() * norm_cdf(-d2)


def test_property_catches_a_broken_pricer() -> None:
    # Same property, broken pricer: hypothesis must find a counterexample. No example
    # database, so the deliberate failure is not replayed into other runs.
    broken = lower_bound_property(
        _call_with_d2_sign_flipped,
        positive_only=True,
        run_settings=settings(PROPERTY_SETTINGS, database=None, print_blob=False),
    )
    with pytest.raises(AssertionError):
        broken()
