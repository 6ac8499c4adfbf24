"""Loads and stores: ld, ldu, st (every state space and generic addressing,
scalar and .v2/.v4/.v8 vectors), plus prefetch and other cache hints that have
no visible effect. Caching and memory-ordering qualifiers (.volatile,
.relaxed.gpu, .nc, .ca, .L1::evict_last, ...) do not change results in a
sequentially consistent emulator and are accepted.
"""
from __future__ import annotations

from ..lowering import CACHE_QUALIFIERS, Env, Mods, address_reader, as_array, builder, operands
from ..lowering import reader, writer
from ..module import Instruction, Vec
from ..threads import sel_count

SPACES = ("global", "shared", "local", "const", "param")
LOAD_TYPES = ("b8", "b16", "b32", "b64", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
              "f16", "f32", "f64")


def take_space(mods: Mods, default: str = "generic") -> str:
    """The state-space modifier (``.shared::cta`` counts as ``.shared``)."""
    for m in list(mods.rest):
        base = m.split("::")[0]
        if base in SPACES and (m == base or m in ("shared::cta", "shared::cluster",
                                                  "param::entry", "param::func")):
            mods.rest.remove(m)
            return base
    return default


def _vector(mods: Mods) -> int:
    vec = mods.take(("v2", "v4", "v8"))
    return int(vec[1:]) if vec else 1


def _items(op, count: int, what: str) -> list:
    items = list(op.items) if isinstance(op, Vec) else [op]
    if len(items) != count:
        raise ValueError(f"{what} needs {count} values, got {len(items)}")
    return items


@builder("ld")
@builder("ldu")
def build_ld(ins: Instruction, mods: Mods, env: Env):
    space = take_space(mods, "global" if ins.opcode == "ldu" else "generic")
    mods.drop(CACHE_QUALIFIERS)
    count = _vector(mods)
    t = mods.type(LOAD_TYPES)
    d, a = operands(ins, 2, at_least=2)
    effective, addresses = address_reader(a, space, env)
    writers = [writer(item, t, env) for item in _items(d, count, "vector load")]
    dtype = t.dtype

    def run(ctx, sel):
        values = ctx.mem.load(effective, addresses(ctx, sel), sel, dtype, count, sel_count(sel))
        for w, value in zip(writers, values):
            w(ctx, sel, value)
    return run


@builder("st")
def build_st(ins: Instruction, mods: Mods, env: Env):
    space = take_space(mods)
    mods.drop(CACHE_QUALIFIERS)
    count = _vector(mods)
    t = mods.type(LOAD_TYPES)
    a, v = operands(ins, 2, at_least=2)[:2]
    effective, addresses = address_reader(a, space, env)
    readers = [reader(item, t, env) for item in _items(v, count, "vector store")]
    dtype = t.dtype

    def run(ctx, sel):
        ctx.mem.store(effective, addresses(ctx, sel), sel, dtype,
                      [as_array(r(ctx, sel), dtype) for r in readers])
    return run


def _no_effect(ins: Instruction, mods: Mods, env: Env):
    mods.rest.clear()
    return lambda ctx, sel: None


for _name in ("prefetch", "prefetchu", "discard", "applypriority"):
    builder(_name)(_no_effect)

