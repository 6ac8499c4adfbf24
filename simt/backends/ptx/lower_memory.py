"""Legalization phase 1: array indices to one flat element index.

Before: ``LOAD(array, i0, .., ik)`` / ``STORE(array, i0, .., ik, value)`` with integer
indices of any type. After: ``LOAD(array, linear)`` / ``STORE(array, linear, value)``
tagged ``legal=linear``, where ``linear`` is an int64 row-major (C-contiguous) element
index, plus ``attrs["offset"]``, a constant number of elements to add (default 0). A negative signed index counts from the end, as in Python (``i + shape[k]``);
where ``ranges.py`` proves an index non-negative (thread indices, loop counters,
``i - 1`` under ``0 < i``) that select is left out. A signed int32 (or narrower) value
proven non-negative is widened to 64 bits as a zero-extension (``legal=zext``), here
and in the kernel's own casts, so ptxas knows the top half is 0 and keeps the address
arithmetic in 32 bits. Like numba there is no bounds check: a GPU thread cannot raise.

This phase runs first, on IR with the reference meaning, which the range analysis
reads (Python ``%`` and ``//`` are still single ops there).
"""
from __future__ import annotations

from simt.ir import Block, CompileError, Function, Op, Operation, Value
from simt.ir.types import ArrayType, MemorySpace, ScalarType, int64

from .irbuild import DROP, KEEP, LEGAL, LINEAR, OFFSET, ZEXT, Lowering, Rule, run_rules
from .lower_int import const_value
from .ranges import ValueRanges, type_bounds


def widen_index(lowering: Lowering, ranges: ValueRanges, value: Value, block: Block) -> Value:
    """``value`` as int64: zero-extended when it is a signed int of at most 32 bits proven
    non-negative, else an ordinary (sign- or zero-extending) cast."""
    t = value.type
    if t.is_signed and t.bits <= 32 and ranges.non_negative(value, block):
        return lowering.emit(Op.CAST, [value], int64, {LEGAL: ZEXT}).result
    return lowering.cast(value, int64)


MAX_CONSTANT_OFFSET = 1 << 20        # element offsets folded into the address, in magnitude


def split_constant(ranges: ValueRanges, index: Value, block: Block) -> tuple[Value, int]:
    """``(base, c)`` with ``index == base + c`` exactly, for ``index`` = ``base ± CONST``
    whose addition provably does not wrap; else ``(index, 0)``."""
    owner = index.owner
    if not (isinstance(owner, Operation) and owner.op in (Op.ADD, Op.SUB)):
        return index, 0
    base, other = owner.operands
    constant = const_value(other)
    if constant is None and owner.op is Op.ADD:
        base, other = other, base
        constant = const_value(other)
    if constant is None:
        return index, 0
    c = int(constant) if owner.op is Op.ADD else -int(constant)
    lo, hi = ranges.at(base, block)
    low, high = type_bounds(index.type)
    if abs(c) > MAX_CONSTANT_OFFSET or not (low <= lo + c and hi + c <= high):
        return index, 0
    return base, c


def linear_index(lowering: Lowering, ranges: ValueRanges, array: Value,
                 indices: list[Value]) -> tuple[Value, int]:
    """(linear, offset): the element index is ``linear + offset``, ``offset`` a constant.

    Where an index is ``x ± c`` (no wrap, non-negative), the constant is taken out of the
    sum: ``x`` is shared with the accesses to neighbouring elements, ``c`` times the
    axis stride is added once (a constant for the last axis, folded into the address).
    """
    block = lowering.block
    dims = [lowering.emit(Op.ARRAY_DIM, [array], int64, {"axis": k}).result
            for k in range(len(indices))]
    linear: Value | None = None
    offsets: list[tuple[int, int]] = []          # (axis, constant) to add at the end
    for axis, index in enumerate(indices):
        non_negative = ranges.non_negative(index, block) or not index.type.is_signed
        base, c = split_constant(ranges, index, block) if non_negative else (index, 0)
        if c and (ranges.non_negative(base, block) or not base.type.is_signed):
            index = base
            offsets.append((axis, c))
        wide = widen_index(lowering, ranges, index, block)
        if not non_negative:
            wide = lowering.select(lowering.lt(wide, 0), lowering.add(wide, dims[axis]), wide)
        linear = wide if linear is None else lowering.add(lowering.mul(linear, dims[axis]), wide)
    if linear is None:                       # a 0-d array: its one element
        linear = lowering.const(0, int64)
    constant = 0
    for axis, c in offsets:
        if axis == len(indices) - 1:
            constant += c
            continue
        stride = dims[axis + 1]
        for dim in dims[axis + 2:]:
            stride = lowering.mul(stride, dim)
        step = stride if abs(c) == 1 else lowering.mul(stride, lowering.const(abs(c), int64))
        linear = lowering.add(linear, step) if c > 0 else lowering.sub(linear, step)
    return linear, constant


def _check_space(operation: Operation) -> None:
    array_type = operation.operands[0].type
    if not isinstance(array_type, ArrayType) or array_type.space is not MemorySpace.GLOBAL:
        raise CompileError(f"{operation.op.value} from a {array_type} array is not supported by "
                           "the PTX backend yet", loc=operation.loc)


def _linear_attrs(operation: Operation, offset: int) -> dict:
    attrs = {**operation.attrs, LEGAL: LINEAR}
    if offset:
        attrs[OFFSET] = offset
    return attrs


def rules(ranges: ValueRanges) -> dict[Op, Rule]:
    def load_rule(lowering: Lowering, operation: Operation):
        if operation.attrs.get(LEGAL) == LINEAR:
            return KEEP
        _check_space(operation)
        array, *indices = operation.operands
        linear, offset = linear_index(lowering, ranges, array, indices)
        return lowering.emit(Op.LOAD, [array, linear], operation.result.type,
                             _linear_attrs(operation, offset)).result

    def store_rule(lowering: Lowering, operation: Operation):
        if operation.attrs.get(LEGAL) == LINEAR:
            return KEEP
        _check_space(operation)
        array, *indices, value = operation.operands
        linear, offset = linear_index(lowering, ranges, array, indices)
        lowering.emit(Op.STORE, [array, linear, value], None, _linear_attrs(operation, offset))
        return DROP

    def cast_rule(lowering: Lowering, operation: Operation):
        (x,) = operation.operands
        t = operation.result.type
        if operation.attrs or not (isinstance(t, ScalarType) and t.is_int and t.bits == 64) \
                or not (isinstance(x.type, ScalarType) and x.type.is_int):
            return KEEP
        if x.type.is_signed and x.type.bits <= 32 and ranges.non_negative(x, lowering.block):
            return lowering.emit(Op.CAST, [x], t, {LEGAL: ZEXT}).result
        return KEEP

    return {Op.LOAD: load_rule, Op.STORE: store_rule, Op.CAST: cast_rule}


def linearize_indices(fn: Function, small_grid: bool = True) -> Function:
    """Phase 1 (see the module docstring); ``small_grid``: see ``ranges.py``."""
    return run_rules(fn, rules(ValueRanges(fn, small_grid)))
