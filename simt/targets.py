"""The targets a launch can run on, behind one small interface.

``numpy`` interprets the IR (the reference); ``ptx-emu`` emits PTX and runs that
text on the CPU emulator; ``cuda`` emits PTX, assembles it and launches it on a
GPU through cuda-python. This module is part of the public face: it may wire
several backends together, which the backends themselves never do.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from . import ir
from .backends import numpy as numpy_backend
from .ir.errors import LaunchError, TargetUnavailableError

TARGETS = ("numpy", "ptx-emu", "cuda")
_override = threading.local()


@contextmanager
def target(name: str) -> Iterator[None]:
    """``with simt.target("numpy"): ...`` runs the launches inside on that target."""
    check_target_name(name)
    previous = getattr(_override, "name", None)
    _override.name = name
    try:
        yield
    finally:
        _override.name = previous


def check_target_name(name: str) -> None:
    if name not in TARGETS:
        raise LaunchError(f"unknown target '{name}'; choose one of {', '.join(TARGETS)}")


def current_target() -> str:
    """The target launches use now: ``simt.target(...)``, else SIMT_TARGET, else the default
    (``cuda`` where a GPU is usable, ``numpy`` elsewhere)."""
    name = getattr(_override, "name", None) or os.environ.get("SIMT_TARGET")
    if name:
        check_target_name(name)
        return name
    return "cuda" if is_available("cuda") else "numpy"


def is_available(name: str = "cuda") -> bool:
    """Whether a target can run here. Never raises."""
    check_target_name(name)
    try:
        if name == "numpy":
            return True
        if name == "ptx-emu":
            _ptx_emu_modules()
            return True
        from .backends.ptx import runtime
        return runtime.is_available()
    except Exception:
        return False


def _ptx_emu_modules():
    from .backends import ptx, ptx_emu
    return ptx, ptx_emu


def _reject_device_arrays(name: str, fn: ir.Function, args: list[Any]) -> None:
    from .device_arrays import is_device_array

    for arg_name, value in zip(fn.arg_names, args):
        if not isinstance(value, (np.ndarray, np.generic)) and is_device_array(value):
            raise LaunchError(f"argument '{arg_name}' is a GPU device array, which the '{name}' "
                              "target can't read; pass a NumPy array (e.g. arr.copy_to_host()) "
                              "or use the 'cuda' target")


def launch(name: str, fn: ir.Function, grid: tuple[int, int, int], block: tuple[int, int, int],
           args: list[Any], *, shared_bytes: int = 0, stream: Any = None) -> None:
    if name != "cuda":
        _reject_device_arrays(name, fn, args)
    if name == "numpy":
        numpy_backend.launch(fn, grid, block, args, shared_bytes=shared_bytes)
        return
    if name == "ptx-emu":
        try:
            ptx, ptx_emu = _ptx_emu_modules()
        except ImportError as exc:
            raise TargetUnavailableError(f"the 'ptx-emu' target is not available: {exc}; "
                                         "use the 'numpy' target") from None
        text = ptx.compile_ptx_cached(fn, small_grid=ptx.fits_small_grid(grid, block))
        ptx_emu.launch_ptx(text, ptx.kernel_name(fn), grid, block,
                           ptx.flatten_arguments(fn, args), shared_bytes=shared_bytes)
        return
    try:
        from .backends.ptx import runtime
    except ImportError:
        runtime = None
    if runtime is None or not runtime.is_available():
        reason = runtime.unavailable_reason() if runtime is not None else \
            "this build of simt has no cuda runtime"
        raise TargetUnavailableError(
            f"the 'cuda' target is not available: {reason}. Run on the CPU instead with "
            "SIMT_TARGET=numpy (the reference) or SIMT_TARGET=ptx-emu (runs the emitted PTX), "
            "or `with simt.target(\"numpy\"):`")
    runtime.launch(fn, grid, block, args, shared_bytes=shared_bytes, stream=stream)
