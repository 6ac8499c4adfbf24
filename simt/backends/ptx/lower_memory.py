"""Legalization phase 1: array indices to one flat element index.

Before: ``LOAD(array, i0, .., ik)`` / ``STORE(array, i0, .., ik, value)`` /
``ATOMIC(array, i0, .., ik, value)`` / ``ATOMIC_CAS(array, i0, .., ik, expected, value)``
with integer indices of any type, on global, shared or local arrays. After: the same ops
with one index, ``(array, linear, ...)``, tagged ``legal=linear``, where ``linear`` is an
int64 row-major (C-contiguous) element index, plus ``attrs["offset"]``, a constant number
of elements to add (default 0). The extents are the shape params of a kernel argument,
constants for a shared or local array of static shape (``attrs["shape"]`` of its
allocation, so ``ARRAY_DIM`` of one becomes a constant too), and for the dynamic shared
array (shape ``(0,)``) an ``ARRAY_DIM`` the emitter reads from ``%dynamic_smem_size``.
A negative signed index counts from the end, as in Python (``i + shape[k]``);
where ``ranges.py`` proves an index non-negative (thread indices, loop counters,
``i - 1`` under ``0 < i``) that select is left out. A signed int32 (or narrower) value
proven non-negative is widened to 64 bits as a zero-extension (``legal=zext``), here
and in the kernel's own casts, so ptxas knows the top half is 0 and keeps the address
arithmetic in 32 bits. Like numba there is no bounds check: a GPU thread cannot raise.

This phase runs first, on IR with the reference meaning, which the range analysis
reads (Python ``%`` and ``//`` are still single ops there).
"""
from __future__ import annotations

import math
from typing import Callable

from simt.ir import Block, CompileError, Function, Op, Operation, Value
from simt.ir.ops import ALLOCATIONS
from simt.ir.types import ScalarType, int64

from .irbuild import DROP, KEEP, LEGAL, LINEAR, OFFSET, ZEXT, Lowering, Rule, run_rules
from .lower_int import const_value
from .ranges import ValueRanges, type_bounds


def static_shape(array: Value) -> tuple[int, ...] | None:
    """The constant shape of a shared or local array of static shape, else None (a kernel
    argument, or the dynamic shared array, whose extent is known at launch)."""
    owner = array.owner
    if isinstance(owner, Operation) and owner.op in ALLOCATIONS:
        shape = tuple(owner.attrs["shape"])
        return None if shape == (0,) and owner.op is Op.SHARED_ARRAY else shape
    return None


def array_extents(lowering: Lowering, array: Value) -> Callable[[int], Value]:
    """``extent(k)``: the int64 length of axis k of ``array``, emitted on first use."""
    shape = static_shape(array)
    if shape is None and not isinstance(array.owner, Operation) \
            and array not in lowering.function.args:
        raise CompileError(f"an array that reaches this point through a branch join ({array.type}) "
                           "is not supported by the PTX backend",
                           loc=lowering.loc,
                           hint="index the array where it was created or passed in")

    def extent(axis: int) -> Value:
        if shape is not None:
            return lowering.const(shape[axis], int64)
        return lowering.emit(Op.ARRAY_DIM, [array], int64, {"axis": axis}).result
    return extent


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
    A constant index contributes only that term; on an array of static shape (shared
    or local) every stride is a constant, so all of it lands in ``offset``, and a
    negative constant index is counted from the end at compile time.
    """
    block = lowering.block
    extent = array_extents(lowering, array)
    shape = static_shape(array)
    linear: Value | None = None
    offsets: list[tuple[int, int]] = []          # (axis, constant) to add at the end
    for axis, index in enumerate(indices):
        known = const_value(index)
        if known is not None and (int(known) >= 0 or shape is not None):
            if linear is not None:
                linear = lowering.mul(linear, extent(axis))
            offsets.append((axis, int(known) + (shape[axis] if int(known) < 0 else 0)))
            continue
        non_negative = ranges.non_negative(index, block) or not index.type.is_signed
        base, c = split_constant(ranges, index, block) if non_negative else (index, 0)
        if c and (ranges.non_negative(base, block) or not base.type.is_signed):
            index = base
            offsets.append((axis, c))
        wide = widen_index(lowering, ranges, index, block)
        if not non_negative:
            wide = lowering.select(lowering.lt(wide, 0), lowering.add(wide, extent(axis)), wide)
        linear = wide if linear is None else lowering.add(lowering.mul(linear, extent(axis)), wide)
    if linear is None:                       # constant indices (or a 0-d array)
        linear = lowering.const(0, int64)
    constant = 0
    for axis, c in offsets:
        if axis == len(indices) - 1:
            constant += c
            continue
        if shape is not None:
            constant += c * math.prod(shape[axis + 1:])
            continue
        stride = extent(axis + 1)
        for later in range(axis + 2, len(indices)):
            stride = lowering.mul(stride, extent(later))
        step = stride if abs(c) == 1 else lowering.mul(stride, lowering.const(abs(c), int64))
        linear = lowering.add(linear, step) if c > 0 else lowering.sub(linear, step)
    return linear, constant


def _linear_attrs(operation: Operation, offset: int) -> dict:
    attrs = {**operation.attrs, LEGAL: LINEAR}
    if offset:
        attrs[OFFSET] = offset
    return attrs


# per indexed op: how many operands follow the indices (the value, or expected and value)
TRAILING_OPERANDS = {Op.LOAD: 0, Op.STORE: 1, Op.ATOMIC: 1, Op.ATOMIC_CAS: 2}


def rules(ranges: ValueRanges) -> dict[Op, Rule]:
    def indexed_rule(lowering: Lowering, operation: Operation):
        if operation.attrs.get(LEGAL) == LINEAR:
            return KEEP
        trailing = TRAILING_OPERANDS[operation.op]
        array, *rest = operation.operands
        cut = len(rest) - trailing
        indices, values = rest[:cut], rest[cut:]
        linear, offset = linear_index(lowering, ranges, array, indices)
        result_type = operation.result.type if operation.result is not None else None
        replaced = lowering.emit(operation.op, [array, linear, *values], result_type,
                                 _linear_attrs(operation, offset))
        return DROP if result_type is None else replaced.result

    def array_dim_rule(lowering: Lowering, operation: Operation):
        shape = static_shape(operation.operands[0])
        if shape is None:
            return KEEP
        return lowering.const(shape[operation.attrs["axis"]], int64)

    def cast_rule(lowering: Lowering, operation: Operation):
        (x,) = operation.operands
        t = operation.result.type
        if operation.attrs or not (isinstance(t, ScalarType) and t.is_int and t.bits == 64) \
                or not (isinstance(x.type, ScalarType) and x.type.is_int):
            return KEEP
        if x.type.is_signed and x.type.bits <= 32 and ranges.non_negative(x, lowering.block):
            return lowering.emit(Op.CAST, [x], t, {LEGAL: ZEXT}).result
        return KEEP

    return {**dict.fromkeys(TRAILING_OPERANDS, indexed_rule), Op.ARRAY_DIM: array_dim_rule,
            Op.CAST: cast_rule}


def linearize_indices(fn: Function, small_grid: bool = True) -> Function:
    """Phase 1 (see the module docstring); ``small_grid``: see ``ranges.py``."""
    return run_rules(fn, rules(ValueRanges(fn, small_grid)))
