"""Cooperative kernels written as users write them (numba.cuda style), run on the
numpy target and checked against NumPy computations made independently of simt:
tiled matmul, block reductions, histograms, scans, stencils, bitonic sort, warp
reductions, votes, local-array sorts and dynamic shared memory. Each also runs
with several batch sizes: results must not depend on them."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simt
from simt import cuda

from .kernels import (ROW, SCAN, SORT, TPB, bitonic_sort, block_scan, block_sum, local_sort,
                      vote, warp_sum)
from .support import launch, same_bits

BATCHES = (None, 1, 200)   # default; one thread (so one block) per batch; a few blocks

# -- tiled matmul ---------------------------------------------------------------------

TILE = 8


@cuda.jit
def matmul(a, b, c):
    sa = cuda.shared.array((TILE, TILE), np.float32)
    sb = cuda.shared.array((TILE, TILE), np.float32)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    row = cuda.blockIdx.y * TILE + ty
    col = cuda.blockIdx.x * TILE + tx
    acc = np.float32(0)
    for tile in range((a.shape[1] + TILE - 1) // TILE):
        k = tile * TILE
        if row < a.shape[0] and k + tx < a.shape[1]:
            sa[ty, tx] = a[row, k + tx]
        else:
            sa[ty, tx] = 0
        if col < b.shape[1] and k + ty < b.shape[0]:
            sb[ty, tx] = b[k + ty, col]
        else:
            sb[ty, tx] = 0
        cuda.syncthreads()
        for j in range(TILE):
            acc += sa[ty, j] * sb[j, tx]
        cuda.syncthreads()
    if row < c.shape[0] and col < c.shape[1]:
        c[row, col] = acc


def matmul_expected(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float32 products added in k order, one rounding each (what the kernel does)."""
    acc = np.zeros((a.shape[0], b.shape[1]), np.float32)
    for k in range(a.shape[1]):
        acc = acc + a[:, k, None] * b[None, k, :]
    return acc


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("m, k, n", [(13, 21, 10), (8, 8, 8), (1, 17, 30)])
def test_tiled_matmul(m: int, k: int, n: int, batch) -> None:
    rng = np.random.default_rng(m * 100 + k)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    c = np.full((m, n), np.nan, np.float32)
    grid = ((n + TILE - 1) // TILE, (m + TILE - 1) // TILE)
    launch(matmul, grid, (TILE, TILE), a, b, c, max_threads_per_batch=batch)
    assert np.array_equal(c, matmul_expected(a, b))


# -- block tree reduction + one atomic per block --------------------------------------

def block_sum_expected(x: np.ndarray) -> np.ndarray:
    blocks = -(-len(x) // TPB)
    s = np.zeros(blocks * TPB, x.dtype)
    s[:len(x)] = x
    s = s.reshape(blocks, TPB)
    stride = TPB // 2
    while stride > 0:
        s[:, :stride] = s[:, :stride] + s[:, stride:2 * stride]
        stride //= 2
    total = np.zeros(1, x.dtype)
    for value in s[:, 0]:              # one atomic per block, in block order
        total[0] = total[0] + value
    return total


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint32])
def test_block_reduction_with_one_atomic_per_block(dtype, batch) -> None:
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(1000) * 100).astype(dtype)
    total = np.zeros(1, dtype)
    launch(block_sum, -(-len(x) // TPB), TPB, x, total, max_threads_per_batch=batch)
    assert same_bits(total, block_sum_expected(x))
    if dtype != np.float32:
        assert total[0] == x.sum(dtype=dtype)


# -- histogram ------------------------------------------------------------------------

BINS = 16


@cuda.jit
def histogram_global(data, hist):
    i = cuda.grid(1)
    if i < data.shape[0]:
        cuda.atomic.add(hist, data[i] % BINS, 1)


@cuda.jit
def histogram_shared(data, hist):
    local = cuda.shared.array(BINS, np.int32)
    t = cuda.threadIdx.x
    if t < BINS:
        local[t] = 0
    cuda.syncthreads()
    i = cuda.grid(1)
    stride = cuda.gridsize(1)
    while i < data.shape[0]:
        cuda.atomic.add(local, data[i] % BINS, 1)
        i += stride
    cuda.syncthreads()
    if t < BINS:
        cuda.atomic.add(hist, t, local[t])


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=700), st.sampled_from(BATCHES))
def test_histogram_counts_are_exact(values: list[int], batch) -> None:
    data = np.array(values, np.int64)
    expected = np.bincount(data % BINS, minlength=BINS).astype(np.int32)
    hist = np.zeros(BINS, np.int32)
    launch(histogram_global, -(-len(data) // 64), 64, data, hist, max_threads_per_batch=batch)
    assert np.array_equal(hist, expected)
    hist = np.zeros(BINS, np.int32)
    launch(histogram_shared, 3, 32, data, hist, max_threads_per_batch=batch)
    assert np.array_equal(hist, expected)


# -- per-block inclusive scan ---------------------------------------------------------

@pytest.mark.parametrize("batch", BATCHES)
def test_per_block_inclusive_scan(batch) -> None:
    x = np.random.default_rng(2).integers(-50, 50, 300)
    out = np.zeros_like(x)
    launch(block_scan, -(-len(x) // SCAN), SCAN, x, out, max_threads_per_batch=batch)
    expected = np.concatenate([np.cumsum(x[k:k + SCAN]) for k in range(0, len(x), SCAN)])
    assert np.array_equal(out, expected)


# -- 3-point stencil with a shared halo ----------------------------------------------

STENCIL = 32


@cuda.jit
def stencil(x, out):
    s = cuda.shared.array(STENCIL + 2, np.float64)
    t = cuda.threadIdx.x
    i = cuda.grid(1)
    n = x.shape[0]
    s[t + 1] = x[i] if i < n else 0.0
    if t == 0:
        s[0] = x[i - 1] if 1 <= i <= n else 0.0
    if t == cuda.blockDim.x - 1:
        s[t + 2] = x[i + 1] if i + 1 < n else 0.0
    cuda.syncthreads()
    if i < n:
        out[i] = 0.25 * s[t] + 0.5 * s[t + 1] + 0.25 * s[t + 2]


@pytest.mark.parametrize("batch", BATCHES)
def test_three_point_stencil_with_halo(batch) -> None:
    x = np.random.default_rng(3).standard_normal(100)
    out = np.zeros_like(x)
    launch(stencil, -(-len(x) // STENCIL), STENCIL, x, out, max_threads_per_batch=batch)
    padded = np.concatenate([[0.0], x, [0.0]])
    assert np.array_equal(out, 0.25 * padded[:-2] + 0.5 * padded[1:-1] + 0.25 * padded[2:])


# -- bitonic sort ---------------------------------------------------------------------

@pytest.mark.parametrize("batch", BATCHES)
def test_bitonic_sort_of_128_per_block(batch) -> None:
    x = np.random.default_rng(4).standard_normal(3 * SORT).astype(np.float32)
    expected = np.sort(x.reshape(3, SORT), axis=1).reshape(-1)
    launch(bitonic_sort, 3, SORT, x, max_threads_per_batch=batch)
    assert np.array_equal(x, expected)


# -- warp reduction with shfl_down_sync -----------------------------------------------

def warp_sum_expected(x: np.ndarray) -> np.ndarray:
    v = x.reshape(-1, 32).copy()
    lane = np.arange(32)
    offset = 16
    while offset > 0:
        source = np.where(lane + offset <= 31, lane + offset, lane)   # out of range: own value
        v = v + v[:, source]
        offset //= 2
    return v[:, 0]


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.float64])
def test_warp_reduction_with_shfl_down(dtype) -> None:
    x = (np.random.default_rng(5).standard_normal(256) * 1000).astype(dtype)
    out = np.zeros(8, dtype)
    launch(warp_sum, 2, 128, x, out)
    assert same_bits(out, warp_sum_expected(x))
    if dtype == np.int32:
        assert np.array_equal(out, x.reshape(-1, 32).sum(axis=1, dtype=dtype))


# -- ballot + popc vote ---------------------------------------------------------------

def test_ballot_and_popc_vote() -> None:
    x = np.random.default_rng(6).standard_normal(128)
    x[32:64] = 1.0                  # a warp where every lane votes yes
    x[64:96] = -1.0                 # and one where none does
    ballots = np.zeros(128, np.uint32)
    ranks = np.zeros(128, np.int32)
    counts = np.zeros(4, np.int32)
    flags = np.zeros((128, 4), np.bool_)
    launch(vote, 1, 128, x, ballots, ranks, counts, flags)
    keep = (x > 0).reshape(4, 32)
    bits = (keep * (np.uint64(1) << np.arange(32, dtype=np.uint64))).sum(axis=1).astype(np.uint32)
    assert np.array_equal(ballots, np.repeat(bits, 32))
    assert np.array_equal(counts, keep.sum(axis=1))
    assert np.array_equal(ranks, (np.cumsum(keep, axis=1) - keep).reshape(-1))
    assert np.array_equal(flags[:, 0], np.repeat(keep.all(axis=1), 32))
    assert np.array_equal(flags[:, 1], np.repeat(keep.any(axis=1), 32))
    assert np.array_equal(flags[:, 2], np.repeat(keep.all(axis=1) | ~keep.any(axis=1), 32))
    assert flags[:, 3].all()


# -- per-thread sort in a local array -------------------------------------------------

@pytest.mark.parametrize("batch", BATCHES)
def test_per_thread_sort_in_a_local_array(batch) -> None:
    x = np.random.default_rng(7).integers(-100, 100, (50, ROW)).astype(np.int32)
    out = np.zeros_like(x)
    launch(local_sort, 2, 32, x, out, max_threads_per_batch=batch)
    assert np.array_equal(out, np.sort(x, axis=1))


# -- dynamic shared memory -----------------------------------------------------------

@cuda.jit
def reverse_in_block(x, out):
    s = cuda.shared.array(0, np.float32)
    t = cuda.threadIdx.x
    i = cuda.grid(1)
    s[t] = x[i]
    cuda.syncthreads()
    out[i] = s[cuda.blockDim.x - 1 - t]


@pytest.mark.parametrize("batch", BATCHES)
def test_dynamic_shared_memory_sized_by_the_launch(batch) -> None:
    x = np.arange(96, dtype=np.float32)
    out = np.zeros_like(x)
    launch(reverse_in_block, 3, 32, x, out, shared_bytes=32 * 4, max_threads_per_batch=batch)
    assert np.array_equal(out, x.reshape(3, 32)[:, ::-1].reshape(-1))
    out[:] = 0
    reverse_in_block[3, 32, 0, 32 * 4](x, out)          # numba's 4-item launch config
    assert np.array_equal(out, x.reshape(3, 32)[:, ::-1].reshape(-1))


@cuda.jit
def dynamic_aliases(out):
    words = cuda.shared.array(0, np.int32)
    raw = cuda.shared.array(0, np.uint8)
    t = cuda.threadIdx.x
    if t == 0:
        words[1] = 0x01020304
    cuda.syncthreads()
    out[t] = raw[t]


def test_dynamic_shared_arrays_alias_the_same_bytes() -> None:
    out = np.zeros(8, np.uint8)
    dynamic_aliases[1, 8, 0, 8](out)
    expected = np.array([0, 0x01020304], np.int32).view(np.uint8)
    assert np.array_equal(out, expected)


# -- syncthreads_count/and/or ---------------------------------------------------------

@cuda.jit
def barrier_votes(x, out):
    i = cuda.grid(1)
    if i >= x.shape[0]:
        return
    p = x[i] > 0
    out[i, 0] = cuda.syncthreads_count(p)
    out[i, 1] = cuda.syncthreads_and(p)
    out[i, 2] = cuda.syncthreads_or(p)


@pytest.mark.parametrize("batch", BATCHES)
def test_syncthreads_count_and_or(batch) -> None:
    x = np.random.default_rng(8).standard_normal(150)
    x[64:128] = 1.0        # block 1: every thread votes yes
    out = np.zeros((150, 3), np.int32)
    launch(barrier_votes, 3, 64, x, out, max_threads_per_batch=batch)
    for b in range(3):
        p = x[b * 64:(b + 1) * 64] > 0          # the last block's exited threads do not vote
        rows = out[b * 64:(b + 1) * 64]
        assert (rows[:, 0] == p.sum()).all()
        assert (rows[:, 1] == int(p.all())).all()
        assert (rows[:, 2] == int(p.any())).all()


# -- batch-size independence of a float atomic site ------------------------------------

@settings(max_examples=10, deadline=None)
@given(st.integers(1, 2000), st.sampled_from([1, 64, 300, 4096]))
def test_float_block_totals_do_not_depend_on_the_batch_size(n: int, batch: int) -> None:
    x = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    reference = np.zeros(1, np.float32)
    launch(block_sum, -(-n // TPB), TPB, x, reference)
    total = np.zeros(1, np.float32)
    launch(block_sum, -(-n // TPB), TPB, x, total, max_threads_per_batch=batch)
    assert same_bits(total, reference)


# -- shared arrays declared in device functions ----------------------------------------

@cuda.jit(device=True)
def reversed_in_block(v):
    s = cuda.shared.array(32, np.float32)
    s[cuda.threadIdx.x] = v
    cuda.syncthreads()
    r = s[31 - cuda.threadIdx.x]
    cuda.syncthreads()
    return r


@cuda.jit
def device_shared(x, out):
    mine = cuda.shared.array(32, np.float32)
    t = cuda.threadIdx.x
    i = cuda.grid(1)
    mine[t] = x[i] * 2
    cuda.syncthreads()
    out[i] = reversed_in_block(x[i]) + reversed_in_block(mine[t]) + mine[t]


@pytest.mark.parametrize("batch", BATCHES)
def test_a_device_function_shared_array_is_its_own_per_block_array(batch) -> None:
    x = np.arange(64, dtype=np.float32)
    out = np.zeros_like(x)
    launch(device_shared, 2, 32, x, out, max_threads_per_batch=batch)
    blocks = x.reshape(2, 32)
    assert np.array_equal(out, (blocks[:, ::-1] * 3 + blocks * 2).reshape(-1))


# -- local arrays are fresh on every execution; dynamic shared memory bounds ------------

@cuda.jit
def fresh_local(out):
    t = cuda.threadIdx.x
    for k in range(3):
        scratch = cuda.local.array(4, np.int32)
        scratch[k] += t + 1              # reads the fresh zero, never last iteration's value
        out[t, k] = scratch[k] + scratch[(k + 1) % 4]


def test_a_local_array_is_zeroed_each_time_its_declaration_runs() -> None:
    out = np.zeros((8, 3), np.int32)
    launch(fresh_local, 1, 8, out)
    assert np.array_equal(out, np.repeat(np.arange(1, 9)[:, None], 3, axis=1))


@cuda.jit
def dynamic_overrun(out):
    s = cuda.shared.array(0, np.float32)
    t = cuda.threadIdx.x
    s[t] = t
    out[t] = s[t]


def test_dynamic_shared_memory_holds_whole_elements_only() -> None:
    out = np.zeros(3, np.float32)
    dynamic_overrun[1, 2, 0, 10](out[:2].copy())            # 10 bytes: two float32s
    with pytest.raises(simt.KernelRuntimeError,
                       match="index 2 is out of bounds for axis 0 of array 'shared1' with size 2"):
        dynamic_overrun[1, 3, 0, 10](out)
