"""Memory, launches and effects on the numpy target: bounds errors and their message,
Python's negative indices, multi-dimensional launches and arrays, store races,
aliasing arguments, print order, argument checks and the plan cache."""
from __future__ import annotations

import numpy as np
import pytest

from simt.backends.numpy import launch
from simt.ir import KernelRuntimeError, LaunchError, Op
from simt.ir.types import float32, float64, int8, int32, int64, uint8, uint64

from .test_numpy_support import KernelBuilder, array, reference_launch, saxpy_kernel


def copy_at_offset(offset_type=int64) -> KernelBuilder:
    """``out[i] = x[i + offset]`` for every thread (no guard)."""
    k = KernelBuilder("shift", [("x", array(float64)), ("out", array(float64)), ("offset", offset_type)])
    k.line(7)
    i = k.cast(k.global_id(), offset_type)
    value = k.load(k.arg["x"], k.op(Op.ADD, i, k.arg["offset"]))
    k.line(8)
    k.store(k.arg["out"], i, value)
    k.ret()
    return k


# -- bounds -------------------------------------------------------------------------

def test_out_of_bounds_load_names_kernel_line_array_index_and_thread() -> None:
    k = copy_at_offset()
    x, out = np.arange(10.0), np.zeros(64)
    with pytest.raises(KernelRuntimeError) as caught:
        launch(k.function, (2, 1, 1), (32, 1, 1), [x, out, np.int64(0)])
    message = str(caught.value)
    assert "'shift'" in message                       # the kernel
    assert "kernels.py:7" in message                  # the user's line
    assert "'x'" in message                           # the array
    assert "index 10" in message and "size 10" in message
    assert "threadIdx=(10, 0, 0)" in message and "blockIdx=(0, 0, 0)" in message
    assert caught.value.loc.line == 7


def test_first_offending_thread_is_reported_for_a_gathered_index() -> None:
    k = KernelBuilder("gather", [("idx", array(int64)), ("x", array(float32)), ("out", array(float32))])
    i = k.cast(k.global_id(), int64)
    k.line(3)
    k.store(k.arg["out"], i, k.load(k.arg["x"], k.load(k.arg["idx"], i)))
    k.ret()
    idx = np.array([0, 1, 2, 3, 4, 5, 6, 7, 99, 8, -100, 1] * 4, np.int64)[:40]
    with pytest.raises(KernelRuntimeError) as caught:
        launch(k.function, (5, 1, 1), (8, 1, 1), [idx, np.zeros(10, np.float32), np.zeros(40, np.float32)])
    message = str(caught.value)
    assert "index 99" in message and "threadIdx=(0, 0, 0)" in message and "blockIdx=(1, 0, 0)" in message


def test_out_of_bounds_store_writes_nothing() -> None:
    k = copy_at_offset()
    out = np.zeros(40)
    with pytest.raises(KernelRuntimeError, match="index 40 is out of bounds for axis 0 of array 'out'"):
        launch(k.function, (1, 1, 1), (64, 1, 1), [np.arange(100.0), out, np.int64(0)])
    assert not out.any()


def test_uniform_out_of_bounds_index() -> None:
    k = KernelBuilder("uniform_oob", [("x", array(int32))])
    k.line(2)
    k.store(k.arg["x"], k.c(5, int64), k.c(1, int32))
    k.ret()
    with pytest.raises(KernelRuntimeError, match=r"index 5 is out of bounds for axis 0 of array 'x' with size 5"):
        launch(k.function, (1, 1, 1), (4, 1, 1), [np.zeros(5, np.int32)])


@pytest.mark.parametrize("offset_type", [int64, int32, int8], ids=str)
def test_negative_indices_wrap_once_like_python(offset_type) -> None:
    k = copy_at_offset(offset_type)
    x, out = np.arange(100.0), np.zeros(32)
    launch(k.function, (1, 1, 1), (32, 1, 1), [x, out, offset_type.dtype.type(-50)])
    np.testing.assert_array_equal(out, x[np.arange(32) - 50])
    small = np.arange(20.0)
    with pytest.raises(KernelRuntimeError, match="index -21 is out of bounds"):
        launch(k.function, (1, 1, 1), (32, 1, 1), [small, out, offset_type.dtype.type(-21)])


def test_indices_crossing_zero_wrap_per_thread() -> None:
    k = copy_at_offset()
    x, out = np.arange(50.0), np.zeros(32)
    launch(k.function, (1, 1, 1), (32, 1, 1), [x, out, np.int64(-10)])
    np.testing.assert_array_equal(out, [x[i - 10] for i in range(32)])


