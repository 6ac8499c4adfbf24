"""Warp-level instructions: shfl(.sync) up/down/bfly/idx with clamp and
segment mask and the optional in-range predicate, vote(.sync)
all/any/uni/ballot, activemask, match.any/.all, redux.sync.

A warp is 32 consecutive linear thread ids of a block. For the ``.sync``
forms every live (non-exited) lane named in ``membermask`` must execute the
same instruction together with the thread; otherwise (divergent code calling
a full-mask warp op, which hangs or is undefined on a GPU) the emulator raises
an error naming the lanes. A thread outside its own membermask is an error too.
"""
from __future__ import annotations

import numpy as np

from ..lowering import Env, Mods, as_array, builder, operands, reader, writer
from ..memory import Fault
from ..module import Instruction, Pair
from ..ptxtypes import PRED, U32
from ..threads import sel_indices

_U64 = np.dtype(np.uint64)


def warp_ballot(ctx, sel, bits) -> np.ndarray:
    """Per batch warp: the OR of ``bits`` (a lane-bit per thread of sel)."""
    batch = ctx.batch
    if np.ndim(bits) == 0:
        bits = np.broadcast_to(bits, (len(sel_indices(sel)),))
    sums = np.bincount(batch.warp[sel], weights=np.asarray(bits, np.float64),
                       minlength=batch.nwarps)
    return sums.astype(np.uint64)


def lane_bits(ctx, sel) -> np.ndarray:
    return np.uint64(1) << ctx.batch.lane[sel].astype(np.uint64)


def arrived_lanes(ctx, sel) -> np.ndarray:
    """For each thread of sel: the lanes of its warp executing with it."""
    return warp_ballot(ctx, sel, lane_bits(ctx, sel))[ctx.batch.warp[sel]]


def check_members(ctx, sel, mask, what: str) -> np.ndarray:
    """Validate a membermask; returns the lanes of each thread's warp that arrived."""
    batch = ctx.batch
    mask = np.asarray(mask).astype(np.uint64)
    mine = lane_bits(ctx, sel)
    arrived = arrived_lanes(ctx, sel)
    outside = (mask & mine) == 0
    if np.any(outside):
        pos = int(np.argmax(np.broadcast_to(outside, mine.shape)))
        raise Fault(f"{what}: the thread is not in membermask "
                    f"0x{int(np.broadcast_to(mask, mine.shape)[pos]):08x}", pos)
    missing = mask & ctx.alive_lanes()[batch.warp[sel]] & ~arrived
    if np.any(missing):
        pos = int(np.argmax(missing != 0))
        lanes = [k for k in range(32) if int(missing[pos]) >> k & 1]
        raise Fault(f"{what}: membermask 0x{int(np.broadcast_to(mask, mine.shape)[pos]):08x} "
                    f"names live lane(s) {lanes} that are not executing this instruction with "
                    f"the thread (divergent warp)", pos)
    return arrived


@builder("shfl")
def build_shfl(ins: Instruction, mods: Mods, env: Env):
    sync = mods.flag("sync")
    mode = mods.take(("up", "down", "bfly", "idx"))
    t = mods.type(("b32",))
    if mode is None:
        raise mods.fail("shfl needs .up, .down, .bfly or .idx")
    ops = operands(ins, 5 if sync else 4)
    dest = ops[0]
    first, second = (dest.first, dest.second) if isinstance(dest, Pair) else (dest, None)
    wd = writer(first, t, env)
    wp = writer(second, PRED, env) if second is not None else None
    ra = reader(ops[1], t, env)
    rb, rc = reader(ops[2], U32, env), reader(ops[3], U32, env)
    rm = reader(ops[4], U32, env) if sync else None

    def run(ctx, sel):
        batch = ctx.batch
        if rm is not None:
            check_members(ctx, sel, rm(ctx, sel), ins.full_opcode)
        lane = batch.lane[sel].astype(np.int64)
        b = (rb(ctx, sel) & np.uint32(31)).astype(np.int64)
        c = rc(ctx, sel).astype(np.int64)
        clamp, segmask = c & 31, (c >> 8) & 31
        max_lane = (lane & segmask) | (clamp & ~segmask)
        if mode == "up":
            j = lane - b
            valid = j >= max_lane
        else:
            j = {"down": lambda: lane + b, "bfly": lambda: lane ^ b,
                 "idx": lambda: (lane & segmask) | (b & ~segmask)}[mode]()
            valid = j <= max_lane
        j = np.where(valid, j, lane)
        threads = sel_indices(sel)
        exists = batch.local_id[sel].astype(np.int64) - lane + j < batch.block_size
        source = np.where(exists, threads - lane + j, threads)
        everyone = ra(ctx, batch.all)
        wd(ctx, sel, everyone[source] if np.ndim(everyone) else everyone)
        if wp is not None:
            wp(ctx, sel, np.broadcast_to(valid, lane.shape).copy())
    return run


