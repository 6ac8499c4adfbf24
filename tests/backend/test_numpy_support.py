"""Helpers for the numpy backend tests: build kernels by hand with ``simt.ir.Builder``
(the tracer is developed separately). This module holds no tests itself."""
from __future__ import annotations

from typing import Any

import numpy as np

from simt.ir import ArrayType, Builder, Function, Op, SourceLoc, Value
from simt.ir.types import ScalarType, bool_, float32 as f32, int32, int64

FILENAME = "kernels.py"


class KernelBuilder(Builder):
    """A ``Builder`` with shorthand for the ops tests need; ``line(n)`` sets the
    source position of the following ops."""

    def __init__(self, name: str, params: list[tuple[str, Any]]):
        super().__init__(Function(name, [p[0] for p in params], [p[1] for p in params]))
        self.arg = {v.name: v for v in self.function.args}

    def line(self, number: int) -> KernelBuilder:
        self.loc = SourceLoc(FILENAME, number, 4, 10, function=self.function.name)
        return self

    def c(self, value: Any, type: ScalarType) -> Value:
        return self.const(value, type)

    def op(self, op: Op, *operands: Value, type: Any = None, **attrs: Any) -> Value:
        if type is None:
            type = bool_ if op in (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE, Op.ISNAN, Op.ISINF,
                                   Op.ISFINITE) else operands[-1].type
        return self.value(op, list(operands), type, attrs or None)

    def cast(self, value: Value, type: ScalarType) -> Value:
        return self.value(Op.CAST, [value], type)

    def special(self, op: Op, axis: int = 0) -> Value:
        return self.value(op, [], int32, {"axis": axis})

    def global_id(self, axis: int = 0) -> Value:
        """``blockIdx * blockDim + threadIdx`` along ``axis`` (int32, like ``simt.grid``)."""
        block = self.special(Op.BLOCK_IDX, axis)
        dim = self.special(Op.BLOCK_DIM, axis)
        thread = self.special(Op.THREAD_IDX, axis)
        return self.op(Op.ADD, self.op(Op.MUL, block, dim), thread)

    def dim(self, array: Value, axis: int = 0) -> Value:
        return self.value(Op.ARRAY_DIM, [array], int64, {"axis": axis})

    def load(self, array: Value, *indices: Value) -> Value:
        return self.value(Op.LOAD, [array, *indices], array.type.dtype)

    def store(self, array: Value, *indices_and_value: Value) -> None:
        self.emit(Op.STORE, [array, *indices_and_value])

    def print(self, *parts: Any) -> None:
        values = [p for p in parts if isinstance(p, Value)]
        spec = tuple(None if isinstance(p, Value) else p for p in parts)
        self.emit(Op.PRINT, values, attrs={"parts": spec})


def array(dtype: ScalarType, ndim: int = 1) -> ArrayType:
    return ArrayType(dtype, ndim)


def saxpy_kernel(dtype: ScalarType) -> Function:
    """``i = grid(1); if i < len(out): out[i] = a * x[i] + y[i]``."""
    k = KernelBuilder("saxpy", [("a", dtype), ("x", array(dtype)), ("y", array(dtype)),
                                ("out", array(dtype))])
    a, x, y, out = (k.arg[n] for n in ("a", "x", "y", "out"))
    k.line(3)
    i = k.cast(k.global_id(), int64)
    body, done = k.function.new_block("body"), k.function.new_block("done")
    k.cbr(k.op(Op.LT, i, k.dim(out)), body, [], done, [])
    k.set_block(body)
    k.line(4)
    k.store(out, i, k.op(Op.ADD, k.op(Op.MUL, a, k.load(x, i)), k.load(y, i)))
    k.br(done)
    k.set_block(done)
    k.ret()
    return k.function


