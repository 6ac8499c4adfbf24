"""The IR verifier: ``verify(fn)`` checks that a Function is well formed and raises
``IRVerificationError`` naming the function, the block, the op (as the printer
prints it) and the broken rule.

The rules (``RULES``):
- blocks are listed once, with unique labels; the entry params are the arguments;
- every block ends with exactly one terminator and has none before it; only
  terminators have successors (BR one, CBR two, RET none);
- successor blocks belong to the function; the entry block has no predecessors;
- each branch passes one argument per target param, of the param's type;
- operand counts and types follow the conventions of each op group (``ops.py``);
- each value is defined once, every used value is defined in the function, and
  defs dominate uses (block params at block entry, ops in order within a block,
  dominators by Cooper-Harvey-Kennedy over the reachable blocks; in an unreachable
  block only the order within the block is checked).

Tests run it after every pass; the passes assume its rules hold on their input.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .analysis import DominatorTree
from .core import Block, Function, Operation, Value
from .ops import (BINARY, BITWISE, COMPARE, INT_ONLY_BINARY, MATH_BINARY, MATH_TERNARY,
                  MATH_UNARY, PREDICATES, SPECIAL_REGISTERS, UNARY, Op, ATOMIC_KINDS, BIT_OPS)
from .printer import ValueNames, format_operation
from .types import ArrayType, MemorySpace, ScalarType, bool_, int32, int64, uint32

RULE_BLOCKS = "blocks are listed once with unique labels"
RULE_ENTRY_PARAMS = "the entry block's params are the function's arguments"
RULE_TERMINATOR = "a block ends with exactly one terminator"
RULE_SUCCESSOR = "successor blocks belong to the function"
RULE_ENTRY_PREDS = "the entry block has no predecessors"
RULE_BRANCH_ARGS = "branch args match the target block's params"
RULE_OPERANDS = "operands follow the op's conventions"
RULE_SINGLE_DEF = "each value is defined once"
RULE_DEFINED = "used values are defined in the function"
RULE_DOMINANCE = "defs dominate uses"

RULES: tuple[str, ...] = (
    RULE_BLOCKS, RULE_ENTRY_PARAMS, RULE_TERMINATOR, RULE_SUCCESSOR, RULE_ENTRY_PREDS,
    RULE_BRANCH_ARGS, RULE_OPERANDS, RULE_SINGLE_DEF, RULE_DEFINED, RULE_DOMINANCE,
)


class IRVerificationError(Exception):
    """A Function broke one of the verifier's rules: a compiler bug, not a user error.

    ``rule`` is one of ``RULES``; ``function``, ``block`` and ``op`` say where (block and
    op may be None); ``stage`` says when, e.g. "after pass 'cse'", when known.
    """

    def __init__(self, rule: str, detail: str, function: str, block: str | None = None,
                 op: str | None = None, stage: str | None = None):
        self.rule = rule
        self.detail = detail
        self.function = function
        self.block = block
        self.op = op
        self.stage = stage
        where = function
        if block is not None:
            where += f", block {block}"
        if op is not None:
            where += f", op `{op}`"
        prefix = f"{stage}: " if stage else ""
        super().__init__(f"{prefix}{where}: {rule}: {detail}")

    def during(self, stage: str) -> IRVerificationError:
        """The same error, saying when it was found ("in the input of optimize")."""
        return IRVerificationError(self.rule, self.detail, self.function, self.block,
                                   self.op, stage=stage)

    def after(self, pass_name: str) -> IRVerificationError:
        """The same error, naming the pass that produced the broken IR."""
        return self.during(f"after pass {pass_name!r}")


def verify(fn: Function) -> None:
    """Raise IRVerificationError at the first broken rule; return None if ``fn`` is well formed."""
    _Verifier(fn).run()


class _Verifier:
    def __init__(self, fn: Function):
        self.fn = fn
        self._names: ValueNames | None = None

    # -- reporting ---------------------------------------------------------------

    def fail(self, rule: str, detail: str, block: Block | None = None,
             operation: Operation | None = None) -> IRVerificationError:
        kind = "kernel" if self.fn.is_kernel else "device function"
        return IRVerificationError(
            rule, detail, function=f"{kind} {self.fn.name!r}",
            block=block.label if block is not None else None,
            op=self.describe(operation) if operation is not None else None)

    def describe(self, operation: Operation) -> str:
        if self._names is None:
            self._names = ValueNames(self.fn)
        try:
            return format_operation(operation, self._names)
        except Exception:  # broken IR may not print (a CONST without a value, ...)
            return repr(operation)

    def name(self, value: Value) -> str:
        if self._names is None:
            self._names = ValueNames(self.fn)
        return self._names[value] if isinstance(value, Value) else repr(value)

    # -- the rules, in the order they are checked --------------------------------

    def run(self) -> None:
        self.check_blocks()
        self.check_terminators()
        self.check_edges()
        defs = self.collect_definitions()
        for block in self.fn.blocks:
            for operation in block.ops:
                self.check_defined(block, operation, defs)
                self.check_operands(block, operation)
                self.check_branch_args(block, operation)
        self.check_dominance(defs)

    def check_blocks(self) -> None:
        fn = self.fn
        if not fn.blocks:
            raise self.fail(RULE_BLOCKS, "the function has no blocks")
        seen: set[Block] = set()
        labels: set[str] = set()
        for block in fn.blocks:
            if block in seen:
                raise self.fail(RULE_BLOCKS, "the block is listed twice", block)
            if block.label in labels:
                raise self.fail(RULE_BLOCKS, f"two blocks are labelled {block.label!r}", block)
            seen.add(block)
            labels.add(block.label)
        if len(fn.entry.params) != len(fn.arg_names):
            raise self.fail(RULE_ENTRY_PARAMS, f"{len(fn.arg_names)} arguments but "
                            f"{len(fn.entry.params)} entry params", fn.entry)

    def check_terminators(self) -> None:
        for block in self.fn.blocks:
            if not block.ops:
                raise self.fail(RULE_TERMINATOR, "the block is empty", block)
            for operation in block.ops[:-1]:
                if operation.is_terminator:
                    raise self.fail(RULE_TERMINATOR, "a terminator before the end of the block",
                                    block, operation)
                if operation.successors:
                    raise self.fail(RULE_TERMINATOR, "only terminators have successors",
                                    block, operation)
            last = block.ops[-1]
            if not last.is_terminator:
                raise self.fail(RULE_TERMINATOR, "the last op is not a terminator", block, last)
            expected = {Op.BR: 1, Op.CBR: 2, Op.RET: 0}[last.op]
            if len(last.successors) != expected:
                raise self.fail(RULE_TERMINATOR, f"{last.op.value} needs {expected} successors, "
                                f"has {len(last.successors)}", block, last)

    def check_edges(self) -> None:
        blocks = set(self.fn.blocks)
        for block in self.fn.blocks:
            term = block.ops[-1]
            for succ in term.successors:
                if succ.block not in blocks:
                    raise self.fail(RULE_SUCCESSOR, f"{succ.block.label} is not a block of "
                                    "this function", block, term)
                if succ.block is self.fn.entry:
                    raise self.fail(RULE_ENTRY_PREDS, "a branch to the entry block", block, term)

    def collect_definitions(self) -> dict[Value, tuple[Block, int]]:
        """Each value's definition site: (block, -1) for a param, (block, op index) for a result."""
        defs: dict[Value, tuple[Block, int]] = {}

        def define(value: Value, block: Block, index: int, operation: Operation | None) -> None:
            if value in defs:
                other = defs[value][0]
                raise self.fail(RULE_SINGLE_DEF, f"{self.name(value)} is also defined in block "
                                f"{other.label}", block, operation)
            defs[value] = (block, index)

        for block in self.fn.blocks:
            for param in block.params:
                define(param, block, -1, None)
            for index, operation in enumerate(block.ops):
                if operation.result is not None:
                    define(operation.result, block, index, operation)
        return defs

    def check_defined(self, block: Block, operation: Operation,
                      defs: dict[Value, tuple[Block, int]]) -> None:
        for value in operation.all_operands():
            if not isinstance(value, Value):
                raise self.fail(RULE_DEFINED, f"operand {value!r} is not a Value", block, operation)
            if value not in defs:
                raise self.fail(RULE_DEFINED, f"{value!r} is not defined in this function",
                                block, operation)

    def check_operands(self, block: Block, operation: Operation) -> None:
        check = _OPERAND_CHECKS.get(operation.op)
        if check is None:
            raise self.fail(RULE_OPERANDS, f"unknown op {operation.op!r}", block, operation)
        problem = _check_result_presence(operation) or check(operation, self.fn)
        if problem is not None:
            raise self.fail(RULE_OPERANDS, problem, block, operation)

    def check_branch_args(self, block: Block, operation: Operation) -> None:
        for succ in operation.successors:
            params = succ.block.params
            if len(succ.args) != len(params):
                raise self.fail(RULE_BRANCH_ARGS, f"{len(succ.args)} args for the "
                                f"{len(params)} params of {succ.block.label}", block, operation)
            for i, (arg, param) in enumerate(zip(succ.args, params)):
                if arg.type != param.type:
                    raise self.fail(RULE_BRANCH_ARGS, f"arg {i} to {succ.block.label} is "
                                    f"{arg.type}, the param is {param.type}", block, operation)

    def check_dominance(self, defs: dict[Value, tuple[Block, int]]) -> None:
        tree = DominatorTree(self.fn)
        for block in self.fn.blocks:
            reachable = block in tree
            for index, operation in enumerate(block.ops):
                for value in operation.all_operands():
                    def_block, def_index = defs[value]
                    if def_block is block:
                        ok = def_index < index
                    else:
                        ok = not reachable or tree.dominates(def_block, block)
                    if not ok:
                        where = ("later in this block" if def_block is block
                                 else f"in block {def_block.label}, which does not dominate it")
                        raise self.fail(RULE_DOMINANCE, f"{self.name(value)} is defined {where}",
                                        block, operation)


