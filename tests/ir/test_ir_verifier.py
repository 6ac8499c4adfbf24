"""The verifier accepts well-formed functions and rejects each broken rule with a
message naming the function, the block, the op and the rule."""
from __future__ import annotations

import numpy as np
import pytest

from simt.ir import ArrayType, Builder, Function, MemorySpace, Op, Operation, Successor
from simt.ir import types as T
from simt.ir.ops import GROUPS
from simt.ir.verifier import (_OPERAND_CHECKS, RULE_BLOCKS, RULE_BRANCH_ARGS, RULE_DEFINED,
                              RULE_DOMINANCE, RULE_ENTRY_PARAMS, RULE_ENTRY_PREDS, RULE_OPERANDS,
                              RULE_SINGLE_DEF, RULE_SUCCESSOR, RULE_TERMINATOR, RULES,
                              IRVerificationError, verify)

F32_2D = ArrayType(T.float32, 2)


def device(*arg_types, results=(T.int32,)) -> tuple[Function, Builder]:
    names = [f"a{i}" for i in range(len(arg_types))]
    fn = Function("dev", names, list(arg_types), is_kernel=False, result_types=list(results))
    return fn, Builder(fn)


def kernel(*arg_types) -> tuple[Function, Builder]:
    names = [f"a{i}" for i in range(len(arg_types))]
    fn = Function("kern", names, list(arg_types))
    return fn, Builder(fn)


def rejects(fn: Function, rule: str, *fragments: str) -> IRVerificationError:
    with pytest.raises(IRVerificationError) as info:
        verify(fn)
    error = info.value
    assert error.rule == rule, str(error)
    message = str(error)
    assert rule in message and repr(fn.name) in message
    for fragment in fragments:
        assert fragment in message, message
    return error


# -- good functions pass -----------------------------------------------------------

def saxpy() -> Function:
    fn, b = kernel(T.float32, F32_2D, F32_2D)
    alpha, x, y = fn.args
    tid = b.value(Op.THREAD_IDX, [], T.int32, {"axis": 0})
    bid = b.value(Op.BLOCK_IDX, [], T.int32, {"axis": 0})
    dim = b.value(Op.BLOCK_DIM, [], T.int32, {"axis": 0})
    i = b.value(Op.ADD, [b.value(Op.MUL, [bid, dim], T.int32), tid], T.int32)
    i64 = b.value(Op.CAST, [i], T.int64)
    n = b.value(Op.ARRAY_DIM, [x], T.int64, {"axis": 0})
    zero = b.const(0, T.int64)
    in_range = b.value(Op.LT, [i64, n], T.bool_)
    body, done = fn.new_block("body"), fn.new_block("done")
    b.cbr(in_range, body, [], done, [])
    b.set_block(body)
    xi = b.value(Op.LOAD, [x, i64, zero], T.float32)
    yi = b.value(Op.LOAD, [y, i64, zero], T.float32)
    out = b.value(Op.ADD, [b.value(Op.MUL, [alpha, xi], T.float32), yi], T.float32)
    b.emit(Op.STORE, [y, i64, zero, out])
    b.emit(Op.PRINT, [out], attrs={"parts": ["y=", None]})
    b.br(done)
    b.set_block(done)
    b.ret()
    return fn


def counted_loop() -> Function:
    fn, b = device(T.int32)
    (n,) = fn.args
    zero, one = b.const(0, T.int32), b.const(1, T.int32)
    header, body, done = fn.new_block("header"), fn.new_block("body"), fn.new_block("done")
    b.br(header, [zero, zero])
    b.set_block(header)
    i, total = header.add_param(T.int32, "i"), header.add_param(T.int32, "total")
    b.cbr(b.value(Op.LT, [i, n], T.bool_), body, [], done, [total])
    b.set_block(body)
    b.br(header, [b.value(Op.ADD, [i, one], T.int32), b.value(Op.ADD, [total, i], T.int32)])
    b.set_block(done)
    result = done.add_param(T.int32, "result")
    b.ret([result])
    return fn


def test_good_functions_pass() -> None:
    verify(saxpy())
    verify(counted_loop())


def test_math_predicates_select_and_shared_arrays_pass() -> None:
    fn, b = device(T.float64, T.float64, ArrayType(T.int16, 1, MemorySpace.SHARED),
                   results=(T.float64, T.bool_, T.int16))
    x, y, shared = fn.args
    s = b.value(Op.SQRT, [x], T.float64)
    h = b.value(Op.HYPOT, [s, y], T.float64)
    f = b.value(Op.FMA, [x, y, h], T.float64)
    nan = b.value(Op.ISNAN, [f], T.bool_)
    pick = b.value(Op.SELECT, [nan, x, f], T.float64)
    lane = b.value(Op.LANE_ID, [], T.int32)
    v = b.value(Op.LOAD, [shared, lane], T.int16)
    b.ret([pick, b.value(Op.NOT, [nan], T.bool_), b.value(Op.SHL, [v, v], T.int16)])
    verify(fn)


