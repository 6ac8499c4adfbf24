"""The kernel language's built-in names, as marker objects.

``simt.threadIdx``, ``simt.grid`` and friends are defined here once. Inside a
kernel the tracer recognises them by identity and turns them into IR; the CPython
oracle (``simt.testing``) swaps them for per-thread values. Touching them in plain
Python code outside a kernel raises a clear error. This module imports nothing
else of simt, so every part may use it.
"""
from __future__ import annotations


class NotInKernelError(RuntimeError):
    pass


class Intrinsic:
    """A kernel-language function (``simt.grid``, ...) callable only inside kernels."""

    def __init__(self, name: str, doc: str = ""):
        self.name = name
        self.__name__ = name
        self.__qualname__ = name
        self.__doc__ = doc

    def __call__(self, *args, **kwargs):
        raise NotInKernelError(
            f"simt.{self.name}() can only be used inside a @simt.kernel or @simt.device "
            "function; launch the kernel as kern[grid, block](...)")

    def __repr__(self) -> str:
        return f"<simt intrinsic {self.name}>"

    def __reduce__(self):
        return self.name


class Dim3:
    """``threadIdx``/``blockIdx``/``blockDim``/``gridDim``: ``.x``, ``.y``, ``.z`` in kernels."""

    def __init__(self, name: str):
        self.name = name

    def __getattr__(self, attr: str):
        if attr in ("x", "y", "z"):
            raise NotInKernelError(
                f"simt.{self.name}.{attr} only has a value inside a kernel; launch the kernel "
                "as kern[grid, block](...)")
        raise AttributeError(attr)

    def __repr__(self) -> str:
        return f"<simt {self.name}>"

    def __reduce__(self):
        return self.name


class SpecialValue:
    """A per-thread value such as ``laneid`` that only exists inside kernels."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<simt {self.name}>"

    def __reduce__(self):
        return self.name


threadIdx = Dim3("threadIdx")
blockIdx = Dim3("blockIdx")
blockDim = Dim3("blockDim")
gridDim = Dim3("gridDim")
laneid = SpecialValue("laneid")
warpsize = 32

grid = Intrinsic("grid", "grid(ndim): the absolute thread position (an int or a tuple of ndim ints).")
gridsize = Intrinsic("gridsize", "gridsize(ndim): the total number of threads in the grid per axis.")
fma = Intrinsic("fma", "fma(a, b, c): a * b + c rounded once.")

DIM3 = {"threadIdx": threadIdx, "blockIdx": blockIdx, "blockDim": blockDim, "gridDim": gridDim}
INTRINSICS = {i.name: i for i in (grid, gridsize, fma)}


class Namespace:
    """A group of intrinsics such as ``simt.shared`` or ``simt.atomic``."""

    def __init__(self, name: str, members: dict[str, Intrinsic]):
        self.name = name
        for key, value in members.items():
            setattr(self, key, value)
        self.members = members

    def __repr__(self) -> str:
        return f"<simt {self.name}>"

    def __reduce__(self):
        return self.name


def _intrinsic(name: str, doc: str) -> Intrinsic:
    return Intrinsic(name, doc)


shared = Namespace("shared", {"array": _intrinsic(
    "shared.array", "shared.array(shape, dtype): block-shared memory; shape 0 means the "
    "launch's dynamic shared memory (kern[grid, block, stream, shared_bytes]).")})
local = Namespace("local", {"array": _intrinsic(
    "local.array", "local.array(shape, dtype): a per-thread scratch array.")})

syncthreads = _intrinsic("syncthreads", "syncthreads(): wait until every thread of the block arrives.")
syncthreads_count = _intrinsic("syncthreads_count", "syncthreads_count(pred): barrier; the number "
                               "of threads whose pred is true.")
syncthreads_and = _intrinsic("syncthreads_and", "syncthreads_and(pred): barrier; 1 if pred is "
                             "true on every thread, else 0.")
syncthreads_or = _intrinsic("syncthreads_or", "syncthreads_or(pred): barrier; 1 if pred is true "
                            "on any thread, else 0.")
syncwarp = _intrinsic("syncwarp", "syncwarp(mask=0xffffffff): wait for the lanes of mask.")
threadfence = _intrinsic("threadfence", "threadfence(): order memory accesses device-wide.")
threadfence_block = _intrinsic("threadfence_block", "threadfence_block(): order memory "
                               "accesses within the block.")
threadfence_system = _intrinsic("threadfence_system", "threadfence_system(): order memory "
                                "accesses system-wide.")

ATOMIC_OPS = ("add", "sub", "max", "min", "exch", "inc", "dec", "and_", "or_", "xor", "cas")
atomic = Namespace("atomic", {op: _intrinsic(
    f"atomic.{op}", f"atomic.{op}(array, index, value): atomically update array[index]; "
    "returns the old value.") for op in ATOMIC_OPS})

shfl_sync = _intrinsic("shfl_sync", "shfl_sync(mask, value, src_lane): value from another lane.")
shfl_up_sync = _intrinsic("shfl_up_sync", "shfl_up_sync(mask, value, delta): value from lane - delta.")
shfl_down_sync = _intrinsic("shfl_down_sync", "shfl_down_sync(mask, value, delta): value from "
                            "lane + delta.")
shfl_xor_sync = _intrinsic("shfl_xor_sync", "shfl_xor_sync(mask, value, lane_mask): value from "
                           "lane ^ lane_mask.")
ballot_sync = _intrinsic("ballot_sync", "ballot_sync(mask, pred): bit i set if lane i's pred is true.")
all_sync = _intrinsic("all_sync", "all_sync(mask, pred): pred true on every lane of mask.")
any_sync = _intrinsic("any_sync", "any_sync(mask, pred): pred true on any lane of mask.")
eq_sync = _intrinsic("eq_sync", "eq_sync(mask, pred): pred the same on every lane of mask.")
activemask = _intrinsic("activemask", "activemask(): the lanes of the warp executing this call.")
lanemask_lt = _intrinsic("lanemask_lt", "lanemask_lt(): the bits of the lanes below this one.")
popc = _intrinsic("popc", "popc(x): the number of set bits.")
clz = _intrinsic("clz", "clz(x): the number of leading zero bits.")
ffs = _intrinsic("ffs", "ffs(x): the 1-based position of the lowest set bit, 0 if none.")
brev = _intrinsic("brev", "brev(x): the bits of x reversed.")

INTRINSICS.update({i.name: i for i in (
    syncthreads, syncthreads_count, syncthreads_and, syncthreads_or, syncwarp, threadfence,
    threadfence_block, threadfence_system, shfl_sync, shfl_up_sync, shfl_down_sync,
    shfl_xor_sync, ballot_sync, all_sync, any_sync, eq_sync, activemask, lanemask_lt,
    popc, clz, ffs, brev)})
INTRINSICS.update({i.name: i for ns in (shared, local, atomic) for i in ns.members.values()})
NAMESPACES = {"shared": shared, "local": local, "atomic": atomic}
