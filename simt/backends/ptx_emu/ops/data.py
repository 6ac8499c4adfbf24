"""Data movement between registers: mov (registers, immediates, special
registers, variable addresses, packing ``{a, b}`` and unpacking), cvta
(generic <-> state-space addresses) and isspacep.
"""
from __future__ import annotations

import numpy as np

from ..lowering import Env, Mods, as_array, builder, operands, reader, symbol_address, writer
from ..memory import FIRST_REGION, REGION_SHIFT, WINDOWS
from ..module import Instruction, Sym, Vec
from ..ptxtypes import PRED, U64, UINT, PtxType, ptx_type

_MOV_TYPES = ("pred", "b16", "b32", "b64", "u16", "u32", "u64", "s16", "s32", "s64",
              "f16", "f32", "f64")
_SPACES = ("global", "shared", "local", "const", "param")


def _part_type(t: PtxType, count: int) -> PtxType:
    return ptx_type(f"b{t.bits // count}")


@builder("mov")
def build_mov(ins: Instruction, mods: Mods, env: Env):
    t = mods.type(_MOV_TYPES)
    d, a = operands(ins, 2)
    if isinstance(a, Vec):
        return _pack(d, a, t, env)
    if isinstance(d, Vec):
        return _unpack(d, a, t, env)
    w, ra = writer(d, t, env), reader(a, t, env)
    return lambda ctx, sel: w(ctx, sel, ra(ctx, sel))


def _pack(d, vec: Vec, t: PtxType, env: Env):
    part = _part_type(t, len(vec.items))
    readers = [reader(item, part, env) for item in vec.items]
    w = writer(d, t, env)
    wide = UINT[t.bits]

    def run(ctx, sel):
        out = wide.type(0)
        for k, r in enumerate(readers):
            out = out | (as_array(r(ctx, sel), part.dtype).astype(wide) << wide.type(k * part.bits))
        w(ctx, sel, as_array(out, wide).view(t.dtype))
    return run


def _unpack(vec: Vec, a, t: PtxType, env: Env):
    part = _part_type(t, len(vec.items))
    writers = [writer(item, part, env) for item in vec.items]
    ra = reader(a, t, env)
    wide = UINT[t.bits]
    mask = wide.type((1 << part.bits) - 1)

    def run(ctx, sel):
        value = as_array(ra(ctx, sel), t.dtype).view(wide)
        for k, w in enumerate(writers):
            w(ctx, sel, ((value >> wide.type(k * part.bits)) & mask).astype(part.dtype))
    return run


@builder("cvta")
def build_cvta(ins: Instruction, mods: Mods, env: Env):
    to_space = mods.flag("to")
    space = mods.take(_SPACES)
    t = mods.type(("u32", "u64", "b32", "b64", "s64"))
    if space is None:
        raise mods.fail("cvta needs a state space")
    d, a = operands(ins, 2)
    w = writer(d, t, env)
    window = np.uint64(WINDOWS.get(space, 0))
    if isinstance(a, Sym):
        address = np.uint64(symbol_address(a.name, env))
        value = as_array(address - window if to_space else address + window, U64.dtype)
        value = as_array(value, t.udtype).view(t.dtype)
        return lambda ctx, sel: w(ctx, sel, value)
    ra = reader(a, t, env)

    def run(ctx, sel):
        x = as_array(ra(ctx, sel), t.dtype).view(t.udtype).astype(np.uint64)
        out = x - window if to_space else x + window
        w(ctx, sel, as_array(out, np.dtype(np.uint64)).astype(t.udtype).view(t.dtype))
    return run


@builder("isspacep")
def build_isspacep(ins: Instruction, mods: Mods, env: Env):
    space = mods.take(_SPACES)
    if space is None:
        raise mods.fail("isspacep needs a state space")
    d, a = operands(ins, 2)
    w, ra = writer(d, PRED, env), reader(a, U64, env)
    shift = np.uint64(REGION_SHIFT)

    def run(ctx, sel):
        window = ra(ctx, sel) >> shift
        if space == "global":
            w(ctx, sel, window >= np.uint64(FIRST_REGION))
        else:
            w(ctx, sel, window == np.uint64(WINDOWS[space] >> REGION_SHIFT))
    return run
