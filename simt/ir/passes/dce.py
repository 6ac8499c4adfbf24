"""Dead code elimination: unreachable blocks, unused pure ops, unused block params.

Before: ``fn`` verifies. After: ``fn`` verifies, computes the same results with the
same effects, and
- every block is reachable from the entry;
- every remaining op is a root (a side effect, an op that may trap, a terminator or
  anything not PURE) or a pure op whose result a root needs, directly or through
  other pure ops and block params;
- every block param except the entry's (the function's arguments) is needed, and
  each branch passes args only for the params that remain.

Liveness is mark-and-sweep from the roots, so dead cycles go too: a loop-carried
param that only feeds its own next value (``i = i + 1`` with ``i`` otherwise unused)
is removed together with the ops and branch args that carry it. A value passed to
a live param is live on every edge into that block.

Not done: removing side-effect-free loops or stores to dead memory.
"""
from __future__ import annotations

from ..core import Block, Function, Operation, Value
from ..ops import PURE, Op
from .rewrite import remove_unreachable_blocks


def dce(fn: Function) -> Function:
    """Remove unreachable blocks, then every op and block param no root needs."""
    remove_unreachable_blocks(fn)
    live = _live_values(fn)
    for block in fn.blocks:
        block.ops = [operation for operation in block.ops if _keep(operation, live)]
    _remove_dead_params(fn, live)
    return fn


def _is_root(operation: Operation) -> bool:
    return operation.op not in PURE or operation.result is None


def _keep(operation: Operation, live: set[Value]) -> bool:
    return _is_root(operation) or operation.result in live


def _live_values(fn: Function) -> set[Value]:
    """The values some root needs, through op operands and branch args to live params."""
    producer: dict[Value, Operation] = {}
    param_slot: dict[Value, tuple[Block, int]] = {}
    incoming_args: dict[Block, list[list[Value]]] = {block: [] for block in fn.blocks}
    for block in fn.blocks:
        for index, param in enumerate(block.params):
            param_slot[param] = (block, index)
        for operation in block.ops:
            if operation.result is not None:
                producer[operation.result] = operation
            for succ in operation.successors:
                incoming_args[succ.block].append(succ.args)

    live: set[Value] = set()
    worklist: list[Value] = []

    def mark(values) -> None:
        for value in values:
            if value not in live:
                live.add(value)
                worklist.append(value)

    for operation in fn.operations():
        if _is_root(operation):
            mark(operation.operands)   # branch args count only once their param is live
    while worklist:
        value = worklist.pop()
        if value in producer:
            mark(producer[value].operands)
        elif value in param_slot:
            block, index = param_slot[value]
            mark(args[index] for args in incoming_args[block])
    return live


def _remove_dead_params(fn: Function, live: set[Value]) -> None:
    keep: dict[Block, list[bool]] = {}
    for block in fn.blocks[1:]:   # the entry's params are the function's arguments
        flags = [param in live for param in block.params]
        if not all(flags):
            keep[block] = flags
            block.params = [p for p, k in zip(block.params, flags) if k]
    if not keep:
        return
    for block in fn.blocks:
        term = block.terminator
        if term is None or term.op not in (Op.BR, Op.CBR):
            continue
        for succ in term.successors:
            if succ.block in keep:
                succ.args = [a for a, k in zip(succ.args, keep[succ.block]) if k]
