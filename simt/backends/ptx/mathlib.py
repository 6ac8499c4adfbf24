"""float64 exponentials and logarithms as plain IR, and the double-double kit the
whole math library builds on.

Each routine takes a ``Lowering`` and float64 Values and returns a float64 Value built
only from ops the emitter maps 1:1 (+ - * / with round-to-nearest, ``fma.rn``, selects,
compares, bit casts, integer shifts): no approximate PTX instructions and no
contraction, so the same IR evaluated with NumPy float64 and an exact fma
(``tests/ptx/legal_eval.py``) gives bit-identical results, and the error bounds that
``scripts/ulp_table.py`` measures (``docs/mathlib.md``) hold on the GPU as they are.
float32 callers compute in float64 and round once.

Double-double: a quantity whose rounding would show in the result is carried as an
unevaluated sum ``hi + lo`` of two doubles (``DD``), built with the error-free
transformations ``two_sum``/``fast_two_sum`` (an exact sum) and ``two_product`` (an
exact product, by FMA), and rounded once at the end: the routines are within about
half an ulp plus a small term of the exact result.

- exp: x = k ln2 + r, |r| <= ln2/2, Cody-Waite with ln2 in three parts (the first has
  32 significant bits, so ``k * LN2_HI`` and ``x - k * LN2_HI`` are exact) and r kept
  as r_hi + r_lo; ``e**r - 1 = r + r**2/2 + r**3 P(r)`` with the first two terms exact
  and P a Taylor polynomial (its part of the result is below 2**-7, so its rounding
  errors stay below 2**-58); ``e**x = 2**k (1 + p)``, rounded once, scaled exactly.
  exp2 reduces x = k + f exactly and takes r = f ln2 as a pair.
- expm1 = ``2**k (1 + p - 2**-k)``, the sum taken exactly, rounded once, scaled.
- log: x = 2**e m, m in [sqrt(1/2), sqrt(2)], ``log(m) = 2 atanh(s)`` with
  s = (m - 1)/(m + 1) carried with its rounding error and the 2s and (2/3)s**3 terms
  as pairs (``log_m_dd``); e ln2 (two parts) is added exactly. log2 and log10
  multiply the pair by a two-part constant. log1p(y) = log(u) + log1p(c/u), where
  u + c = 1 + y exactly (``log1p_dd`` also takes y as a pair).
"""
from __future__ import annotations

import math
from decimal import Decimal, localcontext
from typing import Optional

from simt.ir import Op, Value
from simt.ir.types import bool_, float64, int32, int64

from .irbuild import Lowering

DD = tuple[Value, Value]        # hi + lo, |lo| <= ulp(hi) / 2 unless said otherwise


def split_constant(digits: str, parts: int = 2, first_bits: int = 53) -> tuple[float, ...]:
    """The real number ``digits`` as a sum of ``parts`` doubles, each the nearest double
    to what the previous ones leave; the first is cut (toward zero) to ``first_bits``
    significant bits when fewer than 53, so small integer multiples of it are exact."""
    with localcontext() as context:
        context.prec = 80
        rest, out = Decimal(digits), []
        for i in range(parts):
            part = float(rest)
            if i == 0 and first_bits < 53:
                mantissa, exponent = math.frexp(part)
                part = math.ldexp(int(math.ldexp(mantissa, first_bits)), exponent - first_bits)
            out.append(part)
            rest -= Decimal(part)
        return tuple(out)


_LN2 = "0.693147180559945309417232121458176568075500134360255254120680009493"
LN2_HI, LN2_LO, LN2_LO2 = split_constant(_LN2, 3, first_bits=32)
LN2, LN2_TAIL = split_constant(_LN2)
INV_LN2, INV_LN2_TAIL = split_constant("1.44269504088896340735992468100189213742664595415298593")
INV_LN10, INV_LN10_TAIL = split_constant("0.434294481903251827651128918916605082294397005803666566")
LOG10_2_HI, LOG10_2_LO = split_constant("0.301029995663981195213738894724493026768189881462108541",
                                        first_bits=32)
SQRT2 = 1.4142135623730951
SMALLEST_NORMAL = 2.2250738585072014e-308
ROUND_MAGIC = 6755399441055744.0      # 1.5 * 2**52: x + M - M rounds x to an integer
INF = math.inf
NAN = math.nan

