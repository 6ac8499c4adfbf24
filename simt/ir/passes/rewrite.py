"""Small IR mutations shared by the passes: redirect uses of values, drop
unreachable blocks. Each keeps a verifying function verifying."""
from __future__ import annotations

from ..analysis import reachable_blocks
from ..core import Function, Value


def replace_all_uses(fn: Function, mapping: dict[Value, Value]) -> None:
    """Replace every use (operand or branch arg) of each key of ``mapping`` by its
    value, following chains (a -> b, b -> c sends a to c). Definitions are untouched:
    the caller removes the replaced ops or params, or leaves them for DCE."""
    if not mapping:
        return
    mapping = {value: target for value, target in mapping.items() if value is not target}
    resolved: dict[Value, Value] = {}
    for value in mapping:
        target = mapping[value]
        seen = {value}
        while target in mapping:
            if target in seen:
                raise ValueError(f"replacement cycle through {target!r}")
            seen.add(target)
            target = mapping[target]
        resolved[value] = target
    for block in fn.blocks:
        for operation in block.ops:
            operation.replace_uses(resolved)


def remove_unreachable_blocks(fn: Function) -> bool:
    """Drop the blocks not reachable from the entry; return whether any were.

    Safe on verifying IR: a value defined in an unreachable block can only be used
    in unreachable blocks, and the edges they leave carry nothing others need.
    """
    reachable = reachable_blocks(fn)
    if len(reachable) == len(fn.blocks):
        return False
    fn.blocks = [block for block in fn.blocks if block in reachable]
    return True
