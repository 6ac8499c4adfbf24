"""constant_fold: values through the evaluate callback, constant branches, and only
the identities that are exact for every input."""
from __future__ import annotations

import numpy as np
import pytest

from simt.ir import Builder, Function, Op
from simt.ir import types as T
from simt.ir.passes import constant_fold
from simt.ir.types import ScalarType
from simt.ir.verifier import verify

# A stand-in for the numpy backend's evaluate_constant: test scaffolding only.
_IMPL = {Op.ADD: np.add, Op.SUB: np.subtract, Op.MUL: np.multiply, Op.LT: np.less}


def evaluate(op, operands, result_type, attrs):
    if op not in _IMPL:
        return None
    with np.errstate(all="ignore"):
        return result_type.dtype.type(_IMPL[op](*operands))


def device(arg_types, results) -> tuple[Function, Builder]:
    names = [f"a{i}" for i in range(len(arg_types))]
    fn = Function("f", names, list(arg_types), is_kernel=False, result_types=list(results))
    return fn, Builder(fn)


def body(fn: Function) -> list[str]:
    """The printed ops of the function, one string per op, blocks flattened."""
    return [line.strip() for line in str(fn).splitlines()[1:-1] if line.startswith("  ")]


def fold(fn: Function, evaluate=evaluate) -> list[str]:
    verify(fn)
    constant_fold(fn, evaluate)
    verify(fn)
    return body(fn)


def test_folds_chains_of_constants_in_place() -> None:
    fn, b = device([T.int32], [T.int32])
    two, three = b.const(2, T.int32), b.const(3, T.int32)
    five = b.value(Op.ADD, [two, three], T.int32)
    b.ret([b.value(Op.MUL, [five, b.value(Op.SUB, [five, three], T.int32)], T.int32)])
    assert fold(fn) == [
        "%0: int32 = const 2", "%1: int32 = const 3", "%2: int32 = const 5",
        "%3: int32 = const 2", "%4: int32 = const 10", "ret %4"]


def test_folding_wraps_like_execution() -> None:
    fn, b = device([], [T.int8])
    big = b.const(100, T.int8)
    b.ret([b.value(Op.ADD, [big, big], T.int8)])
    assert fold(fn)[-2:] == ["%1: int8 = const -56", "ret %1"]


def test_without_evaluate_only_identities_and_branches_fold() -> None:
    fn, b = device([T.int32], [T.int32])
    two = b.const(2, T.int32)
    b.ret([b.value(Op.ADD, [two, two], T.int32)])
    assert fold(fn, evaluate=None) == ["%0: int32 = const 2", "%1: int32 = add %0, %0", "ret %1"]


def test_unknown_ops_are_left_alone() -> None:
    fn, b = device([], [T.int32])
    two = b.const(2, T.int32)
    b.ret([b.value(Op.FLOORDIV, [two, two], T.int32)])
    assert fold(fn)[-2] == "%1: int32 = floordiv %0, %0"


def test_evaluate_must_return_a_numpy_scalar_of_the_result_type() -> None:
    fn, b = device([], [T.int32])
    two = b.const(2, T.int32)
    b.ret([b.value(Op.ADD, [two, two], T.int32)])
    with pytest.raises(TypeError, match="evaluate\\(add\\) returned 4 \\(int\\)"):
        constant_fold(fn, lambda op, operands, result_type, attrs: 4)


def test_special_registers_are_not_constants() -> None:
    fn, b = device([], [T.int32])
    b.ret([b.value(Op.THREAD_IDX, [], T.int32, {"axis": 0})])
    calls = []
    constant_fold(fn, lambda *args: calls.append(args))
    assert calls == [] and fold(fn)[0] == "%0: int32 = thread_idx axis=0"


def test_constant_branch_becomes_br() -> None:
    fn, b = device([T.int32], [T.int32])
    yes, no = fn.new_block("yes"), fn.new_block("no")
    cond = b.value(Op.LT, [b.const(1, T.int32), b.const(2, T.int32)], T.bool_)
    b.cbr(cond, yes, [], no, [])
    Builder(fn, yes).ret([fn.args[0]])
    Builder(fn, no).ret([fn.args[0]])
    assert fold(fn)[3] == "br yes()"
    assert [block.label for block in fn.blocks] == ["entry", "yes", "no"]   # left for simplify_cfg


