"""Test helpers for simt kernels.

``run_python`` is the CPython oracle: it runs a kernel's original Python function
once per thread with NumPy scalar values, which is the reference meaning every
target must reproduce (see docs/internals.md).
"""
from .oracle import run_python

__all__ = ["run_python"]
