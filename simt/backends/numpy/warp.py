"""Warp ops: SHFL, VOTE, ACTIVEMASK, LANEMASK_LT and SYNCWARP.

A warp is 32 consecutive threads of a block by linear thread id (``x + y*bdx +
z*bdx*bdy``); lane = linear id % 32. The lanes of a warp that *execute an op
together* are the threads of the warp in the frame's active set (they reached the
op in the same lockstep step). A lane is *live* until its thread executes RET, or
waits where every path runs to RET without a barrier, store, atomic or print (as
good as exited: ``if i >= n: return`` before a full-mask shuffle is fine, as for
barriers). Lanes past the end of a block whose size is not a multiple of 32 do
not exist.

Rules for the ``*_sync`` ops (SHFL, VOTE, SYNCWARP), checked on every execution;
each violation raises ``KernelRuntimeError`` naming the kernel, line and thread:
- the executing thread must be in its own mask;
- every live lane the mask names must be executing the op with it (a full mask
  in divergent code is an error, not undefined values);
- the lanes a mask names that execute the op must pass that same mask.

SHFL (PTX ``shfl.sync`` with CUDA's default width 32, i.e. clamp c = 31 for
idx/down/xor and c = 0 for up, segment mask 0). Only the low 5 bits of the lane
operand count (``b & 31``, as the hardware does). With ``lane`` the thread's lane:
- ``up``: source ``lane - b`` when that is >= 0, else the thread keeps its value;
- ``down``: source ``lane + b`` when that is <= 31, else it keeps its value;
- ``xor``: source ``lane ^ b``;
- ``idx``: source ``b`` (so ``src_lane`` is taken modulo 32, as CUDA documents).
Reading a source lane that is not executing the op with the thread, or that is
not in its mask (or does not exist, or has exited), is an error: the value would
be undefined on a GPU.

VOTE over the lanes of the mask that execute it: ``ballot`` sets bit i for lane i
when its predicate is true; ``all``/``any`` as named; ``eq`` is true when the
predicate is the same on all of them. ACTIVEMASK is the bits of the lanes of the
warp executing it together; LANEMASK_LT is ``(1 << lane) - 1``. SYNCWARP only
checks its mask: the lockstep reference keeps warps converged anyway.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from simt.ir.core import Operation
from simt.ir.errors import KernelRuntimeError

from .active import ActiveSet, RangeSet
from .geometry import BatchGeometry

if TYPE_CHECKING:
    from .interpreter import Frame

_U32 = np.dtype(np.uint32)
_FULL = np.uint32(0xFFFFFFFF)


class WarpState:
    """Per warp of the batch: the lanes that exist and the lanes that have exited."""

    def __init__(self, geometry: BatchGeometry):
        self.geometry = geometry
        size = geometry.threads_per_block
        self.warps_per_block = -(-size // 32)
        count = geometry.block_count * self.warps_per_block
        existing = np.full(self.warps_per_block, _FULL, dtype=_U32)
        if size % 32:
            existing[-1] = np.uint32((1 << (size % 32)) - 1)
        self.existing = np.tile(existing, geometry.block_count)
        self.exited = np.zeros(count, dtype=_U32)
        self.any_exited = False

    def layout(self, threads: ActiveSet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(batch thread numbers, warp numbers, lanes) of ``threads``."""
        t = threads.indices()
        size = self.geometry.threads_per_block
        if size % 32 == 0:
            return t, t >> 5, (t & 31).astype(_U32)
        block, thread = np.divmod(t, size)
        return t, block * self.warps_per_block + (thread >> 5), (thread & 31).astype(_U32)

    def lane_bits(self, threads: ActiveSet) -> tuple[np.ndarray, np.ndarray]:
        """(the warps ``threads`` touch, the bits of their lanes in each)."""
        _, warp, lane = self.layout(threads)
        starts = np.flatnonzero(np.concatenate([[True], warp[1:] != warp[:-1]]))
        return warp[starts], np.bitwise_or.reduceat(np.left_shift(np.uint32(1), lane), starts)

    def exit(self, threads: ActiveSet) -> None:
        warps, bits = self.lane_bits(threads)
        self.exited[warps] |= bits
        self.any_exited = True

    def whole_warps(self, threads: ActiveSet, mask: Any) -> bool:
        """Whether ``threads`` are whole warps of 32 live lanes, all executing together
        under the full mask: the mask rules hold trivially and every warp is a row of
        a (warps, 32) reshape of the active values."""
        return (isinstance(mask, np.generic) and int(mask) == 0xFFFFFFFF
                and self.geometry.threads_per_block % 32 == 0 and not self.any_exited
                and isinstance(threads, RangeSet) and threads.lo % 32 == 0
                and threads.hi % 32 == 0)

    def exiting(self, frame: Frame) -> np.ndarray:
        """Per warp: the lanes waiting where they can only exit quietly (``plan.py``):
        as good as exited, so a mask may name them."""
        bits = np.zeros_like(self.exited)
        blocks = frame.plan.blocks
        for position, pieces in enumerate(frame.batch.scheduler.waiting):
            if pieces and blocks[position].exits_quietly:
                for piece in pieces:
                    warps, lanes_ = self.lane_bits(piece)
                    bits[warps] |= lanes_
        return bits


