"""The oracle's block- and warp-level primitives: what they mean, one thread at a time.

``Primitives`` gives the CPython oracle (``oracle.py``) a meaning for every
intrinsic of ``simt.language`` beyond the thread indices: shared arrays (one per
call site and block, zero-filled), local arrays, atomics (the threads run one
at a time, so a read-modify-write is atomic), bit operations, barriers, warp
shuffles and votes.

Barriers and warp collectives need the other threads' progress, so a kernel
that uses them runs each block with ``BlockScheduler``: every thread of the
block is a Python thread, and exactly one runs at a time (a baton passed in
linear thread order). A thread that reaches a collective parks; when all the
threads the collective names have parked at it, its results are computed and
they run on. The order is fixed, so the oracle stays deterministic. Reaching a
barrier or a full-mask warp op with only some of the threads it names (they
exited, or wait elsewhere) raises ``CollectiveError``: the result would be
undefined on a GPU.

Shuffles follow PTX ``shfl.sync`` with CUDA's default width: only the low 5
bits of the lane operand count; ``up``/``down`` outside the warp keep the
thread's own value; ``idx`` reads lane ``b & 31``. Values narrower than 32 bits
are widened as the tracer does (ints and bools to int32, float16 to float32).
"""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from simt import language as L

if TYPE_CHECKING:
    from .oracle import _ThreadState

WARP = L.warpsize
COLLECTIVE_NAMES = frozenset({
    "syncthreads", "syncthreads_count", "syncthreads_and", "syncthreads_or", "syncwarp",
    "shfl_sync", "shfl_up_sync", "shfl_down_sync", "shfl_xor_sync", "ballot_sync",
    "all_sync", "any_sync", "eq_sync", "activemask"})
_SHUFFLE_MODES = {L.shfl_sync: "idx", L.shfl_up_sync: "up", L.shfl_down_sync: "down",
                  L.shfl_xor_sync: "xor"}
_VOTE_MODES = {L.ballot_sync: "ballot", L.all_sync: "all", L.any_sync: "any", L.eq_sync: "eq"}
_BARRIER_MODES = {L.syncthreads: "sync", L.syncthreads_count: "count",
                  L.syncthreads_and: "and", L.syncthreads_or: "or"}
_WIDE = ("int32", "uint32", "int64", "uint64", "float32", "float64")


class CollectiveError(RuntimeError):
    """A barrier or warp collective that not every thread it names reaches."""


# ---------------------------------------------------------------------- pure primitives
def _bits(value) -> tuple[int, int]:
    """(the two's complement bits of an integer, its width)."""
    if isinstance(value, (np.integer, np.bool_)):
        width = value.dtype.itemsize * 8
    else:
        width = 64      # a Python int is an int64 in the kernel language
    return int(value) & ((1 << width) - 1), width


def popc(value) -> np.int32:
    bits, _ = _bits(value)
    return np.int32(bin(bits).count("1"))


def clz(value) -> np.int32:
    bits, width = _bits(value)
    return np.int32(width - bits.bit_length())


def ffs(value) -> np.int32:
    bits, _ = _bits(value)
    return np.int32((bits & -bits).bit_length())


def brev(value):
    bits, width = _bits(value)
    reversed_bits = int(f"{bits:0{width}b}"[::-1], 2)
    dtype = value.dtype if isinstance(value, np.integer) else np.dtype(np.int64)
    return np.array(reversed_bits, dtype=f"u{dtype.itemsize}").view(dtype)[()]


def widen_for_shuffle(value):
    """The value a shuffle carries: 32/64-bit ints and floats as they are, narrower ones
    widened (ints and bools to int32, float16 to float32), Python scalars as they are."""
    if not isinstance(value, np.generic) or value.dtype.name in _WIDE:
        return value
    return np.float32(value) if value.dtype.kind == "f" else np.int32(value)


def _as_dtype(value, dtype: np.dtype):
    """``value`` converted to an array's element type, as the tracer's cast does."""
    with np.errstate(all="ignore"):
        return np.asarray(value).astype(dtype)[()]


