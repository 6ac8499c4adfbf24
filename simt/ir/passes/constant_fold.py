"""Constant folding, branch folding and exact algebraic identities.

Before: ``fn`` verifies. After: ``fn`` verifies and computes the same results with
the same effects, and
- a pure op whose operands are all constants is a CONST, when ``evaluate`` gives
  its value (the numpy backend supplies ``evaluate``, so folding computes exactly
  what execution would; this module knows no op semantics beyond the identities);
- a CBR on a constant condition is a BR to the arm it takes (the other edge is
  gone; blocks that become unreachable are left for simplify_cfg / dce);
- ops that are an identity for every input are replaced by the operand or constant
  they equal (list below). Uses are redirected and the replaced op is removed.

The identities hold bit for bit for every input, including NaN, -0.0, infinities
and integer wrap-around. That is why floats only get ``x * 1.0``, ``x / 1.0``,
``x + -0.0`` and ``x - 0.0`` (``x + 0.0`` turns -0.0 into 0.0, ``x * 0.0`` is NaN
for infinities, ``x - x`` is NaN for NaN), while integers also get ``x + 0``,
``x * 0``, ``x - x``, ``x == x`` and friends.

Not done: reassociation, strength reduction, anything that needs value ranges.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..analysis import reverse_postorder
from ..core import Function, Operation, Value, canonical_constant
from ..ops import PURE, Op
from ..types import ScalarType, bool_
from .rewrite import replace_all_uses

Evaluator = Callable[[Op, list[np.generic], ScalarType, dict[str, Any]], "np.generic | None"]
"""``evaluate(op, operands, result_type, attrs)``: the value of a pure op on NumPy scalar
operands, as a NumPy scalar of ``result_type``, or None when it will not say."""


def constant_fold(fn: Function, evaluate: Evaluator | None = None) -> Function:
    """Fold constants (only with ``evaluate``), constant branches and exact identities."""
    constants: dict[Value, np.generic] = {}
    replaced: dict[Value, Value] = {}

    for block in reverse_postorder(fn):
        kept: list[Operation] = []
        for operation in block.ops:
            # Defs come before uses in reverse postorder (except block params), so
            # every operand that was replaced is already in ``replaced``.
            operation.replace_uses(replaced)
            if operation.op is Op.CBR and operation.operands[0] in constants:
                kept.append(_fold_branch(operation, constants[operation.operands[0]]))
                continue
            if operation.op in PURE and operation.result is not None:
                if operation.op is not Op.CONST:
                    same_as = _identity(operation, constants)
                    if same_as is not None:
                        replaced[operation.result] = same_as
                        continue
                    if evaluate is not None:
                        _fold_value(operation, constants, evaluate)
                if operation.op is Op.CONST:
                    constants[operation.result] = operation.attrs["value"]
            kept.append(operation)
        block.ops = kept

    # Unreachable blocks were not visited; they may still use replaced values.
    replace_all_uses(fn, replaced)
    return fn


def _fold_branch(cbr: Operation, condition: np.generic) -> Operation:
    taken = cbr.successors[0] if bool(condition) else cbr.successors[1]
    return Operation(Op.BR, [], loc=cbr.loc, successors=[taken])


def _fold_value(operation: Operation, constants: dict[Value, np.generic],
                evaluate: Evaluator) -> None:
    """Turn ``operation`` into a CONST in place when ``evaluate`` knows its value.

    In place keeps the result Value, so its uses need no rewriting.
    """
    operands = operation.operands
    result_type = operation.result.type
    if not operands or not isinstance(result_type, ScalarType):
        return
    if not all(v in constants for v in operands):
        return
    value = evaluate(operation.op, [constants[v] for v in operands], result_type,
                     operation.attrs)
    if value is None:
        return
    if not isinstance(value, np.generic) or value.dtype != result_type.dtype:
        raise TypeError(f"evaluate({operation.op.value}) returned {value!r} "
                        f"({type(value).__name__}), not a NumPy {result_type} scalar")
    operation.op = Op.CONST
    operation.operands = []
    operation.attrs = {"value": value}


# -- exact identities ------------------------------------------------------------------

def _identity(operation: Operation, constants: dict[Value, np.generic]) -> Value | None:
    """A value equal to ``operation``'s result for every input, or None.

    An identity whose value is a constant (``x - x`` is 0) turns ``operation`` into
    that CONST in place and returns None.
    """
    op = operation.op
    operands = operation.operands
    t = operation.result.type

    if op is Op.SELECT:
        cond, if_true, if_false = operands
        if if_true is if_false:
            return if_true
        if cond in constants:
            return if_true if bool(constants[cond]) else if_false
        if t == bool_ and _is(constants, if_true, 1) and _is(constants, if_false, 0):
            return cond
        return None
    if op is Op.CAST:
        return operands[0] if operands[0].type == t else None
    if op in (Op.MIN, Op.MAX):
        # Python min/max of a value with itself is that value, NaN and -0.0 included.
        return operands[0] if operands[0] is operands[1] else None
    if len(operands) != 2 or not isinstance(t, ScalarType):
        return None

    a, b = operands
    if op in _SAME_OPERAND_CONSTANT and a is b and not a.type.is_float:
        _become_constant(operation, _SAME_OPERAND_CONSTANT[op])
        return None
    if t.is_float:
        return _float_identity(op, a, b, constants)
    if t.is_bool:
        return _bitwise_identity(operation, a, b, constants, t)
    if not t.is_int:
        return None
    if op is Op.ADD:
        return b if _is(constants, a, 0) else a if _is(constants, b, 0) else None
    if op is Op.SUB:
        return a if _is(constants, b, 0) else None
    if op is Op.MUL:
        if _is(constants, a, 0) or _is(constants, b, 0):
            _become_constant(operation, 0)
            return None
        return b if _is(constants, a, 1) else a if _is(constants, b, 1) else None
    if op is Op.FLOORDIV:
        return a if _is(constants, b, 1) else None
    if op in (Op.SHL, Op.SHR):
        return a if _is(constants, b, 0) else None
    return _bitwise_identity(operation, a, b, constants, t)


# Integer and bool ops of an operand with itself: x - x, x ^ x, x == x, ... (never
# floats: NaN - NaN is NaN and NaN == NaN is False).
_SAME_OPERAND_CONSTANT: dict[Op, int] = {
    Op.SUB: 0, Op.XOR: 0, Op.EQ: 1, Op.LE: 1, Op.GE: 1, Op.NE: 0, Op.LT: 0, Op.GT: 0,
}


def _bitwise_identity(operation: Operation, a: Value, b: Value,
                      constants: dict[Value, np.generic], t: ScalarType) -> Value | None:
    op = operation.op
    all_ones = 1 if t.is_bool else -1   # canonical_constant wraps -1 to all ones
    if op in (Op.AND, Op.OR) and a is b:
        return a
    if op is Op.AND:
        if _is(constants, a, 0, t) or _is(constants, b, 0, t):
            _become_constant(operation, 0)
            return None
        if _is(constants, a, all_ones, t):
            return b
        return a if _is(constants, b, all_ones, t) else None
    if op is Op.OR:
        if _is(constants, a, all_ones, t) or _is(constants, b, all_ones, t):
            _become_constant(operation, all_ones)
            return None
        return b if _is(constants, a, 0, t) else a if _is(constants, b, 0, t) else None
    if op is Op.XOR:
        return b if _is(constants, a, 0, t) else a if _is(constants, b, 0, t) else None
    return None


def _float_identity(op: Op, a: Value, b: Value,
                    constants: dict[Value, np.generic]) -> Value | None:
    if op is Op.MUL:
        return b if _is_float(constants, a, 1.0) else a if _is_float(constants, b, 1.0) else None
    if op is Op.TRUEDIV:
        return a if _is_float(constants, b, 1.0) else None
    if op is Op.ADD:   # -0.0 is the additive identity: 0.0 + -0.0 == 0.0, -0.0 + -0.0 == -0.0
        return (b if _is_float(constants, a, 0.0, negative=True)
                else a if _is_float(constants, b, 0.0, negative=True) else None)
    if op is Op.SUB:   # x - 0.0 == x + -0.0
        return a if _is_float(constants, b, 0.0, negative=False) else None
    return None


def _is(constants: dict[Value, np.generic], value: Value, number: int,
        t: ScalarType | None = None) -> bool:
    """``value`` is a constant equal to ``number`` (wrapped to ``value``'s type)."""
    if value not in constants:
        return False
    return constants[value] == canonical_constant(number, t or value.type)


def _is_float(constants: dict[Value, np.generic], value: Value, number: float,
              negative: bool | None = None) -> bool:
    """``value`` is the float constant ``number`` (with the given sign bit, if given)."""
    if value not in constants:
        return False
    constant = constants[value]
    if constant != number:
        return False
    return negative is None or bool(np.signbit(constant)) == negative


def _become_constant(operation: Operation, number: int) -> None:
    operation.op = Op.CONST
    operation.operands = []
    operation.attrs = {"value": canonical_constant(number, operation.result.type)}
