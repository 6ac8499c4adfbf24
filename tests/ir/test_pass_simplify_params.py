"""simplify_params: a block param that receives one value on every edge (other than
itself) is that value."""
from __future__ import annotations

from simt.ir import Builder, Function, Op
from simt.ir import types as T
from simt.ir.passes import simplify_params
from simt.ir.verifier import verify


def run(fn: Function) -> str:
    verify(fn)
    simplify_params(fn)
    verify(fn)
    return str(fn)


def loop_with_invariant() -> Function:
    """``while i < n: i += step`` where the tracer carried ``n`` and ``step`` as params."""
    fn = Function("f", ["n", "step"], [T.int32, T.int32], is_kernel=False, result_types=[T.int32])
    b = Builder(fn)
    n, step = fn.args
    header, body, done = fn.new_block("header"), fn.new_block("body"), fn.new_block("done")
    b.br(header, [b.const(0, T.int32), n, step])
    b.set_block(header)
    i = header.add_param(T.int32, "i")
    n_in = header.add_param(T.int32, "n")
    step_in = header.add_param(T.int32, "step")
    b.cbr(b.value(Op.LT, [i, n_in], T.bool_), body, [], done, [])
    b.set_block(body)
    b.br(header, [b.value(Op.ADD, [i, step_in], T.int32), n_in, step_in])
    Builder(fn, done).ret([i])
    return fn


def test_loop_invariant_params_are_the_value_from_outside() -> None:
    assert run(loop_with_invariant()) == """\
device f(%n: int32, %step: int32) -> (int32) {
entry:
  %0: int32 = const 0
  br header(%0)
header(%1.i: int32):
  %2: bool = lt %1.i, %n
  cbr %2, body(), done()
body:
  %3: int32 = add %1.i, %step
  br header(%3)
done:
  ret %1.i
}"""


def test_join_of_one_value_on_both_sides() -> None:
    fn = Function("f", ["c", "x"], [T.bool_, T.int32], is_kernel=False, result_types=[T.int32])
    b = Builder(fn)
    c, x = fn.args
    left, right, join = fn.new_block("left"), fn.new_block("right"), fn.new_block("join")
    b.cbr(c, left, [], right, [])
    Builder(fn, left).br(join, [x, x])
    right_builder = Builder(fn, right)
    right_builder.br(join, [x, right_builder.value(Op.NEG, [x], T.int32)])
    b.set_block(join)
    same, differs = join.add_param(T.int32, "same"), join.add_param(T.int32, "differs")
    b.ret([b.value(Op.ADD, [same, differs], T.int32)])
    text = run(fn)
    assert "join(%1.differs: int32):" in text and "add %x, %1.differs" in text
    assert "br join(%x)" in text and "br join(%0)" in text


def test_nested_loops_resolve_chains() -> None:
    """An outer and an inner header both carry ``x`` unchanged: both params go."""
    fn = Function("f", ["x", "c"], [T.int32, T.bool_], is_kernel=False, result_types=[T.int32])
    b = Builder(fn)
    x, c = fn.args
    outer, inner, outer_latch, done = (fn.new_block(label)
                                       for label in ("outer", "inner", "outer_latch", "done"))
    b.br(outer, [x])
    b.set_block(outer)
    x_outer = outer.add_param(T.int32, "xo")
    b.br(inner, [x_outer])
    b.set_block(inner)
    x_inner = inner.add_param(T.int32, "xi")
    b.cbr(c, inner, [x_inner], outer_latch, [])
    b.set_block(outer_latch)
    b.cbr(c, outer, [x_inner], done, [])
    Builder(fn, done).ret([x_inner])
    text = run(fn)
    assert "outer:" in text and "inner:" in text and "ret %x" in text


def test_entry_params_are_kept_and_distinct_values_stay() -> None:
    fn = Function("f", ["c", "x"], [T.bool_, T.int32], is_kernel=False, result_types=[T.int32])
    b = Builder(fn)
    c, x = fn.args
    join = fn.new_block("join")
    p = join.add_param(T.int32)
    b.cbr(c, join, [x], join, [b.value(Op.NEG, [x], T.int32)])
    Builder(fn, join).ret([p])
    before = str(fn)
    assert run(fn) == before