def atomic_update(op: str, array: np.ndarray, index, *operands):
    """Apply ``simt.atomic.<op>`` to ``array[index]``; return the old value."""
    old = array[index]
    dtype = array.dtype
    values = [_as_dtype(v, dtype) for v in operands]
    value = values[-1]
    with np.errstate(all="ignore"):
        if op == "add":
            new = old + value
        elif op == "sub":
            new = old - value
        elif op == "max":
            new = value if value > old else old
        elif op == "min":
            new = value if value < old else old
        elif op == "exch":
            new = value
        elif op == "inc":
            new = dtype.type(0) if old >= value else old + dtype.type(1)
        elif op == "dec":
            new = value if (old == 0 or old > value) else old - dtype.type(1)
        elif op == "and_":
            new = old & value
        elif op == "or_":
            new = old | value
        elif op == "xor":
            new = old ^ value
        elif op == "cas":
            new = value if old == values[0] else old
        else:
            raise NotImplementedError(f"simt.atomic.{op}")
    array[index] = new
    return dtype.type(old)


# ---------------------------------------------------------------------- the block scheduler
@dataclass
class _Request:
    """What a parked thread waits for."""

    scope: str                  # "block" or "warp"
    kind: str                   # barrier mode, "shfl:<mode>", "vote:<mode>", syncwarp, activemask
    mask: int = 0xFFFFFFFF
    value: Any = None
    operand: int = 0
    site: Any = None


@dataclass
class _Worker:
    index: int                  # linear thread index in the block
    thread_idx: tuple[int, int, int]
    go: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    request: _Request | None = None
    result: Any = None
    error: BaseException | None = None
    python_thread: threading.Thread | None = None


class _Abort(BaseException):
    """Unwinds parked threads when the launch fails."""


