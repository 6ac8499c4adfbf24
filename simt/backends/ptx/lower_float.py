"""Legalization phase 4: float operations PTX has no instruction for.

Before: widened IR (float math only on float32/float64). After: no POW, FLOORDIV,
MOD, FMOD or transcendental op on floats is left; SQRT, FLOOR, CEIL, TRUNC, FABS,
COPYSIGN, FMA and the predicates stay (the emitter maps them to exact instructions).

- Transcendentals (``MATH_ROUTINES``) expand into the float64 routines of
  ``mathlib*.py``; a float32 operand is computed in float64 and rounded once.
  Ops in ``UNSUPPORTED_MATH`` (none at present) raise a CompileError naming op and dtype.
- FMOD is exact (C fmod): a loop subtracts ``|b| * 2**k`` from ``|a|`` for k from the
  top down; each subtraction is exact (Sterbenz), so are the results.
- FLOORDIV/MOD on floats follow NumPy's ``npy_divmod`` step by step (fmod, then the
  sign fix-up, then snapping the quotient to an integer), in the operand type.
- In a ``fastmath`` kernel, float32 EXP, EXP2, LOG, LOG2, LOG10, SIN, COS and TAN
  (``FAST_MATH``) become the PTX ``.approx`` instructions instead: EXP2/LOG2/SIN/COS ops
  marked ``legal=approx`` (float32 only), with a multiply by a rounded constant for
  exp/log/log10 and a division for tan. Their error bounds are in docs/mathlib.md.
"""
from __future__ import annotations

import math
from typing import Callable

from simt.ir import CompileError, Function, Op, Operation, Value
from simt.ir.types import bool_, float32, float64

from . import mathlib, mathlib_erf, mathlib_misc, mathlib_pow, mathlib_trig
from .irbuild import APPROX, KEEP, LEGAL, Lowering, Rule, run_rules

MATH_ROUTINES: dict[Op, Callable[..., Value]] = {
    Op.EXP: mathlib.exp, Op.EXP2: mathlib.exp2, Op.EXPM1: mathlib.expm1,
    Op.LOG: mathlib.log, Op.LOG2: mathlib.log2, Op.LOG10: mathlib.log10,
    Op.LOG1P: mathlib.log1p,
    Op.SIN: mathlib_trig.sin, Op.COS: mathlib_trig.cos, Op.TAN: mathlib_trig.tan,
    Op.ASIN: mathlib_trig.asin, Op.ACOS: mathlib_trig.acos, Op.ATAN: mathlib_trig.atan,
    Op.ATAN2: mathlib_trig.atan2,
    Op.SINH: mathlib_misc.sinh, Op.COSH: mathlib_misc.cosh, Op.TANH: mathlib_misc.tanh,
    Op.ASINH: mathlib_misc.asinh, Op.ACOSH: mathlib_misc.acosh, Op.ATANH: mathlib_misc.atanh,
    Op.CBRT: mathlib_misc.cbrt, Op.HYPOT: mathlib_misc.hypot, Op.POW: mathlib_pow.pow,
    Op.ERF: mathlib_erf.erf, Op.ERFC: mathlib_erf.erfc,
}
# Math ops the backend rejects with a CompileError naming op and dtype (none at present).
UNSUPPORTED_MATH: frozenset[Op] = frozenset()


def math_rule(lowering: Lowering, operation: Operation):
    operands = operation.operands
    t = operands[0].type
    if not t.is_float:
        return KEEP
    if t not in (float32, float64):
        raise AssertionError(f"{operation.op.value} on {t} reached the math phase unwidened")
    wide = [lowering.cast(v, float64) for v in operands]
    result = MATH_ROUTINES[operation.op](lowering, *wide)
    return lowering.cast(result, t)


# -- fastmath: float32 transcendentals on the PTX .approx instructions ---------------

def _approx(b: Lowering, op: Op, x: Value) -> Value:
    return b.emit(op, [x], float32, {LEGAL: APPROX}).result


# The sequences numba-cuda's fastmath emits (log2(e), ln 2 and log10(2) rounded to float32),
# but with the exact mul.rn.f32 and div.rn.f32 where it has mul.ftz and div.approx.
FAST_MATH: dict[Op, Callable[[Lowering, Value], Value]] = {
    Op.EXP2: lambda b, x: _approx(b, Op.EXP2, x),
    Op.EXP: lambda b, x: _approx(b, Op.EXP2, b.mul(x, math.log2(math.e))),
    Op.LOG2: lambda b, x: _approx(b, Op.LOG2, x),
    Op.LOG: lambda b, x: b.mul(_approx(b, Op.LOG2, x), math.log(2.0)),
    Op.LOG10: lambda b, x: b.mul(_approx(b, Op.LOG2, x), math.log10(2.0)),
    Op.SIN: lambda b, x: _approx(b, Op.SIN, x),
    Op.COS: lambda b, x: _approx(b, Op.COS, x),
    Op.TAN: lambda b, x: b.div(_approx(b, Op.SIN, x), _approx(b, Op.COS, x)),
}
# The ops legal IR keeps (as float32 .approx instructions) in fastmath kernels.
APPROX_OPS = frozenset({Op.EXP2, Op.LOG2, Op.SIN, Op.COS})