def test_unreachable_blocks_are_checked_only_for_local_order() -> None:
    fn = counted_loop()
    dead = fn.new_block("dead")
    b = Builder(fn, dead)
    b.ret([b.value(Op.ADD, [fn.blocks[1].params[0], fn.args[0]], T.int32)])
    verify(fn)


def test_every_op_has_an_operand_check() -> None:
    every_op = set().union(*GROUPS.values()) | {Op.CONST, Op.CAST, Op.SELECT}
    assert every_op == set(Op)
    assert set(_OPERAND_CHECKS) == set(Op)


def test_rules_are_listed() -> None:
    assert len(set(RULES)) == len(RULES) == 10


# -- one broken function per rule ---------------------------------------------------

def test_block_without_terminator() -> None:
    fn, b = device(T.int32)
    b.value(Op.ADD, fn.args * 2, T.int32)
    rejects(fn, RULE_TERMINATOR, "block entry", "%0: int32 = add %a0, %a0", "not a terminator")


def test_empty_block() -> None:
    fn, b = device(T.int32)
    b.br(fn.new_block("empty"))
    rejects(fn, RULE_TERMINATOR, "block empty", "the block is empty")


def test_terminator_before_the_end() -> None:
    fn, b = device(T.int32)
    b.ret([fn.args[0]])
    b.ret([fn.args[0]])
    rejects(fn, RULE_TERMINATOR, "op `ret %a0`", "before the end")


def test_successor_on_a_non_terminator() -> None:
    fn, b = device(T.int32)
    other = fn.new_block("other")
    b.emit(Op.ADD, fn.args * 2, T.int32, successors=[Successor(other)])
    b.ret([fn.args[0]])
    Builder(fn, other).ret([fn.args[0]])
    rejects(fn, RULE_TERMINATOR, "only terminators have successors")


def test_cbr_with_one_successor() -> None:
    fn, b = device(T.bool_)
    b.emit(Op.CBR, [fn.args[0]], successors=[Successor(fn.new_block())])
    rejects(fn, RULE_TERMINATOR, "cbr needs 2 successors")


def test_successor_outside_the_function() -> None:
    fn, b = device(T.int32)
    other_fn, _ = device(T.int32)
    b.br(other_fn.new_block("elsewhere"))
    rejects(fn, RULE_SUCCESSOR, "elsewhere is not a block of this function")


def test_branch_to_the_entry_block() -> None:
    fn, b = device(T.int32)
    loop = fn.new_block("loop")
    b.br(loop)
    b.set_block(loop)
    b.br(fn.entry, [fn.args[0]])
    rejects(fn, RULE_ENTRY_PREDS, "block loop", "br entry(%a0)")


def test_branch_arg_count() -> None:
    fn, b = device(T.int32)
    join = fn.new_block("join")
    join.add_param(T.int32)
    b.br(join, [])
    Builder(fn, join).ret([join.params[0]])
    rejects(fn, RULE_BRANCH_ARGS, "0 args for the 1 params of join")


def test_branch_arg_type() -> None:
    fn, b = device(T.int64)
    join = fn.new_block("join")
    param = join.add_param(T.int32)
    b.br(join, [fn.args[0]])
    Builder(fn, join).ret([param])
    rejects(fn, RULE_BRANCH_ARGS, "arg 0 to join is int64, the param is int32")


def test_duplicate_block_labels() -> None:
    fn, b = device(T.int32)
    first, second = fn.new_block("same"), fn.new_block("same")
    b.cbr(b.const(True, T.bool_), first, [], second, [])
    Builder(fn, first).ret([fn.args[0]])
    Builder(fn, second).ret([fn.args[0]])
    rejects(fn, RULE_BLOCKS, "two blocks are labelled 'same'")


def test_block_listed_twice() -> None:
    fn, b = device(T.int32)
    b.ret([fn.args[0]])
    fn.blocks.append(fn.entry)
    rejects(fn, RULE_BLOCKS, "listed twice")


def test_entry_params_must_match_arguments() -> None:
    fn, b = device(T.int32)
    fn.entry.add_param(T.int32, "extra")
    b.ret([fn.args[0]])
    rejects(fn, RULE_ENTRY_PARAMS, "1 arguments but 2 entry params")


def test_value_defined_twice() -> None:
    fn, b = device(T.int32)
    first = b.emit(Op.NEG, [fn.args[0]], T.int32)
    second = b.emit(Op.ABS, [fn.args[0]], T.int32)
    second.result = first.result
    b.ret([first.result])
    rejects(fn, RULE_SINGLE_DEF, "also defined in block entry")


