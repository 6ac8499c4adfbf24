"""Legalization phase 4: array indices to one flat element index.

Before: ``LOAD(array, i0, .., ik)`` / ``STORE(array, i0, .., ik, value)`` with integer
indices of any type. After: ``LOAD(array, linear)`` / ``STORE(array, linear, value)``
tagged ``legal=linear``, where ``linear`` is an int64 row-major (C-contiguous) element
index. A negative signed index counts from the end, as in Python (``i + shape[k]``).
Like numba there is no bounds check: a GPU thread cannot raise.
"""
from __future__ import annotations

from simt.ir import CompileError, Function, Op, Operation, Value
from simt.ir.types import ArrayType, MemorySpace, int64

from .irbuild import DROP, KEEP, LEGAL, LINEAR, Lowering, Rule, run_rules


def linear_index(lowering: Lowering, array: Value, indices: list[Value]) -> Value:
    linear: Value | None = None
    for axis, index in enumerate(indices):
        dim = lowering.emit(Op.ARRAY_DIM, [array], int64, {"axis": axis}).result
        wide = lowering.cast(index, int64)
        if index.type.is_signed:
            wide = lowering.select(lowering.lt(wide, 0), lowering.add(wide, dim), wide)
        linear = wide if linear is None else lowering.add(lowering.mul(linear, dim), wide)
    if linear is None:                       # a 0-d array: its one element
        linear = lowering.const(0, int64)
    return linear


def _check_space(operation: Operation) -> None:
    array_type = operation.operands[0].type
    if not isinstance(array_type, ArrayType) or array_type.space is not MemorySpace.GLOBAL:
        raise CompileError(f"{operation.op.value} from a {array_type} array is not supported by "
                           "the PTX backend yet", loc=operation.loc)


def load_rule(lowering: Lowering, operation: Operation):
    if operation.attrs.get(LEGAL) == LINEAR:
        return KEEP
    _check_space(operation)
    array, *indices = operation.operands
    linear = linear_index(lowering, array, indices)
    return lowering.emit(Op.LOAD, [array, linear], operation.result.type,
                         {**operation.attrs, LEGAL: LINEAR}).result


def store_rule(lowering: Lowering, operation: Operation):
    if operation.attrs.get(LEGAL) == LINEAR:
        return KEEP
    _check_space(operation)
    array, *indices, value = operation.operands
    linear = linear_index(lowering, array, indices)
    lowering.emit(Op.STORE, [array, linear, value], None, {**operation.attrs, LEGAL: LINEAR})
    return DROP


RULES: dict[Op, Rule] = {Op.LOAD: load_rule, Op.STORE: store_rule}


def linearize_indices(fn: Function) -> Function:
    """Phase 4 (see the module docstring)."""
    return run_rules(fn, RULES)
