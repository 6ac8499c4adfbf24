"""float64 erf and erfc as plain IR (see ``mathlib.py`` for the conventions).

Method: the structure of Sun's fdlibm ``s_erf.c`` (1993), with the coefficients refit:
- ``|x| < 0.84375``: ``erf(x) = x + x * R(x*x)``, R the Taylor series of
  ``erf(x)/x - 1`` (17 terms; the next is below 2**-60 there). erfc is ``1 - erf`` for
  ``x < 1/4`` and ``0.5 + ((0.5 - x) - x*R)`` above, with the rounding errors of the
  product and both sums carried to one final rounding. Tiny x is scaled by 2**54 so
  ``x*R`` keeps its bits.
- ``|x| >= 0.84375``: ``erfc(x) = exp(-x*x) * G(1/x) / x`` with G(t) = ``x * erfcx(x)``
  (smooth, between 0.44 and 1/sqrt(pi)): a polynomial in ``t - center`` on two
  intervals of t (split at t = 0.4, i.e. x = 2.5; degrees 20 and 22; Chebyshev
  interpolants computed with mpmath, the constant term kept as two doubles). As in
  fdlibm, ``exp(-x*x) = exp(-z*z) * exp((z - x)(z + x))`` with z = x cut to 21
  significant bits, so ``z*z`` is exact and the second factor is ``1 + tiny``. The
  first factor is reduced like ``mathlib.exp`` to ``M * 2**k``; M and G stay sums of two
  doubles, the rounding errors of their product and of the division by x are taken
  exactly with FMAs (``fma.rn`` rounds once, so this stays bit-reproducible), and 2**k
  is applied last. erf is ``1 - erfc`` there; ``erfc(-x) = 2 - erfc(x)``. From
  x = 27.5 on erfc is 0 and erf is ±1.
The coefficients are reproduced by ``tests/ptx/erf_fit.py`` (needs mpmath).

Measured accuracy (25000 samples over [-28, 28] and tiny magnitudes, against mpmath,
correctly rounded): float64 erf and erfc within 1 ulp (97% correctly rounded);
against CPython's ``math.erf``/``math.erfc`` (the numpy target; glibc is itself up
to 2 ulp off for erfc) within 1 and 2 ulp; float32 (computed in float64, rounded
once) correctly rounded on every sample. ``tests/ptx/test_mathlib.py`` keeps the bounds.
"""
from __future__ import annotations

import math
from decimal import Decimal

from simt.ir import Value
from simt.ir.types import float64, int32, int64

from .irbuild import Lowering
from .mathlib import (EXP_TAYLOR, INV_LN2, LN2_HI, LN2_LO, NAN, copysign, fabs, fast_two_sum, fma,
                      isnan, poly, round_to_int, scale, two_sum)

TWO_OVER_SQRT_PI = Decimal("1.12837916709551257389615890312154517168810125865799771")
# erf(x)/x - 1 = sum(ERF_TAYLOR[n] * (x*x)**n): 2/sqrt(pi) * (-1)**n / (n! (2n+1)), minus 1 at
# n=0; computed in 28-digit decimals so each coefficient is the double nearest its true value
ERF_TAYLOR = [float(TWO_OVER_SQRT_PI - 1)] + [
    float(TWO_OVER_SQRT_PI * (-1) ** n / (math.factorial(n) * (2 * n + 1))) for n in range(1, 17)]
SMALL = 0.84375           # below: the Taylor series; above: the erfc form
QUARTER = 0.25
TINY = 2.0 ** -28          # below: x*R is scaled to keep its bits
HUGE = 27.5                # erfc(27.5) < 2**-1075: rounds to 0
SPLIT_T = 0.4              # 1/x where the two polynomial intervals of G meet

# G(t) = x * erfcx(x), t = 1/x: (center, constant hi, constant lo, coefficients of u**1..)
G_NEAR = (0.7925925925925925, 0.4610160468547427, 1.998874133783079e-17, [    # t >= 0.4
    -0.16722852714333006, 0.02397537054722514, 0.03235120263976364, -0.04292861799308384,
    0.03312215332315435, -0.01747957727368336, 0.003427372482339451, 0.006057361480372531,
    -0.010570599842055014, 0.011011862827719859, -0.008767505966645823, 0.005224649621051896,
    -0.0015185020662284846, -0.0015854982197739413, 0.003715744735183887,
    -0.004646995497394913, 0.00416919186689458, -0.003331489143603158, 0.0037546800029386387,
    -0.0020967213072634, -0.0040331728043294275, 0.004931724730423317])
G_FAR = (0.2181818181818182, 0.5516214579618675, 2.7529489591484966e-17, [      # t < 0.4
    -0.10810078608419685, -0.18881608083558546, 0.220059225587183, 0.021604233749839222,
    -0.35185221287954943, 0.4086467905891148, 0.13935110282118565, -1.1639669424238117,
    1.6403521066679394, 0.2012595168382539, -5.2748140342946765, 10.288743686146402,
    -4.75211018360968, -25.58759374660176, 81.10256799250487, -98.70433053414673,
    -144.1503215742765, 734.4572941980455, -428.0448009021976, -1208.2623865251417])


def _select_constant(b: Lowering, near: Value, if_near: float, if_far: float) -> Value:
    if if_near == if_far:
        return b.const(if_near, float64)
    return b.select(near, b.const(if_near, float64), b.const(if_far, float64))