@dataclass
class Lanes:
    """The warp picture of a frame's active set, one entry per active thread."""

    threads: np.ndarray       # batch thread numbers
    lane: np.ndarray          # uint32
    bit: np.ndarray           # 1 << lane
    together: np.ndarray      # the lanes of the thread's warp executing with it
    live: np.ndarray          # the lanes of the thread's warp that exist and have not exited
    run: np.ndarray           # index of the thread's warp among the active warps
    starts: np.ndarray        # first position of each active warp
    warp: np.ndarray          # the thread's warp number in the batch


def lanes(frame: Frame) -> Lanes:
    """The warp picture of ``frame``'s active threads (their warps are runs of the
    sorted active set)."""
    warps: WarpState = frame.batch.warps
    t, warp, lane = warps.layout(frame.active)
    bit = np.left_shift(np.uint32(1), lane)
    boundary = np.empty(len(t), dtype=bool)
    boundary[:1] = True
    np.not_equal(warp[1:], warp[:-1], out=boundary[1:])
    starts = np.flatnonzero(boundary)
    run = np.cumsum(boundary) - 1
    together = np.bitwise_or.reduceat(bit, starts)[run]
    live = (warps.existing & ~warps.exited)[warp]
    return Lanes(t, lane, bit, together, live, run, starts, warp)


def _fail(frame: Frame, operation: Operation, position: int, message: str) -> None:
    thread_idx, block_idx = frame.geometry.coordinates(int(frame.active.indices()[position]))
    raise KernelRuntimeError(f"{message} (thread threadIdx={thread_idx}, blockIdx={block_idx})",
                             loc=operation.loc, kernel=frame.kernel_name)


def _lane_list(bits: int) -> str:
    return str([k for k in range(32) if bits >> k & 1])


def _check_mask(frame: Frame, operation: Operation, lanes_: Lanes, mask: Any) -> np.ndarray:
    """Apply the mask rules; return the mask as a uint32 array over the active threads."""
    name = _op_name(operation)
    mask = np.broadcast_to(np.asarray(frame.local(mask), dtype=_U32), lanes_.lane.shape)
    outside = (mask & lanes_.bit) == 0
    if outside.any():
        k = int(np.argmax(outside))
        _fail(frame, operation, k, f"{name}: lane {int(lanes_.lane[k])} is not in its own mask "
              f"{int(mask[k]):#010x}")
    missing = mask & lanes_.live & ~lanes_.together
    if missing.any():
        missing &= ~frame.batch.warps.exiting(frame)[lanes_.warp]
    if missing.any():
        k = int(np.argmax(missing != 0))
        _fail(frame, operation, k, f"{name}: mask {int(mask[k]):#010x} names live lane(s) "
              f"{_lane_list(int(missing[k]))} that are not executing it with lane "
              f"{int(lanes_.lane[k])} (divergent warp)")
    if len(mask) and not (mask == mask[0]).all():
        # Lanes that pass the same mask, per warp: every named lane that executes the
        # op must be among them.
        order = np.lexsort((mask, lanes_.run))
        key_run, key_mask = lanes_.run[order], mask[order]
        boundary = np.empty(len(order), dtype=bool)
        boundary[:1] = True
        boundary[1:] = (key_run[1:] != key_run[:-1]) | (key_mask[1:] != key_mask[:-1])
        starts = np.flatnonzero(boundary)
        group = np.empty(len(order), dtype=_U32)
        group[order] = np.bitwise_or.reduceat(lanes_.bit[order], starts)[np.cumsum(boundary) - 1]
        other = mask & lanes_.together & ~group
        if other.any():
            k = int(np.argmax(other != 0))
            _fail(frame, operation, k, f"{name}: lane(s) {_lane_list(int(other[k]))} named by mask "
                  f"{int(mask[k]):#010x} pass a different mask")
    return mask


