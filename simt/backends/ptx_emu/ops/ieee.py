"""Correctly rounded IEEE-754 arithmetic in every PTX rounding mode
(``rn`` nearest-even, ``rz`` toward zero, ``rm`` toward -inf, ``rp`` toward +inf).

How exactness is obtained, vectorized over threads:

* f32/f16 in ``.rn`` for ``+ - * / sqrt``: NumPy's own float32 ops are IEEE
  (f16 ops go through f32, and 24 >= 2*11+2 makes that double rounding
  innocuous).
* Every other f32/f16 case is computed in f64 as the exactly rounded f64 value
  ``hi`` plus the sign of its error ``exact - hi`` (error-free transformations:
  TwoSum, Dekker's TwoProduct, exact remainders), turned into *round-to-odd* at
  53 bits; rounding a round-to-odd value to p <= 51 bits in any mode equals
  rounding the exact value (Boldo & Melquiond). Ranges of f32 operands keep all
  of this far from f64 overflow and underflow.
* f64 ``.rn`` ``+ - * / sqrt`` are NumPy's; ``fma.rn.f64`` uses Boldo &
  Melquiond's emulation (TwoProduct, TwoSum, a round-to-odd add, a final add).
* f64 directed modes adjust the ``.rn`` result by one ulp from the sign of the
  exact error. Elements outside the range where the error-free transformations
  are exact (extreme exponents) fall back to exact ``Fraction`` arithmetic, per
  element.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
MODES = ("rn", "rz", "rm", "rp")
_INF = np.float64(np.inf)
_SPLITTER = np.float64(134217729.0)          # 2**27 + 1
_SAFE_HI = np.float64(2.0 ** 995)             # Veltkamp split cannot overflow below this
_PROD_LO = np.float64(2.0 ** -960)            # product errors are representable above this
_PROD_HI = np.float64(2.0 ** 1020)
# (precision, emin, emax) of each binary format
FORMATS = {F16: (11, -14, 15), F32: (24, -126, 127), F64: (53, -1022, 1023)}


# --- error-free transformations (f64 arrays) --------------------------------

def two_sum(a, b):
    """s = fl(a + b) and the exact error a + b - s (exact barring overflow)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    t = _SPLITTER * a
    hi = t - (t - a)
    return hi, a - hi


def two_prod(a, b):
    """p = fl(a * b) and the exact error a*b - p (exact inside ``prod_safe``)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def prod_safe(a, b, p):
    """Where two_prod(a, b) is exact: moderate operands, product neither tiny nor huge."""
    ap = np.abs(p)
    return (np.abs(a) < _SAFE_HI) & (np.abs(b) < _SAFE_HI) & (ap > _PROD_LO) & (ap < _PROD_HI)


def to_odd(hi, err):
    """Round-to-odd of hi + err, where hi = RN(exact) and err has the sign of exact - hi."""
    bits = np.asarray(hi).view(np.uint64)
    fix = (err != 0) & ((bits & np.uint64(1)) == 0) & np.isfinite(hi)
    if not np.any(fix):
        return hi
    return np.where(fix, np.nextafter(hi, np.where(err > 0, _INF, -_INF)), hi)


def round_f64(x, dtype: np.dtype, mode: str):
    """Round f64 values to ``dtype`` in ``mode``. Correct when ``x`` is the exact
    value or its round-to-odd at 53 bits (so any narrower target)."""
    x = np.asarray(x, dtype=F64)
    r = x.astype(dtype)
    if mode == "rn" or dtype == F64:
        return r
    back = r.astype(F64)
    if mode == "rz":
        fix, toward = np.abs(back) > np.abs(x), 0.0
    elif mode == "rm":
        fix, toward = back > x, -np.inf
    else:
        fix, toward = back < x, np.inf
    if not np.any(fix):
        return r
    return np.where(fix, np.nextafter(r, np.asarray(toward, dtype=dtype)), r)


def adjust(r, err, mode: str):
    """Directed rounding of an f64 value from its RN result ``r`` and the sign of
    the exact error ``err`` (exact - r). Overflowed ``r`` must carry err = -r."""
    if mode == "rn":
        return r
    if mode == "rz":
        fix, toward = (err != 0) & (np.signbit(err) != np.signbit(r)), 0.0
    elif mode == "rm":
        fix, toward = err < 0, -np.inf
    else:
        fix, toward = err > 0, np.inf
    if not np.any(fix):
        return r
    return np.where(fix, np.nextafter(r, toward), r)


def fix_zero_sign_rm(result, a, b, mode: str):
    """IEEE: an exactly-zero sum is -0 when rounding toward -inf, unless both
    addends are +0 (in the other modes NumPy's RN sign rules already hold)."""
    if mode != "rm":
        return result
    both_pos_zero = (a == 0) & (b == 0) & ~np.signbit(a) & ~np.signbit(b)
    return np.where((result == 0) & ~both_pos_zero, -0.0, result).astype(result.dtype)


# --- exact fallback (per element, Fraction) --------------------------------

def round_fraction(q: Fraction, dtype: np.dtype, mode: str) -> float:
    """The value of nonzero rational ``q`` rounded to ``dtype`` in ``mode``."""
    prec, emin, emax = FORMATS[np.dtype(dtype)]
    negative = q < 0
    a = -q if negative else q
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    e = max(e, emin)
    scale = Fraction(2) ** (e - prec + 1)
    m = a / scale
    mi = m.numerator // m.denominator
    rest = m - mi
    if mode == "rn":
        if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and mi % 2 == 1):
            mi += 1
    elif (mode == "rm" and negative) or (mode == "rp" and not negative):
        if rest > 0:
            mi += 1
    value = mi * scale
    largest = (2 - Fraction(2) ** (1 - prec)) * Fraction(2) ** emax
    if value > largest:
        to_inf = mode == "rn" or (mode == "rm" and negative) or (mode == "rp" and not negative)
        value = None if to_inf else largest
    out = math.inf if value is None else float(value)
    return -out if negative else out


