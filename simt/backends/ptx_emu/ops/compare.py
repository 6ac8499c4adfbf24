"""Comparisons and selection: setp (every ordered and unordered comparison,
combined with a predicate by .and/.or/.xor), set, selp, slct.

Float comparisons follow the ISA: the ordered ones (eq, ne, lt, ...) are false
when either operand is NaN, the unordered ones (equ, neu, ltu, ...) are true,
``num`` is true when neither is NaN and ``nan`` when either is.
"""
from __future__ import annotations

import numpy as np

from ..lowering import Env, Mods, as_array, builder, operands, reader, writer
from ..module import Instruction, Pair
from ..ptxtypes import PRED, PtxType

_ORDERED = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
            "gt": np.greater, "ge": np.greater_equal}
_UNSIGNED = {"lo": "lt", "ls": "le", "hi": "gt", "hs": "ge"}
_INT_CMPS = tuple(_ORDERED) + tuple(_UNSIGNED)
_FLOAT_CMPS = tuple(_ORDERED) + tuple(c + "u" for c in _ORDERED) + ("num", "nan")
_BOOL_OPS = {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor}
_TYPES = ("b16", "b32", "b64", "u16", "u32", "u64", "s16", "s32", "s64", "f16", "f32", "f64")


def compare(cmp: str, a, b, t: PtxType):
    """The boolean result of ``a cmp b`` with PTX semantics for type t."""
    if t.is_float:
        if cmp == "num":
            return ~(np.isnan(a) | np.isnan(b))
        if cmp == "nan":
            return np.isnan(a) | np.isnan(b)
        if cmp.endswith("u"):
            unordered = np.isnan(a) | np.isnan(b)
            return unordered | _ORDERED[cmp[:-1]](a, b)
        if cmp == "ne":
            return np.not_equal(a, b) & ~(np.isnan(a) | np.isnan(b))
        return _ORDERED[cmp](a, b)
    if cmp in _UNSIGNED or t.kind == "b":
        a, b = as_array(a, t.dtype).view(t.udtype), as_array(b, t.dtype).view(t.udtype)
        cmp = _UNSIGNED.get(cmp, cmp)
    return _ORDERED[cmp](a, b)


def _comparison(mods: Mods):
    cmp = mods.take(_INT_CMPS + _FLOAT_CMPS)
    if cmp is None:
        raise mods.fail("missing comparison operator")
    bool_op = mods.take(tuple(_BOOL_OPS))
    mods.flag("ftz")
    return cmp, bool_op


def _check(mods: Mods, cmp: str, t: PtxType) -> None:
    allowed = _FLOAT_CMPS if t.is_float else _INT_CMPS
    if cmp not in allowed:
        raise mods.fail(f"comparison .{cmp} is not defined for {t}")


@builder("setp")
def build_setp(ins: Instruction, mods: Mods, env: Env):
    cmp, bool_op = _comparison(mods)
    t = mods.type(_TYPES)
    _check(mods, cmp, t)
    ops = operands(ins, 4 if bool_op else 3)
    dest = ops[0]
    first, second = (dest.first, dest.second) if isinstance(dest, Pair) else (dest, None)
    wp = writer(first, PRED, env)
    wq = writer(second, PRED, env) if second is not None else None
    ra, rb = reader(ops[1], t, env), reader(ops[2], t, env)
    rc = reader(ops[3], PRED, env) if bool_op else None
    combine = _BOOL_OPS[bool_op] if bool_op else None

    def run(ctx, sel):
        result = compare(cmp, ra(ctx, sel), rb(ctx, sel), t)
        if combine is None:
            wp(ctx, sel, result)
            if wq is not None:
                wq(ctx, sel, np.logical_not(result))
            return
        c = rc(ctx, sel)
        wp(ctx, sel, combine(result, c))
        if wq is not None:
            wq(ctx, sel, combine(np.logical_not(result), c))
    return run


@builder("set")
def build_set(ins: Instruction, mods: Mods, env: Env):
    cmp, bool_op = _comparison(mods)
    dt, st = mods.types(2)
    _check(mods, cmp, st)
    ops = operands(ins, 4 if bool_op else 3)
    w = writer(ops[0], dt, env)
    ra, rb = reader(ops[1], st, env), reader(ops[2], st, env)
    rc = reader(ops[3], PRED, env) if bool_op else None
    true = dt.dtype.type(1.0) if dt.is_float else np.array(-1).astype(dt.dtype)[()]
    zero = dt.dtype.type(0)

    def run(ctx, sel):
        result = compare(cmp, ra(ctx, sel), rb(ctx, sel), st)
        if bool_op:
            result = _BOOL_OPS[bool_op](result, rc(ctx, sel))
        w(ctx, sel, as_array(np.where(result, true, zero), dt.dtype))
    return run


@builder("selp")
def build_selp(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(_TYPES)
    d, a, b, c = operands(ins, 4)
    w, ra, rb, rc = writer(d, t, env), reader(a, t, env), reader(b, t, env), reader(c, PRED, env)

    def run(ctx, sel):
        cond = rc(ctx, sel)
        if np.ndim(cond) == 0:
            w(ctx, sel, ra(ctx, sel) if cond else rb(ctx, sel))
        else:
            w(ctx, sel, as_array(np.where(cond, ra(ctx, sel), rb(ctx, sel)), t.dtype))
    return run


@builder("slct")
def build_slct(ins: Instruction, mods: Mods, env: Env):
    mods.flag("ftz")
    dt, ct = mods.types(2)
    if ct.name not in ("s32", "f32"):
        raise mods.fail("slct selects on .s32 or .f32")
    d, a, b, c = operands(ins, 4)
    w, ra, rb, rc = writer(d, dt, env), reader(a, dt, env), reader(b, dt, env), reader(c, ct, env)
    return lambda ctx, sel: w(ctx, sel, as_array(
        np.where(rc(ctx, sel) >= 0, ra(ctx, sel), rb(ctx, sel)), dt.dtype))
