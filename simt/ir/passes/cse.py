"""Common-subexpression elimination of pure ops, scoped by the dominator tree.

Before: ``fn`` verifies. After: ``fn`` verifies, computes the same results, and no
reachable pure op repeats one that dominates it: same op, same operands, same
attrs and same result type. The repeat's uses now use the dominating value and the
repeat is removed.

Constants are the same only when type and bit pattern are: 0.0 and -0.0 stay
apart, NaNs merge only with the same payload. Attrs compare by value and type, so
``axis=1`` and ``axis=True`` differ. Operands of commutative integer/bool ops (and of
``==``/``!=`` on any type) are put in a canonical order first; float ``+``/``*`` are
left alone because with two NaN operands the result's payload depends on the order.

Not done: values flowing through block params (no global value numbering), loads
(memory is not modelled), ops in unreachable blocks.
"""
from __future__ import annotations

import struct
from typing import Any, Hashable

import numpy as np

from ..analysis import DominatorTree
from ..core import Block, Function, Operation, Value
from ..ops import PURE, Op
from ..types import ScalarType
from .rewrite import replace_all_uses

_COMMUTATIVE_EXACT = frozenset({Op.ADD, Op.MUL, Op.AND, Op.OR, Op.XOR, Op.EQ, Op.NE})


def cse(fn: Function) -> Function:
    """Replace each pure op by an identical one that dominates it, if any."""
    tree = DominatorTree(fn)
    available: dict[Hashable, Value] = {}
    replaced: dict[Value, Value] = {}
    # Walk the dominator tree depth first; an op is available in the subtree of its block.
    stack: list[tuple[Block, list[Hashable] | None]] = [(tree.rpo[0], None)]
    while stack:
        block, added_here = stack.pop()
        if added_here is not None:   # leaving the block's subtree
            for key in added_here:
                del available[key]
            continue
        added: list[Hashable] = []
        stack.append((block, added))
        kept: list[Operation] = []
        for operation in block.ops:
            operation.replace_uses(replaced)
            key = _key(operation)
            if key is not None:
                if key in available:
                    replaced[operation.result] = available[key]
                    continue
                available[key] = operation.result
                added.append(key)
            kept.append(operation)
        block.ops = kept
        for child in reversed(tree.children[block]):
            stack.append((child, None))
    # Uses outside the dominator walk (unreachable blocks) still name removed values.
    replace_all_uses(fn, replaced)
    return fn


def _key(operation: Operation) -> Hashable | None:
    """What makes two pure ops compute the same value, or None if not CSE-able."""
    if operation.op not in PURE or operation.result is None:
        return None
    operands: tuple[Value, ...] = tuple(operation.operands)
    if operation.op in _COMMUTATIVE_EXACT and _order_free(operation):
        operands = tuple(sorted(operands, key=lambda v: v.uid))
    try:
        attrs = tuple(sorted((name, _freeze(value)) for name, value in operation.attrs.items()))
        hash(attrs)
    except TypeError:   # an attr we cannot compare by value: never merge
        return None
    return (operation.op, operands, attrs, operation.result.type)


def _order_free(operation: Operation) -> bool:
    t = operation.operands[0].type
    return isinstance(t, ScalarType) and (not t.is_float or operation.op in (Op.EQ, Op.NE))


def _freeze(value: Any) -> Hashable:
    """A hashable stand-in for an attr value that is equal only for identical values:
    NumPy scalars and floats by type and bits, containers element-wise."""
    if isinstance(value, np.generic):
        return ("numpy", value.dtype.str, value.tobytes())
    if isinstance(value, float):
        return ("float", struct.pack("<d", value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_freeze(v) for v in value))
    return (type(value).__name__, value)
