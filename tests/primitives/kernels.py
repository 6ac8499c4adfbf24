"""Cooperative kernels shared by the numpy-target tests (tests/primitives) and the
numpy vs ptx-emu tests (tests/differential/test_primitives_ptx_emu.py), written as
users write them (numba.cuda style)."""
from __future__ import annotations

import numpy as np

from simt import cuda

SCAN = 64      # block_scan: threads per block
SORT = 128     # bitonic_sort: elements (and threads) per block
ROW = 8        # local_sort: elements per thread
TPB = 128      # block_sum: threads per block

# The dtypes each atomic accepts (numba.cuda's), for the atomic tests of both suites.
ATOMIC_DTYPES = {
    "add": (np.int32, np.uint32, np.int64, np.uint64, np.float32, np.float64),
    "sub": (np.int32, np.uint32, np.int64, np.uint64, np.float32, np.float64),
    "max": (np.int32, np.uint32, np.int64, np.uint64, np.float32, np.float64),
    "min": (np.int32, np.uint32, np.int64, np.uint64, np.float32, np.float64),
    "exch": (np.int32, np.uint32, np.int64, np.uint64, np.float32, np.float64),
    "inc": (np.uint32,),
    "dec": (np.uint32,),
    "and": (np.int32, np.uint32, np.int64, np.uint64),
    "or": (np.int32, np.uint32, np.int64, np.uint64),
    "xor": (np.int32, np.uint32, np.int64, np.uint64),
    "cas": (np.int32, np.uint32, np.int64, np.uint64),
}


@cuda.jit
def atomic_cas(arr, idx, vals, cmp, old):
    i = cuda.grid(1)
    if i < idx.shape[0]:
        old[i] = cuda.atomic.cas(arr, idx[i], cmp[i], vals[i])


@cuda.jit
def block_scan(x, out):
    s = cuda.shared.array(SCAN, np.int64)
    t = cuda.threadIdx.x
    i = cuda.grid(1)
    s[t] = x[i] if i < x.shape[0] else 0
    cuda.syncthreads()
    d = 1
    while d < SCAN:
        v = s[t - d] if t >= d else 0
        cuda.syncthreads()
        s[t] += v
        cuda.syncthreads()
        d *= 2
    if i < x.shape[0]:
        out[i] = s[t]


@cuda.jit
def bitonic_sort(x):
    s = cuda.shared.array(SORT, np.float32)
    t = cuda.threadIdx.x
    base = cuda.blockIdx.x * SORT
    s[t] = x[base + t]
    cuda.syncthreads()
    k = 2
    while k <= SORT:
        j = k // 2
        while j > 0:
            partner = t ^ j
            if partner > t:
                a = s[t]
                b = s[partner]
                ascending = (t & k) == 0
                if (ascending and a > b) or (not ascending and a < b):
                    s[t] = b
                    s[partner] = a
            cuda.syncthreads()
            j //= 2
        k *= 2
    x[base + t] = s[t]


@cuda.jit
def warp_sum(x, out):
    i = cuda.grid(1)
    v = x[i]
    offset = 16
    while offset > 0:
        v += cuda.shfl_down_sync(0xFFFFFFFF, v, offset)
        offset //= 2
    if cuda.laneid == 0:
        out[i // 32] = v


@cuda.jit
def vote(x, ballots, ranks, counts, flags):
    i = cuda.grid(1)
    keep = x[i] > 0
    ballot = cuda.ballot_sync(0xFFFFFFFF, keep)
    ballots[i] = ballot
    ranks[i] = cuda.popc(ballot & cuda.lanemask_lt())     # stream-compaction slot
    if cuda.laneid == 0:
        counts[i // 32] = cuda.popc(ballot)
    flags[i, 0] = cuda.all_sync(0xFFFFFFFF, keep)
    flags[i, 1] = cuda.any_sync(0xFFFFFFFF, keep)
    flags[i, 2] = cuda.eq_sync(0xFFFFFFFF, keep)
    flags[i, 3] = cuda.activemask() == 0xFFFFFFFF


@cuda.jit
def local_sort(x, out):
    i = cuda.grid(1)
    if i < out.shape[0]:
        a = cuda.local.array(ROW, np.int32)
        for k in range(ROW):
            a[k] = x[i, k]
        for p in range(ROW):
            for q in range(ROW - 1 - p):
                if a[q] > a[q + 1]:
                    tmp = a[q]
                    a[q] = a[q + 1]
                    a[q + 1] = tmp
        for k in range(ROW):
            out[i, k] = a[k]


@cuda.jit
def block_sum(x, total):
    s = cuda.shared.array(TPB, x.dtype)
    t = cuda.threadIdx.x
    i = cuda.grid(1)
    s[t] = x[i] if i < x.shape[0] else 0
    cuda.syncthreads()
    stride = TPB // 2
    while stride > 0:
        if t < stride:
            s[t] += s[t + stride]
        cuda.syncthreads()
        stride //= 2
    if t == 0:
        cuda.atomic.add(total, 0, s[0])
