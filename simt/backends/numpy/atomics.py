"""ATOMIC and ATOMIC_CAS: read-modify-write of one element, returning the old value.

The rules:
- An atomic applies to the element its indices address (bounds-checked like a
  load, with the same error), in a global or a shared array of any ndim, and
  returns the element's value just before this thread's update.
- Order: the active threads of one execution of the op update in thread order
  (increasing block linear id, then thread linear id: the batch's thread order,
  and batches run in increasing block order). Integer results are exact whatever
  the order; float results are reproducible run to run and do not depend on the
  batch size when each block reaches the atomic at one point of its lockstep
  execution (one atomic per block, per thread, per loop iteration...). Updates from
  different executions of atomics apply in the order the interpreter runs them.
- ``add``/``sub`` wrap for integers. For floats, ``sub`` is the add of the negated
  value. float32 add/sub on a *global* array flushes subnormal inputs and results to
  zero of the same sign, as the hardware does (``atom.global.add.f32`` is always
  flush-to-zero); on shared arrays and for float64 they are plain IEEE
  round-to-nearest.
- ``max``/``min``: integers compare as their type. Floats follow CPython's
  ``max(old, value)`` / ``min(old, value)`` (the IR's MAX/MIN): the value replaces
  the old one only when strictly greater (smaller), so a NaN value is ignored, a NaN
  in memory stays, and +0.0/-0.0 ties keep memory. PTX has no ``atom.max.f32``
  (its atom min/max are integer-only); numba-cuda's float atomic max/min is a CAS
  loop with exactly these semantics.
- ``exch`` stores the value; ``and``/``or``/``xor`` are bitwise.
- ``inc(v)``: ``0 if old >= v else old + 1``; ``dec(v)``: ``v if old == 0 or old > v
  else old - 1`` (CUDA's atomicInc/atomicDec, unsigned).
- ``cas(expected, value)`` stores ``value`` when ``old == expected``.

Vectorized with exact sequential semantics: distinct addresses update in one
step; repeated addresses are grouped (stable sort keeps thread order) and resolved
by a wrapping prefix sum (integer add/sub), a cumulative xor, a shift (exch), a
sequential ``ufunc.accumulate`` per address (float add, and/or, integer max/min),
an order-preserving key scan (float max/min), or, for cas/inc/dec, one thread per
address per round.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from simt.ir.core import Operation
from simt.ir.ops import Op

from .memory import element_indices

if TYPE_CHECKING:
    from .interpreter import Frame


def atomic(frame: Frame, operation: Operation, operands: list) -> np.ndarray:
    if operation.op is Op.ATOMIC_CAS:
        array, *indices, expected, value = operands
        kind = "cas"
    else:
        array, *indices, value = operands
        expected = None
        kind = operation.attrs["op"]
    address = element_indices(frame, operation, array, indices)
    n = frame.active.size
    dtype = array.flat.dtype
    values = np.broadcast_to(np.asarray(frame.local(value), dtype=dtype), (n,))
    compare = None if expected is None else np.broadcast_to(np.asarray(frame.local(expected), dtype=dtype), (n,))
    flush = dtype == np.float32 and array.space == "global" and kind in ("add", "sub")
    return apply(array.flat, address, kind, values, compare, flush)


def apply(flat: np.ndarray, address: Any, kind: str, values: np.ndarray,
          compare: np.ndarray | None = None, flush: bool = False) -> np.ndarray:
    """Update ``flat`` at ``address`` (an int, or one flat index per thread) with each
    thread's ``values`` in order; return the old values."""
    n = len(values)
    dtype = flat.dtype
    if kind == "sub":
        kind = "add"
        values = _negate(values)
    if flush:
        values = _flush(values)
    if isinstance(address, (int, np.integer)):
        old, final = _sequential(kind, flat[address], values, compare, flush)
        flat[address] = final
        return old
    order = _stable_order(address)
    keys = address[order]
    first = np.empty(n, dtype=bool)
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    if first.all():
        old = flat[address]
        flat[address] = _step(kind, old, values, compare, flush)
        return old
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], n)
    segment = np.cumsum(first) - 1
    sorted_values = values[order]
    sorted_compare = None if compare is None else compare[order]
    base = flat[keys[starts]]
    old_sorted = np.empty(n, dtype=dtype)
    if dtype.kind in "iu" and kind in ("add", "xor"):
        old_sorted, final = _group_scan(kind, base, sorted_values, starts, ends, segment)
    elif kind == "exch":
        old_sorted[1:] = sorted_values[:-1]
        old_sorted[starts] = base
        final = sorted_values[ends - 1]
    elif _few_addresses(kind, len(starts), int((ends - starts).max()), n):
        # One sequential scan per address.
        final = base.copy()
        for s, (lo, hi) in enumerate(zip(starts, ends)):
            old_sorted[lo:hi], final[s] = _sequential(
                kind, base[s], sorted_values[lo:hi],
                None if sorted_compare is None else sorted_compare[lo:hi], flush)
    else:
        final = _rounds(kind, base, sorted_values, sorted_compare, starts, ends, segment,
                        old_sorted, flush)
    flat[keys[starts]] = final
    old = np.empty(n, dtype=dtype)
    old[order] = old_sorted
    return old


