"""Every instruction simt's PTX emitter produces is in the emulator's supported
set: emit a kernel for every IR op on every dtype and load it (lowering rejects
unknown instructions and modifiers before anything runs)."""
from __future__ import annotations

import pytest

ptx_backend = pytest.importorskip("simt.backends.ptx")


def test_every_emitted_op_kernel_loads():
    kernels = pytest.importorskip("tests.ptx.kernels")
    if not hasattr(kernels, "all_op_kernels"):
        pytest.skip("tests.ptx.kernels no longer provides all_op_kernels")
    from simt.backends.ptx.legalize import UNSUPPORTED_OPS

    from simt.backends.ptx_emu import load_program

    failures = []
    for fn in kernels.all_op_kernels(skip=UNSUPPORTED_OPS):
        text = ptx_backend.compile_ptx(fn)
        try:
            load_program(text, None)
        except Exception as exc:  # noqa: BLE001 - collect them all for one report
            failures.append(f"{fn.name}: {str(exc).splitlines()[0]}")
    assert not failures, "\n".join(failures)
