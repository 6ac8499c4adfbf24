"""Minimal kernels of the bugs random kernels found, one test each.

Each test runs its kernel on the CPython oracle and on every available target
(``simt.testing.assert_agree`` with fixed inputs). Bugs fixed in the tracer are
plain tests; a bug still open in a backend would be a strict xfail naming the
target that is wrong, with its failures listed in known_bugs.py so the CI budget
of random kernels steps over them (none is open now).
"""
from __future__ import annotations

import math

import numpy as np

import simt
from simt.testing import assert_agree


def agree(kernel, grid, block, *arguments, targets=None):
    assert_agree(kernel, grid, block, *arguments, targets=targets, max_examples=1)


# ------------------------------------------------------------------ fixed (tracer)
@simt.kernel
def mixed_float16_float64(x_float16, x_int16, out_float16):
    t = simt.grid(1)
    out_float16[t] = np.float16(x_float16[t] + (x_int16[t] + 0.0))


def test_int_plus_python_float_is_a_strong_float64():
    # NEP 50: np.int16 + 0.0 is np.float64, a NumPy (strong) float, so float16 + it is
    # float64. The tracer took np.float64 results for Python floats (np.float64 subclasses
    # float) and computed in float16: 32688.0 expected, 32704.0 got.
    agree(mixed_float16_float64, 1, 1, np.array([-71.1875], np.float16),
          np.array([32766], np.int16), np.zeros(1, np.float16))


GLOBAL_FLOAT64 = np.float64(0.1)


@simt.kernel
def float32_plus_global_float64(x, out):
    t = simt.grid(1)
    out[t] = x[t] + GLOBAL_FLOAT64


def test_numpy_float64_global_is_strong():
    agree(float32_plus_global_float64, 1, 1, np.array([0.1], np.float32), np.zeros(1, np.float64))


@simt.kernel
def weak_float_beyond_float16(x, out):
    t = simt.grid(1)
    out[t] = x[t] * 1e300


def test_weak_float_constant_overflowing_float16_compiles_without_warning():
    # The constant 1e300 becomes float16 inf (NEP 50); the tracer's conversion also
    # warned "overflow encountered in cast" from simt's own code.
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        weak_float_beyond_float16.ir(np.ones(1, np.float16), np.zeros(1, np.float16))
    agree(weak_float_beyond_float16, 1, 2, np.array([1, 0], np.float16), np.zeros(2, np.float16))


@simt.kernel
def uint64_below_python_int(x_uint64, n_int, out):
    t = simt.grid(1)
    out[t, 0] = x_uint64[t] < n_int
    out[t, 1] = n_int != x_uint64[t]


@simt.kernel
def uint64_against_int64(u, s, out):
    t = simt.grid(1)
    out[t, 0] = u[t] == s[t]
    out[t, 1] = s[t] < u[t]


def test_uint64_compares_with_a_negative_python_int_by_value():
    # NumPy compares np.uint64(0) < -1 by value (False); the tracer converted -1 to uint64.
    agree(uint64_below_python_int, 1, 2, np.array([0, 2 ** 64 - 1], np.uint64), -1,
          np.zeros((2, 2), np.bool_))


def test_uint64_compares_with_int64_by_value():
    # NumPy's uint64/int64 comparison loops are exact; the tracer compared in float64,
    # where 2**63 + 1 and 2**63 - 1 are the same number.
    agree(uint64_against_int64, 1, 3, np.array([2 ** 63 + 1, 2 ** 64 - 1, 5], np.uint64),
          np.array([2 ** 63 - 1, -1, 5], np.int64), np.zeros((3, 2), np.bool_))


@simt.kernel
def min_of_python_constants(out_uint8):
    t = simt.grid(1)
    out_uint8[t] = np.uint8(abs(np.uint8(0) + min(-1, 0.0)))


def test_min_of_constants_promotes_first():
    # min(-1, 0.0) is -1.0 in the reference (promote, then compare); the tracer folded it
    # with CPython's min to the int -1, and np.uint8(0) + -1 became a compile error.
    agree(min_of_python_constants, 1, 1, np.zeros(1, np.uint8))


@simt.kernel
def math_of_out_of_domain_constants(out, int_out):
    t = simt.grid(1)
    out[t, 0] = math.exp2(65535)
    out[t, 1] = math.sin(math.inf)
    int_out[t, 0] = math.floor(math.nan)
    int_out[t, 1] = math.ceil(-math.inf)


def test_math_of_constants_follows_ieee_not_cpython_exceptions():
    # CPython raises OverflowError/ValueError here; the reference (and the oracle) give
    # inf, nan, and the saturated conversions of docs/internals.md. The tracer's
    # constant folding raised "invalid argument for math.exp2" instead.
    agree(math_of_out_of_domain_constants, 1, 1, np.zeros((1, 2), np.float64),
          np.zeros((1, 2), np.int64))


# ------------------------------------------------------------------ fixed (ptx-emu)
@simt.kernel
def local_array_copy(out):
    t = simt.grid(1)
    scratch = simt.local.array(1, np.int32)
    scratch[0] = out[t]
    out[t] = scratch[0]


def test_local_array_in_a_one_thread_launch():
    # ptx-emu crashed (ValueError in its vector store of the array's zero fill) when
    # the launch had a single thread.
    agree(local_array_copy, 1, 1, np.arange(1, dtype=np.int32))


@simt.kernel
def numpy_rounding_of_ints(x, out):
    t = simt.grid(1)
    out[t, 0] = np.floor(x[t])
    out[t, 1] = np.ceil(x[t])
    out[t, 2] = np.trunc(x[t])


def test_numpy_rounding_of_integers_is_the_identity():
    # The PTX backend emitted cvt.rmi/rpi/rzi.f32.f32 on the integer's register,
    # reading its bits as a float: floor(1) gave 0.
    agree(numpy_rounding_of_ints, 1, 4, np.array([-2, -1, 0, 1], np.int32),
          np.zeros((4, 3), np.int32), targets=["ptx-emu"])
