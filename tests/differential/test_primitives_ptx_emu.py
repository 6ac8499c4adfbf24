"""numpy target == ptx-emu on kernels that use block- and warp-level primitives.

Shared and local arrays (static, 2-D, dynamic), barriers (sync, count/and/or),
atomics of every kind and dtype on global and shared arrays (float max/min are CAS
loops in PTX), CAS patterns, warp shuffles of 32- and 64-bit values in every mode,
votes, lane masks, bit operations on every integer width, fences and syncwarp. The
ptx-emu target runs the exact PTX the GPU would get, so agreement here checks the
PTX lowering against the reference semantics bit for bit, old values of atomics
included (both serialize one instruction's atomics in thread order).
"""
from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import simt

from ..primitives.kernels import (ATOMIC_DTYPES, ROW, SCAN, SORT, TPB, bitonic_sort, block_scan,
                                  block_sum, local_sort, warp_sum)
from ..primitives.kernels import atomic_cas as global_cas
from ..primitives.kernels import vote as votes
from .compare import assert_same

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))


def run_on(target: str, kernel, grid, block, arguments: list, shared_bytes: int = 0) -> list:
    args = copy.deepcopy(arguments)
    with simt.target(target):
        kernel[grid, block, 0, shared_bytes](*args)
    return args


def agree(kernel, grid, block, *arguments, shared_bytes: int = 0) -> list:
    """Run on both targets; every array argument must come back with the same bits."""
    expected = run_on("numpy", kernel, grid, block, list(arguments), shared_bytes)
    actual = run_on("ptx-emu", kernel, grid, block, list(arguments), shared_bytes)
    for index, (e, a) in enumerate(zip(expected, actual)):
        if isinstance(e, np.ndarray):
            assert_same(f"{kernel.__name__} argument {index}", e, a)
    return expected


# -- atomics of every kind and dtype --------------------------------------------------------

INTRINSIC = {"add": simt.atomic.add, "sub": simt.atomic.sub, "max": simt.atomic.max,
             "min": simt.atomic.min, "exch": simt.atomic.exch, "inc": simt.atomic.inc,
             "dec": simt.atomic.dec, "and": simt.atomic.and_, "or": simt.atomic.or_,
             "xor": simt.atomic.xor}
SHARED = 8


def global_atomic(kind: str):
    update = INTRINSIC[kind]

    def kernel(arr, idx, vals, cmp, old):
        i = simt.grid(1)
        if i < idx.shape[0]:
            old[i] = update(arr, idx[i], vals[i])
    kernel.__name__ = f"global_atomic_{kind}"
    return simt.kernel(kernel)


def shared_atomic(kind: str):
    update = INTRINSIC[kind]

    def kernel(arr, idx, vals, cmp, old):
        s = simt.shared.array(SHARED, arr.dtype)
        t = simt.threadIdx.x
        if t < SHARED:
            s[t] = arr[t]
        simt.syncthreads()
        if t < idx.shape[0]:
            old[t] = update(s, idx[t], vals[t])
        simt.syncthreads()
        if t < SHARED:
            arr[t] = s[t]
    kernel.__name__ = f"shared_atomic_{kind}"
    return simt.kernel(kernel)


@simt.kernel
def shared_cas(arr, idx, vals, cmp, old):
    s = simt.shared.array(SHARED, arr.dtype)
    t = simt.threadIdx.x
    if t < SHARED:
        s[t] = arr[t]
    simt.syncthreads()
    if t < idx.shape[0]:
        old[t] = simt.atomic.cas(s, idx[t], cmp[t], vals[t])
    simt.syncthreads()
    if t < SHARED:
        arr[t] = s[t]


GLOBAL_KERNELS = {kind: global_atomic(kind) for kind in INTRINSIC} | {"cas": global_cas}
SHARED_KERNELS = {kind: shared_atomic(kind) for kind in INTRINSIC} | {"cas": shared_cas}
FLOAT_EDGES = [0.0, -0.0, 1.0, -1.0, 1.5, np.inf, -np.inf, np.nan, 3e38, -3e38]


