"""The IR's data structures: values, operations, blocks and functions.

SSA with block parameters: a block's ``params`` are its phis, and every branch
passes one argument per parameter (``Successor.args``). The entry block's params
are the function's arguments. Every op has at most one result and carries the
source position it came from. The IR says what an op is; backends say what it means.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterator

from .errors import SourceLoc
from .ops import TERMINATORS, Op
from .types import ScalarType, Type

_value_ids = itertools.count()


class Value:
    """An SSA value: the result of an Operation or a Block parameter."""

    __slots__ = ("type", "name", "uid", "owner")

    def __init__(self, type: Type, name: str | None = None, owner: Operation | Block | None = None):
        self.type = type
        self.name = name          # a user variable name, for printing only
        self.uid = next(_value_ids)
        self.owner = owner

    def __repr__(self) -> str:
        return f"Value(%{self.name or self.uid}: {self.type})"


@dataclass
class Successor:
    block: Block
    args: list[Value] = field(default_factory=list)


class Operation:
    __slots__ = ("op", "operands", "result", "attrs", "loc", "successors")

    def __init__(self, op: Op, operands: list[Value], result_type: Type | None = None,
                 attrs: dict[str, Any] | None = None, loc: SourceLoc | None = None,
                 successors: list[Successor] | None = None, name: str | None = None):
        self.op = op
        self.operands = list(operands)
        self.result = Value(result_type, name, self) if result_type is not None else None
        self.attrs = attrs or {}
        self.loc = loc
        self.successors = successors or []

    @property
    def is_terminator(self) -> bool:
        return self.op in TERMINATORS

    def all_operands(self) -> Iterator[Value]:
        """Operands plus branch arguments."""
        yield from self.operands
        for succ in self.successors:
            yield from succ.args

    def replace_uses(self, mapping: dict[Value, Value]) -> None:
        self.operands = [mapping.get(v, v) for v in self.operands]
        for succ in self.successors:
            succ.args = [mapping.get(v, v) for v in succ.args]

    def __repr__(self) -> str:
        return f"Operation({self.op.value}, {self.operands}, -> {self.result})"


class Block:
    __slots__ = ("label", "params", "ops")

    def __init__(self, label: str, params: list[Value] | None = None):
        self.label = label
        self.params: list[Value] = params or []
        for p in self.params:
            p.owner = self
        self.ops: list[Operation] = []

    def add_param(self, type: Type, name: str | None = None) -> Value:
        value = Value(type, name, self)
        self.params.append(value)
        return value

    @property
    def terminator(self) -> Operation | None:
        return self.ops[-1] if self.ops and self.ops[-1].is_terminator else None

    @property
    def successors(self) -> list[Block]:
        term = self.terminator
        return [s.block for s in term.successors] if term else []

    def __repr__(self) -> str:
        return f"Block({self.label})"


class Function:
    """A kernel (``is_kernel``) or device function: blocks, entry first.

    ``fastmath``: the kernel was declared with ``fastmath=True``, which lets a backend
    compute float32 transcendentals with approximate instructions (the PTX backend's
    ``.approx``); the IR's meaning, and the numpy target, are unchanged by it.
    """

    def __init__(self, name: str, arg_names: list[str], arg_types: list[Type],
                 is_kernel: bool = True, result_types: list[ScalarType] | None = None,
                 loc: SourceLoc | None = None):
        self.name = name
        self.arg_names = list(arg_names)
        self.is_kernel = is_kernel
        self.result_types = list(result_types or [])
        self.loc = loc
        self.fastmath = False
        entry = Block("entry")
        for n, t in zip(arg_names, arg_types):
            entry.add_param(t, n)
        self.blocks: list[Block] = [entry]
        self._labels = itertools.count(1)

    @property
    def entry(self) -> Block:
        return self.blocks[0]

    @property
    def args(self) -> list[Value]:
        return self.entry.params

    def new_block(self, label: str | None = None) -> Block:
        block = Block(label or f"bb{next(self._labels)}")
        self.blocks.append(block)
        return block

    def predecessors(self) -> dict[Block, list[Block]]:
        """Each block's predecessors, one entry per incoming edge, in block order."""
        preds: dict[Block, list[Block]] = {b: [] for b in self.blocks}
        for b in self.blocks:
            for s in b.successors:
                preds.setdefault(s, []).append(b)
        return preds

    def operations(self) -> Iterator[Operation]:
        for b in self.blocks:
            yield from b.ops

    def __str__(self) -> str:
        from .printer import format_function
        return format_function(self)


class Builder:
    """Appends operations at the end of a block."""

    def __init__(self, function: Function, block: Block | None = None):
        self.function = function
        self.block = block or function.entry
        self.loc: SourceLoc | None = None

    def set_block(self, block: Block) -> None:
        self.block = block

    def emit(self, op: Op, operands: list[Value], result_type: Type | None = None,
             attrs: dict[str, Any] | None = None, successors: list[Successor] | None = None,
             name: str | None = None) -> Operation:
        operation = Operation(op, operands, result_type, attrs, self.loc, successors, name)
        self.block.ops.append(operation)
        return operation

    def value(self, op: Op, operands: list[Value], result_type: Type,
              attrs: dict[str, Any] | None = None, name: str | None = None) -> Value:
        return self.emit(op, operands, result_type, attrs, name=name).result

    def const(self, value: Any, type: ScalarType) -> Value:
        return self.value(Op.CONST, [], type, {"value": canonical_constant(value, type)})

    def br(self, target: Block, args: list[Value] | None = None) -> Operation:
        return self.emit(Op.BR, [], successors=[Successor(target, list(args or []))])

    def cbr(self, cond: Value, if_true: Block, true_args: list[Value], if_false: Block,
            false_args: list[Value]) -> Operation:
        return self.emit(Op.CBR, [cond], successors=[Successor(if_true, list(true_args)),
                                                     Successor(if_false, list(false_args))])

    def ret(self, values: list[Value] | None = None) -> Operation:
        return self.emit(Op.RET, list(values or []))


def canonical_constant(value: Any, type: ScalarType) -> Any:
    """A constant as a NumPy scalar of ``type`` (ints wrap, floats round)."""
    import numpy as np

    if type.is_bool:
        return np.bool_(bool(value))
    if type.is_int:
        bits = type.bits
        v = int(value) & ((1 << bits) - 1)
        if type.is_signed and v >= 1 << (bits - 1):
            v -= 1 << bits
        return type.dtype.type(v)
    return type.dtype.type(value)
