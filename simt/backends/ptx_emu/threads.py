"""Thread geometry of one batch (a run of whole blocks executed together):
per-thread ids for the special registers, warps of 32 consecutive linear ids
within a block, and readable names of threads for error messages.

A *selection* is the set of batch threads an instruction runs for: a ``slice``
(contiguous, the common converged case) or a sorted ``np.intp`` index array.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np

Sel = slice | np.ndarray
WARP = 32


def sel_count(sel: Sel) -> int:
    return sel.stop - sel.start if isinstance(sel, slice) else len(sel)


def sel_indices(sel: Sel) -> np.ndarray:
    return np.arange(sel.start, sel.stop, dtype=np.intp) if isinstance(sel, slice) else sel


def sel_thread(sel: Sel, position: int) -> int:
    """The batch thread at ``position`` of the selection."""
    return sel.start + position if isinstance(sel, slice) else int(sel[position])


def normalize(indices: np.ndarray) -> Sel:
    """A sorted index array as a slice when it is contiguous."""
    if len(indices) and indices[-1] - indices[0] + 1 == len(indices):
        return slice(int(indices[0]), int(indices[-1]) + 1)
    return indices


def split(sel: Sel, mask) -> tuple[Sel | None, Sel | None]:
    """(threads where mask is true, threads where it is false); None for empty."""
    if np.ndim(mask) == 0:
        return (sel, None) if mask else (None, sel)
    if mask.all():
        return sel, None
    if not mask.any():
        return None, sel
    idx = sel_indices(sel)
    return normalize(idx[mask]), normalize(idx[~mask])


def merge(pieces: list[Sel], size: int | None = None) -> Sel:
    """The union of disjoint selections; ``size`` (the batch size) allows a
    sort-free union when the pieces cover much of the batch."""
    if len(pieces) == 1:
        return pieces[0]
    count = sum(sel_count(p) for p in pieces)
    if size is not None and count == size:
        return slice(0, size)
    if size is None or count * 16 < size:
        joined = np.concatenate([sel_indices(p) for p in pieces])
        joined.sort()
        return normalize(joined)
    member = np.zeros(size, dtype=bool)
    for p in pieces:
        member[p] = True
    return normalize(np.flatnonzero(member))


class Batch:
    """Blocks ``first_block .. first_block + nblocks - 1`` of a launch."""

    def __init__(self, grid: tuple[int, int, int], block: tuple[int, int, int],
                 first_block: int, nblocks: int):
        self.grid = grid
        self.block = block
        self.first_block = first_block
        self.nblocks = nblocks
        self.block_size = block[0] * block[1] * block[2]
        self.size = nblocks * self.block_size
        self.warps_per_block = -(-self.block_size // WARP)
        self.all = slice(0, self.size)

    # --- per-thread arrays (length = batch size) ---------------------------
    # Built from one block's pattern (tiled) or one value per block (repeated):
    # far cheaper than dividing every thread id.
    def _per_thread(self, pattern: np.ndarray) -> np.ndarray:
        return np.tile(pattern, self.nblocks) if self.nblocks > 1 else pattern

    def _per_block(self, values: np.ndarray) -> np.ndarray:
        return np.repeat(values, self.block_size) if self.block_size > 1 else values

    @cached_property
    def thread_ids(self) -> np.ndarray:
        return np.arange(self.size, dtype=np.int64)

    @cached_property
    def _local_pattern(self) -> np.ndarray:
        return np.arange(self.block_size, dtype=np.uint32)

    @cached_property
    def local_id(self) -> np.ndarray:
        """Linear thread id within its block."""
        return self._per_thread(self._local_pattern)

    @cached_property
    def block_in_batch(self) -> np.ndarray:
        return self._per_block(np.arange(self.nblocks, dtype=np.intp))

    @cached_property
    def lane(self) -> np.ndarray:
        return self._per_thread(self._local_pattern % np.uint32(WARP))

    @cached_property
    def warp_in_block(self) -> np.ndarray:
        return self._per_thread(self._local_pattern // np.uint32(WARP))

    @cached_property
    def warp(self) -> np.ndarray:
        """Batch-wide warp index of each thread."""
        return self.block_in_batch * self.warps_per_block + self.warp_in_block.astype(np.intp)

    @property
    def nwarps(self) -> int:
        return self.nblocks * self.warps_per_block

    @cached_property
    def warp_lanes(self) -> np.ndarray:
        """Number of threads in each batch warp (the last warp of a block may be partial)."""
        lanes = np.full(self.warps_per_block, WARP, dtype=np.int64)
        lanes[-1] = self.block_size - WARP * (self.warps_per_block - 1)
        return np.tile(lanes, self.nblocks)

    def tid(self, axis: int):
        bx, by, _ = self.block
        if self.block_size == 1:
            return np.uint32(0)
        local = self._local_pattern
        values = (local, local // np.uint32(bx), local // np.uint32(bx * by))[axis]
        return self._per_thread(values % np.uint32(self.block[axis]) if axis < 2 else values)

    def ctaid(self, axis: int):
        gx, gy, _ = self.grid
        if self.nblocks == 1:
            linear = self.first_block
            return np.uint32((linear, linear // gx, linear // (gx * gy))[axis] % self.grid[axis]
                             if axis < 2 else linear // (gx * gy))
        linear = np.arange(self.first_block, self.first_block + self.nblocks, dtype=np.int64)
        values = (linear, linear // gx, linear // (gx * gy))[axis]
        return self._per_block((values % self.grid[axis] if axis < 2 else values)
                               .astype(np.uint32))

    def lanemask(self, kind: str) -> np.ndarray:
        lane = self.lane.astype(np.uint64)
        bit = np.uint64(1) << lane
        full = {"eq": bit, "lt": bit - np.uint64(1), "le": (bit << np.uint64(1)) - np.uint64(1)}
        if kind in full:
            return full[kind].astype(np.uint32)
        below = full["lt" if kind == "ge" else "le"].astype(np.uint32)
        return ~below

    # --- names -------------------------------------------------------------
    def coords(self, thread: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        bx, by, _ = self.block
        gx, gy, _ = self.grid
        local = thread % self.block_size
        linear_block = self.first_block + thread // self.block_size
        tid = (local % bx, local // bx % by, local // (bx * by))
        cta = (linear_block % gx, linear_block // gx % gy, linear_block // (gx * gy))
        return tid, cta

    def describe(self, thread: int) -> str:
        tid, cta = self.coords(thread)
        return f"thread {tid} of block {cta}"
