"""The PTX backend: IR -> legalized IR -> PTX text -> cubin (ptxas / nvJitLink).

``compile_ptx(fn, arch)`` legalizes a kernel (the caller runs the IR optimization
pipeline first) and emits PTX; ``assemble(ptx, arch)`` turns it into a cubin.
The kernel ABI (how arguments become params) is in ``abi.py``. This package
imports only ``simt.ir`` and NumPy; ``cuda.*`` is imported lazily by ``assemble``.
"""
from __future__ import annotations

from simt.ir import Function

from .abi import KernelParam, kernel_name, kernel_params
from .assemble import SUPPORTED_ARCHS, AssemblerError, assemble, available
from .emit import PTX_IMPL, PTX_VERSION, emit_ptx
from .legalize import legalize


def compile_ptx(fn: Function, arch: str = "sm_90") -> str:
    """PTX text for kernel ``fn`` targeting ``arch`` (one of SUPPORTED_ARCHS)."""
    return emit_ptx(legalize(fn), arch)


__all__ = [
    "AssemblerError", "KernelParam", "PTX_IMPL", "PTX_VERSION", "SUPPORTED_ARCHS", "assemble",
    "available", "compile_ptx", "emit_ptx", "kernel_name", "kernel_params", "legalize",
]
