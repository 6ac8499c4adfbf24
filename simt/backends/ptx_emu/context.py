"""Runtime state of one batch that instructions act on: the register file,
memory, thread geometry, the special registers and bookkeeping for warps,
barriers and ``printf``.
"""
from __future__ import annotations

import sys
from typing import Callable, TextIO

import numpy as np

from .memory import Memory
from .ptxtypes import PtxType
from .registers import RegisterFile
from .threads import Batch


class Context:
    def __init__(self, registers: dict[str, PtxType], batch: Batch, memory: Memory,
                 dynamic_shared: int, stdout: TextIO | None = None):
        self.regs = RegisterFile(registers, batch.size)
        self.mem = memory
        self.batch = batch
        self.dynamic_shared = dynamic_shared
        self.clock = 0
        self.exited = np.zeros(batch.size, dtype=bool)
        self.stdout = stdout if stdout is not None else sys.stdout
        self._specials: dict[str, np.ndarray | np.generic] = {}
        # per-thread predicate captured at a bar.red, keyed by the instruction
        self.barrier_votes: dict[int, np.ndarray] = {}
        self._alive_lanes: np.ndarray | None = None

    def retire(self, sel) -> None:
        """Threads of ``sel`` have exited."""
        self.exited[sel] = True
        self._alive_lanes = None

    def alive_lanes(self) -> np.ndarray:
        """Per batch warp: the bit mask of lanes that exist and have not exited."""
        if self._alive_lanes is None:
            b = self.batch
            bits = np.where(self.exited, 0.0, np.ldexp(1.0, b.lane.astype(np.int64)))
            self._alive_lanes = np.bincount(b.warp, weights=bits,
                                            minlength=b.nwarps).astype(np.uint64)
        return self._alive_lanes

    def special(self, name: str) -> np.ndarray | np.generic:
        """The value of special register ``name`` for every batch thread."""
        if name in ("%clock", "%clock_hi", "%clock64", "%globaltimer", "%globaltimer_lo",
                    "%globaltimer_hi"):
            ticks = self.clock
            if name.endswith("_hi"):
                return np.uint32(ticks >> 32)
            return np.uint64(ticks) if name in ("%clock64", "%globaltimer") else np.uint32(ticks)
        value = self._specials.get(name)
        if value is None:
            value = self._compute_special(name)
            self._specials[name] = value
        return value

    def _compute_special(self, name: str) -> np.ndarray | np.generic:
        b = self.batch
        base, _, comp = name.partition(".")
        axis = "xyz".find(comp)
        compute: dict[str, Callable[[], object]] = {
            "%tid": lambda: b.tid(axis),
            "%ntid": lambda: np.uint32(b.block[axis]),
            "%ctaid": lambda: b.ctaid(axis),
            "%nctaid": lambda: np.uint32(b.grid[axis]),
            "%laneid": lambda: b.lane if b.block_size > 1 else np.uint32(0),
            "%warpid": lambda: b.warp_in_block if b.block_size > 32 else np.uint32(0),
            "%nwarpid": lambda: np.uint32(b.warps_per_block),
            "%smid": lambda: np.uint32(0),
            "%nsmid": lambda: np.uint32(1),
            "%gridid": lambda: np.uint64(1),
            "%dynamic_smem_size": lambda: np.uint32(self.dynamic_shared),
            "%total_smem_size": lambda: np.uint32(self.mem.shared_size),
            "%aggr_smem_size": lambda: np.uint32(self.mem.shared_size),
        }
        if base.startswith("%lanemask_"):
            return b.lanemask(base[len("%lanemask_"):])
        return compute[base]()
