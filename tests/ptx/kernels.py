"""Hand-built IR kernels for the PTX backend tests (the tracer is not needed)."""
from __future__ import annotations

from simt.ir import ArrayType, Builder, Function, Op, SourceLoc, Value  # noqa: F401 (re-exported)
from simt.ir.ops import (BINARY, COMPARE, INT_ONLY_BINARY, MATH_BINARY, MATH_UNARY,
                         PREDICATES, UNARY)
from simt.ir.types import SCALAR_TYPES, ScalarType, bool_, float32, float64, int32, int64

FILE = "kernels.py"


def at(builder: Builder, line: int, col: int = 4) -> None:
    builder.loc = SourceLoc(FILE, line, col, function="k")


def global_index(b: Builder) -> Value:
    tid = b.value(Op.THREAD_IDX, [], int32, {"axis": 0})
    bid = b.value(Op.BLOCK_IDX, [], int32, {"axis": 0})
    bdim = b.value(Op.BLOCK_DIM, [], int32, {"axis": 0})
    return b.value(Op.ADD, [b.value(Op.MUL, [bid, bdim], int32), tid], int32)


def saxpy() -> Function:
    """out[i] = a * x[i] + y[i] for i < len(x)."""
    arr = ArrayType(float32, 1)
    fn = Function("saxpy", ["a", "x", "y", "out"], [float32, arr, arr, arr])
    a, x, y, out = fn.args
    b = Builder(fn)
    at(b, 2)
    i = global_index(b)
    n = b.value(Op.ARRAY_DIM, [x], int64, {"axis": 0})
    inside = b.value(Op.LT, [b.value(Op.CAST, [i], int64), n], bool_)
    body, done = fn.new_block("body"), fn.new_block("done")
    b.cbr(inside, body, [], done, [])
    b.set_block(body)
    at(b, 4)
    r = b.value(Op.ADD, [b.value(Op.MUL, [a, b.value(Op.LOAD, [x, i], float32)], float32),
                         b.value(Op.LOAD, [y, i], float32)], float32)
    b.emit(Op.STORE, [out, i, r])
    b.br(done)
    b.set_block(done)
    at(b, 5)
    b.ret()
    return fn


def sum_loop() -> Function:
    """out[0] = sum(x[k] for k in range(len(x))): a loop carrying block params."""
    arr = ArrayType(float64, 1)
    fn = Function("sum_loop", ["x", "out"], [arr, arr])
    x, out = fn.args
    b = Builder(fn)
    at(b, 2)
    n = b.value(Op.ARRAY_DIM, [x], int64, {"axis": 0})
    head, body, done = fn.new_block("head"), fn.new_block("body"), fn.new_block("done")
    k0, s0 = b.const(0, int64), b.const(0.0, float64)
    b.br(head, [k0, s0])
    k, s = head.add_param(int64, "k"), head.add_param(float64, "s")
    b.set_block(head)
    at(b, 3)
    b.cbr(b.value(Op.LT, [k, n], bool_), body, [], done, [s])
    b.set_block(body)
    at(b, 4)
    s2 = b.value(Op.ADD, [s, b.value(Op.LOAD, [x, k], float64)], float64)
    k2 = b.value(Op.ADD, [k, b.const(1, int64)], int64)
    b.br(head, [k2, s2])
    total = done.add_param(float64, "total")
    b.set_block(done)
    at(b, 5)
    b.emit(Op.STORE, [out, b.const(0, int64), total])
    b.ret()
    return fn


def swap_loop() -> Function:
    """A loop whose branch swaps two block params (a parallel copy with a cycle)."""
    arr = ArrayType(int32, 1)
    fn = Function("swap_loop", ["out", "n"], [arr, int32])
    out, n = fn.args
    b = Builder(fn)
    at(b, 2)
    head, body, done = fn.new_block("head"), fn.new_block("body"), fn.new_block("done")
    b.br(head, [b.const(0, int32), b.const(1, int32), b.const(2, int32)])
    k, u, v = (head.add_param(int32, name) for name in ("k", "u", "v"))
    b.set_block(head)
    b.cbr(b.value(Op.LT, [k, n], bool_), body, [], done, [])
    b.set_block(body)
    b.br(head, [b.value(Op.ADD, [k, b.const(1, int32)], int32), v, u])
    b.set_block(done)
    b.emit(Op.STORE, [out, b.const(0, int32), u])
    b.emit(Op.STORE, [out, b.const(1, int32), v])
    b.ret()
    return fn


