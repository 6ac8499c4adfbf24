"""simt: write NVIDIA GPU kernels as plain Python functions.

    @simt.kernel
    def saxpy(a, x, y, out):
        i = simt.grid(1)
        if i < x.shape[0]:
            out[i] = a * x[i] + y[i]

    saxpy[blocks, threads](np.float32(2.0), x, y, out)

See README.md and docs/ for the kernel language and the targets.
"""
from . import language as _language
from .device_arrays import device_array, to_device
from .dispatcher import Dispatcher, device, kernel
from .targets import current_target, is_available, target
from .ir.errors import (CompileError, KernelRuntimeError, LaunchError, SimtError,
                        TargetUnavailableError)
from .language import (activemask, all_sync, any_sync, atomic, ballot_sync, blockDim, blockIdx, brev,
                       clz, eq_sync, ffs, fma, grid, gridDim, gridsize, laneid, lanemask_lt, local,
                       popc, shared, shfl_down_sync, shfl_sync, shfl_up_sync, shfl_xor_sync,
                       syncthreads, syncthreads_and, syncthreads_count, syncthreads_or, syncwarp,
                       threadfence, threadfence_block, threadfence_system, threadIdx, warpsize)

__version__ = "0.1.0"

__all__ = [
    "activemask", "all_sync", "any_sync", "atomic", "ballot_sync", "blockDim", "blockIdx",
    "brev", "clz", "CompileError", "current_target", "device", "device_array", "Dispatcher", "eq_sync", "ffs",
    "fma", "grid", "gridDim", "gridsize", "is_available", "kernel", "KernelRuntimeError",
    "laneid", "lanemask_lt", "LaunchError", "local", "popc", "shared", "shfl_down_sync",
    "shfl_sync", "shfl_up_sync", "shfl_xor_sync", "SimtError", "syncthreads",
    "syncthreads_and", "syncthreads_count", "syncthreads_or", "syncwarp", "target",
    "TargetUnavailableError", "threadfence", "threadfence_block", "threadfence_system",
    "threadIdx", "to_device", "warpsize",
]
del _language
