"""Golden IR: each case's optimized IR text, verified after every pass.

Refresh with SIMT_UPDATE_GOLDEN=1 after an intended change, and review the diff.
CPython's own compiler lays out some branches differently per version, so a case
may have a `name.py312.ir.txt` beside `name.ir.txt` for the versions that differ.
"""
import importlib
import os
import sys

import pytest

from simt.backends.numpy import evaluate_constant
from simt.ir import verify
from simt.ir.passes import optimize
from simt.tracer import trace

HERE = os.path.dirname(__file__)
CASES = sorted(f[:-3] for f in os.listdir(os.path.join(HERE, "cases")) if f.endswith(".py") and not f.startswith("_"))


def traced(name):
    module = importlib.import_module(f"tests.golden.cases.{name}")
    specs = module.kernel.specs(module.ARGS)
    fn = trace(module.kernel.py_func, [s.type for s in specs], [s.weak for s in specs])
    verify(fn)
    return optimize(fn, evaluate=evaluate_constant, verify_each=True)


@pytest.mark.parametrize("name", CASES)
def test_ir_matches_golden(name):
    text = str(traced(name)) + "\n"
    base = os.path.join(HERE, "cases", f"{name}.ir.txt")
    versioned = os.path.join(HERE, "cases", f"{name}.py3{sys.version_info[1]}.ir.txt")
    if os.environ.get("SIMT_UPDATE_GOLDEN"):
        if not os.path.exists(base):
            _write(base, text)
        elif _read(base) != text:
            _write(versioned, text)
    expected = _read(versioned) if os.path.exists(versioned) else _read(base)
    assert text == expected


def _read(path):
    with open(path) as f:
        return f.read()


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_every_corpus_kernel_verifies_after_each_pass():
    from tests.differential.corpus import CASES as CORPUS
    from hypothesis import HealthCheck, given, settings, strategies as st

    for case in CORPUS:
        @settings(max_examples=1, database=None, suppress_health_check=list(HealthCheck))
        @given(st.data())
        def check(data):
            args = data.draw(case.args())
            specs = case.kernel.specs(args)
            fn = trace(case.kernel.py_func, [s.type for s in specs], [s.weak for s in specs])
            verify(fn)
            optimize(fn, evaluate=evaluate_constant, verify_each=True)
        check()