def test_unsigned_indices_including_huge_ones() -> None:
    k = KernelBuilder("unsigned", [("idx", array(uint64)), ("x", array(uint8)), ("out", array(uint8))])
    i = k.cast(k.global_id(), int64)
    k.store(k.arg["out"], i, k.load(k.arg["x"], k.load(k.arg["idx"], i)))
    k.ret()
    x = np.arange(10, dtype=np.uint8)
    out = np.zeros(4, np.uint8)
    launch(k.function, (1, 1, 1), (4, 1, 1), [np.array([3, 0, 9, 1], np.uint64), x, out])
    np.testing.assert_array_equal(out, [3, 0, 9, 1])
    with pytest.raises(KernelRuntimeError, match="index 18446744073709551615"):
        launch(k.function, (1, 1, 1), (4, 1, 1), [np.array([0, 2 ** 64 - 1, 0, 0], np.uint64), x, out])


# -- multi-dimensional launches and arrays ------------------------------------------------

def transpose_2d() -> KernelBuilder:
    """``out[col, row] = src[row, col] * 2`` over a 2-D grid of 2-D blocks."""
    k = KernelBuilder("transpose", [("src", array(float32, 2)), ("out", array(float32, 2))])
    f, src, out = k.function, k.arg["src"], k.arg["out"]
    col = k.cast(k.global_id(0), int64)
    row = k.cast(k.global_id(1), int64)
    inside, done = f.new_block("inside"), f.new_block("done")
    fits = k.op(Op.AND, k.op(Op.LT, row, k.dim(src, 0)), k.op(Op.LT, col, k.dim(src, 1)))
    k.cbr(fits, inside, [], done, [])
    k.set_block(inside)
    k.store(out, col, row, k.op(Op.MUL, k.load(src, row, col), k.c(2.0, float32)))
    k.br(done)
    k.set_block(done)
    k.ret()
    return k


@pytest.mark.parametrize("batch", [None, 1, 7 * 5 * 3])
def test_2d_launch_and_arrays(batch) -> None:
    src = np.arange(37 * 23, dtype=np.float32).reshape(37, 23)
    out = np.zeros((23, 37), np.float32)
    launch(transpose_2d().function, (5, 8, 1), (7, 5, 1), [src, out], max_threads_per_batch=batch)
    np.testing.assert_array_equal(out, src.T * 2)


