"""Kernel-language typing: NumPy 2 promotion (NEP 50) with Python's weak scalars.

A traced scalar has an IR type plus a ``weak`` flag: True for values that are
Python ``bool``/``int``/``float`` objects in the CPython meaning of the kernel
(literals, ``x.shape[k]``, ``range()`` counters, ``int(...)``). Result types are
found by asking NumPy itself to combine sample values, so promotion matches the
reference (CPython running the body with NumPy scalars) by construction.
"""
from __future__ import annotations

import operator
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..ir import types as T
from ..ir.types import ScalarType, scalar_type


@dataclass(frozen=True)
class SType:
    """A traced scalar's type: an IR type and whether it is a weak Python scalar."""

    type: ScalarType
    weak: bool = False

    def __str__(self) -> str:
        if self.weak:
            return {"bool": "bool", "int64": "int", "float64": "float"}[self.type.name]
        return self.type.name


PY_BOOL = SType(T.bool_, True)
PY_INT = SType(T.int64, True)
PY_FLOAT = SType(T.float64, True)

BINARY_OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "&": operator.and_,
    "|": operator.or_, "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift,
}


class PromotionError(TypeError):
    pass


def stype_of_python(value) -> SType:
    """The SType of a Python or NumPy scalar constant."""
    if isinstance(value, np.generic):   # first: np.float64 is a subclass of float
        return SType(scalar_type(value.dtype))
    if isinstance(value, bool):
        return PY_BOOL
    if isinstance(value, int):
        return PY_INT
    if isinstance(value, float):
        return PY_FLOAT
    raise PromotionError(f"not a scalar: {value!r}")


def is_numeric_constant(value) -> bool:
    if isinstance(value, (bool, int, float)):
        return True
    return isinstance(value, np.generic) and value.dtype.kind in "biuf"


def _sample(st: SType, one: bool = True):
    if st.weak:
        return {"b": True, "i": 1, "f": 1.0}[st.type.kind.value] if one else \
            {"b": False, "i": 0, "f": 0.0}[st.type.kind.value]
    return st.type.dtype.type(1 if one else 0)


def _stype_of_result(result) -> SType:
    if isinstance(result, np.generic):   # first: np.float64 is a subclass of float
        return SType(scalar_type(result.dtype))
    if isinstance(result, bool):
        return PY_BOOL
    if isinstance(result, int):
        return PY_INT
    if isinstance(result, float):
        return PY_FLOAT
    raise PromotionError(f"unsupported result {type(result).__name__}")


@lru_cache(maxsize=None)
def binary_result(symbol: str, a: SType, b: SType) -> SType:
    """The type of ``a <symbol> b`` in the reference semantics."""
    fn = BINARY_OPERATORS[symbol]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            result = fn(_sample(a), _sample(b))
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            raise PromotionError(f"unsupported operand types for {symbol}: {a} and {b}") from exc
    return _stype_of_result(result)


@lru_cache(maxsize=None)
def common_type(a: SType, b: SType) -> SType:
    """The type both operands take for a comparison, min/max or a join of two paths."""
    if a == b:
        return a
    if a.weak and b.weak:
        order = [PY_BOOL, PY_INT, PY_FLOAT]
        return max(a, b, key=order.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dtype = np.result_type(_sample(a), _sample(b))
        except TypeError as exc:
            raise PromotionError(f"no common type for {a} and {b}") from exc
    return SType(scalar_type(dtype))


def unary_result(kind: str, a: SType) -> SType:
    """The type of -a, +a, ~a, abs(a)."""
    if a.type.is_bool:
        if kind == "invert":
            return a if not a.weak else PY_INT
        if a.weak:
            return PY_INT
        if kind in ("neg",):
            raise PromotionError("the '-' operator is not supported for NumPy bools (use 'not')")
        return SType(T.int64) if kind == "pos" else a
    if kind == "invert" and a.type.is_float:
        raise PromotionError(f"'~' is not supported for {a}")
    return a


def math_result(a: SType) -> SType:
    """``math.f(a)``: NumPy floats keep their type; anything else gives a Python float."""
    if a.type.is_float and not a.weak:
        return a
    return PY_FLOAT
