"""float64 trigonometric functions and their inverses as plain IR (see ``mathlib.py``).

sin/cos/tan reduce x by k * pi/2 to r = r_hi + r_lo (a pair), |r| <= pi/4:
- |x| <= pi/4: r = x;
- above (up to the largest double): Payne-Hanek (selects evaluate both paths anyway,
  so the cheaper Cody-Waite ``reduce_quadrant`` is not used: it is less accurate).
  x = M * 2**E (M a 53-bit integer);
  the bits of 2/pi that only contribute multiples of 4 to x * 2/pi are skipped, the
  next 5 * 53 bits (``TWO_OVER_PI_CHUNKS``, picked by E with selects) are multiplied by
  x exactly (``two_product``: 10 doubles), each reduced mod 4 exactly, and summed
  with error-free transformations (three VecSum passes, Ogita-Rump-Oishi; the
  integer part is taken out after the first), which leaves r = x * 2/pi - k as a sum
  of two doubles good to ~2**-150: enough for the hardest double argument (r ~ 2**-61).
Then sin r = r - r**3/6 + r**5 S(r**2) and cos r = 1 - r**2/2 + r**4 C(r**2) (Taylor)
as pairs: the leading terms exact or double-double (r_lo included), only the small
tails (below 1/100 and 1/40 of the result) in plain double. sin and cos round the pair
of their quadrant once; tan divides the pairs (``dd_div``: the remainder is exact) and
rounds once, so a pole's neighbourhood costs nothing.

atan2 (and atan, asin, acos through it) takes t = min(|y|,|x|) / max(|y|,|x|) as a
pair, replaces t > tan(pi/8) by u = (t - 1)/(t + 1) (a pair), evaluates
atan u = u - u**3/3 + u**5 A(u**2) like sin, and adds it to or subtracts it from the
octant's multiple of pi/4 (two doubles) exactly before the single rounding. asin and
acos are atan2 with sqrt(1 - x*x) as a pair (the square exact, a corrected root).
"""
from __future__ import annotations

import math

from simt.ir import Op, Value
from simt.ir.types import float64, int32, int64

from .irbuild import Lowering
from .mathlib import (DD, NAN, copysign, dd_div, dd_round, dd_sqrt, fabs, fast_two_sum, fma, isinf,
                      isnan, poly, round_to_int, scale, signbit, split_constant, two_product,
                      two_sum)

PIO2_PARTS = (1.5707963267341256, 6.077100506303966e-11, 2.0222662487111665e-21,
              8.4784276603689e-32)
TWO_OVER_PI = 0.6366197723675814
PI_QUARTERS = [(0.0, 0.0)] + [split_constant(digits) for digits in (     # m pi/4, m = 0..4
    "0.785398163397448309615660845819875721049292349843776455243736148077",
    "1.57079632679489661923132169163975144209858469968755291048747229615",
    "2.35619449019234492884698253745962716314787704953132936573120844423",
    "3.14159265358979323846264338327950288419716939937510582097494459231")]
PIO2_HI, PIO2_LO = PI_QUARTERS[2]
MINUS_SIXTH = split_constant("-0.166666666666666666666666666666666666666666666667")
MINUS_THIRD = split_constant("-0.333333333333333333333333333333333333333333333333")
TAN_PI_8 = 0.41421356237309503
ATAN_IS_T_BELOW = 2.0 ** -500
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


def _cube(b: Lowering, r: DD) -> tuple[DD, DD]:
    """(r**2, r**3) as pairs (not normalised), for a pair r."""
    r_hi, r_lo = r
    square, square_error = two_product(b, r_hi, r_hi)
    square_lo = b.add(square_error, b.mul(b.mul(r_hi, r_lo), 2.0))
    cube, cube_error = two_product(b, r_hi, square)
    cube_lo = b.add(cube_error, b.add(b.mul(r_hi, square_lo), b.mul(r_lo, square)))
    return (square, square_lo), (cube, cube_lo)


def _odd_series(b: Lowering, r: DD, third: tuple[float, float], rest: list[float]) -> DD:
    """r + c3 r**3 + r**5 P(r**2) as a pair, c3 = third[0] + third[1]: the first two terms
    as pairs, P (its part below 1/100 of the result) in plain double."""
    (square, _), (cube, cube_lo) = _cube(b, r)
    t3, t3_error = two_product(b, cube, b.const(third[0], float64))
    t3_lo = b.add(t3_error, b.add(b.mul(cube, third[1]), b.mul(cube_lo, third[0])))
    tail = b.mul(b.mul(cube, square), poly(b, square, rest))
    head, head_error = fast_two_sum(b, r[0], t3)          # |c3 r**3| <= |r| / 2
    low = b.add(head_error, b.add(r[1], b.add(t3_lo, tail)))
    return fast_two_sum(b, head, low)


