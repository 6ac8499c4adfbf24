"""Integer arithmetic: add/sub (with .sat and the carry chain .cc/addc/subc),
mul/mad (.lo .hi .wide), mul24/mad24, sad, div/rem (truncating), abs, neg,
min, max.

Fixed-width results wrap (two's complement). ``div``/``rem`` by zero are
undefined in the ISA; the emulator yields an all-ones quotient and the dividend
as remainder (what NVIDIA hardware does for unsigned division).
"""
from __future__ import annotations

import numpy as np

from ..lowering import Env, Mods, as_array, builder, operands, reader, writer
from ..module import Instruction
from ..ptxtypes import UINT, PtxType, ptx_type

INTS = ("u16", "u32", "u64", "s16", "s32", "s64", "b16", "b32", "b64")
CARRY = "%cc"                      # hidden carry-flag register added by the linker
_U32 = np.dtype(np.uint32)


def _lanes(ins: Instruction, env: Env, t: PtxType, count: int, dst_type: PtxType | None = None):
    ops = operands(ins, count + 1)
    return writer(ops[0], dst_type or t, env), [reader(o, t, env) for o in ops[1:]]


def _unsigned(x):
    return x.view(UINT[x.dtype.itemsize * 8])


def wide_product(a, b, t: PtxType):
    """The full 2n-bit product as (hi, lo) in t's unsigned dtype, for n <= 64."""
    if t.bits <= 32:
        wide = (np.int64 if t.is_signed else np.uint64)
        p = a.astype(wide) * b.astype(wide)
        p = p.view(np.uint64) if t.is_signed else p
        mask = np.uint64((1 << t.bits) - 1)
        return (p >> np.uint64(t.bits)) & mask, p & mask
    ua, ub = _unsigned(a), _unsigned(b)
    m32, s32 = np.uint64(0xFFFFFFFF), np.uint64(32)
    a_lo, a_hi, b_lo, b_hi = ua & m32, ua >> s32, ub & m32, ub >> s32
    p0, p1, p2, p3 = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi
    mid = (p0 >> s32) + (p1 & m32) + (p2 & m32)
    hi = p3 + (p1 >> s32) + (p2 >> s32) + (mid >> s32)
    if t.is_signed:
        hi = hi - np.where(a < 0, ub, np.uint64(0)) - np.where(b < 0, ua, np.uint64(0))
    return hi, ua * ub


def _product(mode: str, a, b, t: PtxType):
    """mul.lo / mul.hi / mul.wide of a and b (typed t); .wide yields 2n bits."""
    if mode == "lo":
        return as_array(a * b, t.dtype)
    hi, lo = wide_product(a, b, t)
    if mode == "hi":
        return as_array(hi, t.udtype).view(t.dtype)
    wt = ptx_type(f"{t.kind}{2 * t.bits}")
    full = (as_array(hi, np.uint64) << np.uint64(t.bits)) | as_array(lo, np.uint64)
    return full.astype(wt.udtype).view(wt.dtype)


def _clip_s32(x):
    return np.clip(x, -2**31, 2**31 - 1).astype(np.int32)


@builder("add", "int")
@builder("sub", "int")
def build_add(ins: Instruction, mods: Mods, env: Env):
    subtract = ins.opcode == "sub"
    sat = mods.flag("sat")
    cc = mods.flag("cc")
    t = mods.type(INTS)
    w, (ra, rb) = _lanes(ins, env, t, 2)
    if sat:
        if t.name != "s32":
            raise mods.fail(".sat applies to .s32 only")

        def run_sat(ctx, sel):
            a, b = ra(ctx, sel).astype(np.int64), rb(ctx, sel).astype(np.int64)
            w(ctx, sel, _clip_s32(a - b if subtract else a + b))
        return run_sat
    if cc:
        return _carry_runner(w, ra, rb, t, subtract, carry_in=False, carry_out=True)

    def run(ctx, sel):
        a, b = ra(ctx, sel), rb(ctx, sel)
        w(ctx, sel, a - b if subtract else a + b)
    return run