class BlockScheduler:
    """Runs the threads of one block one at a time, parking them at collectives."""

    def __init__(self, thread_state: _ThreadState, enter: Callable[[tuple, tuple], None]):
        self.state = thread_state
        self.enter = enter
        self.current: _Worker | None = None
        self.back = threading.Event()
        self.aborting = False

    def run_block(self, block_idx: tuple[int, int, int], thread_indices: list[tuple[int, int, int]],
                  run_thread: Callable[[], None]) -> None:
        workers = [_Worker(i, idx) for i, idx in enumerate(thread_indices)]
        self.aborting = False
        for worker in workers:
            worker.python_thread = threading.Thread(
                target=self._main, args=(worker, run_thread), daemon=True,
                name=f"simt-oracle-thread-{worker.index}")
            worker.python_thread.start()
        try:
            while not all(w.done for w in workers):
                for worker in workers:
                    if not worker.done and worker.request is None:
                        self._switch_to(worker, block_idx)
                        if worker.error is not None:
                            raise worker.error
                if not all(w.done for w in workers):
                    self._resolve(workers)
        finally:
            self.aborting = True
            for worker in workers:
                if not worker.done:
                    worker.go.set()
            for worker in workers:
                worker.python_thread.join()
            self.current = None

    def _switch_to(self, worker: _Worker, block_idx: tuple[int, int, int]) -> None:
        self.enter(worker.thread_idx, block_idx)
        self.current = worker
        self.back.clear()
        worker.go.set()
        self.back.wait()

    def _main(self, worker: _Worker, run_thread: Callable[[], None]) -> None:
        worker.go.wait()
        worker.go.clear()
        try:
            if not self.aborting:
                with np.errstate(all="ignore"):
                    run_thread()
        except _Abort:
            pass
        except BaseException as exc:   # reported by the scheduler's thread
            worker.error = exc
        worker.done = True
        self.back.set()

    def park(self, request: _Request) -> Any:
        """Called on the running thread: wait at a collective, return its result."""
        worker = self.current
        worker.request = request
        worker.result = None
        worker.go.clear()
        self.back.set()
        worker.go.wait()
        worker.go.clear()
        if self.aborting:
            raise _Abort
        return worker.result

    # -------------------------------------------------------------- resolving collectives
    def _resolve(self, workers: list[_Worker]) -> None:
        warps: dict[int, list[_Worker]] = {}
        for worker in workers:
            warps.setdefault(worker.index // WARP, []).append(worker)
        for lanes in warps.values():
            if self._resolve_warp(lanes):
                return
        waiting = [w for w in workers if not w.done]
        if all(w.request is not None and w.request.scope == "block" for w in waiting):
            exited = [w for w in workers if w.done]
            if exited:
                raise CollectiveError(
                    f"simt.syncthreads reached by {len(waiting)} of {len(workers)} threads of "
                    f"the block (threads {[w.thread_idx for w in exited][:4]} exited): "
                    "a barrier must be reached by every thread of the block")
            kinds = {w.request.kind for w in waiting}
            if len(kinds) > 1:
                raise CollectiveError(f"threads of one block wait at different barriers ({kinds})")
            self._finish_barrier(kinds.pop(), waiting)
            return
        stuck = [(w.thread_idx, w.request.kind if w.request else "running") for w in waiting][:6]
        raise CollectiveError(f"the threads of a block wait at different collectives: {stuck}")

    def _finish_barrier(self, kind: str, waiting: list[_Worker]) -> None:
        votes = [bool(w.request.value) for w in waiting]
        result = {"sync": None, "count": np.int32(sum(votes)), "and": np.int32(all(votes)),
                  "or": np.int32(any(votes))}[kind]
        for worker in waiting:
            worker.result = result
            worker.request = None

    def _resolve_warp(self, lanes: list[_Worker]) -> bool:
        parked = [w for w in lanes if w.request is not None and w.request.scope == "warp"]
        if not parked:
            return False
        by_lane = {w.index % WARP: w for w in lanes}
        first = parked[0].request
        if first.kind == "activemask":
            members = [w for w in lanes if not w.done]
        else:
            members = [by_lane[lane] for lane in range(WARP)
                       if first.mask >> lane & 1 and lane in by_lane]
        if not all(w.request is not None and w.request.scope == "warp" for w in members
                   if not w.done):
            return False       # some named lanes still run (or wait at a barrier)
        exited = [w.thread_idx for w in members if w.done]
        if exited or not members:
            raise CollectiveError(f"warp {first.kind} with mask {first.mask:#010x}: lanes "
                                  f"{exited} it names have exited")
        kinds = {(w.request.kind, w.request.mask) for w in members}
        if len(kinds) > 1:
            raise CollectiveError(f"the lanes of a warp wait at different warp operations: {kinds}")
        results = self._warp_results(first.kind, members, by_lane)
        for worker, result in zip(members, results):
            worker.result = result
            worker.request = None
        return True

    def _warp_results(self, kind: str, members: list[_Worker], by_lane: dict[int, _Worker]) -> list:
        lanes = [w.index % WARP for w in members]
        if kind == "syncwarp":
            return [None] * len(members)
        if kind == "activemask":
            mask = sum(1 << lane for lane in lanes)
            return [np.uint32(mask)] * len(members)
        if kind.startswith("vote:"):
            mode = kind[5:]
            votes = [bool(w.request.value) for w in members]
            if mode == "ballot":
                ballot = np.uint32(sum(1 << lane for lane, v in zip(lanes, votes) if v))
                return [ballot] * len(members)
            value = {"all": all(votes), "any": any(votes), "eq": len(set(votes)) == 1}[mode]
            return [np.bool_(value)] * len(members)
        mode = kind[5:]
        participating = {w.index % WARP: w for w in members}
        results = []
        for worker in members:
            lane, b = worker.index % WARP, worker.request.operand & 31
            source = {"idx": b, "up": lane - b, "down": lane + b, "xor": lane ^ b}[mode]
            if not 0 <= source < WARP:
                source = lane
            if source not in participating:
                raise CollectiveError(f"shfl_{mode}: lane {lane} reads lane {source}, which is "
                                      "not taking part (undefined on a GPU)")
            results.append(participating[source].request.value)
        return results


# ---------------------------------------------------------------------- the intrinsics
class Primitives:
    """The oracle's implementations of the kernel-language intrinsics for one launch."""

    def __init__(self, thread_state: _ThreadState, shared_bytes: int):
        self.state = thread_state
        self.shared_bytes = shared_bytes
        self.block_shared: dict[Any, np.ndarray] = {}
        self.scheduler: BlockScheduler | None = None

    def new_block(self) -> None:
        self.block_shared = {}

    def functions(self) -> dict[Any, Callable]:
        table: dict[Any, Callable] = {
            L.shared.array: self.shared_array, L.local.array: self.local_array,
            L.popc: popc, L.clz: clz, L.ffs: ffs, L.brev: brev,
            L.lanemask_lt: self.lanemask_lt, L.activemask: self.activemask,
            L.syncwarp: self.syncwarp, L.threadfence: _nothing,
            L.threadfence_block: _nothing, L.threadfence_system: _nothing,
        }
        for intrinsic, mode in _BARRIER_MODES.items():
            table[intrinsic] = self._barrier(mode)
        for intrinsic, mode in _SHUFFLE_MODES.items():
            table[intrinsic] = self._shuffle(mode)
        for intrinsic, mode in _VOTE_MODES.items():
            table[intrinsic] = self._vote(mode)
        for name in L.ATOMIC_OPS:
            table[getattr(L.atomic, name)] = self._atomic(name)
        return table

    # -------------------------------------------------------------- memory
    def shared_array(self, shape, dtype):
        caller = sys._getframe(1)
        dtype = np.dtype(dtype)
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if shape == (0,):
            key = "dynamic"
            shape = (self.shared_bytes // dtype.itemsize,)
        else:
            key = (caller.f_code, caller.f_lasti)
        array = self.block_shared.get(key)
        if array is None or array.dtype != dtype:
            array = self.block_shared[key] = np.zeros(shape, dtype)
        return array

    @staticmethod
    def local_array(shape, dtype):
        return np.zeros(shape, np.dtype(dtype))

    # -------------------------------------------------------------- atomics
    @staticmethod
    def _atomic(name: str) -> Callable:
        def atomic(array, index, *operands):
            return atomic_update(name, array, index, *operands)
        atomic.__name__ = atomic.__qualname__ = f"atomic_{name}"
        return atomic

    # -------------------------------------------------------------- collectives
    def _park(self, request: _Request):
        if self.scheduler is None:
            raise CollectiveError("internal: a collective outside the block scheduler")
        return self.scheduler.park(request)

    def _barrier(self, mode: str) -> Callable:
        def barrier(*predicate):
            value = bool(predicate[0]) if predicate else None
            return self._park(_Request("block", mode, value=value))
        barrier.__name__ = f"syncthreads_{mode}"
        return barrier

    def _shuffle(self, mode: str) -> Callable:
        def shuffle(mask, value, lane):
            return self._park(_Request("warp", f"shfl:{mode}", int(mask) & 0xFFFFFFFF,
                                       widen_for_shuffle(value), int(lane)))
        shuffle.__name__ = f"shfl_{mode}_sync"
        return shuffle

    def _vote(self, mode: str) -> Callable:
        def vote(mask, predicate):
            return self._park(_Request("warp", f"vote:{mode}", int(mask) & 0xFFFFFFFF,
                                       bool(predicate)))
        vote.__name__ = f"{mode}_sync"
        return vote

    def syncwarp(self, mask=0xFFFFFFFF):
        return self._park(_Request("warp", "syncwarp", int(mask) & 0xFFFFFFFF))

    def activemask(self):
        return self._park(_Request("warp", "activemask"))

    def lanemask_lt(self):
        return np.uint32((1 << int(self.state.laneid)) - 1)


def _nothing():
    return None
