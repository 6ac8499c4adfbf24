"""Hand-built IR kernels using the block- and warp-level primitives, one op and dtype each
(shared/local arrays, barriers, fences, atomics, shuffles, votes, lane masks, bit ops),
plus a shared-memory block sum for the golden PTX."""
from __future__ import annotations

from simt.ir import ArrayType, Builder, Function, Op, Value
from simt.ir.types import (MemorySpace, ScalarType, bool_, float16, float32, float64, int8, int16,
                           int32, int64, uint8, uint16, uint32, uint64)

from .kernels import SCALAR_TYPES, at

INTS = (int8, int16, int32, int64, uint8, uint16, uint32, uint64)
WIDE = (int32, uint32, int64, uint64)
ATOMIC_DTYPES: dict[str, tuple[ScalarType, ...]] = {
    "add": WIDE + (float32, float64), "sub": WIDE + (float32, float64),
    "max": WIDE + (float32, float64), "min": WIDE + (float32, float64),
    "exch": WIDE + (float32, float64), "inc": (uint32,), "dec": (uint32,),
    "and": WIDE, "or": WIDE, "xor": WIDE,
}
SHUFFLE_TYPES = (int32, uint32, float32, int64, uint64, float64)
SHARED, LOCAL = MemorySpace.SHARED, MemorySpace.LOCAL


def _kernel(name: str, arg_names: list[str], arg_types: list) -> tuple[Function, Builder]:
    fn = Function(name, arg_names, arg_types)
    b = Builder(fn)
    at(b, 3)
    return fn, b


def _tid(b: Builder) -> Value:
    return b.value(Op.THREAD_IDX, [], int32, {"axis": 0})


def allocate(b: Builder, space: MemorySpace, t: ScalarType, shape: tuple[int, ...],
             name: str) -> Value:
    op = Op.SHARED_ARRAY if space is SHARED else Op.LOCAL_ARRAY
    return b.value(op, [], ArrayType(t, len(shape), space), {"shape": shape, "name": name},
                   name=name)


def atomic_kernel(kind: str, t: ScalarType, space: MemorySpace, result_used: bool) -> Function:
    """out[i] = atomic <kind>(array, i % 4, v[i]) on a global or shared array."""
    name = f"atomic_{kind}_{t}_{space.value}{'' if result_used else '_unused'}"
    arr = ArrayType(t, 1)
    fn, b = _kernel(name, ["a", "v", "out"], [arr, arr, arr])
    a, v, out = fn.args
    i = _tid(b)
    target = a if space is MemorySpace.GLOBAL else allocate(b, SHARED, t, (4,), "s")
    slot = b.value(Op.AND, [i, b.const(3, int32)], int32)
    old = b.value(Op.ATOMIC, [target, slot, b.value(Op.LOAD, [v, i], t)], t, {"op": kind})
    if result_used:
        b.emit(Op.STORE, [out, i, old])
    b.ret()
    return fn


def cas_kernel(t: ScalarType, space: MemorySpace) -> Function:
    arr = ArrayType(t, 2)
    fn, b = _kernel(f"cas_{t}_{space.value}", ["a", "v", "out"], [arr, arr, arr])
    a, v, out = fn.args
    i = _tid(b)
    zero = b.const(0, int32)
    target = a if space is MemorySpace.GLOBAL else allocate(b, SHARED, t, (2, 3), "s")
    expected = b.value(Op.LOAD, [v, i, zero], t)
    new = b.value(Op.LOAD, [v, i, b.const(1, int32)], t)
    old = b.value(Op.ATOMIC_CAS, [target, zero, i, expected, new], t)
    b.emit(Op.STORE, [out, i, zero, old])
    b.ret()
    return fn


def shfl_kernel(mode: str, t: ScalarType) -> Function:
    arr = ArrayType(t, 1)
    fn, b = _kernel(f"shfl_{mode}_{t}", ["x", "lane", "mask", "out"],
                    [arr, ArrayType(int32, 1), uint32, arr])
    x, lane, mask, out = fn.args
    i = _tid(b)
    value = b.value(Op.SHFL, [mask, b.value(Op.LOAD, [x, i], t), b.value(Op.LOAD, [lane, i], int32)],
                    t, {"mode": mode})
    b.emit(Op.STORE, [out, i, value])
    b.ret()
    return fn


def vote_kernel(mode: str) -> Function:
    result = uint32 if mode == "ballot" else bool_
    fn, b = _kernel(f"vote_{mode}", ["x", "out"], [ArrayType(bool_, 1), ArrayType(result, 1)])
    x, out = fn.args
    i = _tid(b)
    mask = b.value(Op.ACTIVEMASK, [], uint32)
    value = b.value(Op.VOTE, [mask, b.value(Op.LOAD, [x, i], bool_)], result, {"mode": mode})
    b.emit(Op.STORE, [out, i, value])
    b.ret()
    return fn


def sync_kernel() -> Function:
    """Every barrier kind, fence scope, syncwarp and the lane-mask registers."""
    fn, b = _kernel("sync_all", ["x", "out"], [ArrayType(bool_, 1), ArrayType(uint32, 2)])
    x, out = fn.args
    i = _tid(b)
    pred = b.value(Op.LOAD, [x, i], bool_)
    b.emit(Op.BARRIER, [], attrs={"kind": "sync"})
    for column, kind in enumerate(("count", "and", "or")):
        count = b.value(Op.BARRIER, [pred], int32, {"kind": kind})
        b.emit(Op.STORE, [out, i, b.const(column, int32), b.value(Op.CAST, [count], uint32)])
    for scope in ("block", "device", "system"):
        b.emit(Op.FENCE, [], attrs={"scope": scope})
    b.emit(Op.SYNCWARP, [b.const(0xFFFFFFFF, uint32)])
    b.emit(Op.STORE, [out, i, b.const(3, int32), b.value(Op.LANEMASK_LT, [], uint32)])
    b.emit(Op.STORE, [out, i, b.const(4, int32), b.value(Op.ACTIVEMASK, [], uint32)])
    b.ret()
    return fn