def _stable_order(address: np.ndarray) -> np.ndarray:
    """The permutation sorting ``address`` that keeps thread order among equal ones
    (NumPy radix-sorts 16-bit keys: much faster for the usual small address spans)."""
    low, high = int(address.min()), int(address.max())
    if high - low < 1 << 16:
        return np.argsort((address - low).astype(np.uint16), kind="stable")
    return np.argsort(address, kind="stable")


def _few_addresses(kind: str, addresses: int, longest: int, n: int) -> bool:
    """Whether per-address scans beat rounds (each costs a few NumPy calls; the Python
    loops of cas/inc/dec cost about a fiftieth of a round per thread)."""
    if kind in ("cas", "inc", "dec"):
        return longest * 50 > n
    return addresses <= longest


# -- one update --------------------------------------------------------------------

def _step(kind: str, old: Any, value: Any, compare: Any, flush: bool) -> Any:
    """The new memory value after one thread's update (elementwise)."""
    dtype = np.asarray(old).dtype
    if kind == "add":
        if flush:
            return _flush(np.add(_flush(old), value, dtype=dtype))
        return np.add(old, value, dtype=dtype)
    if kind == "max":
        return np.where(np.greater(value, old), value, old).astype(dtype)
    if kind == "min":
        return np.where(np.less(value, old), value, old).astype(dtype)
    if kind == "exch":
        return np.asarray(value, dtype=dtype).copy()
    if kind in _BITWISE:
        return _BITWISE[kind](old, value)
    if kind == "inc":
        return np.where(old >= value, dtype.type(0), old + dtype.type(1)).astype(dtype)
    if kind == "dec":
        return np.where((old == 0) | (old > value), value, old - dtype.type(1)).astype(dtype)
    if kind == "cas":
        return np.where(old == compare, value, old).astype(dtype)
    raise ValueError(f"unknown atomic kind {kind!r}")


_BITWISE: dict[str, np.ufunc] = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}


# -- many threads, one address -------------------------------------------------------

def _sequential(kind: str, base: np.generic, values: np.ndarray, compare: np.ndarray | None,
                flush: bool) -> tuple[np.ndarray, np.generic]:
    """Apply ``values`` to one element holding ``base``, in order: (old values, final)."""
    dtype = values.dtype
    if kind == "exch":
        old = np.empty(len(values), dtype=dtype)
        old[:1] = base
        old[1:] = values[:-1]
        return old, values[-1]
    if kind == "add" or kind in _BITWISE or (kind in ("max", "min") and dtype.kind in "iu"):
        ufunc = {"add": np.add, "max": np.maximum, "min": np.minimum, **_BITWISE}[kind]
        run = np.empty(len(values) + 1, dtype=dtype)
        run[0] = _flush(base)[()] if flush else base
        run[1:] = values
        ufunc.accumulate(run, dtype=dtype, out=run)   # sequential, in the element dtype
        if flush and _has_subnormal(run[1:]):
            run = _flushed_sum(run[0], values)
        run[0] = base                                 # the memory as it was, unflushed
        return run[:-1], run[-1]
    if kind in ("max", "min"):
        return _float_extremum(kind, base, values)
    old = np.empty(len(values), dtype=dtype)
    current = base.item()
    wrap = _python_step(kind, dtype)
    compare_list = compare.tolist() if compare is not None else None
    for k, value in enumerate(values.tolist()):
        old[k] = current
        current = wrap(current, value, compare_list[k] if compare_list is not None else None)
    return old, dtype.type(current)


def _python_step(kind: str, dtype: np.dtype) -> Callable[[Any, Any, Any], Any]:
    """cas/inc/dec on Python ints (unsigned/wrapping per ``dtype``)."""
    if kind == "cas":
        return lambda old, value, expected: value if old == expected else old
    if kind == "inc":
        return lambda old, value, _: 0 if old >= value else old + 1
    return lambda old, value, _: value if old == 0 or old > value else old - 1


