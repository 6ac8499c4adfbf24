"""float64 ``pow`` as plain IR, accurate to about an ulp (see ``mathlib.py`` for conventions).

``pow(x, y) = 2 ** (y * log2|x|)``, where the error of the result is the error of the
product ``t = y * log2|x|`` times ``ln 2`` (relative): with t up to 1075 in magnitude a
double-precision ``log2`` would cost up to ~10 bits. So ``log2|x|`` is computed as a sum
of two doubles (double-double): ``x = 2**e * m`` exactly, ``log(m) = 2 atanh(s)`` with
``s = (m - 1)/(m + 1)`` carried with its rounding error (FMA), the 2s and (2/3)s^3 terms
of the series as sums of two doubles and the rest (below 2**-13) in plain double, the product with ``1/ln 2`` (itself two doubles) and the sum with ``e`` exact;
``t`` is the double-double product ``y * log2|x|``, and ``2**t = 2**k * exp(f ln 2)``
with ``k = round(t)`` and ``f`` the (small, exactly known up to the low part) rest.
The C99 special cases (zeros, infinities, NaN, negative x with integer y) are selects.

Measured (``tests/ptx/test_mathlib.py::test_pow``): within 1 ulp of NumPy (glibc) on its
samples (|y| <= 30, x up to 1e300), against 159 ulp for the plain-double formula this
replaced. With the (2/3)s^3 term in double-double (it was plain double: up to 15-20 ulp for
|y| near 1000) see docs/mathlib.md for the measured bound.
"""
from __future__ import annotations

from decimal import Decimal

from simt.ir import Op, Value
from simt.ir.types import float64, int32

from .irbuild import Lowering
from .mathlib import (EXP_TAYLOR, INF, LN2, LOG_SERIES, NAN, fabs, fast_two_sum, fma, isnan,
                      poly, round_to_int, scale, signbit, split_exponent, two_product, two_sum)

_INV_LN2 = Decimal("1.442695040888963407359924681001892137426645954152985934135449407")
INV_LN2_HI = float(_INV_LN2)
INV_LN2_LO = float(_INV_LN2 - Decimal(INV_LN2_HI))
TWO_THIRDS_HI = 2.0 / 3.0
TWO_THIRDS_LO = float(Decimal(2) / Decimal(3) - Decimal(TWO_THIRDS_HI))


def log2_double_double(b: Lowering, x: Value) -> tuple[Value, Value]:
    """log2(x) as hi + lo, for finite x > 0 (other x give finite garbage)."""
    e, m = split_exponent(b, x)
    one = b.const(1.0, float64)
    numerator = b.sub(m, one)                          # exact (Sterbenz)
    den_hi, den_lo = two_sum(b, m, one)
    s_hi = b.div(numerator, den_hi)
    remainder = fma(b, b.neg(s_hi), den_hi, numerator)   # exact
    s_lo = b.div(b.sub(remainder, b.mul(s_hi, den_lo)), den_hi)
    # log(m) = 2s + (2/3)s^3 + s^5 * P(s^2): the s^3 term as a sum of two doubles too
    z, z_err = two_product(b, s_hi, s_hi)
    z_lo = b.add(z_err, b.mul(b.mul(s_hi, s_lo), 2.0))
    cube, cube_err = two_product(b, s_hi, z)
    cube_lo = b.add(cube_err, b.add(b.mul(s_hi, z_lo), b.mul(s_lo, z)))
    t3, t3_err = two_product(b, cube, b.const(TWO_THIRDS_HI, float64))
    t3_lo = b.add(t3_err, b.add(b.mul(cube, TWO_THIRDS_LO), b.mul(cube_lo, TWO_THIRDS_HI)))
    rest = b.mul(b.mul(cube, z), poly(b, z, LOG_SERIES[1:]))
    head, head_err = two_sum(b, b.mul(s_hi, 2.0), t3)
    low = b.add(b.add(head_err, b.mul(s_lo, 2.0)), b.add(t3_lo, rest))
    log_hi, log_lo = fast_two_sum(b, head, low)                  # log(m)
    p_hi, p_err = two_product(b, log_hi, b.const(INV_LN2_HI, float64))
    p_lo = b.add(p_err, b.add(b.mul(log_hi, INV_LN2_LO), b.mul(log_lo, INV_LN2_HI)))
    hi, err = two_sum(b, e, p_hi)
    return fast_two_sum(b, hi, b.add(err, p_lo))


def exp2_double_double(b: Lowering, t_hi: Value, t_lo: Value) -> Value:
    """2 ** (t_hi + t_lo), rounded once at the end (over/underflow saturate)."""
    clamped = b.select(b.gt(t_hi, 1100.0), 1100.0, t_hi)
    clamped = b.select(b.lt(clamped, -1100.0), -1100.0, clamped)
    k = round_to_int(b, clamped)
    f = b.add(b.sub(clamped, k), t_lo)                 # t_hi - k is exact
    return scale(b, poly(b, b.mul(f, LN2), EXP_TAYLOR), b.cast(k, int32))


def _is_integer(b: Lowering, y: Value) -> Value:
    return b.eq(b.unary(Op.FLOOR, y), y)


def pow(b: Lowering, x: Value, y: Value) -> Value:
    """C99 pow (see the module docstring)."""
    ax = fabs(b, x)
    log_hi, log_lo = log2_double_double(b, ax)
    t_hi, t_err = two_product(b, y, log_hi)
    t_lo = b.add(t_err, b.mul(y, log_lo))
    t_lo = b.select(b.le(fabs(b, t_hi), 1100.0), t_lo, 0.0)   # inf/NaN parts beyond the range
    magnitude = exp2_double_double(b, t_hi, t_lo)
    # |x| = 0 or inf: 2 ** (y * -inf or inf) by the sign of y
    zero_or_inf = b.or_(b.eq(ax, 0.0), b.eq(ax, INF))
    grows = b.not_(b.xor(b.lt(y, 0.0), b.eq(ax, 0.0)))  # (0, y<0) and (inf, y>0)
    magnitude = b.select(zero_or_inf, b.select(grows, b.const(INF, float64), 0.0), magnitude)
    magnitude = b.select(b.eq(ax, 1.0), 1.0, magnitude)    # (-1) ** ±inf, 1 ** y
    half = b.mul(y, 0.5)
    odd = b.and_(_is_integer(b, y), b.ne(b.unary(Op.FLOOR, half), half))
    out = b.select(b.and_(odd, signbit(b, x)), b.neg(magnitude), magnitude)
    negative_finite = b.and_(b.lt(x, 0.0), b.ne(x, -INF))
    out = b.select(b.and_(negative_finite, b.not_(_is_integer(b, y))), NAN, out)
    out = b.select(b.or_(isnan(b, x), isnan(b, y)), NAN, out)
    out = b.select(b.eq(x, 1.0), 1.0, out)                 # 1 ** NaN
    return b.select(b.eq(y, 0.0), 1.0, out)                # x ** 0, NaN ** 0
