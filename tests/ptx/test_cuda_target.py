"""The ``cuda`` target on a real GPU (every test is marked gpu and skips elsewhere).

Results must equal the numpy target's: bit for bit, or within the corpus case's ulp
bound for math functions. Device arrays and CUDA-array-interface objects are passed
without copies; host arrays are copied in and out.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest

import simt
import simt.device_arrays as devarrays
from simt.backends.ptx import driver_context, runtime

from ..differential.compare import assert_same
from ..differential.corpus import CASES
from .test_corpus_assembles import simplest_args

pytestmark = pytest.mark.gpu


@simt.kernel
def saxpy(a, x, y, out):
    i = simt.grid(1)
    if i < x.shape[0]:
        out[i] = a * x[i] + y[i]


def run_on(target: str, kernel, grid, block, arguments):
    arguments = copy.deepcopy(arguments)
    with simt.target(target):
        kernel[grid, block](*arguments)
    return arguments


def test_saxpy_with_host_arrays_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 1000)).astype(np.float32)
    arguments = [np.float32(2.5), x, y, np.zeros(1000, np.float32)]
    want = run_on("numpy", saxpy, 8, 128, arguments)[3]
    got = run_on("cuda", saxpy, 8, 128, arguments)[3]
    assert want.view(np.uint32).tolist() == got.view(np.uint32).tolist()


@pytest.mark.parametrize("case", [c for c in CASES if "print" not in c.tags], ids=lambda c: c.name)
def test_corpus_kernel_matches_numpy(case) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    @given(data=st.data())
    def check(data):
        arguments = data.draw(case.args(), label="arguments")
        want = run_on("numpy", case.kernel, case.grid, case.block, arguments)
        got = run_on("cuda", case.kernel, case.grid, case.block, arguments)
        for index, (w, g) in enumerate(zip(want, got)):
            if isinstance(w, np.ndarray):
                assert_same(f"{case.name} argument {index}", w, g, case.ulp)
    check()


def test_device_arrays_round_trip() -> None:
    host = np.arange(12, dtype=np.int16).reshape(3, 4)
    array = devarrays.to_device(host)
    assert array.shape == (3, 4) and array.dtype == np.int16 and len(array) == 3
    interface = array.__cuda_array_interface__
    assert interface["shape"] == (3, 4) and interface["typestr"] == "<i2"
    assert interface["data"][0] == array.pointer != 0
    assert (array.copy_to_host() == host).all()
    empty = devarrays.device_array(5, np.float64)
    empty.copy_to_device(np.full(5, 2.5))
    out = np.zeros(5)
    assert empty.copy_to_host(out) is out and (out == 2.5).all()


def test_device_array_launch_needs_no_copies_and_is_asynchronous() -> None:
    n = 1 << 16
    x = devarrays.to_device(np.arange(n, dtype=np.float32))
    y = devarrays.to_device(np.ones(n, np.float32))
    out = devarrays.device_array(n, np.float32)
    fn = saxpy.ir(np.float32(2), np.zeros(n, np.float32), np.zeros(n, np.float32),
                  np.zeros(n, np.float32))
    ctx = driver_context.context()
    stream = ctx.device.create_stream()
    runtime.launch(fn, (n // 256, 1, 1), (256, 1, 1), [np.float32(2), x, y, out], stream=stream)
    stream.sync()
    assert (out.copy_to_host() == 2 * np.arange(n, dtype=np.float32) + 1).all()


class ForeignArray:
    """Another library's device array, seen only through __cuda_array_interface__."""

    def __init__(self, owner: object) -> None:
        self.owner = owner
        self.__cuda_array_interface__ = dict(owner.__cuda_array_interface__, stream=None)


def test_cuda_array_interface_objects_are_used_in_place() -> None:
    x = devarrays.to_device(np.arange(64, dtype=np.float32))
    out = devarrays.device_array(64, np.float32)
    fn = saxpy.ir(np.float32(2), *(np.zeros(64, np.float32),) * 3)
    runtime.launch(fn, (1, 1, 1), (64, 1, 1),
                   [np.float32(3), ForeignArray(x), ForeignArray(x), ForeignArray(out)])
    assert (out.copy_to_host() == 4 * np.arange(64, dtype=np.float32)).all()


def test_device_arrays_through_the_dispatcher() -> None:
    x = devarrays.to_device(np.arange(64, dtype=np.float32))
    out = devarrays.device_array(64, np.float32)
    with simt.target("cuda"):
        saxpy[1, 64](np.float32(1), x, x, out)
    assert (out.copy_to_host() == 2 * np.arange(64, dtype=np.float32)).all()


def test_scalar_params_of_every_width() -> None:
    @simt.kernel
    def scalars(flag, h, b, s, out):
        out[0] = (h * 2 + b + s) if flag else -1.0
    out = np.zeros(1, np.float64)
    arguments = [True, np.float16(1.5), np.int8(-3), np.uint16(60000), out]
    want = run_on("numpy", scalars, 1, 1, arguments)[4]
    assert run_on("cuda", scalars, 1, 1, arguments)[4] == want


def test_a_second_function_finds_the_cubin_on_disk(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SIMT_CACHE_DIR", str(tmp_path))
    ctx = driver_context.context()
    runtime.load_kernel(simt.kernel(saxpy.py_func).ir(np.float32(1), *(np.zeros(4, np.float32),) * 3),
                        ctx)
    assert len(list(tmp_path.glob("saxpy.*.cubin"))) == 1

    def no_assembler(*args, **kwargs):
        raise AssertionError("expected the disk cache to answer")
    monkeypatch.setattr(runtime, "assemble", no_assembler)
    runtime.load_kernel(simt.kernel(saxpy.py_func).ir(np.float32(1), *(np.zeros(4, np.float32),) * 3),
                        ctx)


def test_print_reaches_stdout(capfd) -> None:
    case = next(c for c in CASES if "print" in c.tags)
    arguments = [np.arange(-4, 4, dtype=np.int32)]
    with simt.target("numpy"):
        case.kernel[case.grid, case.block](*arguments)
    want = capfd.readouterr().out
    with simt.target("cuda"):
        case.kernel[case.grid, case.block](*arguments)      # host array: synchronizes
    got = capfd.readouterr().out
    # 2.5 prints as %.17g's "2.5" too; GPU threads may print in another order
    assert sorted(got.splitlines()) == sorted(want.splitlines())


def test_simplest_corpus_arguments_run() -> None:
    for case in CASES:
        if "print" not in case.tags:
            run_on("cuda", case.kernel, case.grid, case.block, simplest_args(case))
