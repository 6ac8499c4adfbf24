"""The numpy target's fast paths agree with the slow ones: special registers and
affine arithmetic against per-thread values, range predicates against masks, active
set splits and merges, slot storage against a per-thread model, and the kernels
that should use slices (saxpy) or compaction (a divergent loop) actually do."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simt.backends.numpy import launch, memory
from simt.backends.numpy.active import (IndexSet, RangeSet, from_indices, merge, split_by_block_range,
                                        split_by_mask, split_by_range)
from simt.backends.numpy.affine import symbolic_result
from simt.backends.numpy.elementwise import ELEMENTWISE, as_scalar
from simt.backends.numpy.geometry import BatchGeometry
from simt.backends.numpy.slots import Slot
from simt.backends.numpy.values import Affine, BlockRange, RangePredicate, materialize
from simt.ir import Op
from simt.ir.core import canonical_constant
from simt.ir.types import bool_, float32, int8, int16, int32, int64, uint8, uint32

from .test_numpy_support import mandelbrot_kernel, saxpy_kernel

dims = st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3))


@st.composite
def geometries(draw) -> BatchGeometry:
    grid, block = draw(dims), draw(dims)
    total = grid[0] * grid[1] * grid[2]
    first = draw(st.integers(0, total - 1))
    count = draw(st.integers(1, total - first))
    return BatchGeometry(grid, block, first, count)


def coordinates(geometry: BatchGeometry) -> tuple[np.ndarray, np.ndarray]:
    """(threadIdx, blockIdx) per batch thread, each of shape (threads, 3)."""
    t = np.arange(geometry.thread_count)
    block, thread = np.divmod(t, geometry.threads_per_block)
    block = block + geometry.first_block

    def unravel(linear, d):
        return np.stack([linear % d[0], (linear // d[0]) % d[1], linear // (d[0] * d[1])], axis=1)
    return unravel(thread, geometry.block), unravel(block, geometry.grid)


def over_batch(value, geometry: BatchGeometry, op_name: str, axis: int) -> np.ndarray:
    everyone = RangeSet(0, geometry.thread_count)
    if value is None:
        return geometry.varying_register(op_name, axis, everyone)
    return materialize(value, geometry, everyone)


@settings(max_examples=80, deadline=None)
@given(geometries())
def test_special_registers_are_the_true_coordinates(geometry: BatchGeometry) -> None:
    thread_idx, block_idx = coordinates(geometry)
    for axis in range(3):
        got = over_batch(geometry.thread_index(axis), geometry, "thread_idx", axis)
        np.testing.assert_array_equal(got, thread_idx[:, axis])
        got = over_batch(geometry.block_index(axis), geometry, "block_idx", axis)
        np.testing.assert_array_equal(got, block_idx[:, axis])
    lanes = over_batch(geometry.lane_id(), geometry, "lane_id", 0)
    np.testing.assert_array_equal(lanes, np.arange(geometry.thread_count) % geometry.threads_per_block % 32)
    t = 7 % geometry.thread_count
    assert geometry.coordinates(t) == (tuple(thread_idx[t]), tuple(block_idx[t]))


INT_TYPES = [int8, int16, int32, int64, uint8, uint32]
ARITHMETIC = [Op.ADD, Op.SUB, Op.MUL, Op.NEG, Op.SHL, Op.CAST]
COMPARES = (Op.LT, Op.LE, Op.GT, Op.GE, Op.EQ, Op.NE)


@st.composite
def affine_programs(draw):
    """A geometry, an int type and a short program of ops on blockIdx.x / threadIdx.x."""
    grid = (draw(st.integers(1, 6)), 1, 1)
    block = (draw(st.integers(1, 40)), 1, 1)
    first = draw(st.integers(0, grid[0] - 1))
    geometry = BatchGeometry(grid, block, first, draw(st.integers(1, grid[0] - first)))
    multiplier = draw(st.one_of(st.sampled_from([block[0], block[0] + 1, 1, 2, 0, -1]), st.integers(-3, 50)))
    steps = draw(st.lists(st.tuples(st.sampled_from(ARITHMETIC + list(COMPARES)),
                                    st.integers(-300, 300), st.sampled_from(INT_TYPES)),
                          min_size=1, max_size=6))
    return geometry, multiplier, steps


def symbolic(op: Op, result_type, geometry: BatchGeometry, operands: list):
    """What the pure-op handler computes without per-thread arrays, or None."""
    result = symbolic_result(op, result_type, geometry, operands)
    if result is None and all(isinstance(v, np.generic) for v in operands):
        result = as_scalar(ELEMENTWISE[op](result_type, {}, *operands), result_type)
    return result



@settings(max_examples=200, deadline=None)
@given(affine_programs())
def test_affine_results_equal_per_thread_results(program) -> None:
    """Start from ``blockIdx.x * m + threadIdx.x`` (m usually blockDim.x) and apply random ops
    with constants, symbolically (as the interpreter does) and elementwise on the
    per-thread values: they must agree for every thread at every step."""
    geometry, multiplier, steps = program
    everyone = RangeSet(0, geometry.thread_count)
    start = symbolic(Op.MUL, int32, geometry, [geometry.block_index(0), np.int32(multiplier)])
    value = symbolic(Op.ADD, int32, geometry, [start, geometry.thread_index(0)])
    array, type = materialize(value, geometry, everyone), int32
    thread_idx, block_idx = coordinates(geometry)
    np.testing.assert_array_equal(array, block_idx[:, 0] * multiplier + thread_idx[:, 0])
    for op, constant, target in steps:
        if type.is_bool:
            break
        constant = canonical_constant(constant % 64 if op is Op.SHL else constant, type)   # wraps
        if op is Op.CAST:
            operands, result_type = [value], target
        elif op in (Op.NEG,):
            operands, result_type = [value], type
        else:
            operands = [value, constant] if op is Op.SHL or constant % 2 else [constant, value]
            result_type = bool_ if op in COMPARES else type
        with np.errstate(all="ignore"):
            expected = np.asarray(ELEMENTWISE[op](result_type, {}, *[array if o is value else o for o in operands]))
            got = symbolic(op, result_type, geometry, operands)
        expected = np.broadcast_to(expected.astype(result_type.dtype), (geometry.thread_count,))
        if got is None:
            value = array = expected
        else:
            array = np.broadcast_to(materialize(got, geometry, everyone), expected.shape)
            np.testing.assert_array_equal(array, expected)
            value = got
        type = result_type


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 200), st.integers(-50, 50), st.integers(-5, 5), st.integers(-300, 300),
       st.sampled_from([Op.LT, Op.LE, Op.GT, Op.GE, Op.EQ, Op.NE]))
def test_comparisons_of_linear_values_are_ranges(threads, c, stride, bound, op) -> None:
    geometry = BatchGeometry((1, 1, 1), (threads, 1, 1), 0, 1)
    value = geometry.affine(np.dtype(np.int64), c, 0, stride)
    assume(isinstance(value, Affine))
    result = symbolic_result(op, bool_, geometry, [value, np.int64(bound)])
    t = np.arange(threads)
    expected = ELEMENTWISE[op](bool_, {}, c + stride * t, np.int64(bound))
    if result is not None:
        assert isinstance(result, (RangePredicate, np.bool_))
        np.testing.assert_array_equal(np.broadcast_to(materialize(result, geometry, RangeSet(0, threads)),
                                                      (threads,)), expected)
    else:
        assert op is Op.NE


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 60), st.data())
def test_splits_partition_the_active_set(size, data) -> None:
    pool = np.arange(3 * size)
    chosen = np.sort(data.draw(st.lists(st.sampled_from(list(pool)), min_size=1, max_size=size, unique=True)))
    active = from_indices(np.asarray(chosen, dtype=np.intp)) if data.draw(st.booleans()) else RangeSet(5, 5 + size)
    t = active.indices()
    values = np.arange(active.size) * 7
    mask = np.asarray(data.draw(st.lists(st.booleans(), min_size=active.size, max_size=active.size)), bool)
    lo, hi = sorted(data.draw(st.tuples(st.integers(-5, 3 * size + 10), st.integers(-5, 3 * size + 10))))
    for (inside, outside), member in ((split_by_mask(active, mask), mask), (split_by_range(active, lo, hi),
                                                                             (t >= lo) & (t < hi))):
        for part, expected in ((inside, t[member]), (outside, t[~member])):
            if part is None:
                assert len(expected) == 0
                continue
            np.testing.assert_array_equal(part.threads.indices(), expected)
            selected = values if part.selector is None else values[part.selector]
            np.testing.assert_array_equal(selected, values[np.isin(t, expected)])
        pieces = [p.threads for p in (inside, outside) if p is not None]
        np.testing.assert_array_equal(merge(pieces, 4 * size + 10).indices(), t)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 6), st.data())
def test_block_range_splits_partition_the_active_set(size, blocks, data) -> None:
    """``lo <= threadIdx < hi`` in every block: built directly for runs of whole blocks,
    through a mask otherwise; the parts' bounds contain their threads."""
    geometry = BatchGeometry((blocks, 1, 1), (size, 1, 1), 0, blocks)
    n = geometry.thread_count
    kind = data.draw(st.sampled_from(["whole", "range", "index"]))
    if kind == "whole":
        b0 = data.draw(st.integers(0, blocks - 1))
        active = RangeSet(b0 * size, data.draw(st.integers(b0 + 1, blocks)) * size)
    elif kind == "range":
        lo = data.draw(st.integers(0, n - 1))
        active = RangeSet(lo, data.draw(st.integers(lo + 1, n)))
    else:
        members = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
        active = from_indices(np.sort(np.asarray(members, np.intp)))
    lo = data.draw(st.integers(1, size))
    hi = data.draw(st.integers(lo, size)) if lo < size else size
    lo -= 1
    t = active.indices()
    member = (t % size >= lo) & (t % size < hi)
    values = np.arange(active.size) * 3
    inside, outside = split_by_block_range(active, lo, hi, geometry)
    for part, expected in ((inside, t[member]), (outside, t[~member])):
        if part is None:
            assert len(expected) == 0
            continue
        np.testing.assert_array_equal(part.threads.indices(), expected)
        selected = values if part.selector is None else values[part.selector]
        np.testing.assert_array_equal(selected, values[np.isin(t, expected)])
        b0, b1, t0, t1 = geometry.bounds(part.threads)
        assert b0 <= (expected // size).min() and (expected // size).max() <= b1
        assert t0 <= (expected % size).min() and (expected % size).max() <= t1
    np.testing.assert_array_equal(materialize(BlockRange(lo, hi), geometry, active), member)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 6), st.integers(-50, 50), st.integers(-60, 60),
       st.sampled_from(COMPARES))
