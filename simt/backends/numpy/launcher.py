"""``launch``: check a launch's configuration and arguments, then run the grid batch
by batch. Batches hold whole blocks and at most ``max_threads_per_batch`` threads
(unless one block alone is bigger), so a block's barriers, shared memory and warps
are always within one batch. Results of a race-free kernel do not depend on the
batch size: threads of different blocks see each other only through global
memory, and batches run in increasing block order (atomics apply in thread order,
see ``atomics.py``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from simt.ir.core import Function
from simt.ir.errors import LaunchError
from simt.ir.types import ArrayType, ScalarType

from .geometry import BatchGeometry, Dim3
from .handlers import NUMPY_IMPL
from .interpreter import run_batch
from .plan import Plan, plan_for
from .values import ArrayArg

DEFAULT_MAX_THREADS_PER_BATCH = 1 << 20


def launch(fn: Function, grid: tuple[int, int, int], block: tuple[int, int, int], args: list,
           *, shared_bytes: int = 0, max_threads_per_batch: int | None = None) -> None:
    """Run kernel ``fn`` over ``grid`` x ``block`` threads with ``args``.

    ``args[i]`` is a C-contiguous ``np.ndarray`` for an array parameter (written in
    place) or a NumPy scalar of a scalar parameter's type. ``shared_bytes`` is the
    size of the dynamic shared memory of each block (``simt.shared.array(0, dtype)``).
    """
    if not fn.is_kernel:
        raise LaunchError(f"'{fn.name}' is a device function; only kernels can be launched")
    grid_dims = _dims(grid, "grid")
    block_dims = _dims(block, "block")
    if shared_bytes < 0:
        raise LaunchError(f"shared_bytes must be >= 0, got {shared_bytes}")
    plan = plan_for(fn, NUMPY_IMPL)
    arguments = _bind_arguments(fn, plan, args)

    threads_per_block = block_dims[0] * block_dims[1] * block_dims[2]
    block_total = grid_dims[0] * grid_dims[1] * grid_dims[2]
    limit = DEFAULT_MAX_THREADS_PER_BATCH if max_threads_per_batch is None else max_threads_per_batch
    if limit < 1:
        raise LaunchError(f"max_threads_per_batch must be >= 1, got {limit}")
    blocks_per_batch = max(1, limit // threads_per_block)
    with np.errstate(all="ignore"):
        for first in range(0, block_total, blocks_per_batch):
            count = min(blocks_per_batch, block_total - first)
            run_batch(plan, BatchGeometry(grid_dims, block_dims, first, count), arguments,
                      shared_bytes)


def _dims(dims: Any, what: str) -> Dim3:
    try:
        values = tuple(int(d) for d in dims)
    except TypeError:
        raise LaunchError(f"{what} must be a tuple of 3 ints, got {dims!r}") from None
    if len(values) != 3 or any(d < 1 for d in values):
        raise LaunchError(f"{what} must be 3 positive ints, got {dims!r}")
    return values  # type: ignore[return-value]


def _bind_arguments(fn: Function, plan: Plan, args: list) -> list[Any]:
    params = fn.args
    if len(args) != len(params):
        raise LaunchError(f"kernel '{fn.name}' takes {len(params)} arguments, got {len(args)}")
    bound: list[Any] = []
    arrays: list[tuple[int, np.ndarray]] = []
    for i, (param, arg) in enumerate(zip(params, args)):
        name = param.name or f"#{i}"
        if isinstance(param.type, ArrayType):
            bound.append(_check_array(fn, name, param.type, arg))
            arrays.append((i, arg))
        else:
            bound.append(_check_scalar(fn, name, param.type, arg))
    # A read-only argument may share memory with a written one (``k(a, a)``): then
    # its loads must copy, like those of a written array.
    written = set(plan.written_args)
    for i, array in arrays:
        if i not in written and any(np.may_share_memory(array, other) for j, other in arrays if j in written):
            written.add(i)
    for i, array in arrays:
        if i in plan.written_args and not array.flags.writeable:
            raise LaunchError(f"argument '{params[i].name}' of kernel '{fn.name}' is written by the "
                              "kernel but the array is read-only")
        bound[i] = ArrayArg(args[i], params[i].name or f"#{i}", read_only=i not in written)
    return bound


def _check_array(fn: Function, name: str, param_type: ArrayType, arg: Any) -> np.ndarray:
    where = f"argument '{name}' of kernel '{fn.name}'"
    if not isinstance(arg, np.ndarray):
        raise LaunchError(f"{where} must be a numpy array of {param_type}, got {type(arg).__name__}")
    if arg.dtype != param_type.dtype.dtype or arg.ndim != param_type.ndim:
        raise LaunchError(f"{where} must be {param_type} ({param_type.ndim}-d {param_type.dtype}), "
                          f"got a {arg.ndim}-d {arg.dtype} array")
    if not arg.flags.c_contiguous:
        raise LaunchError(f"{where} must be C-contiguous (use np.ascontiguousarray)")
    return arg


def _check_scalar(fn: Function, name: str, param_type: ScalarType, arg: Any) -> np.generic:
    if isinstance(arg, np.generic) and arg.dtype == param_type.dtype:
        return arg
    if isinstance(arg, (bool, int, float, np.generic)) and not isinstance(arg, np.ndarray):
        try:
            value = param_type.dtype.type(arg)
        except (OverflowError, ValueError, TypeError):
            value = None
        if value is not None and (param_type.is_float or value == arg):
            return value
    raise LaunchError(f"argument '{name}' of kernel '{fn.name}' must be a {param_type} scalar, "
                      f"got {arg!r}")
