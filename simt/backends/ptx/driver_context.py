"""The process's connection to the GPU for the ``cuda`` target: found once, lazily.

``context()`` imports cuda.core and cuda.bindings, initializes the driver, picks the
current device (device 0 unless the caller made another current) and answers a
``GpuContext``: the device, the architecture simt compiles for, and the default
stream. Anything that goes wrong (cuda-python not installed, no driver, no GPU, a GPU
older than sm_75) becomes one ``TargetUnavailableError`` whose message says which,
remembered so later calls answer at once; ``is_available()`` never raises.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from simt.ir import TargetUnavailableError

from .assemble import SUPPORTED_ARCHS

MIN_COMPUTE_CAPABILITY = (7, 5)


@dataclass(frozen=True)
class GpuContext:
    core: Any                  # the cuda.core module (cuda.core or cuda.core.experimental)
    driver: Any                # cuda.bindings.driver
    device: Any                # cuda.core Device
    device_arch: str           # the GPU's own architecture, e.g. "sm_90"
    ptx_arch: str              # the architecture simt emits PTX for (<= device_arch)
    cubin: bool                # whether a cubin is assembled here (else the driver JITs PTX)

    @property
    def stream(self) -> Any:
        return self.device.default_stream


_lock = threading.Lock()
_context: GpuContext | None = None
_failure: str | None = None
_current = threading.local()       # which threads made the device current


def import_cuda_core() -> Any:
    try:
        import cuda.core as core
        core.Device                # noqa: B018 (cuda.core < 0.4 keeps it in .experimental)
    except (ImportError, AttributeError):
        import cuda.core.experimental as core
    return core


def _arch_choice(major: int, minor: int) -> tuple[str, str, bool]:
    device_arch = f"sm_{major}{minor}"
    if device_arch in SUPPORTED_ARCHS:
        return device_arch, device_arch, True
    supported = [a for a in SUPPORTED_ARCHS if int(a[3:]) <= major * 10 + minor]
    # a newer GPU than simt knows: PTX for the newest arch below it, JIT-compiled by the driver
    return device_arch, supported[-1], False


def _discover() -> GpuContext:
    try:
        from cuda.bindings import driver
        core = import_cuda_core()
    except ImportError as exc:
        raise TargetUnavailableError(
            f"cuda-python is not installed ({exc}); install the cuda extra: "
            "pip install 'simt[cuda]'") from None
    try:
        (result,) = driver.cuInit(0)
    except Exception as exc:                      # the driver library itself is missing
        raise TargetUnavailableError(
            f"the NVIDIA driver library (libcuda) could not be loaded: {_first_line(exc)}") from None
    if result != driver.CUresult.CUDA_SUCCESS:
        raise TargetUnavailableError(f"the NVIDIA driver did not initialize ({result.name}); "
                                     "is a GPU visible (CUDA_VISIBLE_DEVICES)?")
    result, count = driver.cuDeviceGetCount()
    if result != driver.CUresult.CUDA_SUCCESS or count == 0:
        raise TargetUnavailableError("the NVIDIA driver sees no GPU")
    device = core.Device()
    device.set_current()
    major, minor = tuple(device.compute_capability)
    if (major, minor) < MIN_COMPUTE_CAPABILITY:
        raise TargetUnavailableError(
            f"the GPU {device.name!r} has compute capability {major}.{minor}; simt's PTX "
            f"needs {MIN_COMPUTE_CAPABILITY[0]}.{MIN_COMPUTE_CAPABILITY[1]} (sm_75) or newer")
    device_arch, ptx_arch, cubin = _arch_choice(major, minor)
    return GpuContext(core, driver, device, device_arch, ptx_arch, cubin)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def context() -> GpuContext:
    """The GPU context, made current on the calling thread; TargetUnavailableError if none."""
    global _context, _failure
    ctx = _context
    if ctx is None:
        with _lock:
            if _context is None and _failure is None:
                try:
                    _context = _discover()
                    _current.ready = True
                except TargetUnavailableError as exc:
                    _failure = str(exc)
                except Exception as exc:                # anything else the stack raises
                    _failure = f"the GPU could not be initialized: {_first_line(exc)}"
            if _context is None:
                raise TargetUnavailableError(_failure)
            ctx = _context
    if not getattr(_current, "ready", False):          # CUDA's current device is per thread
        ctx.device.set_current()
        _current.ready = True
    return ctx


def is_available() -> bool:
    """Whether the ``cuda`` target can run here. Never raises."""
    try:
        context()
        return True
    except Exception:
        return False


def unavailable_reason() -> str:
    """Why the ``cuda`` target cannot run here ('' when it can)."""
    try:
        context()
        return ""
    except Exception as exc:
        return str(exc)


def check(result: Any, what: str) -> None:
    """Raise for a cuda.bindings driver call that did not succeed."""
    from cuda.bindings import driver

    if result != driver.CUresult.CUDA_SUCCESS:
        from simt.ir import KernelRuntimeError
        raise KernelRuntimeError(f"{what} failed: {getattr(result, 'name', result)}")


def as_stream(ctx: GpuContext, stream: Any) -> Any:
    """A cuda.core Stream for what a user passed as ``kern[grid, block, stream]``."""
    if stream is None:
        return ctx.stream
    if isinstance(stream, ctx.core.Stream):
        return stream
    if hasattr(stream, "__cuda_stream__"):          # CuPy, PyTorch (recent), numba-cuda streams
        return ctx.device.create_stream(stream)
    if isinstance(stream, int) and not isinstance(stream, bool):
        return ctx.core.Stream.from_handle(stream)
    from simt.ir import LaunchError
    raise LaunchError(f"the launch stream must be a cuda.core Stream, an object with "
                      f"__cuda_stream__ or a CUstream handle (int), got {type(stream).__name__}")
