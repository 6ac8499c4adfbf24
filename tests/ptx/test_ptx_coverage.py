"""Every IR op has a PTX lowering (PTX_IMPL) or a legalization rule that removes it."""
from __future__ import annotations

import pytest

from simt.backends.ptx import PTX_IMPL, compile_ptx
from simt.backends.ptx.legalize import REMOVED_OPS, UNSUPPORTED_OPS
from simt.ir import CompileError
from simt.ir.ops import GROUPS

from . import kernels


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_op_of_every_group_is_lowered(group: str) -> None:
    missing = [op.value for op in GROUPS[group]
               if op not in PTX_IMPL and op not in REMOVED_OPS and op not in UNSUPPORTED_OPS]
    assert not missing, f"group {group}: no PTX lowering or legalization for {missing}"


def test_removed_ops_have_no_emitter_entry() -> None:
    # an op in both would hide a missing legalization behind an emitter error
    assert not (REMOVED_OPS & set(PTX_IMPL))


def test_every_op_on_every_dtype_compiles() -> None:
    for fn in kernels.all_op_kernels(skip=UNSUPPORTED_OPS):
        ptx = compile_ptx(fn)
        assert f".entry {fn.name}(" in ptx


def test_emitter_fails_loudly_on_unlegalized_ir() -> None:
    from simt.backends.ptx import emit_ptx
    from simt.ir import Op
    from simt.ir.types import int8

    with pytest.raises(CompileError, match=r"kernels.py:7:5: PTX backend: cannot emit .*legaliz"):
        emit_ptx(kernels.op_kernel(Op.FLOORDIV, int8))


def test_legalize_keeps_the_callers_ir_and_verifies_each_phase() -> None:
    from simt.backends.ptx import legalize

    for fn in (kernels.saxpy(), kernels.sum_loop(), kernels.swap_loop(), kernels.if_else(),
               kernels.op_kernel(kernels.Op.POW, kernels.int32),
               kernels.op_kernel(kernels.Op.MOD, kernels.float32)):
        before = str(fn)
        legal = legalize(fn, verify_each=True)
        assert str(fn) == before
        assert legal is not fn