def if_else() -> Function:
    """out[i] = x[i] * 2 if x[i] > 0 else -x[i]: a join with a block param."""
    arr = ArrayType(int32, 1)
    fn = Function("if_else", ["x", "out"], [arr, arr])
    x, out = fn.args
    b = Builder(fn)
    at(b, 2)
    i = global_index(b)
    xi = b.value(Op.LOAD, [x, i], int32)
    then, other, join = fn.new_block("then"), fn.new_block("else"), fn.new_block("join")
    b.cbr(b.value(Op.GT, [xi, b.const(0, int32)], bool_), then, [], other, [])
    b.set_block(then)
    at(b, 3)
    b.br(join, [b.value(Op.MUL, [xi, b.const(2, int32)], int32)])
    b.set_block(other)
    at(b, 5)
    b.br(join, [b.value(Op.NEG, [xi], int32)])
    r = join.add_param(int32, "r")
    b.set_block(join)
    at(b, 6)
    b.emit(Op.STORE, [out, i, r])
    b.ret()
    return fn


def copy_nd(ndim: int, dtype: ScalarType = float32) -> Function:
    """out[i, j, ...] = x[i, -1 - j, ...] over the thread grid (negative index wraps)."""
    arr = ArrayType(dtype, ndim)
    fn = Function(f"copy_{ndim}d", ["x", "out"], [arr, arr])
    x, out = fn.args
    b = Builder(fn)
    at(b, 2)
    idx = [b.value(Op.THREAD_IDX, [], int32, {"axis": a}) for a in range(ndim)]
    src = list(idx)
    if ndim > 1:
        src[1] = b.value(Op.SUB, [b.const(-1, int32), idx[1]], int32)
    b.emit(Op.STORE, [out, *idx, b.value(Op.LOAD, [x, *src], dtype)])
    b.ret()
    return fn


def print_kernel() -> Function:
    fn = Function("show", ["a", "f", "flag", "big"], [int32, float32, bool_, ArrayType(int64, 1)])
    a, f, flag, big = fn.args
    b = Builder(fn)
    at(b, 2)
    v = b.value(Op.LOAD, [big, b.const(0, int32)], int64)
    b.emit(Op.PRINT, [a, f, flag, v],
           attrs={"parts": ["a=", None, "f=", None, "100%", None, None]})
    b.emit(Op.PRINT, [], attrs={"parts": ["hello"]})
    b.emit(Op.PRINT, [], attrs={"parts": []})
    b.ret()
    return fn


def op_kernel(op: Op, t: ScalarType) -> Function:
    """out[i] = op(a[i], b[i], ...) for one op on one dtype (the operand arrays are t)."""
    arity = 3 if op is Op.FMA else (2 if op in BINARY | COMPARE | MATH_BINARY else 1)
    if op is Op.SELECT:
        arity = 3
    result_type = bool_ if op in COMPARE | PREDICATES else t
    names = ["a", "b", "c"][:arity]
    in_types = [ArrayType(t, 1)] * arity
    if op is Op.SELECT:
        in_types = [ArrayType(bool_, 1), ArrayType(t, 1), ArrayType(t, 1)]
    fn = Function(f"{op.value}_{t}", [*names, "out"], [*in_types, ArrayType(result_type, 1)])
    *ins, out = fn.args
    b = Builder(fn)
    at(b, 7)
    i = b.value(Op.THREAD_IDX, [], int32, {"axis": 0})
    operands = [b.value(Op.LOAD, [arr, i], arr.type.dtype) for arr in ins]
    b.emit(Op.STORE, [out, i, b.value(op, operands, result_type)])
    b.ret()
    return fn


def cast_kernel(src: ScalarType, dst: ScalarType) -> Function:
    fn = Function(f"cast_{src}_{dst}", ["a", "out"], [ArrayType(src, 1), ArrayType(dst, 1)])
    a, out = fn.args
    b = Builder(fn)
    i = b.value(Op.THREAD_IDX, [], int32, {"axis": 0})
    x = b.value(Op.LOAD, [a, i], src)
    b.emit(Op.STORE, [out, i, b.value(Op.CAST, [x], dst)])
    b.ret()
    return fn


def types_for(op: Op) -> list[ScalarType]:
    """The dtypes an op applies to (NumPy would accept them)."""
    floats = [t for t in SCALAR_TYPES if t.is_float]
    ints = [t for t in SCALAR_TYPES if t.is_int]
    if op in MATH_UNARY | MATH_BINARY | PREDICATES | {Op.FMA, Op.TRUEDIV}:
        return floats
    if op in INT_ONLY_BINARY or op is Op.INVERT:
        return ints + ([bool_] if op is Op.INVERT else [])
    if op is Op.NOT:
        return [bool_]
    if op in (Op.AND, Op.OR, Op.XOR):
        return ints + [bool_]
    if op in BINARY | UNARY | COMPARE or op is Op.SELECT:
        return list(SCALAR_TYPES)
    raise ValueError(op)


def all_op_kernels(skip: frozenset[Op] = frozenset()) -> list[Function]:
    ops = sorted(BINARY | UNARY | COMPARE | MATH_UNARY | MATH_BINARY | PREDICATES
                 | {Op.FMA, Op.SELECT}, key=lambda o: o.value)
    return [op_kernel(op, t) for op in ops if op not in skip for t in types_for(op)]
