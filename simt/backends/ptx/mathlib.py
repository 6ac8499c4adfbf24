"""float64 exponentials and logarithms, written as plain IR (the simple first library).

Each routine takes a ``Lowering`` and a float64 Value and returns a float64 Value
built only from ops the emitter maps 1:1 (+ - * / with round-to-nearest, selects,
compares, bit casts, integer shifts, and ``fma.rn`` where an exact rounding error is
wanted): no approximate PTX instructions and no contraction, so the same IR evaluated
with NumPy float64 (and an exact fma) gives bit-identical results and the error bounds
measured in ``tests/ptx/test_mathlib.py`` hold on the GPU as they are.

Method: Cody-Waite range reduction with a split constant (the high part has 32
significant bits, so ``k * HI`` is exact) and Taylor polynomials on the reduced
interval, evaluated by Horner. float32 callers compute in float64 and round once.
Accuracy (max ULP distance from NumPy over the test samples) is recorded in
``ACCURACY_ULP``; an accurate, faster library is a later issue.
"""
from __future__ import annotations

import math

from simt.ir import Op, Value
from simt.ir.types import bool_, float64, int32, int64

from .irbuild import Lowering

LN2_HI = 0.6931471803691238          # 32 significant bits
LN2_LO = 1.9082149292705877e-10
LN2 = 0.6931471805599453
INV_LN2 = 1.4426950408889634
INV_LN10 = 0.4342944819032518
LOG10_2_HI = 0.3010299955494702      # 32 significant bits
LOG10_2_LO = 1.1451100898021838e-10
SQRT2 = 1.4142135623730951
ROUND_MAGIC = 6755399441055744.0      # 1.5 * 2**52: x + M - M rounds x to an integer
INF = math.inf
NAN = math.nan

EXP_TAYLOR = [1.0 / math.factorial(n) for n in range(14)]        # |r| <= ln2/2
EXPM1_TAYLOR = [1.0 / math.factorial(n) for n in range(1, 16)]   # expm1(x)/x
LOG_SERIES = [2.0 / (2 * n + 3) for n in range(11)]               # (log(m) - 2s) / s^3

# Max ULP distance from NumPy measured by tests/ptx/test_mathlib.py (float64 inputs
# over the ranges sampled there); the tests fail if a routine gets worse.
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


# -- exponentials ----------------------------------------------------------------

def exp_reduced(b: Lowering, r: Value, k: Value) -> Value:
    """e**r * 2**k for |r| <= ln2/2 (plus rounding slack) and int32 k."""
    return scale(b, poly(b, r, EXP_TAYLOR), k)


def exp(b: Lowering, x: Value) -> Value:
    xc = clamp(b, x, -760.0, 760.0)
    kf = round_to_int(b, b.mul(xc, INV_LN2))
    r = b.sub(b.sub(xc, b.mul(kf, LN2_HI)), b.mul(kf, LN2_LO))
    return exp_reduced(b, r, b.cast(kf, int32))


def exp2(b: Lowering, x: Value) -> Value:
    xc = clamp(b, x, -1100.0, 1100.0)
    kf = round_to_int(b, xc)
    f = b.sub(xc, kf)                        # exact, |f| <= 1/2
    return exp_reduced(b, b.mul(f, LN2), b.cast(kf, int32))


def expm1(b: Lowering, x: Value) -> Value:
    small = b.lt(fabs(b, x), 0.35)
    series = b.mul(x, poly(b, x, EXPM1_TAYLOR))
    large = b.sub(exp(b, x), 1.0)
    return b.select(small, series, large)


# -- logarithms ------------------------------------------------------------------

def log_parts(b: Lowering, x: Value) -> tuple[Value, Value]:
    """(e, log(m)) with x = 2**e * m, m in [sqrt(1/2), sqrt(2)], for finite x > 0."""
    e, m = split_exponent(b, x)
    s = b.div(b.sub(m, 1.0), b.add(m, 1.0))   # m - 1 is exact
    z = b.mul(s, s)
    log_m = b.add(b.mul(s, 2.0), b.mul(b.mul(s, z), poly(b, z, LOG_SERIES)))
    return e, log_m


def split_exponent(b: Lowering, x: Value) -> tuple[Value, Value]:
    """(e, m) with x = 2**e * m exactly, m in [sqrt(1/2), sqrt(2)], e a float64 integer,
    for finite x > 0 (subnormals included)."""
    tiny = b.lt(x, 2.2250738585072014e-308)
    xs = b.select(tiny, b.mul(x, 18014398509481984.0), x)    # 2**54
    bits = b.bitcast(xs, int64)
    e = b.sub(b.shift(Op.SHR, bits, 52), 1023)
    m = b.bitcast(b.or_(b.and_(bits, 0x000FFFFFFFFFFFFF), 0x3FF0000000000000), float64)
    big = b.gt(m, SQRT2)
    m = b.select(big, b.mul(m, 0.5), m)
    e = b.select(big, b.add(e, 1), e)
    e = b.select(tiny, b.sub(e, 54), e)
    return b.cast(e, float64), m


def log_specials(b: Lowering, x: Value, finite_result: Value) -> Value:
    """log-family results at 0, negative, inf and NaN inputs."""
    out = b.select(b.eq(x, INF), INF, finite_result)
    out = b.select(b.eq(x, 0.0), -INF, out)
    out = b.select(b.lt(x, 0.0), NAN, out)
    return b.select(isnan(b, x), x, out)


def log(b: Lowering, x: Value) -> Value:
    e, log_m = log_parts(b, x)
    finite = b.add(b.mul(e, LN2_HI), b.add(b.mul(e, LN2_LO), log_m))
    return log_specials(b, x, finite)


def log2(b: Lowering, x: Value) -> Value:
    e, log_m = log_parts(b, x)
    return log_specials(b, x, b.add(e, b.mul(log_m, INV_LN2)))


def log10(b: Lowering, x: Value) -> Value:
    e, log_m = log_parts(b, x)
    finite = b.add(b.mul(e, LOG10_2_HI), b.add(b.mul(e, LOG10_2_LO), b.mul(log_m, INV_LN10)))
    return log_specials(b, x, finite)


def log1p(b: Lowering, x: Value) -> Value:
    """log(u) * (x / (u - 1)) with u = 1 + x corrects the rounding of u (Goldberg)."""
    u = b.add(x, 1.0)
    corrected = b.mul(log(b, u), b.div(x, b.sub(u, 1.0)))
    out = b.select(b.eq(u, 1.0), x, corrected)
    return b.select(b.eq(u, INF), u, out)
