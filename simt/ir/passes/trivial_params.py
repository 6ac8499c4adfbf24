"""Remove trivial block parameters (Braun et al., "Simple and Efficient
Construction of Static Single Assignment Form", 2013).

Before: any valid function. After: no block parameter receives, on every incoming
edge, either one same value ``v`` or itself; such a parameter is replaced by
``v`` everywhere and dropped together with its branch arguments. ``v`` dominates
the parameter's block (every path into it passes ``v``'s definition), so the
result stays valid SSA.
"""
from __future__ import annotations

from ..core import Block, Function, Successor, Value


def _incoming(fn: Function) -> dict[Block, list[Successor]]:
    edges: dict[Block, list[Successor]] = {b: [] for b in fn.blocks}
    for block in fn.blocks:
        term = block.terminator
        if term is not None:
            for succ in term.successors:
                edges.setdefault(succ.block, []).append(succ)
    return edges


def remove_trivial_params(fn: Function) -> Function:
    changed = True
    while changed:
        changed = False
        edges = _incoming(fn)
        replacements: dict[Value, Value] = {}
        for block in fn.blocks:
            if block is fn.entry or not edges[block]:
                continue
            keep = []
            for index, param in enumerate(block.params):
                sources = {succ.args[index] for succ in edges[block]} - {param}
                if len(sources) == 1:
                    replacements[param] = sources.pop()
                else:
                    keep.append(index)
            if len(keep) != len(block.params):
                block.params = [block.params[i] for i in keep]
                for succ in edges[block]:
                    succ.args = [succ.args[i] for i in keep]
                changed = True
        if replacements:
            _resolve_chains(replacements)
            for op in fn.operations():
                op.replace_uses(replacements)
    return fn


def _resolve_chains(replacements: dict[Value, Value]) -> None:
    for key in list(replacements):
        target = replacements[key]
        seen = {key}
        while target in replacements and target not in seen:
            seen.add(target)
            target = replacements[target]
        replacements[key] = target
