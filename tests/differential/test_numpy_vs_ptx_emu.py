"""numpy target == ptx-emu (the emitted PTX, run on the CPU), on every corpus kernel.

Bitwise for integer and + - * / sqrt work; within the case's ulp bound for math
functions (the PTX math library is simt's own, the numpy target uses NumPy's).
"""
from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simt

from .compare import assert_same
from .corpus import CASES

# Transcendental cases get max(case.ulp, PTX_MATH_ULP): the PTX math library is within
# 0.56 ulp of exact (docs/mathlib.md), NumPy's own float32/float64 loops that the numpy
# target calls within 3.3 ulp (measured on 1M inputs), so the two within their sum.
PTX_MATH_ULP = 4


def run_on(target, case, arguments):
    args = copy.deepcopy(arguments)
    with simt.target(target):
        case.kernel[case.grid, case.block](*args)
    return args


@pytest.mark.parametrize("case", [c for c in CASES if "print" not in c.tags], ids=lambda c: c.name)
@settings(max_examples=8, suppress_health_check=list(HealthCheck), deadline=None)
@given(data=st.data())
def test_ptx_emu_matches_numpy(case, data):
    arguments = data.draw(case.args(), label="arguments")
    expected = run_on("numpy", case, arguments)
    actual = run_on("ptx-emu", case, arguments)
    ulp = max(case.ulp, PTX_MATH_ULP) if case.ulp else 0
    for index, (e, a) in enumerate(zip(expected, actual)):
        if isinstance(e, np.ndarray):
            assert_same(f"{case.name} argument {index}", e, a, ulp)
