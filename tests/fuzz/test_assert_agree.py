"""``simt.testing.assert_agree``: the documented example, and what a disagreement reports."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import simt
from simt.backends.ptx import emit
from simt.testing import assert_agree
from simt.testing.agree import KernelDisagreement
from simt.testing.report import with_elements

N = 256


@simt.kernel
def clipped_saxpy(a, x, y, out):
    i = simt.grid(1)
    if i < x.shape[0]:
        out[i] = min(max(a * x[i] + y[i], np.float32(-1e3)), np.float32(1e3))


floats32 = st.floats(width=32)
vectors = hnp.arrays(np.float32, N, elements=floats32)


def test_documented_example_agrees():    # docs/testing.md
    assert_agree(clipped_saxpy, N // 64, 64,
                 floats32.map(np.float32), vectors, vectors, np.zeros(N, np.float32))


def test_disagreement_reports_the_shrunk_input_and_each_value(monkeypatch):
    monkeypatch.setitem(emit.FLOAT_BINARY, simt.ir.Op.ADD, "add.rz")   # a planted PTX bug

    @simt.kernel
    def add(x, y, out):
        i = simt.grid(1)
        out[i] = x[i] + y[i]

    with pytest.raises(KernelDisagreement) as caught:
        assert_agree(add, 1, 32, vectors.map(lambda v: v[:32].copy()),
                     hnp.arrays(np.float32, 32, elements=floats32), np.zeros(32, np.float32),
                     targets=["numpy", "ptx-emu"], seed=1)
    report = str(caught.value)
    assert "ptx-emu disagrees with the CPython oracle" in report
    assert "first difference: out[" in report and "<- differs" in report
    namespace = {"np": np, "with_elements": with_elements}
    x_line = next(line for line in report.splitlines() if line.startswith("x = "))
    exec(x_line, namespace)                 # the input prints as Python that rebuilds it
    assert namespace["x"].dtype == np.float32 and namespace["x"].shape == (32,)


def test_oracle_errors_fail_unless_allowed():
    @simt.kernel
    def reads_past_the_end(x, out):
        i = simt.grid(1)
        out[i] = x[i + 1]

    with pytest.raises(KernelDisagreement, match="the CPython oracle raised IndexError"):
        assert_agree(reads_past_the_end, 1, 4, np.zeros(4, np.int32), np.zeros(4, np.int32),
                     targets=["numpy"])


def test_plain_values_and_per_argument_tolerance():
    @simt.kernel
    def exp_and_copy(x, approx, exact):
        i = simt.grid(1)
        approx[i] = np.float32(np.exp(x[i]))
        exact[i] = x[i]

    assert_agree(exp_and_copy, 1, 8, hnp.arrays(np.float32, 8, elements=st.floats(-10, 10, width=32)),
                 np.zeros(8, np.float32), np.zeros(8, np.float32), ulp=[0, 4, 0], max_examples=10)


def test_wrong_argument_count_is_a_type_error():
    with pytest.raises(TypeError, match="takes 4 arguments"):
        assert_agree(clipped_saxpy, 1, 1, np.float32(1))
