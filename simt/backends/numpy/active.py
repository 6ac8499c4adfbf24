"""Active sets: which threads of a batch run a block, and how a branch splits them.

Threads of a batch are numbered ``t = block_in_batch * threads_per_block +
thread_in_block``. An active set is either a ``RangeSet`` (threads ``lo <= t < hi``:
views instead of gathers, the common case after ``if i < n``) or an ``IndexSet``
(a sorted array of thread numbers, after a thread-dependent branch). Both list
threads in increasing ``t``, so per-thread outputs (stores, prints) come out in
thread order.

A ``Part`` is a subset of an active set together with the ``selector`` that picks
its threads out of arrays laid out over the whole set (``None``: all of them). A
set made by a split remembers its ``parent`` and ``selector``, so a value known over
the parent is restricted to it by a cheap sequential compress instead of a gather
(``Slot.read``): that is how a divergent loop keeps its live values compacted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np


class RangeSet:
    """The contiguous threads ``lo <= t < hi`` of the batch."""

    __slots__ = ("lo", "hi", "_indices", "parent", "selector")

    def __init__(self, lo: int, hi: int):
        self.lo = lo
        self.hi = hi
        self._indices: np.ndarray | None = None
        self.parent: ActiveSet | None = None   # the set this one was split from
        self.selector: Selector = None         # its positions within ``parent``

    @property
    def size(self) -> int:
        return self.hi - self.lo

    def first(self) -> int:
        return self.lo

    def indices(self) -> np.ndarray:
        if self._indices is None:
            self._indices = np.arange(self.lo, self.hi, dtype=np.intp)
        return self._indices

    def take(self, full: np.ndarray) -> np.ndarray:
        """This set's elements of a batch-wide array (a view: no copy)."""
        return full[self.lo:self.hi]

    def put(self, full: np.ndarray, values) -> None:
        full[self.lo:self.hi] = values

    def is_full(self, thread_count: int) -> bool:
        return self.lo == 0 and self.hi == thread_count

    def __repr__(self) -> str:
        return f"RangeSet({self.lo}, {self.hi})"


class IndexSet:
    """An arbitrary set of threads, as sorted unique thread numbers."""

    __slots__ = ("idx", "parent", "selector", "bounds")

    def __init__(self, idx: np.ndarray):
        self.idx = idx
        # (min, max) of block_in_batch and of thread_in_block over the set, once known
        # (``BatchGeometry.bounds``).
        self.bounds: tuple[int, int, int, int] | None = None
        self.parent: ActiveSet | None = None
        self.selector: Selector = None

    @property
    def size(self) -> int:
        return len(self.idx)

    def first(self) -> int:
        return int(self.idx[0])

    def indices(self) -> np.ndarray:
        return self.idx

    def take(self, full: np.ndarray) -> np.ndarray:
        return full[self.idx]

    def put(self, full: np.ndarray, values) -> None:
        full[self.idx] = values

    def is_full(self, thread_count: int) -> bool:
        return False          # a full set is always made a RangeSet

    def __repr__(self) -> str:
        return f"IndexSet({self.idx!r})"


ActiveSet = Union[RangeSet, IndexSet]
Selector = Union[None, slice, np.ndarray]


@dataclass
class Part:
    threads: ActiveSet
    selector: Selector


def _child(parent: ActiveSet, threads: ActiveSet, selector: Selector) -> Part:
    threads.parent, threads.selector = parent, selector
    # Only one generation is ever looked up: dropping the grandparent keeps a long
    # divergent loop from holding every iteration's index array alive.
    parent.parent = parent.selector = None
    return Part(threads, selector)


def from_indices(idx: np.ndarray) -> ActiveSet:
    """The set of the sorted unique thread numbers ``idx``, as a range when contiguous."""
    if len(idx) and int(idx[-1]) - int(idx[0]) + 1 == len(idx):
        return RangeSet(int(idx[0]), int(idx[-1]) + 1)
    return IndexSet(idx)


