"""``simt demo``: trace a few example kernels, show their IR, run them on the
numpy target and check the results against NumPy."""
from __future__ import annotations

import math
import time

import numpy as np

import simt


@simt.kernel
def saxpy(a, x, y, out):
    i = simt.grid(1)
    if i < x.shape[0]:
        out[i] = a * x[i] + y[i]


@simt.kernel
def mandelbrot(max_iter, out):
    col, row = simt.grid(2)
    if row < out.shape[0] and col < out.shape[1]:
        c_re = -2.0 + 3.0 * col / out.shape[1]
        c_im = -1.5 + 3.0 * row / out.shape[0]
        z_re = 0.0
        z_im = 0.0
        n = 0
        while n < max_iter and z_re * z_re + z_im * z_im <= 4.0:
            z_re, z_im = z_re * z_re - z_im * z_im + c_re, 2.0 * z_re * z_im + c_im
            n += 1
        out[row, col] = n


@simt.device
def smoothstep(edge0, edge1, x):
    t = min(max((x - edge0) / (edge1 - edge0), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


@simt.kernel
def shade(x, out):
    i = simt.grid(1)
    if i < x.size:
        out[i] = smoothstep(np.float32(-1.0), np.float32(1.0), math.sin(x[i]))


def mandelbrot_numpy(max_iter: int, shape: tuple[int, int]) -> np.ndarray:
    rows, cols = shape
    c = (-2.0 + 3.0 * np.arange(cols) / cols)[None, :] + 1j * (-1.5 + 3.0 * np.arange(rows) / rows)[:, None]
    z = np.zeros_like(c)
    counts = np.zeros(shape, np.int32)
    for _ in range(max_iter):
        active = (z.real * z.real + z.imag * z.imag <= 4.0) & (counts < max_iter)
        z_re = np.where(active, z.real * z.real - z.imag * z.imag + c.real, z.real)
        z_im = np.where(active, 2.0 * z.real * z.imag + c.imag, z.imag)
        z = z_re + 1j * z_im
        counts += active
    return counts


def run(show=print) -> bool:
    """Run the demo; returns True when every result matched NumPy."""
    ok = True
    rng = np.random.default_rng(0)

    x = rng.random(10_000, dtype=np.float32)
    y = np.ones_like(x)
    out = np.empty_like(x)
    a = np.float32(2.0)
    show("== saxpy: out[i] = a * x[i] + y[i]\n")
    show(str(saxpy.ir(a, x, y, out)))
    start = time.perf_counter()
    saxpy[(x.size + 255) // 256, 256](a, x, y, out)
    elapsed = time.perf_counter() - start
    good = np.array_equal(out, a * x + y)
    ok &= good
    show(f"\nran {x.size} threads on the numpy target in {elapsed * 1e3:.1f} ms: "
         f"{'matches NumPy' if good else 'MISMATCH'}\n")

    counts = np.zeros((64, 96), np.int32)
    show("== mandelbrot: a divergent while loop per pixel\n")
    show(str(mandelbrot.ir(50, counts)))
    start = time.perf_counter()
    mandelbrot[(counts.shape[1] // 16, counts.shape[0] // 16), (16, 16)](50, counts)
    elapsed = time.perf_counter() - start
    good = np.array_equal(counts, mandelbrot_numpy(50, counts.shape))
    ok &= good
    show(f"\nran {counts.size} threads in {elapsed * 1e3:.1f} ms: "
         f"{'matches NumPy' if good else 'MISMATCH'}\n")
    chars = " .:-=+*#%@"
    for row in counts[::8, ::2]:
        show("    " + "".join(chars[min(len(chars) - 1, int(v) * len(chars) // 51)] for v in row))

    x = np.linspace(-4, 4, 1000, dtype=np.float32)
    out = np.empty_like(x)
    show("\n== shade: a device function, inlined\n")
    show(str(shade.ir(x, out)))
    shade[4, 256](x, out)
    t = np.clip((np.sin(x) - np.float32(-1.0)) / np.float32(2.0), 0.0, 1.0).astype(np.float32)
    expected = t * t * (np.float32(3.0) - np.float32(2.0) * t)
    good = np.allclose(out, expected, rtol=1e-6, atol=1e-6)
    ok &= good
    show(f"\n{'matches NumPy' if good else 'MISMATCH'}\n")
    show("all results match NumPy" if ok else "SOME RESULTS DIFFER")
    return ok
