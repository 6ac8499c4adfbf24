"""Byte-addressed memory of the state spaces, with bounds and alignment checks.

Address layout (all 64-bit):

* ``.global``: every allocation (a launch argument array, a module ``.global``
  variable) is a *region* at ``GLOBAL_BASE + k * 2**36``; a global address
  names its region by its high bits, so translation is a shift, and stepping
  off either end of a buffer lands in unmapped space and faults.
* ``.shared`` (per block), ``.local`` (per thread), kernel ``.param`` and
  ``.const``: addresses in the space start at 0; generic addresses of these
  spaces live in fixed windows (``cvta`` adds or removes the window base).

Every access is checked: the whole access must lie inside one allocation and be
aligned to its size; a violation raises ``Fault`` with the offending position,
which the executor turns into a ``KernelRuntimeError`` naming the PTX line and
the thread.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .threads import Batch, Sel, sel_indices

REGION_SHIFT = 36
OFFSET_MASK = (1 << REGION_SHIFT) - 1
GLOBAL_BASE = 1 << 40
FIRST_REGION = GLOBAL_BASE >> REGION_SHIFT
WINDOWS = {"shared": 1 << 36, "local": 2 << 36, "param": 3 << 36, "const": 4 << 36}
_WINDOW_OF = {1: "shared", 2: "local", 3: "param", 4: "const"}
U64 = np.dtype(np.uint64)


class Fault(Exception):
    """An invalid access by the thread at ``position`` of the running selection."""

    def __init__(self, message: str, position: int):
        super().__init__(message)
        self.message = message
        self.position = position


class Buffer:
    """Bytes of one allocation, with cached typed views."""

    def __init__(self, name: str, data: np.ndarray, writable: bool = True):
        self.name = name
        self.data = data
        self.writable = writable
        self.dirty = False
        self._views: dict[np.dtype, np.ndarray] = {}

    def view(self, dtype: np.dtype) -> np.ndarray:
        view = self._views.get(dtype)
        if view is None:
            usable = len(self.data) // dtype.itemsize * dtype.itemsize
            view = self.data[:usable].view(dtype)
            self._views[dtype] = view
        return view


@dataclass
class Piece:
    """The part of one access that falls in one buffer: element positions within
    the selection (None: all of them) and byte offsets into the buffer."""
    buffer: Buffer
    where: np.ndarray | None
    offsets: np.ndarray | np.integer


class Memory:
    """All state spaces seen by one batch."""

    def __init__(self, regions: list[Buffer], params: bytes, const: bytes, batch: Batch,
                 shared_size: int, local_size: int):
        self.regions = regions
        self.batch = batch
        self.param = Buffer("kernel parameters", np.frombuffer(bytearray(params) or bytearray(8),
                                                               np.uint8), writable=False)
        self.param_size = len(params)
        self.const = Buffer("constant bank", np.frombuffer(bytearray(const) or bytearray(8),
                                                           np.uint8), writable=False)
        self.const_size = len(const)
        self.shared_size = shared_size
        self.shared_stride = _pad16(shared_size)
        self.shared = Buffer("shared memory", np.zeros(self.shared_stride * batch.nblocks, np.uint8))
        self.local_size = local_size
        self.local_stride = _pad16(local_size)
        self.local = Buffer("local memory", np.zeros(self.local_stride * batch.size, np.uint8))
        self._starts: dict[str, np.ndarray] = {}

    # --- translation --------------------------------------------------------
    def resolve(self, space: str, addr, sel: Sel, nbytes: int, verb: str) -> list[Piece]:
        """The pieces of an access of ``nbytes`` at each address (aligned to nbytes)."""
        if space == "global":
            return self._global(addr, nbytes, verb)
        if space == "generic":
            return self._generic(addr, sel, nbytes, verb)
        if space in ("shared", "local"):
            return [self._banked(space, addr, sel, nbytes, verb)]
        if space in ("param", "const"):
            return [self._flat(space, addr, nbytes, verb)]
        raise ValueError(space)

    def _check_align(self, addr, nbytes: int, verb: str, space: str, offsets=None) -> None:
        if nbytes == 1:
            return
        if np.ndim(addr) and not int(np.bitwise_or.reduce(np.asarray(addr, U64))) & (nbytes - 1):
            return
        bad = (np.asarray(addr, U64) & np.uint64(nbytes - 1)) != 0
        if np.any(bad):
            pos = _first(bad)
            raise Fault(f"misaligned {verb} of {nbytes} bytes at {space} address "
                        f"{_hex(addr, pos)} (must be {nbytes}-byte aligned)", pos)

    def _global(self, addr, nbytes: int, verb: str, space: str = "global") -> list[Piece]:
        addr = np.asarray(addr, U64) if not isinstance(addr, np.integer) else U64.type(addr)
        if np.ndim(addr):
            fast = self._one_region(addr, nbytes)
            if fast is not None:
                return [fast]
        rid = addr >> np.uint64(REGION_SHIFT)
        if np.ndim(rid) == 0 or rid.min() == rid.max():
            index = int(rid if np.ndim(rid) == 0 else rid[0]) - FIRST_REGION
            return [self._region_piece(index, addr, None, nbytes, verb, space)]
        pieces = []
        for r in np.unique(rid):
            where = np.flatnonzero(rid == r)
            pieces.append(self._region_piece(int(r) - FIRST_REGION, addr[where], where, nbytes,
                                             verb, space))
        return pieces

    def _one_region(self, addr: np.ndarray, nbytes: int) -> Piece | None:
        """The common case in three passes: every address inside the region of the
        first one, in bounds and aligned (None: take the checking path)."""
        index = (int(addr[0]) >> REGION_SHIFT) - FIRST_REGION
        if not 0 <= index < len(self.regions):
            return None
        region = self.regions[index]
        limit = len(region.data) - nbytes
        offsets = addr - np.uint64((index + FIRST_REGION) << REGION_SHIFT)
        if limit < 0 or int(offsets.max()) > limit:      # below the base wraps around
            return None
        if nbytes > 1 and int(np.bitwise_or.reduce(offsets)) & (nbytes - 1):
            return None
        return Piece(region, None, offsets)

    def _region_piece(self, index: int, addr, where, nbytes: int, verb: str, space: str) -> Piece:
        if not 0 <= index < len(self.regions):
            pos = 0 if where is None else int(where[0])
            raise Fault(f"{verb} of {nbytes} bytes at {space} address {_hex(addr, 0)}, which is "
                        f"not inside any allocation", pos)
        region = self.regions[index]
        offsets = addr & np.uint64(OFFSET_MASK)
        limit = len(region.data) - nbytes
        bad = offsets > np.uint64(max(limit, 0)) if limit >= 0 else np.ones_like(offsets, dtype=bool)
        if np.any(bad):
            pos = _first(bad)
            off = int(offsets if np.ndim(offsets) == 0 else offsets[pos])
            raise Fault(f"out-of-bounds {verb} of {nbytes} bytes at {space} address "
                        f"{_hex(addr, pos)}: offset {off} of the {len(region.data)}-byte "
                        f"{region.name}", pos if where is None else int(where[pos]))
        self._check_align(offsets, nbytes, verb, space)
        return Piece(region, where, offsets)

    def _banked(self, space: str, addr, sel: Sel, nbytes: int, verb: str) -> Piece:
        size, stride, buffer = ((self.shared_size, self.shared_stride, self.shared)
                                if space == "shared" else
                                (self.local_size, self.local_stride, self.local))
        addr = np.asarray(addr, U64) if not isinstance(addr, np.integer) else U64.type(addr)
        if size < nbytes or int(addr.max() if np.ndim(addr) else addr) > size - nbytes:
            bad = (addr > np.uint64(max(size - nbytes, 0)) if size >= nbytes
                   else np.ones_like(addr, bool))
            pos = _first(bad)
            what = "of the block" if space == "shared" else "of the thread"
            raise Fault(f"out-of-bounds {verb} of {nbytes} bytes at {space} address "
                        f"{_hex(addr, pos)} (the {space} memory {what} has {size} bytes)", pos)
        self._check_align(addr, nbytes, verb, space)
        starts = self._bank_starts(space, stride)
        if isinstance(sel, slice) and sel.start == 0 and sel.stop == self.batch.size:
            bank = starts
        else:
            bank = starts[sel]
        # in bounds, so far below 2**63: the unsigned bits read as int64 unchanged
        return Piece(buffer, None, bank + (addr.view(np.int64) if np.ndim(addr)
                                           else np.int64(addr)))

    def _bank_starts(self, space: str, stride: int) -> np.ndarray:
        """Byte offset of each batch thread's bank (its block's shared memory, or
        its own local memory)."""
        starts = self._starts.get(space)
        if starts is None:
            bank = self.batch.block_in_batch if space == "shared" else self.batch.thread_ids
            starts = self._starts[space] = bank.astype(np.int64) * stride
        return starts

    def _flat(self, space: str, addr, nbytes: int, verb: str) -> Piece:
        buffer, size = (self.param, self.param_size) if space == "param" else (self.const,
                                                                               self.const_size)
        addr = np.asarray(addr, U64) if not isinstance(addr, np.integer) else U64.type(addr)
        bad = addr > np.uint64(max(size - nbytes, 0)) if size >= nbytes else np.ones_like(addr, bool)
        if np.any(bad):
            pos = _first(bad)
            raise Fault(f"out-of-bounds {verb} of {nbytes} bytes at {space} address "
                        f"{_hex(addr, pos)} (the {space} space has {size} bytes)", pos)
        self._check_align(addr, nbytes, verb, space)
        return Piece(buffer, None, addr.astype(np.int64))

    def _generic(self, addr, sel: Sel, nbytes: int, verb: str) -> list[Piece]:
        addr = np.asarray(addr, U64)
        window = addr >> np.uint64(REGION_SHIFT)
        if np.ndim(window) == 0 or window.min() == window.max():
            kinds = [(int(window.flat[0]), None)]
        else:
            kinds = [(int(w), np.flatnonzero(window == w)) for w in np.unique(window)]
        pieces: list[Piece] = []
        for w, where in kinds:
            part = addr if where is None else addr[where]
            if w >= FIRST_REGION:
                found = self._global(part, nbytes, verb, "generic")
            elif w in _WINDOW_OF:
                space = _WINDOW_OF[w]
                offsets = part - np.uint64(WINDOWS[space])
                if space in ("shared", "local"):
                    sub = sel if where is None else sel_indices(sel)[where]
                    found = [self._banked(space, offsets, sub, nbytes, verb)]
                else:
                    found = [self._flat(space, offsets, nbytes, verb)]
            else:
                pos = 0 if where is None else int(where[0])
                raise Fault(f"{verb} of {nbytes} bytes at generic address {_hex(part, 0)}, which "
                            f"is not inside any state space", pos)
            for piece in found:
                if where is not None:
                    piece.where = where if piece.where is None else where[piece.where]
                pieces.append(piece)
        return pieces

    # --- typed access -------------------------------------------------------
    def load(self, space: str, addr, sel: Sel, dtype: np.dtype, count: int, n: int) -> list:
        """``count`` consecutive elements of ``dtype`` per thread (a vector load)."""
        size = dtype.itemsize
        pieces = self.resolve(space, addr, sel, size * count, "load")
        if len(pieces) == 1 and pieces[0].where is None:
            view = pieces[0].buffer.view(dtype)
            index = _element_index(pieces[0].offsets, size)
            return [_gather(view, index + k if k else index) for k in range(count)]
        out = [np.empty(n, dtype) for _ in range(count)]
        for piece in pieces:
            view = piece.buffer.view(dtype)
            index = _element_index(piece.offsets, size)
            for k in range(count):
                out[k][piece.where] = _gather(view, index + k if k else index)
        return out

    def store(self, space: str, addr, sel: Sel, dtype: np.dtype, values: list) -> None:
        size = dtype.itemsize
        pieces = self.resolve(space, addr, sel, size * len(values), "store")
        for piece in pieces:
            if not piece.buffer.writable:
                raise Fault(f"store to read-only {piece.buffer.name}", 0)
            piece.buffer.dirty = True
            view = piece.buffer.view(dtype)
            index = _element_index(piece.offsets, size)
            for k, value in enumerate(values):
                if piece.where is not None and np.ndim(value):
                    value = value[piece.where]
                if np.ndim(index) == 0 and np.ndim(value):
                    # One address for every thread: the highest thread id's value lands,
                    # as for racing stores in the reference.
                    value = value[-1] if len(value) else None
                    if value is None:
                        continue
                view[index + k if k else index] = value

    def read_bytes(self, space: str, addr: int, length: int) -> bytes:
        """Bytes for host-side helpers (printf): stops at the end of the allocation."""
        piece = self.resolve(space, U64.type(addr), slice(0, 1), 1, "load")[0]
        start = int(piece.offsets)
        return piece.buffer.data[start:start + length].tobytes()


def _element_index(offsets, size: int):
    """Element positions of (size-aligned) byte offsets: a shift, not a division, to
    ``intp`` (NumPy indexes with unsigned integers several times slower)."""
    shift = size.bit_length() - 1
    if not isinstance(offsets, np.ndarray):
        return int(offsets) >> shift
    if offsets.dtype != np.intp:
        offsets = offsets.view(np.intp) if offsets.dtype.itemsize == 8 else offsets.astype(np.intp)
    return offsets >> shift if shift else offsets


def _gather(view: np.ndarray, index):
    return view.take(index) if isinstance(index, np.ndarray) else view[index]


def _pad16(size: int) -> int:
    return max(16, -(-size // 16) * 16)


def _first(mask) -> int:
    return 0 if np.ndim(mask) == 0 else int(np.argmax(mask))


def _hex(addr, pos: int) -> str:
    value = addr if np.ndim(addr) == 0 else addr[pos]
    return f"0x{int(value):x}"
