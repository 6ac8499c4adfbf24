"""Measure the ulp error of the PTX backend's math library and write docs/mathlib.md.

Each function is evaluated exactly as the GPU computes it: the op kernel is legalized
(the math op expands into the IR of ``simt/backends/ptx/mathlib*.py``) and the
legalized IR is interpreted over millions of lanes at once by ``tests/ptx/legal_eval``,
which gives every op its PTX meaning bit for bit (``fma.rn`` included).

References:
- float32: the same function in float64 (NumPy, < 1 float64 ulp), i.e. ~2**-29
  float32 ulp of reference error;
- float64: NumPy's long double (x87 80-bit, 64-bit significand: reference error ~2**-11
  ulp); erf and erfc (NumPy has neither) are computed here in long double, from their
  series and continued fraction, to ~2**-62 relative (checked against mpmath in
  tests/ptx/test_mathlib_hard.py), for float32 too.

Inputs per function: a third uniformly random bit patterns inside the domain (every
exponent), a third uniform over the interesting interval, a third log-uniform over it,
plus edge cases (0, -0, inf, NaN, subnormals, overflow thresholds, their neighbours)
and known hard cases (arguments closest to multiples of pi/2, pow near overflow).

    python scripts/ulp_table.py                     # documented run: 10M inputs each
    python scripts/ulp_table.py -n 20000 --check    # CI smoke test, no file written

``--check`` exits non-zero when a function misses its goal.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
import zlib
from multiprocessing import Pool

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from simt.backends.ptx import legalize  # noqa: E402
from simt.ir import Op  # noqa: E402
from simt.ir.types import float32, float64  # noqa: E402
from tests.ptx import kernels  # noqa: E402
from tests.ptx.legal_eval import run  # noqa: E402

LD = np.longdouble
CHUNK = 1 << 18

# name: (op, arity, goal ulp, domain (lo, hi) of the random inputs, reference name)
# goal: 1 ulp for exp/log/sqrt-like functions, 2 ulp for the rest (CUDA's bounds or better)
FUNCTIONS = {
    "exp": (Op.EXP, 1, 1, (-746.0, 710.0)),
    "exp2": (Op.EXP2, 1, 1, (-1076.0, 1025.0)),
    "expm1": (Op.EXPM1, 1, 1, (-40.0, 710.0)),
    "log": (Op.LOG, 1, 1, (0.0, math.inf)),
    "log2": (Op.LOG2, 1, 1, (0.0, math.inf)),
    "log10": (Op.LOG10, 1, 1, (0.0, math.inf)),
    "log1p": (Op.LOG1P, 1, 1, (-1.0, math.inf)),
    "sin": (Op.SIN, 1, 2, (-math.inf, math.inf)),
    "cos": (Op.COS, 1, 2, (-math.inf, math.inf)),
    "tan": (Op.TAN, 1, 2, (-math.inf, math.inf)),
    "asin": (Op.ASIN, 1, 2, (-1.0, 1.0)),
    "acos": (Op.ACOS, 1, 2, (-1.0, 1.0)),
    "atan": (Op.ATAN, 1, 2, (-math.inf, math.inf)),
    "atan2": (Op.ATAN2, 2, 2, (-math.inf, math.inf)),
    "sinh": (Op.SINH, 1, 2, (-711.0, 711.0)),
    "cosh": (Op.COSH, 1, 2, (-711.0, 711.0)),
    "tanh": (Op.TANH, 1, 2, (-30.0, 30.0)),
    "asinh": (Op.ASINH, 1, 2, (-math.inf, math.inf)),
    "acosh": (Op.ACOSH, 1, 2, (1.0, math.inf)),
    "atanh": (Op.ATANH, 1, 2, (-1.0, 1.0)),
    "erf": (Op.ERF, 1, 2, (-6.0, 6.0)),
    "erfc": (Op.ERFC, 1, 2, (-6.0, 28.0)),
    "pow": (Op.POW, 2, 2, (0.0, math.inf)),
    "hypot": (Op.HYPOT, 2, 2, (-math.inf, math.inf)),
    "cbrt": (Op.CBRT, 1, 1, (-math.inf, math.inf)),
}
NUMPY_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2",
               "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh", "pow": "power"}

# float64 arguments closest to a multiple of pi/2 (Muller, "Elementary Functions", 2016)
TRIG_HARD_64 = [6381956970095103.0 * 2.0 ** 797, 5261692873635770.0 * 2.0 ** 499,
                8614336771488810.0 * 2.0 ** -133, 4.0 * 1.5707963267948966 * 2 ** 30,
                1.5707963267948966, 3.141592653589793, 4.71238898038469, 1e22, 1e300,
                2.0 ** 1023 * 1.9999999999999998, 355.0, 103993.0, 5419351.0, 1.0e15,
                2.0 ** 20, 2.0 ** 50, 2.0 ** 51, 2.0 ** 52, 2.0 ** 60]
TRIG_HARD_32 = [16367173.0 * 2.0 ** 72, 16367173.0 * 2.0 ** 71, 13176795.0 * 2.0 ** 1,
                1.5707964, 3.1415927, 1.0e10, 3.4028235e38, 2.0 ** 24, 2.0 ** 30, 105414350.0]


def reference(name: str, dtype, args: list[np.ndarray]) -> np.ndarray:
    """The exact value (to far better than an ulp), as long double."""
    with np.errstate(all="ignore"):
        if name in ("erf", "erfc"):
            return erf_reference(name, args[0].astype(np.float64))
        wide = np.float64 if dtype == np.float32 else LD
        f = getattr(np, NUMPY_NAMES.get(name, name))
        return np.asarray(f(*[a.astype(wide) for a in args])).astype(LD)


# -- erf and erfc in long double (NumPy has neither) -----------------------------------
SQRT_PI = LD("1.772453850905516027298167483341145182798")
SERIES_BELOW = 0.75          # |x| below: the series; above: the continued fraction
# (lowest |x| of a band, continued-fraction depth): enough for 2**-62 relative there
CF_DEPTHS = [(0.75, 2500), (1.0, 1200), (1.5, 600), (2.0, 300), (3.0, 120), (5.0, 50),
             (10.0, 20)]


def exp_minus_square(x: np.ndarray) -> np.ndarray:
    """exp(-x*x) in long double for float64 x: x is split (Veltkamp) into 26-bit halves,
    so x*x = hi*hi + 2*hi*lo + lo*lo with every product exact in float64, and only the
    three exps round."""
    x = np.abs(x)
    c = x * 134217729.0
    hi = c - (c - x)
    lo = x - hi
    return np.exp(-LD(hi * hi)) * np.exp(-LD(2 * hi * lo)) * np.exp(-LD(lo * lo))


def erf_series(x: np.ndarray, terms: int = 60) -> np.ndarray:
    """erf(x) = 2/sqrt(pi) x exp(-x^2) sum (2x^2)^n / (1*3*...*(2n+1)): positive terms."""
    t = np.ones(len(x), LD)
    total = np.ones(len(x), LD)
    y = 2 * LD(x) * LD(x)
    for n in range(1, terms):
        t = t * y / (2 * n + 1)
        total = total + t
    return 2 / SQRT_PI * LD(x) * total * exp_minus_square(x)


def erfc_fraction(x: np.ndarray) -> np.ndarray:
    """erfc(x) for x >= SERIES_BELOW: 2x exp(-x^2)/sqrt(pi) / (2x^2+1 - 1*2/(2x^2+5 -
    3*4/(2x^2+9 - ...))), evaluated bottom-up to a depth chosen per band of x."""
    out = np.empty(len(x), LD)
    bounds = [low for low, _ in CF_DEPTHS[1:]] + [np.inf]
    for (low, depth), high in zip(CF_DEPTHS, bounds):
        band = (x >= low) & (x < high)
        if not band.any():
            continue
        xb = LD(x[band])
        two_x2 = 2 * xb * xb
        f = two_x2 + 1 + 4 * depth
        for k in range(depth, 0, -1):
            f = two_x2 + (1 + 4 * (k - 1)) - LD((2 * k - 1) * (2 * k)) / f
        out[band] = 2 * xb / SQRT_PI / f * exp_minus_square(x[band])
    return out


def erf_reference(name: str, x: np.ndarray) -> np.ndarray:
    """erf or erfc of float64 ``x`` in long double, within about 2**-62 relative (checked
    against mpmath by tests/ptx/test_mathlib_hard.py)."""
    a = np.abs(np.nan_to_num(x, nan=0.0, posinf=30.0, neginf=30.0))
    a = np.minimum(a, 30.0)                   # erf = +-1, erfc = 0 or 2 beyond
    small = a < SERIES_BELOW
    erf_abs = np.empty(len(x), LD)            # erf(|x|)
    erfc_abs = np.empty(len(x), LD)           # erfc(|x|)
    erf_abs[small] = erf_series(a[small])
    erfc_abs[small] = 1 - erf_abs[small]
    erfc_abs[~small] = erfc_fraction(a[~small])
    erf_abs[~small] = 1 - erfc_abs[~small]
    negative = np.signbit(x)
    if name == "erf":
        out = np.where(negative, -erf_abs, erf_abs)
    else:
        out = np.where(negative, 2 - erfc_abs, erfc_abs)
    out[np.isnan(x)] = np.nan
    return out


def ulp_error(got: np.ndarray, want: np.ndarray, dtype) -> np.ndarray:
    """|got - want| in ulps of want's binade in dtype (0 where both are NaN or got is
    the correctly rounded inf/zero; inf where only one of them is non-finite)."""
    info = np.finfo(dtype)
    p, emin = info.nmant + 1, info.minexp
    with np.errstate(all="ignore"):
        rounded = want.astype(dtype)
        same = (got == rounded) & (np.signbit(got) == np.signbit(rounded))
        same &= ~np.isfinite(rounded) | (rounded == 0)
        same |= np.isnan(got) & np.isnan(want)
        _, e = np.frexp(want)
        spacing = np.ldexp(np.ones(len(want), LD), np.maximum(e - 1, emin) - (p - 1))
        d = np.abs(got.astype(LD) - want) / spacing
        finite = np.isfinite(got) & np.isfinite(want)
        d = np.where(finite, d, np.inf)
        d = np.where(np.isnan(d), np.inf, d)
        # a finite want beyond the largest finite value that rounds to inf
        d = np.where(~np.isfinite(rounded) & np.isfinite(want) & np.isfinite(got),
                     np.abs(got.astype(LD) - want) / np.ldexp(LD(1), info.maxexp - p), d)
    return np.where(same, 0.0, d.astype(np.float64))


def _random_bits(rng, dtype, n: int) -> np.ndarray:
    itype = np.int32 if dtype == np.float32 else np.int64
    info = np.iinfo(itype)
    return rng.integers(info.min, info.max, n, dtype=itype, endpoint=True).view(dtype)


def _in_domain(rng, dtype, n: int, lo: float, hi: float) -> np.ndarray:
    """n finite values of dtype in [lo, hi]: random bits, uniform and log-uniform thirds."""
    finfo = np.finfo(dtype)
    flo, fhi = max(lo, -float(finfo.max)), min(hi, float(finfo.max))
    parts = []
    k = n // 3
    bits = _random_bits(rng, dtype, 2 * k + 16)
    bits = bits[np.isfinite(bits)]
    if lo >= 0:
        bits = np.abs(bits)
    bits = bits[(bits >= flo) & (bits <= fhi)]
    while len(bits) < k:           # narrow domains: fold random bits into it by scaling
        extra = np.abs(_random_bits(rng, dtype, 2 * k))
        extra = extra[np.isfinite(extra) & (extra <= 1)]
        bits = np.concatenate([bits, (flo + (fhi - flo) * extra.astype(np.float64)).astype(dtype)])
    parts.append(bits[:k])
    ulo, uhi = max(flo, -1e6), min(fhi, 1e6)
    parts.append(rng.uniform(ulo, uhi, k).astype(dtype))
    m = n - 2 * k
    tiny = float(finfo.smallest_subnormal)
    top = max(abs(flo), abs(fhi))
    v = np.empty(0, dtype)
    while len(v) < m:              # draw until m of them lie in the domain
        mag = np.exp(rng.uniform(math.log(tiny), math.log(top), m))
        sign = rng.choice([-1.0, 1.0], m) if flo < 0 else np.ones(m)
        more = (mag * sign).astype(dtype)
        more = more[(more >= flo) & (more <= fhi)]
        if lo > 0:                 # a domain starting above 0: shift magnitudes into it
            more = np.concatenate([more, (flo + np.abs(more[: m - len(more)])).astype(dtype)])
        v = np.concatenate([v, more])
    parts.append(v[:m])
    out = np.concatenate(parts)
    return out[(out >= flo) & (out <= fhi)]


def _edges(name: str, dtype) -> np.ndarray:
    finfo = np.finfo(dtype)
    base = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0,
            float(finfo.smallest_subnormal), -float(finfo.smallest_subnormal),
            float(finfo.smallest_normal), float(finfo.max), -float(finfo.max), 1e-300, 1e-30]
    thresholds = {
        "exp": [709.782712893384, -745.1332191019411, 88.72283, -103.97208, 1e-10, 0.34657359],
        "exp2": [1024.0, -1074.0, -1075.0, 128.0, -149.0, -126.0, 0.5, -1022.0],
        "expm1": [709.782712893384, 88.72283, 0.35, -0.35, 1e-10, -37.0, -40.0],
        "log1p": [-0.9999999999999999, 1e-10, -1e-10, 0.41421356, -0.29289322],
        "tanh": [22.0, 19.0, 9.0, 0.55, 1e-8],
        "sinh": [22.0, 710.4758600739439, 89.4, 1e-8], "cosh": [22.0, 710.4758600739439, 89.4],
        "asinh": [268435456.0, 1e-8, 2.0 ** 28 * 1.01], "acosh": [1.0000000000000002, 2.0, 2.0 ** 28],
        "atanh": [0.9999999999999999, -0.9999999999999999, 0.5, 1e-8],
        "erf": [0.84375, 0.25, 2.5, 27.5, 5.9], "erfc": [0.84375, 0.25, 2.5, 26.5, 27.2, 27.5, 9.0, 10.05],
        "asin": [0.5, 0.9999999999999999, 1e-8], "acos": [0.5, 0.9999999999999999, -0.9999999999999999],
        "atan": [0.41421356237309503, 1e16, 1e-8],
    }.get(name, [])
    if name in ("sin", "cos", "tan"):
        thresholds = TRIG_HARD_32 if dtype == np.float32 else TRIG_HARD_64
    v = np.array(base + thresholds, np.float64)
    with np.errstate(all="ignore"):
        v = v.astype(dtype)
    with np.errstate(all="ignore"):
        neighbours = [np.nextafter(v, dtype(np.inf)), np.nextafter(v, dtype(-np.inf))]
    v = np.concatenate([v, *neighbours, -v])
    return v.astype(dtype)


def inputs(name: str, dtype, n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    op, arity, _, (lo, hi) = FUNCTIONS[name]
    if arity == 1:
        x = np.concatenate([_in_domain(rng, dtype, n, lo, hi), _edges(name, dtype)])
        return [x]
    edges = _edges("", dtype)
    ex, ey = np.repeat(edges, len(edges)), np.tile(edges, len(edges))
    if name == "pow":
        k = n // 4
        big = 1000.0 if dtype == np.float64 else 100.0
        xs = [_in_domain(rng, dtype, k, 0.0, math.inf), rng.uniform(0.5, 2.0, k).astype(dtype),
              np.exp(rng.uniform(-5, 5, k)).astype(dtype), -rng.integers(0, 20, k).astype(dtype)]
        limit = 709.0 if dtype == np.float64 else 88.0
        ys = []
        for x in xs:
            lx = np.abs(np.log(np.abs(x.astype(np.float64)) + 1e-300))
            ymax = np.minimum(limit / np.maximum(lx, 1e-3), big * 10)
            ys.append((rng.uniform(-1, 1, len(x)) * ymax).astype(dtype))
        ys[1] = rng.uniform(-big, big, k).astype(dtype)                  # |y| up to 1000
        ys[3] = rng.integers(-30, 30, k).astype(dtype)                   # negative x, integer y
        return [np.concatenate(xs + [ex]), np.concatenate(ys + [ey])]
    if name == "hypot":
        x = _in_domain(rng, dtype, n, -math.inf, math.inf)
        scale = np.exp(rng.uniform(-40, 40, len(x)))
        with np.errstate(over="ignore"):         # y = inf sometimes: an edge case too
            y = (x.astype(np.float64) * scale * rng.uniform(-1, 1, len(x))).astype(dtype)
        return [np.concatenate([x, ex]), np.concatenate([y, ey])]
    x = _in_domain(rng, dtype, n, -math.inf, math.inf)              # atan2(y, x)
    y = _in_domain(rng, dtype, n, -math.inf, math.inf)[: len(x)]
    x = x[: len(y)]
    half = len(x) // 2
    y[:half] = (rng.normal(0, 1, half)).astype(dtype)
    x[:half] = (rng.normal(0, 1, half)).astype(dtype)
    return [np.concatenate([y, ex]), np.concatenate([x, ey])]


_LEGAL: dict = {}


def evaluate(op: Op, t, args: list[np.ndarray]) -> np.ndarray:
    key = (op, t)
    if key not in _LEGAL:
        _LEGAL[key] = legalize(kernels.op_kernel(op, t))
    fn = _LEGAL[key]
    out = np.empty(len(args[0]), t.dtype)
    for start in range(0, len(out), CHUNK):
        part = [a[start:start + CHUNK].copy() for a in args]
        o = np.zeros(len(part[0]), t.dtype)
        run(fn, [*part, o], lanes=len(o), max_steps=10 ** 7)
        out[start:start + CHUNK] = o
    return out


def measure(job: tuple[str, str, int]) -> dict:
    name, tname, n = job
    t = float32 if tname == "float32" else float64
    dtype = t.dtype.type
    op, arity, goal, _ = FUNCTIONS[name]
    start = time.time()
    # a stable seed (str hashes change per process): the same inputs on every run
    args = inputs(name, dtype, n, seed=zlib.crc32(name.encode()) + (tname == "float32"))
    got = evaluate(op, t, args)
    want = reference(name, dtype, args)
    err = ulp_error(got, want, dtype)
    worst = int(np.argmax(err))
    finite = err[np.isfinite(err)]
    return dict(name=name, dtype=tname, n=len(err), max=float(err.max()),
                mean=float(finite.mean()) if len(finite) else math.inf, goal=goal,
                worst=tuple(float(a[worst]) for a in args), got=float(got[worst]),
                want=float(want[worst]), seconds=time.time() - start)


# The fastmath section of docs/mathlib.md: fixed text (the bounds are derived, not
# measured; tests/ptx/test_fastmath.py checks ptx-emu against them).
FASTMATH = r"""
## fastmath

