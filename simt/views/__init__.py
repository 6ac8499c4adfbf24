"""Views of kernels for people: IR beside the Python source, the CFG, the PTX, and
the reports of ``simt run`` and ``simt check``.

Every view has a plain deterministic ``str()`` (golden files, pipes, NO_COLOR) and
a ``__rich_console__`` for terminals; rich is imported only when rendering.
"""
from __future__ import annotations

from typing import Any, Sequence

from .cfg import CfgView
from .kernel import KernelView
from .ptx import DEFAULT_ARCH, PtxUnavailable, PtxView

__all__ = ["CfgView", "KernelView", "PtxUnavailable", "PtxView", "inspect_kernel"]


def inspect_kernel(dispatcher, args: Sequence[Any] = (), *, sig: str | None = None,
                   ptx: bool = False, arch: str = DEFAULT_ARCH, cfg: bool | None = None) -> KernelView:
    """The view behind ``kern.inspect(*args)`` / ``kern.inspect(sig="float32, float32[:]")``."""
    from .source import SourceIndex, python_functions

    if sig is not None:
        if args:
            raise TypeError("inspect() takes either launch arguments or sig=..., not both")
        from ..signature import check_arity, parse_signature

        params = parse_signature(sig)
        code = dispatcher.py_func.__code__
        check_arity(params, dispatcher.__name__, code.co_varnames[:code.co_argcount])
        specs = tuple(p.spec for p in params)
    else:
        specs = dispatcher.specs(args)
    function = dispatcher.compile(specs)
    ptx_view = None
    if ptx:
        ptx_view = PtxView.of(function, arch, SourceIndex(python_functions(dispatcher.py_func)))
    return KernelView(function, dispatcher.py_func, cfg=cfg, ptx=ptx_view)
