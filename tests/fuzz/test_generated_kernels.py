"""The CI budget of random kernels: CPython oracle == numpy == ptx-emu (== cuda with a GPU).

A fixed hypothesis seed per shard makes every run check the same kernels; the
shards are separate tests so pytest-xdist spreads them over the workers. Each
kernel is also assembled for every supported architecture (nvJitLink or the
wheel's ptxas). A failure is shrunk to a small kernel and reported with its
source, inputs and each target's output (simt.testing.fuzz).
"""
from __future__ import annotations

import pytest

from simt.testing import fuzz

from .known_bugs import known_bug

SEED = 7_000
SHARDS = 8
EXAMPLES_PER_SHARD = 60       # 480 kernel/input pairs in all


@pytest.mark.parametrize("shard", range(SHARDS))
def test_generated_kernels_agree_everywhere(shard):
    stats = fuzz.run(EXAMPLES_PER_SHARD, SEED + shard, known=known_bug)
    assert stats.examples == EXAMPLES_PER_SHARD
