"""Compacted registers of a diverged group of threads.

When only some threads of a batch run together (one side of a branch, the
iterations of a loop that other threads have left), reading each operand out of
the batch-wide register arrays and scattering each result back would cost two
gathers or scatters per instruction. A ``Frame`` instead holds the group's own
values, one element per *lane*: a register is gathered once, on its first read,
and results stay in the frame (scalars while uniform). When groups merge, the
frames write their live changed registers back into the batch's register file.

Compressing every live register whenever a few threads leave (a loop exit
taken by some threads each iteration) costs more than the arithmetic it saves,
so a frame may keep *inactive* lanes: ``active`` marks the lanes whose threads
still run with it. Instructions that only compute registers lane by lane
(``Step.lanewise``) run over every lane, which is harmless for the inactive
ones: their threads left with a copy of their live registers and nothing reads
the frame's values for them again. Any other instruction, and a frame whose
active lanes have become too few (``executor.COMPACT_BELOW``), compacts first.

A frame answers ``read``/``write`` like the ``RegisterFile`` (instructions do
not know which one they talk to); access for a subset of the lanes is rare and
handled by locating those threads among the lanes.
"""
from __future__ import annotations

import numpy as np

from .registers import RegisterFile
from .threads import Sel, normalize, sel_count, sel_indices

_MISSING = object()


class Frame:
    __slots__ = ("file", "lanes", "values", "dirty", "active", "active_count", "_sel")

    def __init__(self, file: RegisterFile, lanes: Sel, values: dict | None = None,
                 dirty: set | None = None):
        self.file = file
        self.lanes = lanes                       # the batch thread of each lane
        self.values: dict[str, np.ndarray | np.generic] = {} if values is None else values
        self.dirty: set[str] = set() if dirty is None else dirty
        self.active: np.ndarray | None = None   # None: every lane
        self.active_count = sel_count(lanes)
        self._sel: Sel | None = lanes

    # --- the register file interface -----------------------------------------
    def read(self, name: str, sel: Sel):
        value = self.values.get(name, _MISSING)
        if value is _MISSING:
            value = self.file.read(name, self.lanes)
            self.values[name] = value
        if sel is self.lanes or not isinstance(value, np.ndarray):
            return value
        return value[self._positions(sel)]

    def write(self, name: str, sel: Sel, value) -> None:
        """Store ``value`` (already of the register's dtype, scalar or per-lane)."""
        dtype = self.file.dtypes[name]
        if sel is self.lanes and type(value) is np.ndarray and value.dtype == dtype and value.ndim:
            self.values[name] = value
            self.dirty.add(name)
            return
        if sel is not self.lanes:
            current = self.read(name, self.lanes)
            current = (np.array(current, copy=True) if isinstance(current, np.ndarray)
                       else np.full(sel_count(self.lanes), current, dtype=dtype))
            current[self._positions(sel)] = value
            value = current
        if isinstance(value, np.ndarray) and value.ndim:
            self.values[name] = value if value.dtype == dtype else value.astype(dtype)
        else:
            self.values[name] = dtype.type(value)
        self.dirty.add(name)

    def _positions(self, sel: Sel) -> np.ndarray:
        """Where the threads of ``sel`` (some of the lanes) sit among the lanes."""
        wanted = sel_indices(sel)
        if isinstance(self.lanes, slice):
            return wanted - self.lanes.start
        return np.searchsorted(self.lanes, wanted)

    # --- lanes ------------------------------------------------------------------
    @property
    def sel(self) -> Sel:
        """The threads running with the frame (its active lanes)."""
        if self._sel is None:
            self._sel = normalize(sel_indices(self.lanes)[self.active])
        return self._sel

    @property
    def width(self) -> int:
        return sel_count(self.lanes)

    def leave(self, leaving: np.ndarray, live: frozenset[str]) -> "Frame":
        """A compact frame for the active lanes in ``leaving`` (a lane mask), with
        the registers in ``live``; they stop being active here."""
        positions = np.flatnonzero(leaving)
        values = {name: (value.take(positions) if isinstance(value, np.ndarray) else value)
                  for name, value in self.values.items() if name in live}
        threads = normalize(sel_indices(self.lanes)[positions])
        return Frame(self.file, threads, values, self.dirty & values.keys())

    def narrow(self, staying: np.ndarray, count: int) -> None:
        """Only the lanes in ``staying`` (``count`` of them) remain active."""
        self.active = staying
        self.active_count = count
        self._sel = None

    def compact(self, live: frozenset[str]) -> None:
        """Drop the inactive lanes and every register not in ``live``."""
        if self.active is None:
            return
        positions = np.flatnonzero(self.active)
        self.values = {name: (value.take(positions) if isinstance(value, np.ndarray) else value)
                       for name, value in self.values.items() if name in live}
        self.dirty &= self.values.keys()
        self.lanes = self.sel
        self.active = None

    def write_back(self, live: frozenset[str]) -> None:
        """Store the changed registers that are still live into the register file."""
        self.compact(live)
        for name in self.dirty:
            if name in live:
                self.file.write(name, self.lanes, self.values[name])