EXP_TAYLOR = [1.0 / math.factorial(n) for n in range(14)]        # |r| <= ln2/2
EXP_TAIL = [1.0 / math.factorial(n) for n in range(3, 17)]       # (e**r - 1 - r - r*r/2) / r**3
LOG_SERIES = [2.0 / (2 * n + 3) for n in range(11)]               # (log(m) - 2s) / s^3
TWO_THIRDS_HI = 2.0 / 3.0
TWO_THIRDS_LO = float(Decimal(2) / Decimal(3) - Decimal(TWO_THIRDS_HI))
EXPM1_TINY = 2.0 ** -54         # below: expm1(x) rounds to x
LOG1P_SERIES_TO = 2.0 ** -9
LOG1P_TAIL = [(-1.0) ** n / (n + 3) for n in range(6)]          # (log1p(y) - y + y*y/2) / y**3

# Kept for legalize.py's docstring: the measured bounds live in docs/mathlib.md.
ACCURACY_ULP: dict[str, float] = {}


def poly(b: Lowering, x: Value, coeffs: list[float]) -> Value:
    """sum(coeffs[i] * x**i) by Horner, separate multiply and add (no contraction)."""
    acc = b.const(coeffs[-1], x.type)
    for c in reversed(coeffs[:-1]):
        acc = b.add(b.mul(acc, x), c)
    return acc


def round_to_int(b: Lowering, x: Value) -> Value:
    """x rounded to the nearest integer (ties to even) for |x| < 2**51, as float64."""
    return b.sub(b.add(x, ROUND_MAGIC), ROUND_MAGIC)


def clamp(b: Lowering, x: Value, lo: float, hi: float) -> Value:
    """x limited to [lo, hi]; NaN stays NaN."""
    x = b.select(b.gt(x, hi), hi, x)
    return b.select(b.lt(x, lo), lo, x)


def pow2(b: Lowering, k: Value) -> Value:
    """2.0 ** k for an int32 k in the normal exponent range [-1022, 1023]."""
    biased = b.add(b.cast(k, int64), 1023)
    return b.bitcast(b.shift(Op.SHL, biased, 52), float64)


def scale(b: Lowering, p: Value, k: Value) -> Value:
    """p * 2**k for int32 k in [-2000, 2000], rounded once (two exact-range factors)."""
    half = b.shift(Op.SHR, k, 1)
    rest = b.sub(k, half)
    return b.mul(b.mul(p, pow2(b, half)), pow2(b, rest))


def signbit(b: Lowering, x: Value) -> Value:
    return b.lt(b.bitcast(x, int64), 0)


def isnan(b: Lowering, x: Value) -> Value:
    return b.value(Op.ISNAN, [x], bool_)


def isinf(b: Lowering, x: Value) -> Value:
    return b.value(Op.ISINF, [x], bool_)


def fabs(b: Lowering, x: Value) -> Value:
    return b.unary(Op.FABS, x)


def copysign(b: Lowering, magnitude: Value, sign: Value) -> Value:
    return b.value(Op.COPYSIGN, [magnitude, sign])


# -- exact sums and products (double-double arithmetic) -------------------------------

def fma(b: Lowering, x: Value, y: Value, z: Value) -> Value:
    """x*y + z rounded once (PTX fma.rn)."""
    return b.value(Op.FMA, [x, y, z])


def fast_two_sum(b: Lowering, big: Value, small: Value) -> tuple[Value, Value]:
    """(s, e) with s + e == big + small exactly, s rounded (|big| >= |small|, Dekker)."""
    total = b.add(big, small)
    return total, b.sub(small, b.sub(total, big))


def two_sum(b: Lowering, x: Value, y: Value) -> tuple[Value, Value]:
    """(s, e) with s + e == x + y exactly, s rounded (Knuth, any magnitudes)."""
    total = b.add(x, y)
    y_part = b.sub(total, x)
    x_part = b.sub(total, y_part)
    return total, b.add(b.sub(x, x_part), b.sub(y, y_part))


def two_product(b: Lowering, x: Value, y: Value) -> tuple[Value, Value]:
    """(p, e) with p + e == x * y exactly (barring underflow), p rounded."""
    product = b.mul(x, y)
    return product, fma(b, x, y, b.neg(product))