def test_comparisons_of_thread_indices_in_many_blocks_are_block_ranges(size, blocks, c, bound, op) -> None:
    geometry = BatchGeometry((blocks, 1, 1), (size, 1, 1), 0, blocks)
    value = geometry.affine(np.dtype(np.int64), c, 0, 1)             # threadIdx.x + c
    assume(isinstance(value, Affine))
    result = symbolic_result(op, bool_, geometry, [value, np.int64(bound)])
    thread = np.arange(geometry.thread_count) % size
    expected = ELEMENTWISE[op](bool_, {}, c + thread, np.int64(bound))
    if result is None:
        assert op is Op.NE
        return
    if blocks > 1 and size > 1:
        assert isinstance(result, (BlockRange, np.bool_))
    got = materialize(result, geometry, RangeSet(0, geometry.thread_count))
    np.testing.assert_array_equal(np.broadcast_to(got, expected.shape), expected)


def test_merge_of_adjacent_ranges_is_a_range() -> None:
    merged = merge([RangeSet(10, 20), RangeSet(0, 10)], 20)
    assert isinstance(merged, RangeSet) and (merged.lo, merged.hi) == (0, 20)
    assert isinstance(merge([IndexSet(np.array([0, 2])), IndexSet(np.array([1, 3]))], 4), RangeSet)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_slots_remember_each_threads_last_write(data) -> None:
    """Random writes (uniform, affine or arrays, to random thread sets) and reads of
    threads that have written: a slot behaves like a per-thread array."""
    threads = 24
    geometry = BatchGeometry((3, 1, 1), (8, 1, 1), 0, 3)
    slot = Slot("v", np.dtype(np.int64), geometry)
    model = np.full(threads, -999, np.int64)
    written = np.zeros(threads, bool)
    last = None
    for _ in range(data.draw(st.integers(1, 8))):
        kind = data.draw(st.sampled_from(["range", "index", "child", "same"]))
        if kind == "range" or (kind in ("child", "same") and last is None):
            lo = data.draw(st.integers(0, threads - 1))
            active = RangeSet(lo, data.draw(st.integers(lo + 1, threads)))
        elif kind == "index":
            members = data.draw(st.lists(st.integers(0, threads - 1), min_size=1, max_size=threads, unique=True))
            active = from_indices(np.sort(np.asarray(members, np.intp)))
        elif kind == "same":
            active = last
        else:
            mask = np.asarray(data.draw(st.lists(st.booleans(), min_size=last.size, max_size=last.size)), bool)
            if not mask.any():
                mask[0] = True
            active = split_by_mask(last, mask)[0].threads
        last = active
        t = active.indices()
        choice = data.draw(st.sampled_from(["uniform", "affine", "array"]))
        if choice == "uniform":
            value = np.int64(data.draw(st.integers(-5, 5)))
            per_thread = np.full(active.size, value)
        elif choice == "affine":
            value = geometry.affine(np.dtype(np.int64), data.draw(st.integers(-9, 9)), 8, 1)
            per_thread = materialize(value, geometry, active)
        else:
            per_thread = np.asarray(data.draw(st.lists(st.integers(-99, 99), min_size=active.size,
                                                       max_size=active.size)), np.int64)
            value = per_thread
        slot.write(value, active, droppable=False)
        model[t], written[t] = per_thread, True
        readers = np.flatnonzero(written)
        for reader in (from_indices(readers), active):
            got = materialize(slot.read(reader), geometry, reader)
            np.testing.assert_array_equal(np.broadcast_to(got, (reader.size,)), model[reader.indices()])


