"""Every kernel of the primitives differential suite (numpy vs ptx-emu) compiles to PTX
that assembles for every supported architecture, as one merged module per arch."""
from __future__ import annotations

import pytest

from simt.backends.ptx import SUPPORTED_ARCHS, assemble, available, compile_ptx

from ..differential.test_primitives_ptx_emu import EXAMPLES
from .modules import merge_modules


@pytest.fixture(scope="module")
def traced():
    return [kernel.ir(*args) for kernel, args in EXAMPLES]


@pytest.mark.skipif(not available(), reason="no PTX assembler: install nvidia-nvjitlink + "
                                            "cuda-bindings or nvidia-cuda-nvcc (the cuda extra)")
@pytest.mark.parametrize("arch", SUPPORTED_ARCHS)
def test_primitive_kernels_assemble(arch: str, traced) -> None:
    module = merge_modules([compile_ptx(fn, arch) for fn in traced])
    assert assemble(module, arch)[:4] == b"\x7fELF"
