"""optimize(): the pipeline verifies after every pass, reaches a fixed point, and
preserves results on random straight-line, diamond and loop functions.

The evaluator and the interpreter below are test scaffolding (a few int32 ops in
plain Python), standing in for the numpy backend: the constant folder's callback
and the reference that says what a function computes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from simt.ir import Builder, Function, Op, Value
from simt.ir import types as T
from simt.ir.core import canonical_constant
from simt.ir.passes import (PIPELINE, constant_fold, cse, dce, optimize, simplify_cfg,
                            simplify_params)
from simt.ir.verifier import IRVerificationError, verify

INT_OPS = {
    Op.ADD: lambda a, b: int(a) + int(b),
    Op.SUB: lambda a, b: int(a) - int(b),
    Op.MUL: lambda a, b: int(a) * int(b),
    Op.AND: lambda a, b: int(a) & int(b),
    Op.XOR: lambda a, b: int(a) ^ int(b),
}
COMPARE_OPS = {
    Op.EQ: lambda a, b: a == b, Op.NE: lambda a, b: a != b, Op.LT: lambda a, b: a < b,
    Op.LE: lambda a, b: a <= b, Op.GT: lambda a, b: a > b, Op.GE: lambda a, b: a >= b,
}
IMPL = {**INT_OPS, **COMPARE_OPS, Op.SELECT: lambda c, a, b: a if c else b}


def evaluate(op, operands, result_type, attrs):
    impl = IMPL.get(op)
    return None if impl is None else canonical_constant(impl(*operands), result_type)


def interpret(fn: Function, args: list[np.generic], max_steps: int = 10_000) -> list[np.generic]:
    env: dict[Value, np.generic] = dict(zip(fn.args, args))
    block = fn.entry
    for _ in range(max_steps):
        for operation in block.ops:
            values = [env[v] for v in operation.operands]
            if operation.op is Op.CONST:
                env[operation.result] = operation.attrs["value"]
            elif operation.op is Op.RET:
                return values
            elif operation.op in (Op.BR, Op.CBR):
                succ = operation.successors[0 if operation.op is Op.BR or values[0] else 1]
                incoming = [env[v] for v in succ.args]
                env.update(zip(succ.block.params, incoming))
                block = succ.block
            else:
                env[operation.result] = evaluate(operation.op, values, operation.result.type,
                                                 operation.attrs)
    raise AssertionError("the function did not return")


# -- random functions ----------------------------------------------------------------

I32 = st.one_of(st.sampled_from([0, 1, -1, 2, 7, 2**31 - 1, -2**31]),
                st.integers(-2**31, 2**31 - 1))


@dataclass
class Scope:
    """The values usable at a point: those whose definitions dominate it."""
    ints: list[Value]
    bools: list[Value] = field(default_factory=list)
    recipes: list[tuple] = field(default_factory=list)   # pure ops seen, for repeats

    def copy(self) -> Scope:
        return Scope(list(self.ints), list(self.bools), list(self.recipes))


def emit_ops(draw, b: Builder, scope: Scope, max_ops: int = 6) -> None:
    pick = lambda values: draw(st.sampled_from(values))   # noqa: E731
    for _ in range(draw(st.integers(0, max_ops))):
        kind = draw(st.sampled_from(
            ["const", "int", "int", "self", "identity", "compare", "select", "repeat", "swap"]))
        if kind == "const":
            scope.ints.append(b.const(draw(I32), T.int32))
            continue
        if kind in ("int", "self", "identity"):
            a = pick(scope.ints)
            if kind == "identity":      # an operand that makes identities likely: 0, 1, -1
                other = b.const(draw(st.sampled_from([0, 1, -1])), T.int32)
            else:
                other = a if kind == "self" else pick(scope.ints)
            operands = [a, other] if draw(st.booleans()) else [other, a]
            recipe = (draw(st.sampled_from(list(INT_OPS))), operands, T.int32)
        elif kind == "compare":
            operands = [pick(scope.ints), pick(scope.ints)]
            recipe = (draw(st.sampled_from(list(COMPARE_OPS))), operands, T.bool_)
        elif kind == "select" and scope.bools:
            recipe = (Op.SELECT, [pick(scope.bools), pick(scope.ints), pick(scope.ints)], T.int32)
        elif kind == "repeat" and scope.recipes:
            recipe = pick(scope.recipes)
        elif kind == "swap" and scope.recipes:     # the same op with its (last) operands swapped
            op, operands, result_type = pick(scope.recipes)
            recipe = (op, [*operands[:-2], operands[-1], operands[-2]], result_type)
        else:
            continue
        op, operands, result_type = recipe
        value = b.value(op, list(operands), result_type)
        (scope.bools if result_type == T.bool_ else scope.ints).append(value)
        scope.recipes.append(recipe)


def condition(draw, b: Builder, scope: Scope) -> Value:
    if scope.bools and draw(st.booleans()):
        return draw(st.sampled_from(scope.bools))
    if draw(st.booleans()):
        return b.const(draw(st.booleans()), T.bool_)
    return b.value(draw(st.sampled_from(list(COMPARE_OPS))),
                   [draw(st.sampled_from(scope.ints)), draw(st.sampled_from(scope.ints))], T.bool_)


@st.composite
def random_functions(draw) -> Function:
    results = draw(st.integers(1, 3))
    fn = Function("random", ["a", "b"], [T.int32, T.int32], is_kernel=False,
                  result_types=[T.int32] * results)
    b = Builder(fn)
    entry = Scope(list(fn.args))
    emit_ops(draw, b, entry)
    shape = draw(st.sampled_from(["straight", "diamond", "loop"]))
    if shape == "straight":
        exit_scope = entry
    elif shape == "diamond":
        exit_scope = diamond(draw, fn, b, entry)
    else:
        exit_scope = loop(draw, fn, b, entry)
    b.ret([draw(st.sampled_from(exit_scope.ints)) for _ in range(results)])
    return fn


def diamond(draw, fn: Function, b: Builder, entry: Scope) -> Scope:
    cond = condition(draw, b, entry)
    n_params = draw(st.integers(0, 2))
    join = fn.new_block("join")
    params = [join.add_param(T.int32) for _ in range(n_params)]
    if draw(st.booleans()):       # both edges straight to the join
        args = [draw(st.sampled_from(entry.ints)) for _ in params]
        other = args if draw(st.booleans()) else [draw(st.sampled_from(entry.ints)) for _ in params]
        b.cbr(cond, join, args, join, other)
    else:
        left, right = fn.new_block("left"), fn.new_block("right")
        b.cbr(cond, left, [], right, [])
        for arm in (left, right):
            b.set_block(arm)
            scope = entry.copy()
            emit_ops(draw, b, scope)
            b.br(join, [draw(st.sampled_from(scope.ints)) for _ in params])
    b.set_block(join)
    scope = entry.copy()
    scope.ints += params
    emit_ops(draw, b, scope)
    return scope


def loop(draw, fn: Function, b: Builder, entry: Scope) -> Scope:
    zero, one = b.const(0, T.int32), b.const(1, T.int32)
    bound = b.const(draw(st.integers(0, 4)), T.int32)
    carried = draw(st.integers(0, 2))
    header, body, done = fn.new_block("header"), fn.new_block("body"), fn.new_block("done")
    b.br(header, [zero] + [draw(st.sampled_from(entry.ints)) for _ in range(carried)])
    b.set_block(header)
    counter = header.add_param(T.int32, "i")
    header_scope = entry.copy()
    header_scope.ints += [counter] + [header.add_param(T.int32) for _ in range(carried)]
    emit_ops(draw, b, header_scope, max_ops=3)
    b.cbr(b.value(Op.LT, [counter, bound], T.bool_), body, [], done, [])
    b.set_block(body)
    body_scope = header_scope.copy()
    emit_ops(draw, b, body_scope)
    next_counter = b.value(Op.ADD, [counter, one], T.int32)
    b.br(header, [next_counter] + [draw(st.sampled_from(body_scope.ints)) for _ in range(carried)])
    b.set_block(done)
    return header_scope


INPUTS = st.lists(st.tuples(I32, I32), min_size=1, max_size=3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_functions(), INPUTS, st.booleans())
def test_optimize_preserves_results(fn: Function, inputs, with_evaluate: bool) -> None:
    note(str(fn))
    verify(fn)
    arg_sets = [[np.int32(a), np.int32(b)] for a, b in inputs]
    expected = [interpret(fn, args) for args in arg_sets]
    optimize(fn, evaluate if with_evaluate else None, verify_each=True)
    note(str(fn))
    for args, want in zip(arg_sets, expected):
        got = interpret(fn, args)
        assert [(v.dtype, v.item()) for v in got] == [(v.dtype, v.item()) for v in want]
    text = str(fn)
    optimize(fn, evaluate if with_evaluate else None, verify_each=True)
    assert str(fn) == text, "optimize did not reach a fixed point"


# -- the pipeline itself ------------------------------------------------------------

def test_pipeline_lists_every_pass_in_order() -> None:
    assert PIPELINE == (constant_fold, simplify_cfg, simplify_params, cse, dce)


def test_optimize_folds_a_whole_diamond_away() -> None:
    fn = Function("f", ["x"], [T.int32], is_kernel=False, result_types=[T.int32])
    b = Builder(fn)
    (x,) = fn.args
    left, right, join = fn.new_block("left"), fn.new_block("right"), fn.new_block("join")
    two = b.const(2, T.int32)
    b.cbr(b.value(Op.LT, [two, b.value(Op.ADD, [two, two], T.int32)], T.bool_), left, [], right, [])
    b.set_block(left)
    one = b.value(Op.SUB, [two, b.const(1, T.int32)], T.int32)
    b.br(join, [b.value(Op.MUL, [x, one], T.int32)])
    b.set_block(right)
    b.br(join, [b.value(Op.NEG, [x], T.int32)])
    b.set_block(join)
    p = join.add_param(T.int32)
    b.ret([b.value(Op.ADD, [p, b.value(Op.SUB, [x, x], T.int32)], T.int32)])
    optimize(fn, evaluate, verify_each=True)
    assert str(fn) == "device f(%x: int32) -> (int32) {\nentry:\n  ret %x\n}"


def test_optimize_without_evaluate_still_cleans_up() -> None:
    fn = Function("f", ["x"], [T.int32], is_kernel=False, result_types=[T.int32])
    b = Builder(fn)
    (x,) = fn.args
    yes, no = fn.new_block("yes"), fn.new_block("no")
    two = b.const(2, T.int32)
    b.value(Op.ADD, [x, two], T.int32)
    b.cbr(b.const(True, T.bool_), yes, [], no, [])
    b.set_block(yes)
    b.ret([b.value(Op.ADD, [two, two], T.int32)])
    Builder(fn, no).ret([x])
    optimize(fn, verify_each=True)
    assert str(fn) == """\
device f(%x: int32) -> (int32) {
entry:
  %0: int32 = const 2
  %1: int32 = add %0, %0
  ret %1
}"""


def test_verify_each_names_the_pass_that_broke_the_function(monkeypatch) -> None:
    import simt.ir.passes as passes

    def broken(fn: Function) -> Function:
        fn.entry.ops.pop()
        return fn
    broken.__name__ = "broken"
    monkeypatch.setattr(passes, "PIPELINE", (broken,))
    fn = Function("f", [], [], is_kernel=True)
    Builder(fn).ret()
    with pytest.raises(IRVerificationError, match="after pass 'broken': kernel 'f', block entry"):
        optimize(fn, verify_each=True)


def test_verify_each_rejects_a_broken_input() -> None:
    fn = Function("f", [], [], is_kernel=True)
    expected = "in the input of optimize: kernel 'f', block entry"
    with pytest.raises(IRVerificationError, match=expected):
        optimize(fn, verify_each=True)
