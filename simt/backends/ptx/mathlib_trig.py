"""float64 trigonometric functions and their inverses as plain IR (see ``mathlib.py``).

sin/cos/tan reduce x by k * pi/2 with a four-part Cody-Waite constant (32 significant
bits per part, so ``k * part`` is exact for |k| < 2**21, i.e. |x| < ~3.2e6) and use
Taylor polynomials on [-pi/4, pi/4]. Beyond that range the reduction loses accuracy
gradually (measured max abs error: 7e-10 at 1e7, 6e-8 at 1e9, 6e-5 at 1e12, 0.06 at
1e15) and above ``HUGE_ARGUMENT`` (2**50) sin/cos/tan return NaN rather than garbage:
Payne-Hanek reduction belongs to the accurate library, a later issue.
atan reduces to [0, tan(pi/8)] with 1/x and (x-1)/(x+1); atan2, asin and acos build
on it with the C99 special cases.
"""
from __future__ import annotations

import math

from simt.ir import Op, Value
from simt.ir.types import float64, int64

from .irbuild import Lowering
from .mathlib import NAN, copysign, fabs, isinf, isnan, poly, round_to_int, signbit

PIO2_PARTS = (1.5707963267341256, 6.077100506303966e-11, 2.0222662487111665e-21,
              8.4784276603689e-32)
TWO_OVER_PI = 0.6366197723675814
PI_HI, PI_LO = 3.141592653589793, 1.2246467991473532e-16
PIO2_HI, PIO2_LO = 1.5707963267948966, 6.123233995736766e-17
PIO4_HI, PIO4_LO = 0.7853981633974483, 3.061616997868383e-17
TAN_PI_8 = 0.41421356237309503
HUGE_ARGUMENT = 1125899906842624.0     # 2**50

SIN_TAYLOR = [(-1.0) ** n / math.factorial(2 * n + 1) for n in range(1, 10)]  # (sin r - r)/r^3
COS_TAYLOR = [(-1.0) ** n / math.factorial(2 * n) for n in range(10)]        # in r^2
ATAN_SERIES = [(-1.0) ** n / (2 * n + 1) for n in range(1, 22)]              # (atan t - t)/t^3


def reduce_quadrant(b: Lowering, x: Value) -> tuple[Value, Value]:
    """(r, q): x = k * pi/2 + r with |r| <= ~pi/4 and q = k mod 4 (int64)."""
    kf = round_to_int(b, b.mul(x, TWO_OVER_PI))
    r = x
    for part in PIO2_PARTS:
        r = b.sub(r, b.mul(kf, part))
    q = b.and_(b.cast(kf, int64), 3)
    return r, q


def sin_poly(b: Lowering, r: Value) -> Value:
    z = b.mul(r, r)
    return b.add(r, b.mul(b.mul(r, z), poly(b, z, SIN_TAYLOR)))


def cos_poly(b: Lowering, r: Value) -> Value:
    return poly(b, b.mul(r, r), COS_TAYLOR)


def _by_quadrant(b: Lowering, q: Value, values: list[Value]) -> Value:
    out = values[3]
    for index in (2, 1, 0):
        out = b.select(b.eq(q, index), values[index], out)
    return out


def _unless_huge(b: Lowering, x: Value, result: Value) -> Value:
    return b.select(b.gt(fabs(b, x), HUGE_ARGUMENT), NAN, result)


def sin(b: Lowering, x: Value) -> Value:
    r, q = reduce_quadrant(b, x)
    s, c = sin_poly(b, r), cos_poly(b, r)
    return _unless_huge(b, x, _by_quadrant(b, q, [s, c, b.neg(s), b.neg(c)]))


def cos(b: Lowering, x: Value) -> Value:
    r, q = reduce_quadrant(b, x)
    s, c = sin_poly(b, r), cos_poly(b, r)
    return _unless_huge(b, x, _by_quadrant(b, q, [c, b.neg(s), b.neg(c), s]))


def tan(b: Lowering, x: Value) -> Value:
    r, q = reduce_quadrant(b, x)
    s, c = sin_poly(b, r), cos_poly(b, r)
    odd = b.ne(b.and_(q, 1), 0)
    return _unless_huge(b, x, b.select(odd, b.neg(b.div(c, s)), b.div(s, c)))


def atan_unit(b: Lowering, t: Value) -> Value:
    """atan(t) for t in [0, 1] (NaN passes through)."""
    shifted = b.gt(t, TAN_PI_8)
    u = b.select(shifted, b.div(b.sub(t, 1.0), b.add(t, 1.0)), t)
    z = b.mul(u, u)
    a = b.add(u, b.mul(b.mul(u, z), poly(b, z, ATAN_SERIES)))
    return b.select(shifted, b.add(b.add(a, PIO4_LO), PIO4_HI), a)


def atan(b: Lowering, x: Value) -> Value:
    ax = fabs(b, x)
    inverted = b.gt(ax, 1.0)
    a = atan_unit(b, b.select(inverted, b.div(b.const(1.0, float64), ax), ax))
    a = b.select(inverted, b.sub(b.const(PIO2_HI, float64), b.sub(a, PIO2_LO)), a)
    return copysign(b, a, x)


def atan2(b: Lowering, y: Value, x: Value) -> Value:
    ax, ay = fabs(b, x), fabs(b, y)
    swap = b.gt(ay, ax)
    num = b.select(swap, ax, ay)
    den = b.select(swap, ay, ax)
    t = b.div(num, den)
    t = b.select(b.eq(den, 0.0), 0.0, t)                             # atan2(±0, ±0)
    t = b.select(b.and_(isinf(b, x), isinf(b, y)), 1.0, t)         # atan2(±inf, ±inf)
    a = atan_unit(b, t)
    a = b.select(swap, b.sub(b.const(PIO2_HI, float64), b.sub(a, PIO2_LO)), a)
    a = b.select(signbit(b, x), b.sub(b.const(PI_HI, float64), b.sub(a, PI_LO)), a)
    a = copysign(b, a, y)
    return b.select(b.or_(isnan(b, x), isnan(b, y)), b.add(x, y), a)


def _cos_of_asin(b: Lowering, x: Value) -> Value:
    """sqrt(1 - x*x) as sqrt((1 - x)(1 + x)): 1 - x is exact where it matters."""
    return b.unary(Op.SQRT, b.mul(b.sub(b.const(1.0, float64), x), b.add(x, 1.0)))


def asin(b: Lowering, x: Value) -> Value:
    out = atan2(b, x, _cos_of_asin(b, x))
    return b.select(b.gt(fabs(b, x), 1.0), NAN, out)


def acos(b: Lowering, x: Value) -> Value:
    out = atan2(b, _cos_of_asin(b, x), x)
    return b.select(b.gt(fabs(b, x), 1.0), NAN, out)