def _exact_op(op: str, args: tuple[float, ...], dtype: np.dtype, mode: str) -> float:
    """One element of ``op`` in f64 arithmetic semantics, exactly rounded."""
    if not all(math.isfinite(v) for v in args):
        with np.errstate(all="ignore"):
            return float(_RN_F64[op](*(np.float64(v) for v in args)))
    if op == "sqrt":
        (x,) = args
        if x <= 0:
            return math.sqrt(x) if x == 0 else math.nan
        r = math.sqrt(x)
        diff = Fraction(x) - Fraction(r) ** 2
        err = (diff > 0) - (diff < 0)
        if mode == "rn" or err == 0:
            return r
        if mode == "rz" or mode == "rm":
            return math.nextafter(r, 0.0) if err < 0 else r
        return math.nextafter(r, math.inf) if err > 0 else r
    exact = [Fraction(v) for v in args]
    if op == "add":
        q = exact[0] + exact[1]
        addends = args
    elif op == "sub":
        q = exact[0] - exact[1]
        addends = (args[0], -args[1])
    elif op == "mul":
        q = exact[0] * exact[1]
        addends = None
    elif op == "div":
        if args[1] == 0:
            return float(np.float64(args[0]) / np.float64(args[1])) if args[0] else math.nan
        q = exact[0] / exact[1]
        addends = None
    elif op == "fma":
        q = exact[0] * exact[1] + exact[2]
        addends = (args[0] * args[1] if (args[0] == 0 or args[1] == 0) else 1.0, args[2])
    else:
        raise ValueError(op)
    if q == 0:
        if addends is None:
            return math.copysign(0.0, math.copysign(1, args[0]) * math.copysign(1, args[1]))
        x, y = addends
        if x == 0 and y == 0 and math.copysign(1, x) == math.copysign(1, y):
            return x
        return -0.0 if mode == "rm" else 0.0
    return round_fraction(q, dtype, mode)


_RN_F64 = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
           "sqrt": np.sqrt, "fma": lambda a, b, c: a * b + c}


def _patch(result, where, op: str, args, dtype: np.dtype, mode: str):
    """Recompute the elements of ``result`` selected by ``where`` exactly."""
    if not np.any(where):
        return result
    result = np.array(result, dtype=dtype, copy=True)
    flat = result.reshape(-1)
    idx = np.flatnonzero(np.broadcast_to(where, flat.shape))
    cols = [np.broadcast_to(np.asarray(a, dtype=F64), flat.shape) for a in args]
    for i in idx:
        flat[i] = _exact_op(op, tuple(float(c[i]) for c in cols), dtype, mode)
    return result


# --- operations --------------------------------------------------------------

def add(a, b, dtype: np.dtype, mode: str, negate_b: bool = False):
    """a + b (or a - b) rounded to ``dtype`` in ``mode``; inputs already of ``dtype``."""
    if mode == "rn":
        return np.subtract(a, b, dtype=dtype) if negate_b else np.add(a, b, dtype=dtype)
    a64, b64 = np.asarray(a, F64), np.asarray(b, F64)
    if negate_b:
        b64 = -b64
    s, err = two_sum(a64, b64)
    finite_in = np.isfinite(a64) & np.isfinite(b64)
    err = np.where(finite_in & ~np.isfinite(s), -s, np.where(np.isfinite(s), err, 0.0))
    if dtype == F64:
        out = adjust(s, err, mode)
    else:
        out = round_f64(to_odd(s, err), dtype, mode)
    return fix_zero_sign_rm(np.asarray(out, dtype=dtype), a64, b64, mode)


