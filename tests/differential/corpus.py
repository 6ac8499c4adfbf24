"""Kernels that cover the kernel language, with input recipes.

Each ``Case`` names a kernel, its launch and how to draw its arguments; the
differential tests run every case on the CPython oracle and on each target and
compare the outputs. Inputs include edge values (0, -1, min/max ints, NaN, inf,
-0.0, denormals).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import simt
from simt import cuda


@dataclass
class Case:
    name: str
    kernel: Any                      # a simt Dispatcher
    grid: Any
    block: Any
    args: Callable[[], st.SearchStrategy]   # strategy of the argument list
    ulp: int = 0                     # allowed ulp difference (transcendentals only)
    tags: tuple[str, ...] = field(default_factory=tuple)


def floats(dtype, n, **kw):
    return hnp.arrays(dtype, n, elements=st.floats(width=np.dtype(dtype).itemsize * 8, **kw))


def ints(dtype, n, min_value=None, max_value=None):
    info = np.iinfo(dtype)
    lo = info.min if min_value is None else min_value
    hi = info.max if max_value is None else max_value
    edge = st.sampled_from([v for v in (0, -1, 1, info.min, info.max, info.min + 1, info.max - 1)
                            if lo <= v <= hi])
    return hnp.arrays(dtype, n, elements=st.one_of(edge, st.integers(lo, hi)))


def zeros(dtype, shape):
    return st.just(np.zeros(shape, dtype))


def args(*strategies):
    return st.tuples(*strategies).map(list)


CASES: list[Case] = []


def case(grid, block, args_fn, ulp=0, tags=()):
    def register(fn):
        kernel = fn if isinstance(fn, simt.Dispatcher) else simt.kernel(fn)
        CASES.append(Case(kernel.__name__, kernel, grid, block, args_fn, ulp, tags))
        return kernel
    return register


N = 64
ALL_INT = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
ALL_FLOAT = [np.float16, np.float32, np.float64]


# --------------------------------------------------------------------- basics
@case(2, 32, lambda: args(st.floats(-10, 10, width=32).map(np.float32), floats(np.float32, N),
                          floats(np.float32, N), zeros(np.float32, N)))
def saxpy(a, x, y, out):
    i = simt.grid(1)
    if i < x.shape[0]:
        out[i] = a * x[i] + y[i]


@case((3, 2), (4, 5), lambda: args(floats(np.float64, (12, 10)), zeros(np.float64, (12, 10))))
def two_d(x, out):
    i, j = simt.grid(2)
    if i < x.shape[0] and j < x.shape[1]:
        out[i, j] = x[i, j] * 2 - x[i][j] / 3


@case((2, 1, 2), (2, 3, 2), lambda: args(ints(np.int32, (4, 3, 4)), zeros(np.int64, (4, 3, 4))))
def three_d(x, out):
    i = simt.blockIdx.x * simt.blockDim.x + simt.threadIdx.x
    j = simt.threadIdx.y
    k = simt.blockIdx.z * simt.blockDim.z + simt.threadIdx.z
    out[i, j, k] = x[i, j, k] + i * 100 + j * 10 + k + simt.gridDim.z * simt.blockDim.y


@case(1, 64, lambda: args(zeros(np.int32, (64, 6))))
def launch_geometry(out):
    t = cuda.threadIdx.x
    out[t, 0] = cuda.grid(1)
    out[t, 1] = cuda.gridsize(1)
    out[t, 2] = cuda.laneid
    out[t, 3] = cuda.warpsize
    out[t, 4] = len(out)
    out[t, 5] = out.size + out.ndim


# --------------------------------------------------------------------- arithmetic per dtype
def _arith(x, y, out):
    i = simt.grid(1)
    a = x[i]
    b = y[i]
    out[i, 0] = a + b
    out[i, 1] = a - b
    out[i, 2] = a * b
    out[i, 3] = -a
    out[i, 4] = abs(a)
    out[i, 5] = min(a, b)
    out[i, 6] = max(a, b)
    out[i, 7] = a + 1
    out[i, 8] = a * 3


for _dtype in ALL_INT + ALL_FLOAT:
    _name = np.dtype(_dtype).name
    _strategy = ints if np.dtype(_dtype).kind in "iu" else floats
    _k = simt.kernel(type(_arith)(_arith.__code__, _arith.__globals__, f"arith_{_name}"))
    _k.__name__ = f"arith_{_name}"
    CASES.append(Case(f"arith_{_name}", _k, 1, N,
                      (lambda s=_strategy, d=_dtype: args(s(d, N), s(d, N), zeros(d, (N, 9))))))


def _intdiv(x, y, out):
    i = simt.grid(1)
    a = x[i]
    b = y[i]
    out[i, 0] = a // b
    out[i, 1] = a % b
    out[i, 2] = a & b
    out[i, 3] = a | b
    out[i, 4] = a ^ b
    out[i, 5] = ~a
    out[i, 6] = a << (b & 7)
    out[i, 7] = a >> (b & 7)


for _dtype in ALL_INT:
    _name = np.dtype(_dtype).name
    _k = simt.kernel(type(_intdiv)(_intdiv.__code__, _intdiv.__globals__, f"intops_{_name}"))
    CASES.append(Case(f"intops_{_name}", _k, 1, N,
                      (lambda d=_dtype: args(ints(d, N), ints(d, N), zeros(d, (N, 8))))))


@case(1, N, lambda: args(ints(np.int32, N), ints(np.int32, N, 0, 40), zeros(np.int32, (N, 4))))
def shifts_past_width(x, s, out):
    i = simt.grid(1)
    out[i, 0] = x[i] << s[i]
    out[i, 1] = x[i] >> s[i]
    out[i, 2] = x[i] << 33
    out[i, 3] = x[i] >> 40


@case(1, N, lambda: args(floats(np.float64, N), floats(np.float64, N), zeros(np.float64, (N, 4))))
def float_division(x, y, out):
    i = simt.grid(1)
    out[i, 0] = x[i] / y[i]
    out[i, 1] = x[i] // y[i]
    out[i, 2] = x[i] % y[i]
    out[i, 3] = math.sqrt(abs(x[i]))


@case(1, N, lambda: args(floats(np.float32, N), floats(np.float32, N), zeros(np.float32, (N, 4))))
def float32_division(x, y, out):
    i = simt.grid(1)
    out[i, 0] = x[i] / y[i]
    out[i, 1] = x[i] // y[i]
    out[i, 2] = x[i] % y[i]
    out[i, 3] = math.sqrt(abs(x[i]))


@case(1, N, lambda: args(ints(np.int32, N), ints(np.int16, N), zeros(np.float64, (N, 3))))
def true_division_of_ints(x, y, out):
    i = simt.grid(1)
    out[i, 0] = x[i] / 7
    out[i, 1] = x[i] / (y[i] | 1)
    out[i, 2] = (i + 1) / 2


# Float ** is a transcendental function (C pow is not correctly rounded, NumPy's
# vector pow differs from it by 1 ulp on some inputs): compared within 1 ulp.
@case(1, N, lambda: args(floats(np.float32, N), ints(np.int8, N, -3, 3), zeros(np.float32, (N, 3)),
                         zeros(np.int32, (N, 2))), ulp=1)
def powers(x, e, out, iout):
    i = simt.grid(1)
    out[i, 0] = x[i] ** 2
    out[i, 1] = x[i] ** 0.5
    out[i, 2] = abs(x[i]) ** e[i]
    iout[i, 0] = e[i] ** 3
    iout[i, 1] = (i % 5) ** abs(e[i])


@case(1, N, lambda: args(ints(np.int8, N), ints(np.uint16, N), floats(np.float16, N),
                         zeros(np.float64, (N, 5))))
def mixed_promotion(a, b, h, out):
    i = simt.grid(1)
    out[i, 0] = a[i] + b[i]          # int8 + uint16 -> int32
    out[i, 1] = h[i] * 2             # float16 stays float16
    out[i, 2] = h[i] + a[i]          # float16 + int8 -> float16
    out[i, 3] = b[i] * 0.5           # weak float -> float64
    out[i, 4] = a[i] * 100           # weak int -> int8 (wraps)


# --------------------------------------------------------------------- comparisons, logic
@case(1, N, lambda: args(floats(np.float32, N), floats(np.float32, N), zeros(np.bool_, (N, 8))))
def comparisons_with_nan(x, y, out):
    i = simt.grid(1)
    a = x[i]
    b = y[i]
    out[i, 0] = a < b
    out[i, 1] = a <= b
    out[i, 2] = a > b
    out[i, 3] = a >= b
    out[i, 4] = a == b
    out[i, 5] = a != b
    out[i, 6] = -1.0 < a < b
    out[i, 7] = not (a < b)


@case(1, N, lambda: args(ints(np.int32, N), ints(np.int32, N), zeros(np.int32, (N, 5))))
def short_circuit(x, y, out):
    i = simt.grid(1)
    a = x[i]
    b = y[i]
    out[i, 0] = 1 if a > 0 and b > 0 else 0
    out[i, 1] = 1 if a > 0 or b > 0 else 0
    out[i, 2] = 1 if not a else 2
    out[i, 3] = a if a > b else b
    c = a and b
    d = a or b
    out[i, 4] = c + d


@case(1, N, lambda: args(floats(np.float64, N), zeros(np.int64, (N, 3)), zeros(np.float32, (N, 3))))
def casts(x, iout, fout):
    i = simt.grid(1)
    v = x[i]
    iout[i, 0] = int(v) if -1e18 < v < 1e18 else 7
    iout[i, 1] = bool(v)
    iout[i, 2] = np.int32(i) * 3
    fout[i, 0] = np.float32(v)
    fout[i, 1] = float(i) / 3
    fout[i, 2] = np.float32(i) / np.float32(3)


# --------------------------------------------------------------------- control flow
@case(2, 32, lambda: args(ints(np.int32, N, -50, 50), zeros(np.int32, N)))
def if_elif_else(x, out):
    i = simt.grid(1)
    v = x[i]
    if v < -10:
        r = -1
    elif v < 0:
        r = 0
    elif v == 0:
        r = 100
    else:
        r = v * 2
    out[i] = r


@case(1, N, lambda: args(ints(np.int32, N, 0, 20), zeros(np.int64, (N, 4))))
def range_loops(n, out):
    i = simt.grid(1)
    s = 0
    for k in range(n[i]):
        s += k
    out[i, 0] = s
    t = 0
    for k in range(n[i], 0, -3):
        t = t * 2 + k
    out[i, 1] = t
    u = 0
    for k in range(2, n[i], 2):
        for m in range(k):
            u += m
    out[i, 2] = u
    step = -1 if n[i] % 2 else 2
    w = 0
    for k in range(5, n[i] - 5, step):
        w += k
    out[i, 3] = w


@case(1, N, lambda: args(ints(np.int32, N, 1, 1000), zeros(np.int32, (N, 2))))
def while_loops(x, out):
    i = simt.grid(1)
    v = x[i]
    steps = 0
    while v != 1:
        if v % 2 == 0:
            v //= 2
        else:
            v = 3 * v + 1
        steps += 1
        if steps > 200:
            break
    out[i, 0] = steps
    k = 0
    while True:
        k += 1
        if k * k > x[i]:
            break
        if k % 3 == 0:
            continue
        out[i, 1] += k


@case(2, 32, lambda: args(ints(np.int32, N, -5, 5), zeros(np.int32, N)))
def early_return(x, out):
    i = simt.grid(1)
    if x[i] < 0:
        return
    out[i] = 1
    for k in range(10):
        if k == x[i]:
            out[i] = 10 + k
            return
    out[i] = 2


@case(1, N, lambda: args(floats(np.float32, N, min_value=-4, max_value=4), zeros(np.float32, N)))
def accumulate_changes_type(x, out):
    i = simt.grid(1)
    s = 0
    for k in range(3):
        s += x[(i + k) % x.shape[0]]
    out[i] = s


@case(1, N, lambda: args(ints(np.int32, N, 0, 10), zeros(np.int32, N)))
def maybe_unassigned(x, out):
    i = simt.grid(1)
    last = 0
    for k in range(x[i]):
        last = k * 2
    out[i] = last


# --------------------------------------------------------------------- tuples, globals, device fns
SCALE = 3
WEIGHTS = (1.0, 0.5, 0.25)


@case(1, N, lambda: args(floats(np.float32, N, min_value=-100, max_value=100), zeros(np.float32, N)))
def const_tuple_loop(x, out):
    i = simt.grid(1)
    acc = np.float32(0)
    for w in WEIGHTS:
        acc += x[i] * w
    lo, hi = (x[i], acc) if x[i] < acc else (acc, x[i])
    out[i] = hi - lo + SCALE


@simt.device
def divmod_pair(a, b):
    return a // b, a % b


@cuda.jit(device=True)
def clamp(v, lo, hi):
    return max(lo, min(v, hi))


@case(1, N, lambda: args(ints(np.int32, N), ints(np.int32, N, 1, 100), zeros(np.int32, (N, 3))))
def device_functions(x, y, out):
    i = simt.grid(1)
    q, r = divmod_pair(x[i], y[i])
    out[i, 0] = q
    out[i, 1] = r
    out[i, 2] = clamp(x[i], -10, hi=10)


def make_closure_kernel(offset):
    @simt.kernel
    def closure_kernel(x, out):
        i = simt.grid(1)
        out[i] = x[i] + offset
    return closure_kernel


CASES.append(Case("closure_kernel", make_closure_kernel(5), 1, N,
                  lambda: args(ints(np.int64, N), zeros(np.int64, N))))


@case(2, 32, lambda: args(ints(np.int32, N), zeros(np.int32, N)))
def negative_index_wrap(x, out):
    i = simt.grid(1)
    out[-1 - i] = x[i - x.shape[0]]


@case(1, N, lambda: args(floats(np.float64, (N, 4)), zeros(np.float64, (N, 4))))
def augmented_elements(x, out):
    i = simt.grid(1)
    for j in range(4):
        out[i, j] += x[i, j]
        out[i][j] *= 2
        out[i, j] -= 1


# --------------------------------------------------------------------- math
MATH_RANGE = dict(min_value=-20, max_value=20)


@case(1, N, lambda: args(floats(np.float32, N, **MATH_RANGE), zeros(np.float32, (N, 12))), ulp=2)
def math_float32(x, out):
    i = simt.grid(1)
    v = x[i]
    out[i, 0] = math.exp(v)
    out[i, 1] = math.log(abs(v) + 1)
    out[i, 2] = math.sin(v)
    out[i, 3] = math.cos(v)
    out[i, 4] = math.tanh(v)
    out[i, 5] = math.atan2(v, 2.0)
    out[i, 6] = math.hypot(v, 3.0)
    out[i, 7] = math.copysign(1.5, v)
    out[i, 8] = math.floor(v) + math.ceil(v) + math.trunc(v)
    out[i, 9] = math.fabs(v)
    out[i, 10] = math.erf(v)
    out[i, 11] = 1.0 if math.isnan(v) or math.isinf(v) else 0.0


@case(1, N, lambda: args(floats(np.float64, N), zeros(np.float64, (N, 8))), ulp=2)
def math_float64(x, out):
    i = simt.grid(1)
    v = x[i]
    out[i, 0] = math.sqrt(v)
    out[i, 1] = math.exp(v)
    out[i, 2] = math.log10(v)
    out[i, 3] = math.sinh(v / 1000)
    out[i, 4] = math.pow(abs(v), 0.5)
    out[i, 5] = 1.0 if math.isfinite(v) else 0.0
    out[i, 6] = math.atan(v)
    out[i, 7] = math.erfc(v)


@case((4, 4), (8, 8), lambda: args(zeros(np.int32, (32, 32))), tags=("divergent",))
def mandelbrot(out):
    x, y = simt.grid(2)
    if x < out.shape[1] and y < out.shape[0]:
        cr = -2.0 + 3.0 * x / out.shape[1]
        ci = -1.5 + 3.0 * y / out.shape[0]
        zr = 0.0
        zi = 0.0
        n = 0
        while n < 50 and zr * zr + zi * zi < 4.0:
            zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
            n += 1
        out[y, x] = n


@case(1, 8, lambda: args(ints(np.int32, 8, -100, 100)), tags=("print",))
def prints(x):
    i = simt.grid(1)
    print("thread", i, "value", x[i], 2.5)


@case(1, N, lambda: args(floats(np.float32, N), floats(np.float32, N), floats(np.float32, N),
                         zeros(np.float32, N)))
def fused_multiply_add(a, b, c, out):
    i = simt.grid(1)
    out[i] = simt.fma(a[i], b[i], c[i])
