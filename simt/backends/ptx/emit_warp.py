"""PTX for barriers, fences, warp shuffles and votes, lane masks and bit operations.

- ``BARRIER``: ``sync`` is ``bar.sync 0``; ``count`` is ``bar.red.popc.u32``; ``and``/``or``
  are ``bar.red.and/or.pred`` then ``selp`` to an int32 0/1. All use barrier 0 with the
  whole block (exited threads count as arrived, as the reference says).
- ``SYNCWARP`` is ``bar.warp.sync mask``; ``FENCE`` is ``membar.cta`` (block),
  ``membar.gl`` (device) or ``membar.sys`` (system): on sm_70 and later these are
  ``fence.sc`` at that scope, what CUDA's ``__threadfence*`` compile to.
- ``SHFL`` is ``shfl.sync.{idx,up,down,bfly}.b32 d, value, lane, c, mask`` with CUDA's
  default width 32: ``c`` = 31 (the clamp) for idx/down/bfly and 0 for up, so a source
  lane past the warp's edge gives the thread its own value and only ``lane & 31``
  counts, as on the numpy target. A 64-bit value is two 32-bit shuffles of its halves
  (``mov.b64 {lo, hi}``) with the same lane and mask, put back together.
- ``VOTE``: ``vote.sync.{all,any,uni}.pred`` (``eq`` is ``uni``) and
  ``vote.sync.ballot.b32``; ``ACTIVEMASK`` is ``activemask.b32``; ``LANEMASK_LT`` reads
  ``%lanemask_lt``.
- ``POPC``/``CLZ``/``BREV`` on 32- or 64-bit operands (``lower_primitives.py`` widens
  narrow ones and rewrites FFS) are ``popc``/``clz``/``brev`` ``.b32``/``.b64``; popc and
  clz give a 32-bit count.
Every instruction here needs PTX ISA 6.2 at most (activemask), below each target's
``.version``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from simt.ir import Op, Operation

if TYPE_CHECKING:
    from .emit import KernelContext

FENCES = {"block": "membar.cta", "device": "membar.gl", "system": "membar.sys"}
SHUFFLE_MODES = {"idx": "idx", "up": "up", "down": "down", "xor": "bfly"}
VOTE_MODES = {"all": "all", "any": "any", "eq": "uni"}
BIT_INSTRUCTIONS = {Op.POPC: "popc", Op.CLZ: "clz", Op.BREV: "brev"}


def emit_barrier(ctx: KernelContext, op: Operation) -> None:
    kind = op.attrs["kind"]
    if kind == "sync":
        ctx.out("bar.sync 0;")
        return
    (pred,) = op.operands
    d = ctx[op.result]
    if kind == "count":
        ctx.out(f"bar.red.popc.u32 {d}, 0, {ctx[pred]};")
        return
    reduced = ctx.regs.new("pred")
    ctx.out(f"bar.red.{kind}.pred {reduced}, 0, {ctx[pred]};")
    ctx.out(f"selp.s32 {d}, 1, 0, {reduced};")


def emit_syncwarp(ctx: KernelContext, op: Operation) -> None:
    ctx.out(f"bar.warp.sync {ctx[op.operands[0]]};")


def emit_fence(ctx: KernelContext, op: Operation) -> None:
    ctx.out(f"{FENCES[op.attrs['scope']]};")


def emit_shfl(ctx: KernelContext, op: Operation) -> None:
    mask, value, lane = op.operands
    mode = SHUFFLE_MODES[op.attrs["mode"]]
    clamp = 0 if mode == "up" else 31
    t = value.type
    if t.is_bool or t.bits not in (32, 64):
        raise ctx.fail(op, "shuffles move 32- and 64-bit values")

    def shuffle(d: str, a: str) -> None:
        ctx.out(f"shfl.sync.{mode}.b32 {d}, {a}, {ctx[lane]}, {clamp}, {ctx[mask]};")

    if t.bits == 32:
        shuffle(ctx[op.result], ctx[value])
        return
    halves = [ctx.regs.new("b32") for _ in range(4)]
    ctx.out(f"mov.b64 {{{halves[0]}, {halves[1]}}}, {ctx[value]};")
    shuffle(halves[2], halves[0])
    shuffle(halves[3], halves[1])
    ctx.out(f"mov.b64 {ctx[op.result]}, {{{halves[2]}, {halves[3]}}};")


def emit_vote(ctx: KernelContext, op: Operation) -> None:
    mask, pred = op.operands
    mode = op.attrs["mode"]
    if mode == "ballot":
        ctx.out(f"vote.sync.ballot.b32 {ctx[op.result]}, {ctx[pred]}, {ctx[mask]};")
    else:
        ctx.out(f"vote.sync.{VOTE_MODES[mode]}.pred {ctx[op.result]}, {ctx[pred]}, {ctx[mask]};")


def emit_activemask(ctx: KernelContext, op: Operation) -> None:
    ctx.out(f"activemask.b32 {ctx[op.result]};")


def emit_lanemask_lt(ctx: KernelContext, op: Operation) -> None:
    ctx.out(f"mov.u32 {ctx[op.result]}, %lanemask_lt;")


def emit_bits(ctx: KernelContext, op: Operation) -> None:
    (a,) = op.operands
    t = a.type
    if t.is_bool or not t.is_int or t.bits not in (32, 64):
        raise ctx.fail(op, "bit operations on narrow ints must be widened by legalization")
    ctx.out(f"{BIT_INSTRUCTIONS[op.op]}.b{t.bits} {ctx[op.result]}, {ctx[a]};")


PTX_IMPL: dict[Op, Callable[[KernelContext, Operation], None]] = {
    Op.BARRIER: emit_barrier, Op.SYNCWARP: emit_syncwarp, Op.FENCE: emit_fence,
    Op.SHFL: emit_shfl, Op.VOTE: emit_vote, Op.ACTIVEMASK: emit_activemask,
    Op.LANEMASK_LT: emit_lanemask_lt,
    **dict.fromkeys(BIT_INSTRUCTIONS, emit_bits),
}
