"""float64 hyperbolic functions, cbrt and hypot as plain IR (see ``mathlib.py``).

Each works on double-double pairs from ``mathlib`` and rounds once at the end:
- cosh(a) = 2**(k-1) (t + 2**-2k / t) and, for a >= 0.35 (k >= 1, so the difference
  loses at most 2 bits, which the pair absorbs), sinh(a) = 2**(k-1) (t - 2**-2k / t),
  with e**a = 2**k t; below 0.35 sinh is its Taylor series (terms after a below 1/50
  of the result). The scaling by 2**(k-1) is exact and cannot overflow before the
  result does.
- tanh(a) = E / (E + 2) with E = expm1(2a) as a pair; 1 from a = 22 on.
- asinh(a) = log1p(a + a**2 / (1 + sqrt(1 + a**2))), acosh(x) = log1p(t + sqrt(x**2 - 1))
  with t = x - 1 (exact), atanh(a) = log1p(2a / (1 - a)) / 2: the arguments as pairs
  (exact squares, a corrected square root, a remainder-corrected quotient), log1p of a
  pair. From 2**28 on asinh and acosh are log(x) + ln 2 (the rest is below 2**-58).
- cbrt: exp(log|x| / 3), then one Newton step whose residual y**3 - x is exact enough
  (FMA), so only the last subtraction rounds.
- hypot: both operands scaled by the larger one's power of two, the sum of squares
  exact as a pair, a corrected square root, the scale undone exactly.
pow is in ``mathlib_pow.py``.
"""
from __future__ import annotations

import math

from simt.ir import Op, Value
from simt.ir.types import float64, int32, int64

from .irbuild import Lowering
from .mathlib import (DD, INF, LN2, LN2_TAIL, NAN, clamp, copysign, dd_add, dd_div, dd_round,
                      dd_sqrt, exp, exp_parts, expm1_parts, fabs, fast_two_sum, fma, isinf, isnan,
                      log, log1p_dd, log_dd, poly, pow2, scale, scale_round, two_product,
                      two_sum)

LARGE = 22.0                # tanh: beyond it tanh rounds to 1
HUGE = 268435456.0          # 2**28: x*x + 1 == x*x
CBRT_SCALED_BELOW = 2.0 ** -900
SINH_SERIES_TO = 0.35       # below: the series; above: k >= 1
SINH_TAIL = [1.0 / math.factorial(2 * n + 3) for n in range(7)]   # (sinh a - a) / a**3 in a**2


def _exp_and_inverse(b: Lowering, a: Value) -> tuple[Value, DD, DD]:
    """(k, t, v) with e**a = 2**k t and e**-a = 2**k v (v = 2**-2k / t), t and v pairs,
    for a >= 0 (clamped to 760); 2**-2k stops at 2**-200, where v no longer counts."""
    kf, t = exp_parts(b, a)
    inverse = dd_div(b, (b.const(1.0, float64), b.const(0.0, float64)), t)
    factor = pow2(b, b.cast(b.mul(clamp(b, kf, -100.0, 100.0), -2.0), int32))
    return kf, t, (b.mul(inverse[0], factor), b.mul(inverse[1], factor))     # exact


def cosh(b: Lowering, x: Value) -> Value:
    kf, t, inverse = _exp_and_inverse(b, fabs(b, x))
    out = scale(b, dd_round(b, dd_add(b, t, inverse)), b.cast(b.sub(kf, 1.0), int32))
    return b.select(isnan(b, x), x, out)


def sinh(b: Lowering, x: Value) -> Value:
    a = fabs(b, x)
    kf, t, inverse = _exp_and_inverse(b, a)
    difference = dd_add(b, t, (b.neg(inverse[0]), b.neg(inverse[1])))
    large = scale(b, dd_round(b, difference), b.cast(b.sub(kf, 1.0), int32))
    square = b.mul(a, a)
    small = b.add(a, b.mul(b.mul(a, square), poly(b, square, SINH_TAIL)))
    out = b.select(b.lt(a, SINH_SERIES_TO), small, large)
    return copysign(b, b.select(isnan(b, x), x, out), x)


def tanh(b: Lowering, x: Value) -> Value:
    a = fabs(b, x)
    kf, (head, low) = expm1_parts(b, b.mul(clamp(b, a, 0.0, LARGE), 2.0))
    k = b.cast(kf, int32)
    e_hi, e_lo = two_sum(b, scale(b, head, k), scale(b, low, k))     # exact scalings
    denominator = dd_add(b, (e_hi, e_lo), (b.const(2.0, float64), b.const(0.0, float64)))
    out = dd_round(b, dd_div(b, (e_hi, e_lo), denominator))
    out = b.select(b.ge(a, LARGE), 1.0, out)
    return copysign(b, b.select(isnan(b, x), x, out), x)


