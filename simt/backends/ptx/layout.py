"""The order the emitter lays blocks out in: forward edges go forward, loops are contiguous.

``block_order(fn)`` is a topological order of the CFG in which every natural loop is one
node of its parent region (so all of a loop's blocks come before any block its exits
lead to, and the header comes first), expanded recursively. Among the blocks whose
predecessors are all placed, the one listed first in ``fn.blocks`` goes next, so an
order that already has these properties is kept as it is. Blocks no path reaches come
last, in their ``fn.blocks`` order.

Why it matters: code after a branch or a loop must not sit at a lower address than the
code that reconverges into it. The PTX emulator runs the lowest program counter first,
so threads that skipped an ``if`` (or left a loop early) at a lower address would run
ahead and reach a ``shfl.sync``/``vote.sync`` without the rest of their warp; the GPU
reconverges at post-dominators whatever the layout, and falls through more often with
this one. An irreducible CFG (a loop entered in the middle), which traced Python does
not produce, keeps the plain reverse postorder.
"""
from __future__ import annotations

import heapq

from simt.ir import Block, Function
from simt.ir.analysis import DominatorTree


def block_order(fn: Function) -> list[Block]:
    dom = DominatorTree(fn)
    reachable = dom.rpo
    position = {block: i for i, block in enumerate(reachable)}
    preds: dict[Block, list[Block]] = {block: [] for block in reachable}
    for block in reachable:
        for succ in block.successors:
            preds[succ].append(block)
    loops: dict[Block, set[Block]] = {}          # header -> the blocks of its natural loop
    for block in reachable:
        for succ in block.successors:
            if dom.dominates(succ, block):       # a back edge
                body = loops.setdefault(succ, {succ})
                work = [block]
                while work:
                    member = work.pop()
                    if member not in body:
                        body.add(member)
                        work.extend(preds[member])
            elif position[succ] <= position[block]:
                return reachable + _unreached(fn, reachable)     # irreducible
    listed = {block: i for i, block in enumerate(fn.blocks)}
    order = _region(fn.entry, set(reachable), loops, listed)
    return order + _unreached(fn, reachable)


def _unreached(fn: Function, reachable: list[Block]) -> list[Block]:
    seen = set(reachable)
    return [block for block in fn.blocks if block not in seen]


def _region(entry: Block, blocks: set[Block], loops: dict[Block, set[Block]],
            listed: dict[Block, int]) -> list[Block]:
    """The layout of ``blocks`` (a loop's blocks, or the whole function) from ``entry``;
    edges back to ``entry`` are the region's back edges and are not followed."""
    inner = [h for h in loops if h is not entry and h in blocks]
    # the child loops: those not inside another loop of this region
    children = [h for h in inner if not any(h in loops[o] and h is not o for o in inner)]
    node = {block: block for block in blocks}
    for header in children:
        for member in loops[header]:
            node[member] = header
    members: dict[Block, list[Block]] = {}
    for block in sorted(blocks, key=listed.__getitem__):
        members.setdefault(node[block], []).append(block)

    def successors(n: Block) -> list[Block]:
        out: list[Block] = []
        for block in members[n]:
            for succ in block.successors:
                target = node.get(succ)
                if target is not None and target is not n and succ is not entry \
                        and target not in out:
                    out.append(target)
        return out

    # Kahn's algorithm over the region's DAG (loops collapsed, back edges left out),
    # taking the ready node listed first in fn.blocks: a valid order stays as it was
    indegree = {n: 0 for n in members}
    for n in members:
        for succ in successors(n):
            indegree[succ] += 1
    ready = [(listed[entry], entry)]
    topological: list[Block] = []
    while ready:
        _, n = heapq.heappop(ready)
        topological.append(n)
        for succ in successors(n):
            indegree[succ] -= 1
            if indegree[succ] == 0:
                heapq.heappush(ready, (listed[succ], succ))
    order: list[Block] = []
    for n in topological:
        order += _region(n, loops[n], loops, listed) if n in children else [n]
    return order
