"""The register file of a batch: one value per declared register, either a
NumPy scalar (the same for every thread: launch parameters, constants, uniform
loop counters) or an array with one element per thread.

Arrays are shared copy-on-write: writing a whole register may store an array
that aliases another register (or an operand read for every thread), so a
register whose array may be aliased copies it on its next partial write.
"""
from __future__ import annotations

import numpy as np

from .ptxtypes import PtxType
from .threads import Sel


class RegisterFile:
    def __init__(self, types: dict[str, PtxType], size: int):
        self.size = size
        self.dtypes = {name: t.dtype for name, t in types.items()}
        self.values: dict[str, np.ndarray | np.generic] = {
            name: dt.type(0) for name, dt in self.dtypes.items()}
        self.owned: set[str] = set()

    def read(self, name: str, sel: Sel):
        value = self.values[name]
        if not isinstance(value, np.ndarray):
            return value
        if isinstance(sel, slice) and sel.start == 0 and sel.stop == self.size:
            self.owned.discard(name)      # the caller may store this very array elsewhere
            return value
        return value[sel]

    def write(self, name: str, sel: Sel, value) -> None:
        """Store ``value`` (already of the register's dtype, scalar or per-thread)."""
        if isinstance(sel, slice) and sel.start == 0 and sel.stop == self.size:
            if isinstance(value, np.ndarray) and value.ndim:
                dtype = self.dtypes[name]
                self.values[name] = value if value.dtype == dtype else value.astype(dtype)
                self.owned.discard(name)
            else:
                self.values[name] = self.dtypes[name].type(value)
            return
        current = self.values[name]
        if name not in self.owned or not isinstance(current, np.ndarray):
            current = (np.array(current, copy=True) if isinstance(current, np.ndarray)
                       else np.full(self.size, current, dtype=self.dtypes[name]))
            self.values[name] = current
            self.owned.add(name)
        current[sel] = value

    def full(self, name: str) -> np.ndarray | np.generic:
        """The register's value for every thread of the batch (scalar if uniform)."""
        return self.values[name]