@builder("vote")
def build_vote(ins: Instruction, mods: Mods, env: Env):
    sync = mods.flag("sync")
    mode = mods.take(("all", "any", "uni", "ballot"))
    t = mods.type(("pred", "b32"))
    if mode is None or (mode == "ballot") != (t.name == "b32"):
        raise mods.fail("vote needs .all/.any/.uni with .pred, or .ballot.b32")
    ops = operands(ins, 3 if sync else 2)
    w, ra = writer(ops[0], t, env), reader(ops[1], PRED, env)
    rm = reader(ops[2], U32, env) if sync else None

    def run(ctx, sel):
        if rm is not None:
            members = check_members(ctx, sel, rm(ctx, sel), ins.full_opcode)
            members = members & np.asarray(rm(ctx, sel)).astype(np.uint64)
        else:
            members = arrived_lanes(ctx, sel)
        votes = np.where(ra(ctx, sel), lane_bits(ctx, sel), np.uint64(0))
        ballot = warp_ballot(ctx, sel, votes)[ctx.batch.warp[sel]] & members
        if mode == "ballot":
            w(ctx, sel, ballot.astype(np.uint32))
        elif mode == "all":
            w(ctx, sel, ballot == members)
        elif mode == "any":
            w(ctx, sel, ballot != 0)
        else:
            w(ctx, sel, (ballot == 0) | (ballot == members))
    return run


@builder("activemask")
def build_activemask(ins: Instruction, mods: Mods, env: Env):
    mods.type(("b32",))
    (d,) = operands(ins, 1)
    w = writer(d, U32, env)
    return lambda ctx, sel: w(ctx, sel, arrived_lanes(ctx, sel).astype(np.uint32))


@builder("match")
def build_match(ins: Instruction, mods: Mods, env: Env):
    mode = mods.take(("any", "all"))
    mods.flag("sync")
    t = mods.type(("b32", "b64"))
    d, a, m = operands(ins, 3)
    first, second = (d.first, d.second) if isinstance(d, Pair) else (d, None)
    if mode is None or (second is not None and mode == "any"):
        raise mods.fail("match needs .any or .all (only .all has a predicate)")
    wd = writer(first, U32, env)
    wp = writer(second, PRED, env) if second is not None else None
    ra, rm = reader(a, t, env), reader(m, U32, env)

    def run(ctx, sel):
        batch = ctx.batch
        mask = np.asarray(rm(ctx, sel)).astype(np.uint64)
        members = check_members(ctx, sel, mask, ins.full_opcode) & mask
        values = np.broadcast_to(as_array(ra(ctx, sel), t.dtype), batch.warp[sel].shape)
        grid = np.zeros((batch.nwarps, 32), dtype=t.dtype)
        grid[batch.warp[sel], batch.lane[sel]] = values
        same = grid[batch.warp[sel]] == values[:, None]
        weights = np.uint64(1) << np.arange(32, dtype=np.uint64)
        equal = (same * weights).sum(axis=1).astype(np.uint64) & members
        if mode == "any":
            wd(ctx, sel, equal.astype(np.uint32))
            return
        uniform = equal == members
        wd(ctx, sel, np.where(uniform, members, np.uint64(0)).astype(np.uint32))
        if wp is not None:
            wp(ctx, sel, uniform)
    return run


_REDUX = {"add": np.add, "min": np.minimum, "max": np.maximum, "and": np.bitwise_and,
          "or": np.bitwise_or, "xor": np.bitwise_xor}


@builder("redux")
def build_redux(ins: Instruction, mods: Mods, env: Env):
    mods.flag("sync")
    op = mods.take(tuple(_REDUX))
    t = mods.type(("u32", "s32", "b32"))
    if op is None:
        raise mods.fail("redux.sync needs an operation")
    d, a, m = operands(ins, 3)
    w, ra, rm = writer(d, t, env), reader(a, t, env), reader(m, U32, env)
    identity = {"add": 0, "min": np.iinfo(t.dtype).max if t.is_int else 0,
                "max": np.iinfo(t.dtype).min, "and": -1, "or": 0, "xor": 0}[op]

    def run(ctx, sel):
        batch = ctx.batch
        check_members(ctx, sel, rm(ctx, sel), ins.full_opcode)
        warps = batch.warp[sel]
        acc = np.full(batch.nwarps, np.array(identity).astype(t.dtype), dtype=t.dtype)
        values = np.broadcast_to(as_array(ra(ctx, sel), t.dtype), warps.shape)
        _REDUX[op].at(acc, warps, values)
        w(ctx, sel, acc[warps])
    return run

