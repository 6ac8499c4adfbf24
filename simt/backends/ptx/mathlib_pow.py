"""float64 ``pow`` as plain IR, accurate to about an ulp (see ``mathlib.py`` for conventions).

``pow(x, y) = 2 ** (y * log2|x|)``, where the error of the result is the error of the
product ``t = y * log2|x|`` times ``ln 2`` (relative): with t up to 1075 in magnitude a
double-precision ``log2`` would cost up to ~10 bits. So ``log2|x|`` is computed as a sum
of two doubles (double-double): ``x = 2**e * m`` exactly, ``log(m) = 2 atanh(s)`` with
``s = (m - 1)/(m + 1)`` carried with its rounding error (FMA), the 2s and (2/3)s^3 terms
of the series as sums of two doubles and the rest (below 2**-13) in plain double, the
product with ``1/ln 2`` (itself two doubles) and the sum with ``e`` exact (``log2_dd``);
``t`` is the double-double product ``y * log2|x|``, and ``2**t = 2**k * exp(f ln 2)``
with ``k = round(t)`` and ``f = t - k`` a pair: ``exp2_reduced`` and ``scale_round`` of
``mathlib.py`` (also exp2's) round it once, subnormal results included.
The C99 special cases (zeros, infinities, NaN, negative x with integer y) are selects.

Measured (``tests/ptx/test_mathlib.py::test_pow``): within 1 ulp of NumPy (glibc) on its
samples (|y| <= 30, x up to 1e300), against 159 ulp for the plain-double formula this
replaced. With the (2/3)s^3 term in double-double (it was plain double: up to 15-20 ulp for
|y| near 1000) see docs/mathlib.md for the measured bound.
"""
from __future__ import annotations

from simt.ir import Op, Value
from simt.ir.types import float64

from .irbuild import Lowering
from .mathlib import (INF, NAN, exp2_reduced, fabs, fast_two_sum, isnan, log2_dd, round_to_int,
                      scale_round, signbit, two_product)


def exp2_double_double(b: Lowering, t_hi: Value, t_lo: Value) -> Value:
    """2 ** (t_hi + t_lo), rounded once at the end (over/underflow saturate)."""
    clamped = b.select(b.gt(t_hi, 1100.0), 1100.0, t_hi)
    clamped = b.select(b.lt(clamped, -1100.0), -1100.0, clamped)
    k = round_to_int(b, clamped)
    f = fast_two_sum(b, b.sub(clamped, k), t_lo)      # t_hi - k is exact, a multiple of ulp(t_hi)
    return scale_round(b, exp2_reduced(b, f), k)


def _is_integer(b: Lowering, y: Value) -> Value:
    return b.eq(b.unary(Op.FLOOR, y), y)


def pow(b: Lowering, x: Value, y: Value) -> Value:
    """C99 pow (see the module docstring)."""
    ax = fabs(b, x)
    log_hi, log_lo = log2_dd(b, ax)
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
