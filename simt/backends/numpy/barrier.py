"""BARRIER and FENCE: when a barrier opens, what ``syncthreads_count/and/or`` give,
and barrier divergence.

The rules (the reference semantics of ``syncthreads()`` and friends):

- Threads of a CUDA block advance in lockstep up to each barrier. A barrier
  releases when every *live* thread of the block waits at it. A thread that has
  executed RET is not live: exited threads count as arrived, as on current NVIDIA
  hardware (``if i >= n: return`` before a ``syncthreads()`` is fine).
- The scheduler runs waiting segments in the plan's order, so when a barrier's
  segment comes up, every thread that can arrive in lockstep has arrived, and any
  other live thread of the block waits at a later segment: it skipped the barrier,
  waits at another barrier, or is still in a loop the barrier is not in. It can no
  longer reach this barrier, and that is barrier divergence, a
  ``KernelRuntimeError`` naming the kernel, the barrier's line and the block (never
  a hang, never a silent pass) -- unless the thread is as good as exited: every
  path from where it waits runs to RET without a barrier, store, atomic or print
  (``if i >= n: return`` before the barrier, or ``if t < 16: syncthreads()`` at
  the very end of a kernel). Such threads run to their exit first, then the
  barrier opens. Blocks that skip a barrier entirely (a block-uniform ``if``) are
  fine: the check is per block.
- ``syncthreads_count(p)`` is the number of live threads of the block whose ``p``
  is true, ``syncthreads_and(p)`` is 1 when ``p`` holds on every live thread,
  ``syncthreads_or(p)`` 1 when it holds on any; all three are int32 and the same
  for every thread of the block.
- FENCE (``threadfence*``) orders memory on a GPU; the lockstep reference is
  sequentially consistent already, so it does nothing here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simt.ir.core import Operation
from simt.ir.errors import KernelRuntimeError

from .active import ActiveSet, RangeSet
from .geometry import BatchGeometry

if TYPE_CHECKING:
    from .interpreter import Frame, Scheduler
    from .plan import BlockPlan, Plan

_NAMES = {"sync": "syncthreads()", "count": "syncthreads_count()", "and": "syncthreads_and()",
          "or": "syncthreads_or()"}


def threads_per_block(threads: ActiveSet, geometry: BatchGeometry) -> np.ndarray:
    """How many threads of ``threads`` each block of the batch holds."""
    size, count = geometry.threads_per_block, geometry.block_count
    if isinstance(threads, RangeSet):
        edges = np.clip(np.arange(count + 1, dtype=np.int64) * size, threads.lo, threads.hi)
        return np.diff(edges)
    return np.bincount(threads.idx // size, minlength=count)


class Barriers:
    """Live threads per block, and the decision to open a barrier."""

    def __init__(self, plan: Plan, geometry: BatchGeometry):
        self.plan = plan
        self.geometry = geometry
        self.live = np.full(geometry.block_count, geometry.threads_per_block, dtype=np.int64)
        self.live_total = geometry.thread_count

    def exit(self, threads: ActiveSet) -> None:
        self.live -= threads_per_block(threads, self.geometry)
        self.live_total -= threads.size

    def release(self, scheduler: Scheduler, position: int, threads: ActiveSet) -> int:
        """The position to run next: ``position`` when its barrier opens for every
        block waiting there, else a quietly exiting position whose threads exit first.
        Raises on barrier divergence."""
        if threads.size == self.live_total:
            return position                   # every live thread of the batch is here
        arrived = threads_per_block(threads, self.geometry)
        incomplete = (arrived > 0) & (arrived != self.live)
        if not incomplete.any():
            return position
        size = self.geometry.threads_per_block
        first_exits_quietly = None
        for other, pieces in enumerate(scheduler.waiting):
            if other == position or not pieces:
                continue
            segment = self.plan.blocks[other]
            for piece in pieces:
                idx = piece.indices()
                stuck = idx[incomplete[idx // size]]
                if not len(stuck):
                    continue
                if not segment.exits_quietly:
                    block = int(stuck[0]) // size
                    self._diverged(position, threads, block, int(arrived[block]),
                                   int(self.live[block] - arrived[block]), int(stuck[0]), segment)
                if first_exits_quietly is None:
                    first_exits_quietly = other
        if first_exits_quietly is None:
            raise RuntimeError("numpy backend: live threads of a block wait nowhere")
        # Run the first quietly exiting segment (order does not matter between them).
        return next(p for p, pieces in enumerate(scheduler.waiting)
                    if pieces and p != position and self.plan.blocks[p].exits_quietly)

    def _diverged(self, position: int, threads: ActiveSet, block: int, here: int, missing: int,
                  thread: int, elsewhere: BlockPlan) -> None:
        barrier = self.plan.blocks[position].barrier
        geometry = self.geometry
        thread_idx, block_idx = geometry.coordinates(thread)
        first_here = next(int(t) for t in threads.indices() if int(t) // geometry.threads_per_block == block)
        here_idx, _ = geometry.coordinates(first_here)
        where = _describe_segment(elsewhere)
        name = _NAMES.get(barrier.attrs.get("kind"), "syncthreads()")
        raise KernelRuntimeError(
            f"barrier divergence in block blockIdx={block_idx}: {here} thread(s) wait at this "
            f"{name} (first: threadIdx={here_idx}) but {missing} other live thread(s) of the "
            f"block cannot reach it (first: threadIdx={thread_idx}, {where}); every live "
            "thread of a block must reach the same barrier (exited threads count as arrived)",
            loc=barrier.loc, kernel=self.plan.kernel_name)


def _describe_segment(segment: BlockPlan) -> str:
    first = segment.ops[0] if segment.ops else None
    loc = first.loc if first is not None else None
    line = f"line {loc.line}" if loc is not None else f"block {segment.label}"
    if segment.barrier is not None:
        return f"waiting at another barrier at {line}"
    return f"waiting at {line}"


def barrier(frame: Frame, operation: Operation, operands: list) -> Any:
    """The released threads run the barrier: nothing to do for ``syncthreads()``; the
    per-block count/and/or of the predicate for the other kinds."""
    kind = operation.attrs["kind"]
    if kind == "sync":
        return None
    (pred,) = operands
    geometry = frame.geometry
    active = frame.active
    size = geometry.threads_per_block
    blocks = active.indices() // size
    members = np.bincount(blocks, minlength=geometry.block_count)
    if isinstance(pred, np.generic):
        true = members if pred else np.zeros_like(members)
    else:
        true = np.bincount(blocks, weights=frame.local(pred), minlength=geometry.block_count)
        true = true.astype(np.int64)
    if kind == "count":
        per_block = true
    elif kind == "and":
        per_block = true == members
    else:
        per_block = true > 0
    per_block = per_block.astype(np.int32)
    if geometry.block_count == 1:
        return per_block[0]
    return per_block[blocks]


def fence(frame: Frame, operation: Operation, operands: list) -> None:
    """Memory fences order accesses on a GPU; the lockstep reference needs none."""