def test_saxpy_addresses_memory_with_slices(monkeypatch) -> None:
    kinds = []
    original = memory._address

    def spy(*args):
        address = original(*args)
        kinds.append(type(address).__name__)
        return address
    monkeypatch.setattr(memory, "_address", spy)
    n = 1000
    x, y, out = np.arange(n, dtype=np.float32), np.ones(n, np.float32), np.zeros(n, np.float32)
    launch(saxpy_kernel(float32), (4, 1, 1), (256, 1, 1), [np.float32(2), x, y, out])
    np.testing.assert_array_equal(out, 2 * x + 1)
    assert kinds == ["slice"] * 3


def test_divergent_loop_keeps_its_values_compacted(monkeypatch) -> None:
    """In a divergent while loop the threads still iterating shrink every iteration;
    their loop values must follow by compaction, not by batch-wide gathers."""
    gathers = []
    original = IndexSet.take
    monkeypatch.setattr(IndexSet, "take", lambda self, full: gathers.append(self.size) or original(self, full))
    size = 64
    counts = np.zeros((size, size), np.int32)
    launch(mandelbrot_kernel(50), (size * size // 128, 1, 1), (128, 1, 1),
           [counts, np.float32(-2), np.float32(-1.5), np.float32(3 / size)])
    assert counts.max() == 50 and counts.min() >= 1
    assert len(gathers) <= 2            # the exit block's read of the iteration count


def test_mandelbrot_matches_the_per_thread_reference() -> None:
    from .test_numpy_support import reference_launch

    size = 24
    args = [np.float32(-2), np.float32(-1.2), np.float32(2.4 / size)]
    counts, expected = np.zeros((size, size), np.int32), np.zeros((size, size), np.int32)
    launch(mandelbrot_kernel(30), (size * size // 64 + 1, 1, 1), (64, 1, 1), [counts, *args])
    reference_launch(mandelbrot_kernel(30), (size * size // 64 + 1, 1, 1), (64, 1, 1), [expected, *args])
    np.testing.assert_array_equal(counts, expected)


@pytest.mark.parametrize("batch", [None, 64])
def test_symbolic_values_survive_slots_across_blocks(batch) -> None:
    """An affine index computed before a branch and used after the join stays usable."""
    from simt.ir.types import float64

    from .test_numpy_support import KernelBuilder, array

    k = KernelBuilder("join_affine", [("out", array(float64))])
    f, out = k.function, k.arg["out"]
    i = k.cast(k.global_id(), int64)
    left, right, join = f.new_block("left"), f.new_block("right"), f.new_block("join")
    k.cbr(k.op(Op.LT, i, k.c(100, int64)), left, [], right, [])
    k.set_block(left)
    k.br(join, [k.c(1.0, float64)])
    k.set_block(right)
    k.br(join, [k.c(2.0, float64)])
    weight = join.add_param(float64, "w")
    k.set_block(join)
    k.store(out, i, k.op(Op.MUL, weight, k.cast(i, float64)))
    k.ret()
    result = np.zeros(256)
    launch(f, (4, 1, 1), (64, 1, 1), [result], max_threads_per_batch=batch)
    expected = np.arange(256.0) * np.where(np.arange(256) < 100, 1.0, 2.0)
    np.testing.assert_array_equal(result, expected)
