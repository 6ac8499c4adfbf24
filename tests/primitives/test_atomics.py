"""Atomics of every kind and dtype against a sequential Python loop in thread order:
global and shared arrays, 1-D and 2-D, many threads per address, NaN/inf/subnormal
floats, plus CAS patterns (claiming slots, lock-free tickets) and bounds errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import simt
from simt import cuda

from .kernels import ATOMIC_DTYPES, atomic_cas
from .support import launch, same_bits


@cuda.jit
def atomic_add(arr, idx, vals, cmp, old):
    i = cuda.grid(1)
    if i < idx.shape[0]:
        old[i] = cuda.atomic.add(arr, idx[i], vals[i])


@cuda.jit
def atomic_sub(arr, idx, vals, cmp, old):
    i = cuda.grid(1)
    if i < idx.shape[0]:
        old[i] = cuda.atomic.sub(arr, idx[i], vals[i])


@cuda.jit
def atomic_max(arr, idx, vals, cmp, old):
    i = cuda.grid(1)
    if i < idx.shape[0]:
        old[i] = cuda.atomic.max(arr, idx[i], vals[i])


@cuda.jit
def atomic_min(arr, idx, vals, cmp, old):
    i = cuda.grid(1)
    if i < idx.shape[0]:
        old[i] = cuda.atomic.min(arr, idx[i], vals[i])


@cuda.jit
def atomic_exch(arr, idx, vals, cmp, old):
    i = cuda.grid(1)
    if i < idx.shape[0]:
        old[i] = cuda.atomic.exch(arr, idx[i], vals[i])


@cuda.jit
def atomic_inc(arr, idx, vals, cmp, old):
    i = cuda.grid(1)
    if i < idx.shape[0]:
        old[i] = cuda.atomic.inc(arr, idx[i], vals[i])


@cuda.jit
def atomic_dec(arr, idx, vals, cmp, old):
    i = cuda.grid(1)
    if i < idx.shape[0]:
        old[i] = cuda.atomic.dec(arr, idx[i], vals[i])


@cuda.jit
def atomic_and(arr, idx, vals, cmp, old):
    i = cuda.grid(1)
    if i < idx.shape[0]:
        old[i] = cuda.atomic.and_(arr, idx[i], vals[i])


@cuda.jit
def atomic_or(arr, idx, vals, cmp, old):
    i = cuda.grid(1)
    if i < idx.shape[0]:
        old[i] = cuda.atomic.or_(arr, idx[i], vals[i])


@cuda.jit
def atomic_xor(arr, idx, vals, cmp, old):
    i = cuda.grid(1)
    if i < idx.shape[0]:
        old[i] = cuda.atomic.xor(arr, idx[i], vals[i])


KERNELS = {"add": atomic_add, "sub": atomic_sub, "max": atomic_max, "min": atomic_min,
           "exch": atomic_exch, "inc": atomic_inc, "dec": atomic_dec, "and": atomic_and,
           "or": atomic_or, "xor": atomic_xor, "cas": atomic_cas}

SHARED = 8


@cuda.jit
def atomic_add_shared(arr, idx, vals, cmp, old):
    s = cuda.shared.array(SHARED, arr.dtype)
    t = cuda.threadIdx.x
    if t < SHARED:
        s[t] = arr[t]
    cuda.syncthreads()
    if t < idx.shape[0]:
        old[t] = cuda.atomic.add(s, idx[t], vals[t])
    cuda.syncthreads()
    if t < SHARED:
        arr[t] = s[t]


@cuda.jit
def atomic_max_2d(arr, idx, vals, cmp, old):
    i = cuda.grid(1)
    if i < idx.shape[0]:
        old[i] = cuda.atomic.max(arr, (idx[i] // 3, idx[i] % 3), vals[i])


# -- the sequential reference -------------------------------------------------------

_TINY32 = np.finfo(np.float32).tiny


def _ftz(x):
    """float32 flush-to-zero (what atom.global.add.f32 does to inputs and results)."""
    if abs(x) < _TINY32 and x != 0:
        return np.copysign(np.float32(0), x)
    return x


def _update(kind: str, cur, value, expected, flush: bool):
    dtype = type(cur)
    if kind in ("add", "sub"):
        if flush:
            cur, value = _ftz(cur), _ftz(value)
        new = cur + value if kind == "add" else cur - value
        return _ftz(new) if flush else new
    if kind == "max":
        return value if value > cur else cur
    if kind == "min":
        return value if value < cur else cur
    if kind == "exch":
        return value
    if kind == "and":
        return cur & value
    if kind == "or":
        return cur | value
    if kind == "xor":
        return cur ^ value
    if kind == "inc":
        return dtype(0) if cur >= value else dtype(cur + dtype(1))
    if kind == "dec":
        return value if cur == 0 or cur > value else dtype(cur - dtype(1))
    return value if cur == expected else cur        # cas


def sequential(kind: str, arr: np.ndarray, idx: np.ndarray, vals: np.ndarray, cmp: np.ndarray,
               flush: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each thread in order: read the element, then write the update."""
    arr = arr.copy()
    flat = arr.reshape(-1)
    old = np.empty_like(vals)
    with np.errstate(all="ignore"):
        for k in range(len(idx)):
            cur = flat[idx[k]]
            old[k] = cur
            flat[idx[k]] = _update(kind, cur, vals[k], cmp[k], flush)
    return arr, old


