"""The integer range analysis (ranges.py) and what the legalizer does with it.

Soundness is a property test: random integer programs run on the numpy target (the
reference), and every value they take lies in the interval the analysis claims for it.
Then kernels check where the negative-index wrap disappears and where it must stay.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simt
from simt.backends.numpy import launch as numpy_launch
from simt.backends.ptx import compile_ptx, fits_small_grid, legalize
from simt.backends.ptx.irbuild import clone_function
from simt.backends.ptx.ranges import ValueRanges
from simt.ir import ArrayType, Builder, Function, Op
from simt.ir.types import bool_, int16, int32, int64, uint32

from .legal_eval import run

BINARY = [Op.ADD, Op.SUB, Op.MUL, Op.AND, Op.MOD, Op.FLOORDIV, Op.MIN, Op.MAX]
UNARY = [Op.NEG, Op.ABS]
TYPES = [int32, int64, int16, uint32]
GRID, BLOCK = (3, 1, 1), (32, 1, 1)


@st.composite
def programs(draw):
    """Steps of a random integer program: ("bin", op, i, j), ("un", op, i), ("cast", t, i),
    ("shr", i, amount), ("select", i, j, k), ("guard", i, j) (the rest runs where v_i < v_j)."""
    steps = []
    count = 6                                  # the initial values (see build)
    for _ in range(draw(st.integers(3, 14))):
        kind = draw(st.sampled_from(["bin", "bin", "un", "cast", "shr", "select", "guard"]))
        pick = st.integers(0, count - 1)
        if kind == "bin":
            steps.append(("bin", draw(st.sampled_from(BINARY)), draw(pick), draw(pick)))
        elif kind == "un":
            steps.append(("un", draw(st.sampled_from(UNARY)), draw(pick)))
        elif kind == "cast":
            steps.append(("cast", draw(st.sampled_from(TYPES)), draw(pick)))
        elif kind == "shr":
            steps.append(("shr", draw(pick), draw(st.integers(0, 40))))
        elif kind == "select":
            steps.append(("select", draw(pick), draw(pick), draw(pick)))
        else:
            steps.append(("guard", draw(pick), draw(pick)))
            continue
        count += 1
    return steps


def build(steps) -> tuple[Function, list]:
    """The program as a kernel storing each value (as int64) and a written-mask."""
    fn = Function("prog", ["s", "a", "out", "seen"],
                  [int32, ArrayType(int32, 1), ArrayType(int64, 2), ArrayType(bool_, 2)])
    s, a, out, seen = fn.args
    b = Builder(fn)
    tid = b.value(Op.THREAD_IDX, [], int32, {"axis": 0})
    bid = b.value(Op.BLOCK_IDX, [], int32, {"axis": 0})
    bdim = b.value(Op.BLOCK_DIM, [], int32, {"axis": 0})
    gid = b.value(Op.ADD, [b.value(Op.MUL, [bid, bdim], int32), tid], int32)
    values = [tid, gid, s, b.value(Op.LOAD, [a, gid], int32), b.const(3, int32),
              b.const(-5, int32)]
    stored = []                                # (value, block)
    block = fn.entry

    def same(x, t):
        return x if x.type == t else b.value(Op.CAST, [x], t)

    for step in steps:
        kind = step[0]
        if kind == "bin":
            _, op, i, j = step
            x, y = values[i], same(values[j], values[i].type)
            values.append(b.value(op, [x, y], x.type))
        elif kind == "un":
            values.append(b.value(step[1], [values[step[2]]], values[step[2]].type))
        elif kind == "cast":
            values.append(b.value(Op.CAST, [values[step[2]]], step[1]))
        elif kind == "shr":
            x = values[step[1]]
            values.append(b.value(Op.SHR, [x, b.const(step[2] % (x.type.bits + 1), x.type)],
                                  x.type))
        elif kind == "select":
            x, y = values[step[2]], same(values[step[3]], values[step[2]].type)
            cond = b.value(Op.LT, [values[step[1]], b.const(7, values[step[1]].type)], bool_)
            values.append(b.value(Op.SELECT, [cond, x, y], x.type))
        else:
            x, y = values[step[1]], same(values[step[2]], values[step[1]].type)
            inside, outside = fn.new_block(), fn.new_block()
            b.cbr(b.value(Op.LT, [x, y], bool_), inside, [], outside, [])
            b.set_block(outside)
            b.ret()
            b.set_block(inside)
            block = inside
            continue
        stored.append((values[-1], block))
    for column, (value, where) in enumerate(stored):
        wide = value if value.type == int64 else b.value(Op.CAST, [value], int64)
        b.emit(Op.STORE, [out, gid, b.const(column, int32), wide])
        b.emit(Op.STORE, [seen, gid, b.const(column, int32), b.const(True, bool_)])
    b.ret()
    return fn, stored


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=programs(), s=st.integers(-2**31, 2**31 - 1),
       a=st.lists(st.integers(-2**31, 2**31 - 1), min_size=96, max_size=96))
def test_every_value_lies_in_its_range(steps, s, a) -> None:
    fn, stored = build(steps)
    if not stored:
        return
    n = GRID[0] * BLOCK[0]
    out = np.zeros((n, len(stored)), np.int64)
    seen = np.zeros((n, len(stored)), np.bool_)
    numpy_launch(fn, GRID, BLOCK, [np.int32(s), np.array(a, np.int32), out, seen])
    ranges = ValueRanges(fn)
    for column, (value, block) in enumerate(stored):
        observed = out[seen[:, column], column]
        if observed.size == 0:
            continue
        lo, hi = ranges.at(value, block)
        if value.type == uint32:               # stored through int64 exactly
            observed = observed.astype(np.int64)
        assert lo <= int(observed.min()) and int(observed.max()) <= hi, \
            f"value {column} ({value}) in [{observed.min()}, {observed.max()}] not in [{lo}, {hi}]"


# -- the launch pattern and branch facts ----------------------------------------------------

def ranges_of(kernel, *args, small_grid: bool = True):
    fn = clone_function(kernel.ir(*args))
    return fn, ValueRanges(fn, small_grid)


def test_global_index_is_non_negative_only_for_small_grids() -> None:
    @simt.kernel
    def k(out):
        out[simt.grid(1)] = simt.gridsize(1)
    fn, ranges = ranges_of(k, np.zeros(4, np.int32))
    gid = next(op.result for op in fn.entry.ops if op.op is Op.ADD)
    size = next(op.result for op in fn.entry.ops
                if op.op is Op.MUL and op.operands[1].owner.op is Op.GRID_DIM)
    assert ranges.at(gid, fn.entry) == (0, 2**31 - 2)
    assert ranges.at(size, fn.entry) == (1, 2**31 - 1)
    _, unsafe = ranges_of(k, np.zeros(4, np.int32), small_grid=False)
    assert unsafe.at(gid, fn.entry)[0] < 0
    assert fits_small_grid((2**21, 1, 1), (1024, 1, 1)) is False
    assert fits_small_grid((2**21 - 1, 65535, 1), (1024, 1, 1)) is True


def wraps(kernel, *args, small_grid: bool = True) -> int:
    """How many negative-index wraps (a 64-bit select) the PTX has."""
    return compile_ptx(kernel.ir(*args), small_grid=small_grid).count("selp.b64")


def test_thread_indices_and_guarded_neighbours_need_no_wrap() -> None:
    @simt.kernel
    def stencil(x, out):
        i = simt.grid(1)
        if 0 < i < x.shape[0] - 1:
            out[i] = x[i - 1] + x[i + 1] - 2 * x[i]
    x = np.zeros(8, np.float32)
    assert wraps(stencil, x, x) == 0
    assert wraps(stencil, x, x, small_grid=False) > 0
    text = compile_ptx(stencil.ir(x, x))
    assert "+-4]" in text and "+4]" in text           # neighbours as address displacements


def test_indices_that_may_be_negative_keep_the_wrap() -> None:
    @simt.kernel
    def unguarded(x, out):
        i = simt.grid(1)
        out[i] = x[i - 1]

    @simt.kernel
    def from_data(x, idx, out):
        i = simt.grid(1)
        out[i] = x[idx[i]]

    @simt.kernel
    def countdown(x, out):
        i = simt.grid(1)
        for k in range(3, -3, -1):
            out[i] += x[k]
    x = np.zeros(8, np.float32)
    assert wraps(unguarded, x, x) == 1
    assert wraps(from_data, x, np.zeros(8, np.int32), x) == 1
    assert wraps(countdown, x, x) >= 1


def test_loop_counters_are_non_negative() -> None:
    @simt.kernel
    def row_sums(a, out):
        i = simt.grid(1)
        if i < a.shape[0]:
            acc = np.float32(0)
            for k in range(a.shape[1]):
                acc += a[i, k]
            out[i] = acc
    assert wraps(row_sums, np.zeros((4, 4), np.float32), np.zeros(4, np.float32)) == 0


def test_wrapped_and_offset_indices_compute_the_reference() -> None:
    """Legalized code (PTX meanings) == the numpy target, with negative and offset indices."""
    @simt.kernel
    def mixed(x, out):
        i = simt.grid(1)
        out[i, 0] = x[i - 3]                       # wraps for i < 3
        if i > 1:
            out[i, 1] = x[i - 2] + x[i, ] * 2
        out[i, 2] = x[-1 - i]
        if 0 < i < 7:
            out[i, 3] = x[i + 1] - x[i - 1]
    x = np.arange(8, dtype=np.float64) * 1.5
    want = np.zeros((8, 4))
    with simt.target("numpy"):
        mixed[1, 8](x, want)
    fn = legalize(mixed.ir(x, want))
    got = np.zeros((8, 4))
    for lane in range(8):                      # one lane at a time: the branches diverge
        lane_out = np.zeros((8, 4))
        run(_at_thread(fn, lane), [x, lane_out], lanes=1)
        got[lane] = lane_out[lane]
    assert (got == want).all()


def _at_thread(fn: Function, lane: int) -> Function:
    """``fn`` with threadIdx.x replaced by the constant ``lane`` (legal_eval runs lane 0)."""
    copy = clone_function(fn)
    for block in copy.blocks:
        for op in block.ops:
            if op.op is Op.THREAD_IDX and op.attrs.get("axis", 0) == 0:
                op.op = Op.CONST
                op.attrs = {"value": lane}
    return copy


@pytest.mark.parametrize("small_grid", [True, False])
def test_corpus_kernels_legalize_with_and_without_the_grid_assumption(small_grid) -> None:
    from ..differential.corpus import CASES
    from .test_corpus_assembles import simplest_args
    for case in CASES[:12]:
        legalize(case.kernel.ir(*simplest_args(case)), verify_each=True, small_grid=small_grid)
