"""SHARED_ARRAY and LOCAL_ARRAY: the memory of shared and local arrays in a batch.

The rules:
- A static shared array (``simt.shared.array(shape, dtype)``) is one buffer per
  CUDA block per declaration, keyed by the declaration's ``attrs["name"]`` with its
  dtype and shape. Executing the declaration again (in a loop, or a device function
  inlined twice) gives the same buffer. Its contents start zeroed when the block
  starts (CUDA leaves them undefined: the reference picks zero).
- Shape ``(0,)`` is the launch's dynamic shared memory (``kern[grid, block, stream,
  shared_bytes]``): ``shared_bytes // itemsize`` elements. Every dynamic array of a
  kernel aliases the same bytes, whatever its dtype (CUDA's ``extern __shared__``),
  and they start zeroed.
- A local array (``simt.local.array(shape, dtype)``) is per thread. Each execution
  of the declaration gives the executing threads a fresh zeroed array (what
  ``np.zeros`` gives when CPython runs the body), in a buffer reused across
  executions.
- Loads, stores and atomics on these arrays go through the same bounds checks and
  error messages as global arrays, naming the array by its declaration's name.

All instances of one array in a batch live in one NumPy array (block-major for
shared, thread-major for local): ``ArrayArg.instance`` tells ``memory.py`` where
the executing thread's instance starts, so ``s[threadIdx.x]`` is still a slice.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simt.ir.core import Operation

from .geometry import BatchGeometry
from .values import ArrayArg

if TYPE_CHECKING:
    from .interpreter import Frame

_ALIGN = 8   # dynamic shared memory rows are padded so that every dtype can view them


class BatchMemory:
    """The shared and local arrays of one batch, created on first use."""

    def __init__(self, geometry: BatchGeometry, shared_bytes: int):
        self.geometry = geometry
        self.shared_bytes = shared_bytes
        self.arrays: dict[tuple, ArrayArg] = {}
        self._dynamic: np.ndarray | None = None

    def shared(self, operation: Operation) -> ArrayArg:
        dtype = operation.result.type.dtype.dtype
        shape = tuple(operation.attrs["shape"])
        name = operation.attrs["name"]
        if shape == (0,):
            key: tuple = ("dynamic shared", dtype)
        else:
            key = ("shared", name, dtype, shape)
        array = self.arrays.get(key)
        if array is None:
            array = self.arrays[key] = (self._dynamic_array(name, dtype) if shape == (0,)
                                        else self._static_array(name, dtype, shape))
        return array

    def _static_array(self, name: str, dtype: np.dtype, shape: tuple[int, ...]) -> ArrayArg:
        storage = np.zeros((self.geometry.block_count,) + shape, dtype=dtype)
        return ArrayArg(storage, name, read_only=False, shape=shape, space="shared",
                        instance=(int(np.prod(shape)), 0))

    def _dynamic_array(self, name: str, dtype: np.dtype) -> ArrayArg:
        if self._dynamic is None:
            row = max(_ALIGN, -(-self.shared_bytes // _ALIGN) * _ALIGN)
            self._dynamic = np.zeros((self.geometry.block_count, row), dtype=np.uint8)
        storage = self._dynamic.view(dtype)
        return ArrayArg(storage, name, read_only=False, shape=(self.shared_bytes // dtype.itemsize,),
                        space="shared", instance=(storage.shape[1], 0))

    def local(self, operation: Operation) -> ArrayArg:
        dtype = operation.result.type.dtype.dtype
        shape = tuple(operation.attrs["shape"])
        key = ("local", operation.attrs["name"], dtype, shape)
        array = self.arrays.get(key)
        if array is None:
            geometry = self.geometry
            storage = np.zeros((geometry.thread_count,) + shape, dtype=dtype)
            size = int(np.prod(shape))
            array = self.arrays[key] = ArrayArg(
                storage, operation.attrs["name"], read_only=False, shape=shape, space="local",
                instance=(size * geometry.threads_per_block, size))
        return array


def shared_array(frame: Frame, operation: Operation, operands: list) -> ArrayArg:
    return frame.batch.memory.shared(operation)


def local_array(frame: Frame, operation: Operation, operands: list) -> ArrayArg:
    array = frame.batch.memory.local(operation)
    frame.active.put(array.array, 0)       # a fresh zeroed array for each executing thread
    return array
