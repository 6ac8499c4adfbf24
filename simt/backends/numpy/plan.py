"""Per-Function execution plans, computed once and cached on the Function.

A plan holds everything about a kernel that does not depend on a launch: the
block order the scheduler follows, which values need batch-wide slots (block
parameters and values used outside their block), the handler of every op, and
which array arguments the kernel can write. It is cached in a weak dictionary keyed
by the Function and revalidated by a structural fingerprint, so a pass that edits
the Function in place gets a fresh plan while repeated launches pay nothing.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

from simt.ir.core import Block, Function, Operation, Value
from simt.ir.ops import Op
from simt.ir.types import ArrayType

from .order import block_order


@dataclass
class Step:
    operation: Operation
    handler: Callable
    result_slot: int | None       # where the result goes when used outside the block
    dying: tuple[int, ...] = ()   # operands computed in this block and last used here


@dataclass
class BlockPlan:
    block: Block
    position: int
    steps: list[Step] = field(default_factory=list)
    param_slots: list[int] = field(default_factory=list)
    successor_positions: tuple[int, ...] = ()


@dataclass
class Plan:
    kernel_name: str
    blocks: list[BlockPlan]
    position: dict[Block, int]
    slot_of: dict[Value, int]
    slot_values: list[Value]
    needed_at: list[frozenset[int]]   # per slot: positions of blocks where it is live-in
    arg_slots: list[int]
    written_args: frozenset[int]  # positions of array arguments some STORE may write


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


def build_plan(function: Function, handlers: dict[Op, Callable]) -> Plan:
    order = block_order(function)
    position = {block: i for i, block in enumerate(order)}
    defining_block: dict[Value, Block] = {}
    for block in order:
        for operation in block.ops:
            if operation.result is not None:
                defining_block[operation.result] = block

    escaping: set[Value] = set()
    for block in order:
        for operation in block.ops:
            for value in operation.all_operands():
                home = defining_block.get(value)
                if home is not None and home is not block:
                    escaping.add(value)

    slot_of: dict[Value, int] = {}
    slot_values: list[Value] = []

    def slot(value: Value) -> int:
        if value not in slot_of:
            slot_of[value] = len(slot_values)
            slot_values.append(value)
        return slot_of[value]

    plans = []
    for block in order:
        block_plan = BlockPlan(block, position[block], param_slots=[slot(p) for p in block.params])
        last_use = {v: i for i, operation in enumerate(block.ops) for v in operation.all_operands()}
        for i, operation in enumerate(block.ops):
            result = operation.result
            result_slot = slot(result) if result is not None and result in escaping else None
            dying = tuple(k for k, v in enumerate(operation.operands)
                          if defining_block.get(v) is block and v not in escaping and last_use[v] == i)
            block_plan.steps.append(Step(operation, handlers[operation.op], result_slot, dying))
        block_plan.successor_positions = tuple(position[s] for s in block.successors)
        plans.append(block_plan)

    live_in = _live_in(order)
    needed_at = [frozenset(position[b] for b in order if value in live_in[b]) for value in slot_values]
    return Plan(function.name, plans, position, slot_of, slot_values, needed_at,
                [slot_of[a] for a in function.args], _written_args(function))


def _live_in(order: list[Block]) -> dict[Block, set[Value]]:
    """Values a thread waiting at each block may still read: classic liveness, where a
    block's parameters count as live-in when used (they are written before the thread
    waits there) and an edge kills the parameters of its target (it rewrites them)."""
    defs = {b: {op.result for op in b.ops if op.result is not None} for b in order}
    uses = {b: {v for op in b.ops for v in op.all_operands()} - defs[b] for b in order}
    live_in = {b: set(uses[b]) for b in order}
    changed = True
    while changed:
        changed = False
        for block in reversed(order):
            live_out: set[Value] = set()
            for successor in block.successors:
                live_out |= live_in[successor] - set(successor.params)
            new = uses[block] | (live_out - defs[block])
            if new != live_in[block]:
                live_in[block] = new
                changed = True
    return live_in


def _written_args(function: Function) -> frozenset[int]:
    """Array arguments a STORE may write. An array reaching a STORE through anything
    but the argument itself (a block parameter, a select) makes every array argument
    count as written."""
    arg_index = {value: i for i, value in enumerate(function.args)}
    written = set()
    for operation in function.operations():
        if operation.op is Op.STORE:
            target = operation.operands[0]
            if target not in arg_index:
                return frozenset(i for i, a in enumerate(function.args) if isinstance(a.type, ArrayType))
            written.add(arg_index[target])
    return frozenset(written)
