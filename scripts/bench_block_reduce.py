"""Benchmark a shared-memory block reduction on the numpy target against numba's CUDA
simulator running the same kernel source.

    python scripts/bench_block_reduce.py            # 2**20 elements; simulator on 4096
    python scripts/bench_block_reduce.py --quick    # simulator on 1024 elements

The kernel: 256 threads per block load one element each into shared memory, then
halve the active threads 8 times with a syncthreads() after each step (9 barriers
per block), and thread 0 writes the block's partial sum and adds it to a total with
one atomic. numba's simulator runs every thread as a Python thread, so it is
measured on a smaller input; the figure compared is threads per second. It is a
measurement, not a test (the goal in issue 3: >= 10,000x per thread).
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

KERNEL = textwrap.dedent('''
    TPB = 256

    def block_reduce(x, partial, total):
        s = cuda.shared.array(TPB, np.float32)
        t = cuda.threadIdx.x
        i = cuda.grid(1)
        s[t] = x[i] if i < x.shape[0] else 0
        cuda.syncthreads()
        stride = TPB // 2
        while stride > 0:
            if t < stride:
                s[t] += s[t + stride]
            cuda.syncthreads()
            stride //= 2
        if t == 0:
            partial[cuda.blockIdx.x] = s[0]
            cuda.atomic.add(total, 0, s[0])
''')
TPB = 256


def load_kernel(cuda_module):
    namespace = {"cuda": cuda_module, "np": np}
    exec(compile(KERNEL, "<bench kernel>", "exec"), namespace)
    return cuda_module.jit(namespace["block_reduce"])


def expected_partials(x: np.ndarray) -> np.ndarray:
    s = x.reshape(-1, TPB).copy()
    stride = TPB // 2
    while stride > 0:
        s[:, :stride] = s[:, :stride] + s[:, stride:2 * stride]
        stride //= 2
    return s[:, 0]


def simt_rate(n: int, repeat: int) -> dict[str, float]:
    sys.path.insert(0, ROOT)
    import simt
    from simt import cuda
    kernel = load_kernel(cuda)
    x = np.random.default_rng(0).random(n, dtype=np.float32)
    partial = np.zeros(n // TPB, np.float32)
    total = np.zeros(1, np.float32)
    with simt.target("numpy"):
        start = time.perf_counter()
        kernel[n // TPB, TPB](x, partial, total)          # includes tracing
        first = time.perf_counter() - start
        assert np.array_equal(partial, expected_partials(x))
        times = []
        for _ in range(repeat):
            total[:] = 0
            start = time.perf_counter()
            kernel[n // TPB, TPB](x, partial, total)
            times.append(time.perf_counter() - start)
    best = min(times)
    return {"threads_per_s": n / best, "seconds": best, "first_call_s": first,
            "total": float(total[0]), "numpy_sum": float(x.sum(dtype=np.float64))}


def simulator_rate(n: int) -> dict[str, float] | None:
    code = textwrap.dedent(f'''
        import os, time, json
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        import numpy as np
        from numba import cuda
        ns = {{"cuda": cuda, "np": np}}
        exec(compile({KERNEL!r}, "<bench kernel>", "exec"), ns)
        kernel = cuda.jit(ns["block_reduce"])
        n = {n}
        x = np.random.default_rng(0).random(n, dtype=np.float32)
        partial = np.zeros(n // {TPB}, np.float32)
        total = np.zeros(1, np.float32)
        start = time.perf_counter()
        kernel[n // {TPB}, {TPB}](x, partial, total)
        seconds = time.perf_counter() - start
        print(json.dumps({{"seconds": seconds, "partial": partial.tolist()}}))
    ''')
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                timeout=900)
    except subprocess.TimeoutExpired:
        print("numba's simulator timed out")
        return None
    if result.returncode != 0:
        print("numba's simulator is unavailable (pip install numba numba-cuda):",
              result.stderr.strip().splitlines()[-1:] or "")
        return None
    data = json.loads(result.stdout.strip().splitlines()[-1])
    x = np.random.default_rng(0).random(n, dtype=np.float32)
    agrees = np.array_equal(np.asarray(data["partial"], np.float32), expected_partials(x))
    return {"threads_per_s": n / data["seconds"], "seconds": data["seconds"], "agrees": agrees}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="simulator on 1024 elements")
    parser.add_argument("--no-simulator", action="store_true")
    parser.add_argument("--size", type=int, default=2 ** 20, help="elements on the numpy target")
    args = parser.parse_args()
    n = args.size - args.size % TPB
    ours = simt_rate(n, repeat=5)
    sim = None if args.no_simulator else simulator_rate(1024 if args.quick else 4096)
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} cores")
    print(f"numpy target: {n} elements, {n // TPB} blocks of {TPB}, 9 barriers per block: "
          f"{ours['seconds'] * 1e3:.1f} ms, {ours['threads_per_s']:.4g} threads/s "
          f"(first call with tracing: {ours['first_call_s'] * 1e3:.1f} ms)")
    print(f"  total {ours['total']:.7g} (float64 NumPy sum {ours['numpy_sum']:.7g})")
    if sim:
        print(f"numba simulator: {sim['seconds']:.2f} s, {sim['threads_per_s']:.4g} threads/s, "
              f"partial sums {'agree' if sim['agrees'] else 'DIFFER'} bit for bit")
        print(f"ratio per thread: {ours['threads_per_s'] / sim['threads_per_s']:,.0f}x "
              "(goal >= 10,000x)")


if __name__ == "__main__":
    main()
