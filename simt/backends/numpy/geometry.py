"""Launch geometry of one batch: which blocks it holds, the special registers, and
what affine values look like over its threads.

A batch is a run of whole blocks (``first_block`` ..): the threads of one block are
always in the same batch, which per-block shared memory and barriers need. Batch
threads are numbered ``t = block_in_batch * threads_per_block + thread_in_block``;
a thread's linear id in its block is ``x + y*bdx + z*bdx*bdy`` (CUDA's order) and a
block's linear id in the grid is built the same way.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .active import ActiveSet, RangeSet
from .values import Affine

Dim3 = tuple[int, int, int]


def _wrap64(x: int) -> int:
    """``x`` as a two's-complement int64 (the ring in which affines are evaluated)."""
    return ((x + (1 << 63)) % (1 << 64)) - (1 << 63)


class BatchGeometry:
    """The blocks ``first_block .. first_block + block_count - 1`` of a ``grid`` x ``block`` launch."""

    def __init__(self, grid: Dim3, block: Dim3, first_block: int, block_count: int):
        self.grid = grid
        self.block = block
        self.first_block = first_block
        self.block_count = block_count
        self.threads_per_block = block[0] * block[1] * block[2]
        self.thread_count = block_count * self.threads_per_block
        self._registers: dict[tuple[str, int], np.ndarray] = {}
        self._split: tuple[np.ndarray, np.ndarray] | None = None

    # -- affine values -----------------------------------------------------------
    def affine(self, dtype: np.dtype, c: int, a: int, b: int) -> Any:
        """The value ``c + a*block_in_batch + b*thread_in_block`` as a uniform scalar
        or an ``Affine``, or None when it wraps around ``dtype`` for some thread."""
        if self.block_count == 1:
            a = 0
        if self.threads_per_block == 1:
            b = 0
        low, high = self.span(c, a, b)
        info = np.iinfo(dtype)
        if low < info.min or high > info.max:
            return None
        if a == 0 and b == 0:
            return dtype.type(c)
        return Affine(dtype, c, a, b)

    def span(self, c: int, a: int, b: int) -> tuple[int, int]:
        """(min, max) of ``c + a*block_in_batch + b*thread_in_block`` over the batch."""
        da, db = a * (self.block_count - 1), b * (self.threads_per_block - 1)
        return c + min(0, da) + min(0, db), c + max(0, da) + max(0, db)

    def linear_stride(self, value: Affine) -> int | None:
        """``s`` when ``value == c + s*t`` in the batch thread number ``t``, else None."""
        return self.stride_of(value.a, value.b)

    def stride_of(self, a: int, b: int) -> int | None:
        """``s`` when ``a*block_in_batch + b*thread_in_block == s*t`` for every batch
        thread ``t``, else None."""
        if self.block_count == 1:
            return b
        if self.threads_per_block == 1:
            return a
        if a == b * self.threads_per_block:
            return b
        return None

    def evaluate_affine(self, value: Affine, active: ActiveSet) -> np.ndarray:
        # Computed in wrapping int64 and then cast: the ring maps agree with the
        # exact value, which fits ``value.dtype`` by construction.
        stride = self.linear_stride(value)
        if stride is not None and isinstance(active, RangeSet):
            start = _wrap64(value.c + stride * active.lo)
            result = np.arange(active.size, dtype=np.int64)
            result *= _wrap64(stride)
            result += start
        elif stride is not None:
            result = active.indices() * np.int64(_wrap64(stride))
            result += _wrap64(value.c)
        else:
            block, thread = self.split(active)
            result = thread.astype(np.int64)
            if value.b != 1:
                result *= _wrap64(value.b)
            if value.a:
                result += block.astype(np.int64) * _wrap64(value.a)
            if value.c:
                result += _wrap64(value.c)
        return result.astype(value.dtype, copy=False)

    def bounds(self, active: ActiveSet) -> tuple[int, int, int, int]:
        """(min, max) of block_in_batch, then of thread_in_block, over ``active`` (for a
        range of threads spanning several blocks, the whole thread range)."""
        size = self.threads_per_block
        if isinstance(active, RangeSet):
            first, last = active.lo, active.hi - 1
            if first // size == last // size:
                return first // size, first // size, first % size, last % size
            return first // size, last // size, 0, size - 1
        if active.bounds is None:
            block, thread = self.split(active)
            active.bounds = (int(block[0]), int(block[-1]), int(thread.min()), int(thread.max()))
        return active.bounds

    def active_span(self, value: Affine, active: ActiveSet) -> tuple[int, int]:
        """Bounds on ``value`` over the threads of ``active`` (they contain its range)."""
        b0, b1, t0, t1 = self.bounds(active)
        a_low, a_high = sorted((value.a * b0, value.a * b1))
        b_low, b_high = sorted((value.b * t0, value.b * t1))
        return value.c + a_low + b_low, value.c + a_high + b_high

    def split(self, active: ActiveSet) -> tuple[np.ndarray, np.ndarray]:
        """(block_in_batch, thread_in_block) of each thread of ``active`` (int32, not to
        be written): views or gathers of batch-wide arrays built once."""
        if self._split is None:
            size, count = self.threads_per_block, self.block_count
            self._split = (np.repeat(np.arange(count, dtype=np.int32), size),
                           np.tile(np.arange(size, dtype=np.int32), count))
        block, thread = self._split
        return active.take(block), active.take(thread)

    # -- special registers -------------------------------------------------------
    def block_index(self, axis: int) -> Any:
        """blockIdx along ``axis``: uniform, affine, or None (varying)."""
        return self._coordinate(self.first_block, self.block_count, self.grid, axis, on_blocks=True)

    def thread_index(self, axis: int) -> Any:
        """threadIdx along ``axis``: uniform, affine, or None (varying)."""
        return self._coordinate(0, self.threads_per_block, self.block, axis, on_blocks=False)

    def lane_id(self) -> Any:
        return self.affine(np.dtype(np.int32), 0, 0, 1) if self.threads_per_block <= 32 else None

    @staticmethod
    def _coordinate(start: int, count: int, dims: Dim3, axis: int, on_blocks: bool) -> Any:
        """Coordinate ``axis`` of the linear ids ``start .. start+count-1`` laid out in ``dims``."""
        stride = 1
        for k in range(axis):
            stride *= dims[k]
        extent = dims[axis]
        first, last = start, start + count - 1
        int32 = np.dtype(np.int32)
        if extent == 1:
            return np.int32(0)
        if first // stride == last // stride:
            return np.int32((first // stride) % extent)
        if stride == 1 and first // extent == last // extent:
            c = first % extent
            return Affine(int32, c, 1, 0) if on_blocks else Affine(int32, c, 0, 1)
        return None

    def varying_register(self, op_name: str, axis: int, active: ActiveSet) -> np.ndarray:
        """A special register that is neither uniform nor affine, over ``active``."""
        key = (op_name, axis)
        full = self._registers.get(key)
        if full is None:
            full = self._registers[key] = self._batch_register(op_name, axis)
        return active.take(full)

    def _batch_register(self, op_name: str, axis: int) -> np.ndarray:
        # Built from one block's (or one thread's) pattern by tiling/repeating:
        # integer division over every batch thread costs much more.
        if op_name == "block_idx":
            linear = np.arange(self.first_block, self.first_block + self.block_count)
            return np.repeat(_coordinate_of(linear, self.grid, axis), self.threads_per_block)
        thread = np.arange(self.threads_per_block)
        pattern = (thread % 32).astype(np.int32) if op_name == "lane_id" else _coordinate_of(thread, self.block, axis)
        return np.tile(pattern, self.block_count)

    # -- error reports -------------------------------------------------------------
    def coordinates(self, t: int) -> tuple[Dim3, Dim3]:
        """(threadIdx, blockIdx) of batch thread ``t``."""
        block, thread = divmod(t, self.threads_per_block)
        return _unravel(thread, self.block), _unravel(block + self.first_block, self.grid)


def _coordinate_of(linear: np.ndarray, dims: Dim3, axis: int) -> np.ndarray:
    """Coordinate ``axis`` of linear ids laid out x-fastest in ``dims``, as int32."""
    stride = 1
    for k in range(axis):
        stride *= dims[k]
    return ((linear // stride) % dims[axis]).astype(np.int32)


def _unravel(linear: int, dims: Dim3) -> Dim3:
    x = linear % dims[0]
    y = (linear // dims[0]) % dims[1]
    z = linear // (dims[0] * dims[1])
    return (x, y, z)
