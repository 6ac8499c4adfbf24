"""The ``cuda`` target on a GPU: host launch overhead and saxpy bandwidth.

    python scripts/bench_ptx_launch.py [--n 67108864] [--launches 20000]

- Launch overhead: the host time of ``runtime.launch`` for a cached kernel with four
  DeviceArray arguments (asynchronous: the GPU work is a tiny grid), per launch, and
  the same through the dispatcher (``kern[grid, block](...)``), which adds argument
  typing and target selection.
- Bandwidth: saxpy over n float32 (3 arrays touched: 12 bytes per element), as GB/s and
  as a percentage of a device-to-device copy of the same bytes (cuMemcpyDtoDAsync).
Needs a GPU; without one it says why and exits.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import simt  # noqa: E402
import simt.device_arrays as devarrays  # noqa: E402
from simt.backends.ptx import driver_context, runtime  # noqa: E402


@simt.kernel
def saxpy(a, x, y, out):
    i = simt.grid(1)
    if i < x.shape[0]:
        out[i] = a * x[i] + y[i]


def timed(stream, action, repeats: int) -> float:
    """Seconds per call of ``action``, GPU work included (synchronized)."""
    action()
    stream.sync()
    start = time.perf_counter()
    for _ in range(repeats):
        action()
    stream.sync()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1 << 26)
    parser.add_argument("--launches", type=int, default=20000)
    options = parser.parse_args()
    if not runtime.is_available():
        sys.exit(f"no GPU: {runtime.unavailable_reason()}")
    ctx = driver_context.context()
    print(f"# {' '.join(['python', *sys.argv])}\n# device: {ctx.device.name} ({ctx.device_arch})")

    small = [devarrays.to_device(np.ones(256, np.float32)) for _ in range(3)]
    fn = saxpy.ir(np.float32(2), *(np.zeros(256, np.float32),) * 3)
    args = [np.float32(2), *small]
    stream = ctx.stream
    runtime.launch(fn, (1, 1, 1), (256, 1, 1), args)
    stream.sync()
    start = time.perf_counter()
    for _ in range(options.launches):
        runtime.launch(fn, (1, 1, 1), (256, 1, 1), args)
    host = (time.perf_counter() - start) / options.launches
    stream.sync()
    with simt.target("cuda"):
        launcher = saxpy[1, 256]
        start = time.perf_counter()
        for _ in range(options.launches):
            launcher(*args)
        dispatched = (time.perf_counter() - start) / options.launches
    stream.sync()
    print(f"launch overhead, 4 device arrays: runtime.launch {host * 1e6:.2f} us, "
          f"kern[grid, block](...) {dispatched * 1e6:.2f} us")

    n = options.n
    x = devarrays.to_device(np.random.default_rng(0).standard_normal(n).astype(np.float32))
    y = devarrays.to_device(np.ones(n, np.float32))
    out = devarrays.device_array(n, np.float32)
    big = saxpy.ir(np.float32(2), *(np.zeros(4, np.float32),) * 3)
    grid = ((n + 255) // 256, 1, 1)
    seconds = timed(stream, lambda: runtime.launch(big, grid, (256, 1, 1),
                                                   [np.float32(2), x, y, out]), 20)
    nbytes = 12 * n
    copy_source = devarrays.device_array(nbytes // 2, np.uint8)
    copy_target = devarrays.device_array(nbytes // 2, np.uint8)

    def copy():
        (result,) = ctx.driver.cuMemcpyDtoDAsync(copy_target.pointer, copy_source.pointer,
                                                 nbytes // 2, stream.handle)
        driver_context.check(result, "cuMemcpyDtoDAsync")
    copy_seconds = timed(stream, copy, 20)          # reads and writes nbytes in all
    expected = 2 * x.copy_to_host() + 1
    assert np.array_equal(out.copy_to_host(), expected.astype(np.float32))
    print(f"saxpy n={n}: {seconds * 1e3:.3f} ms, {nbytes / seconds / 1e9:.1f} GB/s; "
          f"device copy {nbytes / copy_seconds / 1e9:.1f} GB/s; "
          f"saxpy at {100 * copy_seconds / seconds:.0f}% of the copy rate")


if __name__ == "__main__":
    main()
