"""Floating-point instructions: .rn results bit-identical to NumPy, directed
rounding and fma against exact rational references, and the ISA's special
cases (ftz, sat, NaN handling of min/max, testp, approximations)."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .ptxkit import round_exact, run1, run_elementwise, same_float

EXAMPLES = 10   # each example checks a whole array of values

N = 48


def floats(width: int, finite: bool = False):
    """Arrays mixing uniformly random bit patterns (every exponent, subnormals,
    NaN, infinities) with ordinary moderate values."""
    udtype = {16: np.uint16, 32: np.uint32, 64: np.uint64}[width]
    fdtype = {16: np.float16, 32: np.float32, 64: np.float64}[width]

    def from_bits(bits: int) -> float:
        value = float(np.array(bits, udtype).view(fdtype))
        return 1.0 if finite and not math.isfinite(value) else value
    patterns = st.integers(0, 2 ** width - 1).map(from_bits)
    moderate = st.floats(-1e4, 1e4, width=width)
    return st.lists(st.one_of(patterns, moderate), min_size=N, max_size=N)


def ptx_float(width: int) -> str:
    return {16: "f16", 32: "f32", 64: "f64"}[width]


@settings(max_examples=EXAMPLES, deadline=None)
@given(floats(32), floats(32))
def test_f32_rn_arithmetic_is_bitwise_numpy(a, b):
    fa, fb = np.array(a, np.float32), np.array(b, np.float32)
    add, sub, mul, div = run_elementwise(
        "add.rn.f32 %d, %a, %b; sub.f32 %q, %a, %b; mul.rn.f32 %r, %a, %b; div.rn.f32 %s, %a, %b;",
        [("f32", fa), ("f32", fb)], ["f32"] * 4)
    with np.errstate(all="ignore"):
        assert same_float(add, fa + fb).all()
        assert same_float(sub, fa - fb).all()
        assert same_float(mul, fa * fb).all()
        assert same_float(div, fa / fb).all()
        (root,) = run_elementwise("sqrt.rn.f32 %d, %a;", [("f32", fa)], ["f32"])
        assert same_float(root, np.sqrt(fa)).all()


@settings(max_examples=EXAMPLES, deadline=None)
@given(floats(64), floats(64))
def test_f64_rn_arithmetic_is_bitwise_numpy(a, b):
    fa, fb = np.array(a), np.array(b)
    add, mul, div, root = run_elementwise(
        "add.f64 %d, %a, %b; mul.rn.f64 %q, %a, %b; div.rn.f64 %r, %a, %b; sqrt.rn.f64 %s, %a;",
        [("f64", fa), ("f64", fb)], ["f64"] * 4)
    with np.errstate(all="ignore"):
        for got, want in ((add, fa + fb), (mul, fa * fb), (div, fa / fb), (root, np.sqrt(fa))):
            assert same_float(got, want).all()


def _exact(op: str, args: tuple[float, ...]) -> Fraction | None:
    q = [Fraction(x) for x in args]
    if op == "add":
        return q[0] + q[1]
    if op == "sub":
        return q[0] - q[1]
    if op == "mul":
        return q[0] * q[1]
    if op == "div":
        return q[0] / q[1] if q[1] else None
    return q[0] * q[1] + q[2]


_BODIES = {"add": "add.{m}.{t} %d, %a, %b;", "sub": "sub.{m}.{t} %d, %a, %b;",
           "mul": "mul.{m}.{t} %d, %a, %b;", "div": "div.{m}.{t} %d, %a, %b;",
           "fma": "fma.{m}.{t} %d, %a, %b, %c;"}


@pytest.mark.parametrize("width", [16, 32, 64])
@pytest.mark.parametrize("op", sorted(_BODIES))
@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data())
def test_every_rounding_mode_is_exact(width, op, data):
    t = ptx_float(width)
    arity = 3 if op == "fma" else 2
    args = [data.draw(floats(width, finite=True)) for _ in range(arity)]
    modes = ("rn", "rz", "rm", "rp")
    body = " ".join(_BODIES[op].format(m=m, t=t).replace("%d", f"%{o}")
                    for m, o in zip(modes, "dqrs"))
    results = run_elementwise(body, [(t, a) for a in args], [t] * 4)
    dtype = results[0].dtype
    for i in range(N):
        operands = tuple(float(dtype.type(a[i])) for a in args)
        exact = _exact(op, operands)
        if exact is None or exact == 0:
            continue
        for mode, got in zip(modes, results):
            want = round_exact(exact, dtype, mode)
            assert float(got[i]) == want, (op, mode, operands, float(got[i]), want)


def test_signed_zero_results_of_sums():
    a, b = [1.5, 0.0, -0.0, -0.0], [-1.5, -0.0, 0.0, -0.0]
    rn, rm = run_elementwise("add.rn.f64 %d, %a, %b; add.rm.f64 %q, %a, %b;",
                             [("f64", a), ("f64", b)], ["f64", "f64"])
    assert np.signbit(rn).tolist() == [False, False, False, True]
    assert np.signbit(rm).tolist() == [True, True, True, True]
    (f,) = run_elementwise("fma.rm.f32 %d, %a, %b, %c;",
                           [("f32", [2.0, 0.0]), ("f32", [3.0, 5.0]), ("f32", [-6.0, 0.0])],
                           ["f32"])
    assert np.signbit(f).tolist() == [True, False]


@pytest.mark.parametrize("width", [32, 64])
@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data())
def test_directed_sqrt_brackets_the_root(width, data):
    t = ptx_float(width)
    a = [abs(x) for x in data.draw(floats(width, finite=True))]
    rz, rm, rp = run_elementwise(f"sqrt.rz.{t} %d, %a; sqrt.rm.{t} %q, %a; sqrt.rp.{t} %r, %a;",
                                 [(t, a)], [t, t, t])
    dtype = rz.dtype
    for x, low, same_low, high in zip(a, rz, rm, rp):
        x = Fraction(float(dtype.type(x)))
        assert low == same_low
        assert Fraction(float(low)) ** 2 <= x <= Fraction(float(high)) ** 2
        if Fraction(float(low)) ** 2 != x:
            assert np.nextafter(low, dtype.type(np.inf)) == high


def test_extreme_exponents_take_the_exact_path():
    tiny, huge = 5e-324, 1.7976931348623157e308
    a = [tiny, huge, 2.0 ** -1000, 1e-310, huge]
    b = [0.5, 2.0, 2.0 ** -60, 3.0, -huge]
    rz, rp = run_elementwise("mul.rz.f64 %d, %a, %b; mul.rp.f64 %q, %a, %b;",
                             [("f64", a), ("f64", b)], ["f64", "f64"])
    for i in range(len(a)):
        exact = Fraction(a[i]) * Fraction(b[i])
        assert rz[i] == round_exact(exact, np.float64, "rz")
        assert rp[i] == round_exact(exact, np.float64, "rp")


def test_ftz_and_sat():
    sub = 1e-40
    d, q = run_elementwise("add.ftz.f32 %d, %a, %b; mul.sat.f32 %q, %a, %b;",
                           [("f32", [sub, -sub, 2.0, np.nan]), ("f32", [0.0, -0.0, 0.75, 1.0])],
                           ["f32", "f32"])
    assert d.tolist()[:2] == [0.0, 0.0] and np.signbit(d[1])
    assert q.tolist() == [0.0, 0.0, 1.0, 0.0]         # NaN saturates to +0


def test_min_max_nan_and_signed_zero():
    nan = np.nan
    a = [1.0, nan, nan, -0.0, 0.0, -3.0]
    b = [2.0, 5.0, nan, 0.0, -0.0, -2.0]
    mn, mx, mnn = run_elementwise("min.f32 %d, %a, %b; max.f32 %q, %a, %b; "
                                  "min.NaN.f32 %r, %a, %b;",
                                  [("f32", a), ("f32", b)], ["f32", "f32", "f32"])
    assert mn[0] == 1.0 and mn[1] == 5.0 and np.isnan(mn[2]) and mn[5] == -3.0
    assert np.signbit(mn[3]) and np.signbit(mn[4]) and not np.signbit(mx[3])
    assert mx[1] == 5.0 and mx[5] == -2.0
    assert mn[2:3].view(np.uint32)[0] == 0x7FFFFFFF       # canonical NaN
    assert np.isnan(mnn[1]) and mnn[0] == 1.0


def test_testp_and_copysign():
    values = [0.0, 1e-40, 1.0, np.inf, -np.inf, np.nan, -2.5e-39]
    tests = ["finite", "infinite", "number", "notanumber"]
    body = " ".join(f"testp.{name}.f32 %{o}, %a;" for name, o in zip(tests, "dqrs"))
    fin, inf, num, nan = run_elementwise(body, [("f32", values)], ["pred"] * 4)
    assert fin.tolist() == [True, True, True, False, False, False, True]
    assert inf.tolist() == [False, False, False, True, True, False, False]
    assert num.tolist() == [True] * 5 + [False, True]
    assert nan.tolist() == [False] * 5 + [True, False]
    normal, subnormal = run_elementwise("testp.normal.f32 %d, %a; testp.subnormal.f32 %q, %a;",
                                        [("f32", values)], ["pred", "pred"])
    assert normal.tolist() == [False, False, True, False, False, False, False]
    assert subnormal.tolist() == [False, True, False, False, False, False, True]
    (c,) = run_elementwise("copysign.f64 %d, %a, %b;", [("f64", [-1.0, 1.0]), ("f64", [2.0, -3.0])],
                           ["f64"])
    assert c.tolist() == [-2.0, 3.0]                  # sign of a, magnitude of b


def test_approximations_are_within_their_documented_error():
    x = np.linspace(-3.0, 3.0, 97, dtype=np.float32)
    sin, cos, ex2 = run_elementwise("sin.approx.f32 %d, %a; cos.approx.f32 %q, %a; "
                                    "ex2.approx.f32 %r, %a;", [("f32", x)], ["f32"] * 3)
    assert np.max(np.abs(sin - np.sin(x.astype(np.float64)))) < 2 ** -20.9
    assert np.max(np.abs(cos - np.cos(x.astype(np.float64)))) < 2 ** -20.9
    assert np.max(np.abs(ex2 / np.exp2(x.astype(np.float64)) - 1)) < 2 ** -22
    pos = np.abs(x) + np.float32(0.01)
    lg2, rsq, rcp = run_elementwise("lg2.approx.f32 %d, %a; rsqrt.approx.f32 %q, %a; "
                                    "rcp.approx.f32 %r, %a;", [("f32", pos)], ["f32"] * 3)
    assert np.max(np.abs(lg2 - np.log2(pos.astype(np.float64)))) < 2 ** -22
    assert np.max(np.abs(rsq * np.sqrt(pos.astype(np.float64)) - 1)) < 2 ** -22
    assert np.max(np.abs(rcp * pos.astype(np.float64) - 1)) < 2 ** -23


def test_approximation_special_values():
    specials = [0.0, -0.0, np.inf, -np.inf, -1.0]
    lg2, rsq, ex2, sin = run_elementwise(
        "lg2.approx.f32 %d, %a; rsqrt.approx.f32 %q, %a; ex2.approx.f32 %r, %a; "
        "sin.approx.f32 %s, %a;", [("f32", specials)], ["f32"] * 4)
    assert lg2[0] == -np.inf and lg2[2] == np.inf and np.isnan(lg2[4])
    assert rsq[0] == np.inf and rsq[1] == -np.inf and rsq[2] == 0.0 and np.isnan(rsq[4])
    assert ex2[3] == 0.0 and ex2[2] == np.inf and ex2[0] == 1.0
    assert np.isnan(sin[2]) and np.signbit(sin[1])


def test_div_approx_and_full():
    a = [1.0, np.inf, 3.0, 1.0]
    b = [3.0, 2.0 ** 127, 2.0 ** 127, 2.0 ** -126]
    approx, full = run_elementwise("div.approx.f32 %d, %a, %b; div.full.f32 %q, %a, %b;",
                                   [("f32", a), ("f32", b)], ["f32", "f32"])
    assert abs(approx[0] - 1 / 3) < 2e-7
    assert np.isnan(approx[1]) and approx[2] == 0.0        # huge divisors: documented quirk
    assert full[2] == np.float32(3.0) / np.float32(2.0 ** 127)
    assert full[3] == np.float32(2.0 ** 126)


def test_half_precision_arithmetic():
    a = np.array([1.0, 0.1, 65504.0, -2.5, 6e-8], np.float16)
    b = np.array([2.0, 0.2, 1.0, 0.5, 1.0], np.float16)
    add, mul, fma = run_elementwise("add.f16 %d, %a, %b; mul.rn.f16 %q, %a, %b; "
                                    "fma.rn.f16 %r, %a, %b, %b;",
                                    [("f16", a), ("f16", b)], ["f16", "f16", "f16"])
    assert same_float(add, a + b).all() and same_float(mul, a * b).all()
    for i in range(len(a)):
        exact = Fraction(float(a[i])) * Fraction(float(b[i])) + Fraction(float(b[i]))
        assert float(fma[i]) == round_exact(exact, np.float16, "rn")


def test_float_immediates_are_exact_bits():
    d, q = run_elementwise("add.f32 %d, %a, 0f3F800000; mov.b32 %q, 0fBF800000;",
                           [("f32", [0.5])], ["f32", "u32"])
    assert d.tolist() == [1.5] and q.tolist() == [0xBF800000]
    neg = run1("mov.f64 %d, 0dC000000000000000;", [("f64", [0.0])], "f64")
    assert neg.tolist() == [-2.0]
    assert not math.isnan(neg[0])
