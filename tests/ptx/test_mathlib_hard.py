"""float64 math routines on their hard inputs, against mpmath (correctly rounded), and
their special values bit for bit.

The hard inputs are where the first library was worst (docs/mathlib.md before the
double-double rewrite: up to 4 ulp) and the places a double-double routine can still
slip: results in the subnormal range (a pair rounded, then scaled, rounds twice),
quotients whose remainder underflows, arguments next to the thresholds where a
routine changes method, tiny arguments and the neighbourhood of 1 for the inverse
functions. Every routine now rounds a pair once, so each must stay within 0.5 ulp plus
a small term of the exact result there (the sampled bounds are in docs/mathlib.md).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from simt.ir import Op
from simt.ir.types import float32, float64

from .test_mathlib import evaluate

mp = pytest.importorskip("mpmath")

# the old library's worst float64 inputs (first column of docs/mathlib.md back then)
OLD_WORST = {
    Op.EXP: [631.1392819157004, 239.53460839544618], Op.EXP2: [-589.4826705930462],
    Op.EXPM1: [0.37460313214407825], Op.LOG: [0.6553864501058665, 1.4370126041444575],
    Op.LOG2: [1.3996396926540464], Op.LOG10: [1.1534526318985072],
    Op.LOG1P: [5.2995247344374076e-11], Op.TAN: [-3.5797364475226198e+224],
    Op.ASIN: [-0.4597428819906413], Op.ACOS: [0.9053769426411113],
    Op.SINH: [-649.474846632097], Op.COSH: [301.5067697231865],
    Op.TANH: [-0.015454561705484628], Op.ASINH: [-6.0398029879436456e-05],
    Op.ACOSH: [1.0283424557825656], Op.ATANH: [-0.014484208447316682],
    Op.SIN: [-31176.37835949892], Op.COS: [-226228.46001375758],
    Op.ATAN: [0.4698022871441134], Op.CBRT: [7.856905573454054e+193],
}
# where the routines switch method or the pair's parts could misbehave
BOUNDARIES = {
    Op.EXP: [-708.4, -708.39641853226408, -709.1, -740.0, -745.0, 709.78, 1e-10, 0.3465, 0.3467],
    Op.EXP2: [-1022.0493916559943, -1022.5, -1030.3, -1074.2, 1023.9, -0.5, 0.5, 1e-300],
    Op.EXPM1: [1.1182045457521083e-16, 5.56e-17, -1e-16, 0.3465735902799726, -0.35, 0.7,
               -0.7, 37.5, -37.5, 709.7],
    Op.LOG1P: [1.723371141542167e-16, 1.1e-16, -1.1e-16, 0.00195, 0.001953125, -0.00195,
               -0.29289321881345254, 0.41421356237309515, 1e300],
    Op.LOG: [1.0000000000000002, 0.9999999999999999, 1.4142135623730951, 0.7071067811865476],
    Op.SINH: [0.3499999, 0.35, 0.35000001, 1e-300, 22.0, 710.4758600739439],
    Op.COSH: [0.3466, 22.0, 710.4758600739439, 1e-8],
    Op.TANH: [1e-300, 0.1, 0.35, 19.0, 21.99],
    Op.ASINH: [0.9121957583448661, 268435456.0, 268435455.99999997, 1e-10, 3.0],
    Op.ACOSH: [1.0000000000000002, 1.5, 2.0, 268435456.0, 268435455.99999997],
    Op.ATANH: [0.9999999999999999, 0.5, 0.13304559493312285, 1e-10],
    Op.ASIN: [0.9999999999999999, 0.5, 1e-300, 0.38488666313500064],
    Op.ACOS: [0.9999999999999999, -0.9999999999999999, 0.5, 1e-300, 0.9212560291553742],
    Op.TAN: [1.5707963267948966, 0.7853981633974483, 6381956970095103.0 * 2.0 ** 797,
             -480301056616133.2],
    Op.CBRT: [4.0577862440284274e-308, 2.0 ** -900, 5e-324, 1.7976931348623157e308],
}
MP_FUNCTIONS = {
    Op.EXP: mp.exp, Op.EXP2: lambda x: mp.power(2, x), Op.EXPM1: mp.expm1, Op.LOG: mp.log,
    Op.LOG2: lambda x: mp.log(x, 2), Op.LOG10: mp.log10, Op.LOG1P: mp.log1p, Op.SIN: mp.sin,
    Op.COS: mp.cos, Op.TAN: mp.tan, Op.ASIN: mp.asin, Op.ACOS: mp.acos, Op.ATAN: mp.atan,
    Op.SINH: mp.sinh, Op.COSH: mp.cosh, Op.TANH: mp.tanh, Op.ASINH: mp.asinh,
    Op.ACOSH: mp.acosh, Op.ATANH: mp.atanh, Op.CBRT: mp.cbrt,
}
BOUND = 0.5 + 2 ** -4
OVERFLOWS_FROM = mp.ldexp(1, 1024) - mp.ldexp(1, 970)      # the largest double plus half its ulp


def ulp_error(got: float, exact) -> float:
    """|got - exact| in ulps of exact's binade (subnormal spacing below 2**-1022)."""
    if exact == 0:
        return 0.0 if got == 0 else math.inf
    if abs(exact) >= OVERFLOWS_FROM:                      # rounds to inf
        return 0.0 if got == math.copysign(math.inf, exact) else math.inf
    _, exponent = mp.frexp(exact)                         # |exact| in [2**(e-1), 2**e)
    spacing = mp.ldexp(1, max(int(exponent) - 1, -1022) - 52)
    if not math.isfinite(got):
        return math.inf
    return float(abs(mp.mpf(got) - exact) / spacing)


