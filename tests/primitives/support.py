"""Helpers for the primitive tests: launching with a chosen batch size, and comparing
floats bit for bit (NaN equal to NaN, +0.0 different from -0.0)."""
from __future__ import annotations

from typing import Any

import numpy as np

from simt.backends import numpy as numpy_backend
from simt.dispatcher import Dispatcher, launch_value, normalize_dims


def launch(kernel: Dispatcher, grid: Any, block: Any, *args: Any, shared_bytes: int = 0,
           max_threads_per_batch: int | None = None) -> None:
    """``kernel[grid, block, 0, shared_bytes](*args)`` on the numpy target, with batches of
    at most ``max_threads_per_batch`` threads (whole blocks) when given."""
    if max_threads_per_batch is None:
        kernel[grid, block, 0, shared_bytes](*args)
        return
    specs = kernel.specs(args)
    function = kernel.compile(specs)
    values = [launch_value(v, s) for v, s in zip(args, specs)]
    numpy_backend.launch(function, normalize_dims(grid, "grid"), normalize_dims(block, "block"),
                         values, shared_bytes=shared_bytes,
                         max_threads_per_batch=max_threads_per_batch)


def same_bits(a: Any, b: Any) -> bool:
    """Equal arrays: floats bit for bit except that any NaN equals any NaN."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind != "f":
        return bool(np.array_equal(a, b))
    both_nan = np.isnan(a) & np.isnan(b)
    unsigned = np.dtype(f"u{a.dtype.itemsize}")
    return bool(np.all(both_nan | (a.view(unsigned) == b.view(unsigned))))