def _op_name(operation: Operation) -> str:
    mode = operation.attrs.get("mode")
    names = {"idx": "shfl_sync", "up": "shfl_up_sync", "down": "shfl_down_sync",
             "xor": "shfl_xor_sync", "all": "all_sync", "any": "any_sync", "eq": "eq_sync",
             "ballot": "ballot_sync"}
    return names.get(mode, operation.op.value)


def shfl(frame: Frame, operation: Operation, operands: list) -> Any:
    mask, value, lane_operand = operands
    if isinstance(lane_operand, np.generic) and frame.batch.warps.whole_warps(frame.active, mask):
        # Every lane reads the same relative source: one gather along the lanes.
        source = _source_lanes(operation.attrs["mode"], np.arange(32), int(lane_operand) & 31)
        if isinstance(value, np.generic):
            return value
        return frame.local(value).reshape(-1, 32)[:, source].reshape(-1)
    info = lanes(frame)
    mask = _check_mask(frame, operation, info, mask)
    b = np.asarray(frame.local(lane_operand)).astype(np.int64) & 31
    lane = info.lane.astype(np.int64)
    source = _source_lanes(operation.attrs["mode"], lane, b)
    source_bit = np.left_shift(np.uint32(1), source.astype(_U32))
    unreadable = (source_bit & mask & info.together) == 0
    if unreadable.any():
        k = int(np.argmax(unreadable))
        reason = ("is not in the mask" if not int(source_bit[k]) & int(mask[k])
                  else "is not executing it with the thread (inactive, exited or past the "
                  "end of the block)")
        _fail(frame, operation, k, f"{_op_name(operation)}: lane {int(lane[k])} reads lane "
              f"{int(source[k])}, which {reason}")
    if isinstance(value, np.generic):
        return value
    positions = _positions(frame.active, info.threads + (source - lane))
    return frame.local(value)[positions]


def _source_lanes(mode: str, lane: Any, b: Any) -> np.ndarray:
    """The lane each lane reads (``b``: the lane operand's low 5 bits)."""
    if mode == "up":
        source = lane - b
        return np.where(source >= 0, source, lane)
    if mode == "down":
        source = lane + b
        return np.where(source <= 31, source, lane)
    if mode == "xor":
        return lane ^ b
    return np.broadcast_to(b, np.shape(lane))


def _positions(active: ActiveSet, threads: np.ndarray) -> np.ndarray:
    """Positions in ``active`` of batch threads known to be in it."""
    if isinstance(active, RangeSet):
        return threads - active.lo
    return np.searchsorted(active.idx, threads)


def vote(frame: Frame, operation: Operation, operands: list) -> Any:
    mask, pred = operands
    if frame.batch.warps.whole_warps(frame.active, mask):
        rows = np.broadcast_to(np.asarray(frame.local(pred), dtype=bool), (frame.active.size,))
        ballots = np.packbits(rows.reshape(-1, 32), axis=1, bitorder="little").view("<u4")
        true_bits = np.repeat(ballots.reshape(-1).astype(_U32), 32)
        voters = np.uint32(0xFFFFFFFF)
    else:
        info = lanes(frame)
        mask = _check_mask(frame, operation, info, mask)
        pred = np.broadcast_to(np.asarray(frame.local(pred), dtype=bool), info.lane.shape)
        true_bits = np.bitwise_or.reduceat(np.where(pred, info.bit, np.uint32(0)), info.starts)[info.run]
        voters = mask & info.together
    ballot = true_bits & voters
    mode = operation.attrs["mode"]
    if mode == "ballot":
        return ballot.astype(_U32)
    if mode == "all":
        return ballot == voters
    if mode == "any":
        return ballot != 0
    return (ballot == 0) | (ballot == voters)


def syncwarp(frame: Frame, operation: Operation, operands: list) -> None:
    (mask,) = operands
    if not frame.batch.warps.whole_warps(frame.active, mask):
        _check_mask(frame, operation, lanes(frame), mask)


def activemask(frame: Frame, operation: Operation, operands: list) -> Any:
    if frame.batch.warps.whole_warps(frame.active, _FULL):
        return _FULL
    return lanes(frame).together


def lanemask_lt(frame: Frame, operation: Operation, operands: list) -> Any:
    geometry = frame.geometry
    lane = geometry.lane_id()
    if lane is None:
        lane = geometry.varying_register("lane_id", 0, frame.active)
    lane = np.asarray(frame.local(lane), dtype=_U32)
    result = np.left_shift(np.uint32(1), lane) - np.uint32(1)
    return result if result.ndim else result[()]