def mandelbrot_kernel(max_iterations: int) -> Function:
    """Escape-time Mandelbrot over a 2-D float32 grid, one thread per pixel, 1-D launch:
    ``while i < max_iterations and zr*zr + zi*zi < 4: ...`` (a divergent loop)."""
    k = KernelBuilder("mandelbrot", [("counts", array(int32, 2)), ("x0", f32), ("y0", f32), ("step", f32)])
    counts, x0, y0, step = (k.arg[n] for n in ("counts", "x0", "y0", "step"))
    f = k.function
    k.line(10)
    p = k.global_id()
    width = k.cast(k.dim(counts, 1), int32)
    height = k.cast(k.dim(counts, 0), int32)
    row = k.op(Op.FLOORDIV, p, width)
    col = k.op(Op.MOD, p, width)
    inside, header, body, exit_, done = (f.new_block(n) for n in ("inside", "header", "body", "exit", "done"))
    k.cbr(k.op(Op.LT, p, k.op(Op.MUL, width, height)), inside, [], done, [])
    k.set_block(inside)
    cr = k.op(Op.ADD, x0, k.op(Op.MUL, k.cast(col, f32), step))
    ci = k.op(Op.ADD, y0, k.op(Op.MUL, k.cast(row, f32), step))
    zero = k.c(0.0, f32)
    k.br(header, [k.c(0, int32), zero, zero])
    i = header.add_param(int32, "i")
    zr = header.add_param(f32, "zr")
    zi = header.add_param(f32, "zi")
    k.set_block(header)
    k.line(11)
    more = k.op(Op.LT, i, k.c(max_iterations, int32))
    small = k.op(Op.LT, k.op(Op.ADD, k.op(Op.MUL, zr, zr), k.op(Op.MUL, zi, zi)), k.c(4.0, f32))
    k.cbr(k.op(Op.AND, more, small), body, [], exit_, [])
    k.set_block(body)
    k.line(12)
    new_zr = k.op(Op.ADD, k.op(Op.SUB, k.op(Op.MUL, zr, zr), k.op(Op.MUL, zi, zi)), cr)
    new_zi = k.op(Op.ADD, k.op(Op.MUL, k.op(Op.MUL, k.c(2.0, f32), zr), zi), ci)
    k.br(header, [k.op(Op.ADD, i, k.c(1, int32)), new_zr, new_zi])
    k.set_block(exit_)
    k.line(13)
    k.store(counts, row, col, i)
    k.br(done)
    k.set_block(done)
    k.ret()
    return f


# -- a per-thread reference --------------------------------------------------------

def reference_launch(function: Function, grid: tuple, block: tuple, args: list) -> list[str]:
    """Run ``function`` once per thread, in global linear thread order, one op at a
    time with NumPy scalars: the definition the lockstep interpreter must match.
    Pure ops use ``evaluate_constant`` (their semantics are tested separately), so
    this checks scheduling, divergence, reconvergence and addressing. Returns the
    printed lines."""
    from simt.backends.numpy import evaluate_constant
    from simt.ir.errors import KernelRuntimeError

    lines: list[str] = []
    threads_per_block = block[0] * block[1] * block[2]
    with np.errstate(all="ignore"):
        for block_id in range(grid[0] * grid[1] * grid[2]):
            block_idx = _unravel(block_id, grid)
            for thread_id in range(threads_per_block):
                thread_idx = _unravel(thread_id, block)
                registers = {Op.THREAD_IDX: thread_idx, Op.BLOCK_IDX: block_idx,
                             Op.BLOCK_DIM: block, Op.GRID_DIM: grid}
                env: dict = dict(zip(function.args, args))
                current, incoming = function.entry, []
                while current is not None:
                    for param, value in zip(current.params if current is not function.entry else [],
                                            incoming):
                        env[param] = value
                    current, incoming = _run_block(current, env, registers, thread_id, lines,
                                                   evaluate_constant, KernelRuntimeError)
    return lines


def _run_block(block, env, registers, thread_id, lines, evaluate_constant, error_type):
    for operation in block.ops:
        op, values = operation.op, [env[v] for v in operation.operands]
        result = None
        if op in registers:
            result = np.int32(registers[op][operation.attrs["axis"]])
        elif op is Op.LANE_ID:
            result = np.int32(thread_id % 32)
        elif op is Op.ARRAY_DIM:
            result = np.int64(values[0].shape[operation.attrs["axis"]])
        elif op in (Op.LOAD, Op.STORE):
            array = values[0]
            count = array.ndim
            index = tuple(_wrap_index(int(i), d, error_type) for i, d in zip(values[1:1 + count], array.shape))
            if op is Op.LOAD:
                result = array[index]
            else:
                array[index] = values[-1]
        elif op is Op.PRINT:
            pending = iter(values)
            lines.append(" ".join(str(next(pending)) if p is None else p for p in operation.attrs["parts"]))
        elif op is Op.BR:
            successor = operation.successors[0]
            return successor.block, [env[v] for v in successor.args]
        elif op is Op.CBR:
            successor = operation.successors[0 if values[0] else 1]
            return successor.block, [env[v] for v in successor.args]
        elif op is Op.RET:
            return None, []
        else:
            result = evaluate_constant(op, values, operation.result.type, operation.attrs)
            assert result is not None, op
        if operation.result is not None:
            env[operation.result] = result
    raise AssertionError(f"block {block.label} has no terminator")


def _wrap_index(i: int, dim: int, error_type) -> int:
    wrapped = i + dim if i < 0 else i
    if not 0 <= wrapped < dim:
        raise error_type(f"index {i} out of bounds for size {dim}")
    return wrapped


def _unravel(linear: int, dims: tuple) -> tuple[int, int, int]:
    return (linear % dims[0], (linear // dims[0]) % dims[1], linear // (dims[0] * dims[1]))
