"""float64 hyperbolic functions, cbrt and hypot as plain IR (see ``mathlib.py``).

Each is a textbook identity over the exp/log routines, chosen to avoid cancellation
(sinh and tanh through expm1, asinh/acosh/atanh through log1p) and overflow (cosh
and sinh of large x as ``(t/2) * t`` with ``t = exp(x/2)``, hypot scaled by the
larger operand). pow is in ``mathlib_pow.py``.
"""
from __future__ import annotations

from simt.ir import Op, Value
from simt.ir.types import float64

from .irbuild import Lowering
from .mathlib import INF, LN2, NAN, copysign, exp, expm1, fabs, isinf, isnan, log, log1p

LARGE = 22.0                # beyond it exp(-x) no longer matters next to exp(x)
HUGE = 268435456.0          # 2**28: x*x + 1 == x*x


def _half_exp_squared(b: Lowering, a: Value) -> Value:
    """exp(a) / 2 without overflowing before the result does."""
    t = exp(b, b.mul(a, 0.5))
    return b.mul(b.mul(t, 0.5), t)


def sinh(b: Lowering, x: Value) -> Value:
    a = fabs(b, x)
    e = expm1(b, a)
    small = b.mul(b.add(e, b.div(e, b.add(e, 1.0))), 0.5)
    out = b.select(b.lt(a, LARGE), small, _half_exp_squared(b, a))
    return copysign(b, out, x)


def cosh(b: Lowering, x: Value) -> Value:
    a = fabs(b, x)
    e = exp(b, a)
    small = b.mul(b.add(e, b.div(b.const(1.0, float64), e)), 0.5)
    return b.select(b.lt(a, LARGE), small, _half_exp_squared(b, a))


def tanh(b: Lowering, x: Value) -> Value:
    a = fabs(b, x)
    e = expm1(b, b.mul(a, 2.0))
    out = b.select(b.gt(a, LARGE), 1.0, b.div(e, b.add(e, 2.0)))
    return copysign(b, out, x)


def asinh(b: Lowering, x: Value) -> Value:
    a = fabs(b, x)
    a2 = b.mul(a, a)
    root = b.unary(Op.SQRT, b.add(a2, 1.0))
    moderate = log1p(b, b.add(a, b.div(a2, b.add(root, 1.0))))
    out = b.select(b.gt(a, HUGE), b.add(log(b, a), LN2), moderate)
    return copysign(b, out, x)


def acosh(b: Lowering, x: Value) -> Value:
    t = b.sub(x, 1.0)
    near_one = log1p(b, b.add(t, b.unary(Op.SQRT, b.add(b.mul(t, 2.0), b.mul(t, t)))))
    root = b.unary(Op.SQRT, b.sub(b.mul(x, x), 1.0))
    moderate = log(b, b.sub(b.mul(x, 2.0), b.div(b.const(1.0, float64), b.add(x, root))))
    out = b.select(b.gt(x, 2.0), moderate, near_one)
    out = b.select(b.gt(x, HUGE), b.add(log(b, x), LN2), out)
    return b.select(b.lt(x, 1.0), NAN, out)


def atanh(b: Lowering, x: Value) -> Value:
    a = fabs(b, x)
    out = b.mul(log1p(b, b.div(b.mul(a, 2.0), b.sub(b.const(1.0, float64), a))), 0.5)
    return copysign(b, out, x)


def cbrt(b: Lowering, x: Value) -> Value:
    """exp(log|x| / 3) refined by one Newton step; 0, inf and NaN pass through."""
    a = fabs(b, x)
    tiny = b.lt(a, 2.2250738585072014e-308)        # subnormal: scale by 2**162 = (2**54)**3
    a_scaled = b.select(tiny, b.mul(a, 5.846006549323612e+48), a)
    y = exp(b, b.div(log(b, a_scaled), 3.0))
    y2 = b.mul(y, y)
    y = b.sub(y, b.div(b.sub(b.mul(y2, y), a_scaled), b.mul(y2, 3.0)))
    y = b.select(tiny, b.mul(y, 5.551115123125783e-17), y)      # 2**-54
    passthrough = b.or_(b.or_(b.eq(a, 0.0), isinf(b, a)), isnan(b, a))
    return copysign(b, b.select(passthrough, a, y), x)


def hypot(b: Lowering, x: Value, y: Value) -> Value:
    ax, ay = fabs(b, x), fabs(b, y)
    swap = b.gt(ay, ax)
    big = b.select(swap, ay, ax)
    small = b.select(swap, ax, ay)
    r = b.div(small, big)
    out = b.mul(big, b.unary(Op.SQRT, b.add(b.mul(r, r), 1.0)))
    out = b.select(b.eq(big, 0.0), 0.0, out)
    out = b.select(b.or_(isnan(b, x), isnan(b, y)), NAN, out)
    return b.select(b.or_(isinf(b, x), isinf(b, y)), INF, out)
