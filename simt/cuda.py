"""numba.cuda-compatible names: ``from simt import cuda`` and keep your kernels.

    from simt import cuda

    @cuda.jit
    def add(x, y, out):
        i = cuda.grid(1)
        if i < out.size:
            out[i] = x[i] + y[i]
"""
from __future__ import annotations

from typing import Any

from .dispatcher import Dispatcher, check_options
from .language import (activemask, all_sync, any_sync, atomic, ballot_sync, blockDim, blockIdx, brev,
                       clz, eq_sync, ffs, fma, grid, gridDim, gridsize, laneid, lanemask_lt, local,
                       popc, shared, shfl_down_sync, shfl_sync, shfl_up_sync, shfl_xor_sync,
                       syncthreads, syncthreads_and, syncthreads_count, syncthreads_or, syncwarp,
                       threadfence, threadfence_block, threadfence_system, threadIdx, warpsize)

__all__ = [
    "activemask", "all_sync", "any_sync", "atomic", "ballot_sync", "blockDim", "blockIdx",
    "brev", "clz", "eq_sync", "ffs", "fma", "grid", "gridDim", "gridsize", "jit", "laneid",
    "lanemask_lt", "local", "popc", "shared", "shfl_down_sync", "shfl_sync", "shfl_up_sync",
    "shfl_xor_sync", "syncthreads", "syncthreads_and", "syncthreads_count", "syncthreads_or",
    "syncwarp", "threadfence", "threadfence_block", "threadfence_system", "threadIdx",
    "warpsize",
]


def jit(func_or_signature: Any = None, **options: Any):
    """``@cuda.jit``, ``@cuda.jit(device=True)``, ``@cuda.jit("void(float32[:])")``,
    ``@cuda.jit(fastmath=True)``; the options are those of ``@simt.kernel``.

    Signatures are accepted for compatibility and ignored: simt compiles lazily
    for the argument types of each launch.
    """
    check_options(options, "@cuda.jit")
    if callable(func_or_signature) and not isinstance(func_or_signature, (str, list, tuple)):
        return Dispatcher(func_or_signature, **options)

    def decorate(func):
        return Dispatcher(func, **options)
    return decorate
