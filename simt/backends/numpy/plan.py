"""Per-Function execution plans, computed once and cached on the Function.

A plan holds everything about a kernel that does not depend on a launch: the
order the scheduler follows, which values need batch-wide slots, the handler of
every op, and which array arguments the kernel can write. It is cached in a weak
dictionary keyed by the Function and revalidated by a structural fingerprint, so
a pass that edits the Function in place gets a fresh plan while repeated
launches pay nothing.

The unit of scheduling is a *segment*: an IR block cut before each BARRIER op.
A block without barriers is one segment. ``bb: a; barrier; b`` becomes ``bb.0 =
a`` (which ends by sending its threads to the next segment instead of branching)
and ``bb.1 = barrier; b``, a *barrier segment*: threads wait at its position
until the scheduler releases the barrier (``interpreter.py``). Segments of a
block are consecutive in the order, so ``order.py``'s guarantees carry over.
Values are planned per segment: a value used in a later segment of its own block
gets a slot, like one used in another block.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

from simt.ir.core import Block, Function, Operation, Value
from simt.ir.ops import ATOMICS, WARP, Op
from simt.ir.types import ArrayType, MemorySpace

from .order import block_order_and_loops


@dataclass
class Step:
    operation: Operation
    handler: Callable
    result_slot: int | None       # where the result goes when used outside the segment
    dying: tuple[int, ...] = ()   # operands computed in this segment and last used here


@dataclass
class BlockPlan:
    """One segment: the ops of ``block`` from a barrier (or the start) to the next
    barrier (or the terminator)."""

    block: Block
    position: int
    ops: list[Operation] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    param_slots: list[int] = field(default_factory=list)
    successor_positions: tuple[int, ...] = ()
    # The position this segment's threads go to when it ends at a barrier (it then
    # has no terminator), else None.
    continuation: int | None = None
    # The BARRIER op this segment starts with: threads wait here until released.
    barrier: Operation | None = None
    # Every path from here runs to RET without a barrier or a memory or print effect:
    # a thread waiting here is as good as exited (it counts as arrived at barriers).
    exits_quietly: bool = False
    # For the first segment of a loop header: the position just past the loop's last
    # segment (the loop's segments are consecutive, header first), else None.
    loop_end: int | None = None

    @property
    def label(self) -> str:
        return self.block.label


@dataclass
class Plan:
    kernel_name: str
    blocks: list[BlockPlan]               # segments, in scheduling order
    position: dict[Block, int]            # each IR block's first segment
    slot_of: dict[Value, int]
    slot_values: list[Value]
    needed_at: list[frozenset[int]]   # per slot: positions of segments where it is live-in
    arg_slots: list[int]
    written_args: frozenset[int]  # positions of array arguments some STORE or atomic may write
    has_barriers: bool = False
    has_warp_ops: bool = False


_CACHE: "weakref.WeakKeyDictionary[Function, tuple[Any, Plan]]" = weakref.WeakKeyDictionary()


def plan_for(function: Function, handlers: dict[Op, Callable]) -> Plan:
    """The cached plan of ``function``, rebuilt when the Function has changed."""
    fingerprint = _fingerprint(function)
    cached = _CACHE.get(function)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    plan = build_plan(function, handlers)
    _CACHE[function] = (fingerprint, plan)
    return plan


def _fingerprint(function: Function) -> tuple:
    # The plan keeps every object named here alive, so their ids cannot be reused
    # while the cached entry exists.
    return (function.name, tuple(
        (id(block), tuple(map(id, block.params)), tuple(
            (id(op), op.op, tuple(map(id, op.all_operands())), tuple(id(s.block) for s in op.successors))
            for op in block.ops))
        for block in function.blocks))


def _segments(order: list[Block]) -> list[BlockPlan]:
    """Cut every block before each of its barriers (a leading barrier cuts nothing)."""
    segments: list[BlockPlan] = []
    for block in order:
        current = BlockPlan(block, len(segments))
        segments.append(current)
        for operation in block.ops:
            if operation.op is Op.BARRIER:
                if current.ops:
                    current.continuation = len(segments)
                    current = BlockPlan(block, len(segments))
                    segments.append(current)
                current.barrier = operation
            current.ops.append(operation)
    return segments


def build_plan(function: Function, handlers: dict[Op, Callable]) -> Plan:
    order, loops = block_order_and_loops(function)
    segments = _segments(order)
    position = {}
    last_segment = {}
    for segment in segments:
        position.setdefault(segment.block, segment.position)
        last_segment[segment.block] = segment.position
    for header, last in loops.items():
        segments[position[header]].loop_end = last_segment[last] + 1
    for segment in segments:
        if segment.continuation is not None:
            segment.successor_positions = (segment.continuation,)
        else:
            segment.successor_positions = tuple(position[s] for s in segment.block.successors)

    defining: dict[Value, BlockPlan] = {}
    for segment in segments:
        if segment.position == position[segment.block]:
            for param in segment.block.params:
                defining[param] = segment
        for operation in segment.ops:
            if operation.result is not None:
                defining[operation.result] = segment

    escaping: set[Value] = set()
    for segment in segments:
        for operation in segment.ops:
            for value in operation.all_operands():
                home = defining.get(value)
                if home is not None and home is not segment:
                    escaping.add(value)

    slot_of: dict[Value, int] = {}
    slot_values: list[Value] = []

    def slot(value: Value) -> int:
        if value not in slot_of:
            slot_of[value] = len(slot_values)
            slot_values.append(value)
        return slot_of[value]

    for segment in segments:
        if segment.position == position[segment.block]:
            segment.param_slots = [slot(p) for p in segment.block.params]
        last_use = {v: i for i, operation in enumerate(segment.ops) for v in operation.all_operands()}
        for i, operation in enumerate(segment.ops):
            result = operation.result
            result_slot = slot(result) if result is not None and result in escaping else None
            dying = tuple(k for k, v in enumerate(operation.operands)
                          if defining.get(v) is segment and v not in escaping and last_use[v] == i)
            segment.steps.append(Step(operation, handlers[operation.op], result_slot, dying))

    _mark_quiet_exits(segments)
    live_in = _live_in(segments, position)
    needed_at = [frozenset(s.position for s in segments if value in live_in[s.position])
                 for value in slot_values]
    operations = list(function.operations())
    return Plan(function.name, segments, position, slot_of, slot_values, needed_at,
                [slot_of[a] for a in function.args], _written_args(function),
                has_barriers=any(s.barrier is not None for s in segments),
                has_warp_ops=any(o.op in WARP or o.op is Op.SYNCWARP for o in operations))


# Ops after which a waiting thread is no longer "as good as exited".
_NOISY = frozenset({Op.BARRIER, Op.STORE, Op.PRINT}) | ATOMICS


def _mark_quiet_exits(segments: list[BlockPlan]) -> None:
    """``exits_quietly``: no barrier, store, atomic or print is reachable (the
    segment itself included)."""
    noisy = [any(o.op in _NOISY for o in s.ops) for s in segments]
    changed = True
    while changed:
        changed = False
        for segment in reversed(segments):
            if not noisy[segment.position] and any(noisy[p] for p in segment.successor_positions):
                noisy[segment.position] = changed = True
    for segment in segments:
        segment.exits_quietly = not noisy[segment.position]


def _live_in(segments: list[BlockPlan], position: dict[Block, int]) -> list[set[Value]]:
    """Values a thread waiting at each segment may still read: classic liveness, where
    a block's parameters count as live-in of its first segment when used (they are
    written before the thread waits there) and an edge into a block kills the
    block's parameters (it rewrites them)."""
    defs = [{op.result for op in s.ops if op.result is not None} for s in segments]
    uses = [{v for op in s.ops for v in op.all_operands()} - defs[s.position] for s in segments]
    killed = [set(s.block.params) if s.position == position[s.block] else set() for s in segments]
    live_in = [set(u) for u in uses]
    changed = True
    while changed:
        changed = False
        for segment in reversed(segments):
            live_out: set[Value] = set()
            for p in segment.successor_positions:
                live_out |= live_in[p] - killed[p]
            new = uses[segment.position] | (live_out - defs[segment.position])
            if new != live_in[segment.position]:
                live_in[segment.position] = new
                changed = True
    return live_in


def _written_args(function: Function) -> frozenset[int]:
    """Array arguments a STORE or an atomic may write. An array reaching one through
    anything but the argument itself (a block parameter, a select) makes every array
    argument count as written."""
    arg_index = {value: i for i, value in enumerate(function.args)}
    written = set()
    for operation in function.operations():
        if operation.op is Op.STORE or operation.op in ATOMICS:
            target = operation.operands[0]
            if target.type.space is not MemorySpace.GLOBAL:
                continue
            if target not in arg_index:
                return frozenset(i for i, a in enumerate(function.args) if isinstance(a.type, ArrayType))
            written.add(arg_index[target])
    return frozenset(written)