def test_param_defined_twice() -> None:
    fn, b = device(T.int32)
    join = fn.new_block("join")
    join.params.append(fn.args[0])
    b.br(join, [fn.args[0]])
    Builder(fn, join).ret([fn.args[0]])
    rejects(fn, RULE_SINGLE_DEF, "block join")


def test_value_from_another_function() -> None:
    fn, b = device(T.int32)
    other, _ = device(T.int32)
    b.ret([other.args[0]])
    rejects(fn, RULE_DEFINED, "is not defined in this function")


def test_operand_that_is_not_a_value() -> None:
    fn, b = device(T.int32)
    b.ret([None])
    rejects(fn, RULE_DEFINED, "None is not a Value")


def test_use_before_def_in_a_block() -> None:
    fn, b = device(T.int32)
    x = b.value(Op.NEG, [fn.args[0]], T.int32)
    y = b.value(Op.ABS, [x], T.int32)
    b.ret([y])
    fn.entry.ops[0], fn.entry.ops[1] = fn.entry.ops[1], fn.entry.ops[0]
    rejects(fn, RULE_DOMINANCE, "defined later in this block")


def test_use_not_dominated_across_blocks() -> None:
    fn, b = device(T.bool_, results=(T.bool_,))
    left, right, join = fn.new_block("left"), fn.new_block("right"), fn.new_block("join")
    b.cbr(fn.args[0], left, [], right, [])
    b.set_block(left)
    only_left = b.value(Op.NOT, [fn.args[0]], T.bool_)
    b.br(join)
    Builder(fn, right).br(join)
    Builder(fn, join).ret([only_left])
    rejects(fn, RULE_DOMINANCE, "block join", "in block left, which does not dominate it")


def test_loop_back_edge_arg_must_be_dominated() -> None:
    fn = counted_loop()
    body, done = fn.blocks[2], fn.blocks[3]
    after_loop = Operation(Op.NEG, [fn.args[0]], T.int32)
    done.ops.insert(0, after_loop)
    body.ops[-1].successors[0].args[1] = after_loop.result
    rejects(fn, RULE_DOMINANCE, "block body", "in block done, which does not dominate it")


# -- operand conventions ----------------------------------------------------------

def bad_op(op: Op, operands_of, result_type, attrs=None, arg_types=(T.int32, T.float32),
           results=(T.int32,)) -> Function:
    fn, b = device(*arg_types, results=results)
    b.emit(op, operands_of(fn.args), result_type, attrs)
    b.ret([b.const(0, t) for t in results])
    return fn


@pytest.mark.parametrize("op, operands_of, result_type, attrs, fragment", [
    (Op.ADD, lambda a: [a[0], a[1]], T.int32, None, "two operands of one scalar type"),
    (Op.ADD, lambda a: [a[0], a[0]], T.int64, None, "-> int64"),
    (Op.SUB, lambda a: [a[0]], T.int32, None, "got (int32) -> int32"),
    (Op.TRUEDIV, lambda a: [a[0], a[0]], T.int32, None, "truediv takes floats only"),
    (Op.SHL, lambda a: [a[1], a[1]], T.float32, None, "shl takes integers only"),
    (Op.SHR, lambda a: [a[1], a[1]], T.float32, None, "shr takes integers only"),
    (Op.XOR, lambda a: [a[1], a[1]], T.float32, None, "xor takes integers or bool"),
    (Op.LT, lambda a: [a[0], a[0]], T.int32, None, "returns bool"),
    (Op.EQ, lambda a: [a[0], a[1]], T.bool_, None, "one scalar type"),
    (Op.NEG, lambda a: [a[0]], T.float32, None, "keeps its type"),
    (Op.NOT, lambda a: [a[0]], T.int32, None, "not takes a bool"),
    (Op.SQRT, lambda a: [a[0]], T.int32, None, "float operand"),
    (Op.ATAN2, lambda a: [a[1], a[0]], T.float32, None, "2 float operand"),
    (Op.FMA, lambda a: [a[1], a[1]], T.float32, None, "3 float operand"),
    (Op.ISNAN, lambda a: [a[1]], T.float32, None, "returns bool"),
    (Op.ISINF, lambda a: [a[0]], T.bool_, None, "float operand"),
    (Op.SELECT, lambda a: [a[0], a[0], a[0]], T.int32, None, "select takes (bool, T, T)"),
    (Op.CAST, lambda a: [a[0], a[1]], T.int32, None, "cast takes one scalar"),
    (Op.THREAD_IDX, lambda a: [], T.int32, {"axis": 3}, "axis'] in 0..2, got 3"),
    (Op.BLOCK_DIM, lambda a: [], T.int32, None, "axis'] in 0..2, got None"),
    (Op.GRID_DIM, lambda a: [], T.int64, {"axis": 0}, "returns int32"),
    (Op.CONST, lambda a: [], T.int32, {"value": 3}, "not a NumPy int32 scalar"),
    (Op.CONST, lambda a: [], T.int32, {"value": np.int64(3)}, "not a NumPy int32 scalar"),
    (Op.CONST, lambda a: [], T.float32, {}, "const needs attrs['value']"),
    (Op.ADD, lambda a: [a[0], a[0]], None, None, "add needs a result"),
])
def test_operand_conventions(op, operands_of, result_type, attrs, fragment) -> None:
    rejects(bad_op(op, operands_of, result_type, attrs), RULE_OPERANDS, fragment, "block entry")


