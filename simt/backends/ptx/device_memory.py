"""Arrays in GPU memory: simt's own ``DeviceArray`` and views of other libraries' arrays.

``device_view(obj)`` reads where a device array lives without copying it: from the
CUDA Array Interface (``__cuda_array_interface__``, versions 2 and 3; CuPy, numba,
PyTorch, simt) in plain Python, else from DLPack (``__dlpack__`` on a CUDA device;
JAX, PyTorch, CuPy) through cuda.core's ``StridedMemoryView``. Launches take arrays as
C-contiguous (row-major) buffers, so a strided view is refused with a LaunchError.

``DeviceArray`` (``to_device``, ``device_array``) owns a cuda.core Buffer; copies to and
from the host go through the driver (``cuMemcpyHtoDAsync``/``cuMemcpyDtoHAsync``) on a
stream, and every call that hands host memory back synchronizes before returning.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simt.ir import LaunchError, TargetUnavailableError

from . import driver_context

DLPACK_CUDA_DEVICES = {2, 3, 13}       # kDLCUDA, kDLCUDAHost, kDLCUDAManaged


@dataclass(frozen=True)
class ArrayView:
    """What a launch needs to know of a device array."""
    pointer: int
    shape: tuple[int, ...]
    dtype: np.dtype
    owner: Any = None          # keeps the viewed object alive while the view is used
    stream: int | None = None  # CAI v3: the producer's stream (None: no ordering needed)

    @property
    def ndim(self) -> int:
        return len(self.shape)


def is_device_array(obj: Any) -> bool:
    """Whether ``obj`` looks like an array in GPU memory (CAI, or DLPack on a CUDA device)."""
    if isinstance(obj, np.ndarray):
        return False
    if hasattr(obj, "__cuda_array_interface__"):
        return True
    return _dlpack_device(obj) in DLPACK_CUDA_DEVICES


def _dlpack_device(obj: Any) -> int | None:
    probe = getattr(obj, "__dlpack_device__", None)
    if probe is None:
        return None
    try:
        return int(probe()[0])
    except Exception:
        return None


def _c_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    strides, step = [], itemsize
    for extent in reversed(shape):
        strides.append(step)
        step *= max(extent, 1)
    return tuple(reversed(strides))


def cai_view(obj: Any, name: str = "array") -> ArrayView:
    """The view of an object with ``__cuda_array_interface__`` (pure Python, no driver)."""
    interface = obj.__cuda_array_interface__
    shape = tuple(int(n) for n in interface["shape"])
    dtype = np.dtype(interface["typestr"])
    if interface.get("mask") is not None:
        raise LaunchError(f"argument {name!r}: masked device arrays are not supported")
    strides = interface.get("strides")
    if strides is not None and np.prod(shape) > 1 and tuple(strides) != _c_strides(shape, dtype.itemsize):
        raise LaunchError(f"argument {name!r}: the device array is not C-contiguous "
                          f"(strides {tuple(strides)}); make a contiguous copy first")
    pointer, readonly = interface["data"]
    stream = interface.get("stream") if int(interface.get("version", 2)) >= 3 else None
    return ArrayView(int(pointer or 0), shape, dtype, obj, stream)


def device_view(obj: Any, name: str = "array", stream: Any = None) -> ArrayView:
    """The view of any device array; DLPack producers order their work before ``stream``."""
    if hasattr(obj, "__cuda_array_interface__"):
        return cai_view(obj, name)
    if _dlpack_device(obj) not in DLPACK_CUDA_DEVICES:
        raise LaunchError(f"argument {name!r}: {type(obj).__name__} is not an array in GPU memory")
    ctx = driver_context.context()
    utils = _cuda_core_utils(ctx)
    consumer = -1 if stream is None else int(stream.handle)
    view = utils.StridedMemoryView(obj, stream_ptr=consumer)
    shape = tuple(int(n) for n in view.shape)
    strides = view.strides            # in elements; None means C-contiguous
    if strides is not None and np.prod(shape) > 1 and \
            tuple(strides) != tuple(s // view.dtype.itemsize for s in _c_strides(shape, view.dtype.itemsize)):
        raise LaunchError(f"argument {name!r}: the device array is not C-contiguous; "
                          "make a contiguous copy first")
    return ArrayView(int(view.ptr), shape, np.dtype(view.dtype), view)


def _cuda_core_utils(ctx: driver_context.GpuContext) -> Any:
    try:
        from cuda.core import utils
        utils.StridedMemoryView       # noqa: B018
    except (ImportError, AttributeError):
        from cuda.core.experimental import utils
    return utils


def array_signature(obj: Any) -> tuple[np.dtype, tuple[int, ...]] | None:
    """(dtype, shape) of a device array, for the dispatcher's argument types; None if
    ``obj`` is not one. CAI objects are read without the driver."""
    if not is_device_array(obj):
        return None
    view = device_view(obj)
    return view.dtype, view.shape


# -- simt's own device arrays -----------------------------------------------------------

def _need_gpu(what: str) -> driver_context.GpuContext:
    try:
        return driver_context.context()
    except TargetUnavailableError as exc:
        raise TargetUnavailableError(
            f"{what} needs an NVIDIA GPU usable through cuda-python, and there is none here: "
            f"{exc}. On the CPU targets ('numpy', 'ptx-emu') pass NumPy arrays to kernels "
            "instead") from None


class DeviceArray:
    """A C-contiguous array in GPU global memory (``simt.to_device``, ``simt.device_array``).

    Kernels on the ``cuda`` target read and write it in place, without copies; other
    libraries see it through ``__cuda_array_interface__``. ``copy_to_host()`` brings it back.
    """

    def __init__(self, buffer: Any, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self._buffer = buffer
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(dtype)
        self.pointer = int(buffer.handle)                      # the device address
        self.extents = tuple(np.int64(n) for n in self.shape)  # as kernel params take them

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d device array")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"<simt.DeviceArray shape={self.shape} dtype={self.dtype}>"

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        # "stream": None, since every operation of simt on it is ordered on the stream the
        # caller chose and host-visible ones synchronize (CAI v3)
        return {"shape": self.shape, "typestr": self.dtype.str, "data": (self.pointer, False),
                "strides": None, "version": 3, "stream": None}

    def copy_to_host(self, out: np.ndarray | None = None, stream: Any = None) -> np.ndarray:
        """The contents as a NumPy array (``out`` if given), after synchronizing ``stream``."""
        ctx = _need_gpu("DeviceArray.copy_to_host")
        if out is None:
            out = np.empty(self.shape, self.dtype)
        elif out.shape != self.shape or out.dtype != self.dtype or not out.flags.c_contiguous:
            raise LaunchError(f"copy_to_host: out must be a C-contiguous {self.dtype} array "
                              f"of shape {self.shape}")
        chosen = driver_context.as_stream(ctx, stream)
        copy_to_host(ctx, out, self.pointer, chosen)
        chosen.sync()
        return out

    def copy_to_device(self, host: np.ndarray, stream: Any = None) -> None:
        """Overwrite the contents with ``host`` (same shape and dtype); returns when the
        copy is done unless a ``stream`` is given."""
        ctx = _need_gpu("DeviceArray.copy_to_device")
        host = np.ascontiguousarray(host)
        if host.shape != self.shape or host.dtype != self.dtype:
            raise LaunchError(f"copy_to_device: expected a {self.dtype} array of shape "
                              f"{self.shape}, got {host.dtype} {host.shape}")
        chosen = driver_context.as_stream(ctx, stream)
        copy_to_device(ctx, self.pointer, host, chosen)
        if stream is None:
            chosen.sync()


def allocate(ctx: driver_context.GpuContext, nbytes: int, stream: Any) -> Any:
    """A cuda.core Buffer of at least one byte, ordered on ``stream``."""
    return ctx.device.allocate(max(int(nbytes), 1), stream=stream)


def copy_to_device(ctx: driver_context.GpuContext, pointer: int, host: np.ndarray, stream: Any) -> None:
    if host.nbytes:
        (result,) = ctx.driver.cuMemcpyHtoDAsync(pointer, host.ctypes.data, host.nbytes,
                                                 stream.handle)
        driver_context.check(result, "copying an array to the GPU")


def copy_to_host(ctx: driver_context.GpuContext, host: np.ndarray, pointer: int, stream: Any) -> None:
    if host.nbytes:
        (result,) = ctx.driver.cuMemcpyDtoHAsync(host.ctypes.data, pointer, host.nbytes,
                                                 stream.handle)
        driver_context.check(result, "copying an array from the GPU")


def to_device(host: Any, stream: Any = None) -> DeviceArray:
    """A DeviceArray holding a copy of ``host`` (anything ``np.asarray`` takes); returns
    when the copy is done unless a ``stream`` is given."""
    ctx = _need_gpu("simt.to_device")
    host = np.ascontiguousarray(host)
    chosen = driver_context.as_stream(ctx, stream)
    array = DeviceArray(allocate(ctx, host.nbytes, chosen), host.shape, host.dtype)
    copy_to_device(ctx, array.pointer, host, chosen)
    if stream is None:
        chosen.sync()
    return array


def device_array(shape: Any, dtype: Any = np.float64, stream: Any = None) -> DeviceArray:
    """An uninitialized DeviceArray (like ``np.empty``) of ``shape`` and ``dtype``."""
    ctx = _need_gpu("simt.device_array")
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
    if any(n < 0 for n in shape):
        raise LaunchError(f"device_array: negative dimension in shape {shape}")
    dtype = np.dtype(dtype)
    chosen = driver_context.as_stream(ctx, stream)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    return DeviceArray(allocate(ctx, nbytes, chosen), shape, dtype)
