"""Floating-point instructions on .f16/.f32/.f64: add/sub/mul/fma/mad in every
rounding mode (exact, see ``ieee.py``), div (.rn-family, .full, .approx), rcp,
sqrt, rsqrt, ex2, lg2, sin, cos, tanh, abs, neg, min, max, copysign, testp,
with ``.ftz`` (flush subnormal inputs and results to sign-preserving zero) and
``.sat`` (clamp to [0, 1], NaN to +0).

``.approx`` instructions are computed in f64 and rounded once, which is well
inside their documented error bounds. NaN results of arithmetic carry NumPy's
NaN bits, except ``min``/``max``, which return PTX's canonical NaN
(all-ones payload, sign clear) as the ISA specifies.
"""
from __future__ import annotations

import numpy as np

from ..lowering import Env, Mods, as_array, builder, operands, reader, writer
from ..module import Instruction
from ..ptxtypes import PRED, PtxType
from . import ieee

FLOATS = ("f16", "f32", "f64")
ROUNDINGS = ("rn", "rz", "rm", "rp")
_MIN_NORMAL = {16: 2.0 ** -14, 32: 2.0 ** -126, 64: 2.0 ** -1022}
_CANONICAL_NAN = {16: 0x7FFF, 32: 0x7FFFFFFF, 64: 0x7FFFFFFFFFFFFFFF}


def canonical_nan(t: PtxType):
    return np.array(_CANONICAL_NAN[t.bits], dtype=t.udtype).view(t.dtype)[()]


def flush(x, t: PtxType):
    """Subnormals to zero of the same sign."""
    x = as_array(x, t.dtype)
    tiny = np.abs(x) < t.dtype.type(_MIN_NORMAL[t.bits])
    if not np.any(tiny):
        return x
    return as_array(np.where(tiny, np.copysign(t.dtype.type(0), x), x), t.dtype)


def saturate(x, t: PtxType):
    return as_array(np.where(x > 0, np.minimum(x, t.dtype.type(1)), t.dtype.type(0)), t.dtype)


class _FloatMods:
    """The common float modifiers of one instruction."""

    def __init__(self, mods: Mods, rounding_default: str | None = "rn",
                 types: tuple[str, ...] = FLOATS, approx: bool = False):
        self.rounding = mods.take(ROUNDINGS, rounding_default)
        self.approx = approx and mods.flag("approx")
        self.full = approx and mods.flag("full")
        self.ftz = mods.flag("ftz")
        self.sat = mods.flag("sat")
        self.t = mods.type(types)
        if self.t.bits == 64 and self.sat:
            raise mods.fail(".sat is not allowed on .f64")

    def inputs(self, values):
        return [flush(v, self.t) for v in values] if self.ftz else values

    def output(self, value):
        value = as_array(value, self.t.dtype)
        if self.ftz:
            value = flush(value, self.t)
        if self.sat:
            value = saturate(value, self.t)
        return value


def _float_op(ins: Instruction, env: Env, fm: _FloatMods, count: int, compute):
    ops = operands(ins, count + 1)
    w = writer(ops[0], fm.t, env)
    readers = [reader(o, fm.t, env) for o in ops[1:]]
    if fm.ftz or fm.sat:
        def run(ctx, sel):
            values = fm.inputs([r(ctx, sel) for r in readers])
            w(ctx, sel, fm.output(compute(*values)))
        return run
    # the common case without modifiers, spelled out per arity (a hot path)
    dtype = fm.t.dtype
    if count == 1:
        (ra,) = readers
        return lambda ctx, sel: w(ctx, sel, as_array(compute(ra(ctx, sel)), dtype))
    if count == 2:
        ra, rb = readers
        return lambda ctx, sel: w(ctx, sel, as_array(compute(ra(ctx, sel), rb(ctx, sel)), dtype))

    def run3(ctx, sel):
        w(ctx, sel, as_array(compute(*[r(ctx, sel) for r in readers]), dtype))
    return run3


@builder("add", "float")
@builder("sub", "float")
def build_add(ins: Instruction, mods: Mods, env: Env):
    fm = _FloatMods(mods)
    dt, mode, negate = fm.t.dtype, fm.rounding, ins.opcode == "sub"
    return _float_op(ins, env, fm, 2, lambda a, b: ieee.add(a, b, dt, mode, negate_b=negate))


@builder("mul", "float")
def build_mul(ins: Instruction, mods: Mods, env: Env):
    fm = _FloatMods(mods)
    dt, mode = fm.t.dtype, fm.rounding
    return _float_op(ins, env, fm, 2, lambda a, b: ieee.mul(a, b, dt, mode))


@builder("fma", "float")
@builder("mad", "float")
def build_fma(ins: Instruction, mods: Mods, env: Env):
    fm = _FloatMods(mods)
    dt, mode = fm.t.dtype, fm.rounding
    return _float_op(ins, env, fm, 3, lambda a, b, c: ieee.fma(a, b, c, dt, mode))


def _div_approx(a, b):
    """div.approx.f32: a * (1/b); for 2**126 < |b| < 2**128 the result is 0
    (NaN when a is infinite), as the ISA documents."""
    q = np.divide(a, b, dtype=np.float32)
    huge = (np.abs(b) > np.float32(2.0 ** 126)) & np.isfinite(b)
    if np.any(huge):
        q = np.where(huge, np.where(np.isinf(a), np.float32(np.nan), np.float32(0.0)), q)
    return q