`@simt.kernel(fastmath=True)` (or `@cuda.jit(fastmath=True)`) makes the PTX backend
compute float32 exp, exp2, log, log2, log10, sin, cos and tan with the GPU's
approximate instructions instead of the routines above (float16 math too, which the
backend computes in float32). Everything else compiles as without the option: float64
math, the other functions, and `+ - * / sqrt`, which stay exact (`div.rn`, `sqrt.rn`):
unlike numba-cuda's fastmath there is no `div.approx`/`sqrt.approx`, no flush-to-zero
of arithmetic and no FMA contraction, so arithmetic still agrees bit for bit with the
numpy target. The numpy target ignores the option (it is the reference). ptx-emu runs
the `.approx` instructions in float64 and rounds once, inside their documented errors
but not bit for bit what a GPU returns: fastmath results agree across targets only
within the bounds below.

| function | PTX |
|---|---|
| `exp2(x)` | `ex2.approx.ftz.f32 x` |
| `exp(x)` | `ex2.approx.ftz.f32 (x * 0f3FB8AA3B)`: log2(e) rounded to float32, `mul.rn.f32` |
| `log2(x)` | `lg2.approx.f32 x` |
| `log(x)`, `log10(x)` | `lg2.approx.f32 x * 0f3F317218` (ln 2), `* 0f3E9A209B` (log10 2) |
| `sin(x)`, `cos(x)` | `sin.approx.f32 x`, `cos.approx.f32 x` |
| `tan(x)` | `sin.approx.f32 x / cos.approx.f32 x` (`div.rn.f32`) |

