"""Atomics: atom (returns the old value) and red, on .global, .shared and
generic addresses, for and/or/xor/cas/exch/add/inc/dec/min/max.

Many threads hitting one address in one instruction are serialized in thread
order, vectorized: integer add by a segmented prefix sum, associative
operations (min/max/and/or/xor) by a segmented doubling scan, exch by shifting,
and the rest (cas, inc, dec, float add) round by round, one thread per address
per round (float add with few distinct addresses uses a sequential cumulative
sum per address instead).

``atom.add.f32`` on global memory flushes subnormal inputs (the value added and
the element read) and results to zero of the same sign; on shared memory it
keeps subnormals. The ISA says every ``atom.add.f32`` flushes, but the hardware
flushes only global ones whatever ``-ftz`` says, and simt's reference follows
the hardware. The space is the one the address lands in, so a generic address
of shared memory keeps subnormals too. The old value returned is the element
as it was, unflushed.
"""
from __future__ import annotations

import numpy as np

from ..lowering import CACHE_QUALIFIERS, Env, Mods, address_reader, as_array, builder, operands
from ..lowering import reader, writer
from ..memory import Fault
from ..module import Instruction
from ..ptxtypes import U32 as _u32
from ..ptxtypes import U64 as _u64
from ..ptxtypes import PtxType
from .floating import flush
from .loadstore import take_space

_OPS = {
    "and": ("b32", "b64"), "or": ("b32", "b64"), "xor": ("b32", "b64"),
    "cas": ("b32", "b64"), "exch": ("b32", "b64"),
    "add": ("u32", "s32", "u64", "f32", "f64"), "inc": ("u32",), "dec": ("u32",),
    "min": ("u32", "s32", "u64", "s64"), "max": ("u32", "s32", "u64", "s64"),
}
_ASSOCIATIVE = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
                "min": np.minimum, "max": np.maximum}


def _step(op: str, old, b, c, t: PtxType, ftz: bool):
    """One thread's update: the new memory value from the old one (``ftz``: flush
    the old value and the result; the caller flushed ``b``)."""
    if op == "add":
        if ftz:
            return flush(as_array(flush(old, t) + b, t.dtype), t)
        return as_array(old + b, t.dtype)
    if op in _ASSOCIATIVE:
        return as_array(_ASSOCIATIVE[op](old, b), t.dtype)
    if op == "exch":
        return b
    if op == "cas":
        return np.where(old == b, c, old).astype(t.dtype)
    if op == "inc":
        return np.where(old >= b, t.dtype.type(0), old + t.dtype.type(1)).astype(t.dtype)
    if op == "dec":
        return np.where((old == 0) | (old > b), b, old - t.dtype.type(1)).astype(t.dtype)
    raise ValueError(op)


def atomic_update(view: np.ndarray, keys: np.ndarray, op: str, b, c, t: PtxType,
                  ftz: bool = False) -> np.ndarray:
    """Apply the updates of threads (in order) at element ``keys`` of ``view``;
    return each thread's old value. ``ftz``: a float add flushes subnormal inputs
    and results (``atom.global.add.f32``)."""
    n = len(keys)
    b = np.broadcast_to(as_array(b, t.dtype), (n,))
    c = np.broadcast_to(as_array(c, t.dtype), (n,)) if c is not None else None
    ftz = ftz and op == "add" and t.is_float
    if ftz:
        b = flush(b, t)
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    first = np.ones(n, dtype=bool)
    first[1:] = sk[1:] != sk[:-1]
    if first.all():
        old = view[keys]
        view[keys] = _step(op, old, b, c, t, ftz)
        return old
    seg = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    unique_keys = sk[starts]
    base = view[unique_keys]
    sb = b[order]
    if op == "add" and not t.is_float:
        ub = sb.view(t.udtype)
        inclusive = np.cumsum(ub, dtype=t.udtype)
        exclusive = inclusive - ub
        within = exclusive - exclusive[starts][seg]
        old_sorted = (base.view(t.udtype)[seg] + within).view(t.dtype)
        ends = np.r_[starts[1:], n] - 1
        final = (base.view(t.udtype) + (inclusive[ends] - exclusive[starts])).view(t.dtype)
    elif op in _ASSOCIATIVE:
        prefix = _segmented_scan(sb, seg, _ASSOCIATIVE[op])
        previous = np.empty_like(prefix)
        previous[1:] = prefix[:-1]
        old_sorted = np.where(first, base[seg], _ASSOCIATIVE[op](base[seg], previous))
        ends = np.r_[starts[1:], n] - 1
        final = _ASSOCIATIVE[op](base, prefix[ends])
    elif op == "exch":
        previous = np.empty_like(sb)
        previous[1:] = sb[:-1]
        old_sorted = np.where(first, base[seg], previous)
        final = sb[np.r_[starts[1:], n] - 1]
    else:
        old_sorted, final = _serial(base, sb, None if c is None else c[order], seg, starts, op,
                                    t, ftz)
    old = np.empty(n, dtype=t.dtype)
    old[order] = old_sorted
    view[unique_keys] = final
    return old