# -- operand conventions, one checker per op group ---------------------------------
# Each returns None when the op is well formed, else what is wrong.

_Check = Callable[[Operation, Function], "str | None"]


def _types(values: list[Value]) -> str:
    return "(" + ", ".join(str(v.type) for v in values) + ")"


def _signature(operation: Operation) -> str:
    result = operation.result.type if operation.result is not None else "nothing"
    return f"got {_types(operation.operands)} -> {result}"


def _result_type(operation: Operation):
    return operation.result.type if operation.result is not None else None


def _same_scalar(operation: Operation, count: int) -> ScalarType | None:
    """The common scalar type of exactly ``count`` operands, else None."""
    if len(operation.operands) != count:
        return None
    first = operation.operands[0].type
    if not isinstance(first, ScalarType):
        return None
    if any(v.type != first for v in operation.operands):
        return None
    return first


def _check_const(operation: Operation, fn: Function) -> str | None:
    result = _result_type(operation)
    if operation.operands or not isinstance(result, ScalarType):
        return "const takes no operands and has a scalar result"
    if "value" not in operation.attrs:
        return "const needs attrs['value']"
    value = operation.attrs["value"]
    if not isinstance(value, np.generic) or value.dtype != result.dtype:
        return f"const value {value!r} ({type(value).__name__}) is not a NumPy {result} scalar"
    return None


