"""Ad-hoc timing of the numpy target on hand-built kernels (not a test).

    python3 scripts/bench_numpy_backend_adhoc.py

Prints saxpy over 2**20 threads against NumPy's ``a*x + y``, and a 512x512
Mandelbrot with 100 iterations (a divergent while loop) against a hand-written
NumPy version that also compacts the active pixels.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "backend"))

from simt.backends.numpy import launch  # noqa: E402
from simt.ir.types import float32  # noqa: E402
from test_numpy_support import mandelbrot_kernel, saxpy_kernel  # noqa: E402


def best_of(function, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_saxpy() -> None:
    n = 1 << 20
    rng = np.random.default_rng(0)
    x, y = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
    out = np.zeros(n, np.float32)
    a = np.float32(2.5)
    kernel = saxpy_kernel(float32)
    ours = best_of(lambda: launch(kernel, (n // 256, 1, 1), (256, 1, 1), [a, x, y, out]))
    assert np.array_equal(out, a * x + y)
    reference = best_of(lambda: a * x + y)
    print(f"saxpy 2**20: numpy target {ours * 1e3:.2f} ms, numpy a*x+y {reference * 1e3:.2f} ms, "
          f"ratio {ours / reference:.1f}x")


def mandelbrot_numpy(height: int, width: int, x0, y0, step, max_iterations: int) -> np.ndarray:
    rows, cols = np.divmod(np.arange(height * width, dtype=np.int32), np.int32(width))
    cr = x0 + cols.astype(np.float32) * step
    ci = y0 + rows.astype(np.float32) * step
    counts = np.zeros(height * width, np.int32)
    active = np.arange(height * width)
    zr = np.zeros(len(active), np.float32)
    zi = np.zeros(len(active), np.float32)
    for i in range(max_iterations):
        keep = zr * zr + zi * zi < np.float32(4)
        active, zr, zi = active[keep], zr[keep], zi[keep]
        counts[active] = i + 1
        c_r, c_i = cr[active], ci[active]
        zr, zi = zr * zr - zi * zi + c_r, np.float32(2) * zr * zi + c_i
    return counts.reshape(height, width)


def bench_mandelbrot() -> None:
    size, iterations = 512, 100
    x0, y0, step = np.float32(-2.0), np.float32(-1.5), np.float32(3.0 / size)
    counts = np.zeros((size, size), np.int32)
    kernel = mandelbrot_kernel(iterations)
    ours = best_of(lambda: launch(kernel, (size * size // 256, 1, 1), (256, 1, 1), [counts, x0, y0, step]),
                   repeat=3)
    reference = best_of(lambda: mandelbrot_numpy(size, size, x0, y0, step, iterations), repeat=3)
    print(f"mandelbrot 512x512/100: numpy target {ours * 1e3:.1f} ms, hand-written numpy "
          f"{reference * 1e3:.1f} ms, ratio {ours / reference:.1f}x; mean iterations {counts.mean():.1f}")


if __name__ == "__main__":
    bench_saxpy()
    bench_mandelbrot()