@builder("addc", "int")
@builder("subc", "int")
def build_addc(ins: Instruction, mods: Mods, env: Env):
    cc = mods.flag("cc")
    t = mods.type(("u32", "s32", "u64", "s64", "b32", "b64"))
    w, (ra, rb) = _lanes(ins, env, t, 2)
    return _carry_runner(w, ra, rb, t, ins.opcode == "subc", carry_in=True, carry_out=cc)


def _carry_runner(w, ra, rb, t: PtxType, subtract: bool, carry_in: bool, carry_out: bool):
    """a +/- b (+/- CC.CF) on unsigned bits, optionally writing the new CC.CF."""
    def run(ctx, sel):
        a, b = _unsigned(as_array(ra(ctx, sel), t.dtype)), _unsigned(as_array(rb(ctx, sel), t.dtype))
        cin = ctx.regs.read(CARRY, sel).astype(a.dtype) if carry_in else a.dtype.type(0)
        if subtract:
            partial = a - b
            d = partial - cin
            flag = (a < b) | (partial < cin)
        else:
            partial = a + b
            d = partial + cin
            flag = (partial < a) | (d < partial)
        w(ctx, sel, as_array(d, t.udtype).view(t.dtype))
        if carry_out:
            ctx.regs.write(CARRY, sel, as_array(flag, _U32))
    return run


@builder("mul", "int")
def build_mul(ins: Instruction, mods: Mods, env: Env):
    mode = mods.take(("lo", "hi", "wide"), "lo")
    t = mods.type(INTS)
    if mode == "wide" and t.bits == 64:
        raise mods.fail("mul.wide needs a 16- or 32-bit type")
    dst = ptx_type(f"{t.kind}{2 * t.bits}") if mode == "wide" else t
    w, (ra, rb) = _lanes(ins, env, t, 2, dst)
    return lambda ctx, sel: w(ctx, sel, _product(mode, ra(ctx, sel), rb(ctx, sel), t))


@builder("mad", "int")
@builder("madc", "int")
def build_mad(ins: Instruction, mods: Mods, env: Env):
    mode = mods.take(("lo", "hi", "wide"), "lo")
    sat = mods.flag("sat")
    cc = mods.flag("cc")
    t = mods.type(INTS)
    dst = ptx_type(f"{t.kind}{2 * t.bits}") if mode == "wide" else t
    ops = operands(ins, 4)
    w = writer(ops[0], dst, env)
    ra, rb, rc = reader(ops[1], t, env), reader(ops[2], t, env), reader(ops[3], dst, env)
    if sat and (mode != "hi" or t.name != "s32"):
        raise mods.fail(".sat applies to mad.hi.s32 only")
    carry_in = ins.opcode == "madc"

    def run(ctx, sel):
        p = _product(mode, ra(ctx, sel), rb(ctx, sel), t)
        c = rc(ctx, sel)
        if sat:
            w(ctx, sel, _clip_s32(p.astype(np.int64) + np.int64(1) * c))
            return
        if not (cc or carry_in):
            w(ctx, sel, as_array(p + c, dst.dtype))
            return
        up, uc = _unsigned(as_array(p, dst.dtype)), _unsigned(as_array(c, dst.dtype))
        cin = ctx.regs.read(CARRY, sel).astype(up.dtype) if carry_in else up.dtype.type(0)
        partial = up + uc
        d = partial + cin
        w(ctx, sel, as_array(d, dst.udtype).view(dst.dtype))
        if cc:
            ctx.regs.write(CARRY, sel, as_array((partial < up) | (d < partial), _U32))
    return run


def _mul24(mode: str, a, b, t: PtxType):
    a = a.astype(np.int64 if t.is_signed else np.uint64)
    b = b.astype(a.dtype)
    shift = np.int64(40) if t.is_signed else np.uint64(40)
    # sign- or zero-extend the low 24 bits
    a = (a << shift) >> shift if t.is_signed else a & np.uint64(0xFFFFFF)
    b = (b << shift) >> shift if t.is_signed else b & np.uint64(0xFFFFFF)
    p = (a * b).view(np.uint64)
    if mode == "hi":
        p = p >> np.uint64(16)
    return (p & np.uint64(0xFFFFFFFF)).astype(np.uint32).view(t.dtype)