def _check_cast(operation: Operation, fn: Function) -> str | None:
    if (len(operation.operands) != 1 or not isinstance(operation.operands[0].type, ScalarType)
            or not isinstance(_result_type(operation), ScalarType)):
        return f"cast takes one scalar and has a scalar result; {_signature(operation)}"
    return None


def _check_select(operation: Operation, fn: Function) -> str | None:
    ops = operation.operands
    if (len(ops) != 3 or ops[0].type != bool_ or ops[1].type != ops[2].type
            or _result_type(operation) != ops[1].type):
        return f"select takes (bool, T, T) -> T; {_signature(operation)}"
    return None


def _check_binary(operation: Operation, fn: Function) -> str | None:
    t = _same_scalar(operation, 2)
    if t is None or _result_type(operation) != t:
        return (f"{operation.op.value} takes two operands of one scalar type and returns "
                f"that type; {_signature(operation)}")
    if operation.op is Op.TRUEDIV and not t.is_float:
        return f"truediv takes floats only, got {t}"
    if operation.op in INT_ONLY_BINARY and not t.is_int:
        return f"{operation.op.value} takes integers only, got {t}"
    if operation.op in BITWISE and t.is_float:
        return f"{operation.op.value} takes integers or bool, got {t}"
    return None


def _check_unary(operation: Operation, fn: Function) -> str | None:
    t = _same_scalar(operation, 1)
    if t is None or _result_type(operation) != t:
        return f"{operation.op.value} takes one scalar and keeps its type; {_signature(operation)}"
    if operation.op is Op.NOT and not t.is_bool:
        return f"not takes a bool, got {t}"
    if operation.op in BITWISE and t.is_float:
        return f"{operation.op.value} takes integers or bool, got {t}"
    return None


