"""float64 trigonometric functions and their inverses as plain IR (see ``mathlib.py``).

sin/cos/tan reduce x by k * pi/2 and use Taylor polynomials on [-pi/4, pi/4]:
- |x| <= pi/4: r = x;
- above (up to the largest double): Payne-Hanek (selects evaluate both paths anyway,
  so the cheaper Cody-Waite ``reduce_quadrant`` is not used: it is less accurate). x = M * 2**E (M a 53-bit integer);
  the bits of 2/pi that only contribute multiples of 4 to x * 2/pi are skipped, the
  next 5 * 53 bits (``TWO_OVER_PI_CHUNKS``, picked by E with selects) are multiplied by
  x exactly (``two_product``: 10 doubles), each reduced mod 4 exactly, and summed
  with error-free transformations (three VecSum passes, Ogita-Rump-Oishi; the
  integer part is taken out after the first), which leaves r = x * 2/pi - k as a sum
  of two doubles good to ~2**-150: enough for the hardest double argument (r ~ 2**-61).
  The low part of r * pi/2 enters the result as sin(a + b) = sin a + b cos a.
atan reduces to [0, tan(pi/8)] with 1/x and (x-1)/(x+1); atan2, asin and acos build
on it with the C99 special cases.
"""
from __future__ import annotations

import math

from simt.ir import Op, Value
from simt.ir.types import float64, int32, int64

from .irbuild import Lowering
from .mathlib import (NAN, copysign, fabs, fast_two_sum, fma, isinf, isnan, poly, round_to_int,
                      scale, signbit, two_product, two_sum)

PIO2_PARTS = (1.5707963267341256, 6.077100506303966e-11, 2.0222662487111665e-21,
              8.4784276603689e-32)
TWO_OVER_PI = 0.6366197723675814
PI_HI, PI_LO = 3.141592653589793, 1.2246467991473532e-16
PIO2_HI, PIO2_LO = 1.5707963267948966, 6.123233995736766e-17
PIO4_HI, PIO4_LO = 0.7853981633974483, 3.061616997868383e-17
TAN_PI_8 = 0.41421356237309503
PAYNE_HANEK_FROM = 0.7853981633974483     # pi/4

# floor(2/pi * 2**1325): the first 25 * 53 bits of 2/pi after the binary point
_TWO_OVER_PI_BITS = int(
    "145f306dc9c882a53f84eafa3ea69bb81b6c52b3278872083fca2c757bd778ac36e48dc74849ba5c00c925"
    "dd413a32439fc3bd63962534e7dd1046bea5d768909d338e04d68befc827323ac7306a673e93908bf177bf"
    "250763ff12fffbc0b301fde5e2316b414da3eda6cfd9e4f96136e9e8c7ecd3cbfd45aea4f758fd7cbe2f67"
    "a0e73ef14a525d4d7f6bf623f1aba10ac06608df8f6d757e19f784135e86c3b53c722c2bdc", 16)
TWO_OVER_PI_CHUNKS = [float((_TWO_OVER_PI_BITS >> (53 * (24 - i))) & ((1 << 53) - 1))
                      for i in range(25)]    # chunk i: bits 53i+1 .. 53i+53 (exact integers)
PH_TERMS = 5
PH_MAX_SKIP = 18                      # skipped chunks for the largest double (E = 971)

SIN_TAYLOR = [(-1.0) ** n / math.factorial(2 * n + 1) for n in range(1, 10)]  # (sin r - r)/r^3
COS_TAYLOR = [(-1.0) ** n / math.factorial(2 * n) for n in range(10)]        # in r^2
ATAN_SERIES = [(-1.0) ** n / (2 * n + 1) for n in range(1, 22)]              # (atan t - t)/t^3


def reduce_quadrant(b: Lowering, x: Value) -> tuple[Value, Value]:
    """(r, q): x = k * pi/2 + r with |r| <= ~pi/4 and q = k mod 4 (int64), Cody-Waite."""
    kf = round_to_int(b, b.mul(x, TWO_OVER_PI))
    r = x
    for part in PIO2_PARTS:
        r = b.sub(r, b.mul(kf, part))
    q = b.and_(b.cast(kf, int64), 3)
    return r, q


def _mod4(b: Lowering, v: Value) -> Value:
    """v - 4n for an integer n that leaves |result| <= 2: exact for every finite double
    (v and 4n are within a factor of 2, or n = 0)."""
    q = b.mul(v, 0.25)
    n = b.select(b.lt(fabs(b, q), 2.0 ** 51), round_to_int(b, q), b.unary(Op.FLOOR, q))
    return b.sub(v, b.mul(n, 4.0))


def _vec_sum(b: Lowering, p: list[Value]) -> list[Value]:
    """Error-free VecSum: same exact sum, p[-1] the rounded sum, the rest the errors."""
    p = list(p)
    for i in range(1, len(p)):
        p[i], p[i - 1] = two_sum(b, p[i], p[i - 1])
    return p


