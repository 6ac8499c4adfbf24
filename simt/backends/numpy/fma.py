"""Fused multiply-add ``a*b + c`` with a single rounding, vectorised over NumPy arrays.

NumPy has no fma ufunc and Python 3.11 has no ``math.fma``, so this module
emulates it exactly:

- float16/float32: the product of two such numbers is exact in float64 and the
  sum is computed exactly as a float64 pair (TwoSum), then rounded to odd in
  float64. Rounding to odd at 53 bits and then to nearest at <= 24 bits equals one
  rounding to nearest (53 >= 24 + 2), whereas plain float64 arithmetic would round
  twice and is wrong for inputs like ``641 * 6700417 * 2**-56 + 1``.
- float64: Boldo & Melquiond's emulation ("Emulation of FMA and correctly rounded
  sums: proved algorithms using rounding to odd", 2008): an exact product (Dekker)
  and an exact sum (TwoSum), the two low parts added with rounding to odd, then one
  final rounding to nearest. The proof needs no overflow and no underflow, so the
  rare elements near those limits are computed exactly with ``fractions.Fraction``.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

_SPLITTER = float(2 ** 27 + 1)   # Veltkamp splitting constant for 53-bit doubles
# Outside these magnitudes an intermediate may overflow or lose bits to underflow.
_LARGE = 2.0 ** 995
_SMALL = 2.0 ** -900


def fma(a, b, c):
    """``a*b + c`` rounded once, for arrays or scalars of one float dtype."""
    dtype = np.result_type(a, b, c)
    if dtype == np.float64:
        return _fma64(np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(c, np.float64))
    wide = [np.asarray(x, dtype=np.float64) for x in (a, b, c)]
    product = wide[0] * wide[1]                       # exact: at most 2 * 24 bits
    total, error = _two_sum(product, wide[2])
    return _round_to_odd(total, error).astype(dtype)


def _two_sum(x, y):
    """``x + y == s + e`` exactly, ``s`` the rounded sum (Knuth; no overflow assumed)."""
    s = x + y
    y_virtual = s - x
    x_virtual = s - y_virtual
    e = (x - x_virtual) + (y - y_virtual)
    return s, e


def _split(x):
    t = _SPLITTER * x
    high = t - (t - x)
    return high, x - high


def _two_product(x, y):
    """``x * y == p + e`` exactly (Dekker), barring overflow and underflow."""
    p = x * y
    x_high, x_low = _split(x)
    y_high, y_low = _split(y)
    e = ((x_high * y_high - p) + x_high * y_low + x_low * y_high) + x_low * y_low
    return p, e


def _round_to_odd(value, error):
    """Given ``value + error`` exact with ``value`` rounded to nearest, the same sum
    rounded to odd: when inexact and ``value``'s last bit is even, step one ulp
    toward the exact sum."""
    value = np.asarray(value, dtype=np.float64)
    even = (value.view(np.uint64) & np.uint64(1)) == 0
    nudge = (error != 0) & even & np.isfinite(value)
    if not np.any(nudge):
        return value
    toward = np.where(error > 0, np.inf, -np.inf)
    return np.where(nudge, np.nextafter(value, toward), value)


def _fma64(a, b, c):
    with np.errstate(all="ignore"):
        naive = a * b + c
        product, product_error = _two_product(a, b)
        high, low = _two_sum(c, product)
        middle, middle_error = _two_sum(low, product_error)
        result = high + _round_to_odd(middle, middle_error)
        finite = np.isfinite(a) & np.isfinite(b) & np.isfinite(c)
        magnitude = np.maximum(np.maximum(np.abs(a), np.abs(b)), np.abs(c))
        smallest = np.minimum(np.abs(a), np.abs(b))
        tiny_product = (smallest != 0) & ((np.abs(product) < _SMALL) | (smallest < _SMALL))
        risky = finite & ((magnitude > _LARGE) | ~np.isfinite(product) | ~np.isfinite(result)
                          | tiny_product | (np.abs(product) > _LARGE))
        # An exact zero keeps IEEE's sign rules, which the naive sum already gets right.
        result = np.where(finite & (result == 0), naive, result)
        # Infinite or NaN operands: IEEE fma equals a*b + c except that a finite
        # product that overflows must not swallow an infinite c.
        special = np.where(np.isinf(c) & np.isfinite(a) & np.isfinite(b), c, naive)
        result = np.where(finite, result, special)
    if np.any(risky):
        result = np.array(result, dtype=np.float64, copy=True)
        flat = result.reshape(-1)
        a_flat, b_flat, c_flat, risky_flat = (np.broadcast_to(x, result.shape).reshape(-1)
                                              for x in (a, b, c, risky))
        for i in np.flatnonzero(risky_flat):
            flat[i] = _exact_fma(float(a_flat[i]), float(b_flat[i]), float(c_flat[i]))
    return result[()] if result.ndim == 0 else result


def _exact_fma(a: float, b: float, c: float) -> float:
    """Correctly rounded ``a*b + c`` for finite doubles, with rational arithmetic."""
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:
        return a * b + c          # the sign of an exact zero follows IEEE's rules
    # int / int true division rounds correctly in CPython, but refuses results near
    # 2**1024 that would round to the largest double: scale big ones into range
    # (by a power of two, so the rounding is the same) and back.
    magnitude = exact.numerator.bit_length() - exact.denominator.bit_length()
    scale = max(0, magnitude - 1000)
    try:
        return math.ldexp(float(exact / 2 ** scale), scale)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf
