"""Code quality of simt's PTX against numba-cuda's, for the same kernel sources.

For each kernel: registers per thread (``ptxas -v``, the ptxas of the nvidia-cuda-nvcc
wheel) and the number of SASS instructions that are not NOPs (``nvdisasm`` of the
nvidia-cuda-nvdisasm wheel) in the cubin of each compiler's PTX. No GPU is needed:
numba-cuda's ``cuda.compile_ptx`` runs on NVVM and NVRTC from the wheels
(nvidia-cuda-nvrtc, nvidia-nvvm). If numba-cuda cannot compile here, its column shows
the figures published in the PTX backend issue (numba-cuda 0.30.4, sm_90), marked
"published", never as measurements.

    python scripts/bench_ptx_quality.py [--arch sm_90] [--dump DIR]

``--dump`` keeps each PTX, cubin and SASS listing there for reading.
"""
from __future__ import annotations

import argparse
import math
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import simt  # noqa: E402
from simt import cuda as simt_cuda  # noqa: E402
from simt.backends.ptx import compile_ptx  # noqa: E402
from simt.backends.ptx.assemble import find_ptxas  # noqa: E402

# numba-cuda 0.30.4 at sm_90, from the issue: (registers, non-NOP SASS instructions)
PUBLISHED_NUMBA = {"saxpy": (18, 52), "stencil5": (22, 79), "block_sum": (16, 151),
                   "matmul": (32, 306), "mandelbrot": (18, 80)}

# The kernels, as source text compiled twice: with ``cuda`` bound to numba.cuda and to
# simt.cuda (simt's numba-compatible names).
SOURCES = {
    "saxpy": """
        def saxpy(a, x, y, out):
            i = cuda.grid(1)
            if i < x.shape[0]:
                out[i] = a * x[i] + y[i]
    """,
    "stencil5": """
        def stencil5(x, out):
            i, j = cuda.grid(2)
            if 0 < i < x.shape[0] - 1 and 0 < j < x.shape[1] - 1:
                out[i, j] = (x[i - 1, j] + x[i + 1, j] + x[i, j - 1] + x[i, j + 1]
                             - 4 * x[i, j])
    """,
    "block_sum": """
        def block_sum(x, out):
            tile = cuda.shared.array(256, float32)
            t = cuda.threadIdx.x
            i = cuda.grid(1)
            tile[t] = x[i] if i < x.shape[0] else 0
            cuda.syncthreads()
            step = 128
            while step > 0:
                if t < step:
                    tile[t] += tile[t + step]
                cuda.syncthreads()
                step //= 2
            if t == 0:
                out[cuda.blockIdx.x] = tile[0]
    """,
    "matmul": """
        def matmul(a, b, c):
            i, j = cuda.grid(2)
            if i < c.shape[0] and j < c.shape[1]:
                acc = float32(0)
                for k in range(a.shape[1]):
                    acc += a[i, k] * b[k, j]
                c[i, j] = acc
    """,
    "mandelbrot": """
        def mandelbrot(out, max_iter):
            x, y = cuda.grid(2)
            if x < out.shape[1] and y < out.shape[0]:
                cr = -2.0 + 3.0 * x / out.shape[1]
                ci = -1.5 + 3.0 * y / out.shape[0]
                zr = 0.0
                zi = 0.0
                n = 0
                while n < max_iter and zr * zr + zi * zi < 4.0:
                    zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                    n += 1
                out[y, x] = n
    """,
}
F32_1D, F32_2D, I32_2D = np.zeros(4, np.float32), np.zeros((4, 4), np.float32), np.zeros((4, 4), np.int32)
ARGUMENTS = {          # example arguments: simt compiles for their types
    "saxpy": (np.float32(2), F32_1D, F32_1D, F32_1D),
    "stencil5": (F32_2D, F32_2D),
    "block_sum": (F32_1D, F32_1D),
    "matmul": (F32_2D, F32_2D, F32_2D),
    "mandelbrot": (I32_2D, np.int32(100)),
}
NEEDS_SHARED_MEMORY: set[str] = set()


def define(name: str, cuda_module, float32) -> object:
    namespace = {"cuda": cuda_module, "float32": float32, "math": math}
    exec(compile(textwrap.dedent(SOURCES[name]), f"<{name}>", "exec"), namespace)
    return namespace[name]


def simt_ptx(name: str, arch: str) -> str:
    kernel = simt.kernel(define(name, simt_cuda, np.float32))
    return compile_ptx(kernel.ir(*ARGUMENTS[name]), arch)


