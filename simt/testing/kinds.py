"""The types the kernel generator reasons about, and what NumPy 2 says they combine to.

A ``Kind`` is a NumPy scalar type (``int8`` .. ``float64``, ``bool``) or a weakly
typed Python scalar (``int``, ``float``; NEP 50). The generator never guesses a
promotion rule: it asks NumPy, by applying the operator to sample values of the
operand kinds (``result_kind``), so generated kernels are well typed under exactly
the reference semantics the oracle runs. Literal text (``np.float32(1.5)``,
``math.inf``) is made here too.
"""
from __future__ import annotations

import functools
import math
import operator
from dataclasses import dataclass
from typing import Callable

import numpy as np

INT_NAMES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
FLOAT_NAMES = ("float16", "float32", "float64")
STRONG_NAMES = ("bool",) + INT_NAMES + FLOAT_NAMES

# Weak Python ints stay far inside int64, where CPython and the IR's int64 agree.
WEAK_INT_LIMIT = 2 ** 40


@dataclass(frozen=True)
class Kind:
    """A scalar type: a NumPy dtype name, or ``int``/``float`` for a Python scalar."""

    name: str

    @property
    def weak(self) -> bool:
        return self.name in ("int", "float")

    @property
    def dtype(self) -> np.dtype:
        return np.dtype({"int": "int64", "float": "float64"}.get(self.name, self.name))

    @property
    def is_bool(self) -> bool:
        return self.name == "bool"

    @property
    def is_int(self) -> bool:
        return self.dtype.kind in "iu"

    @property
    def is_float(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_unsigned(self) -> bool:
        return self.dtype.kind == "u"

    @property
    def bounds(self) -> tuple[int, int]:
        """The value range of an integer kind (weak ints: the range the generator keeps)."""
        if self.name == "int":
            return (-WEAK_INT_LIMIT, WEAK_INT_LIMIT)
        if self.is_bool:
            return (0, 1)
        info = np.iinfo(self.dtype)
        return (int(info.min), int(info.max))

    def sample(self):
        """A value of this kind to let NumPy compute result types with."""
        if self.name == "int":
            return 1
        if self.name == "float":
            return 1.0
        return self.dtype.type(1)

    def constructor(self) -> str:
        """The source text that converts to this kind: ``np.int8``, ``float``."""
        return self.name if self.weak else f"np.{'bool_' if self.is_bool else self.name}"

    def __str__(self) -> str:
        return self.name


PY_INT = Kind("int")
PY_FLOAT = Kind("float")
BOOL = Kind("bool")
INT32 = Kind("int32")
INT64 = Kind("int64")
STRONG = tuple(Kind(name) for name in STRONG_NAMES)
NUMERIC = tuple(kind for kind in STRONG if not kind.is_bool)


def kind_of(value) -> Kind | None:
    """The kind of a value NumPy or CPython computed; None for a Python bool."""
    if isinstance(value, np.generic):
        return Kind(value.dtype.name)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return PY_INT
    if isinstance(value, float):
        return PY_FLOAT
    return None


BINARY: dict[str, Callable] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "&": operator.and_,
    "|": operator.or_, "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift,
}
UNARY: dict[str, Callable] = {"-": operator.neg, "~": operator.invert, "abs": abs}


@functools.cache
def result_kind(op: str, left: Kind, right: Kind | None = None) -> Kind | None:
    """The kind ``left op right`` (or ``op left``) has under NumPy 2; None if invalid."""
    function = BINARY[op] if right is not None else UNARY[op]
    operands = (left.sample(),) if right is None else (left.sample(), right.sample())
    try:
        with np.errstate(all="ignore"):
            value = function(*operands)
    except (TypeError, ValueError, OverflowError):
        return None
    return kind_of(value)


@functools.cache
def common_kind(left: Kind, right: Kind) -> Kind | None:
    """The kind ``min(left, right)`` promotes both to (NumPy's result_type, or Python's)."""
    if left.weak and right.weak:
        return PY_FLOAT if PY_FLOAT in (left, right) else PY_INT
    try:
        dtype = np.result_type(left.sample(), right.sample())
    except TypeError:
        return None
    return Kind(dtype.name)


def fits(bounds: tuple[int, int], kind: Kind) -> bool:
    """Whether every int in ``bounds`` is a value of the integer ``kind``."""
    low, high = kind.bounds
    return low <= bounds[0] and bounds[1] <= high


def float_text(value: float) -> str:
    """A Python float literal, with ``math.inf``/``math.nan`` for the specials."""
    if math.isnan(value):
        return "math.nan"
    if math.isinf(value):
        return "math.inf" if value > 0 else "-math.inf"
    return repr(float(value))


def literal_text(value, kind: Kind) -> str:
    """Source for the constant ``value`` of ``kind`` (a Python literal when weak)."""
    if kind == PY_INT:
        return str(int(value))
    if kind == PY_FLOAT:
        return float_text(value)
    if kind.is_bool:
        return f"np.bool_({bool(value)})"
    inner = float_text(value) if kind.is_float else str(int(value))
    return f"{kind.constructor()}({inner})"


def interesting_ints(kind: Kind) -> list[int]:
    """Small values first (shrinking prefers them), then the edges of the kind."""
    low, high = kind.bounds if kind != PY_INT else (-(2 ** 31), 2 ** 31)
    values = [0, 1, 2, 3, -1, 7, -5, 100, 127, -128, 255, 1000, 65535, low, high, low + 1,
              high - 1]
    seen = []
    for value in values:
        if low <= value <= high and value not in seen:
            seen.append(value)
    return seen


FLOAT_LITERALS = (0.0, 1.0, 2.0, 0.5, -1.5, 3.0, -0.0, 10.0, 1e-3, 0.1, 1e10, 65504.0,
                  1e30, 1e-40, 1e300, math.inf, -math.inf, math.nan)
