"""IR-to-IR rewriting machinery of the PTX legalizer.

``Lowering`` is a builder positioned inside the function being rewritten: a
legalization rule calls its small methods (``add``, ``select``, ``lt``, ``bitcast``,
...) to emit plain IR in place of one op, and ``split()`` when it needs control
flow (a loop) in the middle of a block. ``run_rules`` walks a function and applies
a table of rules keyed by ``Op``; ``clone_function`` gives legalization its own copy
so the caller's IR (which the numpy target may also run) is never modified.

Attributes that only legalized IR carries (see ``legalize.py``) are named here:
``LEGAL`` is the attribute key and its values say what PTX meaning an op has.
"""
from __future__ import annotations

from typing import Any, Callable, Union

from simt.ir import Block, Function, Op, Operation, SourceLoc, Successor, Value
from simt.ir.core import canonical_constant
from simt.ir.ops import PURE
from simt.ir.types import ScalarType, bool_, uint32

LEGAL = "legal"            # attribute key on ops whose meaning legalization changed
TRUNC = "trunc"            # FLOORDIV/MOD on ints: C truncating / and %, divisor is safe
BITCAST = "bitcast"        # CAST: reinterpret the bits (same width)
LINEAR = "linear"          # LOAD/STORE/ATOMIC/ATOMIC_CAS: one int64 element index into the flat array
OFFSET = "offset"          # with LINEAR: a constant element offset added to it
RZI = "rzi"                # CAST float -> int: PTX cvt.rzi (NaN handled before)
ZEXT = "zext"              # CAST int32 or narrower -> 64-bit of a value proven non-negative:
                           # zero-extend (equal to sign-extending it; ptxas knows the top is 0)
VOLATILE = "volatile"      # LOAD (attribute key, value True): ld.volatile, a fresh read each time
APPROX = "approx"          # EXP2/LOG2/SIN/COS on float32: the PTX .approx instruction
                           # (fastmath kernels only, see lower_float.py)

Operand = Union[Value, int, float, bool]


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()             # a rule's answer: leave the op as it is
DROP = _Keep()             # a rule's answer for a result-less op it replaced

Rule = Callable[["Lowering", Operation], Any]


class Lowering:
    """Emits IR ops at the end of ``block``, tagged with the source position ``loc``."""

    def __init__(self, function: Function, block: Block):
        self.function = function
        self.block = block
        self.loc: SourceLoc | None = None
        # pure ops this Lowering emitted, per block: a repeated request reuses the value
        self.memo: dict[tuple, Value] = {}

    # -- raw emission ------------------------------------------------------------

    def emit(self, op: Op, operands: list[Value], result_type: Any = None,
             attrs: dict[str, Any] | None = None,
             successors: list[Successor] | None = None) -> Operation:
        key = None
        if op in PURE and result_type is not None:
            key = (id(self.block), op, tuple(id(v) for v in operands), result_type,
                   repr(sorted((attrs or {}).items())))
            cached = self.memo.get(key)
            if cached is not None:
                return cached.owner
        operation = Operation(op, operands, result_type, attrs, self.loc, successors)
        self.block.ops.append(operation)
        if key is not None:
            self.memo[key] = operation.result
        return operation

    def value(self, op: Op, operands: list[Operand], result_type: ScalarType | None = None,
              attrs: dict[str, Any] | None = None) -> Value:
        values = self.coerce(operands)
        if result_type is None:
            result_type = values[0].type
        return self.emit(op, values, result_type, attrs).result

    def coerce(self, operands: list[Operand]) -> list[Value]:
        """Python numbers become constants of the type of the first Value operand."""
        kind = next((v.type for v in operands if isinstance(v, Value)), None)
        out = []
        for v in operands:
            if isinstance(v, Value):
                out.append(v)
            else:
                if kind is None:
                    raise TypeError("a constant operand needs a Value beside it to give its type")
                out.append(self.const(v, kind))
        return out

    def const(self, value: Any, type: ScalarType) -> Value:
        return self.emit(Op.CONST, [], type, {"value": canonical_constant(value, type)}).result

    # -- arithmetic and logic ----------------------------------------------------

    def add(self, a: Operand, b: Operand) -> Value:
        return self.value(Op.ADD, [a, b])

    def sub(self, a: Operand, b: Operand) -> Value:
        return self.value(Op.SUB, [a, b])

    def mul(self, a: Operand, b: Operand) -> Value:
        return self.value(Op.MUL, [a, b])

    def div(self, a: Operand, b: Operand) -> Value:
        return self.value(Op.TRUEDIV, [a, b])

    def and_(self, a: Operand, b: Operand) -> Value:
        return self.value(Op.AND, [a, b])

    def or_(self, a: Operand, b: Operand) -> Value:
        return self.value(Op.OR, [a, b])

    def xor(self, a: Operand, b: Operand) -> Value:
        return self.value(Op.XOR, [a, b])

    def not_(self, a: Value) -> Value:
        return self.value(Op.NOT, [a])

    def neg(self, a: Value) -> Value:
        return self.value(Op.NEG, [a])

    def shift(self, op: Op, a: Value, amount: int) -> Value:
        """``a`` shifted by a constant amount below its width (amount typed uint32, legal IR)."""
        return self.emit(op, [a, self.const(amount, uint32)], a.type).result

    def unary(self, op: Op, a: Value) -> Value:
        return self.value(op, [a])

    def compare(self, op: Op, a: Operand, b: Operand) -> Value:
        return self.value(op, [a, b], bool_)

    def eq(self, a: Operand, b: Operand) -> Value:
        return self.compare(Op.EQ, a, b)

    def ne(self, a: Operand, b: Operand) -> Value:
        return self.compare(Op.NE, a, b)

    def lt(self, a: Operand, b: Operand) -> Value:
        return self.compare(Op.LT, a, b)

    def le(self, a: Operand, b: Operand) -> Value:
        return self.compare(Op.LE, a, b)

    def gt(self, a: Operand, b: Operand) -> Value:
        return self.compare(Op.GT, a, b)

    def ge(self, a: Operand, b: Operand) -> Value:
        return self.compare(Op.GE, a, b)

    def select(self, cond: Value, a: Operand, b: Operand) -> Value:
        a_val, b_val = self.coerce([a, b])
        return self.emit(Op.SELECT, [cond, a_val, b_val], a_val.type).result

    def cast(self, a: Value, type: ScalarType) -> Value:
        if a.type == type:
            return a
        return self.emit(Op.CAST, [a], type).result

    def bitcast(self, a: Value, type: ScalarType) -> Value:
        return self.emit(Op.CAST, [a], type, {LEGAL: BITCAST}).result

    # -- control flow ------------------------------------------------------------

    def new_block(self, label: str) -> Block:
        """A fresh block placed right after the current one (labels stay unique)."""
        fn = self.function
        taken = {b.label for b in fn.blocks}
        name, n = label, 1
        while name in taken:
            name = f"{label}.{n}"
            n += 1
        block = Block(name)
        fn.blocks.insert(fn.blocks.index(self.block) + 1, block)
        return block

    def split(self, label: str) -> Block:
        """A continuation block for the ops still to come; the caller branches to it."""
        return self.new_block(label)

    def br(self, target: Block, args: list[Value] | None = None) -> None:
        self.emit(Op.BR, [], successors=[Successor(target, list(args or []))])

    def cbr(self, cond: Value, if_true: Block, true_args: list[Value], if_false: Block,
            false_args: list[Value]) -> None:
        self.emit(Op.CBR, [cond], successors=[Successor(if_true, list(true_args)),
                                              Successor(if_false, list(false_args))])


