"""Golden PTX for a few kernels: the exact text, so codegen changes show up in review.

Refresh with ``SIMT_UPDATE_GOLDEN=1 pytest tests/ptx/test_ptx_golden.py`` and read the diff.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from simt.backends.ptx import compile_ptx

from . import kernels, primitive_kernels

GOLDEN = Path(__file__).parent / "golden"
CASES = {"saxpy": kernels.saxpy, "sum_loop": kernels.sum_loop, "if_else": kernels.if_else,
         "print": kernels.print_kernel, "block_sum": primitive_kernels.block_sum}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_ptx(name: str) -> None:
    text = compile_ptx(CASES[name](), "sm_90")
    path = GOLDEN / f"{name}.ptx"
    if os.environ.get("SIMT_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"{path} is missing: run with SIMT_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"PTX for {name} changed: rerun with SIMT_UPDATE_GOLDEN=1 " \
                                     "and review the diff"