@builder("div", "float")
def build_div(ins: Instruction, mods: Mods, env: Env):
    fm = _FloatMods(mods, rounding_default=None, approx=True)
    if fm.approx or fm.full:
        if fm.t.bits != 32 or fm.rounding:
            raise mods.fail("div.approx/div.full are .f32 only, without rounding modifier")
        compute = _div_approx if fm.approx else (lambda a, b: ieee.div(a, b, ieee.F32, "rn"))
        return _float_op(ins, env, fm, 2, compute)
    dt, mode = fm.t.dtype, fm.rounding or "rn"
    return _float_op(ins, env, fm, 2, lambda a, b: ieee.div(a, b, dt, mode))


@builder("rcp", "float")
def build_rcp(ins: Instruction, mods: Mods, env: Env):
    fm = _FloatMods(mods, rounding_default=None, approx=True)
    dt, mode = fm.t.dtype, fm.rounding or "rn"
    one = dt.type(1)
    return _float_op(ins, env, fm, 1, lambda a: ieee.div(one, a, dt, mode))


@builder("sqrt", "float")
def build_sqrt(ins: Instruction, mods: Mods, env: Env):
    fm = _FloatMods(mods, rounding_default=None, approx=True)
    dt, mode = fm.t.dtype, fm.rounding or "rn"
    return _float_op(ins, env, fm, 1, lambda a: ieee.sqrt(a, dt, mode))


def _via_f64(fn):
    return lambda dt: (lambda a: as_array(fn(np.asarray(a, np.float64)), dt))


_APPROX = {
    "rsqrt": _via_f64(lambda x: 1.0 / np.sqrt(x)),
    "ex2": _via_f64(np.exp2),
    "lg2": _via_f64(np.log2),
    "sin": _via_f64(np.sin),
    "cos": _via_f64(np.cos),
    "tanh": _via_f64(np.tanh),
}


def _build_approx(ins: Instruction, mods: Mods, env: Env):
    fm = _FloatMods(mods, rounding_default=None, approx=True)
    if not fm.approx or fm.rounding:
        raise mods.fail(f"'{ins.opcode}' requires .approx")
    if fm.t.bits == 64 and ins.opcode != "rsqrt":
        raise mods.fail(f"unsupported type .f64 for '{ins.full_opcode}'")
    return _float_op(ins, env, fm, 1, _APPROX[ins.opcode](fm.t.dtype))


for _name in _APPROX:
    builder(_name, "float")(_build_approx)


@builder("abs", "float")
@builder("neg", "float")
def build_abs(ins: Instruction, mods: Mods, env: Env):
    fm = _FloatMods(mods, rounding_default=None)
    if ins.opcode == "abs":
        return _float_op(ins, env, fm, 1, np.abs)
    return _float_op(ins, env, fm, 1, np.negative)


def float_minmax(a, b, is_min: bool, t: PtxType, propagate_nan: bool = False):
    a, b = as_array(a, t.dtype), as_array(b, t.dtype)
    pick = np.where(a < b if is_min else a > b, a, b)
    both_zero = (a == 0) & (b == 0)
    if np.any(both_zero):
        sa, sb = np.signbit(a), np.signbit(b)
        negative = (sa | sb) if is_min else (sa & sb)
        zero = np.where(negative, t.dtype.type(-0.0), t.dtype.type(0.0))
        pick = np.where(both_zero, zero, pick)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if np.any(nan_a | nan_b):
        nan = canonical_nan(t)
        if propagate_nan:
            pick = np.where(nan_a | nan_b, nan, pick)
        else:
            pick = np.where(nan_a & nan_b, nan, np.where(nan_a, b, np.where(nan_b, a, pick)))
    return as_array(pick, t.dtype)


@builder("min", "float")
@builder("max", "float")
def build_minmax(ins: Instruction, mods: Mods, env: Env):
    propagate = mods.flag("NaN")
    fm = _FloatMods(mods, rounding_default=None)
    is_min, t = ins.opcode == "min", fm.t
    return _float_op(ins, env, fm, 2, lambda a, b: float_minmax(a, b, is_min, t, propagate))


@builder("copysign", "float")
def build_copysign(ins: Instruction, mods: Mods, env: Env):
    fm = _FloatMods(mods, rounding_default=None, types=("f32", "f64"))
    # d = b with the sign of a
    return _float_op(ins, env, fm, 2, lambda a, b: np.copysign(b, a))


_TESTS = {
    "finite": np.isfinite,
    "infinite": np.isinf,
    "number": lambda x: ~np.isnan(x),
    "notanumber": np.isnan,
}


@builder("testp", "float")
def build_testp(ins: Instruction, mods: Mods, env: Env):
    test = mods.take(("finite", "infinite", "number", "notanumber", "normal", "subnormal"))
    t = mods.type(("f32", "f64"))
    if test is None:
        raise mods.fail("testp needs a test (.finite, .normal, ...)")
    d, a = operands(ins, 2)
    w, ra = writer(d, PRED, env), reader(a, t, env)
    smallest = t.dtype.type(_MIN_NORMAL[t.bits])
    if test == "normal":
        fn = lambda x: np.isfinite(x) & (np.abs(x) >= smallest)
    elif test == "subnormal":
        fn = lambda x: (x != 0) & (np.abs(x) < smallest)
    else:
        fn = _TESTS[test]
    return lambda ctx, sel: w(ctx, sel, fn(ra(ctx, sel)))