def mul(a, b, dtype: np.dtype, mode: str):
    if mode == "rn":
        return np.multiply(a, b, dtype=dtype)
    a64, b64 = np.asarray(a, F64), np.asarray(b, F64)
    if dtype != F64:
        return round_f64(a64 * b64, dtype, mode)      # exact: 2*24 bits fit in 53
    p, err = two_prod(a64, b64)
    finite_in = np.isfinite(a64) & np.isfinite(b64)
    special = ~finite_in | (p == 0) & ((a64 == 0) | (b64 == 0))
    overflow = finite_in & ~np.isfinite(p)
    safe = prod_safe(a64, b64, p)
    err = np.where(overflow, -p, np.where(safe, err, 0.0))
    out = adjust(p, err, mode)
    return _patch(out, ~(safe | special | overflow), "mul", (a64, b64), dtype, mode)


def div(a, b, dtype: np.dtype, mode: str):
    if mode == "rn" and dtype == F64:
        return np.divide(a, b, dtype=F64)
    a64, b64 = np.asarray(a, F64), np.asarray(b, F64)
    q = a64 / b64
    ph, pl = two_prod(q, b64)
    rem = (a64 - ph) - pl
    err = np.sign(rem) * np.sign(b64)
    regular = np.isfinite(q) & (q != 0) & np.isfinite(a64) & (b64 != 0)
    if dtype != F64:
        err = np.where(regular, err, 0.0)
        return round_f64(to_odd(q, err), dtype, mode)
    overflow = ~np.isfinite(q) & np.isfinite(a64) & np.isfinite(b64) & (b64 != 0) & (a64 != 0)
    underflow = (q == 0) & (a64 != 0) & np.isfinite(b64)
    safe = regular & prod_safe(q, b64, ph) & (np.abs(a64) > _PROD_LO)
    err = np.where(overflow, -q, np.where(safe, err, 0.0))
    out = adjust(q, err, mode)
    return _patch(out, (regular & ~safe) | underflow, "div", (a64, b64), dtype, mode)


def sqrt(x, dtype: np.dtype, mode: str):
    if mode == "rn":
        return np.sqrt(x, dtype=dtype)
    x64 = np.asarray(x, F64)
    r = np.sqrt(x64)
    ph, pl = two_prod(r, r)
    err = np.sign((x64 - ph) - pl)
    regular = np.isfinite(x64) & (x64 > 0)
    if dtype != F64:
        return round_f64(to_odd(r, np.where(regular, err, 0.0)), dtype, mode)
    safe = regular & (x64 > _PROD_LO) & (x64 < _PROD_HI)
    out = adjust(r, np.where(safe, err, 0.0), mode)
    return _patch(out, regular & ~safe, "sqrt", (x64,), dtype, mode)


_F32_EXTRA = np.uint64((1 << 29) - 1)        # f64 fraction bits below an f32 ulp
_F32_MIDPOINT = np.uint64(1 << 28)
_F32_MIN_NORMAL = np.float64(2.0 ** -126)


def _fma_f32_rn(p, c64):
    """RN to f32 of p + c (p exact). s = RN53(p + c) rounds correctly to f32
    unless s sits exactly on an f32 midpoint (or in the f32 subnormal range,
    where the midpoints move): only those elements need round-to-odd."""
    s = p + c64
    bits = np.asarray(s).view(np.uint64)
    suspect = ((bits & _F32_EXTRA) == _F32_MIDPOINT) | (np.abs(s) < _F32_MIN_NORMAL)
    if np.any(suspect & np.isfinite(s)):
        _, err = two_sum(p, c64)
        s = np.where(suspect & np.isfinite(s), to_odd(s, err), s)
    return np.asarray(s).astype(F32)


def fma(a, b, c, dtype: np.dtype, mode: str):
    """a*b + c with a single rounding."""
    a64, b64, c64 = np.asarray(a, F64), np.asarray(b, F64), np.asarray(c, F64)
    if dtype != F64:
        p = a64 * b64                                  # exact
        if mode == "rn" and dtype == F32:
            return _fma_f32_rn(p, c64)
        s, err = two_sum(p, c64)
        err = np.where(np.isfinite(s), err, 0.0)
        out = np.asarray(round_f64(to_odd(s, err), dtype, mode), dtype=dtype)
        return fix_zero_sign_rm(out, p, c64, mode)
    uh, ul = two_prod(a64, b64)
    th, tl = two_sum(c64, uh)
    vs, ve = two_sum(tl, ul)
    v = to_odd(vs, ve)
    result = th + v
    finite_in = np.isfinite(a64) & np.isfinite(b64) & np.isfinite(c64)
    zero_product = (a64 == 0) | (b64 == 0)
    plain = ~finite_in | zero_product
    result = np.where(plain, uh + c64, result)
    safe = prod_safe(a64, b64, uh) & (np.abs(c64) < _PROD_HI) & np.isfinite(result)
    hard = finite_in & ~zero_product & ~safe
    if mode != "rn":
        hard = finite_in & ~zero_product
        result = fix_zero_sign_rm(np.asarray(result, F64), uh, c64, mode)
    return _patch(np.asarray(result, dtype=F64), hard, "fma", (a64, b64, c64), dtype, mode)
