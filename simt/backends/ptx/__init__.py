"""The PTX backend: IR -> legalized IR -> PTX text -> cubin (ptxas / nvJitLink).

``compile_ptx(fn, arch)`` legalizes a kernel (the caller runs the IR optimization
pipeline first) and emits PTX; ``compile_ptx_cached`` memoizes that on the Function;
``assemble(ptx, arch)`` turns it into a cubin. The kernel ABI (how arguments become
params, ``flatten_arguments``) is in ``abi.py``; the ``cuda`` target is ``runtime.py``.
This package imports only ``simt.ir`` and NumPy; ``cuda.*`` is imported lazily.
"""
from __future__ import annotations

import threading

from simt.ir import Function

from .abi import KernelParam, flatten_arguments, kernel_name, kernel_params
from .assemble import SUPPORTED_ARCHS, AssemblerError, assemble, available
from .emit import PTX_IMPL, PTX_VERSION, emit_ptx
from .legalize import legalize
from .ranges import GRID_AXIS_LIMIT

_PTX_MEMO = "_simt_ptx_by_arch"     # the attribute compile_ptx_cached keeps on a Function
_memo_lock = threading.Lock()


def compile_ptx(fn: Function, arch: str = "sm_90", small_grid: bool = True) -> str:
    """PTX text for kernel ``fn`` targeting ``arch`` (one of SUPPORTED_ARCHS).

    ``small_grid`` (the default) compiles for launches with ``grid[k] * block[k] < 2**31``
    on every axis, where thread indices cannot wrap (see ``ranges.py``); a launcher that
    may exceed that asks for ``small_grid=False`` (``fits_small_grid`` tells).
    ``fn.fastmath`` (the kernel option) maps float32 transcendentals to ``.approx``
    instructions (``lower_float.py``).
    """
    return emit_ptx(legalize(fn, small_grid=small_grid), arch)


def fits_small_grid(grid: tuple[int, ...], block: tuple[int, ...]) -> bool:
    """Whether a launch meets the ``small_grid`` precondition of ``compile_ptx``."""
    return all(g * b <= GRID_AXIS_LIMIT for g, b in zip(grid, block))


def compile_ptx_cached(fn: Function, arch: str = "sm_90", small_grid: bool = True) -> str:
    """``compile_ptx(fn, arch, small_grid)``, computed once per Function and arguments.

    The dispatcher never changes a Function after optimizing it, so the text is kept
    on the Function itself (a dict keyed by arch, small_grid and fastmath, which changes
    the text) and dies with it.
    """
    memo = getattr(fn, _PTX_MEMO, None)
    if memo is None:
        with _memo_lock:
            memo = fn.__dict__.setdefault(_PTX_MEMO, {})
    key = (arch, small_grid, fn.fastmath)
    text = memo.get(key)
    if text is None:
        text = memo[key] = compile_ptx(fn, arch, small_grid)
    return text


__all__ = [
    "AssemblerError", "KernelParam", "PTX_IMPL", "PTX_VERSION", "SUPPORTED_ARCHS", "assemble",
    "available", "compile_ptx", "compile_ptx_cached", "emit_ptx", "fits_small_grid",
    "flatten_arguments",
    "kernel_name", "kernel_params", "legalize",
]
