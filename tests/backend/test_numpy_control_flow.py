"""Divergence and reconvergence in the numpy target: hand-built kernels with joins,
loops with thread-dependent trip counts, early returns, break/continue, irreducible
cycles and parallel copies, each checked against a per-thread reference run, for
several launch shapes and batch sizes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simt.backends.numpy import launch
from simt.ir import Function, Op
from simt.ir.types import float64, int32, int64

from .test_numpy_support import KernelBuilder, array, reference_launch


def _guard(k: KernelBuilder, n) -> tuple:
    """``i = grid(1); if i >= n: return`` -> (i as int64, the block after the guard)."""
    f = k.function
    i = k.cast(k.global_id(), int64)
    guarded, done = f.new_block("guarded"), f.new_block("done")
    k.cbr(k.op(Op.LT, i, n), guarded, [], done, [])
    k.set_block(done)
    k.ret()
    k.set_block(guarded)
    return i, done


def if_else_join() -> Function:
    """``v = x[i]; r = v * 2 if v > 0 else -v; out[i] = r + 1`` (a join with a parameter)."""
    k = KernelBuilder("if_else", [("x", array(float64)), ("out", array(float64))])
    f, x, out = k.function, k.arg["x"], k.arg["out"]
    i, _ = _guard(k, k.dim(out))
    v = k.load(x, i)
    then, other, join = f.new_block("then"), f.new_block("else"), f.new_block("join")
    k.cbr(k.op(Op.GT, v, k.c(0.0, float64)), then, [], other, [])
    k.set_block(then)
    k.br(join, [k.op(Op.MUL, v, k.c(2.0, float64))])
    k.set_block(other)
    k.br(join, [k.op(Op.NEG, v)])
    r = join.add_param(float64, "r")
    k.set_block(join)
    k.store(out, i, k.op(Op.ADD, r, k.c(1.0, float64)))
    k.ret()
    return f


def collatz() -> Function:
    """``while x != 1 and steps < 500: x = x // 2 if x % 2 == 0 else 3 * x + 1; steps += 1``:
    a loop with thread-dependent trip counts and a join inside it."""
    k = KernelBuilder("collatz", [("start", array(int64)), ("steps", array(int32))])
    f, start, steps_out = k.function, k.arg["start"], k.arg["steps"]
    i, _ = _guard(k, k.dim(start))
    header, test2, body, even, odd, latch, exit_ = (
        f.new_block(n) for n in ("header", "test2", "body", "even", "odd", "latch", "exit"))
    k.br(header, [k.load(start, i), k.c(0, int32)])
    x, steps = header.add_param(int64, "x"), header.add_param(int32, "steps")
    k.set_block(header)
    k.cbr(k.op(Op.NE, x, k.c(1, int64)), test2, [], exit_, [])
    k.set_block(test2)
    k.cbr(k.op(Op.LT, steps, k.c(500, int32)), body, [], exit_, [])
    k.set_block(body)
    k.cbr(k.op(Op.EQ, k.op(Op.MOD, x, k.c(2, int64)), k.c(0, int64)), even, [], odd, [])
    k.set_block(even)
    k.br(latch, [k.op(Op.FLOORDIV, x, k.c(2, int64))])
    k.set_block(odd)
    k.br(latch, [k.op(Op.ADD, k.op(Op.MUL, x, k.c(3, int64)), k.c(1, int64))])
    new_x = latch.add_param(int64, "x")
    k.set_block(latch)
    k.br(header, [new_x, k.op(Op.ADD, steps, k.c(1, int32))])
    k.set_block(exit_)
    k.store(steps_out, i, steps)
    k.ret()
    return f


def break_continue() -> Function:
    """``for j in range(m): if (j + i) % 3 == 0: continue; if j > i: break; s += j``."""
    k = KernelBuilder("break_continue", [("out", array(int64)), ("m", int64)])
    f, out, m = k.function, k.arg["out"], k.arg["m"]
    i, _ = _guard(k, k.dim(out))
    header, body, check, accumulate, exit_ = (
        f.new_block(n) for n in ("header", "body", "check", "accumulate", "exit"))
    k.br(header, [k.c(0, int64), k.c(0, int64)])
    j, s = header.add_param(int64, "j"), header.add_param(int64, "s")
    k.set_block(header)
    k.cbr(k.op(Op.LT, j, m), body, [], exit_, [s])
    k.set_block(body)
    next_j = k.op(Op.ADD, j, k.c(1, int64))
    skip = k.op(Op.EQ, k.op(Op.MOD, k.op(Op.ADD, j, i), k.c(3, int64)), k.c(0, int64))
    k.cbr(skip, header, [next_j, s], check, [])
    k.set_block(check)
    k.cbr(k.op(Op.GT, j, i), exit_, [s], accumulate, [])
    k.set_block(accumulate)
    k.br(header, [next_j, k.op(Op.ADD, s, j)])
    result = exit_.add_param(int64, "s")
    k.set_block(exit_)
    k.store(out, i, result)
    k.ret()
    return f


def irreducible() -> Function:
    """Two blocks A and B that branch to each other, entered at A or at B depending
    on the thread: a cycle with two entries (irreducible)."""
    k = KernelBuilder("irreducible", [("out", array(int64))])
    f, out = k.function, k.arg["out"]
    i, _ = _guard(k, k.dim(out))
    a, b, exit_ = f.new_block("A"), f.new_block("B"), f.new_block("exit")
    limit = k.op(Op.ADD, k.op(Op.MOD, i, k.c(7, int64)), k.c(3, int64))
    odd = k.op(Op.EQ, k.op(Op.MOD, i, k.c(2, int64)), k.c(1, int64))
    k.cbr(odd, a, [k.c(0, int64)], b, [k.c(100, int64)])
    x = a.add_param(int64, "x")
    k.set_block(a)
    x1 = k.op(Op.ADD, x, k.c(1, int64))
    k.cbr(k.op(Op.LT, k.op(Op.MOD, x1, k.c(100, int64)), limit), b, [x1], exit_, [x1])
    y = b.add_param(int64, "y")
    k.set_block(b)
    y1 = k.op(Op.ADD, y, k.c(2, int64))
    k.cbr(k.op(Op.LT, k.op(Op.MOD, y1, k.c(100, int64)), limit), a, [y1], exit_, [k.op(Op.NEG, y1)])
    z = exit_.add_param(int64, "z")
    k.set_block(exit_)
    k.store(out, i, z)
    k.ret()
    return f


def swap_loop() -> Function:
    """``a, b = x[i], 2 * x[i]; for k in range(i): a, b = b, a + k`` as a self-loop whose
    block arguments read each other (a parallel copy). ``k < i`` splits the threads
    into ranges, so the arguments are views of the slots they overwrite."""
    k = KernelBuilder("swap", [("x", array(int64)), ("out", array(int64))])
    f, x, out = k.function, k.arg["x"], k.arg["out"]
    i, _ = _guard(k, k.dim(out))
    loop, exit_ = f.new_block("loop"), f.new_block("exit")
    v = k.load(x, i)
    k.br(loop, [v, k.op(Op.MUL, v, k.c(2, int64)), k.c(0, int64)])
    a, b, n = (loop.add_param(int64, name) for name in ("a", "b", "k"))
    k.set_block(loop)
    k.cbr(k.op(Op.LT, n, i), loop, [b, k.op(Op.ADD, a, n), k.op(Op.ADD, n, k.c(1, int64))], exit_, [])
    k.set_block(exit_)
    k.store(out, i, k.op(Op.ADD, k.op(Op.MUL, a, k.c(1000, int64)), b))
    k.ret()
    return f


def swap_two_edges() -> Function:
    """A loop block ``L(a, b, k)`` with a self edge ``L(b, a, k + 1)`` (a pure swap) and a
    second back edge through ``M``: threads of both edges merge into a range, so ``L``
    reads its parameters as views of their slots and then overwrites those slots."""
    k = KernelBuilder("swap_two_edges", [("x", array(int64)), ("out", array(int64))])
    f, x, out = k.function, k.arg["x"], k.arg["out"]
    i, _ = _guard(k, k.dim(out))
    half = k.op(Op.FLOORDIV, k.dim(out), k.c(2, int64))
    loop, other, exit_ = f.new_block("L"), f.new_block("M"), f.new_block("exit")
    v = k.load(x, i)
    k.br(loop, [v, k.op(Op.ADD, v, k.c(7, int64)), k.c(0, int64)])
    a, b, n = (loop.add_param(int64, name) for name in ("a", "b", "k"))
    k.set_block(loop)
    first = k.op(Op.AND, k.op(Op.LT, n, i), k.op(Op.LT, i, half))
    next_n = k.op(Op.ADD, n, k.c(1, int64))
    k.cbr(first, loop, [b, a, next_n], other, [])
    k.set_block(other)
    k.cbr(k.op(Op.LT, n, i), loop, [a, k.op(Op.ADD, b, k.c(1, int64)), next_n], exit_, [])
    k.set_block(exit_)
    k.store(out, i, k.op(Op.ADD, k.op(Op.MUL, a, k.c(1000, int64)), b))
    k.ret()
    return f


def same_target() -> Function:
    """``cbr c, J(x), J(y)``: both edges to one block with different arguments."""
    k = KernelBuilder("same_target", [("x", array(int64)), ("out", array(int64))])
    f, x, out = k.function, k.arg["x"], k.arg["out"]
    i, _ = _guard(k, k.dim(out))
    join = f.new_block("join")
    v = k.load(x, i)
    k.cbr(k.op(Op.LT, v, k.c(0, int64)), join, [k.op(Op.NEG, v)], join, [k.op(Op.MUL, v, k.c(3, int64))])
    r = join.add_param(int64, "r")
    k.set_block(join)
    k.store(out, i, r)
    k.ret()
    return f


def nested_loops() -> Function:
    """``s = 0; for j in range(i % 6): for k in range(j): s += j * k + (i % 4)``, with a
    value (``i % 4``) computed before the loops and used inside the inner one."""
    k = KernelBuilder("nested", [("out", array(int64))])
    f, out = k.function, k.arg["out"]
    i, _ = _guard(k, k.dim(out))
    extra = k.op(Op.MOD, i, k.c(4, int64))
    trips = k.op(Op.MOD, i, k.c(6, int64))
    outer, inner_init, inner, inner_body, outer_latch, exit_ = (
        f.new_block(n) for n in ("outer", "inner_init", "inner", "inner_body", "outer_latch", "exit"))
    k.br(outer, [k.c(0, int64), k.c(0, int64)])
    j, s = outer.add_param(int64, "j"), outer.add_param(int64, "s")
    k.set_block(outer)
    k.cbr(k.op(Op.LT, j, trips), inner_init, [], exit_, [])
    k.set_block(inner_init)
    k.br(inner, [k.c(0, int64), s])
    kk, s2 = inner.add_param(int64, "k"), inner.add_param(int64, "s")
    k.set_block(inner)
    k.cbr(k.op(Op.LT, kk, j), inner_body, [], outer_latch, [])
    k.set_block(inner_body)
    term = k.op(Op.ADD, k.op(Op.MUL, j, kk), extra)
    k.br(inner, [k.op(Op.ADD, kk, k.c(1, int64)), k.op(Op.ADD, s2, term)])
    k.set_block(outer_latch)
    k.br(outer, [k.op(Op.ADD, j, k.c(1, int64)), s2])
    k.set_block(exit_)
    k.store(out, i, s)
    k.ret()
    return f


def _inputs(name: str, n: int, rng: np.random.Generator) -> list:
    if name == "if_else":
        return [rng.standard_normal(n), np.zeros(n)]
    if name == "collatz":
        return [rng.integers(1, 200, n).astype(np.int64), np.zeros(n, np.int32)]
    if name == "break_continue":
        return [np.zeros(n, np.int64), np.int64(9)]
    if name in ("swap", "swap_two_edges", "same_target"):
        return [rng.integers(-50, 50, n).astype(np.int64), np.zeros(n, np.int64)]
    return [np.zeros(n, np.int64)]


KERNELS = [if_else_join, collatz, break_continue, irreducible, swap_loop, swap_two_edges, same_target,
           nested_loops]


def _check(make, n: int, grid: tuple, block: tuple, batch: int | None, seed: int = 0) -> None:
    kernel = make()
    args = _inputs(kernel.name, n, np.random.default_rng(seed))
    expected = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    reference_launch(kernel, grid, block, expected)
    launch(kernel, grid, block, args, max_threads_per_batch=batch)
    for got, want in zip(args, expected):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("make", KERNELS, ids=lambda m: m.__name__)
def test_matches_per_thread_reference(make) -> None:
    _check(make, n=150, grid=(2, 1, 1), block=(96, 1, 1), batch=None)


@pytest.mark.parametrize("make", KERNELS, ids=lambda m: m.__name__)
def test_one_block_per_batch(make) -> None:
    _check(make, n=100, grid=(4, 1, 1), block=(32, 1, 1), batch=1)


@settings(max_examples=25, deadline=None)
@given(make=st.sampled_from(KERNELS), n=st.integers(1, 90), blocks=st.integers(1, 4),
       threads=st.integers(1, 40), batch=st.one_of(st.none(), st.integers(1, 120)),
       seed=st.integers(0, 2 ** 16))
def test_any_launch_shape_and_batch_size(make, n, blocks, threads, batch, seed) -> None:
    _check(make, n, (blocks, 1, 1), (threads, 1, 1), batch, seed)


def test_results_do_not_depend_on_batch_size() -> None:
    kernel = collatz()
    start = np.random.default_rng(1).integers(1, 500, 1000).astype(np.int64)
    results = []
    for batch in (None, 64, 100, 1000, 1):
        steps = np.zeros(1000, np.int32)
        launch(kernel, (16, 1, 1), (64, 1, 1), [start, steps], max_threads_per_batch=batch)
        results.append(steps)
    for other in results[1:]:
        np.testing.assert_array_equal(results[0], other)


def test_unreachable_blocks_are_ignored() -> None:
    k = KernelBuilder("dead", [("out", array(int64))])
    out = k.arg["out"]
    k.store(out, k.c(0, int64), k.c(7, int64))
    k.ret()
    dead = k.function.new_block("dead")
    k.set_block(dead)
    k.store(out, k.c(0, int64), k.c(-1, int64))
    k.br(dead)
    result = np.zeros(1, np.int64)
    launch(k.function, (1, 1, 1), (4, 1, 1), [result])
    assert result[0] == 7


def test_uniform_loop_inside_a_guard_stays_cheap_and_correct() -> None:
    """A loop whose counter is uniform over the guarded threads (a range active set)."""
    k = KernelBuilder("uniform_loop", [("out", array(float64)), ("m", int64)])
    f, out, m = k.function, k.arg["out"], k.arg["m"]
    i, _ = _guard(k, k.dim(out))
    header, body, exit_ = f.new_block("header"), f.new_block("body"), f.new_block("exit")
    k.br(header, [k.c(0, int64), k.cast(i, float64)])
    j, acc = header.add_param(int64, "j"), header.add_param(float64, "acc")
    k.set_block(header)
    k.cbr(k.op(Op.LT, j, m), body, [], exit_, [])
    k.set_block(body)
    k.br(header, [k.op(Op.ADD, j, k.c(1, int64)), k.op(Op.MUL, acc, k.c(0.5, float64))])
    k.set_block(exit_)
    k.store(out, i, acc)
    k.ret()
    out = np.zeros(1000)
    launch(f, (8, 1, 1), (128, 1, 1), [out, np.int64(3)])
    np.testing.assert_array_equal(out, np.arange(1000) * 0.125)


def test_block_order_keeps_loops_together_and_exits_after_them() -> None:
    """entry -> h; h -> (y, x); y -> h; x -> (e, h): a DFS that visits y before x
    would finish e before y, and a plain reverse post-order would put the exit
    between two blocks of the loop."""
    from simt.backends.numpy.order import block_order

    k = KernelBuilder("order", [("n", int64)])
    f = k.function
    h, y, x, e = (f.new_block(n) for n in ("h", "y", "x", "e"))
    k.br(h)
    k.set_block(h)
    k.cbr(k.op(Op.LT, k.arg["n"], k.c(3, int64)), y, [], x, [])
    k.set_block(y)
    k.br(h)
    k.set_block(x)
    k.cbr(k.op(Op.LT, k.arg["n"], k.c(5, int64)), e, [], h, [])
    k.set_block(e)
    k.ret()
    order = [b.label for b in block_order(f)]
    assert order[0] == "entry" and order[1] == "h" and order[-1] == "e"
    assert set(order[1:4]) == {"h", "x", "y"}


def test_threads_reconverge_after_divergent_loops(monkeypatch) -> None:
    """Each block after a divergent loop runs once per batch, for all its threads."""
    from simt.backends.numpy import interpreter

    runs: dict[str, int] = {}
    original = interpreter.Frame.run

    def counting(self, block_plan):
        runs[block_plan.block.label] = runs.get(block_plan.block.label, 0) + 1
        return original(self, block_plan)
    monkeypatch.setattr(interpreter.Frame, "run", counting)
    for make in (collatz, nested_loops, break_continue):
        runs.clear()
        kernel = make()
        launch(kernel, (2, 1, 1), (64, 1, 1), _inputs(kernel.name, 100, np.random.default_rng(0)))
        assert runs["exit"] == 1 and runs["done"] == 1, (kernel.name, runs)