@pytest.mark.parametrize("operands_of, result_type, fragment", [
    (lambda a: [a[1], a[0]], T.float32, "takes an array first"),
    (lambda a: [a[0], a[1]], T.float32, "2-d array needs 2 indices, got 1"),
    (lambda a: [a[0], a[1], a[2]], T.float32, "indices must be integers"),
    (lambda a: [a[0], a[1], a[1]], T.float64, "returns float32"),
])
def test_load_conventions(operands_of, result_type, fragment) -> None:
    arg_types = (F32_2D, T.int64, T.float32)
    rejects(bad_op(Op.LOAD, operands_of, result_type, arg_types=arg_types), RULE_OPERANDS, fragment)


@pytest.mark.parametrize("operands_of, attrs, fragment", [
    (lambda a: [a[0], a[1], a[1], a[1]], None, "needs a float32 value"),
    (lambda a: [a[0], a[1], a[2]], None, "2-d array needs 2 indices, got 1"),
])
def test_store_conventions(operands_of, attrs, fragment) -> None:
    arg_types = (F32_2D, T.int64, T.float32)
    rejects(bad_op(Op.STORE, operands_of, None, arg_types=arg_types), RULE_OPERANDS, fragment)


def test_store_has_no_result() -> None:
    arg_types = (F32_2D, T.int64, T.float32)
    fn = bad_op(Op.STORE, lambda a: [a[0], a[1], a[1], a[2]], T.float32, arg_types=arg_types)
    rejects(fn, RULE_OPERANDS, "store has no result")


@pytest.mark.parametrize("axis, result_type, fragment", [
    (2, T.int64, "axis 2 is out of range for float32[:, :]"),
    (-1, T.int64, "axis -1 is out of range"),
    (0, T.int32, "returns int64"),
])
def test_array_dim_conventions(axis, result_type, fragment) -> None:
    fn = bad_op(Op.ARRAY_DIM, lambda a: [a[0]], result_type, {"axis": axis}, arg_types=(F32_2D,))
    rejects(fn, RULE_OPERANDS, fragment)


def test_print_parts_must_match_operands() -> None:
    fn = bad_op(Op.PRINT, lambda a: [a[0], a[1]], None, {"parts": ["x=", None]})
    rejects(fn, RULE_OPERANDS, "print has 2 operands for 1 None parts")


def test_cbr_condition_must_be_bool() -> None:
    fn, b = device(T.int32)
    yes, no = fn.new_block("yes"), fn.new_block("no")
    b.cbr(fn.args[0], yes, [], no, [])
    Builder(fn, yes).ret([fn.args[0]])
    Builder(fn, no).ret([fn.args[0]])
    rejects(fn, RULE_OPERANDS, "cbr takes one bool condition", "cbr %a0, yes(), no()")


def test_ret_in_a_kernel_returns_nothing() -> None:
    fn, b = kernel(T.int32)
    b.ret([fn.args[0]])
    error = rejects(fn, RULE_OPERANDS, "ret in a kernel returns nothing")
    assert "kernel 'kern'" in str(error)


def test_ret_in_a_device_function_matches_result_types() -> None:
    fn, b = device(T.int32, results=(T.int32, T.float32))
    b.ret([fn.args[0], fn.args[0]])
    rejects(fn, RULE_OPERANDS, "ret must return (int32, float32), got (int32, int32)")


def test_message_layout() -> None:
    fn, b = device(T.int32)
    b.ret([b.value(Op.TRUEDIV, [fn.args[0], fn.args[0]], T.int32)])
    with pytest.raises(IRVerificationError) as info:
        verify(fn)
    assert str(info.value) == (
        "device function 'dev', block entry, op `%0: int32 = truediv %a0, %a0`: "
        "operands follow the op's conventions: truediv takes floats only, got int32")
    later = info.value.after("cse")
    assert str(later).startswith("after pass 'cse': device function 'dev', block entry")
