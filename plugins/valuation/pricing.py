"""Exact-decimal option pricing for valuing equity warrants granted to customers.

Why: circular AI financing often pays a customer in the vendor's own equity, e.g. AMD's
warrant to OpenAI for up to 160M AMD shares at a $0.01 strike, vesting in tranches as the
share price clears hurdles up to $600. To book such a grant we price each tranche as a
continuously monitored up-and-in barrier call (barrier = hurdle) next to the plain
Black–Scholes–Merton call.

Money never touches a binary float: inputs must be ``decimal.Decimal`` and every step runs
in a private decimal context of 50 significant digits (``exp``/``ln``/``sqrt`` from
``Decimal``, Φ from a Decimal series / continued fraction), so the caller's context does
not affect results.

Rounding rule (ROUND_HALF_EVEN):
* option prices are quantized to 1E-10 currency units per share;
* ``norm_cdf`` is rounded to 30 significant digits.
"""

from __future__ import annotations

import decimal
import functools
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = [
    "PRICE_QUANTUM",
    "PROBABILITY_DIGITS",
    "NotDecimalError",
    "black_scholes_call",
    "norm_cdf",
    "up_and_in_call",
]

#: Prices are quantized to this many currency units per share (ROUND_HALF_EVEN).
PRICE_QUANTUM = Decimal("1E-10")
#: ``norm_cdf`` results carry this many significant digits (ROUND_HALF_EVEN).
PROBABILITY_DIGITS = 30
#: Working precision (significant digits) of every internal computation.
_WORKING_DIGITS = 50

_PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459230781640629")
_ZERO = Decimal(0)
_HALF = Decimal("0.5")
_ONE = Decimal(1)
_TWO = Decimal(2)
# Below this |x| the Taylor-type series is used for Φ; at or above it the continued fraction.
_SERIES_LIMIT = Decimal(5)


class NotDecimalError(TypeError, ValueError):
    """An input was not a ``decimal.Decimal`` (both a TypeError and a ValueError)."""


def _context(prec: int = _WORKING_DIGITS) -> decimal.Context:
    return decimal.Context(
        prec=prec,
        rounding=ROUND_HALF_EVEN,
        Emax=decimal.MAX_EMAX,
        Emin=decimal.MIN_EMIN,
        traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
    )


def _require_decimal(name: str, value: object) -> Decimal:
    if isinstance(value, float):
        raise NotDecimalError(f"{name}: binary floats are not accepted; pass Decimal")
    if not isinstance(value, Decimal):
        raise NotDecimalError(f"{name} must be a decimal.Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _require_non_negative(name: str, value: object) -> Decimal:
    checked = _require_decimal(name, value)
    if checked < 0:
        raise ValueError(f"{name} must be >= 0, got {checked}")
    return checked


def _quantize_price(value: Decimal) -> Decimal:
    # Enough digits for the integer part plus ten decimals, however large the price.
    ctx = _context(max(_WORKING_DIGITS, value.adjusted() + 12))
    result = value.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN, context=ctx)
    return result.copy_abs() if result.is_zero() else result  # no "-0E-10"


# --- standard normal distribution (evaluated in the caller-provided working context) -----


def _pdf(x: Decimal) -> Decimal:
    """φ(x) = exp(−x²/2) / √(2π)."""
    return (-(x * x) / _TWO).exp() / (_TWO * _PI).sqrt()


def _cdf_minus_half_series(a: Decimal) -> Decimal:
    """Φ(a) − ½ = φ(a) · Σ_{n≥0} a^{2n+1} / (1·3·5···(2n+1)), a ≥ 0.

    Source: Abramowitz & Stegun 26.2.11 (Marsaglia, "Evaluating the Normal Distribution",
    J. Stat. Softw. 11(4), 2004). All terms are positive, so there is no cancellation.
    """
    ctx = decimal.getcontext()
    eps = Decimal(10) ** -(ctx.prec + 2)
    a2 = a * a
    term = a
    total = a
    n = 1
    # Stop once the ratio a²/(2n+1) is ≤ ½ (tail < last term) and the term is negligible.
    while True:
        term = term * a2 / (2 * n + 1)
        total += term
        if 2 * n + 1 >= 2 * a2 and term <= total * eps:
            break
        n += 1
    return _pdf(a) * total


