"""The CPython oracle's block and warp primitives (simt/testing/cooperative.py).

Random kernels with shared memory, barriers, warp shuffles and votes and atomics
are only checked if the oracle gives them a meaning; these tests pin that meaning
down, on its own and against the targets.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import simt
from simt.testing import assert_agree, run_python
from simt.testing.cooperative import CollectiveError, brev, clz, ffs, popc


@simt.kernel
def reverse_through_shared(x, out):
    tile = simt.shared.array(64, np.float32)
    t = simt.threadIdx.x
    tile[t] = x[simt.grid(1)]
    simt.syncthreads()
    out[simt.grid(1)] = tile[63 - t] + simt.syncthreads_count(x[simt.grid(1)] > 0)


def test_barrier_and_shared_memory_per_block():
    x = np.arange(128, dtype=np.float32) - 60
    out = np.zeros(128, np.float32)
    run_python(reverse_through_shared, 2, 64, [x, out])
    expected = np.concatenate([x[:64][::-1] + (x[:64] > 0).sum(), x[64:][::-1] + 64])
    np.testing.assert_array_equal(out, expected)


@simt.kernel
def shuffles(x, out):
    t = simt.threadIdx.x
    v = x[t]
    out[t, 0] = simt.shfl_down_sync(0xFFFFFFFF, v, 3)
    out[t, 1] = simt.shfl_up_sync(0xFFFFFFFF, v, 5)
    out[t, 2] = simt.shfl_xor_sync(0xFFFFFFFF, v, 9)
    out[t, 3] = simt.shfl_sync(0xFFFFFFFF, v, t + 33)        # lane (t + 33) & 31
    out[t, 4] = simt.ballot_sync(0xFFFFFFFF, v % 3 == 0)
    out[t, 5] = simt.any_sync(0xFFFFFFFF, v == 7) + 2 * simt.all_sync(0xFFFFFFFF, v >= 0)
    out[t, 6] = simt.eq_sync(0xFFFFFFFF, v < 100) + 2 * simt.activemask()


def test_shuffle_and_vote_semantics():
    x = np.arange(64, dtype=np.int64)
    out = np.zeros((64, 7), np.int64)
    run_python(shuffles, 1, 64, [x, out])
    lane = np.arange(64) % 32
    base = np.arange(64) - lane
    np.testing.assert_array_equal(out[:, 0], np.where(lane + 3 <= 31, x + 3, x))
    np.testing.assert_array_equal(out[:, 1], np.where(lane - 5 >= 0, x - 5, x))
    np.testing.assert_array_equal(out[:, 2], base + (lane ^ 9))
    np.testing.assert_array_equal(out[:, 3], base + (lane + 1) % 32)
    ballot = [sum(1 << i for i in range(32) if (w * 32 + i) % 3 == 0) for w in (0, 1)]
    np.testing.assert_array_equal(out[:, 4], np.repeat(ballot, 32))
    np.testing.assert_array_equal(out[:, 5], np.repeat([3, 2], 32))
    np.testing.assert_array_equal(out[:, 6], (1 + 2 * 0xFFFFFFFF) % 2 ** 32)   # uint32 wraps


def test_primitives_agree_with_the_targets():
    assert_agree(reverse_through_shared, 2, 64, hnp.arrays(np.float32, 128, elements=st.floats(
        -100, 100, width=32)), np.zeros(128, np.float32), max_examples=5)
    assert_agree(shuffles, 1, 64, hnp.arrays(np.int64, 64, elements=st.integers(-50, 50)),
                 np.zeros((64, 7), np.int64), max_examples=5)


@simt.kernel
def atomics(counts, private):
    t = simt.grid(1)
    simt.atomic.add(counts, 0, np.int32(1))
    simt.atomic.max(counts, 1, np.int32(t))
    private[t, 0] = simt.atomic.exch(private, (t, 1), np.int64(t))
    private[t, 2] = simt.atomic.cas(private, (t, 1), np.int64(t), np.int64(-t))


@simt.kernel
def wrapping_counters(counters):
    simt.atomic.inc(counters, 0, np.uint32(4))
    simt.atomic.dec(counters, 1, np.uint32(4))


def test_atomics():
    counts = np.zeros(2, np.int32)
    private = np.full((8, 3), 9, np.int64)
    run_python(atomics, 1, 8, [counts, private])
    assert counts.tolist() == [8, 7]
    np.testing.assert_array_equal(private[:, 0], 9)              # exch returns the old value
    np.testing.assert_array_equal(private[:, 1], -np.arange(8))  # cas swapped (t == t)
    np.testing.assert_array_equal(private[:, 2], np.arange(8))
    counters = np.array([0, 0], np.uint32)
    run_python(wrapping_counters, 1, 7, [counters])
    assert counters.tolist() == [7 % 5, (0 - 7) % 5]
    assert_agree(wrapping_counters, 1, 7, np.array([3, 9], np.uint32), max_examples=1)


@simt.kernel
def barrier_after_exit(out):
    t = simt.threadIdx.x
    if t == 3:
        return
    simt.syncthreads()
    out[t] = 1


@simt.kernel
def shuffle_in_divergent_code(out):
    t = simt.threadIdx.x
    if t < 16:
        out[t] = simt.shfl_down_sync(0xFFFFFFFF, t, 1)


@pytest.mark.parametrize("kernel", [barrier_after_exit, shuffle_in_divergent_code])
def test_collectives_some_threads_never_reach_are_errors(kernel):
    with pytest.raises(CollectiveError):
        run_python(kernel, 1, 32, [np.zeros(32, np.int32)])


@pytest.mark.parametrize("value", [np.int8(-1), np.uint8(6), np.int32(-2 ** 31), np.uint64(1),
                                   np.int64(0), np.int16(0x1234), 12])
def test_bit_operations(value):
    width = value.dtype.itemsize * 8 if isinstance(value, np.generic) else 64
    bits = int(value) & ((1 << width) - 1)
    text = f"{bits:0{width}b}"
    assert popc(value) == text.count("1")
    assert clz(value) == len(text) - len(text.lstrip("0"))
    assert ffs(value) == (0 if bits == 0 else width - text.rindex("1"))
    reversed_bits = int(text[::-1], 2)
    assert int(np.asarray(brev(value)).astype(f"u{width // 8}")) == reversed_bits


@simt.kernel
def bits_and_local(x, out):
    t = simt.grid(1)
    scratch = simt.local.array(3, np.int32)
    for k in range(3):
        scratch[k] = simt.popc(x[t]) + k
    out[t, 0] = scratch[t % 3] + simt.clz(x[t]) + simt.ffs(x[t])
    out[t, 1] = simt.brev(x[t])


def test_bits_and_local_arrays_agree_with_the_targets():
    assert_agree(bits_and_local, 2, 16, hnp.arrays(np.int32, 32, elements=st.integers(-2 ** 31, 2 ** 31 - 1)),
                 np.zeros((32, 2), np.int32), max_examples=10)
