"""Recomputes the polynomial coefficients of ``simt/backends/ptx/mathlib_erf.py`` (mpmath).

G(t) = x * erfc(x) * exp(x*x) with t = 1/x is interpolated at the Chebyshev points of
each interval of t, at 60 significant digits, and the interpolant is rewritten as a
polynomial in ``u = t - center`` (center: the interval's midpoint rounded to a double);
the constant term is split into two doubles. ``python -m tests.ptx.erf_fit`` prints them.
"""
from __future__ import annotations

# (low t, high t, degree) of the two intervals: x in [2.5, 27.5] and [0.84375, 2.5]
FAR = (1 / 27.5, 0.4, 20)
NEAR = (0.4, 1 / 0.84375, 22)


def fit(low: float, high: float, degree: int) -> tuple[float, float, float, list[float]]:
    """(center, constant hi, constant lo, [coefficients of u**1 .. u**degree])."""
    import mpmath as mp

    with mp.workdps(60):
        def g(t):
            x = 1 / t
            return mp.erfc(x) * mp.exp(x * x) * x

        lo, hi = mp.mpf(low), mp.mpf(high)
        center = mp.mpf(float((lo + hi) / 2))
        half = max(hi - center, center - lo)
        n = degree + 1
        nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]
        values = [g(center + half * s) for s in nodes]
        cheb = [2 * mp.fsum(values[k] * mp.cos(mp.pi * j * (k + mp.mpf(1) / 2) / n)
                            for k in range(n)) / n for j in range(n)]
        cheb[0] /= 2
        # Chebyshev polynomials T_j in the power basis of s = (t - center) / half
        basis = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]
        for j in range(2, n):
            nxt = [mp.mpf(0)] * (j + 1)
            for i, v in enumerate(basis[j - 1]):
                nxt[i + 1] += 2 * v
            for i, v in enumerate(basis[j - 2]):
                nxt[i] -= v
            basis.append(nxt)
        power = [mp.mpf(0)] * n
        for j in range(n):
            for i, v in enumerate(basis[j]):
                power[i] += cheb[j] * v
        coefficients = [power[i] / half ** i for i in range(n)]
        constant_hi = float(coefficients[0])
        constant_lo = float(coefficients[0] - constant_hi)
        return (float(center), constant_hi, constant_lo,
                [float(c) for c in coefficients[1:]])


if __name__ == "__main__":
    for name, interval in (("G_NEAR", NEAR), ("G_FAR", FAR)):
        print(name, "=", fit(*interval))