def test_constant_false_branch_keeps_its_args() -> None:
    fn, b = device([T.int32], [T.int32])
    yes, join = fn.new_block("yes"), fn.new_block("join")
    param = join.add_param(T.int32)
    b.cbr(b.const(False, T.bool_), yes, [], join, [fn.args[0]])
    Builder(fn, yes).br(join, [fn.args[0]])
    Builder(fn, join).ret([param])
    assert fold(fn)[1] == "br join(%a0)"


def binary(op: Op, t: ScalarType, constant, constant_first: bool = False) -> Function:
    fn, b = device([t], [t])
    c = b.const(constant, t)
    operands = [c, fn.args[0]] if constant_first else [fn.args[0], c]
    b.ret([b.value(op, operands, t)])
    return fn


@pytest.mark.parametrize("op, t, constant, constant_first", [
    (Op.ADD, T.int32, 0, False), (Op.ADD, T.uint8, 0, True), (Op.SUB, T.int64, 0, False),
    (Op.MUL, T.int16, 1, False), (Op.MUL, T.uint32, 1, True), (Op.FLOORDIV, T.int32, 1, False),
    (Op.SHL, T.int32, 0, False), (Op.SHR, T.uint64, 0, False),
    (Op.AND, T.int32, -1, False), (Op.AND, T.uint8, 255, True), (Op.AND, T.bool_, True, False),
    (Op.OR, T.int32, 0, True), (Op.OR, T.bool_, False, False), (Op.XOR, T.int8, 0, False),
    (Op.MUL, T.float32, 1.0, False), (Op.MUL, T.float64, 1.0, True),
    (Op.TRUEDIV, T.float32, 1.0, False),
    (Op.ADD, T.float32, -0.0, False), (Op.ADD, T.float64, -0.0, True),
    (Op.SUB, T.float32, 0.0, False),
])
def test_exact_identities_return_the_operand(op, t, constant, constant_first) -> None:
    assert fold(binary(op, t, constant, constant_first), evaluate=None)[-1] == "ret %a0"


@pytest.mark.parametrize("op, t, constant, constant_first", [
    (Op.ADD, T.float32, 0.0, False),      # -0.0 + 0.0 is 0.0
    (Op.ADD, T.float64, 0.0, True),
    (Op.SUB, T.float32, -0.0, False),     # -0.0 - -0.0 is 0.0
    (Op.SUB, T.int32, 0, True),           # 0 - x is -x
    (Op.MUL, T.float32, 0.0, False),      # inf * 0.0 is NaN, -1.0 * 0.0 is -0.0
    (Op.MUL, T.float32, -1.0, False),
    (Op.TRUEDIV, T.float32, 1.0, True),
    (Op.FLOORDIV, T.float64, 1.0, False),  # floor
    (Op.FLOORDIV, T.int32, 1, True),
    (Op.MOD, T.float32, 1.0, False),
    (Op.POW, T.float32, 1.0, False),
    (Op.ADD, T.int32, 1, False),
])
def test_inexact_identities_are_not_folded(op, t, constant, constant_first) -> None:
    assert fold(binary(op, t, constant, constant_first), evaluate=None)[-1] != "ret %a0"


@pytest.mark.parametrize("op, t, constant, expected", [
    (Op.MUL, T.int32, 0, "const 0"), (Op.AND, T.uint16, 0, "const 0"),
    (Op.OR, T.int8, -1, "const -1"), (Op.OR, T.bool_, True, "const True"),
    (Op.AND, T.bool_, False, "const False"),
])
def test_absorbing_constants(op, t, constant, expected) -> None:
    assert fold(binary(op, t, constant), evaluate=None)[-2].endswith(expected)