def _upper_tail_cf(a: Decimal) -> Decimal:
    """1 − Φ(a) = φ(a) / (a + 1/(a + 2/(a + 3/(a + …)))), a > 0.

    Laplace's continued fraction for the Mills ratio (Abramowitz & Stegun 26.2.14),
    evaluated with the modified Lentz algorithm; every partial term is positive.
    """
    ctx = decimal.getcontext()
    eps = Decimal(10) ** -(ctx.prec + 1)
    f = a
    c = a
    d = _ZERO
    k = 1
    while True:
        d = _ONE / (a + k * d)
        c = a + k / c
        delta = c * d
        f *= delta
        if abs(delta - _ONE) <= eps:
            break
        k += 1
    return _pdf(a) / f


def _phi(x: Decimal) -> Decimal:
    """Φ(x) at the current context's precision (x finite)."""
    a = abs(x)
    if a < _SERIES_LIMIT:
        half_span = _cdf_minus_half_series(a)
        return _HALF + half_span if x >= 0 else _HALF - half_span
    tail = _upper_tail_cf(a)
    return _ONE - tail if x > 0 else tail


def norm_cdf(x: Decimal) -> Decimal:
    """Standard normal CDF Φ(x) = ½·(1 + erf(x/√2)), to 30 significant digits.

    |x| < 5: Φ(x) = ½ ± φ(|x|)·Σ |x|^{2n+1}/(2n+1)!! (A&S 26.2.11); |x| ≥ 5: Laplace's
    continued fraction for the Mills ratio (A&S 26.2.14). Working precision is 50 digits,
    so the absolute error is far below 1e-30. ±Infinity map to 1 and 0.
    """
    if isinstance(x, Decimal) and x.is_infinite():
        return _ONE if x > 0 else _ZERO
    value = _require_decimal("x", x)
    with decimal.localcontext(_context()):
        result = _phi(value)
    return _context(PROBABILITY_DIGITS).plus(result)


# --- Black–Scholes–Merton -----------------------------------------------------------------


def _bsm_call(
    spot: Decimal, strike: Decimal, years: Decimal, vol: Decimal, rate: Decimal, q: Decimal
) -> Decimal:
    """Unrounded BSM call in the current (working) context; inputs already validated."""
    if years == 0:
        return max(spot - strike, _ZERO)
    carry_discount = (-q * years).exp()  # e^{−qT}
    if strike == 0:
        return spot * carry_discount
    if spot == 0:
        return _ZERO
    discount = (-rate * years).exp()  # e^{−rT}
    if vol == 0:
        return max(spot * carry_discount - strike * discount, _ZERO)
    sd = vol * years.sqrt()
    d1 = ((spot / strike).ln() + (rate - q + vol * vol / _TWO) * years) / sd
    d2 = d1 - sd
    return spot * carry_discount * _phi(d1) - strike * discount * _phi(d2)


def black_scholes_call(
    spot: Decimal,
    strike: Decimal,
    years: Decimal,
    vol: Decimal,
    rate: Decimal,
    dividend_yield: Decimal = _ZERO,
) -> Decimal:
    """European call per share, Black–Scholes–Merton (Merton 1973; Haug 2007, §1.1.6).

    C = S·e^{−qT}·Φ(d1) − K·e^{−rT}·Φ(d2), d1 = [ln(S/K) + (r − q + σ²/2)T] / (σ√T),
    d2 = d1 − σ√T, with rates continuously compounded and T in years.
    Edge cases: T = 0 → max(S − K, 0); K = 0 → S·e^{−qT}; σ = 0 → max(S·e^{−qT} − K·e^{−rT}, 0).
    Result quantized to 1E-10 per share, ROUND_HALF_EVEN.
    """
    s = _require_non_negative("spot", spot)
    k = _require_non_negative("strike", strike)
    t = _require_non_negative("years", years)
    v = _require_non_negative("vol", vol)
    r = _require_decimal("rate", rate)
    q = _require_decimal("dividend_yield", dividend_yield)
    return _priced_call(s, k, t, v, r, q)


@functools.lru_cache(maxsize=1 << 16)
def _priced_call(s: Decimal, k: Decimal, t: Decimal, v: Decimal, r: Decimal, q: Decimal) -> Decimal:
    """The quantized call for validated inputs, remembered: a figure series prices the same
    grant at its grant date once per quarter, and the result is a function of the values alone
    (decimal's operations are correctly rounded, and the price is quantized)."""
    with decimal.localcontext(_context()):
        value = _bsm_call(s, k, t, v, r, q)
    return _quantize_price(value)


# --- up-and-in barrier call ---------------------------------------------------------------


