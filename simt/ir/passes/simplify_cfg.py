"""Control-flow graph clean-up: fewer, longer blocks and no pointless branches.

Before: ``fn`` verifies. After: ``fn`` verifies, computes the same results with the
same effects, the entry block is still first, the other blocks keep their relative
order, and, to a fixed point:
- every block is reachable from the entry;
- no CBR has two identical edges (same target, same args): it is a BR;
- no non-entry block that holds only ``br T(args)`` (T not itself) is a branch
  target: its predecessors branch to T directly, with its params replaced by the
  args they passed. (Skipped when one of its params is used outside that BR: then
  the block defines a value that later blocks need.)
- no non-entry block has a single predecessor edge coming from a BR: it is merged
  into that predecessor, its params replaced by the BR's args.

Loops survive: a loop header has an edge from outside and a back edge, so it is
never merged, and a latch that only branches is forwarded into the back edge.

Not done: jump threading, block reordering, tail merging, if-conversion to SELECT.
"""
from __future__ import annotations

from ..analysis import incoming_edges
from ..core import Block, Function, Operation, Value
from ..ops import Op
from .rewrite import remove_unreachable_blocks, replace_all_uses


def simplify_cfg(fn: Function) -> Function:
    """Apply the clean-ups below until none applies."""
    while True:
        changed = remove_unreachable_blocks(fn)
        changed |= _fold_identical_edges(fn)
        changed |= _forward_empty_blocks(fn)
        changed |= remove_unreachable_blocks(fn)   # the blocks forwarding bypassed
        changed |= _merge_into_predecessors(fn)
        if not changed:
            return fn


def _fold_identical_edges(fn: Function) -> bool:
    """``cbr c, T(args), T(args)`` -> ``br T(args)``."""
    changed = False
    for block in fn.blocks:
        term = block.ops[-1]
        if term.op is not Op.CBR:
            continue
        first, second = term.successors
        if first.block is second.block and _same_values(first.args, second.args):
            block.ops[-1] = Operation(Op.BR, [], loc=term.loc, successors=[first])
            changed = True
    return changed


def _same_values(a: list[Value], b: list[Value]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _forward_empty_blocks(fn: Function) -> bool:
    """Send the predecessors of a block holding only ``br T(args)`` straight to T.

    The forwarded block loses all its predecessors; the next round removes it.
    """
    edges = incoming_edges(fn)
    param_owner = {param: block for block in fn.blocks for param in block.params}
    # Params used outside their own block: forwarding that block would orphan them.
    pinned = {value for block in fn.blocks for operation in block.ops
              for value in operation.all_operands()
              if value in param_owner and param_owner[value] is not block}
    changed = False
    for block in fn.blocks[1:]:
        if len(block.ops) != 1 or block.ops[0].op is not Op.BR or not edges[block]:
            continue
        (exit_edge,) = block.ops[0].successors
        target = exit_edge.block
        if target is block or any(param in pinned for param in block.params):
            continue
        for pred, succ in edges[block]:
            substitute = dict(zip(block.params, succ.args))
            succ.block = target
            succ.args = [substitute.get(arg, arg) for arg in exit_edge.args]
            edges[target].append((pred, succ))
            pinned.update(arg for arg in succ.args
                          if arg in param_owner and param_owner[arg] is not pred)
        edges[target] = [(p, s) for p, s in edges[target] if s is not exit_edge]
        edges[block] = []
        changed = True
    return changed


def _merge_into_predecessors(fn: Function) -> bool:
    """Append each block whose only incoming edge is a predecessor's BR to that predecessor."""
    edges = incoming_edges(fn)
    merged: set[Block] = set()
    substitutions: dict[Value, Value] = {}
    for block in fn.blocks[1:]:
        if len(edges[block]) != 1:
            continue
        pred, succ = edges[block][0]
        if pred is block or pred.ops[-1].op is not Op.BR:
            continue
        substitutions.update(zip(block.params, succ.args))
        pred.ops.pop()
        pred.ops.extend(block.ops)
        # The moved terminator's edges now leave ``pred``.
        for moved in pred.ops[-1].successors:
            edges[moved.block] = [(pred if s is moved else p, s) for p, s in edges[moved.block]]
        merged.add(block)
    if not merged:
        return False
    fn.blocks = [block for block in fn.blocks if block not in merged]
    replace_all_uses(fn, substitutions)
    return True
