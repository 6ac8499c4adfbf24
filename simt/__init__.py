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
from .dispatcher import Dispatcher, device, kernel
from .targets import current_target, is_available, target
from .ir.errors import (CompileError, KernelRuntimeError, LaunchError, SimtError,
                        TargetUnavailableError)
from .language import blockDim, blockIdx, fma, grid, gridDim, gridsize, laneid, threadIdx, warpsize

__version__ = "0.1.0"

__all__ = [
    "CompileError", "Dispatcher", "KernelRuntimeError", "LaunchError", "SimtError",
    "TargetUnavailableError", "blockDim", "blockIdx", "current_target", "device", "fma", "grid",
    "is_available",
    "gridDim", "gridsize", "kernel", "laneid", "target", "threadIdx", "warpsize",
]
del _language
