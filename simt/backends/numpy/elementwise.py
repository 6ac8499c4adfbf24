"""What each pure value op means, as functions over NumPy arrays and scalars.

This module owns the reference semantics of every op that computes a value from
its operands alone (the ``values``, ``binary``, ``unary``, ``compare``, ``math_*``,
``predicates`` and ``bits`` groups; the bit operations live in ``bits.py``). Each
function in ``ELEMENTWISE`` takes ``(result_type, attrs, *operands)`` where every
operand is a NumPy array (one element per thread) or a NumPy scalar (the same for
all threads), and returns an array or scalar. The interpreter calls them for
varying values and for uniform ones, and ``evaluate_constant`` (the IR constant
folder's callback) calls the very same functions, so folding cannot disagree with
execution.

Callers run them under ``np.errstate(all="ignore")``: overflow wraps, division by
zero and invalid operations produce NumPy's values silently, as in the reference
(CPython running the kernel body with NumPy scalars). The result may come back
with a different dtype or as a 0-d array for a few bool corner cases; the callers
normalise it to the result type (``as_scalar`` / the handlers).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

import numpy as np

from simt.ir.ops import Op
from simt.ir.types import ScalarType

from . import bits
from .fma import fma

Operand = Any  # np.ndarray | np.generic
ElementwiseImpl = Callable[..., Any]


def _ufunc(function: np.ufunc) -> ElementwiseImpl:
    def impl(result_type: ScalarType, attrs: Mapping, *operands: Operand) -> Operand:
        return function(*operands)
    impl.__name__ = f"numpy_{function.__name__}"
    return impl


def _is_float(x: Operand) -> bool:
    return np.dtype(x.dtype).kind == "f"


def _is_bool(x: Operand) -> bool:
    return np.dtype(x.dtype).kind == "b"


def _const(result_type: ScalarType, attrs: Mapping) -> Operand:
    return attrs["value"]


def _select(result_type: ScalarType, attrs: Mapping, cond: Operand, a: Operand, b: Operand) -> Operand:
    return np.where(cond, a, b)


def cast(result_type: ScalarType, attrs: Mapping, x: Operand) -> Operand:
    """Convert ``x`` to ``result_type`` by the rules of docs/internals.md.

    int->int wraps and int/float->float rounds to nearest (``astype`` does both);
    anything->bool is ``x != 0`` (NaN is true, like Python's ``bool``); float->int
    truncates toward zero and saturates, NaN -> 0, which ``astype`` leaves undefined.
    """
    target = result_type.dtype
    if result_type.is_bool:
        return np.not_equal(x, 0)
    if result_type.is_int and _is_float(x):
        return _float_to_int(x, target)
    return np.asarray(x).astype(target)


def _float_to_int(x: Operand, target: np.dtype) -> Operand:
    info = np.iinfo(target)
    # float64 holds every float16/32 exactly and the limits lo and hi + 1 (powers of two).
    truncated = np.trunc(np.asarray(x, dtype=np.float64))
    too_high = truncated >= float(info.max + 1)
    too_low = truncated < float(info.min)
    outside = too_high | too_low | np.isnan(truncated)
    in_range = np.where(outside, 0.0, truncated).astype(target)
    return np.where(too_high, target.type(info.max), np.where(too_low, target.type(info.min), in_range))


def _truediv(result_type: ScalarType, attrs: Mapping, a: Operand, b: Operand) -> Operand:
    return np.true_divide(a, b)


def _power(result_type: ScalarType, attrs: Mapping, a: Operand, b: Operand) -> Operand:
    """``a ** b``; for integers a negative exponent gives ``1 // a ** -b`` (1, -1 or 0)."""
    if _is_float(a):
        return _float_power(a, b)
    if _is_bool(a):
        return np.logical_or(a, np.logical_not(b))  # x**0 == 1 and x**1 == x
    dtype = np.dtype(a.dtype)
    if dtype.kind == "u":
        return np.power(a, b)
    negative = np.less(b, 0)
    # np.power refuses negative integer exponents, so feed it 0 there and patch after.
    result = np.power(a, np.where(negative, dtype.type(0), b))
    if not np.any(negative):
        return result
    one, minus_one, zero = dtype.type(1), dtype.type(-1), dtype.type(0)
    odd = np.not_equal(np.bitwise_and(b, one), zero)
    small = np.where(np.equal(a, one), one,
                     np.where(np.equal(a, minus_one), np.where(odd, minus_one, one), zero))
    return np.where(negative, small, result)


def _float_power(a: Operand, b: Operand) -> Operand:
    """Float ``a ** b``: C ``pow``'s special values everywhere; exponents 2, 0.5, 1
    and -1 exactly as the correctly rounded ``a*a``, ``sqrt(a)``, ``a`` and ``1/a``
    (what NumPy itself computes for ``array ** 2`` and friends); other exponents by
    NumPy's vectorised ``pow``, within an ulp of C's.

    NumPy takes those shortcuts only for a broadcast (stride-0) exponent, and then
    gets ``(-0.0) ** 0.5`` and ``(-inf) ** 0.5`` wrong (sqrt gives -0.0 and NaN, pow
    +0.0 and +inf). Applying them per element by value keeps uniform, per-thread and
    folded results identical."""
    if np.ndim(b) == 0:
        exact = _exact_power(a, b)
        if exact is not None:
            return exact
        # A full exponent array: NumPy's stride-0 shortcuts are not C pow.
        return np.power(a, np.full(np.shape(a) or (1,), b, dtype=np.asarray(b).dtype))
    result = np.power(a, b)
    for exponent in _EXACT_EXPONENTS:
        where = np.equal(b, exponent)
        if np.any(where):
            result = np.where(where, _exact_power(a, b.dtype.type(exponent)), result)
    return result


_EXACT_EXPONENTS = (2.0, 0.5, 1.0, -1.0)


def _exact_power(a: Operand, exponent: np.generic) -> Operand | None:
    if exponent == 2:
        return np.multiply(a, a)
    if exponent == 1:
        return np.positive(a)
    if exponent == -1:
        return np.true_divide(a.dtype.type(1), a)
    if exponent == 0.5:
        root = np.sqrt(a)
        # C pow: pow(-0.0, 0.5) == +0.0 and pow(-inf, 0.5) == +inf.
        return np.where(np.equal(a, 0), a.dtype.type(0), np.where(np.isneginf(a), np.abs(a), root))
    return None


def _min(result_type: ScalarType, attrs: Mapping, a: Operand, b: Operand) -> Operand:
    return np.where(np.less(b, a), b, a)          # CPython min: b only if b < a


def _max(result_type: ScalarType, attrs: Mapping, a: Operand, b: Operand) -> Operand:
    return np.where(np.greater(b, a), b, a)       # CPython max: b only if b > a


def _neg(result_type: ScalarType, attrs: Mapping, x: Operand) -> Operand:
    # NumPy refuses to negate bools; in 1-bit two's complement -x == x.
    return x if _is_bool(x) else np.negative(x)


def _not(result_type: ScalarType, attrs: Mapping, x: Operand) -> Operand:
    return np.logical_not(x)


def _erf_like(function: Callable[[float], float]) -> ElementwiseImpl:
    """Vectorise ``math.erf``/``math.erfc``: exactly what the CPython reference
    computes (double precision), then rounded to the operand's float type. NumPy has
    no erf, and accuracy matters more than speed for these rarely used functions."""
    scalar_function = np.frompyfunc(function, 1, 1)

    def impl(result_type: ScalarType, attrs: Mapping, x: Operand) -> Operand:
        wide = np.asarray(x, dtype=np.float64)
        return np.asarray(scalar_function(wide), dtype=np.float64).astype(x.dtype)
    impl.__name__ = f"math_{function.__name__}"
    return impl


def _fma(result_type: ScalarType, attrs: Mapping, a: Operand, b: Operand, c: Operand) -> Operand:
    return fma(a, b, c)


ELEMENTWISE: dict[Op, ElementwiseImpl] = {
    Op.CONST: _const,
    Op.CAST: cast,
    Op.SELECT: _select,

    Op.ADD: _ufunc(np.add),
    Op.SUB: _ufunc(np.subtract),
    Op.MUL: _ufunc(np.multiply),
    Op.TRUEDIV: _truediv,
    Op.FLOORDIV: _ufunc(np.floor_divide),   # floors; int // 0 == 0 in NumPy
    Op.MOD: _ufunc(np.remainder),           # sign of the divisor; int % 0 == 0
    Op.POW: _power,
    Op.MIN: _min,
    Op.MAX: _max,
    Op.AND: _ufunc(np.bitwise_and),
    Op.OR: _ufunc(np.bitwise_or),
    Op.XOR: _ufunc(np.bitwise_xor),
    Op.SHL: _ufunc(np.left_shift),          # NumPy: shift >= width (or < 0) gives 0
    Op.SHR: _ufunc(np.right_shift),         # ... or -1 for a negative signed operand

    Op.NEG: _neg,
    Op.INVERT: _ufunc(np.invert),           # logical not on bool
    Op.NOT: _not,
    Op.ABS: _ufunc(np.absolute),            # abs(int min) wraps to int min

    Op.EQ: _ufunc(np.equal),
    Op.NE: _ufunc(np.not_equal),
    Op.LT: _ufunc(np.less),
    Op.LE: _ufunc(np.less_equal),
    Op.GT: _ufunc(np.greater),
    Op.GE: _ufunc(np.greater_equal),

    Op.SQRT: _ufunc(np.sqrt),
    Op.EXP: _ufunc(np.exp),
    Op.EXP2: _ufunc(np.exp2),
    Op.EXPM1: _ufunc(np.expm1),
    Op.LOG: _ufunc(np.log),
    Op.LOG2: _ufunc(np.log2),
    Op.LOG10: _ufunc(np.log10),
    Op.LOG1P: _ufunc(np.log1p),
    Op.SIN: _ufunc(np.sin),
    Op.COS: _ufunc(np.cos),
    Op.TAN: _ufunc(np.tan),
    Op.ASIN: _ufunc(np.arcsin),
    Op.ACOS: _ufunc(np.arccos),
    Op.ATAN: _ufunc(np.arctan),
    Op.SINH: _ufunc(np.sinh),
    Op.COSH: _ufunc(np.cosh),
    Op.TANH: _ufunc(np.tanh),
    Op.ASINH: _ufunc(np.arcsinh),
    Op.ACOSH: _ufunc(np.arccosh),
    Op.ATANH: _ufunc(np.arctanh),
    Op.ERF: _erf_like(math.erf),
    Op.ERFC: _erf_like(math.erfc),
    Op.FLOOR: _ufunc(np.floor),
    Op.CEIL: _ufunc(np.ceil),
    Op.TRUNC: _ufunc(np.trunc),
    Op.FABS: _ufunc(np.fabs),
    Op.CBRT: _ufunc(np.cbrt),
    Op.ATAN2: _ufunc(np.arctan2),
    Op.HYPOT: _ufunc(np.hypot),
    Op.COPYSIGN: _ufunc(np.copysign),
    Op.FMOD: _ufunc(np.fmod),
    Op.FMA: _fma,
    Op.ISNAN: _ufunc(np.isnan),
    Op.ISINF: _ufunc(np.isinf),
    Op.ISFINITE: _ufunc(np.isfinite),

    Op.POPC: bits.popc,
    Op.CLZ: bits.clz,
    Op.FFS: bits.ffs,
    Op.BREV: bits.brev,
}


# Ops whose implementation is exactly one ufunc returning its operands' dtype: they
# may write into an operand that dies at the op (``out=``), with identical results.
IN_PLACE: dict[Op, np.ufunc] = {
    op: ufunc for op, ufunc in (
        (Op.ADD, np.add), (Op.SUB, np.subtract), (Op.MUL, np.multiply),
        (Op.TRUEDIV, np.true_divide), (Op.FLOORDIV, np.floor_divide), (Op.MOD, np.remainder),
        (Op.AND, np.bitwise_and), (Op.OR, np.bitwise_or), (Op.XOR, np.bitwise_xor),
        (Op.SHL, np.left_shift), (Op.SHR, np.right_shift), (Op.INVERT, np.invert),
        (Op.ABS, np.absolute), (Op.SQRT, np.sqrt), (Op.EXP, np.exp), (Op.LOG, np.log),
        (Op.SIN, np.sin), (Op.COS, np.cos), (Op.FABS, np.fabs), (Op.FLOOR, np.floor),
        (Op.CEIL, np.ceil), (Op.TRUNC, np.trunc), (Op.COPYSIGN, np.copysign),
    )
}


def as_scalar(result: Operand, result_type: ScalarType) -> np.generic:
    """A uniform result as a NumPy scalar of exactly ``result_type``."""
    if isinstance(result, np.ndarray):
        result = result.reshape(())[()]
    if not isinstance(result, np.generic) or result.dtype != result_type.dtype:
        result = np.asarray(result).astype(result_type.dtype)[()]
    return result


def as_array(result: Operand, result_type: ScalarType, size: int) -> np.ndarray:
    """A varying result as a 1-D array of ``size`` elements of ``result_type``."""
    result = np.asarray(result)
    if result.dtype != result_type.dtype:
        result = result.astype(result_type.dtype)
    if result.shape != (size,):
        result = np.broadcast_to(result, (size,)).copy()
    return result
