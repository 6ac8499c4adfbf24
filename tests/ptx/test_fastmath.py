"""The ``fastmath`` kernel option: float32 transcendentals on the PTX ``.approx`` instructions.

PTX: in a fastmath kernel, float32 exp, exp2, log, log2, log10, sin, cos and tan become
``ex2.approx.ftz``/``lg2.approx``/``sin.approx``/``cos.approx`` (no math library
expansion); every other op compiles as without the option, and no kernel without it
contains an ``.approx`` instruction. The PTX assembles for every supported architecture.

Accuracy: ptx-emu runs the ``.approx`` instructions (in float64, rounded once: inside
their documented bounds), so its results are checked against the exact value within
the bounds docs/mathlib.md ("fastmath") derives from the PTX ISA's documented maximum
errors, the bounds a GPU meets too; the numpy target (the reference: it ignores
fastmath) agrees with ptx-emu within those bounds plus its own 1 ulp.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import simt
from simt.backends.ptx import SUPPORTED_ARCHS, assemble, available, cache, compile_ptx
from simt.backends.ptx import compile_ptx_cached
from simt.backends.ptx.legalize import UNSUPPORTED_OPS
from simt.backends.ptx.lower_float import FAST_MATH
from simt.ir import Op
from simt.ir.types import float16, float32, float64

from . import kernels
from .modules import merge_modules

needs_assembler = pytest.mark.skipif(
    not available(), reason="no PTX assembler: install nvidia-nvjitlink + cuda-bindings or "
                            "nvidia-cuda-nvcc (the cuda extra)")


def fast(fn):
    fn.fastmath = True
    return fn


# -- PTX --------------------------------------------------------------------------------

# the float instructions each float32 function becomes (loads and stores aside)
EXPECTED = {
    Op.EXP: ["mov.f32", "mul.rn.f32", "ex2.approx.ftz.f32"],
    Op.EXP2: ["ex2.approx.ftz.f32"],
    Op.LOG: ["lg2.approx.f32", "mov.f32", "mul.rn.f32"],
    Op.LOG2: ["lg2.approx.f32"],
    Op.LOG10: ["lg2.approx.f32", "mov.f32", "mul.rn.f32"],
    Op.SIN: ["sin.approx.f32"],
    Op.COS: ["cos.approx.f32"],
    Op.TAN: ["sin.approx.f32", "cos.approx.f32", "div.rn.f32"],
}


def float_instructions(ptx: str) -> list[str]:
    lines = [line.split()[0] for line in ptx.splitlines() if line.startswith("\t")]
    return [op for op in lines
            if op.endswith((".f32", ".f64")) and not op.startswith(("ld.", "st."))]


def test_the_fastmath_table_covers_the_issue_functions() -> None:
    assert set(FAST_MATH) == set(EXPECTED)


@pytest.mark.parametrize("op", sorted(EXPECTED, key=lambda o: o.value), ids=lambda o: o.value)
def test_float32_functions_become_approx_instructions(op: Op) -> None:
    ptx = compile_ptx(fast(kernels.op_kernel(op, float32)))
    assert float_instructions(ptx) == EXPECTED[op]
    assert ".f64" not in ptx            # the math library computes float32 in float64


def test_exp_and_log_constants_are_the_float32_roundings() -> None:
    exp = compile_ptx(fast(kernels.op_kernel(Op.EXP, float32)))
    log = compile_ptx(fast(kernels.op_kernel(Op.LOG, float32)))
    log10 = compile_ptx(fast(kernels.op_kernel(Op.LOG10, float32)))
    as_hex = lambda c: "0f" + np.float32(c).view(np.uint32).tobytes()[::-1].hex().upper()
    assert as_hex(math.log2(math.e)) == "0f3FB8AA3B" and "0f3FB8AA3B" in exp
    assert as_hex(math.log(2.0)) in log and as_hex(math.log10(2.0)) in log10


def test_fastmath_changes_only_the_float32_functions() -> None:
    """float64 math and every other op compile byte for byte as without fastmath; float16
    math is computed in float32 by the PTX backend, so it takes the .approx path too."""
    for fn in kernels.all_op_kernels(skip=UNSUPPORTED_OPS):
        op = next(o.op for o in fn.operations() if o.op not in (Op.THREAD_IDX, Op.LOAD))
        t = next(o.operands[0].type for o in fn.operations() if o.op is op)
        plain, approx = compile_ptx(fn), compile_ptx(fast(fn))
        if op in FAST_MATH and t in (float32, float16):
            assert plain != approx and ".approx" in approx, fn.name
        else:
            assert plain == approx, fn.name


def test_without_fastmath_no_approx_instruction_appears() -> None:
    modules = [compile_ptx(fn) for fn in kernels.all_op_kernels(skip=UNSUPPORTED_OPS)]
    assert modules and not any(".approx" in text for text in modules)


@needs_assembler
@pytest.mark.parametrize("arch", SUPPORTED_ARCHS)
def test_fastmath_ptx_assembles(arch: str) -> None:
    modules = [compile_ptx(fast(kernels.op_kernel(op, t)), arch)
               for op in sorted(FAST_MATH, key=lambda o: o.value) for t in (float16, float32)]
    assert assemble(merge_modules(modules), arch)[:4] == b"\x7fELF"


# -- the option reaches the compile, and the caches keep the two apart -----------------

def exp_body(x, out):
    i = simt.grid(1)
    if i < x.size:
        out[i] = math.exp(x[i])


def test_fastmath_and_accurate_compiles_never_share_ptx() -> None:
    fast_kernel, accurate_kernel = simt.kernel(fastmath=True)(exp_body), simt.kernel(exp_body)
    x = np.linspace(-80, 80, 256, dtype=np.float32)
    out = np.zeros_like(x)
    fast_fn, accurate_fn = fast_kernel.ir(x, out), accurate_kernel.ir(x, out)
    assert fast_fn.fastmath and not accurate_fn.fastmath
    assert str(fast_fn).startswith("kernel exp_body(") and " fastmath {" in str(fast_fn)
    fast_ptx, accurate_ptx = compile_ptx_cached(fast_fn), compile_ptx_cached(accurate_fn)
    assert "ex2.approx.ftz.f32" in fast_ptx and ".approx" not in accurate_ptx
    # one Function compiled both ways: the memo on the Function is keyed by fastmath too
    accurate_fn.fastmath = True
    assert compile_ptx_cached(accurate_fn) == fast_ptx
    accurate_fn.fastmath = False
    assert compile_ptx_cached(accurate_fn) == accurate_ptx
    # the on-disk cubin cache is keyed by the PTX text
    assert cache.module_key(fast_ptx, "sm_90", "ptxas") != \
        cache.module_key(accurate_ptx, "sm_90", "ptxas")
    # and the launches run what they compiled
    results = {}
    for name, kernel in (("fast", fast_kernel), ("accurate", accurate_kernel)):
        for target in ("numpy", "ptx-emu"):
            out = np.zeros_like(x)
            with simt.target(target):
                kernel[4, 64](x, out)
            results[name, target] = out
    assert np.array_equal(results["fast", "numpy"], results["accurate", "numpy"])
    rounded = np.exp(x.astype(np.float64)).astype(np.float32)
    assert np.max(ulp_steps(results["accurate", "ptx-emu"], rounded)) <= 1
    assert np.max(ulp_steps(results["fast", "ptx-emu"], rounded)) > 8


def ulp_steps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Representable float32 steps between a and b (both finite, same sign)."""
    return np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))