def exact(op: Op, *args: float):
    with mp.workdps(60):
        if op is Op.ATAN2:
            return +mp.atan2(*args)
        if op is Op.CBRT and args[0] < 0:
            return -mp.cbrt(-args[0])
        return +MP_FUNCTIONS[op](mp.mpf(args[0]))


def worst_error(op: Op, *columns: np.ndarray) -> tuple[float, tuple]:
    got = evaluate(op, float64, *columns)
    errors = [ulp_error(float(g), exact(op, *map(float, a))) for g, *a in zip(got, *columns)]
    i = int(np.argmax(errors))
    return errors[i], tuple(float(c[i]) for c in columns)


@pytest.mark.parametrize("op", sorted(set(OLD_WORST) | set(BOUNDARIES), key=lambda o: o.value),
                         ids=lambda o: o.value)
def test_hard_inputs_round_once(op: Op) -> None:
    x = np.array(OLD_WORST.get(op, []) + BOUNDARIES.get(op, []))
    x = np.concatenate([x, np.nextafter(x, np.inf), np.nextafter(x, -np.inf)])
    if op not in (Op.LOG, Op.LOG2, Op.LOG10, Op.ACOSH, Op.EXP, Op.EXP2):
        x = np.concatenate([x, -x])
    x = x[np.isfinite(x) & ((op is not Op.LOG1P) | (x > -1))]
    x = x[[op not in (Op.ASIN, Op.ACOS, Op.ATANH) or abs(v) < 1 for v in x]]
    error, where = worst_error(op, x)
    assert error <= BOUND, f"{op.value}{where}: {error} ulp"


def test_subnormal_results_round_once() -> None:
    rng = np.random.default_rng(21)
    for op, lo, hi in ((Op.EXP, -745.1, -708.4), (Op.EXP2, -1075.0, -1022.0)):
        error, where = worst_error(op, rng.uniform(lo, hi, 300))
        assert error <= BOUND, f"{op.value}{where}: {error} ulp"
    # hypot of subnormals: the scaled root is rounded once on the subnormal grid
    x, y = rng.uniform(0, 2.2e-308, 200), rng.uniform(0, 2.2e-308, 200)
    got = evaluate(Op.HYPOT, float64, x, y)
    with mp.workdps(60):
        errors = [ulp_error(float(g), mp.sqrt(mp.mpf(a) ** 2 + mp.mpf(b) ** 2))
                  for g, a, b in zip(got, x, y)]
    assert max(errors) <= BOUND