def sin_dd(b: Lowering, r: DD) -> DD:
    """sin(r) as a pair for |r| <= ~pi/4."""
    return _odd_series(b, r, MINUS_SIXTH, SIN_TAYLOR[1:])


def cos_dd(b: Lowering, r: DD) -> DD:
    """cos(r) = 1 - r**2/2 + r**4 C(r**2) as a pair for |r| <= ~pi/4 (the r**4 part is
    below 1/40 of the result and in plain double)."""
    (square, square_lo), (cube, _) = _cube(b, r)
    head, head_error = fast_two_sum(b, b.const(1.0, float64), b.mul(square, -0.5))   # exact half
    tail = b.mul(b.mul(square, square), poly(b, square, COS_TAYLOR[2:]))
    tail = b.add(tail, b.mul(r[1], b.mul(cube, 1.0 / 6.0)))      # r_lo * d(r**4/24)/dr
    low = b.add(head_error, b.sub(tail, b.mul(square_lo, 0.5)))
    return fast_two_sum(b, head, low)


def _sin_cos(b: Lowering, x: Value) -> tuple[DD, DD, Value]:
    """(sin r, cos r, q) as pairs, with x = k * pi/2 + r, q = k mod 4."""
    r_hi, r_lo, q = reduce(b, x)
    return sin_dd(b, (r_hi, r_lo)), cos_dd(b, (r_hi, r_lo)), q


def _by_quadrant(b: Lowering, q: Value, values: list[Value]) -> Value:
    out = values[3]
    for index in (2, 1, 0):
        out = b.select(b.eq(q, index), values[index], out)
    return out


def _finite_only(b: Lowering, x: Value, result: Value) -> Value:
    return b.select(b.or_(isinf(b, x), isnan(b, x)), NAN, result)


def _keep_zero(b: Lowering, x: Value, result: Value) -> Value:
    """+-0 for x = +-0 (the pair's low part would turn -0 into +0)."""
    return b.select(b.eq(x, 0.0), x, result)


def sin(b: Lowering, x: Value) -> Value:
    s, c, q = _sin_cos(b, x)
    s, c = dd_round(b, s), dd_round(b, c)
    out = _finite_only(b, x, _by_quadrant(b, q, [s, c, b.neg(s), b.neg(c)]))
    return _keep_zero(b, x, out)


def cos(b: Lowering, x: Value) -> Value:
    s, c, q = _sin_cos(b, x)
    s, c = dd_round(b, s), dd_round(b, c)
    return _finite_only(b, x, _by_quadrant(b, q, [c, b.neg(s), b.neg(c), s]))


def tan(b: Lowering, x: Value) -> Value:
    """sin r / cos r, or -cos r / sin r in odd quadrants, divided as pairs."""
    s, c, q = _sin_cos(b, x)
    odd = b.ne(b.and_(q, 1), 0)
    numerator = (b.select(odd, c[0], s[0]), b.select(odd, c[1], s[1]))
    denominator = (b.select(odd, s[0], c[0]), b.select(odd, s[1], c[1]))
    quotient = dd_round(b, dd_div(b, numerator, denominator))
    return _keep_zero(b, x, _finite_only(b, x, b.select(odd, b.neg(quotient), quotient)))


def _atan_unit(b: Lowering, t: DD) -> tuple[Value, DD]:
    """(shifted, a) for t in [0, 1 + tiny]: atan(t) = (pi/4 if shifted else 0) + a, with
    u = (t - 1)/(t + 1) in place of t above tan(pi/8), so |u| <= tan(pi/8)."""
    shifted = b.gt(t[0], TAN_PI_8)
    minus, minus_error = two_sum(b, t[0], b.const(-1.0, float64))
    plus, plus_error = two_sum(b, t[0], b.const(1.0, float64))
    u = dd_div(b, (minus, b.add(minus_error, t[1])), (plus, b.add(plus_error, t[1])))
    u = (b.select(shifted, u[0], t[0]), b.select(shifted, u[1], t[1]))
    return shifted, _odd_series(b, u, MINUS_THIRD, ATAN_SERIES[1:])


def _abs_dd(b: Lowering, x: DD) -> DD:
    negative = signbit(b, x[0])
    return fabs(b, x[0]), b.select(negative, b.neg(x[1]), x[1])