# -- accuracy ---------------------------------------------------------------------------
# The documented maximum errors, PTX ISA 9.1, section 9.7.3 (docs/mathlib.md, "fastmath"):
EX2_STEPS = 2                  # ex2.approx.f32: 2 ulp from the correctly rounded result
LG2_ERROR = 2.0 ** -22         # lg2.approx.f32: absolute in (0.5, 2), relative elsewhere
SIN_COS_ERROR = ((2 * math.pi, 2.0 ** -20.5), (100 * math.pi, 2.0 ** -14.7))  # absolute
U = 2.0 ** -24                 # float32 rounding: mul.rn, div.rn, the rounded constants
MIN_NORMAL = 2.0 ** -126       # ex2.approx.ftz flushes results below it to zero
# the numpy target's float32 math is NumPy's float32 loops, SIMD code that is not
# correctly rounded (up to 3.3 ulp from exact seen for tan, 3.1 for log, on 1M inputs)
NUMPY_ULP = 4


def ex2_error(exact: np.ndarray, argument_error: np.ndarray) -> np.ndarray:
    """ex2.approx.ftz.f32 of t with 2**t = exact * 2**(+-argument_error): within 2 steps of
    the rounded 2**t, so within 2.5 ulp <= 5U of it; 0 where it falls below 2**-126."""
    relative = (1 + (EX2_STEPS + 0.5) * 2 * U) * np.exp2(argument_error) - 1
    flushed = MIN_NORMAL * (1 + relative)
    return np.where(exact <= flushed, np.maximum(relative * exact, flushed), relative * exact)


def lg2_error(x: np.ndarray) -> np.ndarray:
    log2 = np.abs(np.log2(x))
    return np.where((x > 0.5) & (x < 2), LG2_ERROR, LG2_ERROR * log2)


def sin_cos_error(x: np.ndarray) -> np.ndarray:
    (near, near_error), (far, far_error) = SIN_COS_ERROR
    a = np.abs(x)
    return np.where(a <= near, near_error, np.where(a <= far, far_error, np.inf))


