"""The random-kernel machinery catches real code generation bugs within the CI budget.

Each test plants a bug in one of the PTX emitter's lowering tables (as a careless
edit to a lowering would), runs the generated-kernel check on the CI budget's kernels
(shard after shard, stopping at the first failure), and expects a disagreement
between ptx-emu and the oracle, shrunk and reduced to a kernel of a few lines (at most 8, device functions
and constants included).
"""
from __future__ import annotations

import pytest

import simt
from simt.backends.ptx import emit
from simt.testing import fuzz

from .known_bugs import known_bug
from .test_generated_kernels import EXAMPLES_PER_SHARD, SEED, SHARDS

Op = simt.ir.Op


def first_failure() -> fuzz.GeneratedKernelFailure:
    """The first failure the CI budget meets (its shards in order), shrunk and reduced."""
    for shard in range(SHARDS):
        try:
            fuzz.run(EXAMPLES_PER_SHARD, SEED + shard, targets=["numpy", "ptx-emu"], archs=(),
                     known=known_bug)
        except fuzz.GeneratedKernelFailure as failure:
            return failure
    pytest.fail(f"the planted bug went unnoticed by {SHARDS * EXAMPLES_PER_SHARD} kernels")


@pytest.mark.parametrize("table, op, planted", [
    ("COMPARE_INT", Op.LT, "le"),      # signed a < b lowered as a <= b
    ("BITWISE", Op.XOR, "or"),         # ^ lowered as |
    ("INT_BINARY", Op.MIN, "max"),     # min lowered as max
], ids=["lt-as-le", "xor-as-or", "min-as-max"])
def test_planted_lowering_bug_is_caught_and_shrunk(monkeypatch, table, op, planted):
    monkeypatch.setitem(getattr(emit, table), op, planted)
    failure = first_failure()
    assert failure.summary.startswith("ptx-emu"), failure.report()
    lines = [line for line in failure.case.source.splitlines() if line.strip()]
    assert len(lines) <= 8, failure.report()
