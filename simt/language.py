"""The kernel language's built-in names, as marker objects.

``simt.threadIdx``, ``simt.grid`` and friends are defined here once. Inside a
kernel the tracer recognises them by identity and turns them into IR; the CPython
oracle (``simt.testing``) swaps them for per-thread values. Touching them in plain
Python code outside a kernel raises a clear error. This module imports nothing
else of simt, so every part may use it.
"""
from __future__ import annotations


class NotInKernelError(RuntimeError):
    pass


class Intrinsic:
    """A kernel-language function (``simt.grid``, ...) callable only inside kernels."""

    def __init__(self, name: str, doc: str = ""):
        self.name = name
        self.__name__ = name
        self.__qualname__ = name
        self.__doc__ = doc

    def __call__(self, *args, **kwargs):
        raise NotInKernelError(
            f"simt.{self.name}() can only be used inside a @simt.kernel or @simt.device "
            "function; launch the kernel as kern[grid, block](...)")

    def __repr__(self) -> str:
        return f"<simt intrinsic {self.name}>"

    def __reduce__(self):
        return self.name


class Dim3:
    """``threadIdx``/``blockIdx``/``blockDim``/``gridDim``: ``.x``, ``.y``, ``.z`` in kernels."""

    def __init__(self, name: str):
        self.name = name

    def __getattr__(self, attr: str):
        if attr in ("x", "y", "z"):
            raise NotInKernelError(
                f"simt.{self.name}.{attr} only has a value inside a kernel; launch the kernel "
                "as kern[grid, block](...)")
        raise AttributeError(attr)

    def __repr__(self) -> str:
        return f"<simt {self.name}>"

    def __reduce__(self):
        return self.name


class SpecialValue:
    """A per-thread value such as ``laneid`` that only exists inside kernels."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<simt {self.name}>"

    def __reduce__(self):
        return self.name


threadIdx = Dim3("threadIdx")
blockIdx = Dim3("blockIdx")
blockDim = Dim3("blockDim")
gridDim = Dim3("gridDim")
laneid = SpecialValue("laneid")
warpsize = 32

grid = Intrinsic("grid", "grid(ndim): the absolute thread position (an int or a tuple of ndim ints).")
gridsize = Intrinsic("gridsize", "gridsize(ndim): the total number of threads in the grid per axis.")
fma = Intrinsic("fma", "fma(a, b, c): a * b + c rounded once.")

DIM3 = {"threadIdx": threadIdx, "blockIdx": blockIdx, "blockDim": blockDim, "gridDim": gridDim}
INTRINSICS = {i.name: i for i in (grid, gridsize, fma)}
