"""What each value op means on the numpy target: edge values (0, -1, int min/max,
NaN, infinities, -0.0, subnormals) against Python integer arithmetic and CPython
with NumPy scalars, the cast rules, exact FMA, the coverage of ``NUMPY_IMPL``, and
agreement between the uniform path, the per-thread path and ``evaluate_constant``."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simt.backends.numpy import NUMPY_IMPL, evaluate_constant, launch
from simt.backends.numpy.elementwise import ELEMENTWISE, IN_PLACE
from simt.ir import Op
from simt.ir.ops import GROUPS, PURE, SPECIAL_REGISTERS
from simt.ir.types import SCALAR_TYPES, ScalarType, bool_, float32, float64, int8, int32, int64, scalar_type

from .test_numpy_support import KernelBuilder, array

INT_TYPES = [t for t in SCALAR_TYPES if t.is_int]
FLOAT_TYPES = [t for t in SCALAR_TYPES if t.is_float]


def wrap(value: int, type: ScalarType) -> int:
    value &= (1 << type.bits) - 1
    if type.is_signed and value >= 1 << (type.bits - 1):
        value -= 1 << type.bits
    return value


def edge_ints(type: ScalarType) -> list[int]:
    info = np.iinfo(type.dtype)
    values = {0, 1, 2, 7, 3, info.max, info.max - 1, info.min, info.min + 1, type.bits - 1, type.bits}
    if type.is_signed:
        values |= {-1, -2, -7, -(type.bits)}
    return sorted(values)


def edge_floats(type: ScalarType) -> list[float]:
    info = np.finfo(type.dtype)
    return [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 0.5, math.inf, -math.inf, math.nan, float(info.max),
            -float(info.max), float(info.smallest_subnormal), -float(info.smallest_subnormal),
            float(info.tiny), 3.0, -7.0]


def same(a, b) -> bool:
    """Bitwise equality of NumPy scalars (NaN == NaN, -0.0 != 0.0)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()


