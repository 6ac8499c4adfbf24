"""Legalization phase 5: integer semantics PTX lacks, casts, Python min/max.

Before: widened IR (``widen.py``), float math already expanded. After:
- FLOORDIV/MOD on ints carry ``legal=trunc`` (C's truncating / and %), with the
  divisor made safe (never 0, and -1 only where it cannot overflow) and selects
  around them giving Python's floor results and NumPy's 0 for division by zero
  (PTX leaves x/0 and INT_MIN/-1 unspecified); by a constant power of two they are
  a shift right (arithmetic for signed ints, which floors) and a mask of the low bits;
- POW on ints is a square-and-multiply loop (wrapping), and a negative exponent
  gives ``1 // x ** -n`` in the integers (1, -1 or 0; 0 ** negative is 0);
- FLOOR/CEIL/TRUNC of an int or bool is the operand (PTX's cvt.rmi/rpi/rzi are float-only);
- ABS on signed ints is ``select(a < 0, -a, a)`` (wraps at INT_MIN), on unsigned
  the operand itself;
- SHL/SHR have a uint32 shift amount, clamped to the width first for 64-bit amounts
  (PTX clamps amounts >= width, reading them as unsigned, exactly as NumPy does);
- MIN/MAX on floats are ``b if b < a else a`` / ``b if b > a else a`` (Python), not
  PTX min/max, which return the non-NaN operand and order -0 < +0;
- CAST float -> int gives 0 for NaN (PTX gives MININT for f64 or 64-bit targets) and
  saturates; 8/16-bit targets clamp in int32 first; CAST x -> bool is ``x != 0``;
  float16 -> int goes through float32.
"""
from __future__ import annotations

import numpy as np

from simt.ir import Function, Op, Operation, Value
from simt.ir.types import (ScalarType, bool_, float16, float32, int32, int64, uint32,
                           uint64)

from .irbuild import KEEP, LEGAL, RZI, TRUNC, Lowering, Rule, run_rules

UNSIGNED_OF = {int32: uint32, int64: uint64, uint32: uint32, uint64: uint64}


def const_value(value: Value):
    """The constant behind ``value``, or None."""
    owner = getattr(value, "owner", None)
    if getattr(owner, "op", None) is Op.CONST:
        return owner.attrs["value"]
    return None


def _is_int(t) -> bool:
    return isinstance(t, ScalarType) and t.is_int


# -- division --------------------------------------------------------------------

def divmod_rule(lowering: Lowering, operation: Operation):
    a, b = operation.operands
    t = a.type
    if not _is_int(t) or operation.attrs.get(LEGAL) == TRUNC:
        return KEEP
    want_div = operation.op is Op.FLOORDIV
    known = const_value(b)
    if known is not None and int(known) not in (0, -1):
        return _divmod_known_divisor(lowering, a, b, want_div)
    zero = lowering.eq(b, 0)
    bad = zero
    if t.is_signed:
        minus_one = lowering.eq(b, -1)
        bad = lowering.or_(zero, minus_one)
    safe_b = lowering.select(bad, 1, b)
    quotient = lowering.emit(Op.FLOORDIV, [a, safe_b], t, {LEGAL: TRUNC}).result
    remainder = lowering.emit(Op.MOD, [a, safe_b], t, {LEGAL: TRUNC}).result
    if t.is_signed:
        # b == -1: the quotient is -a (wrapping), the remainder 0 (safe_b == 1 gives 0)
        quotient = lowering.select(minus_one, lowering.neg(a), quotient)
        quotient, remainder = _floor_fixup(lowering, quotient, remainder, b)
    result = quotient if want_div else remainder
    return lowering.select(zero, 0, result)


def _divmod_known_divisor(lowering: Lowering, a: Value, b: Value, want_div: bool) -> Value:
    t = a.type
    divisor = int(const_value(b))
    if divisor > 0 and divisor & (divisor - 1) == 0:
        # floor division by 2**k is the shift right (arithmetic for signed: it floors),
        # and Python's modulo by 2**k is the low k bits, for every value of either sign
        k = divisor.bit_length() - 1
        if want_div:
            return lowering.shift(Op.SHR, a, k) if k else a
        return lowering.and_(a, divisor - 1)
    quotient = lowering.emit(Op.FLOORDIV, [a, b], t, {LEGAL: TRUNC}).result
    remainder = lowering.emit(Op.MOD, [a, b], t, {LEGAL: TRUNC}).result
    if t.is_signed:
        quotient, remainder = _floor_fixup(lowering, quotient, remainder, b)
    return quotient if want_div else remainder


def _floor_fixup(lowering: Lowering, quotient: Value, remainder: Value, b: Value):
    """Truncating -> floor: when r != 0 and r, b differ in sign, q -= 1 and r += b."""
    differ = lowering.lt(lowering.xor(remainder, b), 0)
    adjust = lowering.and_(lowering.ne(remainder, 0), differ)
    quotient = lowering.select(adjust, lowering.sub(quotient, 1), quotient)
    remainder = lowering.select(adjust, lowering.add(remainder, b), remainder)
    return quotient, remainder


# -- power -----------------------------------------------------------------------

