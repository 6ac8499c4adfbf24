"""Barriers: when they open, exited threads counting as arrived, and barrier
divergence reported as an error naming the kernel, the line and the block."""
from __future__ import annotations

import numpy as np
import pytest

import simt
from simt import cuda

from .support import launch


def _line(kernel, offset: int) -> int:
    return kernel.py_func.__code__.co_firstlineno + offset


@cuda.jit
def half_block_barrier(out):
    t = cuda.threadIdx.x
    if t < 16:
        cuda.syncthreads()
    out[t] = t
    cuda.syncthreads()


def test_a_barrier_only_half_the_block_reaches_is_an_error() -> None:
    with pytest.raises(simt.KernelRuntimeError) as caught:
        launch(half_block_barrier, 1, 32, np.zeros(32, np.int32))
    error = caught.value
    message = str(error)
    assert "barrier divergence in block blockIdx=(0, 0, 0)" in message
    assert "16 thread(s) wait at this syncthreads() (first: threadIdx=(0, 0, 0))" in message
    assert "16 other live thread(s) of the block cannot reach it (first: threadIdx=(16, 0, 0)" in message
    assert "'half_block_barrier'" in message
    assert error.loc.line == _line(half_block_barrier, 4)
    assert "        cuda.syncthreads()" in message               # the user's source line


@cuda.jit
def one_block_diverges(out):
    t = cuda.threadIdx.x
    if cuda.blockIdx.x == 2 and t >= 5:
        cuda.syncthreads()
    out[cuda.grid(1)] = 1
    cuda.syncthreads()


@pytest.mark.parametrize("batch", [None, 32])
def test_the_error_names_the_block_that_diverged(batch) -> None:
    with pytest.raises(simt.KernelRuntimeError, match=r"block blockIdx=\(2, 0, 0\): 27 thread"):
        launch(one_block_diverges, 4, 32, np.zeros(128, np.int32), max_threads_per_batch=batch)


@cuda.jit
def barrier_in_divergent_loop(out):
    t = cuda.threadIdx.x
    for _ in range(t % 3):
        cuda.syncthreads()
    out[t] = 1


def test_a_barrier_in_a_loop_with_per_thread_trip_counts_is_an_error() -> None:
    with pytest.raises(simt.KernelRuntimeError, match="barrier divergence") as caught:
        launch(barrier_in_divergent_loop, 1, 32, np.zeros(32, np.int32))
    assert caught.value.loc.line == _line(barrier_in_divergent_loop, 4)


@cuda.jit
def two_barriers(out):
    t = cuda.threadIdx.x
    if t % 2 == 0:
        cuda.syncthreads()
    else:
        cuda.syncthreads_count(True)
    out[t] = 1


def test_threads_at_different_barriers_are_an_error() -> None:
    with pytest.raises(simt.KernelRuntimeError) as caught:
        launch(two_barriers, 1, 32, np.zeros(32, np.int32))
    message = str(caught.value)
    assert "waiting at another barrier at line " in message


@cuda.jit
def early_return(x, out):
    i = cuda.grid(1)
    if i >= x.shape[0]:
        return
    s = cuda.shared.array(64, np.float32)
    s[cuda.threadIdx.x] = x[i]
    cuda.syncthreads()
    out[i] = s[(cuda.threadIdx.x + 1) % 64]


def test_exited_threads_count_as_arrived() -> None:
    x = np.arange(100, dtype=np.float32)
    out = np.zeros(100, np.float32)
    launch(early_return, 2, 64, x, out)
    assert np.array_equal(out[:64], np.roll(x[:64], -1))
    # Block 1 has 36 live threads; thread 35 reads s[36], never written: zero.
    assert np.array_equal(out[64:99], x[65:100]) and out[99] == 0


@cuda.jit
def barrier_at_the_very_end(out):
    t = cuda.threadIdx.x
    out[t] = t
    if t < 16:
        cuda.syncthreads()


def test_threads_that_only_exit_after_skipping_a_barrier_count_as_arrived() -> None:
    out = np.zeros(32, np.int32)
    launch(barrier_at_the_very_end, 1, 32, out)
    assert np.array_equal(out, np.arange(32))


@cuda.jit
def block_uniform_barrier(out):
    if cuda.blockIdx.x % 2 == 0:
        cuda.syncthreads()
    out[cuda.grid(1)] = cuda.blockIdx.x
    cuda.syncthreads()


@pytest.mark.parametrize("batch", [None, 32, 64])
def test_blocks_may_skip_a_barrier_together(batch) -> None:
    out = np.zeros(128, np.int32)
    launch(block_uniform_barrier, 4, 32, out, max_threads_per_batch=batch)
    assert np.array_equal(out, np.repeat(np.arange(4), 32))


@cuda.jit
def barrier_in_uniform_loop(x, out):
    s = cuda.shared.array(32, np.int64)
    t = cuda.threadIdx.x
    s[t] = x[cuda.grid(1)]
    for step in range(5):
        cuda.syncthreads()
        v = s[(t + 1) % 32]
        cuda.syncthreads()
        if t % 2 == step % 2:
            s[t] = v + s[t]
        else:
            s[t] = v - s[t]
    out[cuda.grid(1)] = s[t]


@pytest.mark.parametrize("batch", [None, 32])
def test_barriers_in_a_loop_with_divergent_code_between_them(batch) -> None:
    x = np.random.default_rng(0).integers(-9, 9, 64)
    out = np.zeros(64, np.int64)
    launch(barrier_in_uniform_loop, 2, 32, x, out, max_threads_per_batch=batch)
    s = x.reshape(2, 32).copy()
    t = np.arange(32)
    for step in range(5):
        v = np.roll(s, -1, axis=1)
        s = np.where(t % 2 == step % 2, v + s, v - s)
    assert np.array_equal(out, s.reshape(-1))


@cuda.jit
def fences(x, out):
    i = cuda.grid(1)
    out[i] = x[i]
    cuda.threadfence_block()
    cuda.threadfence()
    cuda.threadfence_system()
    out[i] += 1


def test_fences_are_ordering_no_ops_on_the_reference() -> None:
    x = np.arange(8.0)
    out = np.zeros(8)
    launch(fences, 1, 8, x, out)
    assert np.array_equal(out, x + 1)