def _check_compare(operation: Operation, fn: Function) -> str | None:
    if _same_scalar(operation, 2) is None or _result_type(operation) != bool_:
        return (f"{operation.op.value} takes two operands of one scalar type and returns "
                f"bool; {_signature(operation)}")
    return None


def _float_op(arity: int, result_bool: bool = False) -> _Check:
    def check(operation: Operation, fn: Function) -> str | None:
        t = _same_scalar(operation, arity)
        wanted = bool_ if result_bool else t
        if t is None or not t.is_float or _result_type(operation) != wanted:
            returns = "bool" if result_bool else "that type"
            return (f"{operation.op.value} takes {arity} float operand(s) of one type and "
                    f"returns {returns}; {_signature(operation)}")
        return None
    return check


def _check_special_register(operation: Operation, fn: Function) -> str | None:
    if operation.operands or _result_type(operation) != int32:
        return f"{operation.op.value} takes no operands and returns int32; {_signature(operation)}"
    axis = operation.attrs.get("axis")
    if operation.op is Op.LANE_ID and axis is None:
        return None
    if type(axis) is not int or not 0 <= axis <= 2:
        return f"{operation.op.value} needs attrs['axis'] in 0..2, got {axis!r}"
    return None


def _array_and_indices(operation: Operation, extra: int) -> tuple[ArrayType | None, str | None]:
    """Check (array, *indices, <extra operands>); return the array type or a problem."""
    name = operation.op.value
    if not operation.operands or not isinstance(operation.operands[0].type, ArrayType):
        return None, f"{name} takes an array first; {_signature(operation)}"
    array = operation.operands[0].type
    indices = operation.operands[1:len(operation.operands) - extra]
    if len(indices) != array.ndim:
        return None, (f"{name} on a {array.ndim}-d array needs {array.ndim} indices, "
                      f"got {len(indices)}")
    for index in indices:
        if not isinstance(index.type, ScalarType) or not index.type.is_int:
            return None, f"{name} indices must be integers; {_signature(operation)}"
    return array, None


def _check_load(operation: Operation, fn: Function) -> str | None:
    array, problem = _array_and_indices(operation, extra=0)
    if problem is None and _result_type(operation) != array.dtype:
        problem = f"load from {array} returns {array.dtype}; {_signature(operation)}"
    return problem


def _check_store(operation: Operation, fn: Function) -> str | None:
    if len(operation.operands) < 2:
        return f"store takes (array, *indices, value); {_signature(operation)}"
    array, problem = _array_and_indices(operation, extra=1)
    if problem is None and operation.operands[-1].type != array.dtype:
        problem = f"store to {array} needs a {array.dtype} value; {_signature(operation)}"
    return problem