def _float_extremum(kind: str, base: np.generic, values: np.ndarray) -> tuple[np.ndarray, np.generic]:
    """Sequential ``max(old, v)``/``min(old, v)`` (CPython's) over floats, vectorized:
    an order-preserving integer key makes the running best a ``maximum.accumulate``,
    and the old value before each thread is the element that last raised it."""
    n = len(values)
    if np.isnan(base):
        return np.full(n, base), base
    keys = _order_key(values)
    if kind == "min":
        keys = -keys
    keys[np.isnan(values)] = np.iinfo(np.int64).min      # a NaN operand never wins
    base_key = int(_order_key(np.asarray([base]))[0]) * (1 if kind == "max" else -1)
    all_keys = np.concatenate([[base_key], keys])
    running = np.maximum.accumulate(all_keys)
    # Strictly raising the running best: ties keep the earlier value.
    raised = np.empty(n + 1, dtype=bool)
    raised[0] = True
    raised[1:] = all_keys[1:] > running[:-1]
    holder = np.maximum.accumulate(np.where(raised, np.arange(n + 1), 0))
    everything = np.concatenate([np.asarray([base], dtype=values.dtype), values])
    current = everything[holder]
    return current[:-1], current[-1]


def _order_key(x: np.ndarray) -> np.ndarray:
    """int64 keys ordered like the floats ``x`` (non-NaN), with -0.0 == +0.0."""
    bits = x.view(np.int32 if x.dtype == np.float32 else np.int64).astype(np.int64)
    magnitude = bits & (0x7FFFFFFF if x.dtype == np.float32 else 0x7FFFFFFFFFFFFFFF)
    return np.where(bits < 0, -magnitude, magnitude)


def _group_scan(kind: str, base: np.ndarray, values: np.ndarray, starts: np.ndarray,
                ends: np.ndarray, segment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer add (wrapping) and xor: a whole-array inclusive scan, restarted per
    address by cancelling what came before (both are groups, so this is exact)."""
    if kind == "add":
        unsigned = np.dtype(f"u{values.dtype.itemsize}")
        v = values.view(unsigned)
        inclusive = np.cumsum(v, dtype=unsigned)
        exclusive = inclusive - v
        within = exclusive - exclusive[starts][segment]
        old = (base.view(unsigned)[segment] + within).view(values.dtype)
        final = (base.view(unsigned) + (inclusive[ends - 1] - exclusive[starts])).view(values.dtype)
        return old, final
    inclusive = np.bitwise_xor.accumulate(values)
    exclusive = inclusive ^ values
    within = exclusive ^ exclusive[starts][segment]
    return base[segment] ^ within, base ^ inclusive[ends - 1] ^ exclusive[starts]


def _rounds(kind: str, base: np.ndarray, values: np.ndarray, compare: np.ndarray | None,
            starts: np.ndarray, ends: np.ndarray, segment: np.ndarray, old_sorted: np.ndarray,
            flush: bool) -> np.ndarray:
    """Round r updates every address with its r-th thread: exact for any update."""
    current = base.copy()
    lengths = ends - starts
    for r in range(int(lengths.max())):
        which = np.flatnonzero(lengths > r)
        at = starts[which] + r
        old = current[which]
        old_sorted[at] = old
        current[which] = _step(kind, old, values[at], None if compare is None else compare[at], flush)
    return current


# -- float32 flush-to-zero ---------------------------------------------------------

_TINY = np.float32(np.finfo(np.float32).tiny)


def _flush(x: Any) -> Any:
    """Subnormal float32 values become zeros of the same sign."""
    x = np.asarray(x)
    if x.dtype != np.float32:
        return x
    subnormal = (np.abs(x) < _TINY) & (x != 0)
    if not subnormal.any():
        return x
    return np.where(subnormal, np.copysign(np.float32(0), x), x).astype(np.float32)


def _has_subnormal(x: np.ndarray) -> bool:
    return bool(((np.abs(x) < _TINY) & (x != 0)).any())


def _flushed_sum(base: np.generic, values: np.ndarray) -> np.ndarray:
    run = np.empty(len(values) + 1, dtype=np.float32)
    run[0] = current = base
    for k, value in enumerate(values):
        current = _flush(np.float32(current + value))[()]
        run[k + 1] = current
    return run


def _negate(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "u":
        return (np.uint64(0) - values.astype(np.uint64)).astype(values.dtype)
    return np.negative(values)
