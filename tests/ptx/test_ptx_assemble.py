"""Emitted PTX is deterministic, rounds explicitly and assembles for every supported arch.

Assembly needs nvJitLink (cuda-bindings + nvidia-nvjitlink) or the ptxas of the
nvidia-cuda-nvcc wheel; without either these tests skip, saying so. To keep the suite
fast the many one-op kernels are assembled as one module per architecture.
"""
from __future__ import annotations

import re

import pytest

from simt.backends.ptx import SUPPORTED_ARCHS, assemble, available, compile_ptx
from simt.backends.ptx.assemble import AssemblerError, find_ptxas
from simt.backends.ptx.legalize import UNSUPPORTED_OPS

from . import kernels
from .modules import merge_modules

needs_assembler = pytest.mark.skipif(
    not available(), reason="no PTX assembler: install nvidia-nvjitlink + cuda-bindings or "
                            "nvidia-cuda-nvcc (the cuda extra)")

SAMPLES = {
    "saxpy": kernels.saxpy, "sum_loop": kernels.sum_loop, "swap_loop": kernels.swap_loop,
    "if_else": kernels.if_else, "copy_1d": lambda: kernels.copy_nd(1),
    "copy_2d": lambda: kernels.copy_nd(2), "copy_3d": lambda: kernels.copy_nd(3, kernels.int64),
    "print": kernels.print_kernel,
}
FLOAT_ARITH = re.compile(r"^\s*(add|sub|mul|div|sqrt|fma)(\.\w+)*\.f(32|64)\b", re.M)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_ptx_is_deterministic_and_rounds_explicitly(name: str) -> None:
    first, second = compile_ptx(SAMPLES[name]()), compile_ptx(SAMPLES[name]())
    assert first == second
    for line in FLOAT_ARITH.finditer(first):
        assert ".rn" in line.group(0), f"float arithmetic without .rn: {line.group(0)}"
    assert ".address_size 64" in first and ".visible .entry" in first


def test_float_ops_all_carry_rn() -> None:
    text = "\n".join(compile_ptx(fn) for fn in kernels.all_op_kernels(skip=UNSUPPORTED_OPS)
                     if fn.name.split("_")[-1].startswith("float"))
    lines = [m.group(0) for m in FLOAT_ARITH.finditer(text)]
    assert lines and all(".rn" in line for line in lines)


@needs_assembler
@pytest.mark.parametrize("arch", SUPPORTED_ARCHS)
def test_sample_kernels_assemble(arch: str) -> None:
    for name, build in sorted(SAMPLES.items()):
        cubin = assemble(compile_ptx(build(), arch), arch)
        assert cubin[:4] == b"\x7fELF", name


@needs_assembler
@pytest.mark.parametrize("arch", SUPPORTED_ARCHS)
def test_every_op_kernel_assembles(arch: str) -> None:
    modules = [compile_ptx(fn, arch) for fn in kernels.all_op_kernels(skip=UNSUPPORTED_OPS)]
    modules += [compile_ptx(kernels.cast_kernel(s, d), arch)
                for s in kernels.SCALAR_TYPES for d in kernels.SCALAR_TYPES]
    assert assemble(merge_modules(modules), arch)[:4] == b"\x7fELF"


@needs_assembler
def test_invalid_ptx_raises_with_the_assembler_log() -> None:
    ptx = compile_ptx(kernels.saxpy()).replace("add.rn.f32", "add.bogus.f32")
    with pytest.raises(AssemblerError) as info:
        assemble(ptx, "sm_90")
    assert "add.bogus.f32" in str(info.value) or "bogus" in str(info.value)


@pytest.mark.skipif(find_ptxas() is None, reason="no ptxas from the nvidia-cuda-nvcc wheel")
def test_wheel_ptxas_path_works_too() -> None:
    assert "site-packages" in find_ptxas() or "SIMT_PTXAS" in __import__("os").environ
    cubin = assemble(compile_ptx(kernels.sum_loop(), "sm_75"), "sm_75", use="ptxas")
    assert cubin[:4] == b"\x7fELF"
    with pytest.raises(AssemblerError, match="ptxas rejected"):
        assemble("garbage", "sm_80", use="ptxas")


def test_unknown_arch_is_a_clear_error() -> None:
    from simt.ir import CompileError
    with pytest.raises(CompileError, match="sm_52"):
        compile_ptx(kernels.saxpy(), "sm_52")
