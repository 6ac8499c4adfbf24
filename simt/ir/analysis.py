"""Read-only analyses of a Function's CFG and SSA values, shared by the verifier and
the passes: reachability and reverse postorder, dominators (Cooper-Harvey-Kennedy),
incoming edges, definition sites and use counts.

Nothing here mutates the IR. Blocks and values are compared by identity.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from .core import Block, Function, Operation, Successor, Value


def reverse_postorder(fn: Function) -> list[Block]:
    """The blocks reachable from the entry, in reverse postorder (entry first).

    Successors are visited in branch order, so the order is deterministic.
    Successor blocks that are not in ``fn.blocks`` are still followed; the verifier
    rejects them before relying on this.
    """
    postorder: list[Block] = []
    visited = {fn.entry}
    stack = [(fn.entry, iter(fn.entry.successors))]
    while stack:
        block, successors = stack[-1]
        for succ in successors:
            if succ not in visited:
                visited.add(succ)
                stack.append((succ, iter(succ.successors)))
                break
        else:
            stack.pop()
            postorder.append(block)
    postorder.reverse()
    return postorder


def reachable_blocks(fn: Function) -> set[Block]:
    """The blocks reachable from the entry block."""
    return set(reverse_postorder(fn))


def incoming_edges(fn: Function) -> dict[Block, list[tuple[Block, Successor]]]:
    """For each block of ``fn``, the edges into it: (predecessor, the successor entry
    of the predecessor's terminator). One entry per edge, so a CBR whose two arms go
    to the same block contributes two. Includes edges from unreachable blocks."""
    edges: dict[Block, list[tuple[Block, Successor]]] = {b: [] for b in fn.blocks}
    for block in fn.blocks:
        term = block.terminator
        if term is None:
            continue
        for succ in term.successors:
            edges.setdefault(succ.block, []).append((block, succ))
    return edges


class DominatorTree:
    """Dominators of the reachable blocks, by Cooper, Harvey and Kennedy,
    "A Simple, Fast Dominance Algorithm" (2001): iterate ``idom`` over reverse
    postorder, intersecting the predecessors' dominator chains, to a fixed point.

    ``dominates`` answers in O(1) from a DFS numbering of the tree. Unreachable blocks
    are not in the tree: they neither dominate nor are dominated.
    """

    def __init__(self, fn: Function):
        self.rpo = reverse_postorder(fn)
        order = {block: i for i, block in enumerate(self.rpo)}
        preds: dict[Block, list[Block]] = {block: [] for block in self.rpo}
        for block in self.rpo:
            for succ in block.successors:
                preds[succ].append(block)

        entry = self.rpo[0]
        idom: dict[Block, Block] = {entry: entry}

        def intersect(a: Block, b: Block) -> Block:
            while a is not b:
                while order[a] > order[b]:
                    a = idom[a]
                while order[b] > order[a]:
                    b = idom[b]
            return a

        changed = True
        while changed:
            changed = False
            for block in self.rpo[1:]:
                new_idom: Block | None = None
                for pred in preds[block]:
                    if pred in idom:
                        new_idom = pred if new_idom is None else intersect(pred, new_idom)
                assert new_idom is not None, "a reachable block has a processed predecessor"
                if idom.get(block) is not new_idom:
                    idom[block] = new_idom
                    changed = True

        self._idom = idom
        self.children: dict[Block, list[Block]] = {block: [] for block in self.rpo}
        for block in self.rpo[1:]:
            self.children[idom[block]].append(block)
        self._number_tree(entry)

    def _number_tree(self, entry: Block) -> None:
        self._enter: dict[Block, int] = {}
        self._exit: dict[Block, int] = {}
        clock = 0
        stack: list[tuple[Block, bool]] = [(entry, False)]
        while stack:
            block, leaving = stack.pop()
            clock += 1
            if leaving:
                self._exit[block] = clock
                continue
            self._enter[block] = clock
            stack.append((block, True))
            for child in reversed(self.children[block]):
                stack.append((child, False))

    def __contains__(self, block: Block) -> bool:
        return block in self._enter

    def idom(self, block: Block) -> Block | None:
        """The immediate dominator (None for the entry block)."""
        parent = self._idom[block]
        return None if parent is block else parent

    def dominates(self, a: Block, b: Block) -> bool:
        """True when every path from the entry to ``b`` passes through ``a`` (a
        block dominates itself). False when either block is unreachable."""
        if a not in self._enter or b not in self._enter:
            return False
        return self._enter[a] <= self._enter[b] and self._exit[b] <= self._exit[a]

    def preorder(self) -> list[Block]:
        """The reachable blocks, each before the blocks it dominates."""
        return sorted(self._enter, key=self._enter.__getitem__)


def definitions(fn: Function) -> dict[Value, Block | Operation]:
    """Where each value is defined: the Block for a block param, else the Operation."""
    defs: dict[Value, Block | Operation] = {}
    for block in fn.blocks:
        for param in block.params:
            defs[param] = block
        for operation in block.ops:
            if operation.result is not None:
                defs[operation.result] = operation
    return defs


def use_counts(fn: Function, blocks: Iterable[Block] | None = None) -> Counter[Value]:
    """How many times each value is used (operands and branch args) in ``blocks``
    (default: all blocks of ``fn``)."""
    counts: Counter[Value] = Counter()
    for block in fn.blocks if blocks is None else blocks:
        for operation in block.ops:
            counts.update(operation.all_operands())
    return counts
