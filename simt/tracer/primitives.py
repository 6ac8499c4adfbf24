"""Block- and warp-level primitives in kernels: shared and local arrays, barriers,
fences, atomics, warp shuffles and votes, and bit operations.

Each lowering checks its arguments (constant shapes, integer masks, supported
dtypes) and names the user's line when they are wrong.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import ir
from .. import language as L
from ..ir import types as T
from ..ir.ops import Op
from ..ir.types import ArrayType, MemorySpace
from . import values as V
from .typing import SType

if TYPE_CHECKING:
    from .calls import CallLowering

ATOMIC_DTYPES = {
    "add": (T.int32, T.uint32, T.int64, T.uint64, T.float32, T.float64),
    "sub": (T.int32, T.uint32, T.int64, T.uint64, T.float32, T.float64),
    "max": (T.int32, T.uint32, T.int64, T.uint64, T.float32, T.float64),
    "min": (T.int32, T.uint32, T.int64, T.uint64, T.float32, T.float64),
    "exch": (T.int32, T.uint32, T.int64, T.uint64, T.float32, T.float64),
    "inc": (T.uint32,),
    "dec": (T.uint32,),
    "and": (T.int32, T.uint32, T.int64, T.uint64),
    "or": (T.int32, T.uint32, T.int64, T.uint64),
    "xor": (T.int32, T.uint32, T.int64, T.uint64),
    "cas": (T.int32, T.uint32, T.int64, T.uint64),
}
SHUFFLES = {L.shfl_sync: "idx", L.shfl_up_sync: "up", L.shfl_down_sync: "down",
            L.shfl_xor_sync: "xor"}
VOTES = {L.ballot_sync: "ballot", L.all_sync: "all", L.any_sync: "any", L.eq_sync: "eq"}
BARRIERS = {L.syncthreads: "sync", L.syncthreads_count: "count", L.syncthreads_and: "and",
            L.syncthreads_or: "or"}
FENCES = {L.threadfence: "device", L.threadfence_block: "block", L.threadfence_system: "system"}
BITS = {L.popc: Op.POPC, L.clz: Op.CLZ, L.ffs: Op.FFS, L.brev: Op.BREV}
SHUFFLE_TYPES = (T.int32, T.uint32, T.int64, T.uint64, T.float32, T.float64)


def is_primitive(obj) -> bool:
    return obj in BARRIERS or obj in FENCES or obj in SHUFFLES or obj in VOTES or obj in BITS \
        or obj in ATOMIC_BY_INTRINSIC or obj in (L.shared.array, L.local.array, L.syncwarp,
                                                 L.activemask, L.lanemask_lt)


ATOMIC_BY_INTRINSIC = {getattr(L.atomic, name): name.rstrip("_") for name in L.ATOMIC_OPS}


class PrimitiveLowering:
    def __init__(self, calls: CallLowering):
        self.calls = calls
        self.t = calls.t
        self.arrays = 0

    @property
    def b(self) -> ir.Builder:
        return self.t.builder

    def call(self, obj, args: list, kwargs: dict) -> V.AbstractValue:
        t = self.t
        name = obj.name
        if obj in (L.shared.array, L.local.array):
            return self.array(obj is L.shared.array, args, kwargs)
        if kwargs and not (obj is L.syncwarp and set(kwargs) <= {"mask"}):
            raise t.error(f"simt.{name}() takes no keyword arguments")
        if obj in BARRIERS:
            kind = BARRIERS[obj]
            if kind == "sync":
                self._arity(name, args, 0)
                self.b.emit(Op.BARRIER, [], attrs={"kind": "sync"})
                return V.Const(None)
            self._arity(name, args, 1)
            pred = t.truth(args[0])
            value = self.b.value(Op.BARRIER, [pred], T.int32, {"kind": kind})
            return V.Scalar(value, False)
        if obj in FENCES:
            self._arity(name, args, 0)
            self.b.emit(Op.FENCE, [], attrs={"scope": FENCES[obj]})
            return V.Const(None)
        if obj is L.syncwarp:
            mask = args[0] if args else kwargs.get("mask", V.Const(0xFFFFFFFF))
            self.b.emit(Op.SYNCWARP, [self.mask(mask)])
            return V.Const(None)
        if obj is L.activemask or obj is L.lanemask_lt:
            self._arity(name, args, 0)
            op = Op.ACTIVEMASK if obj is L.activemask else Op.LANEMASK_LT
            return V.Scalar(self.b.value(op, [], T.uint32), False)
        if obj in SHUFFLES:
            self._arity(name, args, 3)
            mask, value, lane = args
            stype = self._scalar(value, name)
            if stype.type not in SHUFFLE_TYPES:
                stype = SType(T.int32 if stype.type.is_int or stype.type.is_bool else T.float32
                              if stype.type.bits < 32 else stype.type, stype.weak)
                if stype.type not in SHUFFLE_TYPES:
                    raise t.error(f"simt.{name} shuffles 32- and 64-bit ints and floats, got {value.stype}")
            result = self.b.value(Op.SHFL, [self.mask(mask), t.coerce(value, stype.type),
                                            t.coerce(lane, T.int32)], stype.type,
                                  {"mode": SHUFFLES[obj]})
            return V.Scalar(result, stype.weak)
        if obj in VOTES:
            self._arity(name, args, 2)
            mode = VOTES[obj]
            result_type = T.uint32 if mode == "ballot" else T.bool_
            value = self.b.value(Op.VOTE, [self.mask(args[0]), t.truth(args[1])], result_type,
                                 {"mode": mode})
            return V.Scalar(value, False)
        if obj in BITS:
            self._arity(name, args, 1)
            stype = self._scalar(args[0], name)
            if not stype.type.is_int:
                raise t.error(f"simt.{name} takes an integer, got {stype}")
            operand = t.coerce(args[0], stype.type)
            result_type = stype.type if obj is L.brev else T.int32
            return V.Scalar(self.b.value(BITS[obj], [operand], result_type), False)
        if obj in ATOMIC_BY_INTRINSIC:
            return self.atomic(ATOMIC_BY_INTRINSIC[obj], name, args)
        raise t.error(f"simt.{name} is not supported yet")

    # ------------------------------------------------------------------ helpers
    def _arity(self, name: str, args: list, n: int) -> None:
        if len(args) != n:
            raise self.t.error(f"simt.{name}() takes {n} argument{'s' if n != 1 else ''}, "
                               f"{len(args)} given")

    def _scalar(self, value: V.AbstractValue, name: str) -> SType:
        if not V.is_numeric(value):
            from .frontend import describe
            raise self.t.error(f"simt.{name}: expected a number, got {describe(value)}")
        return value.stype

    def mask(self, value: V.AbstractValue) -> ir.Value:
        stype = self._scalar(value, "mask")
        if not (stype.type.is_int or stype.type.is_bool):
            raise self.t.error(f"a warp mask must be an integer, got {stype}")
        if isinstance(value, V.Const) and not 0 <= int(value.obj) <= 0xFFFFFFFF:
            raise self.t.error(f"a warp mask must fit in 32 bits, got {value.obj:#x}")
        return self.t.coerce(value, T.uint32)

    def array(self, shared: bool, args: list, kwargs: dict) -> V.AbstractValue:
        t = self.t
        what = "shared" if shared else "local"
        params = dict(zip(("shape", "dtype"), args))
        params.update(kwargs)
        if set(params) != {"shape", "dtype"}:
            raise t.error(f"simt.{what}.array(shape, dtype) takes a shape and a dtype")
        shape_av, dtype_av = params["shape"], params["dtype"]
        shape = shape_av.obj if isinstance(shape_av, V.Const) else None
        if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
            shape = (int(shape),)
        if not (isinstance(shape, tuple) and 1 <= len(shape) <= 3
                and all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in shape)):
            raise t.error(f"the shape of a {what} array must be a constant int or tuple of 1 to 3 "
                          "ints", hint="use a global or closure constant, e.g. TPB = 256")
        shape = tuple(int(d) for d in shape)
        dynamic = shared and shape == (0,)
        if any(d <= 0 for d in shape) and not dynamic:
            raise t.error(f"{what} array dimensions must be positive, got {shape}")
        dtype_obj = dtype_av.obj if isinstance(dtype_av, V.Const) else None
        try:
            dtype = T.scalar_type(dtype_obj)
        except TypeError:
            raise t.error(f"unsupported {what} array dtype {dtype_obj!r}",
                          hint="use a NumPy dtype such as np.float32") from None
        space = MemorySpace.SHARED if shared else MemorySpace.LOCAL
        self.arrays += 1
        name = f"{what}{self.arrays}"
        if not t.is_kernel:
            # Device functions are inlined: their declarations must not take the names of
            # the kernel's (backends key a declaration's storage by its name).
            name = f"{t.fn.name}_{name}"
        value = self.b.value(Op.SHARED_ARRAY if shared else Op.LOCAL_ARRAY, [],
                             ArrayType(dtype, len(shape), space),
                             {"shape": shape, "name": name}, name=name)
        return V.Array(value)

    def atomic(self, op: str, name: str, args: list) -> V.AbstractValue:
        t = self.t
        expected = 4 if op == "cas" else 3
        self._arity(name, args, expected)
        array = args[0]
        if not isinstance(array, V.Array) or array.type.space is MemorySpace.LOCAL:
            from .frontend import describe
            raise t.error(f"simt.{name} needs a global or shared array, got {describe(array)}")
        dtype = array.type.dtype
        if dtype not in ATOMIC_DTYPES[op]:
            allowed = ", ".join(str(d) for d in ATOMIC_DTYPES[op])
            raise t.error(f"simt.{name} on {dtype} arrays is not supported",
                          hint=f"atomic {op} supports {allowed}")
        from .handlers import _check_index, _index_list
        indices = [_check_index(t, i) for i in _index_list(t, args[1])]
        if len(indices) != array.type.ndim:
            raise t.error(f"simt.{name} on a {array.type.ndim}-d array needs "
                          f"{array.type.ndim} indices, got {len(indices)}")
        index_values = [t.coerce(i, i.stype.type) for i in indices]
        operands = [t.coerce(a, dtype) for a in args[2:]]
        if op == "cas":
            value = self.b.value(Op.ATOMIC_CAS, [array.value, *index_values, *operands], dtype)
        else:
            value = self.b.value(Op.ATOMIC, [array.value, *index_values, *operands], dtype,
                                 {"op": op})
        return V.Scalar(value, False)
