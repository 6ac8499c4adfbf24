"""Every kernel of the differential corpus compiles to PTX that assembles for every arch.

DESIGN.md's testing pyramid, level 3: no GPU is needed, only nvJitLink or the wheel's
ptxas. A failure here is a backend bug. The kernels are traced once (their IR depends
only on the argument types), and all of them go to the assembler as one module per
architecture, which keeps the test to a few seconds.
"""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, settings

from simt.backends.ptx import SUPPORTED_ARCHS, assemble, available, compile_ptx
from simt.ir import Function

from ..differential.corpus import CASES
from .modules import merge_modules

# The generate phase alone, derandomized: hypothesis' first example is its simplest
# one (zero-filled arrays, zero or minimum scalars), so this is quick and deterministic.
SIMPLEST = settings(database=None, phases=[Phase.generate], derandomize=True, max_examples=1,
                    deadline=None, suppress_health_check=list(HealthCheck))


def simplest_args(case) -> list[Any]:
    """Example arguments of ``case`` (a corpus Case): hypothesis' simplest draw."""
    return find(case.args(), lambda _: True, settings=SIMPLEST)


@pytest.fixture(scope="module")
def corpus_ir() -> dict[str, Function]:
    return {case.name: case.kernel.ir(*simplest_args(case)) for case in CASES}


def test_every_corpus_kernel_compiles(corpus_ir: dict[str, Function]) -> None:
    for name, fn in corpus_ir.items():
        assert ".visible .entry" in compile_ptx(fn), name


@pytest.mark.skipif(not available(), reason="no PTX assembler: install nvidia-nvjitlink + "
                                            "cuda-bindings or nvidia-cuda-nvcc (the cuda extra)")
@pytest.mark.parametrize("arch", SUPPORTED_ARCHS)
def test_every_corpus_kernel_assembles(arch: str, corpus_ir: dict[str, Function]) -> None:
    module = merge_modules([compile_ptx(fn, arch) for fn in corpus_ir.values()])
    assert assemble(module, arch)[:4] == b"\x7fELF"