def _log_2x(b: Lowering, a: Value) -> Value:
    """log(2a) = log(a) + ln 2 rounded once, for finite a > 0."""
    return dd_round(b, dd_add(b, log_dd(b, a), (b.const(LN2, float64), b.const(LN2_TAIL, float64))))


def asinh(b: Lowering, x: Value) -> Value:
    a = fabs(b, x)
    square = two_product(b, a, a)
    one_plus = fast_two_sum(b, b.const(1.0, float64), square[0])
    root = dd_sqrt(b, (one_plus[0], b.add(one_plus[1], square[1])))            # sqrt(1 + a*a)
    fraction = dd_div(b, square, fast_two_sum(b, root[0], b.add(root[1], 1.0)))
    head, error = fast_two_sum(b, a, fraction[0])                           # a >= a*a/(1+root)
    moderate = dd_round(b, log1p_dd(b, (head, b.add(error, fraction[1]))))
    out = b.select(b.gt(a, HUGE), _log_2x(b, a), moderate)
    out = b.select(b.or_(isinf(b, a), isnan(b, a)), a, out)
    return copysign(b, out, x)


def acosh(b: Lowering, x: Value) -> Value:
    t = b.sub(x, 1.0)                                   # exact for 1 <= x <= 2**28
    square = two_product(b, x, x)
    minus_one = two_sum(b, square[0], b.const(-1.0, float64))   # x*x - 1 >= 0
    root = dd_sqrt(b, fast_two_sum(b, minus_one[0], b.add(minus_one[1], square[1])))
    head, error = fast_two_sum(b, root[0], t)           # root >= t
    moderate = dd_round(b, log1p_dd(b, (head, b.add(error, root[1]))))
    out = b.select(b.gt(x, HUGE), _log_2x(b, x), moderate)
    out = b.select(b.eq(x, INF), INF, out)
    return b.select(b.or_(b.lt(x, 1.0), isnan(b, x)), NAN, out)


def atanh(b: Lowering, x: Value) -> Value:
    a = fabs(b, x)
    denominator = two_sum(b, b.const(1.0, float64), b.neg(a))
    ratio = dd_div(b, (b.mul(a, 2.0), b.const(0.0, float64)), denominator)
    out = b.mul(dd_round(b, log1p_dd(b, ratio)), 0.5)                   # halving is exact
    out = b.select(b.eq(a, 1.0), INF, out)
    out = b.select(b.or_(b.gt(a, 1.0), isnan(b, a)), NAN, out)
    return copysign(b, out, x)


def cbrt(b: Lowering, x: Value) -> Value:
    """exp(log|x| / 3) refined by one Newton step; 0, inf and NaN pass through."""
    a = fabs(b, x)
    # scale by 2**162 = (2**54)**3 where the residual below would lose bits to underflow
    tiny = b.lt(a, CBRT_SCALED_BELOW)
    a_scaled = b.select(tiny, b.mul(a, 5.846006549323612e+48), a)
    y = exp(b, b.div(log(b, a_scaled), 3.0))
    square, square_error = two_product(b, y, y)
    residual = b.add(fma(b, y, square, b.neg(a_scaled)), b.mul(y, square_error))   # y**3 - a
    y = b.sub(y, b.div(residual, b.mul(square, 3.0)))
    y = b.select(tiny, b.mul(y, 5.551115123125783e-17), y)      # 2**-54
    passthrough = b.or_(b.or_(b.eq(a, 0.0), isinf(b, a)), isnan(b, a))
    return copysign(b, b.select(passthrough, a, y), x)


def hypot(b: Lowering, x: Value, y: Value) -> Value:
    ax, ay = fabs(b, x), fabs(b, y)
    big = b.select(b.gt(ay, ax), ay, ax)
    small = b.select(b.gt(ay, ax), ax, ay)
    # big = 2**e * [1, 2): scale both by 2**-e (subnormal big: by 2**1022), exactly
    biased = b.shift(Op.SHR, b.bitcast(big, int64), 52)
    e = b.cast(b.sub(b.select(b.eq(biased, 0), b.const(1, int64), biased), 1023), int32)
    e = b.select(b.gt(e, 1023), b.const(0, int32), e)               # inf, NaN: any scale
    minus_e = b.neg(e)
    big_s, small_s = scale(b, big, minus_e), scale(b, small, minus_e)
    big_sq, small_sq = two_product(b, big_s, big_s), two_product(b, small_s, small_s)
    total = fast_two_sum(b, big_sq[0], small_sq[0])
    root = dd_sqrt(b, fast_two_sum(b, total[0], b.add(total[1], b.add(big_sq[1], small_sq[1]))))
    out = scale_round(b, root, b.cast(e, float64))
    out = b.select(b.eq(big, 0.0), 0.0, out)
    out = b.select(b.or_(isnan(b, x), isnan(b, y)), NAN, out)
    return b.select(b.or_(isinf(b, x), isinf(b, y)), INF, out)