def fast_math_rule(lowering: Lowering, operation: Operation):
    (x,) = operation.operands
    if x.type != float32:
        return math_rule(lowering, operation)
    return FAST_MATH[operation.op](lowering, x)


def unsupported_rule(lowering: Lowering, operation: Operation):
    t = operation.operands[0].type
    raise CompileError(
        f"math.{operation.op.value} on {t} is not supported by the PTX backend yet",
        loc=operation.loc, hint="run this kernel on the numpy target, or compute it another way")


# -- fmod, floor division and modulo ----------------------------------------------

def fmod(b: Lowering, a: Value, d: Value) -> Value:
    """C fmod(a, d), exact, in the type of a (a loop: no Value is approximate)."""
    t = a.type
    ax, ad = b.unary(Op.FABS, a), b.unary(Op.FABS, d)
    nan_result = b.or_(b.or_(b.value(Op.ISNAN, [a], bool_), b.value(Op.ISNAN, [d], bool_)),
                       b.or_(b.value(Op.ISINF, [a], bool_), b.eq(d, 0.0)))
    keep_a = b.lt(ax, ad)
    trivial = b.or_(nan_result, keep_a)
    r0 = b.select(trivial, 0.0, ax)             # loops end at once on these inputs
    d0 = b.select(trivial, 1.0, ad)
    entry = b.block
    grow = b.new_block("fmod.grow")
    b.block = grow
    shrink = b.new_block("fmod.shrink")
    b.block = shrink
    done = b.new_block("fmod.done")
    b.block = entry
    b.br(grow, [d0])
    step = grow.add_param(t, "step")
    b.block = grow
    doubled = b.add(step, step)                 # exact, or inf, which stops the loop
    b.cbr(b.le(doubled, r0), grow, [doubled], shrink, [r0, step])
    rest, step2 = shrink.add_param(t, "rest"), shrink.add_param(t, "step")
    result = done.add_param(t, "fmod")
    b.block = shrink
    rest_next = b.select(b.ge(rest, step2), b.sub(rest, step2), rest)
    step_next = b.mul(step2, 0.5)               # exact while step2 > d0
    b.cbr(b.ge(step_next, d0), shrink, [rest_next, step_next], done, [rest_next])
    b.block = done
    out = b.value(Op.COPYSIGN, [result, a])
    out = b.select(keep_a, a, out)
    return b.select(nan_result, math.nan, out)


def divmod_parts(b: Lowering, a: Value, d: Value) -> tuple[Value, Value]:
    """(a // d, a % d) for floats, NumPy's npy_divmod."""
    t = a.type
    zero = b.const(0.0, t)
    mod = fmod(b, a, d)
    quotient = b.div(a, d)
    by_zero = b.eq(d, 0.0)
    div = b.div(b.sub(a, mod), d)
    nonzero_mod = b.ne(mod, 0.0)
    adjust = b.and_(nonzero_mod, b.xor(b.lt(d, 0.0), b.lt(mod, 0.0)))
    mod1 = b.select(adjust, b.add(mod, d), mod)
    div = b.select(adjust, b.sub(div, 1.0), div)
    mod1 = b.select(nonzero_mod, mod1, b.value(Op.COPYSIGN, [zero, d]))
    floor = b.unary(Op.FLOOR, div)
    floor = b.select(b.gt(b.sub(div, floor), 0.5), b.add(floor, 1.0), floor)
    floordiv = b.select(b.ne(div, 0.0), floor, b.value(Op.COPYSIGN, [zero, quotient]))
    return b.select(by_zero, quotient, floordiv), b.select(by_zero, mod, mod1)


def float_divmod_rule(lowering: Lowering, operation: Operation):
    a, d = operation.operands
    if not a.type.is_float:
        return KEEP
    floordiv, mod = divmod_parts(lowering, a, d)
    return floordiv if operation.op is Op.FLOORDIV else mod


def fmod_rule(lowering: Lowering, operation: Operation):
    return fmod(lowering, *operation.operands)


RULES: dict[Op, Rule] = {op: math_rule for op in MATH_ROUTINES}
RULES.update({op: unsupported_rule for op in UNSUPPORTED_MATH})
RULES.update({Op.FLOORDIV: float_divmod_rule, Op.MOD: float_divmod_rule, Op.FMOD: fmod_rule})
FASTMATH_RULES: dict[Op, Rule] = {**RULES, **{op: fast_math_rule for op in FAST_MATH}}


def lower_float_ops(fn: Function) -> Function:
    """Phase 4 (see the module docstring); ``fn.fastmath`` picks the .approx rules."""
    return run_rules(fn, FASTMATH_RULES if fn.fastmath else RULES)
