"""Legalized IR, run with PTX meanings (legal_eval), equals NumPy bit for bit.

Each case builds ``out[i] = op(a[i], b[i])`` for one op and dtype, legalizes it and
interprets the result with the semantics of the PTX instructions it maps to; the
reference is NumPy's own ufunc on the same arrays (the reference semantics).
"""
from __future__ import annotations

import numpy as np
import pytest

from simt.backends.ptx import legalize
from simt.ir import Op
from simt.ir.types import SCALAR_TYPES, bool_, float16, float32, float64, int64, scalar_type

from . import kernels
from .legal_eval import run

INTS = [t for t in SCALAR_TYPES if t.is_int]
FLOATS = [float16, float32, float64]
RNG_SEED = 1234


def int_samples(dtype: np.dtype, n: int = 256) -> np.ndarray:
    info = np.iinfo(dtype)
    edges = [0, 1, 2, 3, 7, info.max, info.max - 1, info.min, info.min + 1]
    if info.min < 0:
        edges += [-1, -2, -3, -7]
    rng = np.random.default_rng(RNG_SEED)
    wide = rng.integers(info.min, info.max, size=n, dtype=dtype, endpoint=True)
    small = rng.integers(max(info.min, -9), 10, size=n).astype(dtype)
    return np.concatenate([np.array(edges, dtype), wide, small])


