"""simplify_cfg: unreachable blocks go, straight-line chains merge, empty branch-only
blocks are bypassed, CBRs with identical edges become BRs; loops survive."""
from __future__ import annotations

from simt.ir import Builder, Function, Op
from simt.ir import types as T
from simt.ir.passes import simplify_cfg
from simt.ir.verifier import verify


def run(fn: Function) -> str:
    verify(fn)
    simplify_cfg(fn)
    verify(fn)
    return str(fn)


def device(arg_types, results) -> tuple[Function, Builder]:
    names = [f"a{i}" for i in range(len(arg_types))]
    fn = Function("f", names, list(arg_types), is_kernel=False, result_types=list(results))
    return fn, Builder(fn)


def labels(fn: Function) -> list[str]:
    return [block.label for block in fn.blocks]


def test_a_chain_merges_into_the_entry_substituting_params() -> None:
    fn, b = device([T.int32], [T.int32])
    (x,) = fn.args
    second, third = fn.new_block("second"), fn.new_block("third")
    b.br(second, [b.value(Op.NEG, [x], T.int32)])
    b.set_block(second)
    p = second.add_param(T.int32, "p")
    b.br(third, [p, x])
    b.set_block(third)
    q, r = third.add_param(T.int32, "q"), third.add_param(T.int32, "r")
    b.ret([b.value(Op.ADD, [q, r], T.int32)])
    assert run(fn) == """\
device f(%a0: int32) -> (int32) {
entry:
  %0: int32 = neg %a0
  %1: int32 = add %0, %a0
  ret %1
}"""


def test_chain_listed_backwards_merges_too() -> None:
    fn, b = device([T.int32], [T.int32])
    last, middle = fn.new_block("last"), fn.new_block("middle")
    b.br(middle)
    Builder(fn, middle).br(last)
    Builder(fn, last).ret([fn.args[0]])
    run(fn)
    assert labels(fn) == ["entry"] and str(fn).splitlines()[-2] == "  ret %a0"


def test_unreachable_blocks_go_and_entry_stays_first() -> None:
    fn, b = device([T.bool_], [T.bool_])
    dead, live, exit_ = fn.new_block("dead"), fn.new_block("live"), fn.new_block("exit")
    b.cbr(fn.args[0], live, [], exit_, [])
    Builder(fn, dead).br(live)
    live_builder = Builder(fn, live)
    live_builder.value(Op.NOT, [fn.args[0]], T.bool_)
    live_builder.br(exit_)
    Builder(fn, exit_).ret([fn.args[0]])
    run(fn)
    assert labels(fn) == ["entry", "live", "exit"]


def test_branches_that_meet_again_collapse() -> None:
    fn, b = device([T.bool_], [T.bool_])
    left, right, join = fn.new_block("left"), fn.new_block("right"), fn.new_block("join")
    b.cbr(fn.args[0], left, [], right, [])
    Builder(fn, left).br(join)
    Builder(fn, right).br(join)
    Builder(fn, join).ret([fn.args[0]])
    run(fn)
    assert labels(fn) == ["entry"] and str(fn).splitlines()[-2] == "  ret %a0"


def test_cbr_with_identical_edges_becomes_br() -> None:
    fn, b = device([T.bool_, T.int32], [T.int32])
    c, x = fn.args
    join = fn.new_block("join")
    p = join.add_param(T.int32)
    b.cbr(c, join, [x], join, [x])
    b.set_block(join)
    b.value(Op.NEG, [p], T.int32)
    b.ret([p])
    assert run(fn).splitlines()[2:4] == ["  %0: int32 = neg %a1", "  ret %a1"]


def test_cbr_with_different_args_stays() -> None:
    fn, b = device([T.bool_, T.int32], [T.int32])
    c, x = fn.args
    join = fn.new_block("join")
    p = join.add_param(T.int32)
    b.cbr(c, join, [x], join, [b.value(Op.NEG, [x], T.int32)])
    Builder(fn, join).ret([p])
    assert "cbr %a0, join(%a1), join(%0)" in run(fn)


