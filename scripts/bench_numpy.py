"""Benchmark the numpy target against its anchors, measured in the same run.

    python scripts/bench_numpy.py            # all anchors (numba's simulator if installed)
    python scripts/bench_numpy.py --quick    # smaller simulator runs

Anchors: NumPy's hand-written expression (saxpy), numba's CUDA simulator on the
same kernel source (NUMBA_ENABLE_CUDASIM=1, `pip install -e ".[bench]"`), and
simt's own compile/import times in fresh interpreters. Prints ratios; it is a
measurement, not a test.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import textwrap
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

KERNELS = textwrap.dedent('''
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
''')


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def load_kernels(cuda_module):
    namespace = {"cuda": cuda_module}
    exec(compile(KERNELS, "<bench kernels>", "exec"), namespace)
    return namespace


def simt_rates() -> dict[str, float]:
    sys.path.insert(0, ROOT)
    from simt import cuda
    k = load_kernels(cuda)
    saxpy, mandelbrot = cuda.jit(k["saxpy"]), cuda.jit(k["mandelbrot"])
    n = 2 ** 20
    x = np.random.default_rng(0).random(n, dtype=np.float32)
    y = np.ones_like(x)
    out = np.empty_like(x)
    a = np.float32(2.0)
    saxpy[(n + 255) // 256, 256](a, x, y, out)
    assert np.array_equal(out, a * x + y)
    t_saxpy = best_of(lambda: saxpy[(n + 255) // 256, 256](a, x, y, out))
    t_numpy = best_of(lambda: np.add(np.multiply(a, x, out=out), y, out=out), 20)
    counts = np.zeros((512, 512), np.int32)
    mandelbrot[(32, 32), (16, 16)](100, counts)
    t_mandel = best_of(lambda: mandelbrot[(32, 32), (16, 16)](100, counts), 3)
    return {"saxpy_threads_per_s": n / t_saxpy, "numpy_elements_per_s": n / t_numpy,
            "saxpy_s": t_saxpy, "numpy_s": t_numpy,
            "mandel_threads_per_s": counts.size / t_mandel, "mandel_s": t_mandel}


def numba_simulator_rates(quick: bool) -> dict[str, float] | None:
    code = textwrap.dedent(f'''
        import os, time, json
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        import numpy as np
        from numba import cuda
        ns = {{"cuda": cuda}}
        exec(compile({KERNELS!r}, "<bench kernels>", "exec"), ns)
        saxpy, mandelbrot = cuda.jit(ns["saxpy"]), cuda.jit(ns["mandelbrot"])
        n = {1024 if quick else 4096}
        x = np.random.rand(n).astype(np.float32); y = np.ones_like(x); out = np.empty_like(x)
        t = time.perf_counter(); saxpy[n // 256, 256](np.float32(2.0), x, y, out)
        t_saxpy = time.perf_counter() - t
        side = {16 if quick else 32}
        counts = np.zeros((side, side), np.int32)
        t = time.perf_counter(); mandelbrot[(side // 16, side // 16), (16, 16)](100, counts)
        t_mandel = time.perf_counter() - t
        print(json.dumps({{"saxpy": n / t_saxpy, "mandel": counts.size / t_mandel}}))
    ''')
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                timeout=600)
    except subprocess.TimeoutExpired:
        return None
    if result.returncode != 0:
        print("numba's simulator is unavailable (pip install -e \".[bench]\"):",
              result.stderr.strip().splitlines()[-1:] or "")
        return None
    import json
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return {"saxpy_threads_per_s": data["saxpy"], "mandel_threads_per_s": data["mandel"]}


def compile_times() -> dict[str, float]:
    code = textwrap.dedent(f'''
        import time, sys
        sys.path.insert(0, {ROOT!r})
        t0 = time.perf_counter()
        import simt
        t1 = time.perf_counter()
        import numpy as np
        from simt import cuda
        ns = {{"cuda": cuda}}
        exec(compile({KERNELS!r}, "<bench kernels>", "exec"), ns)
        saxpy = cuda.jit(ns["saxpy"]); mandel = cuda.jit(ns["mandelbrot"])
        x = np.zeros(8, np.float32)
        t2 = time.perf_counter(); saxpy.ir(np.float32(1), x, x, x); t3 = time.perf_counter()
        xd = np.zeros(8, np.float64)
        t4 = time.perf_counter(); saxpy.ir(1.0, xd, xd, xd); t5 = time.perf_counter()
        c = np.zeros((4, 4), np.int32)
        t6 = time.perf_counter(); mandel.ir(100, c); t7 = time.perf_counter()
        print(t1 - t0, t3 - t2, t5 - t4, t7 - t6)
    ''')
    runs = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        runs.append([float(v) for v in out.stdout.split()])
    med = [statistics.median(col) for col in zip(*runs)]
    return {"import_s": med[0], "first_trace_s": med[1], "new_signature_s": med[2],
            "mandel_trace_s": med[3]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-simulator", action="store_true")
    args = parser.parse_args()
    ours = simt_rates()
    sim = None if args.no_simulator else numba_simulator_rates(args.quick)
    comp = compile_times()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} cores")
    print(f"{'measure':44s} {'simt':>14s} {'anchor':>14s} {'ratio':>10s}")

    def row(label, value, anchor, unit, higher_is_better=True):
        ratio = (value / anchor if higher_is_better else anchor / value) if anchor else float("nan")
        print(f"{label:44s} {value:14.4g} {anchor if anchor else float('nan'):14.4g} {ratio:9.1f}x  {unit}")

    row("saxpy 2**20: threads/s vs NumPy a*x+y", ours["saxpy_threads_per_s"],
        ours["numpy_elements_per_s"], "(NumPy/simt time: "
        f"{ours['saxpy_s'] / ours['numpy_s']:.1f}x slower)")
    if sim:
        row("saxpy: threads/s vs numba simulator", ours["saxpy_threads_per_s"],
            sim["saxpy_threads_per_s"], "per thread")
        row("mandelbrot 512x512/100: threads/s vs sim", ours["mandel_threads_per_s"],
            sim["mandel_threads_per_s"], "per thread")
    else:
        print(f"mandelbrot 512x512/100: {ours['mandel_threads_per_s']:.4g} threads/s")
    print(f"import simt: {comp['import_s'] * 1e3:.1f} ms (goal <= 150 ms)")
    print(f"first trace+optimize after import (saxpy): {comp['first_trace_s'] * 1e3:.2f} ms (goal <= 20 ms)")
    print(f"new signature (saxpy float64): {comp['new_signature_s'] * 1e3:.2f} ms (goal <= 5 ms)")
    print(f"mandelbrot trace+optimize: {comp['mandel_trace_s'] * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
