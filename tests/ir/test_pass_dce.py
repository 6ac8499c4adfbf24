"""dce: unused pure ops, unreachable blocks and unused block params (dead cycles too)
go; effects, loads and the function's arguments stay."""
from __future__ import annotations

from simt.ir import ArrayType, Builder, Function, Op
from simt.ir import types as T
from simt.ir.passes import dce
from simt.ir.verifier import verify

F32_1D = ArrayType(T.float32, 1)


def run(fn: Function) -> str:
    verify(fn)
    dce(fn)
    verify(fn)
    return str(fn)


def test_unused_pure_ops_go_effects_and_loads_stay() -> None:
    fn = Function("k", ["x", "i"], [F32_1D, T.int64])
    b = Builder(fn)
    x, i = fn.args
    v = b.value(Op.LOAD, [x, i], T.float32)           # may trap: stays though unused
    unused = b.value(Op.MUL, [v, v], T.float32)
    b.value(Op.SQRT, [unused], T.float32)
    b.value(Op.THREAD_IDX, [], T.int32, {"axis": 0})
    kept = b.value(Op.ADD, [v, v], T.float32)
    b.emit(Op.STORE, [x, i, kept])
    b.emit(Op.PRINT, [], attrs={"parts": ["hi"]})
    b.ret()
    assert run(fn) == """\
kernel k(%x: float32[:], %i: int64) {
entry:
  %0: float32 = load %x, %i
  %1: float32 = add %0, %0
  store %x, %i, %1
  print parts=['hi']
  ret
}"""


def test_unreachable_blocks_go() -> None:
    fn = Function("f", ["x"], [T.int32], is_kernel=False, result_types=[T.int32])
    b = Builder(fn)
    b.ret([fn.args[0]])
    dead = fn.new_block("dead")
    b.set_block(dead)
    b.br(dead)
    run(fn)
    assert [block.label for block in fn.blocks] == ["entry"]


def test_arguments_are_never_removed() -> None:
    fn = Function("k", ["unused"], [T.int32])
    Builder(fn).ret()
    assert run(fn).startswith("kernel k(%unused: int32)")


def test_unused_join_param_and_its_args_go() -> None:
    fn = Function("f", ["c", "x"], [T.bool_, T.int32], is_kernel=False, result_types=[T.int32])
    b = Builder(fn)
    c, x = fn.args
    left, right, join = fn.new_block("left"), fn.new_block("right"), fn.new_block("join")
    b.cbr(c, left, [], right, [])
    b.set_block(left)
    b.br(join, [b.value(Op.NEG, [x], T.int32), x])
    b.set_block(right)
    b.br(join, [x, b.value(Op.ABS, [x], T.int32)])
    b.set_block(join)
    join.add_param(T.int32, "unused")
    used = join.add_param(T.int32, "used")
    b.ret([used])
    assert run(fn) == """\
device f(%c: bool, %x: int32) -> (int32) {
entry:
  cbr %c, left(), right()
left:
  br join(%x)
right:
  %0: int32 = abs %x
  br join(%0)
join(%1.used: int32):
  ret %1.used
}"""


def loop_with_dead_counter() -> Function:
    """``for i in range(n): total += x`` where ``j`` counts too but nobody reads it."""
    fn = Function("f", ["n", "x"], [T.int32, T.int32], is_kernel=False, result_types=[T.int32])
    b = Builder(fn)
    n, x = fn.args
    zero, one = b.const(0, T.int32), b.const(1, T.int32)
    header, body, done = fn.new_block("header"), fn.new_block("body"), fn.new_block("done")
    b.br(header, [zero, zero, zero])
    b.set_block(header)
    i = header.add_param(T.int32, "i")
    j = header.add_param(T.int32, "j")
    total = header.add_param(T.int32, "total")
    b.cbr(b.value(Op.LT, [i, n], T.bool_), body, [], done, [])
    b.set_block(body)
    next_j = b.value(Op.MUL, [b.value(Op.ADD, [j, one], T.int32), one], T.int32)
    b.br(header, [b.value(Op.ADD, [i, one], T.int32), next_j,
                  b.value(Op.ADD, [total, x], T.int32)])
    b.set_block(done)
    b.ret([total])
    return fn


def test_a_param_that_only_feeds_itself_around_a_loop_goes() -> None:
    assert run(loop_with_dead_counter()) == """\
device f(%n: int32, %x: int32) -> (int32) {
entry:
  %0: int32 = const 0
  %1: int32 = const 1
  br header(%0, %0)
header(%2.i: int32, %3.total: int32):
  %4: bool = lt %2.i, %n
  cbr %4, body(), done()
body:
  %5: int32 = add %2.i, %1
  %6: int32 = add %3.total, %x
  br header(%5, %6)
done:
  ret %3.total
}"""


def test_a_value_passed_to_a_live_param_is_live_on_every_edge() -> None:
    fn = loop_with_dead_counter()
    done = fn.blocks[-1]
    done.ops[-1].operands = [fn.blocks[1].params[1]]     # return j instead
    text = run(fn)
    assert "header(%2.i: int32, %3.j: int32):" in text
    assert "mul" in text and "%x" not in text.split("{", 1)[1]


def test_dce_is_idempotent() -> None:
    fn = loop_with_dead_counter()
    first = run(fn)
    assert run(fn) == first