def error_bound(name: str, x: np.ndarray) -> np.ndarray:
    """The largest |result - exact| the documented instruction errors allow at x."""
    exact = np.abs(REFERENCE[name](x))
    if name == "exp2":
        return ex2_error(exact, np.zeros_like(x))
    if name == "exp":     # t = RN(x * RN(log2 e)) = x log2(e) (1 + d), |d| <= 2U + U^2
        return ex2_error(exact, np.abs(x) * math.log2(math.e) * (2 * U + U * U))
    if name == "log2":
        return lg2_error(x)
    if name in ("log", "log10"):  # RN(lg2(x) * RN(c))
        c = math.log(2.0) if name == "log" else math.log10(2.0)
        return exact * (2 * U + U * U) + lg2_error(x) * c * (1 + U) ** 2
    if name in ("sin", "cos"):
        return sin_cos_error(x)
    # tan = RN(s / c) with |s - sin x|, |c - cos x| <= e
    e = sin_cos_error(x)
    s, c = np.abs(np.sin(x)), np.abs(np.cos(x))
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = np.where(c > e, e * (s + c) / (c * (c - e)), np.inf)
    return quotient + U * (exact + quotient)


REFERENCE = {"exp": np.exp, "exp2": np.exp2, "log": np.log, "log2": np.log2,
             "log10": np.log10, "sin": np.sin, "cos": np.cos, "tan": np.tan}


def samples(name: str, n: int = 2048) -> np.ndarray:
    rng = np.random.default_rng(sorted(REFERENCE).index(name))
    quarter = n // 4
    if name in ("exp", "exp2"):
        top = 88.0 if name == "exp" else 127.0
        bottom = -87.0 if name == "exp" else -126.0
        parts = [rng.uniform(bottom, top, 2 * quarter), rng.uniform(bottom - 16, bottom, quarter),
                 np.exp(rng.uniform(-40, 0, quarter)) * rng.choice([-1, 1], quarter)]
    elif name.startswith("log"):
        parts = [np.exp2(rng.uniform(-149, 128, 2 * quarter)), rng.uniform(0.5, 2, quarter),
                 1 + rng.uniform(-2 ** -10, 2 ** -10, quarter)]
    else:
        parts = [rng.uniform(-2 * np.pi, 2 * np.pi, 2 * quarter),
                 rng.uniform(-100 * np.pi, 100 * np.pi, quarter),
                 np.exp(rng.uniform(-40, 0, quarter)) * rng.choice([-1, 1], quarter)]
    with np.errstate(over="ignore"):
        x = np.concatenate(parts).astype(np.float32)
    return x[np.isfinite(x) & (x != 0)]


def unary_kernel(function):
    def body(x, out):
        i = simt.grid(1)
        if i < x.size:
            out[i] = function(x[i])
    return simt.kernel(fastmath=True)(body)


KERNELS = {name: unary_kernel(getattr(math, name)) for name in REFERENCE}


def run(name: str, x: np.ndarray, target: str) -> np.ndarray:
    out = np.zeros_like(x)
    with simt.target(target):
        KERNELS[name][(x.size + 127) // 128, 128](x, out)
    return out


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_ptx_emu_within_the_documented_error_bounds(name: str) -> None:
    x = samples(name)
    x64 = x.astype(np.float64)
    exact = REFERENCE[name](x64)
    bound = error_bound(name, x64)
    emulated, reference = run(name, x, "ptx-emu"), run(name, x, "numpy")
    assert np.mean(np.isfinite(bound)) > 0.99
    error = np.abs(emulated.astype(np.float64) - exact)
    worst = int(np.argmax(error / bound))
    assert np.all(error <= bound), (
        f"{name}({x[worst]!r}): ptx-emu {emulated[worst]!r}, exact {exact[worst]!r}, "
        f"error {error[worst]:.3g} > {bound[worst]:.3g}")
    # the numpy target (the reference) agrees within the bound plus its own error
    allowance = NUMPY_ULP * np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(emulated.astype(np.float64) - reference) <= bound + allowance)


SPECIALS = [-np.inf, -0.0, 0.0, np.inf, np.nan]


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_special_inputs_follow_the_isa_tables(name: str) -> None:
    """Infinities, zeros, NaN and negative logarithms give what the PTX ISA documents for
    the .approx instructions, which is also what the numpy target computes."""
    x = np.array(SPECIALS + ([-1.0, -1e-40] if name.startswith("log") else []), np.float32)
    with np.errstate(all="ignore"):
        expected = REFERENCE[name](x)
    emulated, reference = run(name, x, "ptx-emu"), run(name, x, "numpy")
    for got in (emulated, reference):
        assert np.array_equal(got, expected, equal_nan=True), (name, got, expected)
        signed = ~np.isnan(expected)
        assert np.array_equal(np.signbit(got[signed]), np.signbit(expected[signed]))