@builder("mul24", "int")
def build_mul24(ins: Instruction, mods: Mods, env: Env):
    mode = mods.take(("lo", "hi"), "lo")
    t = mods.type(("u32", "s32"))
    w, (ra, rb) = _lanes(ins, env, t, 2)
    return lambda ctx, sel: w(ctx, sel, _mul24(mode, ra(ctx, sel), rb(ctx, sel), t))


@builder("mad24", "int")
def build_mad24(ins: Instruction, mods: Mods, env: Env):
    mode = mods.take(("lo", "hi"), "lo")
    t = mods.type(("u32", "s32"))
    w, (ra, rb, rc) = _lanes(ins, env, t, 3)
    return lambda ctx, sel: w(ctx, sel, as_array(
        _mul24(mode, ra(ctx, sel), rb(ctx, sel), t) + rc(ctx, sel), t.dtype))


@builder("sad", "int")
def build_sad(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(INTS)
    w, (ra, rb, rc) = _lanes(ins, env, t, 3)

    def run(ctx, sel):
        a, b = ra(ctx, sel), rb(ctx, sel)
        diff = np.where(a < b, _unsigned(as_array(b - a, t.dtype)), _unsigned(as_array(a - b, t.dtype)))
        w(ctx, sel, as_array(_unsigned(as_array(rc(ctx, sel), t.dtype)) + diff, t.udtype).view(t.dtype))
    return run


def divide(a, b, t: PtxType):
    """Truncating quotient and remainder (sign of the dividend) of a / b."""
    ut = t.udtype
    a, b = as_array(a, t.dtype), as_array(b, t.dtype)
    zero = b == 0
    if t.is_signed:
        neg_a, neg_b = a < 0, b < 0
        ua, ub = a.view(ut), b.view(ut)
        ma = np.where(neg_a, ~ua + ut.type(1), ua).astype(ut)
        mb = np.where(neg_b, ~ub + ut.type(1), ub).astype(ut)
    else:
        ma, mb = a.view(ut), b.view(ut)
    safe = np.where(zero, ut.type(1), mb).astype(ut)
    uq, ur = ma // safe, ma % safe
    if t.is_signed:
        uq = np.where(neg_a ^ neg_b, ~uq + ut.type(1), uq).astype(ut)
        ur = np.where(neg_a, ~ur + ut.type(1), ur).astype(ut)
    q = np.where(zero, ut.type(-1 & ((1 << t.bits) - 1)), uq).astype(ut).view(t.dtype)
    r = np.where(zero, a.view(ut), ur).astype(ut).view(t.dtype)
    return q, r


@builder("div", "int")
@builder("rem", "int")
def build_div(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(INTS)
    index = 0 if ins.opcode == "div" else 1
    w, (ra, rb) = _lanes(ins, env, t, 2)
    return lambda ctx, sel: w(ctx, sel, divide(ra(ctx, sel), rb(ctx, sel), t)[index])


@builder("abs", "int")
@builder("neg", "int")
def build_abs(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(("s16", "s32", "s64"))
    w, (ra,) = _lanes(ins, env, t, 1)
    if ins.opcode == "neg":
        return lambda ctx, sel: w(ctx, sel, as_array(-ra(ctx, sel), t.dtype))
    return lambda ctx, sel: w(ctx, sel, as_array(np.abs(ra(ctx, sel)), t.dtype))


@builder("min", "int")
@builder("max", "int")
def build_minmax(ins: Instruction, mods: Mods, env: Env):
    relu = mods.flag("relu")
    t = mods.type(INTS)
    if t.kind == "b":
        raise mods.fail(f"unsupported type {t} for '{ins.opcode}'")
    fn = np.minimum if ins.opcode == "min" else np.maximum
    w, (ra, rb) = _lanes(ins, env, t, 2)
    if relu:
        return lambda ctx, sel: w(ctx, sel, as_array(
            np.maximum(fn(ra(ctx, sel), rb(ctx, sel)), t.dtype.type(0)), t.dtype))
    return lambda ctx, sel: w(ctx, sel, as_array(fn(ra(ctx, sel), rb(ctx, sel)), t.dtype))