def bit_kernel(op: Op, t: ScalarType) -> Function:
    result = t if op is Op.BREV else int32
    fn, b = _kernel(f"{op.value}_{t}", ["x", "out"], [ArrayType(t, 1), ArrayType(result, 1)])
    x, out = fn.args
    i = _tid(b)
    b.emit(Op.STORE, [out, i, b.value(op, [b.value(Op.LOAD, [x, i], t)], result)])
    b.ret()
    return fn


def allocation_kernel(space: MemorySpace, t: ScalarType, shape: tuple[int, ...]) -> Function:
    """A shared or local array: store x[i] at [i % n0, 1, ...]; read it, element [-1, ...]
    and the length back (shape (0,) is the dynamic shared array)."""
    dims = "x".join(str(d) for d in shape)
    fn, b = _kernel(f"{space.value}_{t}_{dims}", ["x", "out"], [ArrayType(t, 1), ArrayType(t, 2)])
    x, out = fn.args
    i = _tid(b)
    array = allocate(b, space, t, shape, "buf")
    first = b.value(Op.MOD, [i, b.const(shape[0] or 1, int32)], int32)
    rest = [b.const(min(1, d - 1), int32) for d in shape[1:]]
    b.emit(Op.STORE, [array, first, *rest, b.value(Op.LOAD, [x, i], t)])
    if space is SHARED:
        b.emit(Op.BARRIER, [], attrs={"kind": "sync"})
    zero = b.const(0, int32)
    b.emit(Op.STORE, [out, i, zero, b.value(Op.LOAD, [array, first, *rest], t)])
    last = [b.const(-1, int32) for _ in shape]
    b.emit(Op.STORE, [out, i, b.const(1, int32), b.value(Op.LOAD, [array, *last], t)])
    length = b.value(Op.ARRAY_DIM, [array], int64, {"axis": 0})
    b.emit(Op.STORE, [out, i, b.const(2, int32), b.value(Op.CAST, [length], t)])
    b.ret()
    return fn


def block_sum() -> Function:
    """s[t] = x[i]; a tree sum over 128 threads in shared memory; one atomic add per block."""
    size = 128
    fn, b = _kernel("block_sum", ["x", "total"], [ArrayType(float32, 1), ArrayType(float32, 1)])
    x, total = fn.args
    s = allocate(b, SHARED, float32, (size,), "s")
    t = _tid(b)
    bid = b.value(Op.BLOCK_IDX, [], int32, {"axis": 0})
    i = b.value(Op.ADD, [b.value(Op.MUL, [bid, b.const(size, int32)], int32), t], int32)
    b.emit(Op.STORE, [s, t, b.value(Op.LOAD, [x, i], float32)])
    b.emit(Op.BARRIER, [], attrs={"kind": "sync"})
    head, body, add, join, done = (fn.new_block(n) for n in ("head", "body", "add", "join", "done"))
    b.br(head, [b.const(size // 2, int32)])
    step = head.add_param(int32, "step")
    b.set_block(head)
    at(b, 4)
    b.cbr(b.value(Op.GT, [step, b.const(0, int32)], bool_), body, [], done, [])
    b.set_block(body)
    b.cbr(b.value(Op.LT, [t, step], bool_), add, [], join, [])
    b.set_block(add)
    at(b, 5)
    partner = b.value(Op.ADD, [t, step], int32)
    total_here = b.value(Op.ADD, [b.value(Op.LOAD, [s, t], float32),
                                  b.value(Op.LOAD, [s, partner], float32)], float32)
    b.emit(Op.STORE, [s, t, total_here])
    b.br(join)
    b.set_block(join)
    b.emit(Op.BARRIER, [], attrs={"kind": "sync"})
    b.br(head, [b.value(Op.SHR, [step, b.const(1, int32)], int32)])
    b.set_block(done)
    at(b, 6)
    first = b.const(0, int32)
    leader, end = fn.new_block("leader"), fn.new_block("end")
    b.cbr(b.value(Op.EQ, [t, first], bool_), leader, [], end, [])
    b.set_block(leader)
    b.value(Op.ATOMIC, [total, first, b.value(Op.LOAD, [s, first], float32)], float32,
            {"op": "add"})
    b.br(end)
    b.set_block(end)
    b.ret()
    return fn


def all_primitive_kernels() -> list[Function]:
    kernels: list[Function] = []
    for space in (MemorySpace.GLOBAL, SHARED):
        for kind, dtypes in ATOMIC_DTYPES.items():
            for t in dtypes:
                kernels += [atomic_kernel(kind, t, space, used) for used in (True, False)]
        kernels += [cas_kernel(t, space) for t in WIDE]
    kernels += [shfl_kernel(mode, t) for mode in ("idx", "up", "down", "xor") for t in SHUFFLE_TYPES]
    kernels += [vote_kernel(mode) for mode in ("all", "any", "eq", "ballot")]
    kernels.append(sync_kernel())
    kernels += [bit_kernel(op, t) for op in (Op.POPC, Op.CLZ, Op.FFS, Op.BREV) for t in INTS]
    for t in SCALAR_TYPES:
        kernels += [allocation_kernel(SHARED, t, (40,)), allocation_kernel(SHARED, t, (0,)),
                    allocation_kernel(LOCAL, t, (3,)), allocation_kernel(LOCAL, t, (4, 5, 30))]
    kernels += [allocation_kernel(SHARED, float16, (2, 3, 4)), block_sum()]
    return kernels
