"""setp, set, selp and slct: every comparison, ordered and unordered."""
from __future__ import annotations

import math
import operator

import numpy as np
import pytest

from .ptxkit import run_elementwise

NAN = math.nan
_CMP = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
        "gt": operator.gt, "ge": operator.ge}
A = [1.0, 2.0, NAN, 1.0, NAN, -0.0, math.inf, -1.0]
B = [2.0, 1.0, 1.0, NAN, NAN, 0.0, math.inf, -1.0]


@pytest.mark.parametrize("t", ["f32", "f64"])
@pytest.mark.parametrize("cmp", sorted(_CMP))
def test_float_comparisons_ordered_and_unordered(t, cmp):
    ordered, unordered = run_elementwise(f"setp.{cmp}.{t} %d, %a, %b; setp.{cmp}u.{t} %q, %a, %b;",
                                         [(t, A), (t, B)], ["pred", "pred"])
    for x, y, o, u in zip(A, B, ordered, unordered):
        nan = math.isnan(x) or math.isnan(y)
        assert o == (False if nan else _CMP[cmp](x, y)), (cmp, x, y)
        assert u == (True if nan else _CMP[cmp](x, y)), (cmp + "u", x, y)


def test_num_nan_and_combining_predicates():
    num, isnan = run_elementwise("setp.num.f32 %d, %a, %b; setp.nan.f32 %q, %a, %b;",
                                 [("f32", A), ("f32", B)], ["pred", "pred"])
    expected_nan = [math.isnan(x) or math.isnan(y) for x, y in zip(A, B)]
    assert isnan.tolist() == expected_nan and num.tolist() == [not e for e in expected_nan]
    c = [True, False, True, False, True, False, True, False]
    p, q = run_elementwise("setp.lt.and.f32 %d|%q, %a, %b, %c;",
                           [("f32", A), ("f32", B), ("pred", c)], ["pred", "pred"])
    for x, y, cc, pp, qq in zip(A, B, c, p, q):
        t = (not (math.isnan(x) or math.isnan(y))) and x < y
        assert pp == (t and cc) and qq == ((not t) and cc)
    (p,) = run_elementwise("setp.ge.or.f32 %d, %a, %b, !%c;",
                           [("f32", A), ("f32", B), ("pred", c)], ["pred"])
    assert p.tolist() == [(not math.isnan(x) and not math.isnan(y) and x >= y) or not cc
                          for x, y, cc in zip(A, B, c)]


def test_integer_comparisons_signed_unsigned_and_bits():
    a, b = [-1, 0, 5, 2**31 - 1], [1, 0, -5, -2**31]
    s_lt, u_lt, lo, b_eq = run_elementwise(
        "setp.lt.s32 %d, %a, %b; setp.lt.u32 %q, %a, %b; setp.lo.s32 %r, %a, %b; "
        "setp.ne.b32 %s, %a, %b;", [("s32", a), ("s32", b)], ["pred"] * 4)
    assert s_lt.tolist() == [True, False, False, False]
    assert u_lt.tolist() == [False, False, True, True]
    assert lo.tolist() == u_lt.tolist()               # lo/ls/hi/hs are unsigned
    assert b_eq.tolist() == [True, False, True, True]


def test_set_selp_slct():
    d, f = run_elementwise("set.lt.u32.f32 %d, %a, %b; set.gtu.f32.f32 %q, %a, %b;",
                           [("f32", A), ("f32", B)], ["u32", "f32"])
    assert d.tolist()[:3] == [0xFFFFFFFF, 0, 0]
    assert f.tolist()[:3] == [0.0, 1.0, 1.0]
    (s,) = run_elementwise("selp.f64 %d, %a, %b, %c;",
                           [("f64", [1.0, 2.0]), ("f64", [3.0, 4.0]), ("pred", [True, False])],
                           ["f64"])
    assert s.tolist() == [1.0, 4.0]
    (s,) = run_elementwise("slct.s32.f32 %d, %a, %b, %c;",
                           [("s32", [1, 2, 3, 4]), ("s32", [-1, -2, -3, -4]),
                            ("f32", [0.5, -0.5, -0.0, np.nan])], ["s32"])
    assert s.tolist() == [1, -2, 3, -4]
