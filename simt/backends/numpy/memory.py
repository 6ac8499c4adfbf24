"""LOAD, STORE and ARRAY_DIM: addressing, bounds checks and the error they raise,
for argument arrays and for shared and local arrays alike (``allocations.py``: the
executing thread's instance of those starts at ``ArrayArg.instance``). Atomics use
the same addressing (``element_indices``).

Indices follow Python: a negative index counts from the end once (``i + dim``);
anything still outside ``[0, dim)`` raises ``KernelRuntimeError`` naming the kernel,
the source line, the array, the index, the dimension and the first offending
thread. Nothing is written by a STORE that fails its bounds check.

An access resolves to one of three addresses in the array's flat (C-order) view:
- one element, when every index is uniform (a uniform load, or a store where the
  highest active thread wins);
- a slice, when the flat index is affine and linear in the thread number and the
  active set is a range: ``x[i]`` with ``i = blockIdx.x*blockDim.x + threadIdx.x``
  under ``if i < n`` is ``flat[lo:hi]``, bounds-checked at its two ends;
- a gather/scatter index array otherwise.

Races: when several active threads store to one address in one STORE, the highest
thread (in batch order, which is global linear thread order) wins: uniform
addresses take the last thread's value, and NumPy assigns a 1-D integer index
array in order, so a later duplicate overwrites an earlier one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simt.ir.core import Operation
from simt.ir.errors import KernelRuntimeError

from .active import RangeSet
from .values import Affine, ArrayArg

if TYPE_CHECKING:
    from .interpreter import Frame

Address = Any  # int | slice | np.ndarray (flat element indices, in thread order)


def array_dim(frame: Frame, operation: Operation, operands: list) -> np.int64:
    (array,) = operands
    return np.int64(array.shape[operation.attrs["axis"]])


def load(frame: Frame, operation: Operation, operands: list) -> Any:
    array, *indices = operands
    address = _address(frame, operation, array, indices)
    if isinstance(address, slice):
        view = array.flat[address]
        # A view is safe only if no store in this kernel can change it later.
        return view if array.read_only else view.copy()
    return array.flat[address]


def store(frame: Frame, operation: Operation, operands: list) -> None:
    array, *indices, value = operands
    address = _address(frame, operation, array, indices)
    if isinstance(address, (int, np.integer)):
        if not isinstance(value, np.generic):
            value = frame.local(value)[-1]      # the highest active thread wins
        array.flat[address] = value
        return
    array.flat[address] = value if isinstance(value, np.generic) else frame.local(value)


def _address(frame: Frame, operation: Operation, array: ArrayArg, indices: list) -> Address:
    shape = array.shape
    normalized = [_normalize(frame, operation, array, axis, index, shape[axis])
                  for axis, index in enumerate(indices)]
    strides = array.element_strides
    geometry = frame.geometry
    # The executing thread's instance of a shared or local array (0 for arguments).
    instance_a, instance_b = array.instance
    if geometry.block_count == 1:
        instance_a = 0
    if geometry.threads_per_block == 1:
        instance_b = 0
    if all(isinstance(i, int) for i in normalized) and not (instance_a or instance_b):
        return sum(i * s for i, s in zip(normalized, strides))
    if not any(isinstance(i, np.ndarray) for i in normalized):
        c, a, b = 0, instance_a, instance_b
        for index, stride in zip(normalized, strides):
            if isinstance(index, Affine):
                c, a, b = c + index.c * stride, a + index.a * stride, b + index.b * stride
            else:
                c += index * stride
        flat = Affine(np.dtype(np.intp), c, a, b)
        step = geometry.linear_stride(flat)
        active = frame.active
        if step is not None and isinstance(active, RangeSet):
            if step == 0:
                return c
            start = c + step * active.lo
            stop = c + step * active.hi
            return slice(start, stop if stop >= 0 else None, step)
        return geometry.evaluate_affine(flat, active)
    normalized = [frame.local(i) if isinstance(i, Affine) else i for i in normalized]
    flat_index = 0
    for index, stride in zip(normalized, strides):
        flat_index = flat_index + (index * stride if stride != 1 else index)
    if instance_a or instance_b:
        instance = Affine(np.dtype(np.intp), 0, instance_a, instance_b)
        flat_index = flat_index + geometry.evaluate_affine(instance, frame.active)
    return flat_index


def element_indices(frame: Frame, operation: Operation, array: ArrayArg, indices: list) -> Address:
    """The flat element each active thread addresses (bounds-checked like a load):
    an int when it is the same for every thread, else an intp array in thread order."""
    address = _address(frame, operation, array, indices)
    if isinstance(address, slice):
        return np.arange(address.start, address.start + address.step * frame.active.size,
                         address.step, dtype=np.intp)
    return address


def _normalize(frame: Frame, operation: Operation, array: ArrayArg, axis: int, index: Any,
               dim: int) -> int | Affine | np.ndarray:
    """``index`` with negatives wrapped, checked against ``dim``: an int, an in-bounds
    Affine, or an intp array over the active set."""
    active = frame.active
    if isinstance(index, np.generic):
        value = int(index)
        wrapped = value + dim if value < 0 else value
        if not 0 <= wrapped < dim:
            _out_of_bounds(frame, operation, array, axis, value, dim, active.first())
        return wrapped
    if isinstance(index, Affine):
        geometry = frame.geometry
        low, high = geometry.span(index.c, index.a, index.b)
        if not (0 <= low and high < dim):
            low, high = geometry.active_span(index, active)
        if 0 <= low and high < dim:
            # In bounds for every thread that may be active: no need to look at each.
            return Affine(np.dtype(np.intp), index.c, index.a, index.b)
        step = geometry.linear_stride(index)
        if step is not None:
            last = active.hi - 1 if isinstance(active, RangeSet) else int(active.idx[-1])
            ends = (index.c + step * active.first(), index.c + step * last)
            low, high = min(ends), max(ends)
            # Re-typed as intp: the wrapped index and the flat offset may not fit the index type.
            if 0 <= low and high < dim:
                return Affine(np.dtype(np.intp), index.c, index.a, index.b)
            if high < 0 and low >= -dim:
                return Affine(np.dtype(np.intp), index.c + dim, index.a, index.b)
        index = frame.local(index)
    return _normalize_array(frame, operation, array, axis, index, dim)


def _normalize_array(frame: Frame, operation: Operation, array: ArrayArg, axis: int,
                     index: np.ndarray, dim: int) -> np.ndarray:
    low, high = int(index.min()), int(index.max())
    if 0 <= low and high < dim:
        return index.astype(np.intp, copy=False)
    if index.dtype.kind == "u":
        bad = index >= dim
        wrapped = index
    else:
        wide = index.astype(np.int64, copy=False)
        wrapped = np.where(wide < 0, wide + dim, wide)
        bad = (wrapped < 0) | (wrapped >= dim)
    if bad.any():
        k = int(np.argmax(bad))
        _out_of_bounds(frame, operation, array, axis, int(index[k]), dim, int(frame.active.indices()[k]))
    return wrapped.astype(np.intp, copy=False)


def _out_of_bounds(frame: Frame, operation: Operation, array: ArrayArg, axis: int, index: int,
                   dim: int, thread: int) -> None:
    thread_idx, block_idx = frame.geometry.coordinates(thread)
    name = operation.operands[0].name or array.name
    raise KernelRuntimeError(
        f"index {index} is out of bounds for axis {axis} of array '{name}' with size {dim} "
        f"(first offending thread: threadIdx={thread_idx}, blockIdx={block_idx})",
        loc=operation.loc, kernel=frame.kernel_name)
