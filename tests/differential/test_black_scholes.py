"""Black-Scholes option pricing (log, sqrt, exp, erfc composed) on every target.

Transcendentals agree across targets only within their documented ulp bounds, so a
kernel that composes them agrees within the *composed* bound: a first-order running
error analysis of the kernel's formula (``Bounded`` below), fed with each target's
per-function bound and the unit roundoff of the kernel's dtype. Each target's prices
must lie within that bound of the exact prices of the same inputs (mpmath at 40
digits, with the constants rounded as the kernel rounds them); two targets then
agree within the sum of their bounds.

Per-function bounds (ulp):
- ptx-emu (the PTX math library, docs/mathlib.md): exp and log 1, erfc 2;
- numpy (the reference target): NumPy's SIMD exp/log, at most 4 ulp (NumPy's
  documented float32 AVX512F bounds are 2.52 and 3.83; float64 glibc/SVML ones are
  lower), and erfc from CPython's ``math.erfc``: exact to 0.5 ulp after rounding the
  double result to float32, at most 5 ulp in float64 (glibc's x86-64 table).
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import simt

INV_SQRT2 = 0.7071067811865476
N = 1024

ULP_BOUNDS = {
    "ptx-emu": {np.float32: {"exp": 1, "log": 1, "erfc": 2},
                np.float64: {"exp": 1, "log": 1, "erfc": 2}},
    "numpy": {np.float32: {"exp": 4, "log": 4, "erfc": 1},
              np.float64: {"exp": 4, "log": 4, "erfc": 5}},
}


@simt.kernel
def black_scholes(S, K, T, R, V, call, put):
    i = simt.grid(1)
    if i < S.shape[0]:
        s = S[i]
        k = K[i]
        t = T[i]
        r = R[i]
        v = V[i]
        sqrt_t = math.sqrt(t)
        d1 = (math.log(s / k) + (r + 0.5 * v * v) * t) / (v * sqrt_t)
        d2 = d1 - v * sqrt_t
        n_d1 = 0.5 * math.erfc(-d1 * INV_SQRT2)
        n_d2 = 0.5 * math.erfc(-d2 * INV_SQRT2)
        discount = k * math.exp(-r * t)
        call[i] = s * n_d1 - discount * n_d2
        put[i] = discount * (1.0 - n_d2) - s * (1.0 - n_d1)


def options(dtype, seed: int = 2026):
    rng = np.random.default_rng(seed)
    columns = (rng.uniform(5, 30, N), rng.uniform(1, 100, N), rng.uniform(0.25, 10, N),
               rng.uniform(0.01, 0.05, N), rng.uniform(0.1, 0.5, N))
    return [c.astype(dtype) for c in columns]


# ------------------------------------------------------------------ exact prices
def exact_prices(dtype, S, K, T, R, V):
    mpmath.mp.dps = 40
    inv_sqrt2 = mpmath.mpf(float(dtype(INV_SQRT2)))     # the constant as the kernel has it
    calls, puts = [], []
    for s, k, t, r, v in zip(*(map(float, column) for column in (S, K, T, R, V))):
        s, k, t, r, v = map(mpmath.mpf, (s, k, t, r, v))
        sqrt_t = mpmath.sqrt(t)
        d1 = (mpmath.log(s / k) + (r + v * v / 2) * t) / (v * sqrt_t)
        d2 = d1 - v * sqrt_t
        n_d1 = mpmath.erfc(-d1 * inv_sqrt2) / 2
        n_d2 = mpmath.erfc(-d2 * inv_sqrt2) / 2
        discount = k * mpmath.exp(-r * t)
        calls.append(float(s * n_d1 - discount * n_d2))
        puts.append(float(discount * (1 - n_d2) - s * (1 - n_d1)))
    return np.array(calls), np.array(puts)


# ------------------------------------------------------------------ composed bound
class Bounded:
    """A value (float64, standing for the exact one) and a bound on the absolute error
    of what a target computes for it; operations round to nearest in a format with
    unit roundoff ``u`` and half the smallest subnormal ``eta`` (the absolute error of
    a rounding in the subnormal range) and call math functions accurate to
    ``ulps[name]`` ulp."""

    def __init__(self, value, error, u: float, eta: float, ulps: dict[str, float]):
        self.value = np.asarray(value, np.float64)
        self.error = np.asarray(error, np.float64)
        self.u, self.eta, self.ulps = u, eta, ulps

    def _make(self, value, error) -> "Bounded":
        return Bounded(value, error, self.u, self.eta, self.ulps)

    def _rounded(self, value, error) -> "Bounded":            # one .rn rounding
        return self._make(value, error + self.u * (np.abs(value) + error) + self.eta)

    def _function(self, name: str, value, error) -> "Bounded":  # within ulps[name] ulp
        k = 2 * self.ulps[name]
        return self._make(value, error + k * (self.u * (np.abs(value) + error) + self.eta))

    @staticmethod
    def _parts(other):
        if isinstance(other, Bounded):
            return other.value, other.error
        return np.float64(other), 0.0                       # a constant of the kernel's dtype

    def __add__(self, other):
        b, eb = self._parts(other)
        return self._rounded(self.value + b, self.error + eb)

    def __sub__(self, other):
        b, eb = self._parts(other)
        return self._rounded(self.value - b, self.error + eb)

    def __rsub__(self, other):
        a, ea = self._parts(other)
        return self._rounded(a - self.value, self.error + ea)

    def __mul__(self, other):
        b, eb = self._parts(other)
        error = np.abs(self.value) * eb + np.abs(b) * self.error + self.error * eb
        return self._rounded(self.value * b, error)

    __rmul__ = __mul__

    def __truediv__(self, other):
        b, eb = self._parts(other)
        value = self.value / b
        return self._rounded(value, (self.error + np.abs(value) * eb) / (np.abs(b) - eb))

    def __neg__(self):
        return self._make(-self.value, self.error)

    def sqrt(self):
        value = np.sqrt(self.value)
        return self._rounded(value, self.error / (np.sqrt(self.value - self.error) + value))

    def log(self):
        return self._function("log", np.log(self.value), -np.log1p(-self.error / self.value))

    def exp(self):
        value = np.exp(self.value)
        return self._function("exp", value, value * np.expm1(self.error))

    def erfc(self):
        nearest_to_zero = np.maximum(np.abs(self.value) - self.error, 0.0)
        slope = 2 / np.sqrt(np.pi) * np.exp(-nearest_to_zero ** 2)
        return self._function("erfc", np.vectorize(math.erfc)(self.value), slope * self.error)


def error_bounds(dtype, ulps, S, K, T, R, V):
    """Bounds on |computed - exact| of call and put, following the kernel op by op."""
    u = 2.0 ** -(np.finfo(dtype).nmant + 1)
    eta = float(np.finfo(dtype).smallest_subnormal) / 2
    s, k, t, r, v = (Bounded(np.float64(c), 0.0, u, eta, ulps) for c in (S, K, T, R, V))
    inv_sqrt2 = float(dtype(INV_SQRT2))
    sqrt_t = t.sqrt()
    d1 = ((s / k).log() + (r + 0.5 * v * v) * t) / (v * sqrt_t)
    d2 = d1 - v * sqrt_t
    n_d1 = 0.5 * (-d1 * inv_sqrt2).erfc()
    n_d2 = 0.5 * (-d2 * inv_sqrt2).erfc()
    discount = k * (-r * t).exp()
    call = s * n_d1 - discount * n_d2
    put = discount * (1.0 - n_d2) - s * (1.0 - n_d1)
    return call.error, put.error


# ------------------------------------------------------------------ the tests
def run(target: str, dtype, inputs):
    call, put = np.zeros(N, dtype), np.zeros(N, dtype)
    with simt.target(target):
        black_scholes[N // 128, 128](*inputs, call, put)
    return call, put


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
def test_black_scholes_within_the_composed_bound(dtype):
    inputs = options(dtype)
    exact_call, exact_put = exact_prices(dtype, *inputs)
    results, bounds = {}, {}
    for target in ("numpy", "ptx-emu"):
        call, put = results[target] = run(target, dtype, inputs)
        assert call.dtype == put.dtype == dtype
        bound_call, bound_put = bounds[target] = error_bounds(dtype, ULP_BOUNDS[target][dtype],
                                                              *inputs)
        for name, got, exact, bound in (("call", call, exact_call, bound_call),
                                        ("put", put, exact_put, bound_put)):
            excess = np.abs(got.astype(np.float64) - exact) / bound
            worst = int(np.argmax(excess))
            assert excess[worst] <= 1.0, (
                f"{target} {name}[{worst}] = {got[worst]!r}, exact {exact[worst]!r}, "
                f"composed bound {bound[worst]:.3g}")
    # The bound is tight enough to mean something: a few hundred units of roundoff of
    # the prices' scale (S + K), not a tolerance that anything passes.
    scale = (inputs[0] + inputs[1]).astype(np.float64) * 2.0 ** -(np.finfo(dtype).nmant + 1)
    for target in bounds:
        assert all(np.max(b / scale) < 500 for b in bounds[target]), target
    # Hence the two targets agree within the sum of their bounds.
    for index in range(2):
        gap = np.abs(results["numpy"][index].astype(np.float64) - results["ptx-emu"][index])
        assert np.all(gap <= bounds["numpy"][index] + bounds["ptx-emu"][index])


def test_the_composed_bound_catches_a_wrong_price():
    # Prices rounded to float16 (what one stray conversion in a float32 kernel would
    # do) fall outside the float32 bound: the check is not vacuous.
    inputs = options(np.float32)
    exact_call, _ = exact_prices(np.float32, *inputs)
    bound_call, _ = error_bounds(np.float32, ULP_BOUNDS["ptx-emu"][np.float32], *inputs)
    call, _ = run("numpy", np.float32, inputs)
    damaged = call.astype(np.float16).astype(np.float64)
    assert np.any(np.abs(damaged - exact_call) > bound_call)
