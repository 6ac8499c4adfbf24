"""The numpy-vs-ptx-emu differential test catches real code generation bugs.

Each test plants a bug in the PTX emitter's tables (a comparison swapped, a
rounding mode dropped), compiles fresh kernels, and shows that hypothesis-drawn
inputs make the two targets disagree.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import simt
from simt.backends.ptx import emit

from .compare import assert_same


def disagreement_found(make_kernel, arrays_strategy, examples: int = 60) -> bool:
    """Whether numpy and ptx-emu disagree on some drawn input of a fresh kernel."""
    kernel = make_kernel()

    @settings(max_examples=examples, database=None, suppress_health_check=list(HealthCheck),
              deadline=None)
    @given(arrays_strategy)
    def check(arrays):
        results = []
        for target in ("numpy", "ptx-emu"):
            args = copy.deepcopy(list(arrays))
            with simt.target(target):
                kernel[1, 32](*args)
            results.append(args)
        for e, a in zip(*results):
            assert_same("planted", e, a)

    try:
        check()
    except AssertionError:
        return True
    return False


def compare_kernel():
    @simt.kernel
    def less(x, y, out):
        i = simt.grid(1)
        out[i] = 1 if x[i] < y[i] else 0
    return less


def add_kernel():
    @simt.kernel
    def add(x, y, out):
        i = simt.grid(1)
        out[i] = x[i] + y[i]
    return add


INTS = st.tuples(hnp.arrays(np.int32, 32, elements=st.integers(-3, 3)),
                 hnp.arrays(np.int32, 32, elements=st.integers(-3, 3)),
                 st.just(np.zeros(32, np.int32)))
FLOATS = st.tuples(hnp.arrays(np.float32, 32, elements=st.floats(-1e3, 1e3, width=32)),
                   hnp.arrays(np.float32, 32, elements=st.floats(-1e3, 1e3, width=32)),
                   st.just(np.zeros(32, np.float32)))


def test_correct_emitter_agrees():
    assert not disagreement_found(compare_kernel, INTS, examples=20)
    assert not disagreement_found(add_kernel, FLOATS, examples=20)


def test_lt_swapped_for_le_is_caught(monkeypatch):
    monkeypatch.setitem(emit.COMPARE_INT, simt.ir.Op.LT, "le")
    assert disagreement_found(compare_kernel, INTS)


def test_missing_round_to_nearest_is_caught(monkeypatch):
    monkeypatch.setitem(emit.FLOAT_BINARY, simt.ir.Op.ADD, "add.rz")
    assert disagreement_found(add_kernel, FLOATS)