def same_value(a, b) -> bool:
    """``same``, except that any two NaNs match (IEEE leaves sign and payload open)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f" and np.isnan(a) and np.isnan(b):
        return a.dtype == b.dtype
    return same(a, b)


def ulp_close(got, want, maxulp: int = 1) -> bool:
    """Equal up to ``maxulp`` units in the last place; infinities and zeros (with
    their signs) must match exactly. ``maxulp=0``: bit for bit."""
    got, want = np.asarray(got), np.asarray(want)
    if maxulp == 0 or got.dtype.kind != "f" or got.dtype != want.dtype:
        return same(got, want)
    if np.isnan(want):
        return bool(np.isnan(got))     # any NaN: sign and payload are not specified
    if not np.isfinite(want) or not np.isfinite(got) or want == 0 or got == 0:
        return same(got, want)
    bits = np.dtype(f"i{got.dtype.itemsize}")
    return np.sign(got) == np.sign(want) and abs(int(got.view(bits)) - int(want.view(bits))) <= maxulp


def evaluate(op: Op, type: ScalarType, *values, result: ScalarType | None = None):
    """``op`` on values of ``type`` through ``evaluate_constant`` (the uniform path)."""
    operands = [type.dtype.type(v) for v in values]
    return evaluate_constant(op, operands, result or type, {})


def run_elementwise(op: Op, type: ScalarType, columns: list[list], result: ScalarType) -> np.ndarray:
    """``op`` per thread through a launched kernel (the varying path): thread i
    computes ``op(x0[i], x1[i], ...)``."""
    n = len(columns[0])
    params = [(f"x{k}", array(type)) for k in range(len(columns))] + [("out", array(result))]
    k = KernelBuilder(f"elementwise_{op.value}", params)
    i = k.cast(k.global_id(), int64)
    loads = [k.load(k.arg[f"x{j}"], i) for j in range(len(columns))]
    k.store(k.arg["out"], i, k.value(op, loads, result))
    k.ret()
    out = np.zeros(n, result.dtype)
    launch(k.function, (1, 1, 1), (n, 1, 1), [np.array(c, type.dtype) for c in columns] + [out])
    return out


def check_both_paths(op: Op, type: ScalarType, pairs: list[tuple], expected: list, result=None,
                     maxulp: int = 0) -> None:
    """``op`` on each operand tuple gives the expected value, folded (uniform) and per
    thread (varying): bit for bit, or within ``maxulp`` for ulp-bounded functions."""
    result = result or type
    columns = [list(column) for column in zip(*pairs)]
    varying = run_elementwise(op, type, columns, result)
    for k, (values, want) in enumerate(zip(pairs, expected)):
        want = result.dtype.type(want)
        folded = evaluate(op, type, *values, result=result)
        assert ulp_close(folded, want, maxulp), (op, type, values, folded, want)
        assert ulp_close(varying[k], want, maxulp), (op, type, values, varying[k], want)


# -- coverage ----------------------------------------------------------------------

@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_op_of_every_group_has_a_numpy_impl(group: str) -> None:
    missing = [op for op in GROUPS[group] if op not in NUMPY_IMPL]
    assert not missing


def test_elementwise_table_is_exactly_the_launch_independent_pure_ops() -> None:
    # LANEMASK_LT is pure but, like a special register, depends on the thread.
    assert set(ELEMENTWISE) == set(PURE) - set(SPECIAL_REGISTERS) - {Op.ARRAY_DIM, Op.LANEMASK_LT}


# -- integers -------------------------------------------------------------------------

def _int_reference(op: Op, a: int, b: int, type: ScalarType) -> int:
    bits = type.bits
    if op is Op.ADD:
        return wrap(a + b, type)
    if op is Op.SUB:
        return wrap(a - b, type)
    if op is Op.MUL:
        return wrap(a * b, type)
    if op is Op.FLOORDIV:
        return 0 if b == 0 else wrap(a // b, type)
    if op is Op.MOD:
        return 0 if b == 0 else wrap(a % b, type)
    if op is Op.POW:
        if b >= 0:
            return wrap(pow(a, b, 1 << bits), type)
        return 1 if a == 1 else (-1 if b % 2 else 1) if a == -1 else 0
    if op is Op.MIN:
        return b if b < a else a
    if op is Op.MAX:
        return b if b > a else a
    if op is Op.AND:
        return wrap(a & b, type)
    if op is Op.OR:
        return wrap(a | b, type)
    if op is Op.XOR:
        return wrap(a ^ b, type)
    if op is Op.SHL:
        return 0 if not 0 <= b < bits else wrap(a << b, type)
    if op is Op.SHR:
        return (-1 if a < 0 else 0) if not 0 <= b < bits else a >> b
    raise AssertionError(op)


INT_BINARY = [Op.ADD, Op.SUB, Op.MUL, Op.FLOORDIV, Op.MOD, Op.POW, Op.MIN, Op.MAX, Op.AND, Op.OR,
              Op.XOR, Op.SHL, Op.SHR]


@pytest.mark.parametrize("type", INT_TYPES, ids=str)
@pytest.mark.parametrize("op", INT_BINARY, ids=lambda op: op.value)
def test_integer_binary_ops_on_edge_values(op: Op, type: ScalarType) -> None:
    values = edge_ints(type)
    pairs = [(a, b) for a in values for b in values]
    check_both_paths(op, type, pairs, [_int_reference(op, a, b, type) for a, b in pairs])


@pytest.mark.parametrize("type", INT_TYPES, ids=str)
def test_integer_unary_ops_wrap(type: ScalarType) -> None:
    values = [(v,) for v in edge_ints(type)]
    check_both_paths(Op.NEG, type, values, [wrap(-v, type) for (v,) in values])
    check_both_paths(Op.ABS, type, values, [wrap(abs(v), type) for (v,) in values])
    check_both_paths(Op.INVERT, type, values, [wrap(~v, type) for (v,) in values])


def test_bool_ops_are_logical() -> None:
    pairs = [(a, b) for a in (False, True) for b in (False, True)]
    check_both_paths(Op.AND, bool_, pairs, [a and b for a, b in pairs])
    check_both_paths(Op.OR, bool_, pairs, [a or b for a, b in pairs])
    check_both_paths(Op.XOR, bool_, pairs, [a != b for a, b in pairs])
    singles = [(False,), (True,)]
    check_both_paths(Op.INVERT, bool_, singles, [True, False])
    check_both_paths(Op.NOT, bool_, singles, [True, False])


# -- floats ---------------------------------------------------------------------------

def _float_reference(op: Op, a, b):
    """CPython running the operator on NumPy scalars (min/max: the builtins)."""
    with np.errstate(all="ignore"):
        return {
            Op.ADD: lambda: a + b, Op.SUB: lambda: a - b, Op.MUL: lambda: a * b,
            Op.TRUEDIV: lambda: a / b, Op.FLOORDIV: lambda: a // b, Op.MOD: lambda: a % b,
            Op.POW: lambda: a ** b, Op.MIN: lambda: min(a, b), Op.MAX: lambda: max(a, b),
            Op.EQ: lambda: a == b, Op.NE: lambda: a != b, Op.LT: lambda: a < b,
            Op.LE: lambda: a <= b, Op.GT: lambda: a > b, Op.GE: lambda: a >= b,
        }[op]()


FLOAT_BINARY = [Op.ADD, Op.SUB, Op.MUL, Op.TRUEDIV, Op.FLOORDIV, Op.MOD, Op.MIN, Op.MAX]
COMPARES = [Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE]


@pytest.mark.parametrize("type", FLOAT_TYPES, ids=str)
@pytest.mark.parametrize("op", FLOAT_BINARY + COMPARES, ids=lambda op: op.value)
def test_float_binary_ops_follow_cpython_with_numpy_scalars(op: Op, type: ScalarType) -> None:
    values = [type.dtype.type(v) for v in edge_floats(type)]
    pairs = [(a, b) for a in values for b in values]
    result = bool_ if op in COMPARES else type
    check_both_paths(op, type, pairs, [_float_reference(op, a, b) for a, b in pairs], result)


@pytest.mark.parametrize("type", FLOAT_TYPES, ids=str)
def test_float_pow_paths_agree_bit_for_bit(type: ScalarType) -> None:
    """Uniform exponent, per-thread exponent and folding give identical results;
    ``x ** 2`` is ``x * x``, ``x ** 0.5`` is ``sqrt(x)`` (except C pow's ``-0.0`` and
    ``-inf`` cases) and ``x ** -1`` is ``1 / x``: correctly rounded."""
    rng = np.random.default_rng(7)
    base = np.concatenate([rng.standard_normal(60) * 10, np.abs(rng.standard_normal(20)) * 1e3,
                           [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0]]).astype(type.dtype)
    for exponent in (2.0, 0.5, -1.0, 1.0, 0.0, 3.0, -2.5):
        e = type.dtype.type(exponent)
        varying = run_elementwise(Op.POW, type, [list(base), [e] * len(base)], type)
        uniform = _power_with_uniform_exponent(type, base, e)
        for k, x in enumerate(base):
            folded = evaluate(Op.POW, type, x, e)
            assert same_value(folded, varying[k]) and same_value(folded, uniform[k]), (x, e)
        with np.errstate(all="ignore"):
            if exponent == 2.0:
                assert all(same_value(varying[k], x * x) for k, x in enumerate(base))
            if exponent == -1.0:
                assert all(same_value(varying[k], type.dtype.type(1) / x) for k, x in enumerate(base))
            if exponent == 0.5:
                assert all(same_value(varying[k], np.sqrt(x)) for k, x in enumerate(base) if x > 0)


def _power_with_uniform_exponent(type: ScalarType, base: np.ndarray, exponent) -> np.ndarray:
    k = KernelBuilder("pow_uniform", [("x", array(type)), ("e", type), ("out", array(type))])
    i = k.cast(k.global_id(), int64)
    k.store(k.arg["out"], i, k.op(Op.POW, k.load(k.arg["x"], i), k.arg["e"]))
    k.ret()
    out = np.zeros_like(base)
    launch(k.function, (1, 1, 1), (len(base), 1, 1), [base, exponent, out])
    return out


@settings(max_examples=40, deadline=None)
@given(op=st.sampled_from(FLOAT_BINARY + COMPARES), type=st.sampled_from(FLOAT_TYPES), data=st.data())
def test_float_ops_on_random_arrays(op: Op, type: ScalarType, data) -> None:
    x = data.draw(hnp.arrays(type.dtype, st.integers(1, 30)))
    y = data.draw(hnp.arrays(type.dtype, len(x)))
    result = bool_ if op in COMPARES else type
    varying = run_elementwise(op, type, [list(x), list(y)], result)
    for k in range(len(x)):
        assert same_value(varying[k], result.dtype.type(_float_reference(op, x[k], y[k]))), (x[k], y[k])


@pytest.mark.parametrize("type", FLOAT_TYPES, ids=str)
def test_float_pow_is_c_pow_within_an_ulp(type: ScalarType) -> None:
    """``**`` on NumPy scalars calls C ``pow``; NumPy's vector loops may differ by an
    ulp, but special cases (signed zeros, infinities, NaN) are exact, including
    ``-0.0 ** 0.5 == 0.0`` and ``-inf ** 0.5 == inf``, which NumPy's scalar-exponent
    shortcut (sqrt) would get wrong."""
    values = [type.dtype.type(v) for v in edge_floats(type)] + [type.dtype.type(v) for v in (0.5, 2.0, -3.0)]
    pairs = [(a, b) for a in values for b in values]
    check_both_paths(Op.POW, type, pairs, [_float_reference(Op.POW, a, b) for a, b in pairs], maxulp=1)
    assert same(evaluate(Op.POW, type, -0.0, 0.5), type.dtype.type(0.0))
    assert same(evaluate(Op.POW, type, -math.inf, 0.5), type.dtype.type(math.inf))


def test_min_max_follow_the_builtins_on_nan_and_signed_zero() -> None:
    nan, zero, minus_zero = np.float64(math.nan), np.float64(0.0), np.float64(-0.0)
    assert math.isnan(evaluate(Op.MIN, float64, nan, 1.0))
    assert evaluate(Op.MIN, float64, 1.0, nan) == 1.0
    assert math.isnan(evaluate(Op.MAX, float64, nan, 1.0))
    assert same(evaluate(Op.MIN, float64, zero, minus_zero), zero)
    assert same(evaluate(Op.MAX, float64, minus_zero, zero), minus_zero)


@pytest.mark.parametrize("type", INT_TYPES + FLOAT_TYPES, ids=str)
def test_compares_on_edge_values(type: ScalarType) -> None:
    values = edge_ints(type) if type.is_int else [type.dtype.type(v) for v in edge_floats(type)]
    pairs = [(a, b) for a in values for b in values]
    for op in COMPARES:
        expected = [_float_reference(op, type.dtype.type(a), type.dtype.type(b)) for a, b in pairs]
        check_both_paths(op, type, pairs, expected, bool_)


MATH_REFERENCE = {
    Op.SQRT: np.sqrt, Op.EXP: np.exp, Op.EXP2: np.exp2, Op.EXPM1: np.expm1, Op.LOG: np.log,
    Op.LOG2: np.log2, Op.LOG10: np.log10, Op.LOG1P: np.log1p, Op.SIN: np.sin, Op.COS: np.cos,
    Op.TAN: np.tan, Op.ASIN: np.arcsin, Op.ACOS: np.arccos, Op.ATAN: np.arctan, Op.SINH: np.sinh,
    Op.COSH: np.cosh, Op.TANH: np.tanh, Op.ASINH: np.arcsinh, Op.ACOSH: np.arccosh,
    Op.ATANH: np.arctanh, Op.FLOOR: np.floor, Op.CEIL: np.ceil, Op.TRUNC: np.trunc,
    Op.FABS: np.fabs, Op.CBRT: np.cbrt,
}


@pytest.mark.parametrize("type", FLOAT_TYPES, ids=str)
@pytest.mark.parametrize("op", sorted(MATH_REFERENCE, key=lambda op: op.value), ids=lambda op: op.value)
def test_math_functions_are_the_numpy_ufuncs_in_the_float_type(op: Op, type: ScalarType) -> None:
    # The same ufunc on scalars and on arrays; NumPy's scalar and SIMD loops may
    # differ by an ulp for transcendental functions.
    values = [(v,) for v in edge_floats(type)] + [(0.7,), (-0.3,), (100.0,)]
    with np.errstate(all="ignore"):
        expected = [MATH_REFERENCE[op](type.dtype.type(v)) for (v,) in values]
    check_both_paths(op, type, values, expected, maxulp=1)


@pytest.mark.parametrize("type", FLOAT_TYPES, ids=str)
def test_erf_and_erfc_are_math_erf_rounded_to_the_type(type: ScalarType) -> None:
    values = [v for v in edge_floats(type) if not math.isnan(v)] + [0.3, -1.7, 4.5, 10.0, -30.0]
    for op, function in ((Op.ERF, math.erf), (Op.ERFC, math.erfc)):
        expected = [type.dtype.type(function(float(type.dtype.type(v)))) for v in values]
        check_both_paths(op, type, [(v,) for v in values], expected)
    assert math.isnan(evaluate(Op.ERF, type, math.nan))


@pytest.mark.parametrize("type", FLOAT_TYPES, ids=str)
def test_predicates(type: ScalarType) -> None:
    values = [(type.dtype.type(v),) for v in edge_floats(type)]
    for op, function in ((Op.ISNAN, math.isnan), (Op.ISINF, math.isinf), (Op.ISFINITE, math.isfinite)):
        check_both_paths(op, type, values, [function(float(v)) for (v,) in values], bool_)


@pytest.mark.parametrize("type", FLOAT_TYPES, ids=str)
def test_math_binary(type: ScalarType) -> None:
    values = [type.dtype.type(v) for v in edge_floats(type)]
    pairs = [(a, b) for a in values for b in values]
    for op, function in ((Op.ATAN2, np.arctan2), (Op.HYPOT, np.hypot), (Op.COPYSIGN, np.copysign),
                         (Op.FMOD, np.fmod)):
        with np.errstate(all="ignore"):
            check_both_paths(op, type, pairs, [function(a, b) for a, b in pairs])


# -- FMA ------------------------------------------------------------------------------

def _exact_fma(a: float, b: float, c: float, type: ScalarType):
    """Correctly rounded ``a*b + c`` in ``type``, by rational arithmetic."""
    dtype = type.dtype
    if not all(map(math.isfinite, (a, b, c))):
        with np.errstate(all="ignore"):
            if math.isinf(c) and math.isfinite(a) and math.isfinite(b):
                return dtype.type(c)
            return dtype.type(np.float64(a) * np.float64(b) + np.float64(c))
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:   # IEEE's sign rules for an exact zero, which the plain sum follows
        return dtype.type(np.float64(a) * np.float64(b) + np.float64(c))
    return round_exact(exact, type)


def round_exact(exact: Fraction, type: ScalarType):
    """The nonzero rational ``exact`` rounded to nearest-even in float ``type``."""
    dtype = type.dtype
    info = np.finfo(dtype)
    largest_finite = Fraction(float(info.max)) + Fraction(2) ** (info.maxexp - info.nmant - 2)
    if abs(exact) >= largest_finite:          # max + half an ulp rounds to infinity
        return dtype.type(math.inf if exact > 0 else -math.inf)
    # Within an ulp of the answer (CPython's float() refuses values near 2**1024).
    near = float(exact) if abs(exact) < 2 ** 1000 else float(exact / 2 ** 64) * 2.0 ** 64
    guess = dtype.type(near)
    candidates = [x for x in (guess, np.nextafter(guess, dtype.type(math.inf)),
                              np.nextafter(guess, dtype.type(-math.inf))) if np.isfinite(x)]

    def distance(x):   # nearest, ties to the even significand
        return abs(Fraction(float(x)) - exact), int(np.asarray(x).view(f"u{type.nbytes}")) & 1
    return min(candidates, key=distance)


def test_fma_rounds_once_where_float64_arithmetic_would_round_twice() -> None:
    a, b, c = np.float32(641 * 2.0 ** -28), np.float32(6700417 * 2.0 ** -28), np.float32(1.0)
    assert float(a) * float(b) == 2.0 ** -24 + 2.0 ** -56      # exactly a float32 tie + a bit
    assert np.float32(float(a) * float(b) + 1.0) == np.float32(1.0)   # double rounding: wrong
    got = evaluate_constant(Op.FMA, [a, b, c], float32, {})
    assert got == np.float32(1.0) + np.spacing(np.float32(1.0))


def test_fma_special_values() -> None:
    inf, big = math.inf, 1e300
    assert evaluate(Op.FMA, float64, big, big, -inf) == -inf          # no inf - inf
    assert math.isnan(evaluate(Op.FMA, float64, math.nan, 1.0, 1.0))
    assert math.isnan(evaluate(Op.FMA, float64, inf, 0.0, 1.0))
    assert math.isnan(evaluate(Op.FMA, float64, inf, 1.0, -inf))
    assert evaluate(Op.FMA, float64, big, big, 1.0) == inf
    assert same(evaluate(Op.FMA, float64, -0.0, 1.0, -0.0), np.float64(-0.0))
    assert same(evaluate(Op.FMA, float64, 1.0, 1.0, -1.0), np.float64(0.0))


finite_64 = st.floats(allow_nan=False, allow_infinity=False, width=64)
any_64 = st.floats(width=64)
scaled_64 = st.builds(lambda m, e: math.ldexp(m, e), st.floats(-2, 2, allow_nan=False), st.integers(-1074, 1000))


@settings(max_examples=300, deadline=None)
@given(st.one_of(finite_64, scaled_64, any_64), st.one_of(finite_64, scaled_64, any_64),
       st.one_of(finite_64, scaled_64, any_64))
def test_fma64_is_correctly_rounded(a: float, b: float, c: float) -> None:
    got = evaluate(Op.FMA, float64, a, b, c)
    assert same_value(got, _exact_fma(a, b, c, float64)), (a, b, c, got)


@settings(max_examples=300, deadline=None)
@given(st.floats(width=32), st.floats(width=32), st.floats(width=32))
def test_fma32_is_correctly_rounded(a: float, b: float, c: float) -> None:
    got = evaluate(Op.FMA, float32, a, b, c)
    assert same_value(got, _exact_fma(a, b, c, float32)), (a, b, c, got)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(scaled_64, scaled_64, st.one_of(scaled_64, any_64)), min_size=1, max_size=40))
def test_fma_arrays_match_scalars(triples) -> None:
    """The vectorised path (and its exact fallback for risky elements) equals the scalar one."""
    columns = [list(column) for column in zip(*triples)]
    varying = run_elementwise(Op.FMA, float64, columns, float64)
    for k, (a, b, c) in enumerate(triples):
        assert same_value(varying[k], evaluate(Op.FMA, float64, a, b, c))


# -- casts ----------------------------------------------------------------------------

def _cast_reference(value, source: ScalarType, target: ScalarType):
    if target.is_bool:
        return bool(value != 0)
    if source.is_bool:
        return int(bool(value))
    if source.is_float and target.is_int:
        if math.isnan(value):
            return 0
        info = np.iinfo(target.dtype)
        if math.isinf(value):
            return info.max if value > 0 else info.min
        return min(max(math.trunc(float(value)), info.min), info.max)
    if source.is_int and target.is_int:
        return wrap(int(value), target)
    return None   # int->float and float->float: nearest, checked separately


@pytest.mark.parametrize("source", SCALAR_TYPES, ids=str)
def test_cast_rules(source: ScalarType) -> None:
    if source.is_bool:
        values = [False, True]
    elif source.is_int:
        values = edge_ints(source)
    else:
        values = [source.dtype.type(v) for v in edge_floats(source)] + [
            source.dtype.type(v) for v in (-0.5, 0.99, -0.99, 127.9, 128.0, -128.9, -129.0, 255.5, 256.0,
                                             65504.0, 2.0 ** 31, -(2.0 ** 31), 2.0 ** 32 - 1, 2.0 ** 63,
                                             -(2.0 ** 63), 2.0 ** 64, 1e30)]
    for target in SCALAR_TYPES:
        expected = [_cast_reference(v, source, target) for v in values]
        if any(e is None for e in expected):
            continue
        check_both_paths(Op.CAST, source, [(v,) for v in values], expected, target)


@pytest.mark.parametrize("target", FLOAT_TYPES, ids=str)
def test_int_to_float_rounds_to_nearest_even(target: ScalarType) -> None:
    values = [2 ** 63 - 1, -(2 ** 63), 2 ** 24 + 1, 2 ** 24 + 3, 2 ** 53 + 1, 2 ** 62 + 2 ** 38 + 1,
              -(2 ** 40) - 3, 65519, 65520, 2049, 2051]
    expected = [round_exact(Fraction(v), target) for v in values]
    check_both_paths(Op.CAST, int64, [(v,) for v in values], expected, target)


def test_float_to_float_rounds() -> None:
    assert evaluate(Op.CAST, float64, 0.1, result=float32) == np.float32(0.1)
    assert evaluate(Op.CAST, float64, 1e300, result=float32) == np.float32(math.inf)
    assert same(evaluate(Op.CAST, float64, -0.0, result=float32), np.float32(-0.0))


# -- the rest of the values group ---------------------------------------------------------

def test_select_and_const() -> None:
    assert evaluate_constant(Op.SELECT, [np.True_, np.int32(1), np.int32(2)], int32, {}) == 1
    assert evaluate_constant(Op.SELECT, [np.False_, np.int32(1), np.int32(2)], int32, {}) == 2
    value = evaluate_constant(Op.CONST, [], int8, {"value": np.int8(-5)})
    assert same(value, np.int8(-5))


@pytest.mark.parametrize("op", [Op.THREAD_IDX, Op.BLOCK_IDX, Op.BLOCK_DIM, Op.GRID_DIM, Op.LANE_ID,
                                Op.ARRAY_DIM, Op.LOAD, Op.STORE, Op.PRINT, Op.BR], ids=lambda op: op.value)
def test_evaluate_constant_declines_launch_dependent_ops(op: Op) -> None:
    assert evaluate_constant(op, [], int32, {"axis": 0}) is None


# -- agreement between paths ----------------------------------------------------------------

SAMPLED_OPS = [op for op in INT_BINARY + COMPARES]


@settings(max_examples=60, deadline=None)
@given(op=st.sampled_from(SAMPLED_OPS), type=st.sampled_from(INT_TYPES), data=st.data())
def test_uniform_varying_and_folded_values_agree(op: Op, type: ScalarType, data) -> None:
    info = np.iinfo(type.dtype)
    values = st.integers(int(info.min), int(info.max))
    pairs = data.draw(st.lists(st.tuples(values, values), min_size=1, max_size=20))
    result = bool_ if op in COMPARES else type
    columns = [list(c) for c in zip(*pairs)]
    varying = run_elementwise(op, type, columns, result)
    for k, (a, b) in enumerate(pairs):
        folded = evaluate(op, type, a, b, result=result)
        assert same(varying[k], folded)
        # A uniform operand (a kernel argument) goes through the scalar path too.
        assert same(_uniform_launch(op, type, a, b, result), folded)


def _uniform_launch(op: Op, type: ScalarType, a, b, result: ScalarType):
    k = KernelBuilder("uniform", [("a", type), ("b", type), ("out", array(result))])
    k.store(k.arg["out"], k.c(0, int64), k.value(op, [k.arg["a"], k.arg["b"]], result))
    k.ret()
    out = np.zeros(1, result.dtype)
    launch(k.function, (1, 1, 1), (3, 1, 1), [type.dtype.type(a), type.dtype.type(b), out])
    return out[0]


@pytest.mark.parametrize("op", sorted(IN_PLACE, key=lambda op: op.value), ids=lambda op: op.value)
def test_in_place_variants_equal_the_implementation(op: Op) -> None:
    rng = np.random.default_rng(0)
    type = float64 if op in GROUPS["math_unary"] or op in (Op.TRUEDIV, Op.COPYSIGN) else int32
    arity = 1 if op in GROUPS["math_unary"] or op in GROUPS["unary"] else 2
    if type.is_float:
        operands = [rng.standard_normal(50) * 10 for _ in range(arity)]
    else:
        operands = [rng.integers(-40, 40, 50).astype(np.int32) for _ in range(arity)]
    with np.errstate(all="ignore"):
        expected = ELEMENTWISE[op](type, {}, *operands)
        donor = operands[0].copy()
        got = IN_PLACE[op](donor, *operands[1:], out=donor)
    assert same(got, expected)


def test_scalar_type_round_trip() -> None:
    for type in SCALAR_TYPES:
        assert scalar_type(type.dtype) is type
