"""cse: repeated pure ops merge into the dominating one; constants merge by type and
bit pattern; loads, effects and ops in sibling blocks stay."""
from __future__ import annotations

import numpy as np
import pytest

from simt.ir import ArrayType, Builder, Function, Op
from simt.ir import types as T
from simt.ir.passes import cse
from simt.ir.verifier import verify


def run(fn: Function) -> str:
    verify(fn)
    cse(fn)
    verify(fn)
    return str(fn)


def device(arg_types, results) -> tuple[Function, Builder]:
    names = [f"a{i}" for i in range(len(arg_types))]
    fn = Function("f", names, list(arg_types), is_kernel=False, result_types=list(results))
    return fn, Builder(fn)


def test_repeats_merge_in_a_block() -> None:
    fn, b = device([T.int32, T.int32], [T.int32] * 4)
    x, y = fn.args
    first = b.value(Op.ADD, [x, y], T.int32)
    again = b.value(Op.ADD, [x, y], T.int32)
    swapped = b.value(Op.ADD, [y, x], T.int32)      # int add commutes exactly
    other = b.value(Op.SUB, [x, y], T.int32)
    b.ret([first, again, swapped, other])
    assert run(fn).splitlines()[2:5] == [
        "  %0: int32 = add %a0, %a1", "  %1: int32 = sub %a0, %a1", "  ret %0, %0, %0, %1"]


def test_special_registers_and_attrs() -> None:
    fn, b = device([], [T.int32] * 4)
    tx = b.value(Op.THREAD_IDX, [], T.int32, {"axis": 0})
    tx2 = b.value(Op.THREAD_IDX, [], T.int32, {"axis": 0})
    ty = b.value(Op.THREAD_IDX, [], T.int32, {"axis": 1})
    bx = b.value(Op.BLOCK_IDX, [], T.int32, {"axis": 0})
    b.ret([tx, tx2, ty, bx])
    assert run(fn).splitlines()[-2] == "  ret %0, %0, %1, %2"


def test_same_bits_different_type_do_not_merge() -> None:
    fn, b = device([], [T.int32, T.uint32, T.int32])
    b.ret([b.const(7, T.int32), b.const(7, T.uint32), b.const(7, T.int32)])
    assert run(fn).splitlines()[-2] == "  ret %0, %1, %0"


def test_signed_zeros_stay_apart() -> None:
    fn, b = device([], [T.float32] * 4)
    b.ret([b.const(0.0, T.float32), b.const(-0.0, T.float32),
           b.const(-0.0, T.float32), b.const(0.0, T.float32)])
    text = run(fn)
    assert "%0: float32 = const 0.0" in text and "%1: float32 = const -0.0" in text
    assert text.splitlines()[-2] == "  ret %0, %1, %1, %0"


def test_nans_merge_only_with_the_same_payload() -> None:
    quiet = np.array([0x7FC00000], dtype=np.uint32).view(np.float32)[0]
    payload = np.array([0x7FC00001], dtype=np.uint32).view(np.float32)[0]
    negative = np.array([0xFFC00000], dtype=np.uint32).view(np.float32)[0]
    fn, b = device([], [T.float32] * 5)
    values = [b.value(Op.CONST, [], T.float32, {"value": v})
              for v in (quiet, payload, quiet, negative, payload)]
    b.ret(values)
    assert run(fn).splitlines()[-2] == "  ret %0, %1, %0, %2, %1"


def test_float_add_keeps_operand_order_but_eq_commutes() -> None:
    fn, b = device([T.float32, T.float32], [T.float32, T.float32, T.bool_, T.bool_])
    x, y = fn.args
    b.ret([b.value(Op.ADD, [x, y], T.float32), b.value(Op.ADD, [y, x], T.float32),
           b.value(Op.EQ, [x, y], T.bool_), b.value(Op.EQ, [y, x], T.bool_)])
    assert run(fn).splitlines()[-2] == "  ret %0, %1, %2, %2"


@pytest.mark.parametrize("op", [Op.SUB, Op.MIN, Op.MAX, Op.LT, Op.FLOORDIV, Op.SHL])
def test_order_matters_for_other_ops(op) -> None:
    result_type = T.bool_ if op is Op.LT else T.int32
    fn, b = device([T.int32, T.int32], [result_type, result_type])
    x, y = fn.args
    b.ret([b.value(op, [x, y], result_type), b.value(op, [y, x], result_type)])
    assert run(fn).splitlines()[-2] == "  ret %0, %1"


def test_loads_are_not_merged() -> None:
    fn = Function("k", ["a", "i"], [ArrayType(T.int32, 1), T.int64])
    b = Builder(fn)
    a, i = fn.args
    first = b.value(Op.LOAD, [a, i], T.int32)
    b.emit(Op.STORE, [a, i, b.value(Op.ADD, [first, first], T.int32)])
    second = b.value(Op.LOAD, [a, i], T.int32)
    b.emit(Op.STORE, [a, i, second])
    b.ret()
    assert run(fn).count("load") == 2


def diamond() -> tuple[Function, list]:
    fn, b = device([T.bool_, T.int32], [T.int32])
    c, x = fn.args
    left, right, join = fn.new_block("left"), fn.new_block("right"), fn.new_block("join")
    top = b.value(Op.NEG, [x], T.int32)
    b.cbr(c, left, [], right, [])
    b.set_block(left)
    in_left = b.value(Op.NEG, [x], T.int32)         # repeats top: dominated, merges
    only_left = b.value(Op.ABS, [x], T.int32)
    b.br(join, [b.value(Op.ADD, [in_left, only_left], T.int32)])
    b.set_block(right)
    in_right = b.value(Op.ABS, [x], T.int32)        # repeats a sibling's op: stays
    b.br(join, [in_right])
    b.set_block(join)
    p = join.add_param(T.int32)
    after = b.value(Op.ABS, [x], T.int32)           # not dominated by either abs: stays
    b.ret([b.value(Op.ADD, [b.value(Op.ADD, [p, after], T.int32), top], T.int32)])
    return fn, [top, in_left, only_left, in_right, after]


def test_scopes_follow_the_dominator_tree() -> None:
    fn, _ = diamond()
    assert run(fn) == """\
device f(%a0: bool, %a1: int32) -> (int32) {
entry:
  %0: int32 = neg %a1
  cbr %a0, left(), right()
left:
  %1: int32 = abs %a1
  %2: int32 = add %0, %1
  br join(%2)
right:
  %3: int32 = abs %a1
  br join(%3)
join(%4: int32):
  %5: int32 = abs %a1
  %6: int32 = add %4, %5
  %7: int32 = add %6, %0
  ret %7
}"""


def test_loop_body_reuses_values_from_the_preheader() -> None:
    fn, b = device([T.int32], [T.int32])
    (n,) = fn.args
    outside = b.value(Op.MUL, [n, n], T.int32)
    header, body, done = fn.new_block("header"), fn.new_block("body"), fn.new_block("done")
    b.br(header, [n])
    b.set_block(header)
    i = header.add_param(T.int32, "i")
    b.cbr(b.value(Op.LT, [i, b.value(Op.MUL, [n, n], T.int32)], T.bool_), body, [], done, [])
    b.set_block(body)
    b.br(header, [b.value(Op.ADD, [i, b.value(Op.MUL, [n, n], T.int32)], T.int32)])
    b.set_block(done)
    b.ret([outside])
    text = run(fn)
    assert text.count("mul") == 1
    assert "lt %1.i, %0" in text and "add %1.i, %0" in text
