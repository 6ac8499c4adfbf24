"""CPython oracle == numpy target, on every kernel of the corpus, hypothesis inputs."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simt
from simt.testing import run_python

from .compare import assert_same
from .corpus import CASES


def run_both(case, arguments):
    expected = copy.deepcopy(arguments)
    actual = copy.deepcopy(arguments)
    run_python(case.kernel.py_func, case.grid, case.block, expected)
    with simt.target("numpy"):
        case.kernel[case.grid, case.block](*actual)
    return expected, actual


@pytest.mark.parametrize("case", [c for c in CASES if "print" not in c.tags], ids=lambda c: c.name)
@settings(max_examples=15, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_numpy_target_matches_oracle(case, data):
    arguments = data.draw(case.args(), label="arguments")
    expected, actual = run_both(case, arguments)
    for index, (e, a) in enumerate(zip(expected, actual)):
        if isinstance(e, np.ndarray):
            assert_same(f"{case.name} argument {index}", e, a, case.ulp)


@pytest.mark.parametrize("case", [c for c in CASES if "print" in c.tags], ids=lambda c: c.name)
def test_print_output_matches_oracle(case, capsys):
    arguments = [np.arange(-4, 4, dtype=np.int32)]
    run_python(case.kernel.py_func, case.grid, case.block, copy.deepcopy(arguments))
    expected = capsys.readouterr().out
    with simt.target("numpy"):
        case.kernel[case.grid, case.block](*arguments)
    assert capsys.readouterr().out == expected
    assert expected.count("\n") == 8


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
