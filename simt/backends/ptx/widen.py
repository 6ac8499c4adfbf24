"""Legalization phase 2: compute narrow types in the widths PTX computes in.

Before: any op on any scalar type. After: arithmetic, comparisons and math ops
see only bool (logical ops only), (u)int32, (u)int64, float32 and float64.

- int8/int16/uint8/uint16 operands are cast to int32/uint32, the op runs there,
  and a result of the narrow type is cast back (a CAST that wraps). Wrapping once
  at the end equals wrapping after every step for + - * << and bitwise ops, and the
  wide // % >> give the narrow results directly, so this matches NumPy bit for bit.
- float16 operands go through float32 and the result is rounded back once per op,
  which is what NumPy does for float16 (and, for + - * / sqrt, what a native f16
  op would give: float32 has more than 2*11+2 significand bits).
- bool arithmetic that is not logical (``+``, ``*``, min, comparisons, ...) runs on
  uint32 0/1 and is turned back into a bool with ``!= 0`` (NumPy: True + True is
  True); AND/OR/XOR/NOT/INVERT stay predicate logic, SELECT of bools becomes it.

Data movement (CONST, CAST, SELECT, LOAD, STORE, block params) keeps narrow types:
the emitter keeps int8/16 values sign- or zero-extended in 32-bit registers, float16
in 16-bit registers and bools in predicates.
"""
from __future__ import annotations

from simt.ir import Function, Op, Operation, Value
from simt.ir.ops import BINARY, COMPARE, MATH_BINARY, MATH_TERNARY, MATH_UNARY, PREDICATES, UNARY
from simt.ir.types import (ScalarType, bool_, float16, float32, int8, int16, int32, uint8,
                           uint16, uint32)

from .irbuild import KEEP, Lowering, Rule, run_rules

WIDER: dict[ScalarType, ScalarType] = {
    int8: int32, int16: int32, uint8: uint32, uint16: uint32, float16: float32, bool_: uint32,
}
LOGICAL = frozenset({Op.AND, Op.OR, Op.XOR, Op.NOT, Op.INVERT})
COMPUTE_OPS = BINARY | UNARY | COMPARE | MATH_UNARY | MATH_BINARY | MATH_TERNARY | PREDICATES


def widen_rule(lowering: Lowering, operation: Operation):
    operands = operation.operands
    narrow = operands[0].type
    if narrow not in WIDER or (narrow == bool_ and operation.op in LOGICAL):
        return KEEP
    wide = WIDER[narrow]
    wide_operands = [widen_value(lowering, v, wide) for v in operands]
    result_type = operation.result.type
    if operation.op in COMPARE or operation.op in PREDICATES:
        return lowering.emit(operation.op, wide_operands, bool_, dict(operation.attrs)).result
    wide_result_type = wide if result_type == narrow else result_type
    result = lowering.emit(operation.op, wide_operands, wide_result_type,
                           dict(operation.attrs)).result
    if result_type == narrow:
        return narrow_value(lowering, result, narrow)
    return result


def widen_value(lowering: Lowering, value: Value, wide: ScalarType) -> Value:
    if value.type == bool_:
        return lowering.select(value, lowering.const(1, wide), lowering.const(0, wide))
    return lowering.cast(value, wide)


def narrow_value(lowering: Lowering, value: Value, narrow: ScalarType) -> Value:
    if narrow == bool_:
        return lowering.ne(value, 0)
    return lowering.cast(value, narrow)


def select_rule(lowering: Lowering, operation: Operation):
    """select(c, a, b) of bools is (c & a) | (!c & b): PTX has no selp.pred."""
    cond, a, b = operation.operands
    if a.type != bool_:
        return KEEP
    return lowering.or_(lowering.and_(cond, a), lowering.and_(lowering.not_(cond), b))


RULES: dict[Op, Rule] = {op: widen_rule for op in COMPUTE_OPS}
RULES[Op.SELECT] = select_rule


def widen_types(fn: Function) -> Function:
    """Phase 2 (see the module docstring)."""
    return run_rules(fn, RULES)