def dd_add(b: Lowering, x: DD, y: DD) -> DD:
    """x + y as a pair (relative error ~2**-104 of |x| + |y|)."""
    total, error = two_sum(b, x[0], y[0])
    return fast_two_sum(b, total, b.add(error, b.add(x[1], y[1])))


def dd_mul(b: Lowering, x: DD, y: DD) -> DD:
    """x * y as a pair (relative error ~2**-104)."""
    product, error = two_product(b, x[0], y[0])
    cross = b.add(b.mul(x[0], y[1]), b.mul(x[1], y[0]))
    return fast_two_sum(b, product, b.add(error, cross))


def dd_div(b: Lowering, x: DD, y: DD) -> DD:
    """x / y as a pair: the first quotient's remainder is exact (FMA) and divided again."""
    quotient = b.div(x[0], y[0])
    remainder = fma(b, b.neg(quotient), y[0], x[0])
    remainder = b.sub(b.add(remainder, x[1]), b.mul(quotient, y[1]))
    return fast_two_sum(b, quotient, b.div(remainder, y[0]))


def dd_sqrt(b: Lowering, x: DD) -> DD:
    """sqrt(x) as a pair for finite x >= 0: one Newton correction with an exact residual."""
    root = b.unary(Op.SQRT, x[0])
    residual = b.add(fma(b, b.neg(root), root, x[0]), x[1])
    correction = b.div(b.mul(residual, 0.5), root)
    return fast_two_sum(b, root, b.select(b.eq(x[0], 0.0), 0.0, correction))


def dd_const(b: Lowering, hi: float, lo: float) -> DD:
    return b.const(hi, float64), b.const(lo, float64)


def dd_round(b: Lowering, x: DD) -> Value:
    return b.add(x[0], x[1])


# -- exponentials ----------------------------------------------------------------

def exp_reduce(b: Lowering, x: Value) -> tuple[Value, DD]:
    """(k, r) with x = k ln2 + r_hi + r_lo (to ~2**-110), |r| <= ln2/2 + slack, k a
    float64 integer; for |x| <= 1100."""
    kf = round_to_int(b, b.mul(x, INV_LN2))
    head = b.sub(x, b.mul(kf, LN2_HI))                  # both steps exact (see above)
    product, product_error = two_product(b, kf, b.const(LN2_LO, float64))
    r_hi, r_error = two_sum(b, head, b.neg(product))
    r_lo = b.sub(b.sub(r_error, product_error), b.mul(kf, LN2_LO2))
    return kf, (r_hi, r_lo)


def expm1_reduced(b: Lowering, r: DD) -> DD:
    """e**r - 1 as a pair, for |r| <= ~0.35."""
    r_hi, r_lo = r
    square, square_error = two_product(b, r_hi, r_hi)
    half = b.mul(square, 0.5)                           # exact
    tail = b.mul(b.mul(r_hi, square), poly(b, r_hi, EXP_TAIL))
    head, head_error = fast_two_sum(b, r_hi, half)      # |r**2 / 2| <= |r|
    # r_lo times the derivative 1 + r + r**2/2, and the low parts
    low = b.add(b.add(head_error, b.mul(square_error, 0.5)),
                b.add(b.mul(r_lo, b.add(b.add(r_hi, half), 1.0)), tail))
    return fast_two_sum(b, head, low)


def exp_parts(b: Lowering, x: Value) -> tuple[Value, DD]:
    """(k, t): e**x = 2**k (t_hi + t_lo), t in [0.7, 1.42], for x clamped to +-760."""
    kf, r = exp_reduce(b, clamp(b, x, -760.0, 760.0))
    p_hi, p_lo = expm1_reduced(b, r)
    t_hi, t_error = fast_two_sum(b, b.const(1.0, float64), p_hi)
    return kf, fast_two_sum(b, t_hi, b.add(t_error, p_lo))


def scale_round(b: Lowering, t: DD, kf: Value) -> Value:
    """(t_hi + t_lo) * 2**k rounded once, for t in [2**-60, 4) and |k| <= 1100 (a float64
    integer): where the result is subnormal, scaling the rounded t would round twice,
    so t * 2**(k + 1022) (< 1 there) is added to 1, where the ulp is the subnormals'."""
    k = b.cast(kf, int32)
    normal = scale(b, dd_round(b, t), k)
    factor = pow2(b, b.cast(clamp(b, b.add(kf, 1022.0), -1000.0, 0.0), int32))
    head, error = fast_two_sum(b, b.const(1.0, float64), b.mul(t[0], factor))   # exact product
    total = b.add(head, b.add(error, b.mul(t[1], factor)))
    subnormal = b.mul(b.sub(total, 1.0), SMALLEST_NORMAL)          # both steps exact
    return b.select(b.lt(normal, SMALLEST_NORMAL), subnormal, normal)