def test_empty_blocks_are_forwarded_with_their_args() -> None:
    fn, b = device([T.bool_, T.int32], [T.int32])
    c, x = fn.args
    left, right, join = fn.new_block("left"), fn.new_block("right"), fn.new_block("join")
    neg = b.value(Op.NEG, [x], T.int32)
    b.cbr(c, left, [neg], right, [])
    b.set_block(left)
    lp = left.add_param(T.int32, "lp")
    b.br(join, [lp, x])
    Builder(fn, right).br(join, [x, neg])
    b.set_block(join)
    p, q = join.add_param(T.int32, "p"), join.add_param(T.int32, "q")
    b.ret([b.value(Op.SUB, [p, q], T.int32)])
    assert run(fn) == """\
device f(%a0: bool, %a1: int32) -> (int32) {
entry:
  %0: int32 = neg %a1
  cbr %a0, join(%0, %a1), join(%a1, %0)
join(%1.p: int32, %2.q: int32):
  %3: int32 = sub %1.p, %2.q
  ret %3
}"""


def test_an_empty_block_whose_param_is_used_later_is_kept() -> None:
    fn, b = device([T.bool_, T.int32], [T.int32])
    c, x = fn.args
    left, right, join = fn.new_block("left"), fn.new_block("right"), fn.new_block("join")
    b.cbr(c, left, [], right, [])
    Builder(fn, left).br(join, [x])
    right_builder = Builder(fn, right)
    right_builder.br(join, [right_builder.value(Op.NEG, [x], T.int32)])
    b.set_block(join)
    p = join.add_param(T.int32, "p")
    after = fn.new_block("after")
    b.br(after)
    Builder(fn, after).ret([p])         # join's only op is br, but p is needed after it
    run(fn)
    assert labels(fn) == ["entry", "right", "join"]
    assert "join(%1.p: int32):\n  ret %1.p" in str(fn)


def counted_loop() -> Function:
    fn, b = device([T.int32], [T.int32])
    (n,) = fn.args
    zero, one = b.const(0, T.int32), b.const(1, T.int32)
    pre, header = fn.new_block("pre"), fn.new_block("header")
    body, latch, done = fn.new_block("body"), fn.new_block("latch"), fn.new_block("done")
    b.br(pre)
    Builder(fn, pre).br(header, [zero])
    b.set_block(header)
    i = header.add_param(T.int32, "i")
    b.cbr(b.value(Op.LT, [i, n], T.bool_), body, [], done, [])
    b.set_block(body)
    b.br(latch, [b.value(Op.ADD, [i, one], T.int32)])
    b.set_block(latch)
    nxt = latch.add_param(T.int32, "next")
    b.br(header, [nxt])
    Builder(fn, done).ret([i])
    return fn


def test_loops_survive() -> None:
    assert run(counted_loop()) == """\
device f(%a0: int32) -> (int32) {
entry:
  %0: int32 = const 0
  %1: int32 = const 1
  br header(%0)
header(%2.i: int32):
  %3: bool = lt %2.i, %a0
  cbr %3, body(), done()
body:
  %4: int32 = add %2.i, %1
  br header(%4)
done:
  ret %2.i
}"""


def test_self_loop_survives() -> None:
    fn, b = device([T.int32], [T.int32])
    spin = fn.new_block("spin")
    b.br(spin, [fn.args[0]])
    b.set_block(spin)
    p = spin.add_param(T.int32, "p")
    b.cbr(b.value(Op.LT, [p, fn.args[0]], T.bool_), spin, [p], spin, [fn.args[0]])
    run(fn)
    assert labels(fn) == ["entry", "spin"]
    assert "cbr %1, spin(%0.p), spin(%a0)" in str(fn)


def test_infinite_empty_loop_terminates() -> None:
    fn, b = device([], [])
    first, second = fn.new_block("first"), fn.new_block("second")
    b.br(first)
    Builder(fn, first).br(second)
    Builder(fn, second).br(first)
    run(fn)
    assert len(fn.blocks) == 2 and fn.blocks[1].ops[0].successors[0].block is fn.blocks[1]


def test_entry_that_only_branches_to_a_loop_header_stays() -> None:
    fn, b = device([T.int32], [T.int32])
    (n,) = fn.args
    header, done = fn.new_block("header"), fn.new_block("done")
    b.br(header, [n])
    b.set_block(header)
    i = header.add_param(T.int32, "i")
    smaller = b.value(Op.SUB, [i, n], T.int32)
    b.cbr(b.value(Op.LT, [smaller, n], T.bool_), header, [smaller], done, [])
    Builder(fn, done).ret([i])
    run(fn)
    assert labels(fn) == ["entry", "header", "done"]
    assert fn.entry.ops[0].op is Op.BR