def int_pow_rule(lowering: Lowering, operation: Operation):
    base, exponent = operation.operands
    t = base.type
    if not _is_int(t):
        return KEEP
    ut = UNSIGNED_OF[t]
    magnitude = lowering.select(lowering.lt(exponent, 0), lowering.neg(exponent), exponent) \
        if t.is_signed else exponent
    count = lowering.cast(magnitude, ut)
    entry = lowering.block
    head = lowering.new_block("pow.head")
    lowering.block = head
    body_block = lowering.new_block("pow.body")
    lowering.block = body_block
    exit_block = lowering.new_block("pow.exit")
    lowering.block = entry
    lowering.br(head, [lowering.const(1, t), base, count])
    result_in = head.add_param(t, "pow")
    base_in = head.add_param(t)
    count_in = head.add_param(ut)
    result_out = exit_block.add_param(t, "pow")
    lowering.block = head
    lowering.cbr(lowering.eq(count_in, 0), exit_block, [result_in], body_block, [])
    lowering.block = body_block
    odd = lowering.ne(lowering.and_(count_in, 1), 0)
    next_result = lowering.select(odd, lowering.mul(result_in, base_in), result_in)
    next_base = lowering.mul(base_in, base_in)
    next_count = lowering.shift(Op.SHR, count_in, 1)
    lowering.br(head, [next_result, next_base, next_count])
    lowering.block = exit_block
    if not t.is_signed:
        return result_out
    # x ** -n == 1 // x ** n: 1 for x == 1, -1 for x < 0 with n odd, 1 for x == -1, else 0
    odd_exponent = lowering.ne(lowering.and_(exponent, 1), 0)
    negative_value = lowering.select(
        lowering.eq(base, 1), 1,
        lowering.select(lowering.and_(lowering.lt(base, 0), odd_exponent), -1,
                        lowering.select(lowering.eq(base, -1), lowering.const(1, t), 0)))
    return lowering.select(lowering.lt(exponent, 0), negative_value, result_out)


# -- the rest ----------------------------------------------------------------------

def abs_rule(lowering: Lowering, operation: Operation):
    (a,) = operation.operands
    if not _is_int(a.type):
        return KEEP
    if not a.type.is_signed:
        return a
    return lowering.select(lowering.lt(a, 0), lowering.neg(a), a)


def integer_rounding_rule(lowering: Lowering, operation: Operation):
    """floor/ceil/trunc of an integer or bool is the value itself (NumPy 2 keeps the dtype)."""
    (a,) = operation.operands
    if a.type.is_float:
        return KEEP
    if operation.result.type != a.type:
        return lowering.cast(a, operation.result.type)
    return a


def shift_rule(lowering: Lowering, operation: Operation):
    a, amount = operation.operands
    if amount.type == uint32:
        return KEEP
    known = const_value(amount)
    if known is not None and 0 <= int(known) < a.type.bits:
        clamped = lowering.const(int(known), uint32)
    elif amount.type.bits == 64:
        as_unsigned = lowering.cast(amount, uint64)
        limited = lowering.select(lowering.gt(as_unsigned, 64), 64, as_unsigned)
        clamped = lowering.cast(limited, uint32)
    else:
        clamped = lowering.cast(amount, uint32)   # same width: the bits as unsigned
    return lowering.emit(operation.op, [a, clamped], a.type, dict(operation.attrs)).result


def minmax_rule(lowering: Lowering, operation: Operation):
    a, b = operation.operands
    if not a.type.is_float:
        return KEEP
    better = lowering.lt(b, a) if operation.op is Op.MIN else lowering.gt(b, a)
    return lowering.select(better, b, a)


def cast_rule(lowering: Lowering, operation: Operation):
    (x,) = operation.operands
    src, dst = x.type, operation.result.type
    if operation.attrs.get(LEGAL) or src == dst:
        return KEEP
    if dst == bool_:
        if src == float16:
            x = lowering.cast(x, float32)
        elif src.is_int and src.bits < 32:
            x = lowering.cast(x, int32 if src.is_signed else uint32)
        return lowering.ne(x, 0)
    if not (src.is_float and dst.is_int):
        return KEEP
    if src == float16:
        x = lowering.cast(x, float32)
    if dst.bits < 32:
        info = np.iinfo(dst.dtype)
        wide = lowering.emit(Op.CAST, [x], int32, {LEGAL: RZI}).result
        wide = lowering.select(lowering.lt(wide, int(info.min)), int(info.min), wide)
        wide = lowering.select(lowering.gt(wide, int(info.max)), int(info.max), wide)
        converted = lowering.cast(wide, dst)
    else:
        converted = lowering.emit(Op.CAST, [x], dst, {LEGAL: RZI}).result
    return lowering.select(lowering.value(Op.ISNAN, [x], bool_), 0, converted)


RULES: dict[Op, Rule] = {
    Op.FLOORDIV: divmod_rule,
    Op.MOD: divmod_rule,
    Op.POW: int_pow_rule,
    Op.ABS: abs_rule,
    Op.FLOOR: integer_rounding_rule,
    Op.CEIL: integer_rounding_rule,
    Op.TRUNC: integer_rounding_rule,
    Op.SHL: shift_rule,
    Op.SHR: shift_rule,
    Op.MIN: minmax_rule,
    Op.MAX: minmax_rule,
    Op.CAST: cast_rule,
}


def lower_integer_ops(fn: Function) -> Function:
    """Phase 5 (see the module docstring)."""
    return run_rules(fn, RULES)