def float_samples(dtype: np.dtype, n: int = 256) -> np.ndarray:
    rng = np.random.default_rng(RNG_SEED)
    edges = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, np.inf, -np.inf, np.nan, 1e-30, 7.0]
    values = np.concatenate([edges, rng.normal(0, 10, n), rng.normal(0, 1e6, n // 4),
                             np.round(rng.normal(0, 8, n // 2))])
    with np.errstate(all="ignore"):
        return values.astype(dtype)


def pairs(samples: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = np.repeat(samples, 3)
    b = np.concatenate([rng.permutation(samples) for _ in range(3)])
    return a, b


def run_op(op: Op, t, *arrays: np.ndarray, lanes_at_once: bool = True) -> np.ndarray:
    fn = legalize(kernels.op_kernel(op, t))
    result_type = bool_ if op in (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE) else t
    n = len(arrays[0])
    out = np.zeros(n, result_type.dtype)
    if lanes_at_once:
        run(fn, [*arrays, out], lanes=n)
    else:                                  # loops in the legalized code: one lane at a time
        for k in range(n):
            lane_out = np.zeros(1, result_type.dtype)
            run(fn, [*(a[k:k + 1] for a in arrays), lane_out], lanes=1)
            out[k] = lane_out[0]
    return out


def same_bits(got: np.ndarray, want: np.ndarray) -> None:
    want = np.asarray(want).astype(got.dtype)
    if got.dtype.kind == "f":
        both_nan = np.isnan(got) & np.isnan(want)
        bad = ~both_nan & (got.view(f"u{got.itemsize}") != want.view(f"u{got.itemsize}"))
    else:
        bad = got != want
    assert not bad.any(), f"first mismatches at {np.flatnonzero(bad)[:5]}: got {got[bad][:5]}, " \
                          f"want {want[bad][:5]}"


NUMPY_BINARY = {
    Op.ADD: np.add, Op.SUB: np.subtract, Op.MUL: np.multiply, Op.FLOORDIV: np.floor_divide,
    Op.MOD: np.remainder, Op.AND: np.bitwise_and, Op.OR: np.bitwise_or, Op.XOR: np.bitwise_xor,
    Op.SHL: np.left_shift, Op.SHR: np.right_shift, Op.EQ: np.equal, Op.NE: np.not_equal,
    Op.LT: np.less, Op.LE: np.less_equal, Op.GT: np.greater, Op.GE: np.greater_equal,
}


@pytest.mark.parametrize("t", INTS, ids=str)
@pytest.mark.parametrize("op", sorted(NUMPY_BINARY, key=lambda o: o.value), ids=lambda o: o.value)
def test_integer_binary_ops_match_numpy(op: Op, t) -> None:
    a, b = pairs(int_samples(t.dtype))
    if op in (Op.SHL, Op.SHR):
        amounts = np.arange(-3 if t.is_signed else 0, t.bits + 3).astype(t.dtype)
        b = b.copy()
        b[-len(amounts):] = amounts
    with np.errstate(all="ignore"):
        same_bits(run_op(op, t, a, b), NUMPY_BINARY[op](a, b))


@pytest.mark.parametrize("t", INTS, ids=str)
@pytest.mark.parametrize("op", [Op.MIN, Op.MAX, Op.NEG, Op.ABS, Op.INVERT], ids=lambda o: o.value)
def test_integer_minmax_and_unary(op: Op, t) -> None:
    a, b = pairs(int_samples(t.dtype))
    with np.errstate(all="ignore"):
        if op is Op.MIN:
            got, want = run_op(op, t, a, b), np.where(b < a, b, a)
        elif op is Op.MAX:
            got, want = run_op(op, t, a, b), np.where(b > a, b, a)
        else:
            want = {Op.NEG: np.negative, Op.ABS: np.abs, Op.INVERT: np.invert}[op](a)
            got = run_op(op, t, a)
    same_bits(got, want)


def python_int_pow(x: int, n: int, t) -> int:
    if n >= 0:
        v = pow(x, n, 1 << t.bits)
    elif x == 0:
        v = 0
    else:
        v = 1 // x ** -n if abs(n) < 64 else (1 if x == 1 else (-1 if x < 0 and n % 2 else
                                                               (1 if x == -1 else 0)))
    return int(np.array(v & ((1 << t.bits) - 1), np.uint64).astype(t.dtype))


@pytest.mark.parametrize("t", INTS, ids=str)
def test_integer_pow(t) -> None:
    rng = np.random.default_rng(5)
    base = np.concatenate([int_samples(t.dtype, 8)[:20], rng.integers(-3, 4, 20).astype(t.dtype)])
    exponent = rng.integers(-3 if t.is_signed else 0, 70, size=len(base)).astype(t.dtype)
    exponent[:3] = np.array([0, 1, 2], t.dtype)
    got = run_op(Op.POW, t, base, exponent, lanes_at_once=False)
    want = [python_int_pow(int(x), int(n), t) for x, n in zip(base, exponent)]
    same_bits(got, np.array(want, t.dtype))


@pytest.mark.parametrize("t", FLOATS, ids=str)
@pytest.mark.parametrize("op", [Op.ADD, Op.SUB, Op.MUL, Op.TRUEDIV, Op.EQ, Op.NE, Op.LT, Op.LE,
                                Op.GT, Op.GE], ids=lambda o: o.value)
def test_float_arithmetic_and_compares(op: Op, t) -> None:
    a, b = pairs(float_samples(t.dtype))
    ufunc = {**NUMPY_BINARY, Op.TRUEDIV: np.true_divide}[op]
    with np.errstate(all="ignore"):
        same_bits(run_op(op, t, a, b), ufunc(a, b))


@pytest.mark.parametrize("t", FLOATS, ids=str)
@pytest.mark.parametrize("op", [Op.FLOORDIV, Op.MOD, Op.FMOD], ids=lambda o: o.value)
def test_float_floordiv_mod_fmod(op: Op, t) -> None:
    samples = float_samples(t.dtype, 24)
    a, b = pairs(samples)
    a, b = a[:300], b[:300]
    ufunc = {Op.FLOORDIV: np.floor_divide, Op.MOD: np.remainder, Op.FMOD: np.fmod}[op]
    with np.errstate(all="ignore"):
        same_bits(run_op(op, t, a, b, lanes_at_once=False), ufunc(a, b))


@pytest.mark.parametrize("t", FLOATS, ids=str)
@pytest.mark.parametrize("op", [Op.MIN, Op.MAX, Op.SQRT, Op.FLOOR, Op.CEIL, Op.TRUNC, Op.FABS,
                                Op.NEG, Op.ABS, Op.COPYSIGN], ids=lambda o: o.value)
def test_float_exact_ops(op: Op, t) -> None:
    a, b = pairs(float_samples(t.dtype))
    with np.errstate(all="ignore"):
        if op in (Op.MIN, Op.MAX, Op.COPYSIGN):
            want = {Op.MIN: np.where(b < a, b, a), Op.MAX: np.where(b > a, b, a),
                    Op.COPYSIGN: np.copysign(a, b)}[op]
            got = run_op(op, t, a, b)
        else:
            ufunc = {Op.SQRT: np.sqrt, Op.FLOOR: np.floor, Op.CEIL: np.ceil, Op.TRUNC: np.trunc,
                     Op.FABS: np.abs, Op.NEG: np.negative, Op.ABS: np.abs}[op]
            got, want = run_op(op, t, a), ufunc(a)
    same_bits(got, want)


def reference_cast(x: np.ndarray, dst) -> np.ndarray:
    """docs/internals.md: float -> int truncates, saturates, NaN -> 0; x -> bool is x != 0."""
    if dst.is_bool:
        return x != 0
    if x.dtype.kind == "f" and dst.is_int:
        info = np.iinfo(dst.dtype)
        t = np.trunc(x.astype(np.float64))
        out = np.zeros(len(x), dst.dtype)
        inside = (t >= float(info.min)) & (t < 2.0 ** (info.bits - (info.min < 0)))
        out[inside] = t[inside].astype(dst.dtype)
        out[t >= 2.0 ** (info.bits - (info.min < 0))] = info.max
        out[t < float(info.min)] = info.min
        return out
    return x.astype(dst.dtype)


@pytest.mark.parametrize("src", list(SCALAR_TYPES), ids=str)
def test_casts(src) -> None:
    x = float_samples(src.dtype) if src.is_float else (
        int_samples(src.dtype) if src.is_int else np.array([True, False, True]))
    for dst in SCALAR_TYPES:
        fn = legalize(kernels.cast_kernel(src, dst))
        out = np.zeros(len(x), dst.dtype)
        run(fn, [x, out], lanes=len(x))
        with np.errstate(all="ignore"):
            same_bits(out, reference_cast(x, dst))


def test_negative_indices_wrap_and_nd_layout() -> None:
    for ndim in (1, 2, 3):
        fn = legalize(kernels.copy_nd(ndim))
        shape = (4, 5, 3)[:ndim]
        x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
        out = np.zeros_like(x)
        run(fn, [x, out], lanes=shape[0])      # threadIdx.y/z are 0 in legal_eval
        index = (slice(None), -1, 0)[:ndim] if ndim > 1 else (slice(None),)
        np.testing.assert_array_equal(out[(slice(None),) + (0,) * (ndim - 1)], x[index])


def test_scalar_type_roundtrip_helper() -> None:
    assert scalar_type(np.int64) == int64


@pytest.mark.parametrize("t", [t for t in INTS if t.bits >= 32], ids=str)
def test_division_by_known_divisors_matches_numpy(t) -> None:
    """Powers of two become shifts and masks; the rest keep the checked division."""
    from simt.ir import ArrayType, Builder, Function
    from simt.ir.types import int32

    a = int_samples(t.dtype)
    for divisor in (1, 2, 8, 3, 1 << (t.bits - 2), 7):
        for op, reference in ((Op.FLOORDIV, np.floor_divide), (Op.MOD, np.remainder)):
            fn = Function("k", ["a", "out"], [ArrayType(t, 1), ArrayType(t, 1)])
            b = Builder(fn)
            i = b.value(Op.THREAD_IDX, [], int32, {"axis": 0})
            x = b.value(Op.LOAD, [fn.args[0], i], t)
            b.emit(Op.STORE, [fn.args[1], i, b.value(op, [x, b.const(divisor, t)], t)])
            b.ret()
            out = np.zeros(len(a), t.dtype)
            run(legalize(fn), [a, out], lanes=len(a))
            same_bits(out, reference(a, t.dtype.type(divisor)))


@pytest.mark.parametrize("t", INTS, ids=str)
@pytest.mark.parametrize("op", [Op.POPC, Op.CLZ, Op.FFS, Op.BREV], ids=lambda o: o.value)
def test_bit_operations_on_every_width(op: Op, t) -> None:
    from . import primitive_kernels

    x = int_samples(t.dtype)
    result_type = t if op is Op.BREV else scalar_type(np.int32)
    out = np.zeros(len(x), result_type.dtype)
    run(legalize(primitive_kernels.bit_kernel(op, t)), [x, out], lanes=len(x))
    words = [int(v) & ((1 << t.bits) - 1) for v in x]
    if op is Op.POPC:
        want = [bin(w).count("1") for w in words]
    elif op is Op.CLZ:
        want = [t.bits - w.bit_length() for w in words]
    elif op is Op.FFS:
        want = [(w & -w).bit_length() for w in words]
    else:
        want = [int(f"{w:0{t.bits}b}"[::-1], 2) for w in words]
        want = np.array(want, np.uint64).astype(f"u{t.bits // 8}").view(t.dtype)
    same_bits(out, np.asarray(want))
