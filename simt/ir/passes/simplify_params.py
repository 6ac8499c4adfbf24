"""Remove block params that always receive the same value.

The tracer gives a loop header one param per variable live around the loop, even
for variables the loop never assigns (``n`` in ``while i < n``): the latch passes
the param back to itself. Such a param, and any param that receives one value ``v``
on every edge (ignoring edges that pass the param itself), is just ``v``.

Before: ``fn`` verifies. After: ``fn`` verifies, computes the same results, and no
param of a reachable non-entry block receives a single value ``v`` (other than
itself) on all its incoming edges: its uses now use ``v``, and the param and its
branch args are gone. ``v`` dominates the block (it reaches the end of every
predecessor), so the rewrite keeps defs dominating uses.

Not done: params that are equal to each other but to no single value (that needs
global value numbering); params of the entry block (the arguments).
"""
from __future__ import annotations

from ..analysis import DominatorTree, incoming_edges
from ..core import Block, Function, Value
from .rewrite import replace_all_uses


def simplify_params(fn: Function) -> Function:
    """Replace each single-valued block param by its value, to a fixed point."""
    tree = DominatorTree(fn)
    defining_block = {}
    for block in fn.blocks:
        for operation in block.ops:
            if operation.result is not None:
                defining_block[operation.result] = block
        for param in block.params:
            defining_block[param] = block

    replaced: dict[Value, Value] = {}

    def resolve(value: Value) -> Value:
        while value in replaced:
            value = replaced[value]
        return value

    changed = True
    while changed:
        changed = False
        edges = incoming_edges(fn)
        for block in tree.rpo[1:]:
            drop: list[int] = []
            for index, param in enumerate(block.params):
                sources = {resolve(succ.args[index]) for _, succ in edges[block]} - {param}
                if len(sources) != 1:
                    continue
                (value,) = sources
                if not _dominates_block(tree, defining_block[value], value, block):
                    continue
                replaced[param] = value
                drop.append(index)
            if drop:
                _drop_params(block, drop, edges[block])
                changed = True
    replace_all_uses(fn, replaced)
    return fn


def _dominates_block(tree: DominatorTree, def_block: Block, value: Value, block: Block) -> bool:
    if def_block is block:
        return value in block.params   # another param of the block: defined at its entry
    return tree.dominates(def_block, block)


def _drop_params(block: Block, drop: list[int], edges) -> None:
    dropped = set(drop)
    block.params = [p for i, p in enumerate(block.params) if i not in dropped]
    for _, succ in edges:
        succ.args = [a for i, a in enumerate(succ.args) if i not in dropped]