def _check_array_dim(operation: Operation, fn: Function) -> str | None:
    ops = operation.operands
    if len(ops) != 1 or not isinstance(ops[0].type, ArrayType) or _result_type(operation) != int64:
        return f"array_dim takes one array and returns int64; {_signature(operation)}"
    axis = operation.attrs.get("axis")
    if type(axis) is not int or not 0 <= axis < ops[0].type.ndim:
        return f"array_dim axis {axis!r} is out of range for {ops[0].type}"
    return None


def _check_print(operation: Operation, fn: Function) -> str | None:
    parts = operation.attrs.get("parts")
    if (not isinstance(parts, (list, tuple))
            or not all(p is None or isinstance(p, str) for p in parts)):
        return "print needs attrs['parts']: a list of str (text) and None (an operand)"
    holes = sum(p is None for p in parts)
    if holes != len(operation.operands):
        return f"print has {len(operation.operands)} operands for {holes} None parts"
    if not all(isinstance(v.type, ScalarType) for v in operation.operands):
        return f"print takes scalars; {_signature(operation)}"
    return None


def _check_br(operation: Operation, fn: Function) -> str | None:
    return "br takes no operands (its args go with the successor)" if operation.operands else None


def _check_cbr(operation: Operation, fn: Function) -> str | None:
    if len(operation.operands) != 1 or operation.operands[0].type != bool_:
        return f"cbr takes one bool condition; {_signature(operation)}"
    return None


def _check_ret(operation: Operation, fn: Function) -> str | None:
    got = [v.type for v in operation.operands]
    if fn.is_kernel:
        return f"ret in a kernel returns nothing, got {_types(operation.operands)}" if got else None
    if got != list(fn.result_types):
        wanted = "(" + ", ".join(str(t) for t in fn.result_types) + ")"
        return f"ret must return {wanted}, got {_types(operation.operands)}"
    return None


def _check_allocation(operation: Operation, fn: Function) -> str | None:
    array = _result_type(operation)
    shape = operation.attrs.get("shape")
    space = MemorySpace.SHARED if operation.op is Op.SHARED_ARRAY else MemorySpace.LOCAL
    if operation.operands or not isinstance(array, ArrayType) or array.space is not space:
        return f"{operation.op.value} takes no operands and returns a {space.value} array"
    if (not isinstance(shape, tuple) or len(shape) != array.ndim
            or not all(type(d) is int and d >= 0 for d in shape)):
        return f"{operation.op.value} needs attrs['shape']: {array.ndim} non-negative ints"
    if not isinstance(operation.attrs.get("name"), str):
        return f"{operation.op.value} needs attrs['name']"
    return None


def _check_barrier(operation: Operation, fn: Function) -> str | None:
    kind = operation.attrs.get("kind")
    if kind == "sync":
        if operation.operands or operation.result is not None:
            return "a sync barrier takes no operands and has no result"
        return None
    if kind not in ("count", "and", "or"):
        return f"barrier kind must be sync, count, and or or, got {kind!r}"
    if _types(operation.operands) != "(bool)" or _result_type(operation) != int32:
        return f"barrier {kind} takes a bool and returns int32; {_signature(operation)}"
    return None


def _check_syncwarp(operation: Operation, fn: Function) -> str | None:
    if [v.type for v in operation.operands] != [uint32]:
        return f"syncwarp takes a uint32 mask; {_signature(operation)}"
    return None


def _check_fence(operation: Operation, fn: Function) -> str | None:
    if operation.operands or operation.attrs.get("scope") not in ("block", "device", "system"):
        return "fence takes no operands and attrs['scope'] in block, device, system"
    return None


def _check_atomic(operation: Operation, fn: Function) -> str | None:
    extra = 2 if operation.op is Op.ATOMIC_CAS else 1
    array, problem = _array_and_indices(operation, extra=extra)
    if problem is not None:
        return problem
    if array.space is MemorySpace.LOCAL:
        return "atomics work on global and shared arrays"
    values = operation.operands[len(operation.operands) - extra:]
    if any(v.type != array.dtype for v in values) or _result_type(operation) != array.dtype:
        return f"{operation.op.value} on {array} takes and returns {array.dtype}"
    if operation.op is Op.ATOMIC and operation.attrs.get("op") not in ATOMIC_KINDS:
        return f"atomic needs attrs['op'] in {', '.join(ATOMIC_KINDS)}"
    return None