The instructions' documented maximum errors (PTX ISA 9.1, sections 9.7.3.18 sin,
9.7.3.19 cos, 9.7.3.20 lg2 and 9.7.3.21 ex2,
https://docs.nvidia.com/cuda/parallel-thread-execution/):

- `ex2.approx.f32`: at most 2 ulp from the correctly rounded result, over the whole
  input range; `.ftz` flushes subnormal inputs and results to zero.
- `lg2.approx.f32`: absolute error at most 2^-22 for x in (0.5, 2), relative error at
  most 2^-22 for every other positive finite x.
- `sin.approx.f32`, `cos.approx.f32`: absolute error at most 2^-20.5 for x in
  [-2pi, 2pi] and 2^-14.7 in [-100pi, 100pi]; beyond that the ISA promises nothing.

The bounds they give simt's functions, against the exact value at the float32 input
(u = 2^-24, the rounding error of `mul.rn`, `div.rn` and of the rounded constants;
`tests/ptx/test_fastmath.py` checks ptx-emu and the numpy target against these):

- exp2: relative error at most 5u (2.5 ulp); results below 2^-126 may be 0.
- exp: relative error at most (1 + 5u) 2^(|x| log2(e) (2u + u^2)) - 1, about
  5 + 2|x| ulp (178 ulp at x = 87.3): rounding x log2(e) to float32 costs up to
  |x| u in the exponent. Results below 2^-126 may be 0.