def merge(pieces: list[ActiveSet], thread_count: int) -> ActiveSet:
    """The union of disjoint active sets (threads arriving at one block by several edges)."""
    if len(pieces) == 1:
        return pieces[0]
    if all(isinstance(p, RangeSet) for p in pieces):
        ordered = sorted(pieces, key=lambda p: p.lo)
        if all(a.hi == b.lo for a, b in zip(ordered, ordered[1:])):
            return RangeSet(ordered[0].lo, ordered[-1].hi)
    total = sum(p.size for p in pieces)
    if total == thread_count:
        return RangeSet(0, thread_count)       # disjoint pieces of every thread
    if total * 8 >= thread_count:
        # Dense: marking a batch-wide mask is linear and cheaper than sorting.
        mask = np.zeros(thread_count, dtype=bool)
        for piece in pieces:
            piece.put(mask, True)
        return from_indices(np.flatnonzero(mask))
    idx = np.concatenate([p.indices() for p in pieces])
    idx.sort(kind="stable")   # a merge of sorted runs
    return from_indices(idx)


def split_by_mask(active: ActiveSet, mask: np.ndarray) -> tuple[Part | None, Part | None]:
    """(threads where ``mask`` holds, the others); ``mask`` is laid out over ``active``."""
    count = int(np.count_nonzero(mask))
    if count == active.size:
        return Part(active, None), None
    if count == 0:
        return None, Part(active, None)
    if isinstance(active, RangeSet):
        true_idx = np.flatnonzero(mask)
        false_idx = np.flatnonzero(~mask)
        if active.lo:
            true_idx += active.lo
            false_idx += active.lo
    else:
        true_idx = active.idx[mask]
        false_idx = active.idx[~mask]
    return _child(active, from_indices(true_idx), mask), _child(active, from_indices(false_idx), ~mask)


def split_by_range(active: ActiveSet, lo: int, hi: int) -> tuple[Part | None, Part | None]:
    """(threads with ``lo <= t < hi``, the others)."""
    size = active.size
    if isinstance(active, RangeSet):
        k0 = min(max(lo - active.lo, 0), size)
        k1 = min(max(hi - active.lo, k0), size)
    else:
        k0, k1 = (int(k) for k in np.searchsorted(active.idx, [lo, hi]))
    if k0 >= k1:
        return None, Part(active, None)
    if k0 == 0 and k1 == size:
        return Part(active, None), None
    inside = _child(active, _positions(active, k0, k1), slice(k0, k1))
    if k0 == 0:
        return inside, _child(active, _positions(active, k1, size), slice(k1, None))
    if k1 == size:
        return inside, _child(active, _positions(active, 0, k0), slice(0, k0))
    outside = np.concatenate([np.arange(0, k0, dtype=np.intp), np.arange(k1, size, dtype=np.intp)])
    return inside, _child(active, from_indices(active.indices()[outside]), outside)


def _positions(active: ActiveSet, k0: int, k1: int) -> ActiveSet:
    """The threads at positions ``k0 <= k < k1`` of ``active``."""
    if isinstance(active, RangeSet):
        return RangeSet(active.lo + k0, active.lo + k1)
    return from_indices(active.idx[k0:k1])


def split_by_block_range(active: ActiveSet, lo: int, hi: int, geometry) -> tuple[Part | None, Part | None]:
    """(threads with ``lo <= thread_in_block < hi``, the others). When ``active`` is a
    run of whole blocks, both parts are built directly (no mask, no search)."""
    size = geometry.threads_per_block
    lo, hi = max(lo, 0), min(hi, size)
    if lo >= hi:
        return None, Part(active, None)
    if lo == 0 and hi == size:
        return Part(active, None), None
    if not (isinstance(active, RangeSet) and active.lo % size == 0 and active.hi % size == 0):
        thread = geometry.split(active)[1]
        return split_by_mask(active, (thread >= lo) & (thread < hi))
    blocks = active.size // size
    if blocks == 1:
        return split_by_range(active, active.lo + lo, active.lo + hi)
    starts = np.arange(0, active.size, size, dtype=np.intp)[:, None]
    inside = (starts + np.arange(lo, hi, dtype=np.intp)).reshape(-1)
    outside = (starts + np.concatenate([np.arange(0, lo, dtype=np.intp),
                                        np.arange(hi, size, dtype=np.intp)])).reshape(-1)
    first_block = active.lo // size
    parts = []
    for positions, (t0, t1) in ((inside, (lo, hi - 1)), (outside, (0, size - 1))):
        threads = IndexSet(positions + active.lo if active.lo else positions)
        threads.bounds = (first_block, first_block + blocks - 1, t0, t1)
        parts.append(_child(active, threads, positions))
    return parts[0], parts[1]
