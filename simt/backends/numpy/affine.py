"""Symbolic fast paths: ops on affine values and range predicates that stay symbolic.

``SYMBOLIC_RULES[op](geometry, operands)`` returns the op's result without touching
per-thread arrays, or None when it cannot (the caller then materializes the
operands and runs the op's elementwise implementation, which is always correct).

Integer ``+ - *`` and negation are ring operations modulo 2**bits, so doing them on
the exact coefficients and checking that the result still fits the dtype for every
thread of the batch (``BatchGeometry.affine``) gives exactly the wrapped result.
Comparing two exact values compares their coefficient difference ``c + s*t`` with
zero, which holds on a contiguous range of batch threads when the difference is
linear in the thread number ``t`` (a ``RangePredicate``), or on the same range of
thread indices in every block when it depends on the thread's index in its block
only (a ``BlockRange``: ``threadIdx.x < stride`` in a batch of many blocks).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from simt.ir.ops import Op
from simt.ir.types import ScalarType, Type

from .geometry import BatchGeometry
from .values import Affine, BlockRange, RangePredicate

SymbolicRule = Callable[[BatchGeometry, list], Any]


def _coefficients(value: Any) -> tuple[int, int, int] | None:
    """(c, a, b) of an affine or uniform integer value, else None."""
    if isinstance(value, Affine):
        return value.c, value.a, value.b
    if isinstance(value, np.generic) and value.dtype.kind in "iu":
        return int(value), 0, 0
    return None


def _affine_operands(operands: list) -> list[tuple[int, int, int]] | None:
    """Coefficients of all operands when at least one is affine and all are integers."""
    if not any(isinstance(v, Affine) for v in operands):
        return None
    coefficients = [_coefficients(v) for v in operands]
    return None if any(c is None for c in coefficients) else coefficients


def _dtype(operands: list) -> np.dtype:
    return next(v.dtype for v in operands if isinstance(v, (Affine, np.generic)))


def _add(geometry: BatchGeometry, operands: list) -> Any:
    terms = _affine_operands(operands)
    if terms is None:
        return None
    (c1, a1, b1), (c2, a2, b2) = terms
    return geometry.affine(_dtype(operands), c1 + c2, a1 + a2, b1 + b2)


def _sub(geometry: BatchGeometry, operands: list) -> Any:
    terms = _affine_operands(operands)
    if terms is None:
        return None
    (c1, a1, b1), (c2, a2, b2) = terms
    return geometry.affine(_dtype(operands), c1 - c2, a1 - a2, b1 - b2)


def _scale(geometry: BatchGeometry, value: Affine, factor: int) -> Any:
    return geometry.affine(value.dtype, value.c * factor, value.a * factor, value.b * factor)


def _mul(geometry: BatchGeometry, operands: list) -> Any:
    x, y = operands
    if isinstance(x, Affine) and isinstance(y, np.generic):
        return _scale(geometry, x, int(y))
    if isinstance(y, Affine) and isinstance(x, np.generic):
        return _scale(geometry, y, int(x))
    return None


def _neg(geometry: BatchGeometry, operands: list) -> Any:
    (x,) = operands
    return _scale(geometry, x, -1) if isinstance(x, Affine) else None


def _shl(geometry: BatchGeometry, operands: list) -> Any:
    x, shift = operands
    if isinstance(x, Affine) and isinstance(shift, np.generic) and 0 <= int(shift) < x.dtype.itemsize * 8:
        return _scale(geometry, x, 1 << int(shift))
    return None


def _cast(result_type: ScalarType, geometry: BatchGeometry, operands: list) -> Any:
    (x,) = operands
    if isinstance(x, Affine) and result_type.is_int:
        return geometry.affine(result_type.dtype, x.c, x.a, x.b)   # None if it would wrap
    return None


# -- comparisons -> range predicates -------------------------------------------------

def predicate(lo: int, hi: int, thread_count: int, kind: type = RangePredicate) -> Any:
    """The bool true exactly for batch threads ``lo <= t < hi`` (clamped), in the
    simplest form: a uniform when it is all or nothing. With ``kind=BlockRange``, ``t``
    is the thread's index in its block and ``thread_count`` the block size."""
    lo, hi = max(lo, 0), min(hi, thread_count)
    if lo >= hi:
        return np.False_
    if lo == 0 and hi == thread_count:
        return np.True_
    return kind(lo, hi)