def run_rules(fn: Function, rules: dict[Op, Rule]) -> Function:
    """Apply ``rules[op.op](lowering, op)`` to every op of ``fn`` in block order.

    A rule answers KEEP (the op stays), a Value (the op's result is replaced by it,
    the op is dropped) or DROP (a result-less op was replaced). Rules may split the
    current block; the ops after the rewritten one then land in the continuation.
    """
    mapping: dict[Value, Value] = {}
    for block in list(fn.blocks):
        old_ops = block.ops
        block.ops = []
        lowering = Lowering(fn, block)
        for operation in old_ops:
            operation.replace_uses(mapping)
            rule = rules.get(operation.op)
            lowering.loc = operation.loc
            answer = KEEP if rule is None else rule(lowering, operation)
            if answer is KEEP:
                lowering.block.ops.append(operation)
            elif answer is DROP:
                continue
            else:
                if operation.result is None or not isinstance(answer, Value):
                    raise AssertionError(f"rule for {operation.op.value} answered {answer!r}")
                mapping[operation.result] = answer
    if mapping:
        for operation in fn.operations():
            operation.replace_uses(_resolve(mapping))
    return fn


def _resolve(mapping: dict[Value, Value]) -> dict[Value, Value]:
    """Follow chains a -> b -> c so every use lands on the final value."""
    out = {}
    for key, value in mapping.items():
        while value in mapping:
            value = mapping[value]
        out[key] = value
    return out


def clone_function(fn: Function) -> Function:
    """A copy of ``fn`` with fresh blocks, ops and values (attrs are shared, read-only)."""
    copy = Function(fn.name, fn.arg_names, [a.type for a in fn.args], fn.is_kernel,
                    fn.result_types, fn.loc)
    copy.fastmath = fn.fastmath
    values: dict[Value, Value] = dict(zip(fn.args, copy.args))
    blocks: dict[Block, Block] = {fn.entry: copy.entry}
    for block in fn.blocks[1:]:
        new = Block(block.label)
        for p in block.params:
            values[p] = new.add_param(p.type, p.name)
        blocks[block] = new
        copy.blocks.append(new)
    for block in fn.blocks:
        for operation in block.ops:
            new_op = Operation(operation.op, [], None, dict(operation.attrs), operation.loc)
            if operation.result is not None:
                new_op.result = Value(operation.result.type, operation.result.name, new_op)
                values[operation.result] = new_op.result
            blocks[block].ops.append(new_op)
    for block in fn.blocks:
        for operation, new_op in zip(block.ops, blocks[block].ops):
            new_op.operands = [values[v] for v in operation.operands]
            new_op.successors = [Successor(blocks[s.block], [values[v] for v in s.args])
                                 for s in operation.successors]
    return copy
