"""Benchmark the ptx-emu target (the emitted PTX run on the CPU) against numba's
CUDA simulator on the same kernel source and against the numpy target.

    python scripts/bench_ptx_emu.py [--quick] [--repeat N]

numba's simulator (NUMBA_ENABLE_CUDASIM=1, from `pip install -e ".[bench]"`) runs on
a smaller grid in a subprocess; rates are threads per second, ratios per thread.
Every target runs each kernel once to warm up (compilation, caches), then
``--repeat`` times; the best run counts, which keeps the figures steady on a
shared machine.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KERNELS = textwrap.dedent('''
    import numpy as np
    TPB = 256

    def saxpy(a, x, y, out):
        i = cuda.grid(1)
        if i < x.shape[0]:
            out[i] = a * x[i] + y[i]

    def mandelbrot(max_iter, out):
        col, row = cuda.grid(2)
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

    def block_sum(x, out):
        buf = cuda.shared.array(TPB, np.float32)
        t = cuda.threadIdx.x
        i = cuda.grid(1)
        buf[t] = x[i] if i < x.shape[0] else np.float32(0)
        cuda.syncthreads()
        s = TPB // 2
        while s > 0:
            if t < s:
                buf[t] += buf[t + s]
            cuda.syncthreads()
            s //= 2
        if t == 0:
            cuda.atomic.add(out, 0, buf[0])
''')


def workloads(cuda, scale: float):
    ns = {"cuda": cuda}
    exec(compile(KERNELS, "<bench kernels>", "exec"), ns)
    jit = cuda.jit
    n = max(256, int(2 ** 20 * scale)) // 256 * 256
    side = max(16, int(512 * scale ** 0.5)) // 16 * 16
    rng = np.random.default_rng(0)
    x = rng.random(n, dtype=np.float32)
    saxpy, mandel, block_sum = jit(ns["saxpy"]), jit(ns["mandelbrot"]), jit(ns["block_sum"])
    out = np.empty_like(x)
    counts = np.zeros((side, side), np.int32)
    total = np.zeros(1, np.float32)
    return {
        "saxpy": (n, lambda: saxpy[n // 256, 256](np.float32(2.0), x, x, out)),
        "mandelbrot": (side * side, lambda: mandel[(side // 16, side // 16), (16, 16)](100, counts)),
        "block_sum": (n, lambda: block_sum[n // 256, 256](x, total)),
    }


def best_rate(threads: int, run, repeat: int) -> float:
    """Threads per second of the fastest of ``repeat`` runs (after one warm-up run)."""
    run()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return threads / best


def rates(target: str, scale: float, repeat: int) -> dict[str, float]:
    sys.path.insert(0, ROOT)
    import simt
    from simt import cuda
    out = {}
    with simt.target(target):
        for name, (threads, run) in workloads(cuda, scale).items():
            try:
                out[name] = best_rate(threads, run, repeat)
            except Exception as exc:                     # report, keep measuring the rest
                print(f"{target} {name}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return out


def simulator_rates(scale: float, repeat: int) -> dict[str, float] | None:
    code = textwrap.dedent(f'''
        import os, sys, json
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        sys.path.insert(0, {ROOT!r})
        from numba import cuda
        from scripts.bench_ptx_emu import best_rate, workloads
        result = {{name: best_rate(threads, run, {repeat})
                  for name, (threads, run) in workloads(cuda, {scale}).items()}}
        print(json.dumps(result))
    ''')
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        print("numba's simulator is unavailable (pip install -e \".[bench]\")")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per kernel (best counts)")
    args = parser.parse_args()
    emu = rates("ptx-emu", 1.0 if not args.quick else 0.25, args.repeat)
    ref = rates("numpy", 1.0 if not args.quick else 0.25, args.repeat)
    sim = simulator_rates(1 / 512 if not args.quick else 1 / 1024, args.repeat)
    print(f"{'kernel':12s} {'ptx-emu thr/s':>14s} {'numpy thr/s':>12s} {'simulator':>11s} "
          f"{'emu/sim':>9s} {'emu/numpy':>9s}")
    for name in ("saxpy", "mandelbrot", "block_sum"):
        e, r = emu.get(name, float("nan")), ref.get(name, float("nan"))
        s = sim.get(name, float("nan")) if sim else float("nan")
        print(f"{name:12s} {e:14.4g} {r:12.4g} {s:11.4g} {e / s:8.0f}x {e / r:9.3f}")


if __name__ == "__main__":
    main()
