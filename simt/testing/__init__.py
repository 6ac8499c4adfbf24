"""Test helpers for simt kernels.

- ``run_python`` is the CPython oracle: it runs a kernel's original Python function
  once per thread with NumPy scalar values, which is the reference meaning every
  target must reproduce (see docs/internals.md).
- ``assert_agree(kernel, grid, block, *arg_strategies)`` checks, in a user's test
  suite, that every available target agrees with the oracle on hypothesis-drawn
  inputs (``agree.py``).
- ``kernels()`` is a hypothesis strategy of random, well-typed kernels without
  undefined behaviour (``generator.py``); ``simt.testing.fuzz`` runs them
  everywhere and compares. See docs/testing.md.

Hypothesis is imported only when ``assert_agree`` or ``kernels`` is used.
"""
from .oracle import run_python

__all__ = ["assert_agree", "kernels", "run_python"]


def __getattr__(name: str):
    if name == "assert_agree":
        from .agree import assert_agree
        return assert_agree
    if name == "kernels":
        from .generator import kernels
        return kernels
    raise AttributeError(f"module 'simt.testing' has no attribute {name!r}")
