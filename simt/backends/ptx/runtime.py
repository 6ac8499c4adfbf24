"""The ``cuda`` target: PTX -> cubin -> a launch through cuda.core, on a real GPU.

``launch(fn, grid, block, args, shared_bytes=, stream=)`` runs kernel ``fn``:
- the module is compiled once per Function and architecture (kept on the Function),
  and assembled once per PTX text and toolchain on disk (``cache.py``): a second
  process finds the cubin there;
- host NumPy arrays are copied to the GPU before the launch and back after it, and
  the launch synchronizes its stream before returning; device arrays (``DeviceArray``,
  ``__cuda_array_interface__``, DLPack) are passed by pointer with no copy, and a
  launch whose arrays are all on the device returns at once (asynchronous on
  ``stream``, the device's default stream if None);
- arguments become params as ``abi.py`` says (``flatten_arguments`` is the reference;
  ``device_arguments`` is the same layout, built from a per-Function plan so a launch
  with simt's own DeviceArrays costs a few dict and type checks in Python).
``is_available()`` / ``unavailable_reason()`` answer without raising (``driver_context``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from simt.ir import Function, LaunchError
from simt.ir.types import ArrayType

from . import cache, compile_ptx_cached, device_memory, driver_context, fits_small_grid
from .abi import check_shared_memory, kernel_name
from .assemble import assemble, toolchain_version
from .device_memory import ArrayView, DeviceArray
from .driver_context import GpuContext, is_available, unavailable_reason

_PLAN_MEMO = "_simt_cuda_plans"     # attribute on a Function: {(arch, small_grid): LaunchPlan}

__all__ = ["device_arguments", "is_available", "launch", "load_kernel", "unavailable_reason"]


@dataclass
class LaunchPlan:
    """What every launch of one Function on one GPU reuses."""
    module: Any
    kernel: Any
    # per argument: (name, NumPy scalar type) for scalars, (name, (dtype, ndim)) for arrays
    params: list[tuple[str, Any]]
    configs: dict[tuple, Any] = field(default_factory=dict)    # (grid, block, shared) -> config


def argument_plan(fn: Function) -> list[tuple[str, Any]]:
    plan: list[tuple[str, Any]] = []
    for name, value in zip(fn.arg_names, fn.args):
        t = value.type
        if isinstance(t, ArrayType):
            plan.append((name, (t.dtype.dtype, t.ndim)))
        else:
            plan.append((name, t.dtype.type))
    return plan


def load_kernel(fn: Function, ctx: GpuContext, small_grid: bool = True) -> LaunchPlan:
    """The launch plan of ``fn`` on this GPU, its module from memory, the disk cache or
    built; ``small_grid`` as in ``compile_ptx`` (the launch decides)."""
    plans = fn.__dict__.setdefault(_PLAN_MEMO, {})
    plan_key = (ctx.device_arch, small_grid, fn.fastmath)
    plan = plans.get(plan_key)
    if plan is not None:
        return plan
    name = kernel_name(fn)
    ptx = compile_ptx_cached(fn, ctx.ptx_arch, small_grid)
    if ctx.cubin:
        key = cache.module_key(ptx, ctx.device_arch, toolchain_version())
        cubin = cache.load_cubin(name, key)
        if cubin is None:
            cubin = assemble(ptx, ctx.device_arch)
            cache.store_module(name, key, ptx, cubin)
        module = ctx.core.ObjectCode.from_cubin(cubin, name=name)
    else:                                     # a GPU newer than SUPPORTED_ARCHS: driver JIT
        cache.store_ptx(name, ptx, ctx.ptx_arch)
        module = ctx.core.ObjectCode.from_ptx(ptx.encode("utf-8"), name=name)
    plan = plans[plan_key] = LaunchPlan(module, module.get_kernel(name), argument_plan(fn))
    return plan


def device_arguments(params: list[tuple[str, Any]], args: list[Any],
                     host_pointer: Callable[[np.ndarray, int], int],
                     view: Callable[[Any, str], ArrayView] = device_memory.device_view) -> list[Any]:
    """The flat kernel arguments for cuda.core's ``launch`` (``abi.flatten_arguments``'s
    layout): a device array gives its pointer (an int, which cuda.core passes as a
    pointer) and ``np.int64`` extents; a host ndarray gives ``host_pointer(array, index)``
    (the launch stages it); a scalar gives a NumPy scalar of its param's type.
    ``params`` is ``argument_plan(fn)``; ``view`` reads other libraries' device arrays.
    """
    if len(args) != len(params):
        raise LaunchError(f"the kernel takes {len(params)} arguments, {len(args)} given")
    flat: list[Any] = []
    for index, ((name, spec), arg) in enumerate(zip(params, args)):
        if not isinstance(spec, tuple):
            flat.append(arg if type(arg) is spec else spec(arg))
            continue
        kind = type(arg)
        if kind is DeviceArray:
            pointer, dtype, extents = arg.pointer, arg.dtype, arg.extents
        elif kind is np.ndarray:
            if not arg.flags.c_contiguous:
                raise LaunchError(f"argument {name!r}: the array is not C-contiguous")
            pointer, dtype = host_pointer(arg, index), arg.dtype
            extents = tuple(np.int64(n) for n in arg.shape)
        else:
            found = arg if kind is ArrayView else view(arg, name)
            pointer, dtype = found.pointer, found.dtype
            extents = tuple(np.int64(n) for n in found.shape)
        if (dtype is not spec[0] and dtype != spec[0]) or len(extents) != spec[1]:
            raise LaunchError(f"argument {name!r}: expected a {spec[1]}-d {spec[0]} array, got "
                              f"a {len(extents)}-d {dtype} one")
        flat.append(pointer)
        flat.extend(extents)
    return flat


def launch(fn: Function, grid: tuple[int, int, int], block: tuple[int, int, int],
           args: list[Any], *, shared_bytes: int = 0, stream: Any = None) -> None:
    """Run kernel ``fn`` on the GPU (see the module docstring for copies and syncing)."""
    ctx = driver_context.context()
    plan = load_kernel(fn, ctx, fits_small_grid(grid, block))
    chosen = ctx.stream if stream is None else driver_context.as_stream(ctx, stream)
    staged: list[tuple[np.ndarray, Any]] = []          # (host array, device buffer)

    def host_pointer(array: np.ndarray, index: int) -> int:
        buffer = device_memory.allocate(ctx, array.nbytes, chosen)
        staged.append((array, buffer))
        pointer = int(buffer.handle)
        device_memory.copy_to_device(ctx, pointer, array, chosen)
        return pointer

    def foreign_view(arg: Any, name: str) -> ArrayView:
        return _ordered_view(ctx, arg, name, chosen)

    config_key = (grid, block, shared_bytes)
    config = plan.configs.get(config_key)
    if config is None:
        check_shared_memory(fn, shared_bytes)
        config = plan.configs[config_key] = ctx.core.LaunchConfig(
            grid=tuple(grid), block=tuple(block), shmem_size=int(shared_bytes))
    try:
        flat = device_arguments(plan.params, args, host_pointer, foreign_view)
        ctx.core.launch(chosen, config, plan.kernel, *flat)
        for array, buffer in staged:
            device_memory.copy_to_host(ctx, array, int(buffer.handle), chosen)
        if staged:
            chosen.sync()
    finally:
        for _, buffer in staged:
            buffer.close(chosen)


def _ordered_view(ctx: GpuContext, arg: Any, name: str, stream: Any) -> ArrayView:
    """Another library's device array as a view, its producer's pending work (CAI v3
    ``stream``) ordered before ``stream``; DLPack producers order it themselves."""
    view = device_memory.device_view(arg, name, stream)
    if view.stream is not None and view.stream != int(stream.handle):
        stream.wait(ctx.core.Stream.from_handle(view.stream))
    return view
