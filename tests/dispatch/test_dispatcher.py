"""The decorator's dispatcher: launch configurations, argument checks, caching,
retracing when captured globals change, and target selection."""
import numpy as np
import pytest

import simt
from simt import LaunchError, TargetUnavailableError, cuda

FACTOR = 2


@simt.kernel
def scale(x, out):
    i = simt.grid(1)
    if i < x.size:
        out[i] = x[i] * FACTOR


def test_changing_a_global_retraces():
    global FACTOR
    x = np.arange(8, dtype=np.int32)
    out = np.zeros_like(x)
    scale[1, 8](x, out)
    assert np.array_equal(out, x * 2)
    FACTOR = 5
    try:
        scale[1, 8](x, out)
        assert np.array_equal(out, x * 5)
        assert len(scale._cache[scale.specs((x, out))]) == 2
    finally:
        FACTOR = 2


def test_changing_a_closure_value_retraces():
    def make():
        offset = 1

        @simt.kernel
        def add(x):
            x[simt.grid(1)] += offset

        def set_offset(v):
            nonlocal offset
            offset = v
        return add, set_offset

    add, set_offset = make()
    x = np.zeros(4, np.int64)
    add[1, 4](x)
    set_offset(10)
    add[1, 4](x)
    assert np.array_equal(x, np.full(4, 11))


def test_one_trace_per_signature():
    x32 = np.zeros(4, np.float32)
    x64 = np.zeros(4, np.float64)
    scale[1, 4](x32, x32.copy())
    scale[1, 4](x32, x32.copy())
    scale[1, 4](x64, x64.copy())
    assert len(scale.signatures) >= 2
    assert len(scale._cache[scale.specs((x32, x32))]) == 1


@pytest.mark.parametrize("config, message", [
    ((0, 4), "positive"),
    (((1, 2, 3, 4), 4), "tuple of 1 to 3 ints"),
    ((1, 2048), "at most 1024 threads"),
    ((1.5, 4), "int or a tuple"),
])
def test_bad_launch_configuration(config, message):
    x = np.zeros(4, np.int32)
    with pytest.raises(LaunchError, match=message):
        scale[config](x, x.copy())


def test_launch_without_configuration_is_explained():
    with pytest.raises(LaunchError, match=r"scale\[grid, block\]"):
        scale(np.zeros(4), np.zeros(4))


@pytest.mark.parametrize("args, name, message", [
    ((np.zeros(4, np.complex64), np.zeros(4)), "x", "complex64"),
    ((np.zeros((4, 4))[:, ::2], np.zeros(4)), "x", "not C-contiguous"),
    ((np.zeros((1, 1, 1, 1)), np.zeros(4)), "x", "1 to 3 dimensions"),
    ((np.zeros(4), "text"), "out", "unsupported type str"),
    ((np.zeros(4), 2 ** 70), "out", "does not fit in 64 bits"),
])
def test_bad_arguments_name_the_argument(args, name, message):
    with pytest.raises(LaunchError, match=f"argument '{name}'.*{message}"):
        scale[1, 4](*args)


def test_wrong_number_of_arguments():
    with pytest.raises(LaunchError, match=r"takes 2 arguments \(x, out\), 1 given"):
        scale[1, 4](np.zeros(4))


def test_writes_are_visible_in_the_callers_array():
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    out = np.zeros_like(x)

    @cuda.jit
    def double(x, out):
        i, j = cuda.grid(2)
        if i < x.shape[0] and j < x.shape[1]:
            out[i, j] = 2 * x[i, j]

    double[(1, 1), (2, 3)](x, out)
    assert np.array_equal(out, 2 * x)


def test_cuda_target_without_gpu_says_so_and_names_the_others(monkeypatch):
    if simt.is_available("cuda"):
        pytest.skip("a GPU is available here")
    with simt.target("cuda"), pytest.raises(TargetUnavailableError) as info:
        scale[1, 4](np.zeros(4), np.zeros(4))
    assert "numpy" in str(info.value) and "ptx-emu" in str(info.value)
    assert simt.is_available("numpy") and not simt.is_available("cuda")


def test_target_selection_by_environment(monkeypatch):
    monkeypatch.setenv("SIMT_TARGET", "ptx-emu")
    assert simt.current_target() == "ptx-emu"
    with simt.target("numpy"):
        assert simt.current_target() == "numpy"
    monkeypatch.setenv("SIMT_TARGET", "tpu")
    with pytest.raises(LaunchError, match="unknown target 'tpu'"):
        simt.current_target()


def test_same_function_as_kernel_and_device_function():
    def square(v):
        return v * v

    square_device = simt.device(square)

    @simt.kernel
    def k(x):
        i = simt.grid(1)
        x[i] = square_device(x[i])

    x = np.arange(4, dtype=np.int32)
    k[1, 4](x)
    assert np.array_equal(x, np.arange(4) ** 2)
    assert square_device(3) == 9           # still callable on the host


def test_kernel_made_by_exec_runs_without_source():
    namespace = {"simt": simt}
    exec("def k(x):\n    i = simt.grid(1)\n    x[i] = i * 3\n", namespace)
    kernel = simt.kernel(namespace["k"])
    x = np.zeros(5, np.int64)
    kernel[1, 5](x)
    assert np.array_equal(x, np.arange(5) * 3)
