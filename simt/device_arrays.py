"""Arrays in GPU memory, for the ``cuda`` target: ``simt.to_device``, ``simt.device_array``.

    x = simt.to_device(np.arange(n, dtype=np.float32))   # copy to the GPU
    out = simt.device_array(n, np.float32)                # uninitialized, on the GPU
    saxpy[blocks, threads](np.float32(2), x, x, out)      # no copies, asynchronous
    result = out.copy_to_host()                           # waits, then copies back

Kernels on the ``cuda`` target also take other libraries' GPU arrays without copies:
anything with ``__cuda_array_interface__`` (CuPy, numba, PyTorch) or DLPack on a CUDA
device (``__dlpack__``: PyTorch, JAX, CuPy), as long as it is C-contiguous. These
functions need a GPU; without one they raise ``TargetUnavailableError`` saying so.

The implementation is the PTX backend's (``simt/backends/ptx/device_memory.py``); this
module is its public face and imports it only when first used, so ``import simt``
stays fast. ``DeviceArray`` (the class) is reachable as an attribute of this module.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["device_array", "device_array_signature", "is_device_array", "to_device"]


def _backend():
    from .backends.ptx import device_memory
    return device_memory


def to_device(host: Any, stream: Any = None):
    """A ``DeviceArray`` holding a copy of ``host`` (a NumPy array or anything
    ``np.asarray`` takes). Returns when the copy is done unless a ``stream`` is given."""
    return _backend().to_device(host, stream)


def device_array(shape: Any, dtype: Any = np.float64, stream: Any = None):
    """An uninitialized ``DeviceArray`` of ``shape`` and ``dtype`` (like ``np.empty``)."""
    return _backend().device_array(shape, dtype, stream)


def is_device_array(value: Any) -> bool:
    """Whether ``value`` is an array in GPU memory (CUDA Array Interface or CUDA DLPack)."""
    if isinstance(value, np.ndarray) or not (
            hasattr(value, "__cuda_array_interface__") or hasattr(value, "__dlpack__")):
        return False
    return _backend().is_device_array(value)


def device_array_signature(value: Any) -> tuple[np.dtype, int, tuple[int, ...]] | None:
    """``(dtype, ndim, shape)`` of a GPU array argument, or None if ``value`` is not one.

    For the dispatcher's argument types: objects with ``__cuda_array_interface__`` are
    read without touching the driver; DLPack objects need cuda.core. Raises LaunchError
    for a device array that is not C-contiguous.
    """
    if not is_device_array(value):
        return None
    dtype, shape = _backend().array_signature(value)
    return dtype, len(shape), shape


def __getattr__(name: str) -> Any:
    if name == "DeviceArray":
        return _backend().DeviceArray
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
