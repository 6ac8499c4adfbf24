"""The CPython oracle (simt.testing.run_python) against NumPy-computed expectations."""
from __future__ import annotations

import math
import types
from fractions import Fraction
from math import floor, sqrt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simt import language as L
from simt.language import NotInKernelError, laneid
from simt.testing import run_python
from simt.testing.oracle import fma, round_fraction


def saxpy(a, x, y, out):
    i = L.grid(1)
    if i < x.shape[0]:
        out[i] = a * x[i] + y[i]


def test_saxpy_matches_numpy():
    x = np.linspace(-3, 3, 1000, dtype=np.float32)
    y = np.arange(1000, dtype=np.float32)
    out = np.zeros_like(x)
    run_python(saxpy, (1000 + 255) // 256, 256, [np.float32(2.0), x, y, out])
    np.testing.assert_array_equal(out, np.float32(2.0) * x + y)


def test_original_function_is_untouched():
    run_python(saxpy, 1, 1, [np.float32(1), np.zeros(1), np.zeros(1), np.zeros(1)])
    with pytest.raises(NotInKernelError):
        saxpy(np.float32(1), np.zeros(1), np.zeros(1), np.zeros(1))


def transpose(src, dst):
    col = L.blockIdx.x * L.blockDim.x + L.threadIdx.x
    row = L.blockIdx.y * L.blockDim.y + L.threadIdx.y
    if row < src.shape[0] and col < src.shape[1]:
        dst[col, row] = src[row, col]


def test_2d_indexing_with_thread_idx_y():
    src = np.arange(13 * 7, dtype=np.int64).reshape(13, 7)
    dst = np.zeros((7, 13), dtype=np.int64)
    run_python(transpose, (2, 4), (4, 4), [src, dst])
    np.testing.assert_array_equal(dst, src.T)


def grid_2d(out, sizes):
    x, y = L.grid(2)
    if y < out.shape[0] and x < out.shape[1]:
        out[y, x] = x + 100 * y
        sizes[y, x] = L.gridsize(2)[0] + 1000 * L.gridsize(2)[1]


def test_grid_and_gridsize_2d():
    out = np.zeros((5, 6), dtype=np.int64)
    sizes = np.zeros_like(out)
    run_python(grid_2d, (2, 3), (3, 2), [out, sizes])
    ys, xs = np.indices(out.shape)
    np.testing.assert_array_equal(out, xs + 100 * ys)
    assert (sizes == 6 + 1000 * 6).all()


def record_order(order, counter):
    t = (L.threadIdx.z * L.blockDim.y + L.threadIdx.y) * L.blockDim.x + L.threadIdx.x
    b = (L.blockIdx.z * L.gridDim.y + L.blockIdx.y) * L.gridDim.x + L.blockIdx.x
    order[b * L.blockDim.x * L.blockDim.y * L.blockDim.z + t] = counter[0]
    counter[0] += 1


def test_threads_run_in_linear_order_blocks_then_threads():
    order = np.full(2 * 3 * 2 * (2 * 2 * 3), -1, dtype=np.int64)
    counter = np.zeros(1, dtype=np.int64)
    run_python(record_order, (2, 3, 2), (2, 2, 3), [order, counter])
    np.testing.assert_array_equal(order, np.arange(order.size))


def index_types(out):
    out[0] = L.threadIdx.x
    out[1] = L.blockDim.y
    out[2] = L.grid(1)
    out[3] = L.grid(3)[2]
    out[4] = L.laneid


def test_indices_are_int32():
    out = np.empty(5, dtype=object)
    run_python(index_types, 1, 1, [out])
    assert all(type(v) is np.int32 for v in out)


def lanes_from_module(out):
    x, y = L.grid(2)
    out[y, x] = L.laneid


def lanes_from_global(out):
    x, y = L.grid(2)
    out[y, x] = laneid


@pytest.mark.parametrize("kernel", [lanes_from_module, lanes_from_global])
def test_laneid_is_linear_thread_id_mod_32(kernel):
    out = np.full((8, 48), -1, dtype=np.int64)
    run_python(kernel, (3, 2), (16, 4), [out])
    ys, xs = np.indices(out.shape)
    ty, tx = ys % 4, xs % 16
    np.testing.assert_array_equal(out, (tx + 16 * ty) % 32)


def weak_scalars(x, n, out):
    out[0] = x[0] * 2
    out[1] = x[0] * 2.5
    out[2] = n
    out[3] = x[0] + n
    out[4] = n / 2


def test_python_scalars_stay_weak():
    out = np.empty(5, dtype=object)
    run_python(weak_scalars, 1, 1, [np.ones(1, dtype=np.float32), 3, out])
    assert [type(v) for v in out] == [np.float32, np.float32, int, np.float32, float]


# ----------------------------------------------------------------------------- math


def math_calls(x, i, out):
    out[0] = math.sqrt(x)
    out[1] = math.sin(x)
    out[2] = math.atan2(x, 2.0)
    out[3] = math.pow(x, 2)
    out[4] = math.erf(x)
    out[5] = sqrt(x)
    out[6] = math.sqrt(i)
    out[7] = math.isnan(x)
    out[8] = floor(x)
    out[9] = math.log(x, 2.0)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_math_keeps_numpy_float_type(dtype):
    out = np.empty(10, dtype=object)
    x = dtype(2.5)
    run_python(math_calls, 1, 1, [x, 4, out])
    assert [type(v) for v in out[:6]] == [dtype] * 6
    assert out[0] == np.sqrt(x) and out[5] == np.sqrt(x)
    assert out[1] == np.sin(x)
    assert out[2] == np.arctan2(x, dtype(2.0))
    assert out[4] == dtype(math.erf(2.5))
    assert type(out[6]) is float and out[6] == 2.0
    assert out[7] is False
    assert type(out[8]) is int and out[8] == 2
    assert type(out[9]) is dtype


@pytest.mark.parametrize("arg", [4, np.int32(4), np.int64(4), True, 4.0])
def test_math_on_non_numpy_floats_gives_python_float(arg):
    out = np.empty(10, dtype=object)
    run_python(math_calls, 1, 1, [arg, arg, out])
    assert all(type(v) is float for v in out[[0, 1, 2, 3, 4, 5, 6, 9]])


def ieee_specials(out):
    out[0] = math.sqrt(-1.0)
    out[1] = math.log(0.0)
    out[2] = math.pow(0.0, -1.0)
    out[3] = math.fmod(1.0, 0.0)
    out[4] = math.acos(2)
    out[5] = math.exp(1000.0)


def test_math_gives_nan_and_inf_where_cpython_raises():
    out = np.empty(6, dtype=object)
    run_python(ieee_specials, 1, 1, [out])
    assert all(type(v) is float for v in out)
    assert math.isnan(out[0]) and out[1] == -math.inf and out[2] == math.inf
    assert math.isnan(out[3]) and math.isnan(out[4]) and out[5] == math.inf


def roundings(x, out):
    out[0] = math.floor(x)
    out[1] = math.ceil(x)
    out[2] = math.trunc(x)
    out[3] = int(x)


@pytest.mark.parametrize("value, expected", [
    (np.float32(-2.5), [-3, -2, -2, -2]),
    (2.5, [2, 3, 2, 2]),
    (np.float64(np.nan), [0, 0, 0, 0]),
    (np.float32(np.inf), [2**63 - 1] * 4),
    (-1e300, [-2**63] * 4),
    (np.int32(7), [7, 7, 7, 7]),
    (np.int64(2**62 + 1), [2**62 + 1] * 4),
])
def test_floor_ceil_trunc_int_give_python_ints(value, expected):
    out = np.empty(4, dtype=object)
    run_python(roundings, 1, 1, [value, out])
    assert list(out) == expected
    assert all(type(v) is int for v in out)


def extrema(a, b, out):
    out[0] = min(a, b)
    out[1] = max(a, b)


@pytest.mark.parametrize("a, b, expected_min, expected_max, expected_type", [
    (np.float32(1.5), 2, 1.5, 2.0, np.float32),
    (3, np.int8(-4), -4, 3, np.int8),
    (1, 2.5, 1.0, 2.5, float),
])
def test_min_max_promote_to_common_type(a, b, expected_min, expected_max, expected_type):
    out = np.empty(2, dtype=object)
    run_python(extrema, 1, 1, [a, b, out])
    assert out[0] == expected_min and out[1] == expected_max
    assert type(out[0]) is expected_type and type(out[1]) is expected_type


def test_min_max_follow_cpython_with_nan():
    out = np.empty(2, dtype=object)
    run_python(extrema, 1, 1, [np.float32(np.nan), np.float32(1), out])
    assert np.isnan(out[0]) and np.isnan(out[1])
    run_python(extrema, 1, 1, [np.float32(1), np.float32(np.nan), out])
    assert out[0] == 1 and out[1] == 1


# ----------------------------------------------------------------------------- fma


def fma_kernel(a, b, c, out):
    out[0] = L.fma(a, b, c)


def test_fma_rounds_once():
    one_plus = np.float32(1 + 2.0**-12)
    c = -(one_plus * one_plus)  # rounded product: the exact one has one more bit
    out = np.empty(1, dtype=object)
    run_python(fma_kernel, 1, 1, [one_plus, one_plus, c, out])
    assert type(out[0]) is np.float32
    assert out[0] == np.float32(2.0**-24)
    assert one_plus * one_plus + c == 0  # what a separate multiply and add give


def test_fma_types():
    assert type(fma(2.0, 3, 1)) is float and fma(2.0, 3, 1) == 7.0
    assert type(fma(np.float32(2), 3.0, 1)) is np.float32
    assert type(fma(np.float32(2), np.float64(3), 1)) is np.float64
    assert fma(2, 3, 1) == 7 and type(fma(2, 3, 1)) is int


def test_fma_specials():
    big = np.float64(1e200)
    assert fma(big, big, -np.inf) == -np.inf  # a separate multiply would overflow: inf - inf
    assert fma(big, big, 0.0) == np.inf
    assert math.isnan(fma(np.float32(np.inf), np.float32(0), np.float32(1)))
    assert math.copysign(1, fma(np.float32(-0.0), np.float32(1), np.float32(-0.0))) == -1
    assert math.copysign(1, fma(np.float32(2), np.float32(3), np.float32(-6))) == 1
    tiny = np.float32(2.0**-100)
    assert math.copysign(1, fma(-tiny, tiny, np.float32(0))) == -1  # underflow keeps the sign


def _nearest_float32(exact: Fraction) -> np.float32:
    """The float32 nearest ``exact`` by search among neighbours (ties to even)."""
    guess = np.float32(float(exact))
    candidates = [guess, np.nextafter(guess, np.float32(np.inf)),
                  np.nextafter(guess, np.float32(-np.inf))]
    finite = [c for c in candidates if np.isfinite(c)]

    def key(c):
        even = int(np.array(c).view(np.uint32)) & 1
        return abs(Fraction(float(c)) - exact), even

    return min(finite, key=key)


finite_float32 = st.floats(width=32, allow_nan=False, allow_infinity=False, min_value=-2.0**60,
                           max_value=2.0**60).map(np.float32)


@given(finite_float32, finite_float32, finite_float32)
def test_fma_float32_is_the_nearest_float_to_the_exact_result(a, b, c):
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    result = fma(a, b, c)
    assert type(result) is np.float32
    if exact != 0:
        assert result == _nearest_float32(exact)


@given(st.fractions(min_value=-1e300, max_value=1e300, max_denominator=2**1100))
def test_round_fraction_float64_matches_correctly_rounded_division(exact):
    assert round_fraction(exact, np.float64) == float(exact)


@pytest.mark.skipif(not hasattr(math, "fma"), reason="math.fma is new in Python 3.13")
@given(st.floats(allow_nan=False, allow_infinity=False, width=64),
       st.floats(allow_nan=False, allow_infinity=False, width=64),
       st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_fma_float64_exact_path_matches_math_fma(a, b, c):
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    try:
        expected = math.fma(a, b, c)
    except OverflowError:
        return
    if exact != 0:
        assert round_fraction(exact, np.float64) == expected


# ----------------------------------------------------------------------------- proxies


def _fake_simt_module() -> types.ModuleType:
    fake = types.ModuleType("simt.fake")
    fake.threadIdx, fake.blockDim, fake.grid, fake.laneid = (
        L.threadIdx, L.blockDim, L.grid, L.laneid)
    fake.answer = 42
    fake.nested = types.ModuleType("simt.fake.nested")
    fake.nested.blockIdx = L.blockIdx
    return fake


fake = _fake_simt_module()


def uses_fake_module(out):
    i = fake.grid(1)
    out[i, 0] = fake.threadIdx.x
    out[i, 1] = fake.nested.blockIdx.x
    out[i, 2] = fake.laneid
    out[i, 3] = fake.answer


def test_any_simt_module_is_proxied():
    out = np.zeros((6, 4), dtype=np.int64)
    run_python(uses_fake_module, 2, 3, [out])
    np.testing.assert_array_equal(out, [[t, b, t, 42] for b in range(2) for t in range(3)])


def test_closure_variables_holding_markers():
    tid, bid, grid, lane, module = L.threadIdx, L.blockIdx, L.grid, L.laneid, _fake_simt_module()

    def kernel(out):
        i = grid(1)
        out[i] = tid.x + 10 * bid.x + 100 * lane + 1000 * module.blockDim.x

    out = np.zeros(8, dtype=np.int64)
    run_python(kernel, 2, 4, [out])
    t, b = np.arange(8) % 4, np.arange(8) // 4
    np.testing.assert_array_equal(out, t + 10 * b + 100 * t + 4000)


class DeviceFunction:
    """A stand-in for a @simt.device dispatcher: callable only inside kernels."""

    def __init__(self, pyfunc):
        self.__simt_function__ = pyfunc

    def __call__(self, *args):
        raise AssertionError("the oracle must call the patched Python function instead")


@DeviceFunction
def thread_offset(scale):
    return L.threadIdx.x * scale, laneid


@DeviceFunction
def factorial(n):
    return 1 if n <= 1 else n * factorial(n - 1)


@DeviceFunction
def calls_device_functions(out):
    i = L.grid(1)
    offset, lane = thread_offset(2)
    out[i] = offset + factorial(i) + 1000 * lane


def test_device_functions_see_per_thread_values():
    out = np.zeros(5, dtype=np.int64)
    run_python(calls_device_functions, 1, 5, [out])  # a dispatcher is accepted as the kernel
    expected = [2 * i + math.factorial(i) + 1000 * i for i in range(5)]
    np.testing.assert_array_equal(out, expected)


# ----------------------------------------------------------------------------- errors


def returns_value(out):
    return 1


def test_kernel_returning_a_value_raises():
    with pytest.raises(TypeError, match=r"'returns_value' returned 1 .*must return None"):
        run_python(returns_value, 1, 1, [np.zeros(1)])


def out_of_bounds(out):
    out[L.grid(1)] = 1


def test_errors_name_the_thread():
    with pytest.raises(IndexError) as info:
        run_python(out_of_bounds, 2, 4, [np.zeros(6)])
    assert "threadIdx=(2, 0, 0), blockIdx=(1, 0, 0)" in "".join(info.value.__notes__)


@pytest.mark.parametrize("dims", [0.5, (), (1, 2, 3, 4), (-1,), "2"])
def test_bad_launch_dims(dims):
    with pytest.raises(ValueError, match="grid must be"):
        run_python(saxpy, dims, 1, [])


def test_not_a_function():
    with pytest.raises(TypeError, match="needs a Python function"):
        run_python(object(), 1, 1, [])


def test_dims_accept_ints_and_tuples():
    for grid, block in [(4, 8), ((4,), (8,)), ((2, 2), (8, 1, 1)), ((1, 2, 2), (2, 2, 2))]:
        order = np.full(32, -1, dtype=np.int64)
        counter = np.zeros(1, dtype=np.int64)
        run_python(record_order, grid, block, [order, counter])
        np.testing.assert_array_equal(order, np.arange(32))