def numba_ptx(name: str, arch: str) -> str:
    from numba import cuda, float32, int32, typeof

    signature = tuple(typeof(a) if isinstance(a, np.ndarray) else
                      {np.float32: float32, np.int32: int32}[type(a)] for a in ARGUMENTS[name])
    major, minor = int(arch[3:-1]), int(arch[-1])
    ptx, _ = cuda.compile_ptx(define(name, cuda, float32), signature, cc=(major, minor))
    return ptx


def nvdisasm() -> str | None:
    ptxas = find_ptxas()
    try:
        import nvidia
        roots = [Path(p) for p in nvidia.__path__]
    except ImportError:
        roots = []
    for root in roots:
        for candidate in sorted(root.glob("*/bin/nvdisasm")):
            return str(candidate)
    if ptxas and Path(ptxas).with_name("nvdisasm").exists():
        return str(Path(ptxas).with_name("nvdisasm"))
    return None


SASS_LINE = re.compile(r"/\*[0-9a-f]{4,}\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)")


def measure(ptx: str, arch: str, label: str, dump: Path | None) -> tuple[int, int]:
    """(registers, non-NOP SASS instructions) of the cubin ptxas makes of ``ptx``."""
    with tempfile.TemporaryDirectory() as tmp:
        source, cubin = Path(tmp, "k.ptx"), Path(tmp, "k.cubin")
        source.write_text(ptx)
        done = subprocess.run([find_ptxas(), f"-arch={arch}", "-v", str(source), "-o", str(cubin)],
                              capture_output=True, text=True, check=True)
        registers = int(re.search(r"Used (\d+) registers", done.stdout + done.stderr).group(1))
        sass = subprocess.run([nvdisasm(), "-c", str(cubin)], capture_output=True, text=True,
                              check=True).stdout
        opcodes = [m.group(1) for m in SASS_LINE.finditer(sass)]
        if dump is not None:
            dump.mkdir(parents=True, exist_ok=True)
            (dump / f"{label}.ptx").write_text(ptx)
            (dump / f"{label}.sass").write_text(sass)
        return registers, sum(1 for op in opcodes if not op.startswith("NOP"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="sm_90")
    parser.add_argument("--dump", type=Path, default=None)
    options = parser.parse_args()
    if find_ptxas() is None or nvdisasm() is None:
        sys.exit("needs ptxas (pip install nvidia-cuda-nvcc) and nvdisasm "
                 "(pip install nvidia-cuda-nvdisasm)")
    command = " ".join(["python", *sys.argv])
    print(f"# {command}\n# registers: {find_ptxas()} -arch={options.arch} -v; "
          f"SASS: {nvdisasm()} -c (NOPs not counted)")
    numba_error = None
    rows = []
    for name in SOURCES:
        if name in NEEDS_SHARED_MEMORY:
            ours = "skipped: simt has no shared memory yet"
        else:
            ours = measure(simt_ptx(name, options.arch), options.arch, f"{name}.simt", options.dump)
        theirs, source = None, "measured"
        if numba_error is None:
            try:
                theirs = measure(numba_ptx(name, options.arch), options.arch, f"{name}.numba",
                                 options.dump)
            except Exception as exc:        # no NVRTC/NVVM here: fall back to published figures
                numba_error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        if theirs is None:
            theirs, source = PUBLISHED_NUMBA[name], "published (issue), not measured"
        rows.append((name, ours, theirs, source))
    if numba_error:
        print(f"# numba-cuda could not compile here ({numba_error})")
    try:
        from importlib.metadata import version
        numba_version = version("numba-cuda")
    except Exception:
        numba_version = "?"
    print(f"\n{'kernel':<12} {'simt regs':>9} {'simt SASS':>9} {'numba regs':>10} "
          f"{'numba SASS':>10}  numba-cuda {numba_version} figures")
    for name, ours, theirs, source in rows:
        if isinstance(ours, str):
            left = f"{'-':>9} {'-':>9}"
        else:
            left = f"{ours[0]:>9} {ours[1]:>9}"
        verdict = "" if isinstance(ours, str) else \
            ("  simt fewer/equal SASS" if ours[1] <= theirs[1] else "  simt MORE SASS")
        note = f"  ({ours})" if isinstance(ours, str) else ""
        print(f"{name:<12} {left} {theirs[0]:>10} {theirs[1]:>10}  {source}{verdict}{note}")


if __name__ == "__main__":
    main()