def exp(b: Lowering, x: Value) -> Value:
    kf, t = exp_parts(b, x)
    return scale_round(b, t, kf)


def exp2_reduced(b: Lowering, f: DD) -> DD:
    """2**(f_hi + f_lo) as a pair in [0.7, 1.42], for |f| <= 1/2 (f_lo small next to f_hi
    or f_hi zero)."""
    r_hi = b.mul(f[0], LN2)
    r_lo = b.add(fma(b, f[0], b.const(LN2, float64), b.neg(r_hi)),
                 b.add(b.mul(f[0], LN2_TAIL), b.mul(f[1], LN2)))
    p_hi, p_lo = expm1_reduced(b, (r_hi, r_lo))
    t_hi, t_error = fast_two_sum(b, b.const(1.0, float64), p_hi)
    return fast_two_sum(b, t_hi, b.add(t_error, p_lo))


def exp2(b: Lowering, x: Value) -> Value:
    xc = clamp(b, x, -1100.0, 1100.0)
    kf = round_to_int(b, xc)
    f = b.sub(xc, kf)                        # exact, |f| <= 1/2
    return scale_round(b, exp2_reduced(b, (f, b.const(0.0, float64))), kf)


def expm1_parts(b: Lowering, x: Value) -> tuple[Value, DD]:
    """(k, e): e**x - 1 = 2**k (e_hi + e_lo), for x clamped to [-60, 760]; the pair is
    ``1 + p - 2**-k`` summed exactly (its parts may overlap: round or two_sum them)."""
    kf, r = exp_reduce(b, clamp(b, x, -60.0, 760.0))
    p_hi, p_lo = expm1_reduced(b, r)
    one_plus, one_error = fast_two_sum(b, b.const(1.0, float64), p_hi)
    k_capped = b.select(b.gt(kf, 1000.0), 1000.0, kf)         # 2**-k beyond: negligible
    minus_one = b.neg(pow2(b, b.cast(b.neg(k_capped), int32)))   # -1 scaled by 2**-k, exact
    head, head_error = two_sum(b, one_plus, minus_one)
    low = b.add(b.add(one_error, head_error), p_lo)
    # k = 0: p itself (1 + p - 1 would make head and low alike in size, low rounded)
    unscaled = b.eq(kf, 0.0)
    return kf, (b.select(unscaled, p_hi, head), b.select(unscaled, p_lo, low))


def expm1(b: Lowering, x: Value) -> Value:
    kf, (head, low) = expm1_parts(b, x)
    out = scale(b, b.add(head, low), b.cast(kf, int32))
    return b.select(b.lt(fabs(b, x), EXPM1_TINY), x, out)       # +-0 and tiny x: x


# -- logarithms ------------------------------------------------------------------

def split_exponent(b: Lowering, x: Value) -> tuple[Value, Value]:
    """(e, m) with x = 2**e * m exactly, m in [sqrt(1/2), sqrt(2)], e a float64 integer,
    for finite x > 0 (subnormals included)."""
    tiny = b.lt(x, SMALLEST_NORMAL)
    xs = b.select(tiny, b.mul(x, 18014398509481984.0), x)    # 2**54
    bits = b.bitcast(xs, int64)
    e = b.sub(b.shift(Op.SHR, bits, 52), 1023)
    m = b.bitcast(b.or_(b.and_(bits, 0x000FFFFFFFFFFFFF), 0x3FF0000000000000), float64)
    big = b.gt(m, SQRT2)
    m = b.select(big, b.mul(m, 0.5), m)
    e = b.select(big, b.add(e, 1), e)
    e = b.select(tiny, b.sub(e, 54), e)
    return b.cast(e, float64), m


def log_m_dd(b: Lowering, m: Value) -> DD:
    """log(m) as a pair for m in [sqrt(1/2), sqrt(2)] (relative error ~2**-70)."""
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
    return fast_two_sum(b, head, low)


