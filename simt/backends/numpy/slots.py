"""Batch-wide storage of SSA values that outlive one execution of their block.

A value used outside the block that defines it, and every block parameter, gets a
``Slot``. For each thread of the batch a slot holds the value from the last write
that included the thread (the defining block's execution, or the branch into the
parameter's block). Threads that hold no value, or whose value is dead (they can
never read the slot again: see ``Frame.can_drop``), are "don't care".

That freedom lets a slot avoid batch-wide memory most of the time. Its content is
one of:
- ``symbol``: a symbolic value (uniform, affine, range predicate, array argument);
- ``compact``: an array laid out over exactly the threads ``coverage`` that wrote it;
- ``storage``: a batch-wide array that the slot owns (writes scatter into it).
A write replaces the content outright when it covers every thread that may still
read the old one; only when old and new values must coexist does the slot
scatter into ``storage``. A divergent loop thus carries its values compacted to
the threads still iterating, like a hand-written NumPy loop would.

``recent`` remembers the last array read or written with its thread set, so a
block running for exactly that set, or for a subset split off it, gets its
operand without a gather.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from simt.ir.errors import KernelRuntimeError

from .active import ActiveSet, RangeSet
from .geometry import BatchGeometry
from .values import ArrayArg, materialize, same_symbol


def covers(threads: ActiveSet, coverage: ActiveSet | None, thread_count: int) -> bool:
    """Whether ``threads`` certainly includes every thread of ``coverage`` (None: unknown)."""
    if threads.is_full(thread_count) or threads is coverage:
        return True
    if coverage is None:
        return False
    if isinstance(threads, RangeSet):
        if isinstance(coverage, RangeSet):
            return threads.lo <= coverage.lo and coverage.hi <= threads.hi
        return threads.lo <= coverage.first() and int(coverage.idx[-1]) < threads.hi
    if isinstance(coverage, RangeSet) or threads.size != coverage.size:
        return False
    return np.array_equal(threads.idx, coverage.idx)


def _union(a: ActiveSet | None, b: ActiveSet) -> ActiveSet | None:
    """The union when it is cheap to state, else None (unknown: never covered)."""
    if isinstance(a, RangeSet) and isinstance(b, RangeSet) and max(a.lo, b.lo) <= min(a.hi, b.hi):
        return RangeSet(min(a.lo, b.lo), max(a.hi, b.hi))
    return None


def _within(values: np.ndarray, coverage: ActiveSet, threads: ActiveSet) -> np.ndarray:
    """The entries for ``threads`` of ``values`` laid out over ``coverage`` (a superset)."""
    if isinstance(coverage, RangeSet):
        if isinstance(threads, RangeSet):
            return values[threads.lo - coverage.lo:threads.hi - coverage.lo]
        return values[threads.idx - coverage.lo]
    return values[np.searchsorted(coverage.idx, threads.indices())]


class Slot:
    __slots__ = ("name", "kernel", "dtype", "geometry", "symbol", "compact", "storage", "coverage", "recent")

    def __init__(self, name: str, dtype: np.dtype | None, geometry: BatchGeometry, kernel: str = ""):
        self.name = name
        self.kernel = kernel                   # for error messages
        self.dtype = dtype                     # None for array-typed values
        self.geometry = geometry
        self.symbol: Any = None
        self.compact: np.ndarray | None = None
        self.storage: np.ndarray | None = None
        self.coverage: ActiveSet | None = None  # threads of symbol/compact (None: unknown)
        self.recent: tuple[ActiveSet, np.ndarray] | None = None

    def read(self, threads: ActiveSet) -> Any:
        """The slot's value for ``threads`` (every one of which has written it)."""
        if self.symbol is not None:
            return self.symbol
        values = self._from_recent(threads)
        if values is None:
            if self.storage is not None:
                values = threads.take(self.storage)
            elif self.compact is not None:
                values = _within(self.compact, self.coverage, threads)
            else:
                raise RuntimeError(f"numpy backend: value {self.name} read before any thread defined it")
            self.recent = (threads, values)
        return values

    def _from_recent(self, threads: ActiveSet) -> np.ndarray | None:
        if self.recent is None:
            return None
        known, values = self.recent
        if threads is known:
            return values
        if threads.parent is known and threads.parent is not None:
            values = values[threads.selector]
            self.recent = (threads, values)   # the next split of ``threads`` continues the chain
            return values
        return None

    def write(self, value: Any, threads: ActiveSet, droppable: bool) -> None:
        """Set the slot to ``value`` for ``threads`` (``value`` laid out over ``threads``
        if an array). ``droppable``: no other thread can read the old content again."""
        empty = self.symbol is None and self.compact is None and self.storage is None
        replace = empty or droppable or covers(threads, self.coverage, self.geometry.thread_count)
        if isinstance(value, np.ndarray):
            if replace:
                # Local arrays are never changed in place, but views of slot storage are.
                compact = value if value.base is None else value.copy()
                self._set(compact=compact, coverage=threads)
                self.recent = (threads, compact)
                return
            self._ensure_storage()
            threads.put(self.storage, value)
            self.recent = (threads, value) if value.base is None else None
            return
        if replace:
            self._set(symbol=value, coverage=threads)
            return
        if self.symbol is not None and same_symbol(self.symbol, value):
            self.coverage = _union(self.coverage, threads)
            return
        if isinstance(value, ArrayArg):
            self._refuse_divergent_array()
        self._ensure_storage()
        if not isinstance(value, np.generic):
            value = materialize(value, self.geometry, threads)
        threads.put(self.storage, value)
        self.recent = None

    def _set(self, symbol: Any = None, compact: np.ndarray | None = None,
             coverage: ActiveSet | None = None) -> None:
        self.symbol, self.compact, self.storage, self.coverage = symbol, compact, None, coverage
        self.recent = None

    def _ensure_storage(self) -> None:
        if self.storage is not None:
            return
        if isinstance(self.symbol, ArrayArg) or self.dtype is None:
            self._refuse_divergent_array()
        everyone = RangeSet(0, self.geometry.thread_count)
        if self.symbol is not None:
            # Entries outside the symbol's coverage are don't-care; fresh arrays either way.
            storage = materialize(self.symbol, self.geometry, everyone)
        else:
            storage = np.zeros(self.geometry.thread_count, dtype=self.dtype)
            if self.compact is not None:
                self.coverage.put(storage, self.compact)
        self._set()
        self.storage = storage

    def _refuse_divergent_array(self) -> None:
        raise KernelRuntimeError(
            f"threads hold different arrays in {self.name}; the numpy target needs every "
            "thread to use the same array at a given point", kernel=self.kernel)