def _atan2_dd(b: Lowering, y: DD, x: DD) -> Value:
    """C99 atan2 of two pairs (signs, zeros, infinities and NaN from the high parts).

    t = min/max of |y|, |x| (a pair), atan(t) from ``_atan_unit``; the result is
    m pi/4 +- atan(u or t) with m in 0..4 by the octant (a two-part constant), summed
    exactly and rounded once: past the first octant it is at least pi/8, so the sum
    loses nothing."""
    ax, ay = _abs_dd(b, x), _abs_dd(b, y)
    swap = b.gt(ay[0], ax[0])
    num = (b.select(swap, ax[0], ay[0]), b.select(swap, ax[1], ay[1]))
    den = (b.select(swap, ay[0], ax[0]), b.select(swap, ay[1], ax[1]))
    # a tiny numerator: both scaled up (exactly) so the quotient's remainder does not
    # underflow (with den >= 2**400, t is below 2**-1300 and rounds to 0 anyway)
    tiny = b.and_(b.lt(num[0], 2.0 ** -900), b.lt(den[0], 2.0 ** 400))
    factor = b.select(tiny, b.const(2.0 ** 600, float64), 1.0)
    num = (b.mul(num[0], factor), b.mul(num[1], factor))
    den = (b.mul(den[0], factor), b.mul(den[1], factor))
    t_hi, t_lo = dd_div(b, num, den)
    # den 0 or inf: the remainder is NaN; t is 0 (atan2(+-0, +-0) too) or 1 (both inf)
    special = b.or_(b.eq(den[0], 0.0), isinf(b, den[0]))
    quotient = b.div(num[0], den[0])                             # t rounded
    t_hi = b.select(special, quotient, t_hi)
    t_hi = b.select(b.eq(den[0], 0.0), 0.0, t_hi)
    t_hi = b.select(b.and_(isinf(b, x[0]), isinf(b, y[0])), 1.0, t_hi)
    t_lo = b.select(special, 0.0, t_lo)
    shifted, a = _atan_unit(b, (t_hi, t_lo))
    negative_x = signbit(b, x[0])
    flip = b.xor(swap, negative_x)                                # subtract atan(u)
    base = b.select(swap, b.const(2.0, float64), b.select(negative_x, b.const(4.0, float64), 0.0))
    step = b.select(shifted, b.select(flip, b.const(-1.0, float64), 1.0), 0.0)
    octant = b.add(base, step)                                    # m in 0..4
    m_hi, m_lo = b.const(PI_QUARTERS[4][0], float64), b.const(PI_QUARTERS[4][1], float64)
    for m in (3, 2, 1, 0):
        is_m = b.eq(octant, float(m))
        m_hi = b.select(is_m, PI_QUARTERS[m][0], m_hi)
        m_lo = b.select(is_m, PI_QUARTERS[m][1], m_lo)
    a_hi = b.select(flip, b.neg(a[0]), a[0])
    a_lo = b.select(flip, b.neg(a[1]), a[1])
    head, head_error = two_sum(b, m_hi, a_hi)
    out = b.add(head, b.add(head_error, b.add(m_lo, a_lo)))
    # tiny t: atan(t) rounds to t, whose low part (the remainder / den) would underflow
    rounded_t = b.select(special, t_hi, quotient)
    out = b.select(b.and_(b.eq(octant, 0.0), b.lt(t_hi, ATAN_IS_T_BELOW)), rounded_t, out)
    out = copysign(b, out, y[0])
    return b.select(b.or_(isnan(b, x[0]), isnan(b, y[0])), b.add(x[0], y[0]), out)


def _zero(b: Lowering) -> Value:
    return b.const(0.0, float64)


def atan(b: Lowering, x: Value) -> Value:
    return _atan2_dd(b, (x, _zero(b)), (b.const(1.0, float64), _zero(b)))


def atan2(b: Lowering, y: Value, x: Value) -> Value:
    return _atan2_dd(b, (y, _zero(b)), (x, _zero(b)))


def _cos_of_asin(b: Lowering, x: Value) -> DD:
    """sqrt(1 - x*x) as a pair (1 - x*x exact as a pair), for |x| <= 1."""
    square, square_error = two_product(b, x, x)
    rest, rest_error = fast_two_sum(b, b.const(1.0, float64), b.neg(square))
    return dd_sqrt(b, fast_two_sum(b, rest, b.sub(rest_error, square_error)))


def asin(b: Lowering, x: Value) -> Value:
    out = _atan2_dd(b, (x, _zero(b)), _cos_of_asin(b, x))
    return b.select(b.gt(fabs(b, x), 1.0), NAN, out)


def acos(b: Lowering, x: Value) -> Value:
    out = _atan2_dd(b, _cos_of_asin(b, x), (x, _zero(b)))
    return b.select(b.gt(fabs(b, x), 1.0), NAN, out)