def log2_dd(b: Lowering, x: Value) -> DD:
    """log2(x) as a pair, for finite x > 0 (other x give finite garbage)."""
    e, m = split_exponent(b, x)
    log_hi, log_lo = log_m_dd(b, m)
    p_hi, p_err = two_product(b, log_hi, b.const(INV_LN2, float64))
    p_lo = b.add(p_err, b.add(b.mul(log_hi, INV_LN2_TAIL), b.mul(log_lo, INV_LN2)))
    hi, err = two_sum(b, e, p_hi)
    return fast_two_sum(b, hi, b.add(err, p_lo))


def log_dd(b: Lowering, u: Value, c: Optional[Value] = None) -> DD:
    """log(u + c) as a pair, for finite u > 0 and |c| <= ~2**-52 u (c absent: 0)."""
    e, m = split_exponent(b, u)
    log_hi, log_lo = log_m_dd(b, m)
    head, head_error = two_sum(b, b.mul(e, LN2_HI), log_hi)    # e * LN2_HI is exact
    low = b.add(head_error, b.add(log_lo, b.mul(e, LN2_LO)))
    if c is None:
        return fast_two_sum(b, head, low)
    ratio = b.div(c, u)                                 # log1p(c/u) to second order
    low = b.add(low, b.sub(ratio, b.mul(b.mul(ratio, ratio), 0.5)))
    return two_sum(b, head, low)


def log1p_series(b: Lowering, y: DD) -> DD:
    """log(1 + y) = y - y**2/2 + y**3 P(y) as a pair, for |y| <= LOG1P_SERIES_TO."""
    y_hi, y_lo = y
    square, square_error = two_product(b, y_hi, y_hi)
    half = b.mul(square, 0.5)                          # exact
    tail = b.mul(b.mul(y_hi, square), poly(b, y_hi, LOG1P_TAIL))
    head, head_error = fast_two_sum(b, y_hi, b.neg(half))
    low = b.add(b.sub(head_error, b.mul(square_error, 0.5)),
                b.add(b.mul(y_lo, b.sub(b.const(1.0, float64), y_hi)), tail))
    return fast_two_sum(b, head, low)


def log1p_dd(b: Lowering, y: DD) -> DD:
    """log(1 + y_hi + y_lo) as a pair, for finite 1 + y_hi > 0 and y_hi >= 0 or y_lo = 0
    (so that |y_lo| stays below 2**-52 of 1 + y_hi).

    Near 0 the series: there log(u) + c/u would leave a low part (c/u, up to
    2**-53) close to the result in size and rounded twice."""
    u, c = two_sum(b, y[0], b.const(1.0, float64))
    general = log_dd(b, u, b.add(c, y[1]))
    series = log1p_series(b, y)
    near_zero = b.lt(fabs(b, y[0]), LOG1P_SERIES_TO)
    return b.select(near_zero, series[0], general[0]), b.select(near_zero, series[1], general[1])


def log_specials(b: Lowering, x: Value, finite_result: Value) -> Value:
    """log-family results at 0, negative, inf and NaN inputs."""
    out = b.select(b.eq(x, INF), INF, finite_result)
    out = b.select(b.eq(x, 0.0), -INF, out)
    out = b.select(b.lt(x, 0.0), NAN, out)
    return b.select(isnan(b, x), x, out)


def log(b: Lowering, x: Value) -> Value:
    return log_specials(b, x, dd_round(b, log_dd(b, x)))


def log2(b: Lowering, x: Value) -> Value:
    return log_specials(b, x, dd_round(b, log2_dd(b, x)))


def log10(b: Lowering, x: Value) -> Value:
    e, m = split_exponent(b, x)
    log_hi, log_lo = log_m_dd(b, m)
    p_hi, p_lo = dd_mul(b, (log_hi, log_lo), dd_const(b, INV_LN10, INV_LN10_TAIL))
    head, head_error = two_sum(b, b.mul(e, LOG10_2_HI), p_hi)   # e * LOG10_2_HI is exact
    low = b.add(head_error, b.add(p_lo, b.mul(e, LOG10_2_LO)))
    return log_specials(b, x, b.add(head, low))


def log1p(b: Lowering, x: Value) -> Value:
    u = b.add(x, 1.0)
    out = log_specials(b, u, dd_round(b, log1p_dd(b, (x, b.const(0.0, float64)))))
    return b.select(b.eq(x, 0.0), x, out)               # -0.0