# -- the tests ----------------------------------------------------------------------

@st.composite
def atomic_case(draw, kinds=tuple(KERNELS)):
    kind = draw(st.sampled_from(kinds))
    dtype = np.dtype(draw(st.sampled_from(ATOMIC_DTYPES[kind])))
    n = draw(st.sampled_from([40, 90, 120]) | st.integers(1, 120))
    # Threads per address: distinct addresses, a few per address (updated round by
    # round), or many per address (one scan per address).
    per_address = draw(st.sampled_from([1, 2, 3, 30, 1000]))
    width = max(1, n // per_address) + draw(st.integers(0, 2))
    # (hnp.arrays would fill most of the array with one value: one hot address.)
    idx = np.random.default_rng(draw(st.integers(0, 2 ** 32))).integers(0, width, n)
    if kind in ("inc", "dec"):
        elements = st.integers(0, 6)
    elif dtype.kind == "f":
        elements = hnp.from_dtype(dtype)
    else:
        elements = hnp.from_dtype(dtype) | st.integers(0, 3)
    vals = draw(hnp.arrays(dtype, n, elements=elements))
    arr = draw(hnp.arrays(dtype, width, elements=elements))
    if kind == "cas":
        # Expect mostly what is there, so that some swaps succeed.
        cmp = draw(hnp.arrays(dtype, n, elements=st.sampled_from(sorted(set(arr.tolist()) | {0}))))
    else:
        cmp = np.zeros(n, dtype)
    return kind, arr, idx, vals, cmp


def _run(kernel, arr, idx, vals, cmp, block: int = 32, batch=None):
    old = np.zeros_like(vals)
    launch(kernel, -(-len(idx) // block), block, arr, idx, vals, cmp, old,
           max_threads_per_batch=batch)
    return old


@settings(max_examples=150, deadline=None)
@given(atomic_case(), st.sampled_from([None, 32]))
def test_every_atomic_matches_a_sequential_loop_in_thread_order(case, batch) -> None:
    kind, arr, idx, vals, cmp = case
    flush = arr.dtype == np.float32 and kind in ("add", "sub")      # a global float32 array
    want_arr, want_old = sequential(kind, arr, idx, vals, cmp, flush)
    old = _run(KERNELS[kind], arr, idx, vals, cmp, batch=batch)
    assert same_bits(old, want_old), (kind, arr.dtype)
    assert same_bits(arr, want_arr), (kind, arr.dtype)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([np.float32, np.float64, np.int32, np.uint64]), st.data())
def test_atomic_add_on_shared_memory_keeps_subnormals(dtype, data) -> None:
    dtype = np.dtype(dtype)
    n = data.draw(st.integers(1, 100))
    idx = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, SHARED - 1)))
    vals = data.draw(hnp.arrays(dtype, n, elements=hnp.from_dtype(dtype)))
    arr = data.draw(hnp.arrays(dtype, SHARED, elements=hnp.from_dtype(dtype)))
    want_arr, want_old = sequential("add", arr, idx, vals, vals, flush=False)
    old = np.zeros_like(vals)
    launch(atomic_add_shared, 1, 128, arr, idx, vals, vals, old)
    assert same_bits(old, want_old) and same_bits(arr, want_arr)


def test_float32_global_add_flushes_subnormals_and_shared_does_not() -> None:
    tiny = np.float32(1e-40)                      # subnormal
    idx = np.zeros(2, np.int64)
    vals = np.array([tiny, tiny], np.float32)
    arr = np.zeros(SHARED, np.float32)
    old = _run(atomic_add, arr, idx, vals, vals)
    assert arr[0] == 0 and np.signbit(arr[0]) == 0 and (old == 0).all()
    arr = np.zeros(SHARED, np.float32)
    old = np.zeros(2, np.float32)
    launch(atomic_add_shared, 1, 32, arr, idx, vals, vals, old)
    assert arr[0] == tiny + tiny and old[1] == tiny


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 200), st.sampled_from([np.float32, np.float64, np.int64]), st.data())
def test_atomic_max_on_a_2d_array(n, dtype, data) -> None:
    dtype = np.dtype(dtype)
    idx = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 5)))
    vals = data.draw(hnp.arrays(dtype, n, elements=hnp.from_dtype(dtype)))
    arr = data.draw(hnp.arrays(dtype, (2, 3), elements=hnp.from_dtype(dtype)))
    want_arr, want_old = sequential("max", arr, idx, vals, vals, flush=False)
    old = _run(atomic_max_2d, arr, idx, vals, vals)
    assert same_bits(old, want_old) and same_bits(arr, want_arr)


