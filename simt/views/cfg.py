"""The control-flow graph of a function: edges, natural loops, and a tree to read it by.

``CfgView(fn)`` lists each block's successors (``cbr`` edges labelled true/false),
finds the loops (an edge ``u -> h`` where ``h`` dominates ``u`` is a back edge;
its natural loop is ``h`` plus every block that reaches ``u`` without passing
``h``), and draws a depth-first spanning tree from the entry in which a block
seen before appears once more as a reference: ``^ loop`` for a back edge,
``(above)`` otherwise. ``str()`` is ASCII; rich renders a ``Tree``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir.analysis import DominatorTree
from ..ir.core import Block, Function
from ..ir.ops import Op
from .style import Line, plain, rich_text


@dataclass
class Loop:
    header: Block
    latches: list[Block]             # sources of the back edges
    body: list[Block]                # header first, then in function order


@dataclass
class TreeNode:
    block: Block
    label: str                       # "true"/"false" for cbr edges, else ""
    kind: str                        # "new", "back" (a loop's back edge) or "seen"
    children: list[TreeNode] = field(default_factory=list)


def edge_labels(block: Block) -> list[tuple[Block, str]]:
    term = block.terminator
    if term is None:
        return []
    if term.op is Op.CBR:
        return [(s.block, label) for s, label in zip(term.successors, ("true", "false"))]
    return [(s.block, "") for s in term.successors]


def find_loops(fn: Function) -> list[Loop]:
    """The natural loops, one per header, in function order."""
    dominators = DominatorTree(fn)
    order = {block: i for i, block in enumerate(fn.blocks)}
    preds = fn.predecessors()
    loops: dict[Block, Loop] = {}
    for block in fn.blocks:
        if block not in dominators:
            continue
        for succ in block.successors:
            if dominators.dominates(succ, block):
                loop = loops.setdefault(succ, Loop(succ, [], [succ]))
                if block not in loop.latches:
                    loop.latches.append(block)
    for loop in loops.values():
        body = {loop.header}
        pending = [latch for latch in loop.latches if latch is not loop.header]
        while pending:
            block = pending.pop()
            if block not in body:
                body.add(block)
                pending.extend(p for p in preds.get(block, []) if p in dominators)
        loop.body = sorted(body, key=order.__getitem__)
    return sorted(loops.values(), key=lambda loop: order[loop.header])


def spanning_tree(fn: Function, loops: list[Loop]) -> TreeNode:
    """A depth-first spanning tree from the entry, successors in branch order."""
    back_edges = {(latch, loop.header) for loop in loops for latch in loop.latches}
    seen = {fn.entry}
    root = TreeNode(fn.entry, "", "new")
    stack = [(root, iter(edge_labels(fn.entry)))]
    while stack:
        node, edges = stack[-1]
        for succ, label in edges:
            if (node.block, succ) in back_edges:
                node.children.append(TreeNode(succ, label, "back"))
            elif succ in seen:
                node.children.append(TreeNode(succ, label, "seen"))
            else:
                seen.add(succ)
                child = TreeNode(succ, label, "new")
                node.children.append(child)
                stack.append((child, iter(edge_labels(succ))))
                break
        else:
            stack.pop()
    return root


class CfgView:
    """Blocks, edges and loops of one function."""

    def __init__(self, fn: Function):
        self.function = fn
        self.loops = find_loops(fn)
        self.tree = spanning_tree(fn, self.loops)
        self._headers = {loop.header: loop for loop in self.loops}

    @property
    def has_loops(self) -> bool:
        return bool(self.loops)

    def summary(self) -> Line:
        count = len(self.loops)
        blocks = len(self.function.blocks)
        return [(f"cfg of {self.function.name}: {blocks} block{'s' * (blocks != 1)}, "
                 f"{count} loop{'s' * (count != 1)}", "heading")]

    def loop_lines(self) -> list[Line]:
        return [[("loop ", "loop"), (loop.header.label, "block"),
                 (": blocks " + ", ".join(b.label for b in loop.body), ""),
                 ("; back edge" + "s" * (len(loop.latches) > 1) + " from "
                  + ", ".join(b.label for b in loop.latches), "edge")]
                for loop in self.loops]

    def node_line(self, node: TreeNode) -> Line:
        line: Line = []
        if node.label:
            line.append((f"[{node.label}] ", "edge"))
        line.append((node.block.label, "block"))
        if node.kind == "back":
            line.append(("  ^ loop", "loop"))
        elif node.kind == "seen":
            line.append(("  (above)", "note"))
        else:
            if node.block in self._headers:
                line.append(("  loop header", "loop"))
            term = node.block.terminator
            if term is not None and term.op is Op.RET:
                line.append(("  ret", "note"))
        return line

    def tree_lines(self) -> list[str]:
        lines = [plain(self.node_line(self.tree))]

        def walk(node: TreeNode, prefix: str) -> None:
            for index, child in enumerate(node.children):
                last = index == len(node.children) - 1
                lines.append(prefix + ("`-- " if last else "|-- ") + plain(self.node_line(child)))
                walk(child, prefix + ("    " if last else "|   "))

        walk(self.tree, "")
        return lines

    def __str__(self) -> str:
        lines = [plain(self.summary())]
        lines += [plain(line) for line in self.loop_lines()]
        lines += self.tree_lines()
        return "\n".join(lines)

    def __rich_console__(self, console, options):
        from rich.tree import Tree

        yield rich_text(self.summary())
        for line in self.loop_lines():
            yield rich_text(line)

        def add(tree: Tree, node: TreeNode) -> None:
            for child in node.children:
                add(tree.add(rich_text(self.node_line(child))), child)

        root = Tree(rich_text(self.node_line(self.tree)), guide_style="dim")
        add(root, self.tree)
        yield root