@st.composite
def atomic_case(draw, shared: bool):
    kind = draw(st.sampled_from(sorted(ATOMIC_DTYPES)))
    dtype = np.dtype(draw(st.sampled_from(ATOMIC_DTYPES[kind])))
    n = draw(st.integers(1, 64 if shared else 100))
    width = draw(st.sampled_from([1, 2, 5, SHARED]))
    idx = draw(hnp.arrays(np.int64, n, elements=st.integers(0, width - 1)))
    flushing = kind in ("add", "sub") and dtype == np.float32
    if kind in ("inc", "dec"):
        elements = initial = st.integers(0, 6)
    elif dtype.kind == "f":
        # subnormals only where ptx-emu flushes as the reference does (the xfail tests below)
        def floats(subnormal: bool):
            return st.one_of(st.sampled_from(FLOAT_EDGES), st.floats(
                width=dtype.itemsize * 8, allow_subnormal=subnormal))
        elements, initial = floats(not (shared and flushing)), floats(not flushing)
    else:
        info = np.iinfo(dtype)
        elements = initial = st.one_of(st.integers(max(-3, int(info.min)), 3),
                                       st.integers(int(info.min), int(info.max)))
    size = SHARED if shared else width
    arr = draw(hnp.arrays(dtype, size, elements=initial))
    vals = draw(hnp.arrays(dtype, n, elements=elements))
    others = draw(hnp.arrays(dtype, n, elements=elements))
    cmp = np.where(draw(hnp.arrays(np.bool_, n)), arr[idx % size], others).astype(dtype)
    return kind, arr, idx, vals, cmp


