"""The differential check behind ``simt check``, in process."""
import numpy as np
import pytest

import simt
import simt.backends.numpy as numpy_backend
from simt.signature import parse_signature
from simt.views.check import check_kernel, differing, oracle_writer, ulp_distance

from .data import cli_kernels

SAXPY = parse_signature("float32, float32[:], float32[:], float32[:]")


def test_bitwise_comparison_equates_nans_but_not_zero_signs():
    expected = np.array([np.nan, 0.0, 1.0, np.inf], np.float32)
    actual = np.array([-np.nan, -0.0, 1.0, np.inf], np.float32)
    assert differing(expected, actual).tolist() == [False, True, False, False]
    assert differing(np.arange(3), np.array([0, 1, 3])).tolist() == [False, False, True]


def test_ulp_tolerance():
    one = np.array([1.0, 1.0, -0.0], np.float32)
    near = np.array([np.nextafter(np.float32(1), np.float32(2)), 1.5, 0.0], np.float32)
    assert ulp_distance(one, near).tolist() == [1, 2 ** 22, 0]   # -0.0 and 0.0 are 0 ulp apart
    assert differing(one, near, ulp=1).tolist() == [False, True, False]
    assert differing(np.array([np.nan]), np.array([1.0]), ulp=4).tolist() == [True]


def test_agreeing_kernel_passes_every_example():
    report = check_kernel(cli_kernels.saxpy, SAXPY, (2,), (32,), examples=15, targets=["numpy"])
    assert report.ok and report.examples == 15 and report.targets == ["numpy"]
    assert str(report).splitlines()[-1] == "agree: every target matched the oracle on 15 examples"


def test_unavailable_targets_are_skipped():
    if simt.targets.is_available("cuda"):
        pytest.skip("a GPU is usable here")
    report = check_kernel(cli_kernels.saxpy, SAXPY, (1,), (8,), examples=3, targets=["numpy", "cuda"])
    assert report.targets == ["numpy"] and "cuda" in report.skipped
    assert "skipped cuda: the 'cuda' target is not available" in str(report)


def _losing_negative_zeros(launch):
    def buggy(fn, grid, block, args, **options):
        launch(fn, grid, block, args, **options)
        for array in args:
            if isinstance(array, np.ndarray) and array.dtype.kind == "f":
                array[(array == 0) & np.signbit(array)] = 0.0
    return buggy


@simt.kernel
def negate(x, out):
    i = simt.grid(1)
    if i < x.size:
        out[i] = -x[i]


def test_disagreement_is_shrunk_and_explained(monkeypatch):
    monkeypatch.setattr(numpy_backend, "launch", _losing_negative_zeros(numpy_backend.launch))
    report = check_kernel(negate, parse_signature("float32[:], float32[:]"), (2,), (32,),
                          examples=50, targets=["numpy"])
    assert not report.ok
    mismatch = report.disagreement.mismatch
    assert (mismatch.target, mismatch.argument, mismatch.index) == ("numpy", 1, (0,))
    text = str(report)
    assert "x    float32[64] = all 0.0" in text
    assert "first difference: out[0] (64 of 64 elements differ in numpy)" in text
    assert "python  -0.0  (0x80000000)" in text
    assert "numpy   0.0  (0x00000000)  <- differs" in text
    assert "written by threadIdx=(0, 0, 0) blockIdx=(0, 0, 0) in the python oracle" in text


def test_a_target_raising_where_the_oracle_does_not_disagrees(monkeypatch):
    def crashing(fn, grid, block, args, **options):
        raise simt.KernelRuntimeError("planted failure")
    monkeypatch.setattr(numpy_backend, "launch", crashing)
    report = check_kernel(cli_kernels.saxpy, SAXPY, (1,), (4,), examples=5, targets=["numpy"])
    assert not report.ok and report.disagreement.mismatch.argument is None
    assert "  numpy   raised KernelRuntimeError: planted failure" in str(report)


def test_the_writer_of_an_element_is_found_in_2d():
    out = np.zeros((4, 8), np.int32)
    writer = oracle_writer(cli_kernels.escape_time, (2, 2), (4, 2), [np.int64(3), out], 1, (3, 5))
    assert writer == "threadIdx=(1, 1, 0) blockIdx=(1, 1, 0)"
    assert oracle_writer(negate, 1, 4, [np.zeros(8, np.float32), np.zeros(8, np.float32)],
                         1, (6,)) is None
