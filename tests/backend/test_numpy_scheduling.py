"""Plans and scheduling for cooperative code on the numpy target, on hand-built IR:
blocks are cut at barriers, quietly exiting segments are recognised, loop headers
wait for the iteration's stragglers, and per-block values (barrier counts, shared
memory) are independent of how blocks are batched."""
from __future__ import annotations

import numpy as np
import pytest

from simt.backends.numpy import NUMPY_IMPL, launch
from simt.backends.numpy.plan import build_plan
from simt.ir import ArrayType, Op
from simt.ir.types import MemorySpace, int32, int64

from .test_numpy_support import KernelBuilder, array


def barrier_kernel() -> KernelBuilder:
    """``s = shared(64); t = threadIdx.x; if t >= n: return; s[t] = t; n = syncthreads_count(t < 5);
    out[global] = s[(t + 1) % blockDim] + n``."""
    k = KernelBuilder("barriers", [("out", array(int32)), ("n", int32)])
    f = k.function
    k.line(2)
    shared = k.value(Op.SHARED_ARRAY, [], ArrayType(int32, 1, MemorySpace.SHARED),
                     {"shape": (64,), "name": "s"})
    t = k.special(Op.THREAD_IDX)
    body, done = f.new_block("body"), f.new_block("done")
    k.cbr(k.op(Op.LT, t, k.arg["n"]), body, [], done, [])
    k.set_block(done)
    k.ret()
    k.set_block(body)
    k.line(3)
    k.store(shared, t, t)
    k.line(4)
    count = k.value(Op.BARRIER, [k.op(Op.LT, t, k.c(5, int32))], int32, {"kind": "count"})
    k.line(5)
    neighbour = k.op(Op.MOD, k.op(Op.ADD, t, k.c(1, int32)), k.special(Op.BLOCK_DIM))
    k.store(k.arg["out"], k.global_id(), k.op(Op.ADD, k.load(shared, neighbour), count))
    k.ret()
    return k


def test_blocks_are_cut_before_each_barrier() -> None:
    plan = build_plan(barrier_kernel().function, NUMPY_IMPL)
    body = [s for s in plan.blocks if s.label == "body"]
    assert len(body) == 2
    before, after = body
    assert before.barrier is None and before.continuation == after.position
    assert after.barrier is not None and after.ops[0] is after.barrier
    assert before.successor_positions == (after.position,)
    done = next(s for s in plan.blocks if s.label == "done")
    assert done.exits_quietly and not before.exits_quietly and plan.has_barriers


@pytest.mark.parametrize("batch", [None, 32, 64])
def test_barrier_counts_and_shared_memory_per_block(batch) -> None:
    out = np.full(4 * 32, -1, np.int32)
    launch(barrier_kernel().function, (4, 1, 1), (32, 1, 1), [out, np.int32(20)],
           max_threads_per_batch=batch)
    t = np.arange(32)
    # Threads 20.. of each block exit; they do not count, and s[20] is still zero.
    expected = np.where(t < 20, np.where(t + 1 < 20, t + 1, 0) + 5, -1)
    assert np.array_equal(out, np.tile(expected, 4))


def two_back_edges() -> KernelBuilder:
    """``for k in range(iters): if (t + k) % 2: a += 1 (back edge) else: b += 1 (back edge)``,
    then ``out[t] = a * 100 + b``."""
    k = KernelBuilder("two_back_edges", [("out", array(int64)), ("iters", int64)])
    f = k.function
    t = k.cast(k.special(Op.THREAD_IDX), int64)
    header, test, odd, even, exit_ = (f.new_block(n) for n in ("header", "test", "odd", "even", "exit"))
    zero, one = k.c(0, int64), k.c(1, int64)
    k.br(header, [zero, zero, zero])
    i, a, b = (header.add_param(int64, name) for name in ("i", "a", "b"))
    k.set_block(header)
    k.cbr(k.op(Op.LT, i, k.arg["iters"]), test, [], exit_, [])
    k.set_block(test)
    parity = k.op(Op.MOD, k.op(Op.ADD, t, i), k.c(2, int64))
    k.cbr(k.op(Op.EQ, parity, one), odd, [], even, [])
    k.set_block(odd)
    k.br(header, [k.op(Op.ADD, i, one), k.op(Op.ADD, a, one), b])
    k.set_block(even)
    k.br(header, [k.op(Op.ADD, i, one), a, k.op(Op.ADD, b, one)])
    k.set_block(exit_)
    k.store(k.arg["out"], t, k.op(Op.ADD, k.op(Op.MUL, a, k.c(100, int64)), b))
    k.ret()
    return k


def test_a_loop_header_waits_for_every_path_through_the_body(monkeypatch) -> None:
    from simt.backends.numpy import interpreter

    runs: dict[str, int] = {}
    original = interpreter.Frame.run

    def counting(self, block_plan):
        runs[block_plan.label] = runs.get(block_plan.label, 0) + 1
        return original(self, block_plan)
    monkeypatch.setattr(interpreter.Frame, "run", counting)
    out = np.zeros(8, np.int64)
    launch(two_back_edges().function, (1, 1, 1), (8, 1, 1), [out, np.int64(5)])
    t = np.arange(8)
    odd = np.array([sum((x + k) % 2 for k in range(5)) for x in t])
    assert np.array_equal(out, odd * 100 + (5 - odd))
    # Lockstep: one execution of the header per iteration (plus the exit test).
    assert runs["header"] == 6 and runs["test"] == 5


def test_shared_arrays_need_whole_blocks_per_batch() -> None:
    """A batch never splits a block, even when max_threads_per_batch is smaller."""
    out = np.full(2 * 48, -1, np.int32)
    launch(barrier_kernel().function, (2, 1, 1), (48, 1, 1), [out, np.int32(48)],
           max_threads_per_batch=7)
    t = np.arange(48)
    assert np.array_equal(out, np.tile((t + 1) % 48 + 5, 2))
