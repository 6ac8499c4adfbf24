"""Kernel options: ``device=`` and ``fastmath=`` on ``@simt.kernel`` and ``@cuda.jit``;
any other option, or a value that is not a bool, is an error naming it."""
import math

import numpy as np
import pytest

import simt
from simt import cuda
from simt.backends.ptx import compile_ptx_cached


def body(x, out):
    i = simt.grid(1)
    if i < x.size:
        out[i] = math.sin(x[i])


ARGS = (np.zeros(4, np.float32), np.zeros(4, np.float32))


@pytest.mark.parametrize("decorate", [
    lambda: simt.kernel(fastmath=True)(body),
    lambda: simt.kernel(body, fastmath=True),
    lambda: cuda.jit(fastmath=True)(body),
    lambda: cuda.jit("void(float32[:], float32[:])", fastmath=True)(body),
], ids=["kernel()", "kernel(f)", "jit()", "jit(signature)"])
def test_fastmath_reaches_the_ptx(decorate) -> None:
    kernel = decorate()
    fn = kernel.ir(*ARGS)
    assert kernel.fastmath and fn.fastmath
    assert "sin.approx.f32" in compile_ptx_cached(fn)


@pytest.mark.parametrize("decorate", [
    lambda: simt.kernel(body), lambda: simt.kernel(fastmath=False)(body), lambda: cuda.jit(body),
    lambda: cuda.jit(device=False)(body),
], ids=["kernel", "kernel(fastmath=False)", "jit", "jit(device=False)"])
def test_kernels_are_accurate_by_default(decorate) -> None:
    fn = decorate().ir(*ARGS)
    assert not fn.fastmath
    assert ".approx" not in compile_ptx_cached(fn)


@pytest.mark.parametrize("decorate, option", [
    (lambda: simt.kernel(fastmth=True), "fastmth"),
    (lambda: simt.kernel(body, debug=True), "debug"),
    (lambda: cuda.jit(fastmath=True, lineinfo=True), "lineinfo"),
    (lambda: cuda.jit(body, cache=True), "cache"),
])
def test_an_unknown_option_is_an_error_naming_it(decorate, option: str) -> None:
    with pytest.raises(TypeError, match=f"unknown option '{option}'; the options are "
                                        "device and fastmath"):
        decorate()


@pytest.mark.parametrize("value", ["fast", {"nnan"}, 1, None])
def test_fastmath_takes_true_or_false(value) -> None:
    with pytest.raises(TypeError, match=r"@simt.kernel: the option 'fastmath' must be True or "
                                        r"False, got"):
        simt.kernel(fastmath=value)


def test_fastmath_is_not_a_device_function_option() -> None:
    with pytest.raises(TypeError, match="'body': fastmath is a kernel option; a device function "
                                        "is inlined"):
        cuda.jit(device=True, fastmath=True)(body)


def test_device_functions_follow_the_calling_kernel() -> None:
    @cuda.jit(device=True)
    def sine(v):
        return math.sin(v)

    def calls(x, out):
        i = simt.grid(1)
        if i < x.size:
            out[i] = sine(x[i])

    fast, accurate = simt.kernel(fastmath=True)(calls), simt.kernel(calls)
    assert "sin.approx.f32" in compile_ptx_cached(fast.ir(*ARGS))
    assert ".approx" not in compile_ptx_cached(accurate.ir(*ARGS))
