"""PTX for arrays: where each array lives, element addresses, loads, stores and atomics.

Arrays and their state spaces:
- a kernel argument is a ``.global`` array: a 64-bit pointer and one extent per axis
  (params, see ``abi.py``), addressed with 64-bit registers;
- a static shared array (``SHARED_ARRAY``, shape > 0) is a function-scope
  ``.shared .align <itemsize> .b8 $<name>[<bytes>]`` variable, one per declaration name,
  dtype and shape (``abi.allocation_key``: a device function inlined twice names one
  array, as on the numpy target), so executing the declaration again (a loop) finds the
  same memory;
- the dynamic shared array (shape ``(0,)``) is the module's one
  ``.extern .shared .align 16 .b8 $dynamic_shared[]``: every dynamic array of a kernel
  aliases it whatever its dtype (CUDA's ``extern __shared__``); its length is
  ``%dynamic_smem_size // itemsize``, the launch's shared_bytes (``abi.py``);
- a local array (``LOCAL_ARRAY``) is a function-scope ``.local .align 16`` variable,
  per thread; each execution of its declaration zeroes it with 16-byte stores, because
  the reference gives a fresh zeroed array there (``np.zeros``), where CUDA leaves
  local memory undefined.
Shared and local addresses are 32-bit registers (the windows are far below 4 GiB, and
SASS addresses shared and local memory with 32 bits): ``mov.u32 %r, $var`` at the
declaration, then ``base + index * itemsize``; a constant index becomes a displacement.

Atomics are ``atom.<space>.<op>.<type>``, or ``red`` when the old value is unused
(except ``exch``, which has no ``red``): add .s32/.u32/.u64/.f32/.f64 (int64 adds as
.u64, the same bits), max/min .s32/.u32/.s64/.u64, inc/dec .u32, exch/and/or/xor and
cas on .b32/.b64. ``lower_primitives.py`` has already rewritten sub and float max/min.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from simt.ir import Op, Operation, Value
from simt.ir.types import ArrayType, MemorySpace, ScalarType

from .abi import allocation_key, ptx_identifier
from .irbuild import LEGAL, LINEAR, OFFSET, VOLATILE, ZEXT
from .registers import memory_suffix

if TYPE_CHECKING:
    from .emit import KernelContext

DYNAMIC_SHARED = "$dynamic_shared"
RESERVED = re.compile(r"^\$(str\d|L)")
SPACE = {MemorySpace.GLOBAL: "global", MemorySpace.SHARED: "shared", MemorySpace.LOCAL: "local"}
LOCAL_ALIGN = 16
UNROLLED_ZEROING = 256           # local arrays up to this many bytes are zeroed without a loop


class ArrayHome:
    """Where an array's elements are: a base register (64-bit for global memory, 32-bit
    for shared and local memory) and, for kernel arguments, the extent registers."""

    def __init__(self, space: MemorySpace, base: str, extents: list[str] | None = None):
        self.space = space
        self.base = base
        self.extents = extents if extents is not None else []


class ArrayVariables:
    """The kernel's shared and local variable declarations."""

    def __init__(self) -> None:
        self.names: dict[tuple, str] = {}
        self.kernel_lines: list[str] = []          # function scope, before the body
        self.module_lines: list[str] = []          # module scope (the dynamic extern)

    def variable(self, operation: Operation) -> str:
        t = operation.result.type
        shape = tuple(operation.attrs["shape"])
        shared = operation.op is Op.SHARED_ARRAY
        if shared and shape == (0,):
            if not self.module_lines:
                self.module_lines.append(f".extern .shared .align 16 .b8 {DYNAMIC_SHARED}[];")
            return DYNAMIC_SHARED
        key = allocation_key(operation)
        name = self.names.get(key)
        if name is None:
            name = self._unique(operation.attrs["name"])
            self.names[key] = name
            nbytes = int(np.prod(shape)) * t.dtype.nbytes
            if shared:
                self.kernel_lines.append(f".shared .align {t.dtype.nbytes} .b8 {name}[{nbytes}];")
            else:
                padded = -(-nbytes // LOCAL_ALIGN) * LOCAL_ALIGN
                self.kernel_lines.append(f".local .align {LOCAL_ALIGN} .b8 {name}[{padded}];")
        return name

    def _unique(self, name: str) -> str:
        """``$<name>``, clear of the other variables, the dynamic array, print strings
        (``$str<n>``) and labels (``$L...``)."""
        base = "$" + ptx_identifier(name).lstrip("_$")
        if RESERVED.match(base):
            base = "$v" + base[1:]
        taken = set(self.names.values()) | {DYNAMIC_SHARED}
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        return candidate


def home(ctx: KernelContext, op: Operation) -> ArrayHome:
    array = op.operands[0]
    found = ctx.array_homes.get(array)
    if found is None:
        raise ctx.fail(op, "arrays must be kernel arguments or shared/local declarations "
                           "that dominate their uses")
    return found


# -- declarations and extents ----------------------------------------------------------

def emit_allocation(ctx: KernelContext, op: Operation) -> None:
    name = ctx.variables.variable(op)
    t: ArrayType = op.result.type
    base = ctx.regs.new("b32")
    ctx.out(f"mov.u32 {base}, {name};")
    ctx.array_homes[op.result] = ArrayHome(t.space, base)
    if t.space is MemorySpace.LOCAL:
        nbytes = int(np.prod(op.attrs["shape"])) * t.dtype.nbytes
        _zero_local(ctx, base, -(-nbytes // LOCAL_ALIGN) * LOCAL_ALIGN)


def _zero_local(ctx: KernelContext, base: str, nbytes: int) -> None:
    zero = ctx.regs.new("b32")
    ctx.out(f"mov.b32 {zero}, 0;")
    quad = f"{{{zero}, {zero}, {zero}, {zero}}}"
    if nbytes <= UNROLLED_ZEROING:
        for offset in range(0, nbytes, LOCAL_ALIGN):
            displacement = f"+{offset}" if offset else ""
            ctx.out(f"st.local.v4.b32 [{base}{displacement}], {quad};")
        return
    address, end, more = ctx.regs.new("b32"), ctx.regs.new("b32"), ctx.regs.new("pred")
    label = ctx.new_label("zero")
    ctx.out(f"mov.u32 {address}, {base};")
    ctx.out(f"add.s32 {end}, {base}, {nbytes};")
    ctx.lines.append(f"{label}:")
    ctx.out(f"st.local.v4.b32 [{address}], {quad};")
    ctx.out(f"add.s32 {address}, {address}, {LOCAL_ALIGN};")
    ctx.out(f"setp.lt.u32 {more}, {address}, {end};")
    ctx.out(f"@{more} bra {label};")


def emit_array_dim(ctx: KernelContext, op: Operation) -> None:
    where = home(ctx, op)
    axis = op.attrs["axis"]
    if where.extents:
        ctx.regs.alias(op.result, where.extents[axis])
        return
    allocation = op.operands[0].owner
    shape = tuple(allocation.attrs["shape"])
    d = ctx[op.result]
    if shape != (0,):
        ctx.out(f"mov.b64 {d}, {shape[axis]};")
        return
    size = ctx.regs.new("b32")
    ctx.out(f"mov.u32 {size}, %dynamic_smem_size;")
    shift = int(op.operands[0].type.dtype.nbytes).bit_length() - 1
    if shift:
        ctx.out(f"shr.u32 {size}, {size}, {shift};")
    ctx.out(f"cvt.u64.u32 {d}, {size};")


# -- addresses ---------------------------------------------------------------------

def _constant(value: Value) -> int | None:
    owner = value.owner
    if isinstance(owner, Operation) and owner.op is Op.CONST:
        return int(owner.attrs["value"])
    return None


def _low_word(ctx: KernelContext, index: Value) -> str:
    """A 32-bit register holding the low half of the int64 ``index``."""
    owner = index.owner
    if isinstance(owner, Operation) and owner.op is Op.CAST:
        source = owner.operands[0]
        if source.type.is_int and not source.type.is_bool and source.type.bits <= 32 \
                and owner.attrs.get(LEGAL) in (None, ZEXT):
            return ctx[source]
    low = ctx.regs.new("b32")
    ctx.out(f"cvt.u32.u64 {low}, {ctx[index]};")
    return low


def address(ctx: KernelContext, op: Operation) -> tuple[str, str]:
    """(state space, ``[base+displacement]``) of the element an indexed op addresses."""
    if op.attrs.get(LEGAL) != LINEAR:
        raise ctx.fail(op, "indices must be linearized by legalization")
    where = home(ctx, op)
    itemsize = op.operands[0].type.dtype.nbytes
    index = op.operands[1]
    displacement = op.attrs.get(OFFSET, 0) * itemsize
    constant = _constant(index)
    if constant is not None:
        base = where.base
        displacement += constant * itemsize
    elif where.space is MemorySpace.GLOBAL:
        base = ctx.regs.new("b64")
        ctx.out(f"mad.lo.s64 {base}, {ctx[index]}, {itemsize}, {where.base};")
    else:
        base = ctx.regs.new("b32")
        ctx.out(f"mad.lo.s32 {base}, {_low_word(ctx, index)}, {itemsize}, {where.base};")
    if displacement:
        return SPACE[where.space], f"[{base}+{displacement}]"
    return SPACE[where.space], f"[{base}]"


# -- loads and stores ------------------------------------------------------------------

def emit_load(ctx: KernelContext, op: Operation) -> None:
    space, at = address(ctx, op)
    t = op.result.type
    ld = f"ld.volatile.{space}" if op.attrs.get(VOLATILE) else f"ld.{space}"
    if t.is_bool:
        byte = ctx.regs.new("b32")
        ctx.out(f"{ld}.u8 {byte}, {at};")
        ctx.out(f"setp.ne.u32 {ctx[op.result]}, {byte}, 0;")
    else:
        ctx.out(f"{ld}.{memory_suffix(t)} {ctx[op.result]}, {at};")


def emit_store(ctx: KernelContext, op: Operation) -> None:
    space, at = address(ctx, op)
    value = op.operands[2]
    t = value.type
    source = ctx[value]
    if t.is_bool:
        source = ctx.regs.new("b32")
        ctx.out(f"selp.u32 {source}, 1, 0, {ctx[value]};")
    ctx.out(f"st.{space}.{memory_suffix(t)} {at}, {source};")


# -- atomics ---------------------------------------------------------------------------

def _atomic_type(ctx: KernelContext, op: Operation, kind: str, t: ScalarType) -> str:
    if kind in ("exch", "and", "or", "xor", "cas"):
        return f"b{t.bits}"
    if kind in ("inc", "dec"):
        if t.bits == 32 and t.is_int and not t.is_signed:
            return "u32"
    elif kind == "add":
        if t.is_float:
            return f"f{t.bits}"
        return "u64" if t.bits == 64 else ("s32" if t.is_signed else "u32")
    elif kind in ("max", "min") and t.is_int:
        return f"{'s' if t.is_signed else 'u'}{t.bits}"
    raise ctx.fail(op, f"atomic {kind} on {t} has no PTX instruction (legalization lowers "
                       "sub and float max/min)")


def emit_atomic(ctx: KernelContext, op: Operation) -> None:
    kind = op.attrs["op"]
    value = op.operands[2]
    t = value.type
    if t.is_bool or t.bits < 32:
        raise ctx.fail(op, "atomics work on 32- and 64-bit elements")
    suffix = _atomic_type(ctx, op, kind, t)
    space, at = address(ctx, op)
    if kind != "exch" and op.result not in ctx.used_values:
        ctx.out(f"red.{space}.{kind}.{suffix} {at}, {ctx[value]};")
        return
    ctx.out(f"atom.{space}.{kind}.{suffix} {ctx[op.result]}, {at}, {ctx[value]};")


def emit_atomic_cas(ctx: KernelContext, op: Operation) -> None:
    expected, value = op.operands[2:]
    t = value.type
    if t.is_bool or t.bits < 32 or expected.type != t:
        raise ctx.fail(op, "compare-and-swap works on 32- and 64-bit elements")
    space, at = address(ctx, op)
    ctx.out(f"atom.{space}.cas.b{t.bits} {ctx[op.result]}, {at}, {ctx[expected]}, {ctx[value]};")
