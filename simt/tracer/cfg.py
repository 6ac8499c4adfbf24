"""Basic blocks of canonical bytecode and their reverse post-order."""
from __future__ import annotations

from dataclasses import dataclass, field

from .bytecode import Instr

CONDITIONAL_JUMPS = frozenset({
    "JUMP_IF_TRUE", "JUMP_IF_FALSE", "JUMP_IF_NONE", "JUMP_IF_NOT_NONE",
    "JUMP_IF_TRUE_OR_POP", "JUMP_IF_FALSE_OR_POP", "FOR_ITER",
})
ENDS_BLOCK = CONDITIONAL_JUMPS | {"JUMP", "RETURN_VALUE", "UNSUPPORTED"}


@dataclass
class CodeBlock:
    index: int
    start: int                      # first instruction index
    end: int                        # one past the last
    successors: list[int] = field(default_factory=list)
    predecessors: list[int] = field(default_factory=list)
    rpo: int = -1                   # position in reverse post-order (-1: unreachable)


def build_cfg(instrs: list[Instr]) -> list[CodeBlock]:
    leaders = {0}
    for i, ins in enumerate(instrs):
        if ins.target is not None:
            leaders.add(ins.target)
        if ins.op in ENDS_BLOCK and i + 1 < len(instrs):
            leaders.add(i + 1)
    starts = sorted(s for s in leaders if s < len(instrs))
    block_at = {s: n for n, s in enumerate(starts)}
    blocks = [CodeBlock(n, s, starts[n + 1] if n + 1 < len(starts) else len(instrs))
              for n, s in enumerate(starts)]
    for block in blocks:
        last = instrs[block.end - 1]
        succs: list[int] = []
        if last.op not in ("JUMP", "RETURN_VALUE", "UNSUPPORTED") and block.end < len(instrs):
            succs.append(block_at[block.end])
        if last.target is not None and last.target < len(instrs):
            succs.append(block_at[last.target])
        block.successors = succs
        for s in succs:
            blocks[s].predecessors.append(block.index)
    _number_rpo(blocks)
    return blocks


def _number_rpo(blocks: list[CodeBlock]) -> None:
    order: list[int] = []
    seen: set[int] = set()
    stack: list[tuple[int, int]] = [(0, 0)]
    seen.add(0)
    while stack:
        node, child = stack.pop()
        succs = blocks[node].successors
        if child < len(succs):
            stack.append((node, child + 1))
            nxt = succs[child]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, 0))
        else:
            order.append(node)
    for position, node in enumerate(reversed(order)):
        blocks[node].rpo = position