def reduce_payne_hanek(b: Lowering, ax: Value) -> tuple[Value, Value, Value]:
    """(r_hi, r_lo, q): ax = k * pi/2 + r_hi + r_lo, |r| <= ~pi/4, q = k mod 4 (int64),
    for finite ax >= 2**-900 (see the module docstring)."""
    biased = b.shift(Op.SHR, b.bitcast(ax, int64), 52)
    exponent = b.cast(b.sub(biased, 1075), float64)           # ax = M * 2**exponent
    skip = b.unary(Op.FLOOR, b.div(b.sub(exponent, 2.0), 53.0))
    skip = b.select(b.lt(skip, 0.0), 0.0, skip)
    skip = b.select(b.gt(skip, float(PH_MAX_SKIP)), float(PH_MAX_SKIP), skip)
    skip_int = b.cast(skip, int32)
    xs = scale(b, ax, b.mul(b.add(skip_int, 1), -53))        # exact: M * 2**(E - 53(j+1))
    is_skip = [b.eq(skip, float(v)) for v in range(PH_MAX_SKIP)]
    parts = []
    for t in range(PH_TERMS):
        chunk = b.const(TWO_OVER_PI_CHUNKS[PH_MAX_SKIP + t], float64)
        for v in reversed(range(PH_MAX_SKIP)):
            chunk = b.select(is_skip[v], TWO_OVER_PI_CHUNKS[v + t], chunk)
        hi, lo = two_product(b, xs, chunk)
        weight = 2.0 ** (-53 * t)
        parts += [_mod4(b, b.mul(hi, weight)), _mod4(b, b.mul(lo, weight))]
    parts = _vec_sum(b, parts)
    k = round_to_int(b, parts[-1])
    parts[-1] = b.sub(parts[-1], k)                           # exact
    parts = _vec_sum(b, _vec_sum(b, parts))
    rest = parts[0]
    for p in parts[1:-1]:
        rest = b.add(rest, p)
    f_hi, f_lo = fast_two_sum(b, parts[-1], rest)            # x * 2/pi - k, in [-1/2, 1/2]
    r_hi = b.mul(f_hi, PIO2_HI)
    r_lo = b.add(fma(b, f_hi, PIO2_HI, b.neg(r_hi)),
                 b.add(b.mul(f_hi, PIO2_LO), b.mul(f_lo, PIO2_HI)))
    return r_hi, r_lo, b.and_(b.cast(k, int64), 3)


def reduce(b: Lowering, x: Value) -> tuple[Value, Value, Value]:
    """(r_hi, r_lo, q) for any x (NaN and inf give garbage, selected away by callers)."""
    ax = fabs(b, x)
    huge = b.gt(ax, PAYNE_HANEK_FROM)
    safe = b.select(b.and_(huge, b.lt(ax, math.inf)), ax, PAYNE_HANEK_FROM * 2)
    ph_hi, ph_lo, ph_q = reduce_payne_hanek(b, safe)
    negative = signbit(b, x)
    ph_hi = b.select(negative, b.neg(ph_hi), ph_hi)
    ph_lo = b.select(negative, b.neg(ph_lo), ph_lo)
    ph_q = b.select(negative, b.and_(b.neg(ph_q), 3), ph_q)
    return (b.select(huge, ph_hi, x), b.select(huge, ph_lo, 0.0),
            b.select(huge, ph_q, b.const(0, int64)))


def sin_poly(b: Lowering, r: Value) -> Value:
    z = b.mul(r, r)
    return b.add(r, b.mul(b.mul(r, z), poly(b, z, SIN_TAYLOR)))


def cos_poly(b: Lowering, r: Value) -> Value:
    return poly(b, b.mul(r, r), COS_TAYLOR)


def _sin_cos(b: Lowering, x: Value) -> tuple[Value, Value, Value]:
    """(sin r, cos r, q) with x = k * pi/2 + r, q = k mod 4."""
    r_hi, r_lo, q = reduce(b, x)
    s, c = sin_poly(b, r_hi), cos_poly(b, r_hi)
    return b.add(s, b.mul(r_lo, c)), b.sub(c, b.mul(r_lo, s)), q


def _by_quadrant(b: Lowering, q: Value, values: list[Value]) -> Value:
    out = values[3]
    for index in (2, 1, 0):
        out = b.select(b.eq(q, index), values[index], out)
    return out


def _finite_only(b: Lowering, x: Value, result: Value) -> Value:
    return b.select(b.or_(isinf(b, x), isnan(b, x)), NAN, result)


def sin(b: Lowering, x: Value) -> Value:
    s, c, q = _sin_cos(b, x)
    return _finite_only(b, x, _by_quadrant(b, q, [s, c, b.neg(s), b.neg(c)]))


def cos(b: Lowering, x: Value) -> Value:
    s, c, q = _sin_cos(b, x)
    return _finite_only(b, x, _by_quadrant(b, q, [c, b.neg(s), b.neg(c), s]))


def tan(b: Lowering, x: Value) -> Value:
    s, c, q = _sin_cos(b, x)
    odd = b.ne(b.and_(q, 1), 0)
    return _finite_only(b, x, b.select(odd, b.neg(b.div(c, s)), b.div(s, c)))


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