def _check_shfl(operation: Operation, fn: Function) -> str | None:
    ops = operation.operands
    if (len(ops) != 3 or ops[0].type != uint32 or ops[2].type != int32
            or _result_type(operation) != ops[1].type):
        return f"shfl takes (uint32 mask, value, int32 lane) and returns the value; {_signature(operation)}"
    if operation.attrs.get("mode") not in ("idx", "up", "down", "xor"):
        return "shfl needs attrs['mode'] in idx, up, down, xor"
    return None


def _check_vote(operation: Operation, fn: Function) -> str | None:
    mode = operation.attrs.get("mode")
    wanted = uint32 if mode == "ballot" else bool_
    if mode not in ("all", "any", "eq", "ballot"):
        return "vote needs attrs['mode'] in all, any, eq, ballot"
    if [v.type for v in operation.operands] != [uint32, bool_] or _result_type(operation) != wanted:
        return f"vote {mode} takes (uint32 mask, bool) and returns {wanted}; {_signature(operation)}"
    return None


def _check_mask_register(operation: Operation, fn: Function) -> str | None:
    if operation.operands or _result_type(operation) != uint32:
        return f"{operation.op.value} takes no operands and returns uint32"
    return None


def _check_bits(operation: Operation, fn: Function) -> str | None:
    ops = operation.operands
    if len(ops) != 1 or not isinstance(ops[0].type, ScalarType) or not ops[0].type.is_int:
        return f"{operation.op.value} takes one integer; {_signature(operation)}"
    wanted = ops[0].type if operation.op is Op.BREV else int32
    if _result_type(operation) != wanted:
        return f"{operation.op.value} returns {wanted}; {_signature(operation)}"
    return None


_NO_RESULT = frozenset({Op.STORE, Op.PRINT, Op.BR, Op.CBR, Op.RET, Op.SYNCWARP, Op.FENCE})


def _check_result_presence(operation: Operation) -> str | None:
    has_result = operation.result is not None
    if operation.op is Op.BARRIER:
        return None                       # checked with its kind
    if operation.op in _NO_RESULT and has_result:
        return f"{operation.op.value} has no result"
    if operation.op not in _NO_RESULT and not has_result:
        return f"{operation.op.value} needs a result"
    return None


def _table() -> dict[Op, _Check]:
    table: dict[Op, _Check] = {
        Op.CONST: _check_const, Op.CAST: _check_cast, Op.SELECT: _check_select,
        Op.ARRAY_DIM: _check_array_dim, Op.LOAD: _check_load, Op.STORE: _check_store,
        Op.PRINT: _check_print, Op.BR: _check_br, Op.CBR: _check_cbr, Op.RET: _check_ret,
        Op.SHARED_ARRAY: _check_allocation, Op.LOCAL_ARRAY: _check_allocation,
        Op.BARRIER: _check_barrier, Op.SYNCWARP: _check_syncwarp, Op.FENCE: _check_fence,
        Op.ATOMIC: _check_atomic, Op.ATOMIC_CAS: _check_atomic, Op.SHFL: _check_shfl,
        Op.VOTE: _check_vote, Op.ACTIVEMASK: _check_mask_register,
        Op.LANEMASK_LT: _check_mask_register,
    }
    groups: list[tuple[frozenset[Op], _Check]] = [
        (BINARY, _check_binary), (UNARY, _check_unary), (COMPARE, _check_compare),
        (MATH_UNARY, _float_op(1)), (MATH_BINARY, _float_op(2)), (MATH_TERNARY, _float_op(3)),
        (PREDICATES, _float_op(1, result_bool=True)),
        (SPECIAL_REGISTERS, _check_special_register), (BIT_OPS, _check_bits),
    ]
    for group, check in groups:
        table.update(dict.fromkeys(group, check))
    return table


_OPERAND_CHECKS: dict[Op, _Check] = _table()