def test_float_max_min_follow_cpython_max_and_min() -> None:
    nan, inf = np.float32(np.nan), np.float32(np.inf)
    vals = np.array([nan, -0.0, 2.0, nan, 2.0, -inf], np.float32)
    arr = np.array([0.0], np.float32)
    idx = np.zeros(len(vals), np.int64)
    old = _run(atomic_max, arr, idx, vals, vals)
    # NaN operands are ignored, the -0.0 tie keeps +0.0, 2.0 wins once.
    assert same_bits(old, np.array([0.0, 0.0, 0.0, 2.0, 2.0, 2.0], np.float32))
    assert arr[0] == 2.0
    arr = np.array([nan], np.float32)
    old = _run(atomic_min, arr, idx, vals, vals)
    assert np.isnan(arr[0]) and np.isnan(old).all()        # NaN in memory stays


def test_inc_and_dec_wrap_like_cuda() -> None:
    arr = np.array([0, 5], np.uint32)
    idx = np.zeros(7, np.int64)
    vals = np.full(7, 2, np.uint32)
    old = _run(atomic_inc, arr, idx, vals, vals)
    assert list(old) == [0, 1, 2, 0, 1, 2, 0] and arr[0] == 1
    arr = np.array([1, 5], np.uint32)
    old = _run(atomic_dec, arr, idx, vals, vals)
    assert list(old) == [1, 0, 2, 1, 0, 2, 1] and arr[0] == 0


def test_counter_with_many_threads_is_exact() -> None:
    n = 5000
    arr = np.zeros(1, np.int32)
    idx = np.zeros(n, np.int64)
    vals = np.ones(n, np.int32)
    old = _run(atomic_add, arr, idx, vals, vals, block=256)
    assert arr[0] == n and np.array_equal(old, np.arange(n, dtype=np.int32))


# -- CAS patterns ---------------------------------------------------------------------

@cuda.jit
def claim_slots(flags, owner):
    i = cuda.grid(1)
    slot = i % flags.shape[0]
    if cuda.atomic.cas(flags, slot, 0, 1) == 0:
        owner[slot] = i


@cuda.jit
def take_tickets(counter, tickets):
    """A lock-free increment: retry the CAS until it sees the value it expected."""
    i = cuda.grid(1)
    seen = counter[0]
    while True:
        expected = seen
        seen = cuda.atomic.cas(counter, 0, expected, expected + 1)
        if seen == expected:
            break
    tickets[i] = seen


@pytest.mark.parametrize("batch", [None, 64])
def test_cas_claims_go_to_the_first_thread_in_order(batch) -> None:
    flags = np.zeros(10, np.int32)
    owner = np.full(10, -1, np.int64)
    launch(claim_slots, 4, 64, flags, owner, max_threads_per_batch=batch)
    assert (flags == 1).all() and np.array_equal(owner, np.arange(10))


@pytest.mark.parametrize("batch", [None, 32])
def test_cas_retry_loop_hands_out_every_ticket_once(batch) -> None:
    counter = np.zeros(1, np.uint64)
    tickets = np.zeros(200, np.uint64)
    launch(take_tickets, 4, 50, counter, tickets, max_threads_per_batch=batch)
    assert counter[0] == 200
    assert np.array_equal(np.sort(tickets), np.arange(200, dtype=np.uint64))
    # Lockstep: every retry round, the lowest thread still trying wins.
    assert np.array_equal(tickets, np.arange(200, dtype=np.uint64))


# -- errors ---------------------------------------------------------------------------

def test_atomic_out_of_bounds_names_the_array_and_thread() -> None:
    arr = np.zeros(4, np.int32)
    idx = np.array([0, 1, 9], np.int64)
    vals = np.ones(3, np.int32)
    with pytest.raises(simt.KernelRuntimeError) as caught:
        _run(atomic_add, arr, idx, vals, vals)
    message = str(caught.value)
    assert "index 9 is out of bounds for axis 0 of array 'arr' with size 4" in message
    assert "threadIdx=(2, 0, 0)" in message and "atomic_add" in message
    assert caught.value.loc.line == atomic_add.py_func.__code__.co_firstlineno + 4
    assert (arr == 0).all()                       # nothing was applied


@cuda.jit
def shared_out_of_bounds(out):
    s = cuda.shared.array(4, np.int32)
    t = cuda.threadIdx.x
    cuda.atomic.add(s, t, 1)
    out[t] = s[t]


def test_shared_atomic_out_of_bounds_names_the_shared_array() -> None:
    with pytest.raises(simt.KernelRuntimeError, match="index 4 is out of bounds for axis 0 of "
                       "array 'shared1' with size 4"):
        shared_out_of_bounds[1, 8](np.zeros(8, np.int32))


@cuda.jit
def load_then_count(x, out):
    i = cuda.grid(1)
    if i < x.shape[0]:
        v = x[i]                          # read before any thread's atomic
        cuda.atomic.add(x, 0, 1)
        out[i] = v


def test_an_array_written_only_by_atomics_is_not_read_through_a_stale_view() -> None:
    x = np.zeros(64, np.int32)
    out = np.full(64, -1, np.int32)
    launch(load_then_count, 2, 32, x, out)
    assert x[0] == 64 and (out == 0).all()
