"""The lockstep SIMT interpreter: runs one batch of whole blocks to completion.

Scheduling. Every thread of the batch waits at some block (or has exited). Each
step takes the waiting block that comes first in the plan's order (loops before
their exits, see ``order.py``) and runs it ONCE for all threads waiting there (the
active set), op by op, each op one or a few NumPy calls over those threads. The
terminator then hands each thread to its successor. Threads that took different
paths meet again at a join because the join comes after both paths in the order;
a back edge sends threads to an earlier block, so a loop runs to completion for
all its threads before the code after it. A loop header waits while threads are
still inside the loop's body (later in the order than the header): every thread
finishes an iteration before any starts the next, even when the paths through
the body take separate back edges (``if ...: continue``), which keeps warps and
barriers in lockstep. Threads of a divergent loop that are done wait at the exit
while the remaining ones iterate at the size of the remaining set: inactive
threads cost nothing. The unit of scheduling is a plan *segment*: an IR block,
cut before each barrier (``plan.py``).

Values. Within one execution of a block, values live in ``Frame.env`` at the
active set's size: operands from elsewhere are read once per execution (uniform
and affine values as they are; arrays as a view for a range active set, by
compaction for a set split off the last one, else by a gather). Results used
outside the block, and block parameters, go to ``Slot``s (``slots.py``), which
stay symbolic or compact unless threads with different values must coexist, and
only then scatter into batch-wide arrays. An op may reuse the array of an operand
that dies at it (``Frame.donor``), as NumPy's own temporary elision does.

Barriers (``barrier.py``). Threads of one CUDA block are always in the same
batch. A thread that reaches a barrier waits at the barrier's segment like at any
block, and ``Scheduler.next_block`` runs that segment only when every live thread
of each block waiting there has arrived. Threads that can only run on quietly to
an exit run first (exited threads count as arrived); anything else is barrier
divergence, a ``KernelRuntimeError``. Per-block shared memory and per-thread
local memory live in ``BatchState.memory`` (``allocations.py``), the warp state
for warp ops in ``BatchState.warps`` (``warp.py``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from simt.ir.core import Successor, Value
from simt.ir.errors import KernelRuntimeError
from simt.ir.types import ArrayType

from .active import ActiveSet, Part, RangeSet, merge
from .allocations import BatchMemory
from .barrier import Barriers
from .geometry import BatchGeometry
from .plan import BlockPlan, Plan
from .slots import Slot
from .values import ArrayArg, materialize, restrict
from .warp import WarpState


class Scheduler:
    """Which threads wait at which segment; picks the next segment to run."""

    def __init__(self, plan: Plan, geometry: BatchGeometry):
        self.plan = plan
        self.waiting: list[list[ActiveSet]] = [[] for _ in range(len(plan.blocks))]
        self.thread_count = geometry.thread_count
        self.barriers = Barriers(plan, geometry) if plan.has_barriers else None

    def arrive(self, position: int, threads: ActiveSet) -> None:
        pieces = self.waiting[position]
        pieces.append(threads)
        if len(pieces) > 1:
            # They will be merged into a new set: forget what they were split from,
            # so that waiting threads do not keep chains of old index arrays alive.
            for piece in pieces:
                piece.parent = piece.selector = None

    def next_block(self) -> tuple[int, ActiveSet] | None:
        blocks = self.plan.blocks
        waiting = self.waiting
        for position, pieces in enumerate(waiting):
            if not pieces:
                continue
            end = blocks[position].loop_end
            if end is not None and any(waiting[p] for p in range(position + 1, end)):
                continue      # threads back at a loop header wait for the iteration's stragglers
            threads = merge(pieces, self.thread_count)
            if blocks[position].barrier is not None:
                first = self.barriers.release(self, position, threads)
                if first != position:
                    self.waiting[position] = [threads]
                    position = first
                    threads = merge(self.waiting[position], self.thread_count)
            self.waiting[position] = []
            return position, threads
        return None

    def exit(self, threads: ActiveSet) -> None:
        if self.barriers is not None:
            self.barriers.exit(threads)


class BatchState:
    """Everything about one batch: geometry, slots, waiting threads, and the memory
    of its shared and local arrays."""

    def __init__(self, plan: Plan, geometry: BatchGeometry, shared_bytes: int = 0):
        self.plan = plan
        self.geometry = geometry
        self.slots = [Slot(_describe(value), _slot_dtype(value), geometry, plan.kernel_name)
                      for value in plan.slot_values]
        self.scheduler = Scheduler(plan, geometry)
        self.memory = BatchMemory(geometry, shared_bytes)
        self.warps = WarpState(geometry) if plan.has_warp_ops else None

    def exit(self, threads: ActiveSet) -> None:
        """``threads`` executed RET: they are no longer live."""
        self.scheduler.exit(threads)
        if self.warps is not None:
            self.warps.exit(threads)


def _describe(value: Value) -> str:
    return f"'{value.name}'" if value.name else f"%{value.uid}"


def _slot_dtype(value: Value) -> np.dtype | None:
    return None if isinstance(value.type, ArrayType) else value.type.dtype


class Frame:
    """One execution of one block for one active set of threads."""

    __slots__ = ("batch", "plan", "geometry", "active", "env", "block_plan", "step", "fresh",
                 "_materialized")

    def __init__(self, batch: BatchState, active: ActiveSet):
        self.batch = batch
        self.plan = batch.plan
        self.geometry = batch.geometry
        self.active = active
        self.env: dict[Value, Any] = {}
        # ids of arrays that an op of this frame allocated and that only one SSA value
        # holds: an op may overwrite such an operand in place when it dies there.
        self.fresh: set[int] = set()
        self._materialized: dict[int, tuple[Any, np.ndarray]] = {}

    @property
    def kernel_name(self) -> str:
        return self.plan.kernel_name

    def run(self, block_plan: BlockPlan) -> None:
        self.block_plan = block_plan
        env, slots, active = self.env, self.batch.slots, self.active
        for step in block_plan.steps:
            self.step = step
            operation = step.operation
            operands = [self.value(v) for v in operation.operands]
            result = step.handler(self, operation, operands)
            if operation.result is not None:
                env[operation.result] = result
                if step.result_slot is not None:
                    slots[step.result_slot].write(result, active, self.can_drop(step.result_slot))
        if block_plan.continuation is not None:
            # The segment ends at a barrier: its threads wait at the barrier's segment.
            self.batch.scheduler.arrive(block_plan.continuation, active)

    def can_drop(self, slot_index: int, target: int | None = None, whole: bool = True) -> bool:
        """Whether writing slot ``slot_index`` for (``whole`` or part of) this frame's
        threads may discard the values of every other thread: none waits at a block
        where the slot is live, and the frame's other threads (when ``whole`` is
        False) leave only towards ``target`` or blocks where it is dead."""
        needed = self.plan.needed_at[slot_index]
        waiting = self.batch.scheduler.waiting
        if any(waiting[p] for p in needed):
            return False
        return whole or all(p == target or p not in needed for p in self.block_plan.successor_positions)

    def value(self, value: Value) -> Any:
        """The interpreter value of an SSA value for this frame's threads."""
        try:
            return self.env[value]
        except KeyError:
            local = self.batch.slots[self.plan.slot_of[value]].read(self.active)
            self.env[value] = local
            return local

    def local(self, value: Any) -> Any:
        """``value`` ready for an elementwise NumPy call: uniforms stay scalars, the
        rest becomes an array over the active set (materialized once per frame)."""
        if isinstance(value, (np.generic, np.ndarray)):
            return value
        if isinstance(value, ArrayArg):
            raise KernelRuntimeError(
                f"array '{value.name}' used as a per-thread value; the numpy target needs "
                "every thread to use the same array at a given point", kernel=self.kernel_name)
        cached = self._materialized.get(id(value))
        if cached is None:
            cached = (value, materialize(value, self.geometry, self.active))
            self._materialized[id(value)] = cached
        return cached[1]

    def donor(self, arrays: list, dtype: np.dtype) -> np.ndarray | None:
        """An operand array the current op may overwrite with its result: allocated
        by an earlier op of this frame, dying at this op, and of the result's dtype."""
        for k in self.step.dying:
            candidate = arrays[k]
            if isinstance(candidate, np.ndarray) and candidate.dtype == dtype and id(candidate) in self.fresh:
                return candidate
        return None

    def jump(self, successor: Successor, part: Part) -> None:
        """Send ``part`` of the active threads to ``successor``, passing its arguments."""
        target = self.plan.blocks[self.plan.position[successor.block]]
        slots = [self.batch.slots[i] for i in target.param_slots]
        values = [restrict(self.value(arg), part.selector) for arg in successor.args]
        # Block arguments are a parallel copy: an argument that is a view of a
        # parameter slot being overwritten (``x, y = y, x`` around a loop) is
        # copied before any of the writes.
        targets = {id(s.storage) for s in slots if s.storage is not None}
        if targets:
            values = [v.copy() if isinstance(v, np.ndarray) and v.base is not None and id(v.base) in targets
                      else v for v in values]
        whole = part.selector is None
        for slot_index, slot, value in zip(target.param_slots, slots, values):
            slot.write(value, part.threads, self.can_drop(slot_index, target.position, whole))
        self.batch.scheduler.arrive(target.position, part.threads)


def run_batch(plan: Plan, geometry: BatchGeometry, arguments: list[Any], shared_bytes: int = 0) -> None:
    """Run every thread of the batch from the entry block until it returns."""
    batch = BatchState(plan, geometry, shared_bytes)
    everyone = RangeSet(0, geometry.thread_count)
    for slot_index, argument in zip(plan.arg_slots, arguments):
        batch.slots[slot_index].write(argument, everyone, droppable=True)
    batch.scheduler.arrive(0, everyone)
    while True:
        chosen = batch.scheduler.next_block()
        if chosen is None:
            return
        position, active = chosen
        Frame(batch, active).run(plan.blocks[position])
