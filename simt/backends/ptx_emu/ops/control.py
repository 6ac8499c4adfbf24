"""Control flow and synchronization: bra, ret, exit, trap, bar/barrier
(sync, arrive, red), membar/fence and other instructions without a visible
effect in a sequentially consistent, lockstep emulator.

``call`` never reaches this table: the linker inlines callees. A ``ret`` left
after linking belongs to the kernel and ends the thread, like ``exit``.
"""
from __future__ import annotations

import numpy as np

from ..lowering import BARRIER, BRANCH, EXIT, Env, Mods, Step, builder, operands, reader, writer
from ..memory import Fault
from ..module import Instruction, Sym
from ..ptxtypes import PRED


@builder("bra")
def build_bra(ins: Instruction, mods: Mods, env: Env):
    mods.flag("uni")
    (target,) = operands(ins, 1)
    if not isinstance(target, Sym):
        raise mods.fail("bra needs a label")
    return Step(BRANCH, ins, label=target.name)


@builder("ret")
@builder("exit")
def build_exit(ins: Instruction, mods: Mods, env: Env):
    mods.flag("uni")
    operands(ins, 0)
    return Step(EXIT, ins)


@builder("trap")
def build_trap(ins: Instruction, mods: Mods, env: Env):
    def run(ctx, sel):
        raise Fault("trap instruction executed", 0)
    return run


def _barrier_operands(ins: Instruction, mods: Mods) -> None:
    if len(ins.operands) not in (1, 2):
        raise mods.fail(f"'{ins.full_opcode}' takes a barrier number and an optional count")


@builder("bar")
@builder("barrier")
def build_bar(ins: Instruction, mods: Mods, env: Env):
    mods.drop(("aligned", "cta"))
    if mods.flag("warp"):
        mods.take(("sync",))
        operands(ins, 1)
        return lambda ctx, sel: None      # warps run in lockstep already
    if mods.take(("arrive",)):
        _barrier_operands(ins, mods)
        return lambda ctx, sel: None      # arrive does not wait
    if mods.take(("red",)):
        return _build_bar_red(ins, mods, env)
    mods.take(("sync",))
    _barrier_operands(ins, mods)
    return Step(BARRIER, ins)


def _build_bar_red(ins: Instruction, mods: Mods, env: Env) -> Step:
    op = mods.take(("popc", "and", "or"))
    t = mods.type(("u32", "pred"))
    if op is None or (op == "popc") != (t.name == "u32"):
        raise mods.fail("bar.red needs .popc.u32, .and.pred or .or.pred")
    ops = ins.operands
    if len(ops) not in (3, 4):
        raise mods.fail("bar.red takes d, barrier{, count}, {!}c")
    w, rc = writer(ops[0], t, env), reader(ops[-1], PRED, env)
    key = id(ins)

    def arrive(ctx, sel):
        votes = ctx.barrier_votes.setdefault(key, np.zeros(ctx.batch.size, dtype=bool))
        votes[sel] = rc(ctx, sel)

    def release(ctx, sel):
        votes = ctx.barrier_votes.pop(key)
        blocks = ctx.batch.block_in_batch[sel]
        nb = ctx.batch.nblocks
        yes = np.bincount(blocks, weights=votes[sel], minlength=nb)[blocks]
        if op == "popc":
            w(ctx, sel, yes.astype(np.uint32))
        elif op == "or":
            w(ctx, sel, yes > 0)
        else:
            arrived = np.bincount(blocks, minlength=nb)[blocks]
            w(ctx, sel, yes == arrived)
    return Step(BARRIER, ins, run=arrive, release=release)


def _no_effect(ins: Instruction, mods: Mods, env: Env):
    mods.rest.clear()
    return lambda ctx, sel: None


for _name in ("membar", "fence", "brkpt", "nanosleep", "pmevent"):
    builder(_name)(_no_effect)