def _segmented_scan(values: np.ndarray, seg: np.ndarray, ufunc) -> np.ndarray:
    """Inclusive scan of ``ufunc`` restarting at every segment (Hillis-Steele)."""
    out = values.copy()
    longest = int(np.max(np.bincount(seg)))
    step = 1
    while step < longest:
        same = seg[step:] == seg[:-step]
        combined = ufunc(out[:-step], out[step:])
        out = out.copy()
        out[step:] = np.where(same, combined, out[step:])
        step *= 2
    return out


def _serial(base, sb, sc, seg, starts, op: str, t: PtxType, ftz: bool):
    """Exact serialization for non-associative updates."""
    n = len(sb)
    rank = np.arange(n) - starts[seg]
    lengths = np.bincount(seg)
    old_sorted = np.empty(n, dtype=t.dtype)
    current = base.copy()
    if op == "add" and len(starts) < int(lengths.max()):
        # few addresses: sequential cumulative sums, one per address
        ends = np.r_[starts[1:], n]
        for s, (lo, hi) in enumerate(zip(starts, ends)):
            start = flush(current[s:s + 1], t) if ftz else current[s:s + 1]
            run = np.cumsum(np.r_[start, sb[lo:hi]], dtype=t.dtype)
            if ftz and np.any(flush(run, t) != run):
                run = _flushed_cumsum(start[0], sb[lo:hi], t)
            run[0] = current[s]          # the element as it was, unflushed
            old_sorted[lo:hi] = run[:-1]
            current[s] = run[-1]
        return old_sorted, current
    for r in range(int(lengths.max())):
        at = np.flatnonzero(rank == r)
        which = seg[at]
        old = current[which]
        old_sorted[at] = old
        current[which] = _step(op, old, sb[at], None if sc is None else sc[at], t, ftz)
    return old_sorted, current


def _flushed_cumsum(start, values, t: PtxType):
    out = np.empty(len(values) + 1, dtype=t.dtype)
    out[0] = start
    acc = start
    for i, v in enumerate(values):
        acc = flush(as_array(acc + v, t.dtype), t)
        out[i + 1] = acc
    return out


def _build(ins: Instruction, mods: Mods, env: Env, returns: bool):
    space = take_space(mods)
    mods.drop(CACHE_QUALIFIERS | {"noftz"})
    op = mods.take(tuple(_OPS))
    if op is None:
        raise mods.fail(f"'{ins.opcode}' needs an operation (.add, .cas, ...)")
    if op in ("cas", "exch") and not returns:
        raise mods.fail(f"red has no .{op}")
    t = mods.type()
    allowed = _OPS[op] + (("b32", "b64") if op in ("add", "min", "max") else ())
    if t.name not in allowed and not (op in ("and", "or", "xor", "cas", "exch") and
                                      t.bits in (32, 64) and t.is_int):
        raise mods.fail(f"atomic .{op} is not defined for {t}")
    if op in ("min", "max", "add") and t.kind == "b":
        t = {32: _u32, 64: _u64}[t.bits]
    count = (3 if op == "cas" else 2) + (1 if returns else 0)
    ops = operands(ins, count)
    w = writer(ops[0], t, env) if returns else None
    rest = ops[1:] if returns else ops
    effective, addresses = address_reader(rest[0], space, env)
    rb = reader(rest[1], t, env)
    rc = reader(rest[2], t, env) if op == "cas" else None
    size = t.size
    flush_add = op == "add" and t.name == "f32"

    def run(ctx, sel):
        n = (sel.stop - sel.start) if isinstance(sel, slice) else len(sel)
        addr = np.broadcast_to(addresses(ctx, sel), (n,))
        b = np.broadcast_to(rb(ctx, sel), (n,))
        c = np.broadcast_to(rc(ctx, sel), (n,)) if rc else None
        old = np.empty(n, dtype=t.dtype)
        for piece in ctx.mem.resolve(effective, addr, sel, size, "atomic"):
            if not piece.buffer.writable:
                raise Fault(f"atomic on read-only {piece.buffer.name}", 0)
            piece.buffer.dirty = True
            where = slice(None) if piece.where is None else piece.where
            keys = np.broadcast_to(np.asarray(piece.offsets, np.int64) // size,
                                   (len(old[where]),))
            ftz = flush_add and piece.buffer is not ctx.mem.shared
            old[where] = atomic_update(piece.buffer.view(t.dtype), np.ascontiguousarray(keys),
                                       op, b[where], None if c is None else c[where], t, ftz)
        if w is not None:
            w(ctx, sel, old)
    return run


@builder("atom")
def build_atom(ins: Instruction, mods: Mods, env: Env):
    return _build(ins, mods, env, returns=True)


@builder("red")
def build_red(ins: Instruction, mods: Mods, env: Env):
    return _build(ins, mods, env, returns=False)