def _up_and_in_call(
    spot: Decimal,
    strike: Decimal,
    barrier: Decimal,
    years: Decimal,
    vol: Decimal,
    rate: Decimal,
    q: Decimal,
) -> Decimal:
    """Unrounded up-and-in call in the current (working) context; inputs validated."""
    if spot >= barrier:  # already knocked in
        return _bsm_call(spot, strike, years, vol, rate, q)
    if years == 0 or spot == 0:  # cannot reach the barrier any more
        return _ZERO
    carry = rate - q
    if vol == 0:
        # Deterministic path S·e^{bt}: knocked in iff it reaches H by T (needs b > 0).
        if spot * (carry * years).exp() >= barrier:
            return _bsm_call(spot, strike, years, vol, rate, q)
        return _ZERO
    if strike >= barrier:  # ending above K ≥ H implies the barrier was hit: A = vanilla
        return _bsm_call(spot, strike, years, vol, rate, q)

    # Haug (2007) §4.17.1 "Standard Barrier Options", η = −1, φ = 1, K < H, rebate 0:
    #   C_ui = B − C + D
    sd = vol * years.sqrt()
    mu = (carry - vol * vol / _TWO) / (vol * vol)
    shift = (_ONE + mu) * sd
    s_fwd = spot * (-q * years).exp()  # S·e^{(b−r)T}
    k_disc = strike * (-rate * years).exp()  # K·e^{−rT}
    ln_h_over_s = (barrier / spot).ln()
    pow_s = (_TWO * (mu + _ONE) * ln_h_over_s).exp()  # (H/S)^{2(μ+1)}
    pow_k = (_TWO * mu * ln_h_over_s).exp()  # (H/S)^{2μ}

    x2 = -ln_h_over_s / sd + shift  # ln(S/H)/(σ√T) + (1+μ)σ√T
    y2 = ln_h_over_s / sd + shift  # ln(H/S)/(σ√T) + (1+μ)σ√T
    term_b = s_fwd * _phi(x2) - k_disc * _phi(x2 - sd)
    term_d = s_fwd * pow_s * _phi(-y2) - k_disc * pow_k * _phi(-y2 + sd)
    if strike == 0:
        term_c = _ZERO  # y1 → +∞, so Φ(−y1) = 0 and the K-leg vanishes
    else:
        y1 = (barrier * barrier / (spot * strike)).ln() / sd + shift
        term_c = s_fwd * pow_s * _phi(-y1) - k_disc * pow_k * _phi(-y1 + sd)
    return term_b - term_c + term_d


def up_and_in_call(
    spot: Decimal,
    strike: Decimal,
    barrier: Decimal,
    years: Decimal,
    vol: Decimal,
    rate: Decimal,
    dividend_yield: Decimal = _ZERO,
) -> Decimal:
    """Continuously monitored up-and-in call per share, zero rebate.

    Closed form of Reiner & Rubinstein (1991), "Breaking Down the Barriers", as given in
    Haug, *The Complete Guide to Option Pricing Formulas* (2nd ed., 2007), §4.17.1 with
    η = −1, φ = 1, b = r − q, μ = (b − σ²/2)/σ²:
    K ≥ H → A (the vanilla call); K < H → B − C + D.
    If S ≥ H the barrier is already touched and the vanilla call is returned; with S < H,
    T = 0 or S = 0 gives 0, and σ = 0 follows the deterministic forward path.
    Result quantized to 1E-10 per share, ROUND_HALF_EVEN.
    """
    s = _require_non_negative("spot", spot)
    k = _require_non_negative("strike", strike)
    h = _require_decimal("barrier", barrier)
    if h <= 0:
        raise ValueError(f"barrier must be > 0, got {h}")
    t = _require_non_negative("years", years)
    v = _require_non_negative("vol", vol)
    r = _require_decimal("rate", rate)
    q = _require_decimal("dividend_yield", dividend_yield)
    return _priced_up_and_in(s, k, h, t, v, r, q)


@functools.lru_cache(maxsize=1 << 16)
def _priced_up_and_in(
    s: Decimal, k: Decimal, h: Decimal, t: Decimal, v: Decimal, r: Decimal, q: Decimal
) -> Decimal:
    """The quantized up-and-in call for validated inputs, remembered (as :func:`_priced_call`)."""
    with decimal.localcontext(_context()):
        value = _up_and_in_call(s, k, h, t, v, r, q)
    return _quantize_price(value)