- log2: absolute error at most 2^-22 for x in (0.5, 2), else relative error 2^-22.
- log, log10: |error| at most (2u + u^2) |f(x)| + c (1 + u)^2 E(x), with c = ln 2 or
  log10 2 and E(x) the lg2 bound at x.
- sin, cos: the instruction bounds; none for |x| > 100pi.
- tan: |error| at most D + u (|tan x| + D) with D = E (|sin x| + |cos x|) /
  (|cos x| (|cos x| - E)), E the sin/cos bound at x; none where |cos x| <= E.
"""


def table(results: list[dict], command: str) -> str:
    lines = [
        "# simt math library accuracy (PTX backend)",
        "",
        "Measured by `scripts/ulp_table.py` (this file is generated; do not edit by hand):",
        "",
        f"    {command}",
        "",
        "Each function is the legalized IR of `simt/backends/ptx/mathlib*.py`, evaluated",
        "bit for bit as PTX computes it (`tests/ptx/legal_eval.py`; `fma.rn` included). The",
        "reference is float64 NumPy for float32 and x87 long double (64-bit significand)",
        "for float64; erf/erfc: series and continued fraction in long double. Inputs:",
        "random bit patterns over the whole domain, uniform and log-uniform samples, edge",
        "cases (signed zeros, infinities, NaN, subnormals, overflow thresholds and their",
        "neighbours) and hard cases (arguments nearest to multiples of pi/2, pow with",
        "|y| up to 1000). Errors are in ulps of the exact result; a result of inf/NaN where",
        "the exact one is finite (or the other way round) counts as an infinite error.",
        "",
        "Goal: <= 1 ulp for exp/log/sqrt-like functions (exp, exp2, expm1, log, log2,",
        "log10, log1p, cbrt), <= 2 ulp for the rest (CUDA's documented bounds or better).",
        "float32 functions compute in float64 and round once.",
        "",
        "| function | dtype | max ulp | mean ulp | inputs tried | goal (ulp) | met? | worst input |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        met = "yes" if r["max"] <= r["goal"] else "**no**"
        worst = ", ".join(repr(v) for v in r["worst"])
        lines.append(f"| {r['name']} | {r['dtype']} | {r['max']:.3f} | {r['mean']:.4f} | "
                     f"{r['n']:,} | {r['goal']} | {met} | {worst} |")
    return "\n".join(lines) + "\n" + FASTMATH


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--inputs", type=int, default=10_000_000,
                        help="random inputs per function and dtype (default 10M)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("-f", "--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("-o", "--output", default=os.path.join(ROOT, "docs", "mathlib.md"))
    parser.add_argument("--check", action="store_true", help="don't write; fail if a goal is missed")
    options = parser.parse_args()
    jobs = [(f, d, options.inputs)
            for f in options.functions.split(",") for d in options.dtypes.split(",")]
    results = []
    with Pool(options.jobs) as pool:
        for r in pool.imap(measure, jobs):
            results.append(r)
            print(f"{r['name']:6} {r['dtype']}: max {r['max']:.3f} mean {r['mean']:.4f} ulp over "
                  f"{r['n']:,} inputs (goal {r['goal']}) worst at {r['worst']}: got {r['got']!r} "
                  f"want {r['want']!r} [{r['seconds']:.0f}s]", flush=True)
    missed = [r for r in results if not r["max"] <= r["goal"]]
    if not options.check:
        command = "python scripts/ulp_table.py " + " ".join(sys.argv[1:])
        with open(options.output, "w") as f:
            f.write(table(results, command.strip()))
    print(f"{len(results) - len(missed)}/{len(results)} meet their goal", flush=True)
    return 1 if options.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
