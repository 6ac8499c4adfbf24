"""The order in which the scheduler prefers blocks: loops kept together, exits last.

The interpreter always runs the waiting block that comes first in this order. For
threads to reconverge, a block must come after every block that can reach it
without going around a loop first, and a loop's blocks must come before the code
after the loop (a back edge then sends threads to an earlier block, so the loop
finishes for everyone before its exits run).

Plain reverse post-order does not guarantee the second property: depending on the
DFS, an exit block can land between two blocks of the loop body. So this orders
the strongly connected components of the CFG topologically, and inside each
non-trivial component (a loop, reducible or not) removes the edges into its header
(the component's block reached first from outside) and orders the rest the same
way, recursively: the loop-nesting-forest order. ``block_order_and_loops`` also
says where each loop ends, so the scheduler can hold threads back at a loop
header until the rest of the loop body has run (``interpreter.py``).
"""
from __future__ import annotations

from simt.ir.core import Block, Function


def block_order(function: Function) -> list[Block]:
    """The blocks reachable from the entry, in scheduling order (entry first)."""
    return block_order_and_loops(function)[0]


def block_order_and_loops(function: Function) -> tuple[list[Block], dict[Block, Block]]:
    """``block_order`` and, for each loop (non-trivial strongly connected component,
    nested ones included), its header mapped to its last block: a loop's blocks are
    consecutive in the order, header first."""
    successors = {b: list(dict.fromkeys(b.successors)) for b in function.blocks}
    reachable = _reachable(function.entry, successors)
    rank = {b: i for i, b in enumerate(_reverse_post_order(function.entry, successors))}
    loops: dict[Block, Block] = {}
    return _order(reachable, function.entry, successors, rank, loops), loops


def _order(blocks: set[Block], entry: Block, successors: dict, rank: dict,
           loops: dict[Block, Block]) -> list[Block]:
    order: list[Block] = []
    for component in _components_topological(blocks, entry, successors, rank):
        header = min(component, key=rank.__getitem__)
        is_loop = len(component) > 1 or header in successors[header]
        if not is_loop:
            order.append(header)
            continue
        inner = {b: [s for s in successors[b] if s in component and s is not header]
                 for b in component}
        order.extend(_order(component, header, inner, rank, loops))
        loops[header] = order[-1]
    return order


def _components_topological(blocks: set[Block], entry: Block, successors: dict,
                            rank: dict) -> list[list[Block]]:
    """Tarjan's strongly connected components of the subgraph on ``blocks``, in
    topological order (iterative, so deep CFGs do not hit the recursion limit).
    Roots are tried in reverse post-order so unrelated components keep that order."""
    index: dict[Block, int] = {}
    low: dict[Block, int] = {}
    on_stack: set[Block] = set()
    stack: list[Block] = []
    components: list[list[Block]] = []

    def edges(b: Block) -> list[Block]:
        return [s for s in successors[b] if s in blocks]

    for root in sorted(blocks, key=lambda b: (b is not entry, rank[b])):
        if root in index:
            continue
        work = [(root, iter(edges(root)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges(child))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member is node:
                        break
                components.append(component)
    # Tarjan emits components in reverse topological order.
    return components[::-1]


def _reachable(entry: Block, successors: dict) -> set[Block]:
    seen = {entry}
    work = [entry]
    while work:
        for s in successors[work.pop()]:
            if s not in seen:
                seen.add(s)
                work.append(s)
    return seen


def _reverse_post_order(entry: Block, successors: dict) -> list[Block]:
    post: list[Block] = []
    seen = {entry}
    work = [(entry, iter(successors[entry]))]
    while work:
        node, children = work[-1]
        child = next(children, None)
        if child is None:
            work.pop()
            post.append(node)
        elif child not in seen:
            seen.add(child)
            work.append((child, iter(successors[child])))
    return post[::-1]
