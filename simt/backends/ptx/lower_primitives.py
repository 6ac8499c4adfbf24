"""Legalization phase 3: atomics and bit operations PTX has no single instruction for.

Before: widened IR (``widen.py``) whose indexed ops are linear (``lower_memory.py``);
bit ops may still see int8/int16 operands (widening leaves them alone). After:
- ``ATOMIC`` ``sub`` is the ``add`` of the negated value (wrapping for ints; exact for
  floats, where ``a - b == a + (-b)`` in IEEE arithmetic);
- ``ATOMIC`` ``max``/``min`` on floats is a compare-and-swap loop on the element's bits
  (PTX's ``atom.max``/``atom.min`` are integer-only on every architecture): read the
  element (``volatile``), compute CPython's ``max(old, value)`` / ``min(old, value)``
  (the value replaces the old one only when strictly greater / smaller, so a NaN value
  is ignored, a NaN in memory stays and ties of +0.0/-0.0 keep memory), ``atom.cas``
  the new bits over the old ones, and go round again with what the CAS saw until it
  saw the bits it expected. There is deliberately no early exit when the value would
  not change memory: every thread then succeeds exactly once, with threads contending
  in one CAS instruction taking turns in thread order, which makes the old values
  returned those of updates applied in thread order (the reference's order), on the
  PTX emulator as well;
- ``POPC``/``CLZ``/``BREV`` see only 32- and 64-bit operands: a narrow operand is
  zero-extended to uint32 first (its own bits, not a sign-extended register), CLZ
  subtracts the 32 - width extra leading zeros, BREV shifts the reversed word down by
  32 - width and wraps back to the narrow type;
- ``FFS`` is gone: ``ffs(x) = width - clz(x & -x)`` (``x & -x`` keeps the lowest set
  bit; 0 gives width - width = 0), in 32 bits for narrow operands.

The legal IR of the CAS loop bends two conventions (legal IR only): ``LOAD`` may carry
``volatile=True`` (``ld.volatile``), and ``ATOMIC_CAS`` on a float array compares and
swaps unsigned integers of the element's width (``atom.cas.b32/.b64`` on its bits).
"""
from __future__ import annotations

from simt.ir import Function, Op, Operation, Value
from simt.ir.types import ScalarType, int32, uint8, uint16, uint32, uint64

from .irbuild import KEEP, VOLATILE, Lowering, Rule, run_rules

UNSIGNED_OF_WIDTH = {8: uint8, 16: uint16, 32: uint32, 64: uint64}


def atomic_rule(lowering: Lowering, operation: Operation):
    kind = operation.attrs["op"]
    array, linear, value = operation.operands
    t = value.type
    if kind == "sub":
        return lowering.emit(Op.ATOMIC, [array, linear, lowering.neg(value)], t,
                             {**operation.attrs, "op": "add"}).result
    if kind in ("max", "min") and t.is_float:
        return float_extremum_loop(lowering, operation, kind == "max")
    return KEEP


def float_extremum_loop(lowering: Lowering, operation: Operation, is_max: bool) -> Value:
    """The old element after a CAS loop storing CPython's max/min(old, value)."""
    array, linear, value = operation.operands
    t = value.type
    bits = UNSIGNED_OF_WIDTH[t.bits]
    where = {k: v for k, v in operation.attrs.items() if k != "op"}      # legal, offset
    entry = lowering.block
    head = lowering.new_block("atomic.retry")
    lowering.block = head
    done = lowering.new_block("atomic.done")
    lowering.block = entry
    first = lowering.emit(Op.LOAD, [array, linear], t, {**where, VOLATILE: True}).result
    lowering.br(head, [first])
    old = head.add_param(t, "old")
    lowering.block = head
    wins = lowering.gt(value, old) if is_max else lowering.lt(value, old)
    new = lowering.select(wins, value, old)
    old_bits = lowering.bitcast(old, bits)
    seen_bits = lowering.emit(Op.ATOMIC_CAS, [array, linear, old_bits, lowering.bitcast(new, bits)],
                              bits, where).result
    seen = lowering.bitcast(seen_bits, t)
    lowering.cbr(lowering.eq(seen_bits, old_bits), done, [seen], head, [seen])
    result = done.add_param(t, "old")
    lowering.block = done
    return result


def zero_extend(lowering: Lowering, x: Value) -> Value:
    """A narrow int's own bits in a uint32."""
    return lowering.cast(lowering.cast(x, UNSIGNED_OF_WIDTH[x.type.bits]), uint32)


def _narrow(t: ScalarType) -> bool:
    return t.is_int and t.bits < 32


def popc_rule(lowering: Lowering, operation: Operation):
    (x,) = operation.operands
    if not _narrow(x.type):
        return KEEP
    return lowering.emit(Op.POPC, [zero_extend(lowering, x)], int32).result


def clz_rule(lowering: Lowering, operation: Operation):
    (x,) = operation.operands
    if not _narrow(x.type):
        return KEEP
    count = lowering.emit(Op.CLZ, [zero_extend(lowering, x)], int32).result
    return lowering.sub(count, 32 - x.type.bits)


def brev_rule(lowering: Lowering, operation: Operation):
    (x,) = operation.operands
    if not _narrow(x.type):
        return KEEP
    reversed_word = lowering.emit(Op.BREV, [zero_extend(lowering, x)], uint32).result
    return lowering.cast(lowering.shift(Op.SHR, reversed_word, 32 - x.type.bits), x.type)


def ffs_rule(lowering: Lowering, operation: Operation):
    (x,) = operation.operands
    if _narrow(x.type):
        x = zero_extend(lowering, x)
    lowest = lowering.and_(x, lowering.neg(x))
    leading = lowering.emit(Op.CLZ, [lowest], int32).result
    return lowering.sub(lowering.const(x.type.bits, int32), leading)


RULES: dict[Op, Rule] = {
    Op.ATOMIC: atomic_rule, Op.POPC: popc_rule, Op.CLZ: clz_rule, Op.BREV: brev_rule,
    Op.FFS: ffs_rule,
}


def lower_primitives(fn: Function) -> Function:
    """Phase 3 (see the module docstring)."""
    return run_rules(fn, RULES)