@SETTINGS
@given(atomic_case(shared=False))
def test_global_atomics_agree(case) -> None:
    kind, arr, idx, vals, cmp = case
    old = np.zeros_like(vals)
    agree(GLOBAL_KERNELS[kind], -(-len(idx) // 32), 32, arr, idx, vals, cmp, old)


@SETTINGS
@given(atomic_case(shared=True))
def test_shared_atomics_agree(case) -> None:
    kind, arr, idx, vals, cmp = case
    old = np.zeros_like(vals)
    agree(SHARED_KERNELS[kind], 1, 64, arr, idx, vals, cmp, old)


@pytest.mark.parametrize("kind", ["max", "min"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_max_min_keep_cpython_order_under_contention(kind, dtype) -> None:
    """CAS loops: NaN values ignored, NaN in memory kept, +0/-0 ties keep memory, and
    each thread's old value is the one before its update in thread order."""
    vals = np.array([3.0, np.nan, -0.0, 0.0, 7.0, -1.0, 7.0, -np.inf, np.inf, 2.0] * 7, dtype)
    idx = np.arange(len(vals)) % 3
    arr = np.array([0.0, np.nan, -0.0], dtype)
    old = np.zeros_like(vals)
    agree(GLOBAL_KERNELS[kind], 3, 32, arr, idx, vals, vals, old)


@simt.kernel
def shared_add_f32(arr, vals, old):
    s = simt.shared.array(1, np.float32)
    t = simt.threadIdx.x
    if t == 0:
        s[t] = arr[t]
    simt.syncthreads()
    old[t] = simt.atomic.add(s, 0, vals[t])
    simt.syncthreads()
    if t == 0:
        arr[t] = s[t]


def test_shared_float32_atomic_add_keeps_subnormals() -> None:
    agree(shared_add_f32, 1, 2, np.array([1e-40], np.float32), np.array([1e-40, 0], np.float32),
          np.zeros(2, np.float32))


def test_global_float32_atomic_add_flushes_a_subnormal_element() -> None:
    agree(GLOBAL_KERNELS["add"], 1, 2, np.full(2, 1e-38, np.float32), np.arange(2),
          np.full(2, 2e-38, np.float32), np.zeros(2, np.float32), np.zeros(2, np.float32))


def test_one_thread_storing_an_atomic_result() -> None:
    agree(GLOBAL_KERNELS["add"], 1, 1, np.zeros(1, np.int32), np.zeros(1, np.int64),
          np.ones(1, np.int32), np.zeros(1, np.int32), np.zeros(1, np.int32))


@simt.kernel
def atomic_2d(arr, idx, vals, old):
    i = simt.grid(1)
    if i < idx.shape[0]:
        old[i, 0] = simt.atomic.max(arr, (idx[i] // 3, idx[i] % 3), vals[i])
        old[i, 1] = simt.atomic.add(arr, (idx[i] % 2, -1 - idx[i] % 3), vals[i])


def test_atomics_with_2d_and_negative_indices() -> None:
    rng = np.random.default_rng(11)
    idx = rng.integers(0, 6, 70)
    vals = rng.integers(-50, 50, 70).astype(np.int64)
    agree(atomic_2d, 3, 32, np.zeros((2, 3), np.int64), idx, vals, np.zeros((70, 2), np.int64))


@simt.kernel
def unused_results(arr):
    i = simt.grid(1)
    simt.atomic.add(arr, 0, np.int32(1))      # red: the old value is not read
    simt.atomic.max(arr, 1, np.int32(i))
    simt.atomic.exch(arr, 2, np.int32(i))     # exch has no red form
    simt.atomic.min(arr, 3, np.int32(-i))


def test_atomics_whose_old_value_is_unused() -> None:
    agree(unused_results, 2, 64, np.zeros(4, np.int32))


@simt.kernel
def tickets(order, out):
    """Each thread takes a ticket with a CAS retry loop, then writes in ticket order."""
    i = simt.grid(1)
    while True:
        seen = order[0]
        if simt.atomic.cas(order, 0, seen, seen + 1) == seen:
            out[seen] = i
            break


def test_cas_retry_loops_hand_out_each_ticket_once() -> None:
    out = agree(tickets, 2, 64, np.zeros(1, np.int32), np.full(128, -1, np.int32))[1]
    assert sorted(out) == list(range(128))


# -- shared memory kernels ------------------------------------------------------------------

@SETTINGS
@given(st.integers(1, 700), st.sampled_from([np.float32, np.float64, np.int32, np.int64]))
def test_block_tree_reduction_with_one_atomic_per_block(n, dtype) -> None:
    x = (np.random.default_rng(n).standard_normal(n) * 100).astype(dtype)
    agree(block_sum, -(-n // TPB), TPB, x, np.zeros(1, dtype))


BINS = 16


@simt.kernel
def histogram(data, hist, shared_hist):
    local = simt.shared.array(BINS, np.uint32)
    t = simt.threadIdx.x
    i = simt.grid(1)
    if t < BINS:
        local[t] = 0
    simt.syncthreads()
    if i < data.shape[0]:
        simt.atomic.add(hist, data[i] % BINS, np.uint32(1))
        simt.atomic.add(local, data[i] % BINS, np.uint32(1))
    simt.syncthreads()
    if t < BINS:
        simt.atomic.add(shared_hist, t, local[t])


@SETTINGS
@given(hnp.arrays(np.int32, st.integers(1, 500), elements=st.integers(0, 1000)))
def test_histogram_with_global_and_shared_atomics(data) -> None:
    hist = agree(histogram, -(-len(data) // 64), 64, data, np.zeros(BINS, np.uint32),
                 np.zeros(BINS, np.uint32))
    assert np.array_equal(hist[1], np.bincount(data % BINS, minlength=BINS))


TILE = 8


@simt.kernel
def matmul(a, b, c):
    sa = simt.shared.array((TILE, TILE), np.float32)
    sb = simt.shared.array((TILE, TILE), np.float32)
    tx = simt.threadIdx.x
    ty = simt.threadIdx.y
    row = simt.blockIdx.y * TILE + ty
    col = simt.blockIdx.x * TILE + tx
    acc = np.float32(0)
    for tile in range((a.shape[1] + TILE - 1) // TILE):
        k = tile * TILE
        sa[ty, tx] = a[row, k + tx] if row < a.shape[0] and k + tx < a.shape[1] else 0
        sb[ty, tx] = b[k + ty, col] if col < b.shape[1] and k + ty < b.shape[0] else 0
        simt.syncthreads()
        for j in range(TILE):
            acc += sa[ty, j] * sb[j, tx]
        simt.syncthreads()
    if row < c.shape[0] and col < c.shape[1]:
        c[row, col] = acc


@pytest.mark.parametrize("m, k, n", [(13, 21, 10), (8, 8, 8)])
def test_tiled_matmul_with_2d_shared_tiles(m, k, n) -> None:
    rng = np.random.default_rng(m * k * n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    agree(matmul, (-(-n // TILE), -(-m // TILE)), (TILE, TILE), a, b, np.zeros((m, n), np.float32))


@simt.kernel
def stencil(x, out):
    s = simt.shared.array(34, np.float64)
    t = simt.threadIdx.x
    i = simt.grid(1)
    n = x.shape[0]
    s[t + 1] = x[i] if i < n else 0.0
    if t == 0:
        s[0] = x[i - 1] if 1 <= i <= n else 0.0
    if t == simt.blockDim.x - 1:
        s[t + 2] = x[i + 1] if i + 1 < n else 0.0
    simt.syncthreads()
    if i < n:
        out[i] = 0.25 * s[t] + 0.5 * s[t + 1] + 0.25 * s[t + 2]


def test_scan_stencil_and_bitonic_sort() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(-50, 50, 300)
    agree(block_scan, -(-len(x) // SCAN), SCAN, x, np.zeros_like(x))
    y = rng.standard_normal(100)
    agree(stencil, -(-len(y) // 32), 32, y, np.zeros_like(y))
    z = rng.standard_normal(3 * SORT).astype(np.float32)
    assert np.array_equal(agree(bitonic_sort, 3, SORT, z)[0],
                          np.sort(z.reshape(3, SORT), axis=1).reshape(-1))


# -- dynamic shared memory --------------------------------------------------------------

@simt.kernel
def reverse_in_block(x, out, sizes):
    s = simt.shared.array(0, x.dtype)
    t = simt.threadIdx.x
    i = simt.grid(1)
    s[t] = x[i]
    simt.syncthreads()
    out[i] = s[simt.blockDim.x - 1 - t]
    sizes[i] = s.shape[0] + len(s)


@simt.kernel
def dynamic_aliases(out):
    words = simt.shared.array(0, np.int32)
    raw = simt.shared.array(0, np.uint8)
    t = simt.threadIdx.x
    if t == 0:
        words[1] = 0x01020304
        words[-1] = -2
    simt.syncthreads()
    out[t] = raw[t]


@pytest.mark.parametrize("dtype, extra", [(np.float32, 0), (np.float64, 24), (np.int16, 6)])
def test_dynamic_shared_memory_sized_by_the_launch(dtype, extra) -> None:
    x = np.arange(96).astype(dtype)
    nbytes = 32 * np.dtype(dtype).itemsize + extra
    agree(reverse_in_block, 3, 32, x, np.zeros_like(x), np.zeros(96, np.int64),
          shared_bytes=nbytes)
    agree(dynamic_aliases, 1, 16, np.zeros(16, np.uint8), shared_bytes=16)


# -- local arrays -------------------------------------------------------------------------

@simt.kernel
def local_fresh_zeros(x, out):
    """Each execution of a local declaration gives zeros (the reference's np.zeros)."""
    i = simt.grid(1)
    for r in range(3):
        acc = simt.local.array((3, 40), np.float64)
        flags = simt.local.array(5, np.bool_)
        acc[r, i % 40] += x[i]
        flags[r] = True
        out[i, r] = acc[r, i % 40] + acc[(r + 1) % 3, 39 - i % 40] + flags[(r + 1) % 5]


def test_local_arrays() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(-100, 100, (50, ROW)).astype(np.int32)
    agree(local_sort, 2, 32, x, np.zeros_like(x))
    y = rng.standard_normal(64)
    agree(local_fresh_zeros, 2, 32, y, np.zeros((64, 3)))


# -- barriers, fences and syncwarp --------------------------------------------------------

@simt.kernel
def barrier_votes(x, out):
    i = simt.grid(1)
    if i >= x.shape[0]:
        return
    p = x[i] > 0
    out[i, 0] = simt.syncthreads_count(p)
    out[i, 1] = simt.syncthreads_and(p)
    out[i, 2] = simt.syncthreads_or(p)
    simt.threadfence_block()
    simt.threadfence()
    simt.threadfence_system()
    simt.syncwarp()
    simt.syncwarp(0xFFFFFFFF)


def test_syncthreads_count_and_or_with_exited_threads() -> None:
    x = np.random.default_rng(8).standard_normal(150)
    x[64:128] = 1.0
    agree(barrier_votes, 3, 64, x, np.zeros((150, 3), np.int32))


# -- warp shuffles, votes and masks -------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.float64, np.int64, np.uint64])
def test_warp_reduction_with_shfl_down(dtype) -> None:
    x = (np.random.default_rng(5).standard_normal(256) * 1e6).astype(dtype)
    agree(warp_sum, 2, 128, x, np.zeros(8, dtype))


@simt.kernel
def shuffles(x, lanes, out):
    i = simt.grid(1)
    v = x[i]
    b = lanes[i]
    out[i, 0] = simt.shfl_sync(0xFFFFFFFF, v, b)
    out[i, 1] = simt.shfl_up_sync(0xFFFFFFFF, v, b)
    out[i, 2] = simt.shfl_down_sync(0xFFFFFFFF, v, b)
    out[i, 3] = simt.shfl_xor_sync(0xFFFFFFFF, v, b)


@SETTINGS
@given(st.sampled_from([np.int32, np.uint32, np.float32, np.int64, np.uint64, np.float64]),
       st.sampled_from(["uniform", "per-lane"]), st.integers(-40, 70), st.data())
def test_shuffles_of_every_mode_and_width(dtype, how, lane, data) -> None:
    x = data.draw(hnp.arrays(dtype, 64, elements=st.one_of(
        st.sampled_from([0, 1]), st.integers(0, 2**31 - 1)) if np.dtype(dtype).kind != "f"
        else st.floats(width=np.dtype(dtype).itemsize * 8)))
    if how == "uniform":
        lanes = np.full(64, lane, np.int32)
    else:
        lanes = data.draw(hnp.arrays(np.int32, 64, elements=st.integers(-40, 70)))
    agree(shuffles, 2, 32, x, lanes, np.zeros((64, 4), dtype))


@simt.kernel
def shuffle_after_divergence(x, out):
    """Warp ops after an if some lanes skip and after loops with per-lane trip counts:
    the lanes must have reconverged (the PTX layout puts joins after both arms and loop
    exits after the loop, which the emulator's lowest-PC-first scheduling relies on)."""
    i = simt.grid(1)
    v = x[i]
    if not v < 0:
        if 0 < i:
            v += 1
    n = 0
    while n < i % 5:
        v += n
        n += 1
        if v > 100:
            break
    out[i, 0] = simt.shfl_down_sync(0xFFFFFFFF, v, 1)
    out[i, 1] = simt.ballot_sync(0xFFFFFFFF, v > 2)


def test_warp_ops_after_branches_and_loops_see_the_whole_warp() -> None:
    x = np.random.default_rng(9).integers(-3, 120, 64).astype(np.int64)
    agree(shuffle_after_divergence, 2, 32, x, np.zeros((64, 2), np.int64))


@simt.kernel
def divergent_votes(x, out):
    """Votes and shuffles inside a branch, with the mask of the lanes that take it."""
    i = simt.grid(1)
    lane = simt.laneid
    if lane % 3 == 0:
        mask = simt.activemask()
        out[i, 0] = mask
        out[i, 1] = simt.ballot_sync(mask, x[i] > 0)
        out[i, 2] = simt.shfl_sync(mask, np.uint32(lane), lane - 3 if lane >= 3 else lane)
        out[i, 3] = simt.any_sync(mask, x[i] > 1)


def test_votes_ballots_and_lane_masks() -> None:
    x = np.random.default_rng(6).standard_normal(128)
    x[32:64] = 1.0
    x[64:96] = -1.0
    agree(votes, 1, 128, x, np.zeros(128, np.uint32), np.zeros(128, np.int32),
          np.zeros(4, np.int32), np.zeros((128, 4), np.bool_))
    agree(divergent_votes, 2, 48, x[:96], np.zeros((96, 4), np.uint32))


# -- bit operations ---------------------------------------------------------------------------

@simt.kernel
def bit_ops(x, out, reversed_bits):
    i = simt.grid(1)
    if i < x.shape[0]:
        out[i, 0] = simt.popc(x[i])
        out[i, 1] = simt.clz(x[i])
        out[i, 2] = simt.ffs(x[i])
        reversed_bits[i] = simt.brev(x[i])


@SETTINGS
@given(st.sampled_from([np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
                        np.uint64]), st.data())
def test_bit_operations_on_every_integer_width(dtype, data) -> None:
    info = np.iinfo(dtype)
    edges = [0, 1, -1, 2, info.min, info.max, info.min + 1, 1 << (info.bits - 2)]
    x = data.draw(hnp.arrays(dtype, st.integers(1, 70), elements=st.one_of(
        st.sampled_from([e for e in edges if info.min <= e <= info.max]),
        st.integers(int(info.min), int(info.max)))))
    agree(bit_ops, -(-len(x) // 32), 32, x, np.zeros((len(x), 3), np.int32), np.zeros_like(x))


# -- example arguments of every kernel above (tests/ptx assembles each for every arch) ----------

def _examples() -> list[tuple]:
    f32, i64 = np.zeros(4, np.float32), np.zeros(4, np.int64)
    examples = []
    for kind, dtypes in ATOMIC_DTYPES.items():
        for dtype in dtypes:
            arrays = (np.zeros(8, dtype), i64, np.zeros(4, dtype), np.zeros(4, dtype),
                      np.zeros(4, dtype))
            examples += [(GLOBAL_KERNELS[kind], arrays), (SHARED_KERNELS[kind], arrays)]
    examples += [
        (atomic_2d, (np.zeros((2, 3), np.int64), i64, i64, np.zeros((4, 2), np.int64))),
        (unused_results, (np.zeros(4, np.int32),)),
        (tickets, (np.zeros(1, np.int32), np.zeros(4, np.int32))),
        (histogram, (np.zeros(4, np.int32), np.zeros(BINS, np.uint32), np.zeros(BINS, np.uint32))),
        (matmul, (np.zeros((2, 2), np.float32),) * 3),
        (block_scan, (i64, i64)), (stencil, (np.zeros(4),) * 2), (bitonic_sort, (f32,)),
        (dynamic_aliases, (np.zeros(4, np.uint8),)),
        (local_sort, (np.zeros((2, ROW), np.int32),) * 2),
        (local_fresh_zeros, (np.zeros(4), np.zeros((4, 3)))),
        (barrier_votes, (np.zeros(4), np.zeros((4, 3), np.int32))),
        (votes, (np.zeros(4), np.zeros(4, np.uint32), np.zeros(4, np.int32),
                 np.zeros(4, np.int32), np.zeros((4, 4), np.bool_))),
        (divergent_votes, (np.zeros(4), np.zeros((4, 4), np.uint32))),
        (shuffle_after_divergence, (i64, np.zeros((4, 2), np.int64))),
    ]
    for dtype in (np.float32, np.float64, np.int32, np.int64):
        examples.append((block_sum, (np.zeros(4, dtype), np.zeros(1, dtype))))
    for dtype in (np.int32, np.uint32, np.float32, np.int64, np.uint64, np.float64):
        examples += [(warp_sum, (np.zeros(4, dtype),) * 2),
                     (shuffles, (np.zeros(4, dtype), np.zeros(4, np.int32),
                                 np.zeros((4, 4), dtype)))]
    for dtype in (np.float32, np.float64, np.int16):
        examples.append((reverse_in_block, (np.zeros(4, dtype),) * 2 + (i64,)))
    for dtype in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64):
        examples.append((bit_ops, (np.zeros(4, dtype), np.zeros((4, 3), np.int32),
                                   np.zeros(4, dtype))))
    return examples


EXAMPLES = _examples()