@pytest.mark.parametrize("op, t, result_type, expected", [
    (Op.SUB, T.int32, T.int32, "const 0"), (Op.XOR, T.uint8, T.uint8, "const 0"),
    (Op.XOR, T.bool_, T.bool_, "const False"),
    (Op.EQ, T.int64, T.bool_, "const True"), (Op.LE, T.int8, T.bool_, "const True"),
    (Op.GE, T.bool_, T.bool_, "const True"), (Op.NE, T.int32, T.bool_, "const False"),
    (Op.LT, T.uint32, T.bool_, "const False"), (Op.GT, T.int16, T.bool_, "const False"),
])
def test_an_integer_op_on_itself(op, t, result_type, expected) -> None:
    fn, b = device([t], [result_type])
    b.ret([b.value(op, [fn.args[0], fn.args[0]], result_type)])
    assert fold(fn, evaluate=None)[0].endswith(expected)


@pytest.mark.parametrize("op, result_type", [
    (Op.SUB, T.float32), (Op.EQ, T.bool_), (Op.NE, T.bool_), (Op.LE, T.bool_),
    (Op.ADD, T.float32), (Op.TRUEDIV, T.float32),
])
def test_a_float_op_on_itself_is_kept(op, result_type) -> None:
    fn, b = device([T.float32], [result_type])
    b.ret([b.value(op, [fn.args[0], fn.args[0]], result_type)])
    assert fold(fn, evaluate=None)[0].startswith(f"%0: {result_type} = {op.value}")


@pytest.mark.parametrize("op, t", [(Op.AND, T.int32), (Op.OR, T.bool_), (Op.MIN, T.float32),
                                   (Op.MAX, T.float64), (Op.MIN, T.int8)])
def test_idempotent_ops_on_one_operand(op, t) -> None:
    fn, b = device([t], [t])
    b.ret([b.value(op, [fn.args[0], fn.args[0]], t)])
    assert fold(fn, evaluate=None) == ["ret %a0"]


def test_select_identities() -> None:
    fn, b = device([T.bool_, T.int32, T.int32], [T.int32, T.int32, T.int32, T.bool_])
    cond, x, y = fn.args
    same_arms = b.value(Op.SELECT, [cond, x, x], T.int32)
    taken = b.value(Op.SELECT, [b.const(True, T.bool_), x, y], T.int32)
    not_taken = b.value(Op.SELECT, [b.const(False, T.bool_), x, y], T.int32)
    as_bool = b.value(Op.SELECT, [cond, b.const(True, T.bool_), b.const(False, T.bool_)], T.bool_)
    b.ret([same_arms, taken, not_taken, as_bool])
    assert fold(fn, evaluate=None)[-1] == "ret %a1, %a1, %a2, %a0"


def test_cast_to_the_same_type_is_the_operand() -> None:
    fn, b = device([T.float32], [T.float32, T.float64])
    x = fn.args[0]
    b.ret([b.value(Op.CAST, [x], T.float32), b.value(Op.CAST, [x], T.float64)])
    assert fold(fn, evaluate=None) == ["%0: float64 = cast %a0", "ret %a0, %0"]


def test_float_constants_fold_bit_exactly() -> None:
    fn, b = device([], [T.float32, T.float32])
    neg_zero = b.value(Op.MUL, [b.const(-1.0, T.float32), b.const(0.0, T.float32)], T.float32)
    inf = b.const(np.inf, T.float32)
    nan = b.value(Op.ADD, [inf, b.value(Op.MUL, [b.const(-1.0, T.float32), inf], T.float32)],
                  T.float32)
    b.ret([neg_zero, nan])
    ops = fold(fn)
    assert "%2: float32 = const -0.0" in ops
    assert any(line.endswith("const nan") for line in ops)


def test_uses_in_unreachable_blocks_are_redirected() -> None:
    fn, b = device([T.int32], [T.int32])
    x = b.value(Op.ADD, [fn.args[0], b.const(0, T.int32)], T.int32)
    b.ret([x])
    dead = fn.new_block("dead")
    Builder(fn, dead).ret([x])
    assert fold(fn, evaluate=None)[-1] == "ret %a0"