def _g(b: Lowering, t: Value) -> tuple[Value, Value]:
    """G(t) as a sum of two doubles, by Horner on t's interval (coefficients by selects)."""
    near = b.ge(t, SPLIT_T)
    (c_near, hi_near, lo_near, p_near), (c_far, hi_far, lo_far, p_far) = G_NEAR, G_FAR
    p_far = p_far + [0.0] * (len(p_near) - len(p_far))
    u = b.sub(t, _select_constant(b, near, c_near, c_far))
    acc = _select_constant(b, near, p_near[-1], p_far[-1])
    for a_near, a_far in zip(reversed(p_near[:-1]), reversed(p_far[:-1])):
        acc = b.add(b.mul(acc, u), _select_constant(b, near, a_near, a_far))
    low = b.add(b.mul(acc, u), _select_constant(b, near, lo_near, lo_far))
    return fast_two_sum(b, _select_constant(b, near, hi_near, hi_far), low)


def _erfc_large(b: Lowering, ax: Value) -> Value:
    """erfc(ax) for 0.84375 <= ax < 27.5 (other ax give finite garbage, selected away).

    exp(-z*z) = M * 2**k and G are kept as unevaluated sums of two doubles; their
    product (the rounding error of the leading product taken exactly with an FMA), the
    factor exp((z-x)(z+x)) and the division by ax (its remainder again exact by FMA)
    round once at the end, so the result is within about 1 ulp.
    """
    one = b.const(1.0, float64)
    ax = b.select(b.lt(ax, HUGE), ax, one)                              # keep exp finite
    z = b.bitcast(b.and_(b.bitcast(ax, int64), -(1 << 32)), float64)   # 21 significant bits
    minus_z2 = b.neg(b.mul(z, z))                                      # exact
    delta = b.mul(b.sub(z, ax), b.add(z, ax))                          # -(x*x - z*z), tiny
    kf = round_to_int(b, b.mul(minus_z2, INV_LN2))
    r = b.sub(b.sub(minus_z2, b.mul(kf, LN2_HI)), b.mul(kf, LN2_LO))
    m_hi, m_lo = fast_two_sum(b, one, b.mul(r, poly(b, r, EXP_TAYLOR[1:])))   # exp(r)
    expm1_delta = b.mul(delta, poly(b, delta, [1.0, 0.5, 1.0 / 6, 1.0 / 24]))
    g_hi, g_lo = _g(b, b.div(one, ax))
    product = b.mul(m_hi, g_hi)
    low = b.add(fma(b, m_hi, g_hi, b.neg(product)),
                b.add(b.add(b.mul(m_hi, g_lo), b.mul(m_lo, g_hi)), b.mul(product, expm1_delta)))
    s_hi, s_lo = fast_two_sum(b, product, low)
    q_hi = b.div(s_hi, ax)
    remainder = fma(b, b.neg(q_hi), ax, s_hi)                          # exact
    q = b.add(q_hi, b.div(b.add(remainder, s_lo), ax))
    return scale(b, q, b.cast(kf, int32))


def _erf_small(b: Lowering, x: Value, r: Value) -> Value:
    """erf(x) = x + x*R for |x| < 0.84375; tiny x scaled by 2**54 so x*R keeps its bits."""
    tiny = b.lt(fabs(b, x), TINY)
    xs = b.select(tiny, b.mul(x, 2.0 ** 54), x)
    erf_scaled = b.add(xs, b.mul(xs, r))
    return b.select(tiny, b.mul(erf_scaled, 2.0 ** -54), erf_scaled)


def _erfc_quarter(b: Lowering, x: Value, r: Value) -> Value:
    """erfc(x) = 0.5 + ((0.5 - x) - x*R) for 0.25 <= x < 0.84375, with the rounding
    errors of x*R (an FMA) and of both additions carried to one final rounding."""
    xr = b.mul(x, r)
    xr_error = fma(b, x, r, b.neg(xr))
    head, error1 = two_sum(b, b.sub(b.const(0.5, float64), x), b.neg(xr))  # 0.5 - x exact
    total, error2 = fast_two_sum(b, b.const(0.5, float64), head)         # |head| <= 0.28
    return b.add(total, b.sub(b.add(error1, error2), xr_error))


def erf(b: Lowering, x: Value) -> Value:
    ax = fabs(b, x)
    small = _erf_small(b, x, poly(b, b.mul(x, x), ERF_TAYLOR))
    large = b.sub(b.const(1.0, float64), _erfc_large(b, ax))
    large = b.select(b.ge(ax, HUGE), 1.0, large)
    out = b.select(b.lt(ax, SMALL), small, copysign(b, large, x))
    return b.select(isnan(b, x), x, out)


def erfc(b: Lowering, x: Value) -> Value:
    ax = fabs(b, x)
    r = poly(b, b.mul(x, x), ERF_TAYLOR)
    near_zero = b.sub(b.const(1.0, float64), _erf_small(b, x, r))
    small = b.select(b.lt(x, QUARTER), near_zero, _erfc_quarter(b, x, r))
    tail = b.select(b.ge(ax, HUGE), 0.0, _erfc_large(b, ax))
    large = b.select(b.lt(x, 0.0), b.sub(b.const(2.0, float64), tail), tail)
    out = b.select(b.lt(ax, SMALL), small, large)
    return b.select(isnan(b, x), NAN, out)