def test_3d_launch_writes_every_coordinate() -> None:
    """``out[z, y, x] = linear thread id + 1000 * lane_id`` via all special registers."""
    k = KernelBuilder("coords", [("out", array(int64, 3))])
    out = k.arg["out"]
    coords = [k.cast(k.global_id(axis), int64) for axis in range(3)]
    tid = [k.cast(k.special(Op.THREAD_IDX, a), int64) for a in range(3)]
    bdim = [k.cast(k.special(Op.BLOCK_DIM, a), int64) for a in range(3)]
    gdim = [k.cast(k.special(Op.GRID_DIM, a), int64) for a in range(3)]
    linear = k.op(Op.ADD, tid[0], k.op(Op.MUL, bdim[0], k.op(Op.ADD, tid[1], k.op(Op.MUL, bdim[1], tid[2]))))
    lane = k.cast(k.special(Op.LANE_ID), int64)
    grid_size = k.op(Op.MUL, gdim[0], k.op(Op.MUL, gdim[1], gdim[2]))
    value = k.op(Op.ADD, k.op(Op.ADD, linear, k.op(Op.MUL, lane, k.c(1000, int64))),
                 k.op(Op.MUL, grid_size, k.c(10 ** 6, int64)))
    k.store(out, coords[2], coords[1], coords[0], value)
    k.ret()
    grid, block = (2, 3, 2), (4, 3, 5)
    shape = tuple(g * b for g, b in zip(grid, block))[::-1]
    expected = np.zeros(shape, np.int64)
    reference_launch(k.function, grid, block, [expected])
    assert (expected // 10 ** 6 == 12).all()
    for batch in (None, 60, 120, 1):
        got = np.zeros(shape, np.int64)
        launch(k.function, grid, block, [got], max_threads_per_batch=batch)
        np.testing.assert_array_equal(got, expected)


def test_lane_id_in_big_blocks() -> None:
    k = KernelBuilder("lanes", [("out", array(int32))])
    k.store(k.arg["out"], k.cast(k.global_id(), int64), k.special(Op.LANE_ID))
    k.ret()
    out = np.zeros(2 * 96, np.int32)
    launch(k.function, (2, 1, 1), (96, 1, 1), [out])
    np.testing.assert_array_equal(out, np.tile(np.arange(96) % 32, 2))


# -- stores, races and aliasing ------------------------------------------------------------

def test_racing_stores_keep_the_highest_thread() -> None:
    k = KernelBuilder("race", [("out", array(int64)), ("idx", array(int64))])
    i = k.cast(k.global_id(), int64)
    k.store(k.arg["out"], k.load(k.arg["idx"], i), i)                      # gathered address
    k.store(k.arg["out"], k.c(7, int64), k.op(Op.MUL, i, k.c(10, int64)))  # uniform address
    k.ret()
    n = 5000
    idx = (np.arange(n) % 5).astype(np.int64)
    out = np.zeros(8, np.int64)
    launch(k.function, (n // 100, 1, 1), (100, 1, 1), [out, idx])
    np.testing.assert_array_equal(out[:5], [n - 5, n - 4, n - 3, n - 2, n - 1])
    assert out[7] == (n - 1) * 10


def test_in_place_update_with_the_same_array_twice() -> None:
    """``k(a, a)``: a value loaded through the argument that is never stored must not
    change when the other argument (the same memory) is stored afterwards."""
    k = KernelBuilder("alias", [("src", array(float64)), ("dst", array(float64))])
    i = k.cast(k.global_id(), int64)
    before = k.load(k.arg["src"], i)
    k.store(k.arg["dst"], i, k.op(Op.ADD, before, k.c(1.0, float64)))
    k.store(k.arg["dst"], i, k.op(Op.MUL, before, k.c(10.0, float64)))
    k.ret()
    data = np.arange(8.0)
    launch(k.function, (1, 1, 1), (8, 1, 1), [data, data])
    np.testing.assert_array_equal(data, np.arange(8.0) * 10)


def test_loaded_values_do_not_change_when_the_array_is_stored_later() -> None:
    k = KernelBuilder("load_then_store", [("x", array(float64)), ("out", array(float64))])
    i = k.cast(k.global_id(), int64)
    old = k.load(k.arg["x"], i)
    k.store(k.arg["x"], i, k.c(-1.0, float64))
    k.store(k.arg["out"], i, old)
    k.ret()
    x, out = np.arange(16.0), np.zeros(16)
    launch(k.function, (2, 1, 1), (8, 1, 1), [x, out])
    np.testing.assert_array_equal(out, np.arange(16.0))
    assert (x == -1).all()


def _choose_array(threshold: int) -> KernelBuilder:
    """``target = a if threadIdx.x < threshold else b; target[i] = 1`` (an array phi)."""
    k = KernelBuilder("choose", [("a", array(int32)), ("b", array(int32))])
    f = k.function
    use_a, use_b, join = f.new_block("use_a"), f.new_block("use_b"), f.new_block("join")
    tid = k.special(Op.THREAD_IDX)
    k.cbr(k.op(Op.LT, tid, k.c(threshold, int32)), use_a, [], use_b, [])
    k.set_block(use_a)
    k.br(join, [k.arg["a"]])
    k.set_block(use_b)
    k.br(join, [k.arg["b"]])
    target = join.add_param(array(int32), "target")
    k.set_block(join)
    k.line(5)
    k.store(target, k.cast(tid, int64), k.c(1, int32))
    k.ret()
    return k


def test_an_array_chosen_per_thread_is_refused_clearly() -> None:
    a, b = np.zeros(4, np.int32), np.zeros(4, np.int32)
    launch(_choose_array(10).function, (1, 1, 1), (4, 1, 1), [a, b])    # everyone picks a
    assert a.tolist() == [1, 1, 1, 1] and not b.any()
    with pytest.raises(KernelRuntimeError, match="different arrays in 'target'.* in kernel 'choose'"):
        launch(_choose_array(2).function, (1, 1, 1), (4, 1, 1), [a, b])


# -- print ---------------------------------------------------------------------------------

def test_print_one_line_per_thread_in_thread_order(capsys) -> None:
    k = KernelBuilder("show", [("x", array(float32)), ("scale", float32)])
    f, x, scale = k.function, k.arg["x"], k.arg["scale"]
    i = k.global_id()
    odd, done = f.new_block("odd"), f.new_block("done")
    k.print("thread", i, "value", k.op(Op.MUL, k.load(x, k.cast(i, int64)), scale), "big", k.op(Op.GT, i, k.c(2, int32)))
    k.cbr(k.op(Op.EQ, k.op(Op.MOD, i, k.c(2, int32)), k.c(1, int32)), odd, [], done, [])
    k.set_block(odd)
    k.print("odd", i)
    k.br(done)
    k.set_block(done)
    k.ret()
    launch(f, (2, 1, 1), (3, 1, 1), [np.array([0.5, 1, 1.5, 2, 2.5, 3], np.float32), np.float32(0.1)],
           max_threads_per_batch=3)
    lines = capsys.readouterr().out.splitlines()
    expected = reference_launch(f, (2, 1, 1), (3, 1, 1), [np.array([0.5, 1, 1.5, 2, 2.5, 3], np.float32),
                                                          np.float32(0.1)])
    assert lines[:3] == ["thread 0 value 0.05 big False", "thread 1 value 0.1 big False",
                         "thread 2 value 0.15 big False"]
    assert lines[3] == "odd 1"
    assert sorted(lines) == sorted(expected)


# -- launch checks and plans ---------------------------------------------------------------

def test_launch_argument_errors_name_the_argument() -> None:
    kernel = saxpy_kernel(float32)
    x = np.zeros(4, np.float32)
    with pytest.raises(LaunchError, match="takes 4 arguments"):
        launch(kernel, (1, 1, 1), (4, 1, 1), [np.float32(1), x, x])
    with pytest.raises(LaunchError, match="'x'.*float32"):
        launch(kernel, (1, 1, 1), (4, 1, 1), [np.float32(1), x.astype(np.float64), x, x])
    with pytest.raises(LaunchError, match="'y'.*C-contiguous"):
        launch(kernel, (1, 1, 1), (4, 1, 1), [np.float32(1), x, np.zeros(8, np.float32)[::2], x])
    with pytest.raises(LaunchError, match="'a'"):
        launch(kernel, (1, 1, 1), (4, 1, 1), ["two", x, x, x])
    with pytest.raises(LaunchError, match="grid"):
        launch(kernel, (0, 1, 1), (4, 1, 1), [np.float32(1), x, x, x])
    with pytest.raises(LaunchError, match="block"):
        launch(kernel, (1, 1, 1), (4, 1), [np.float32(1), x, x, x])


def test_python_scalars_are_accepted_for_scalar_parameters() -> None:
    kernel = saxpy_kernel(float32)
    x = np.arange(4, dtype=np.float32)
    out = np.zeros(4, np.float32)
    launch(kernel, (1, 1, 1), (4, 1, 1), [2.0, x, x, out])
    np.testing.assert_array_equal(out, 3 * x)


def test_saxpy_over_many_batches_and_a_partial_last_block() -> None:
    kernel = saxpy_kernel(float32)
    rng = np.random.default_rng(3)
    n = 10_000
    x, y = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
    for batch in (None, 256, 1000):
        out = np.zeros(n, np.float32)
        launch(kernel, ((n + 255) // 256, 1, 1), (256, 1, 1), [np.float32(3), x, y, out],
               max_threads_per_batch=batch)
        np.testing.assert_array_equal(out, np.float32(3) * x + y)


def test_plan_is_cached_and_rebuilt_when_the_function_changes() -> None:
    from simt.backends.numpy.handlers import NUMPY_IMPL
    from simt.backends.numpy.plan import plan_for
    from simt.ir import Operation

    k = KernelBuilder("edit", [("out", array(int64))])
    value = k.c(1, int64)
    k.store(k.arg["out"], k.c(0, int64), value)
    k.ret()
    out = np.zeros(1, np.int64)
    launch(k.function, (1, 1, 1), (1, 1, 1), [out])
    first = plan_for(k.function, NUMPY_IMPL)
    assert plan_for(k.function, NUMPY_IMPL) is first and out[0] == 1
    # A pass editing the Function in place: a new constant replaces the stored value.
    store = k.function.entry.ops[-2]
    new_const = Operation(Op.CONST, [], int64, {"value": np.int64(42)})
    k.function.entry.ops.insert(0, new_const)
    store.replace_uses({value: new_const.result})
    assert plan_for(k.function, NUMPY_IMPL) is not first
    launch(k.function, (1, 1, 1), (1, 1, 1), [out])
    assert out[0] == 42
