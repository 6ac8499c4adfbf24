"""Bitwise instructions: and/or/xor/not/cnot (also on predicates), shl/shr
(shift amounts clamp to the width), shf (funnel shift), lop3, popc, clz,
bfind, brev, bfe, bfi, prmt.
"""
from __future__ import annotations

import numpy as np

from ..lowering import Env, Mods, as_array, builder, operands, reader, writer
from ..module import Instruction
from ..ptxtypes import U32, PtxType

BITS = ("b16", "b32", "b64", "u16", "u32", "u64", "s16", "s32", "s64")
_BYTE_REVERSE = np.array([int(f"{i:08b}"[::-1], 2) for i in range(256)], dtype=np.uint8)


def _unsigned(x, t: PtxType):
    return as_array(x, t.dtype).view(t.udtype)


@builder("and")
@builder("or")
@builder("xor")
def build_logic(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(BITS + ("pred",))
    fn = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}[ins.opcode]
    d, a, b = operands(ins, 3)
    w, ra, rb = writer(d, t, env), reader(a, t, env), reader(b, t, env)
    return lambda ctx, sel: w(ctx, sel, as_array(fn(ra(ctx, sel), rb(ctx, sel)), t.dtype))


@builder("not")
@builder("cnot")
def build_not(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(BITS + ("pred",))
    d, a = operands(ins, 2)
    w, ra = writer(d, t, env), reader(a, t, env)
    if ins.opcode == "cnot":
        if t.is_pred:
            raise mods.fail("cnot has no .pred form")
        return lambda ctx, sel: w(ctx, sel, as_array(ra(ctx, sel) == 0, t.dtype))
    if t.is_pred:
        return lambda ctx, sel: w(ctx, sel, np.logical_not(ra(ctx, sel)))
    return lambda ctx, sel: w(ctx, sel, as_array(~ra(ctx, sel), t.dtype))


@builder("lop3")
def build_lop3(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(("b32",))
    d, a, b, c, lut = operands(ins, 5)
    w = writer(d, t, env)
    ra, rb, rc = (reader(o, t, env) for o in (a, b, c))
    table = int(lut.value) & 0xFF

    def run(ctx, sel):
        x, y, z = ra(ctx, sel), rb(ctx, sel), rc(ctx, sel)
        out = np.zeros(np.broadcast(x, y, z).shape, np.uint32)
        for minterm in range(8):
            if table >> minterm & 1:
                out |= ((x if minterm & 4 else ~x) & (y if minterm & 2 else ~y)
                        & (z if minterm & 1 else ~z))
        w(ctx, sel, out if out.ndim else np.uint32(out))
    return run


@builder("shl")
@builder("shr")
def build_shift(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(BITS)
    d, a, b = operands(ins, 3)
    w, ra, rb = writer(d, t, env), reader(a, t, env), reader(b, U32, env)
    limit = np.uint32(t.bits)

    def run(ctx, sel):
        amount = np.minimum(rb(ctx, sel), limit).astype(t.udtype)
        value = ra(ctx, sel)
        if ins.opcode == "shr" and t.is_signed:
            keep_sign = np.minimum(amount, t.udtype.type(t.bits - 1)).astype(t.dtype)
            w(ctx, sel, as_array(value >> keep_sign, t.dtype))
            return
        bits = _unsigned(value, t)
        out = bits << amount if ins.opcode == "shl" else bits >> amount
        w(ctx, sel, as_array(out, t.udtype).view(t.dtype))
    return run


@builder("shf")
def build_shf(ins: Instruction, mods: Mods, env: Env):
    direction = mods.take(("l", "r"))
    mode = mods.take(("wrap", "clamp"))
    t = mods.type(("b32",))
    if direction is None or mode is None:
        raise mods.fail("shf needs .l/.r and .wrap/.clamp")
    d, a, b, c = operands(ins, 4)
    w, ra, rb, rc = writer(d, t, env), reader(a, t, env), reader(b, t, env), reader(c, U32, env)

    def run(ctx, sel):
        n = rc(ctx, sel)
        n = (n & np.uint32(31)) if mode == "wrap" else np.minimum(n, np.uint32(32))
        joined = (ra(ctx, sel).astype(np.uint64)) | (rb(ctx, sel).astype(np.uint64) << np.uint64(32))
        n = n.astype(np.uint64)
        if direction == "l":
            out = (joined << n) >> np.uint64(32)
        else:
            out = joined >> n
        w(ctx, sel, (out & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    return run


def bit_length(x, bits: int):
    """Number of significant bits of unsigned values (0 for 0)."""
    x = np.asarray(x, dtype=np.uint64)
    hi = (x >> np.uint64(32)).astype(np.float64)
    lo = (x & np.uint64(0xFFFFFFFF)).astype(np.float64)
    hi_len = np.frexp(hi)[1]
    lo_len = np.frexp(lo)[1]
    return np.where(hi_len > 0, hi_len + 32, lo_len).astype(np.int64)


@builder("popc")
@builder("clz")
def build_count(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(("b32", "b64"))
    d, a = operands(ins, 2)
    w, ra = writer(d, U32, env), reader(a, t, env)
    if ins.opcode == "popc":
        return lambda ctx, sel: w(ctx, sel, as_array(np.bitwise_count(ra(ctx, sel)), U32.dtype))
    return lambda ctx, sel: w(ctx, sel, as_array(t.bits - bit_length(ra(ctx, sel), t.bits),
                                                 U32.dtype))


@builder("bfind")
def build_bfind(ins: Instruction, mods: Mods, env: Env):
    shiftamt = mods.flag("shiftamt")
    t = mods.type(("u32", "s32", "u64", "s64"))
    d, a = operands(ins, 2)
    w, ra = writer(d, U32, env), reader(a, t, env)

    def run(ctx, sel):
        value = ra(ctx, sel)
        bits = _unsigned(value, t)
        if t.is_signed:
            bits = np.where(value < 0, ~bits, bits)
        pos = bit_length(bits, t.bits) - 1
        if shiftamt:
            pos = np.where(pos >= 0, t.bits - 1 - pos, -1)
        w(ctx, sel, as_array(np.where(pos >= 0, pos, 0xFFFFFFFF), U32.dtype))
    return run


@builder("brev")
def build_brev(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(("b32", "b64"))
    d, a = operands(ins, 2)
    w, ra = writer(d, t, env), reader(a, t, env)

    def run(ctx, sel):
        value = np.atleast_1d(as_array(ra(ctx, sel), t.dtype))
        as_bytes = value.view(np.uint8).reshape(-1, t.size)
        out = _BYTE_REVERSE[as_bytes][:, ::-1].copy().view(t.dtype).reshape(-1)
        w(ctx, sel, out if np.ndim(ra(ctx, sel)) else out[0])
    return run


def _mask(width, t: PtxType):
    """Low ``width`` bits set (width may equal the type width)."""
    one = t.udtype.type(1)
    width = width.astype(t.udtype) if isinstance(width, np.ndarray) else t.udtype.type(width)
    full = t.udtype.type((1 << t.bits) - 1)
    return np.where(width >= t.bits, full, (one << width) - one).astype(t.udtype)


@builder("bfe")
def build_bfe(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(("u32", "s32", "u64", "s64"))
    d, a, b, c = operands(ins, 4)
    w, ra, rb, rc = writer(d, t, env), reader(a, t, env), reader(b, U32, env), reader(c, U32, env)

    def run(ctx, sel):
        value = _unsigned(ra(ctx, sel), t)
        pos = (rb(ctx, sel) & np.uint32(0xFF)).astype(np.int64)
        length = (rc(ctx, sel) & np.uint32(0xFF)).astype(np.int64)
        width = np.clip(np.minimum(length, t.bits - pos), 0, t.bits)
        field = (value >> np.minimum(pos, t.bits - 1).astype(t.udtype)) & _mask(width, t)
        field = np.where(pos >= t.bits, t.udtype.type(0), field)
        if t.is_signed:
            top = np.minimum(pos + length - 1, t.bits - 1).astype(t.udtype)
            sign = ((value >> top) & t.udtype.type(1)).astype(bool) & (length > 0)
            field = np.where(sign, field | ~_mask(width, t), field)
        w(ctx, sel, as_array(field, t.udtype).view(t.dtype))
    return run


@builder("bfi")
def build_bfi(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(("b32", "b64"))
    f, a, b, c, dd = operands(ins, 5)
    w = writer(f, t, env)
    ra, rb, rc, rd = reader(a, t, env), reader(b, t, env), reader(c, U32, env), reader(dd, U32, env)

    def run(ctx, sel):
        pos = (rc(ctx, sel) & np.uint32(0xFF)).astype(np.int64)
        length = (rd(ctx, sel) & np.uint32(0xFF)).astype(np.int64)
        width = np.clip(np.minimum(length, t.bits - pos), 0, t.bits)
        shift = np.minimum(pos, t.bits - 1).astype(t.udtype)
        mask = np.where(pos >= t.bits, t.udtype.type(0), _mask(width, t) << shift).astype(t.udtype)
        insert = (_unsigned(ra(ctx, sel), t) << shift) & mask
        w(ctx, sel, as_array((_unsigned(rb(ctx, sel), t) & ~mask) | insert, t.udtype))
    return run


@builder("prmt")
def build_prmt(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(("b32",))
    if mods.rest:
        raise mods.fail(f"unsupported prmt mode .{mods.rest[0]}")
    d, a, b, c = operands(ins, 4)
    w, ra, rb, rc = writer(d, t, env), reader(a, t, env), reader(b, t, env), reader(c, U32, env)

    def run(ctx, sel):
        source = (ra(ctx, sel).astype(np.uint64)) | (rb(ctx, sel).astype(np.uint64) << np.uint64(32))
        control = rc(ctx, sel).astype(np.uint64)
        out = np.uint64(0)
        for i in range(4):
            selector = (control >> np.uint64(4 * i)) & np.uint64(0xF)
            byte = (source >> ((selector & np.uint64(7)) * np.uint64(8))) & np.uint64(0xFF)
            replicate = (selector & np.uint64(8)) != 0
            byte = np.where(replicate, np.where(byte & np.uint64(0x80), np.uint64(0xFF),
                                                np.uint64(0)), byte)
            out = out | (byte.astype(np.uint64) << np.uint64(8 * i))
        w(ctx, sel, as_array(out, np.dtype(np.uint64)).astype(np.uint32))
    return run

