"""Opcode handlers of the tracer: one ``op_<NAME>`` per canonical instruction.

Each handler updates the abstract ``State`` and emits IR through the tracer's
builder; handlers of block-ending instructions return False after routing their
edges. An instruction without a handler is reported to the user as unsupported.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .. import ir
from .. import language
from ..ir import types as T
from ..ir.core import Successor
from ..ir.ops import Op
from . import values as V
from .bytecode import Instr
from .frontend import EXIT, FunctionTracer, State, describe
from .typing import (PromotionError, SType, binary_result, common_type, is_numeric_constant,
                     unary_result)

BINARY_OPS = {
    "+": Op.ADD, "-": Op.SUB, "*": Op.MUL, "/": Op.TRUEDIV, "//": Op.FLOORDIV, "%": Op.MOD,
    "**": Op.POW, "&": Op.AND, "|": Op.OR, "^": Op.XOR, "<<": Op.SHL, ">>": Op.SHR,
}
PY_BINARY = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "&": operator.and_,
    "|": operator.or_, "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift,
}
COMPARE_OPS = {"<": Op.LT, "<=": Op.LE, ">": Op.GT, ">=": Op.GE, "==": Op.EQ, "!=": Op.NE}
PY_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
              "==": operator.eq, "!=": operator.ne}
DIM3_OPS = {"threadIdx": Op.THREAD_IDX, "blockIdx": Op.BLOCK_IDX, "blockDim": Op.BLOCK_DIM,
            "gridDim": Op.GRID_DIM}
AXES = {"x": 0, "y": 1, "z": 2}


def handler(fn):
    setattr(FunctionTracer, fn.__name__, fn)
    return fn


def _constant_eval(tracer: FunctionTracer, fn, *args):
    import warnings
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return fn(*args)
        except ZeroDivisionError:
            raise tracer.error("division by zero in a constant expression") from None
        except (TypeError, ValueError, OverflowError) as exc:
            raise tracer.error(f"invalid constant expression: {exc}") from None


# ------------------------------------------------------------------ loading values
def wrap_object(tracer: FunctionTracer, obj) -> V.AbstractValue:
    """A Python object met in a kernel (global, closure, attribute) as an abstract value."""
    if obj is language.laneid:
        return V.Scalar(tracer.builder.value(Op.LANE_ID, [], T.int32), False)
    if isinstance(obj, np.ndarray):
        raise tracer.error("a NumPy array can't be used as a global or closure variable in a kernel",
                           hint="pass the array as a kernel argument")
    if isinstance(obj, np.generic) and not is_numeric_constant(obj):
        raise tracer.error(f"unsupported constant {obj!r}")
    return V.Const(obj)


@handler
def op_LOAD_FAST(self: FunctionTracer, instr: Instr, state: State):
    value = state.locals.get(instr.arg, V.UNDEFINED)
    if isinstance(value, V.Undefined):
        raise self.error(f"local variable '{instr.arg}' is used before it is assigned",
                         hint="assign it on every path that reaches this line")
    state.stack.append(value)


@handler
def op_STORE_FAST(self, instr, state):
    value = state.stack.pop()
    if isinstance(value, V.Scalar) and value.value.name is None and value.value.owner is not None:
        value.value.name = instr.arg
    state.locals[instr.arg] = value


@handler
def op_LOAD_CONST(self, instr, state):
    state.stack.append(V.Const(instr.arg))


def _lookup_global(self: FunctionTracer, name: str):
    globals_ = self.pyfunc.__globals__
    if name in globals_:
        obj = globals_[name]
        self.captures.append((globals_, name, obj))
        return obj
    if hasattr(builtins, name):
        return getattr(builtins, name)
    raise self.error(f"name '{name}' is not defined")


@handler
def op_LOAD_GLOBAL(self, instr, state):
    state.stack.append(wrap_object(self, _lookup_global(self, instr.arg)))


@handler
def op_LOAD_DEREF(self, instr, state):
    code = self.code
    names = code.co_cellvars + code.co_freevars
    if instr.arg in code.co_cellvars:
        raise self.error("variables captured by nested functions are not supported")
    index = code.co_freevars.index(instr.arg)
    cell = self.pyfunc.__closure__[index]
    try:
        obj = cell.cell_contents
    except ValueError:
        raise self.error(f"closure variable '{instr.arg}' is not bound") from None
    del names
    self.captures.append((cell, None, obj))
    state.stack.append(wrap_object(self, obj))


@handler
def op_LOAD_ATTR(self, instr, state):
    obj = state.stack.pop()
    name = instr.arg
    if isinstance(obj, V.Const):
        target = obj.obj
        if isinstance(target, language.Dim3):
            if name not in AXES:
                raise self.error(f"{target.name} has no attribute '{name}'", hint="use .x, .y or .z")
            value = self.builder.value(DIM3_OPS[target.name], [], T.int32, {"axis": AXES[name]},
                                       name=None)
            state.stack.append(V.Scalar(value, False))
            return
        try:
            attr = getattr(target, name)
        except AttributeError:
            raise self.error(f"{describe(obj)} has no attribute '{name}'") from None
        state.stack.append(wrap_object(self, attr))
        return
    if isinstance(obj, V.Array):
        state.stack.append(_array_attr(self, obj, name))
        return
    raise self.error(f"attribute '{name}' of {describe(obj)} is not supported in kernels")


def _array_attr(self: FunctionTracer, array: V.Array, name: str) -> V.AbstractValue:
    if name == "shape":
        return V.Shape(array)
    if name == "ndim":
        return V.Const(array.type.ndim)
    if name == "size":
        size: V.AbstractValue = V.Const(1)
        for axis in range(array.type.ndim):
            size = self.binary("*", size, self.array_dim(array, axis))
        return size
    if name == "dtype":
        return V.Const(array.type.dtype.dtype)
    raise self.error(f"array attribute '{name}' is not supported in kernels",
                     hint="arrays support .shape, .size, .ndim and .dtype")


def array_dim(self: FunctionTracer, array: V.Array, axis: int) -> V.Scalar:
    value = self.builder.value(Op.ARRAY_DIM, [array.value], T.int64, {"axis": axis})
    return V.Scalar(value, True)


FunctionTracer.array_dim = array_dim


# ------------------------------------------------------------------ arithmetic
def binary(self: FunctionTracer, symbol: str, a: V.AbstractValue, b: V.AbstractValue) -> V.AbstractValue:
    if isinstance(a, V.Tuple) or isinstance(b, V.Tuple) or (
            isinstance(a, V.Const) and isinstance(a.obj, tuple)):
        raise self.error(f"operator {symbol} on tuples is not supported in kernels")
    if not V.is_numeric(a) or not V.is_numeric(b):
        raise self.error(f"unsupported operand types for {symbol}: {describe(a)} and {describe(b)}")
    if isinstance(a, V.Const) and isinstance(b, V.Const):
        return V.Const(_constant_eval(self, PY_BINARY[symbol], a.obj, b.obj))
    sa, sb = _stype(a), _stype(b)
    _check_weak_int_fits(self, a, sb)
    _check_weak_int_fits(self, b, sa)
    try:
        result = binary_result(symbol, sa, sb)
    except PromotionError as exc:
        raise self.error(str(exc)) from None
    operand_type = result.type
    if symbol in ("<<", ">>", "&", "|", "^") and not (operand_type.is_int or operand_type.is_bool):
        raise self.error(f"unsupported operand types for {symbol}: {sa} and {sb}")
    x = self.coerce(a, operand_type)
    y = self.coerce(b, operand_type)
    value = self.builder.value(BINARY_OPS[symbol], [x, y], result.type)
    return V.Scalar(value, result.weak)


def _check_weak_int_fits(self: FunctionTracer, value: V.AbstractValue, other: SType) -> None:
    """NEP 50: a Python int literal must fit the fixed-width int it meets (NumPy raises)."""
    if not (isinstance(value, V.Const) and isinstance(value.obj, int)
            and not isinstance(value.obj, bool)):
        return
    if other.weak or not other.type.is_int:
        return
    info = np.iinfo(other.type.dtype)
    if not info.min <= value.obj <= info.max:
        raise self.error(f"the Python integer {value.obj} is out of bounds for {other.type}",
                         hint=f"convert explicitly, e.g. np.{other.type}(...) or a wider type")


def _stype(av: V.AbstractValue) -> SType:
    return av.stype


def compare(self: FunctionTracer, symbol: str, a: V.AbstractValue, b: V.AbstractValue) -> V.AbstractValue:
    if isinstance(a, V.Const) and isinstance(b, V.Const):
        return V.Const(_constant_eval(self, PY_COMPARE[symbol], a.obj, b.obj))
    if not V.is_numeric(a) or not V.is_numeric(b):
        raise self.error(f"unsupported comparison {symbol} between {describe(a)} and {describe(b)}")
    if _is_uint64(_stype(a)) and _is_signed_int(_stype(b)):
        return _compare_uint64_signed(self, symbol, a, b)
    if _is_uint64(_stype(b)) and _is_signed_int(_stype(a)):
        return _compare_uint64_signed(self, MIRRORED[symbol], b, a)
    try:
        common = comparison_type(_stype(a), _stype(b))
    except PromotionError as exc:
        raise self.error(str(exc)) from None
    x = self.coerce(a, common.type)
    y = self.coerce(b, common.type)
    value = self.builder.value(COMPARE_OPS[symbol], [x, y], T.bool_)
    return V.Scalar(value, _stype(a).weak and _stype(b).weak)


MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _is_uint64(s: SType) -> bool:
    return s.type == T.uint64 and not s.weak


def _is_signed_int(s: SType) -> bool:
    return s.type.is_int and (s.weak or s.type.is_signed)


def _compare_uint64_signed(self: FunctionTracer, symbol: str, unsigned: V.AbstractValue,
                           signed: V.AbstractValue) -> V.Scalar:
    """``unsigned <symbol> signed`` by value, as NumPy does (its exact uint64/int64
    comparison loops), not in a common type: a negative signed value is below every
    uint64, any other compares as a uint64."""
    u = self.coerce(unsigned, T.uint64)
    s = self.coerce(signed, T.int64)
    negative = self.builder.value(Op.LT, [s, self.builder.const(0, T.int64)], T.bool_)
    as_unsigned = self.builder.value(Op.CAST, [s], T.uint64)
    compared = self.builder.value(COMPARE_OPS[symbol], [u, as_unsigned], T.bool_)
    if symbol in ("<", "<=", "=="):
        not_negative = self.builder.value(Op.NOT, [negative], T.bool_)
        value = self.builder.value(Op.AND, [not_negative, compared], T.bool_)
    else:
        value = self.builder.value(Op.OR, [negative, compared], T.bool_)
    return V.Scalar(value, False)


def comparison_type(a: SType, b: SType) -> SType:
    """Where both operands are converted for a comparison.

    NumPy compares a Python int with a fixed-width int by value, so the pair is
    compared in int64 (a Python int is an int64 here) rather than wrapped to the
    narrower type first.
    """
    for weak, strong in ((a, b), (b, a)):
        if weak.weak and weak.type.is_int and not strong.weak and strong.type.is_int \
                and strong.type != T.uint64:
            return SType(T.int64)
    return common_type(a, b)


def unary(self: FunctionTracer, kind: str, a: V.AbstractValue) -> V.AbstractValue:
    if kind == "not":
        if isinstance(a, V.Const):
            return V.Const(not a.obj)
        if not V.is_numeric(a):
            raise self.error(f"'not' of {describe(a)} is not supported")
        value = self.builder.value(Op.NOT, [self.truth(a)], T.bool_)
        return V.Scalar(value, True)
    if not V.is_numeric(a):
        raise self.error(f"unsupported operand for unary {kind}: {describe(a)}")
    if isinstance(a, V.Const):
        fn = {"neg": operator.neg, "pos": operator.pos, "invert": operator.invert, "abs": abs}[kind]
        obj = a.obj
        if kind == "invert" and isinstance(obj, bool):
            obj = int(obj)
        return V.Const(_constant_eval(self, fn, obj))
    try:
        result = unary_result(kind, a.stype)
    except PromotionError as exc:
        raise self.error(str(exc)) from None
    x = self.coerce(a, result.type)
    if kind == "pos":
        return V.Scalar(x, result.weak)
    op = {"neg": Op.NEG, "invert": Op.INVERT, "abs": Op.ABS}[kind]
    return V.Scalar(self.builder.value(op, [x], result.type), result.weak)


FunctionTracer.binary = binary
FunctionTracer.compare = compare
FunctionTracer.unary = unary


@handler
def op_BINARY_OP(self, instr, state):
    b = state.stack.pop()
    a = state.stack.pop()
    if instr.arg not in BINARY_OPS:
        raise self.error(f"the operator {instr.arg} is not supported in kernels")
    state.stack.append(self.binary(instr.arg, a, b))


@handler
def op_COMPARE_OP(self, instr, state):
    b = state.stack.pop()
    a = state.stack.pop()
    state.stack.append(self.compare(instr.arg, a, b))


@handler
def op_UNARY(self, instr, state):
    state.stack.append(self.unary(instr.arg, state.stack.pop()))


@handler
def op_IS_OP(self, instr, state):
    b = state.stack.pop()
    a = state.stack.pop()
    if isinstance(a, V.Const) and isinstance(b, V.Const):
        result = a.obj is b.obj
    elif (isinstance(b, V.Const) and b.obj is None) or (isinstance(a, V.Const) and a.obj is None):
        result = False        # a traced value is never None
    else:
        raise self.error("'is' is only supported for comparisons with None and constants")
    state.stack.append(V.Const(result != bool(instr.arg)))


@handler
def op_CONTAINS_OP(self, instr, state):
    raise self.error("the 'in' operator is not supported in kernels",
                     hint="compare with == and combine with 'or'")


# ------------------------------------------------------------------ stack shuffles
@handler
def op_POP_TOP(self, instr, state):
    state.stack.pop()


@handler
def op_COPY(self, instr, state):
    state.stack.append(state.stack[-instr.arg])


@handler
def op_SWAP(self, instr, state):
    n = instr.arg
    state.stack[-1], state.stack[-n] = state.stack[-n], state.stack[-1]


@handler
def op_BUILD_TUPLE(self, instr, state):
    n = instr.arg
    items = tuple(state.stack[len(state.stack) - n:]) if n else ()
    del state.stack[len(state.stack) - n:]
    if all(isinstance(i, V.Const) for i in items):
        state.stack.append(V.Const(tuple(i.obj for i in items)))
    else:
        state.stack.append(V.Tuple(items))


def tuple_items(self: FunctionTracer, av: V.AbstractValue) -> tuple[V.AbstractValue, ...] | None:
    if isinstance(av, V.Tuple):
        return av.items
    if isinstance(av, V.Const) and isinstance(av.obj, tuple):
        return tuple(wrap_object(self, x) for x in av.obj)
    if isinstance(av, V.Shape):
        return tuple(self.array_dim(av.array, k) for k in range(av.array.type.ndim))
    return None


FunctionTracer.tuple_items = tuple_items


@handler
def op_UNPACK_SEQUENCE(self, instr, state):
    value = state.stack.pop()
    items = self.tuple_items(value)
    if items is None:
        raise self.error(f"cannot unpack {describe(value)}")
    if len(items) != instr.arg:
        raise self.error(f"cannot unpack {len(items)} values into {instr.arg} names")
    state.stack.extend(reversed(items))


# ------------------------------------------------------------------ arrays
def _index_list(self: FunctionTracer, index: V.AbstractValue) -> list[V.AbstractValue]:
    items = self.tuple_items(index) if not isinstance(index, V.Shape) else None
    return list(items) if items is not None else [index]


def _check_index(self: FunctionTracer, index: V.AbstractValue) -> V.AbstractValue:
    if not V.is_numeric(index):
        raise self.error(f"array indices must be integers, got {describe(index)}",
                         hint="slices are not supported in kernels; index one element at a time")
    stype = index.stype
    if not (stype.type.is_int or stype.type.is_bool) or stype.type.is_bool:
        raise self.error(f"array indices must be integers, got a {stype} value",
                         hint="convert with int(...)")
    return index


def subscript(self: FunctionTracer, container: V.AbstractValue, index: V.AbstractValue) -> V.AbstractValue:
    if isinstance(container, V.Shape):
        if not (isinstance(index, V.Const) and isinstance(index.obj, (int, np.integer))):
            raise self.error("shape index must be a constant")
        ndim = container.array.type.ndim
        axis = int(index.obj)
        if not -ndim <= axis < ndim:
            raise self.error(f"shape index {axis} is out of range for a {ndim}-d array")
        return self.array_dim(container.array, axis % ndim)
    if isinstance(container, (V.Array, V.ArrayRow)):
        array = container if isinstance(container, V.Array) else container.array
        prefix = [] if isinstance(container, V.Array) else list(container.indices)
        indices = prefix + [_check_index(self, i) for i in _index_list(self, index)]
        ndim = array.type.ndim
        if len(indices) > ndim:
            raise self.error(f"too many indices for a {ndim}-d array")
        if len(indices) < ndim:
            return V.ArrayRow(array, tuple(indices))
        values = [self.coerce(i, i.stype.type) if isinstance(i, V.Const) else i.value for i in indices]
        loaded = self.builder.value(Op.LOAD, [array.value, *values], array.type.dtype)
        return V.Scalar(loaded, False)
    items = self.tuple_items(container)
    if items is not None:
        if not (isinstance(index, V.Const) and isinstance(index.obj, (int, np.integer))):
            raise self.error("tuples can only be indexed by constants in kernels")
        try:
            return items[int(index.obj)]
        except IndexError:
            raise self.error("tuple index out of range") from None
    raise self.error(f"{describe(container)} is not subscriptable in kernels")


FunctionTracer.subscript = subscript


@handler
def op_BINARY_SUBSCR(self, instr, state):
    index = state.stack.pop()
    container = state.stack.pop()
    state.stack.append(self.subscript(container, index))


@handler
def op_STORE_SUBSCR(self, instr, state):
    index = state.stack.pop()
    container = state.stack.pop()
    value = state.stack.pop()
    if not isinstance(container, (V.Array, V.ArrayRow)):
        raise self.error(f"item assignment to {describe(container)} is not supported in kernels")
    array = container if isinstance(container, V.Array) else container.array
    prefix = [] if isinstance(container, V.Array) else list(container.indices)
    indices = prefix + [_check_index(self, i) for i in _index_list(self, index)]
    if len(indices) != array.type.ndim:
        raise self.error(f"a {array.type.ndim}-d array needs {array.type.ndim} indices to store "
                         f"an element, got {len(indices)}")
    if not V.is_numeric(value):
        raise self.error(f"cannot store {describe(value)} into an array element")
    values = [self.coerce(i, i.stype.type) if isinstance(i, V.Const) else i.value for i in indices]
    element = self.coerce(value, array.type.dtype)
    self.builder.emit(Op.STORE, [array.value, *values, element])


# ------------------------------------------------------------------ calls
@handler
def op_CALL(self, instr, state):
    argc = instr.arg
    args = state.stack[len(state.stack) - argc:] if argc else []
    del state.stack[len(state.stack) - argc:]
    func = state.stack.pop()
    nkw = len(instr.kwnames)
    positional = args[:len(args) - nkw]
    keywords = dict(zip(instr.kwnames, args[len(args) - nkw:]))
    state.stack.append(self.calls.call(func, positional, keywords))


# ------------------------------------------------------------------ iteration
@handler
def op_GET_ITER(self, instr, state):
    value = state.stack.pop()
    if isinstance(value, V.Range):
        state.stack.append(V.RangeIter(value.start, value.stop, value.step))
        return
    if isinstance(value, (V.RangeIter, V.TupleIter)):
        state.stack.append(value)
        return
    items = self.tuple_items(value)
    if items is not None:
        state.stack.append(V.TupleIter(tuple(items), 0))
        return
    raise self.error(f"cannot iterate over {describe(value)} in a kernel",
                     hint="loop with 'for i in range(n)' and index the array")


# ------------------------------------------------------------------ control flow
def _successor(self: FunctionTracer) -> Successor:
    return Successor(self.builder.block, [])


def _jump(self: FunctionTracer, target: int, state: State) -> None:
    succ = _successor(self)
    self.builder.emit(Op.BR, [], successors=[succ])
    self.branch_to(self._cfg_index_at(target), state, succ)


def _cond_jump(self: FunctionTracer, cond: ir.Value, true_target: int, true_state: State,
               false_target: int, false_state: State) -> None:
    t_succ, f_succ = _successor(self), _successor(self)
    self.builder.emit(Op.CBR, [cond], successors=[t_succ, f_succ])
    self.branch_to(self._cfg_index_at(true_target), true_state, t_succ)
    self.branch_to(self._cfg_index_at(false_target), false_state, f_succ)


def _cfg_index_at(self: FunctionTracer, instr_index: int) -> int:
    return self.block_at_start[instr_index]


FunctionTracer._cfg_index_at = _cfg_index_at


def _next_index(self: FunctionTracer, instr: Instr) -> int:
    return self.instr_position[id(instr)] + 1


@handler
def op_JUMP(self, instr, state):
    _jump(self, instr.target, state)
    return False


def _static_truth(self: FunctionTracer, value: V.AbstractValue) -> bool | None:
    if isinstance(value, V.Const):
        try:
            return bool(value.obj)
        except Exception:
            raise self.error(f"cannot use {describe(value)} as a condition") from None
    if V.is_numeric(value):
        return None
    if isinstance(value, V.Tuple):
        return len(value.items) > 0
    raise self.error(f"cannot use {describe(value)} as a condition")


def _pop_jump(self: FunctionTracer, instr: Instr, state: State, jump_if: bool):
    cond = state.stack.pop()
    here = _next_index(self, instr)
    static = _static_truth(self, cond)
    if static is not None:
        _jump(self, instr.target if static == jump_if else here, state)
        return False
    value = self.truth(cond)
    if jump_if:
        _cond_jump(self, value, instr.target, state, here, state.copy())
    else:
        _cond_jump(self, value, here, state, instr.target, state.copy())
    return False


@handler
def op_JUMP_IF_TRUE(self, instr, state):
    return _pop_jump(self, instr, state, True)


@handler
def op_JUMP_IF_FALSE(self, instr, state):
    return _pop_jump(self, instr, state, False)


def _none_jump(self: FunctionTracer, instr: Instr, state: State, jump_if_none: bool):
    value = state.stack.pop()
    is_none = isinstance(value, V.Const) and value.obj is None
    here = _next_index(self, instr)
    _jump(self, instr.target if is_none == jump_if_none else here, state)
    return False


@handler
def op_JUMP_IF_NONE(self, instr, state):
    return _none_jump(self, instr, state, True)


@handler
def op_JUMP_IF_NOT_NONE(self, instr, state):
    return _none_jump(self, instr, state, False)


def _or_pop_jump(self: FunctionTracer, instr: Instr, state: State, jump_if: bool):
    cond = state.stack[-1]
    here = _next_index(self, instr)
    popped = state.copy()
    popped.stack.pop()
    static = _static_truth(self, cond)
    if static is not None:
        if static == jump_if:
            _jump(self, instr.target, state)
        else:
            _jump(self, here, popped)
        return False
    value = self.truth(cond)
    if jump_if:
        _cond_jump(self, value, instr.target, state, here, popped)
    else:
        _cond_jump(self, value, here, popped, instr.target, state)
    return False


@handler
def op_JUMP_IF_TRUE_OR_POP(self, instr, state):
    return _or_pop_jump(self, instr, state, True)


@handler
def op_JUMP_IF_FALSE_OR_POP(self, instr, state):
    return _or_pop_jump(self, instr, state, False)


@handler
def op_FOR_ITER(self, instr, state):
    iterator = state.stack[-1]
    here = _next_index(self, instr)
    exit_state = state.copy()
    exit_state.stack.pop()
    if isinstance(iterator, V.TupleIter):
        if iterator.index >= len(iterator.items):
            _jump(self, instr.target, exit_state)
        else:
            body = state.copy()
            body.stack[-1] = V.TupleIter(iterator.items, iterator.index + 1)
            body.stack.append(iterator.items[iterator.index])
            _jump(self, here, body)
        return False
    if not isinstance(iterator, V.RangeIter):
        raise self.error(f"cannot iterate over {describe(iterator)} in a kernel")
    current, stop, step = iterator.current, iterator.stop, iterator.step
    if isinstance(step, V.Const):
        if step.obj == 0:
            raise self.error("range() step must not be zero")
        more = self.compare("<" if step.obj > 0 else ">", current, stop)
    else:
        zero = V.Const(0)
        up = self.truth(self.compare(">", step, zero))
        below = self.truth(self.compare("<", current, stop))
        above = self.truth(self.compare(">", current, stop))
        up_ok = self.builder.value(Op.AND, [up, below], T.bool_)
        down = self.builder.value(Op.NOT, [up], T.bool_)
        down_ok = self.builder.value(Op.AND, [down, above], T.bool_)
        more = V.Scalar(self.builder.value(Op.OR, [up_ok, down_ok], T.bool_), False)
    body = state.copy()
    body.stack[-1] = V.RangeIter(self.binary("+", current, step), stop, step)
    body.stack.append(current)
    static = _static_truth(self, more)
    if static is not None:
        _jump(self, here if static else instr.target, body if static else exit_state)
        return False
    _cond_jump(self, self.truth(more), here, body, instr.target, exit_state)
    return False


@handler
def op_RETURN_VALUE(self, instr, state):
    value = state.stack.pop()
    if self.is_kernel:
        if not (isinstance(value, V.Const) and value.obj is None):
            raise self.error("a kernel cannot return a value",
                             hint="write results into an output array argument")
        self.builder.ret()
        return False
    if not (V.is_numeric(value) or isinstance(value, V.Tuple)
            or (isinstance(value, V.Const) and (value.obj is None or isinstance(value.obj, tuple)))):
        raise self.error(f"a device function can't return {describe(value)}",
                         hint="return numbers or tuples of numbers")
    if isinstance(value, V.Const) and isinstance(value.obj, tuple):
        value = V.Tuple(tuple(wrap_object(self, x) for x in value.obj))
    if isinstance(value, V.Tuple) and not all(V.is_numeric(i) for i in value.items):
        raise self.error("a device function can only return numbers or tuples of numbers")
    succ = _successor(self)
    self.builder.emit(Op.BR, [], successors=[succ])
    self.branch_to(EXIT, State({}, [value]), succ)
    return False


@handler
def op_UNSUPPORTED(self, instr, state):
    raise self.error(f"{instr.arg} are not supported in kernels"
                     if instr.arg.endswith("s") and not instr.arg.startswith("the ")
                     else f"{instr.arg} is not supported in kernels",
                     hint=UNSUPPORTED_HINTS.get(instr.arg))


UNSUPPORTED_HINTS = {
    "try/except/finally": "kernels can't raise or catch exceptions; check conditions with if",
    "try/except": "kernels can't raise or catch exceptions; check conditions with if",
    "lists": "use a tuple, or an array argument",
    "dicts": "use separate variables or a tuple",
    "f-strings": "print values with print('label', value)",
    "slices": "index one element at a time in a loop",
    "nested functions and lambdas": "define a @simt.device function at module level",
    "raise statements": "kernels can't raise exceptions; write an error flag into an array",
    "assert statements": "kernels can't raise exceptions; write an error flag into an array",
    "assigning to a global": "write results into an array argument",
    "generators (yield)": "write results into an array argument",
}