def test_atan2_quotients_with_underflowing_remainders() -> None:
    y = np.array([-6.23730457e-316, 4.436867154891417e-308, 1.2579271105410429e-72, 1e-310,
                  3e-320, 2.5e-308, 1e-300])
    x = np.array([4.474624182833321e-308, 2.3268299347158077e-97, 1.9598481437141028e+235,
                  3e-310, 1e-300, 1e300, 1e8])
    ys, xs = np.concatenate([y, x, -y, y]), np.concatenate([x, y, x, -x])
    error, where = worst_error(Op.ATAN2, ys, xs)
    assert error <= BOUND, f"atan2{where}: {error} ulp"


# every unary routine, bit for bit against NumPy at its special values (signed zeros
# included: ulp distances cannot see them)
SPECIAL_X = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
             -2.2250738585072014e-308, 1.0, -1.0]
NUMPY = {Op.EXP: np.exp, Op.EXP2: np.exp2, Op.EXPM1: np.expm1, Op.LOG: np.log, Op.LOG2: np.log2,
         Op.LOG10: np.log10, Op.LOG1P: np.log1p, Op.SIN: np.sin, Op.COS: np.cos, Op.TAN: np.tan,
         Op.ASIN: np.arcsin, Op.ACOS: np.arccos, Op.ATAN: np.arctan, Op.SINH: np.sinh,
         Op.COSH: np.cosh, Op.TANH: np.tanh, Op.ASINH: np.arcsinh, Op.ACOSH: np.arccosh,
         Op.ATANH: np.arctanh, Op.CBRT: np.cbrt}


@pytest.mark.parametrize("t", [float64, float32], ids=str)
@pytest.mark.parametrize("op", list(NUMPY), ids=lambda o: o.value)
def test_special_values(op: Op, t) -> None:
    with np.errstate(all="ignore"):
        x = np.array(SPECIAL_X).astype(t.dtype)
        want = NUMPY[op](x)
    got = evaluate(op, t, x)
    special = ~np.isfinite(want) | (want == 0) | (x == 0) | ~np.isfinite(x)
    for g, w, v in zip(got[special], want[special], x[special]):
        same = (np.isnan(g) and np.isnan(w)) or (g == w and np.signbit(g) == np.signbit(w))
        assert same, f"{op.value}({v!r}) = {g!r}, NumPy {w!r}"


def test_atan2_special_values() -> None:
    values = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 5e-324]
    y, x = np.repeat(values, len(values)), np.tile(values, len(values))
    want = np.arctan2(y, x)
    got = evaluate(Op.ATAN2, float64, y, x)
    for g, w, a, b in zip(got, want, y, x):
        same = (np.isnan(g) and np.isnan(w)) or (g == w and np.signbit(g) == np.signbit(w))
        assert same or (np.isfinite(w) and abs(g - w) <= np.spacing(abs(w))), \
            f"atan2({a!r}, {b!r}) = {g!r}, NumPy {w!r}"


def _ulp_table_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "ulp_table.py"
    spec = importlib.util.spec_from_file_location("ulp_table", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_ulp_table_erf_reference_is_exact_to_2_to_the_minus_60(name):
    # scripts/ulp_table.py measures erf/erfc against its own long-double evaluation
    # (NumPy has none; mpmath is too slow for 10M inputs): check it against mpmath on
    # every band of its method (series, each continued-fraction depth) and the signs.
    script = _ulp_table_script()
    rng = np.random.default_rng(3)
    edges = [0.0, -0.0, 1e-300, 0.5, 0.7499999999999999, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0,
             10.0, 26.5, 27.2, 29.9]
    x = np.concatenate([rng.uniform(-6, 28, 600), np.exp(rng.uniform(-40, 3, 200)), edges])
    x = np.concatenate([x, -x])
    got = script.erf_reference(name, x)
    f = getattr(mp, name)
    with mp.workdps(40):
        for value, mine in zip(x.tolist(), got):
            want = f(mp.mpf(value))
            if want == 0:
                assert mine == 0
                continue
            mine_exact = mp.mpf(np.format_float_scientific(mine, unique=False, precision=24))
            assert abs(mine_exact - want) <= abs(want) * mp.mpf(2) ** -60, (name, value)