def _negative_range(c: int, s: int, thread_count: int) -> tuple[int, int]:
    """The threads ``t`` with ``c + s*t < 0``, as a (clamped) range."""
    if s == 0:
        return (0, thread_count) if c < 0 else (0, 0)
    if s > 0:
        return 0, -(c // s)                   # t < ceil(-c / s)
    return c // -s + 1, thread_count          # t > c / -s


def _complement(value: Any, thread_count: int) -> Any:
    if isinstance(value, np.generic):
        return np.logical_not(value)
    if value.lo == 0:
        return predicate(value.hi, thread_count, thread_count, type(value))
    if value.hi == thread_count:
        return predicate(0, value.lo, thread_count, type(value))
    return None


# ``d op 0`` rewritten as ``sign*d + offset < 0`` (integers: ``d <= 0`` is ``d - 1 < 0``).
_AS_NEGATIVE = {Op.LT: (1, 0), Op.LE: (1, -1), Op.GT: (-1, 0), Op.GE: (-1, -1)}


def _compare_rule(op: Op) -> SymbolicRule:
    def rule(geometry: BatchGeometry, operands: list) -> Any:
        terms = _affine_operands(operands)
        if terms is None:
            return None
        (c1, a1, b1), (c2, a2, b2) = terms
        c, s = c1 - c2, geometry.stride_of(a1 - a2, b1 - b2)   # x - y == c + s*t
        n, kind = geometry.thread_count, RangePredicate
        if s is None:
            if a1 != a2:
                return None
            # x - y == c + s*thread_in_block: the same threads hold it in every block.
            s, n, kind = b1 - b2, geometry.threads_per_block, BlockRange

        def where(relation: Op) -> tuple[int, int]:
            sign, offset = _AS_NEGATIVE[relation]
            return _negative_range(sign * c + offset, sign * s, n)
        if op in _AS_NEGATIVE:
            return predicate(*where(op), n, kind)
        (lo1, hi1), (lo2, hi2) = where(Op.LE), where(Op.GE)
        equal = predicate(max(lo1, lo2), min(hi1, hi2), n, kind)
        return equal if op is Op.EQ else _complement(equal, n)
    return rule


def _predicate_operands(operands: list) -> bool:
    return (any(isinstance(v, RangePredicate) for v in operands)
            and all(isinstance(v, RangePredicate) or (isinstance(v, np.generic) and v.dtype == bool)
                    for v in operands))


def _as_range(value: Any, thread_count: int) -> tuple[int, int]:
    if isinstance(value, RangePredicate):
        return value.lo, value.hi
    return (0, thread_count) if value else (0, 0)


def _and(geometry: BatchGeometry, operands: list) -> Any:
    if not _predicate_operands(operands):
        return None
    n = geometry.thread_count
    (lo1, hi1), (lo2, hi2) = (_as_range(v, n) for v in operands)
    return predicate(max(lo1, lo2), min(hi1, hi2), n)


def _or(geometry: BatchGeometry, operands: list) -> Any:
    if not _predicate_operands(operands):
        return None
    n = geometry.thread_count
    (lo1, hi1), (lo2, hi2) = sorted(_as_range(v, n) for v in operands)
    if lo1 >= hi1:
        return predicate(lo2, hi2, n)
    if lo2 > hi1:
        return None                          # two disjoint ranges
    return predicate(lo1, max(hi1, hi2), n)


def _logical_not(geometry: BatchGeometry, operands: list) -> Any:
    (x,) = operands
    if isinstance(x, BlockRange):
        return _complement(x, geometry.threads_per_block)
    return _complement(x, geometry.thread_count) if isinstance(x, RangePredicate) else None


def _select(geometry: BatchGeometry, operands: list) -> Any:
    cond, if_true, if_false = operands
    if isinstance(cond, np.generic):
        return if_true if cond else if_false
    return None


SYMBOLIC_RULES: dict[Op, SymbolicRule] = {
    Op.ADD: _add,
    Op.SUB: _sub,
    Op.MUL: _mul,
    Op.NEG: _neg,
    Op.SHL: _shl,
    Op.AND: _and,
    Op.OR: _or,
    Op.NOT: _logical_not,
    Op.INVERT: _logical_not,
    Op.SELECT: _select,
    **{op: _compare_rule(op) for op in (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE)},
}


def symbolic_result(op: Op, result_type: Type, geometry: BatchGeometry, operands: list) -> Any:
    """The op's result as a symbolic value, or None when it must be computed per thread."""
    if op is Op.CAST:
        return _cast(result_type, geometry, operands)
    rule = SYMBOLIC_RULES.get(op)
    return None if rule is None else rule(geometry, operands)
