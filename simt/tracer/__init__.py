"""The tracer: CPython bytecode of a kernel -> typed SSA IR (``simt.ir``).

``trace(pyfunc, arg_types, weak)`` reads the function's code object (no source
needed), normalizes its bytecode (``bytecode``: the only module that knows
CPython versions), builds the CFG (``cfg``) and interprets it abstractly
(``frontend`` + ``handlers`` + ``calls``) into a typed SSA ``ir.Function``.
Device functions are traced per signature, cached, and inlined (``inline``).
"""
from __future__ import annotations

import threading
from types import FunctionType
from typing import Any, Sequence

import numpy as np

from .. import ir
from ..ir.errors import CompileError, SourceLoc
from .bytecode import exception_ranges, normalize, unsupported_code_flags
from .cfg import build_cfg
from .frontend import MAX_RESTARTS, FunctionTracer, Restart, TraceContext

__all__ = ["trace", "captures_unchanged", "CompileError"]

_device_cache: dict[tuple, list[ir.Function]] = {}
_lock = threading.RLock()


def trace(pyfunc: FunctionType, arg_types: Sequence[ir.Type], weak: Sequence[bool] | None = None,
          *, is_kernel: bool = True, call_stack: tuple = ()) -> ir.Function:
    """Trace ``pyfunc`` for the given argument types into a typed SSA Function.

    ``weak[i]`` marks argument i as a Python scalar (weakly typed under NEP 50).
    The result has ``captures``: the (globals or cell, name, value) triples the
    trace depended on; ``captures_unchanged`` tells whether they still hold.
    """
    code = pyfunc.__code__
    weak = list(weak) if weak is not None else [False] * len(arg_types)
    loc = SourceLoc(code.co_filename, code.co_firstlineno, None, None, None, code.co_name)
    if len(arg_types) != code.co_argcount or code.co_kwonlyargcount:
        raise CompileError(f"'{code.co_name}' takes {code.co_argcount} arguments, "
                           f"{len(arg_types)} given", loc)
    construct = unsupported_code_flags(code)
    if construct:
        raise CompileError(f"{construct} are not supported in kernels", loc)
    instrs = normalize(code)
    ranges = exception_ranges(code)
    if ranges:
        _reject_try(code, instrs, ranges)
    blocks = build_cfg(instrs)
    context = TraceContext()
    stack = call_stack + (code,)
    with _lock:
        for _ in range(MAX_RESTARTS):
            tracer = FunctionTracer(pyfunc, list(arg_types), weak, is_kernel, context, instrs,
                                    blocks, stack)
            try:
                return tracer.run()
            except Restart:
                continue
    raise CompileError("the types of this function's variables did not settle", loc,
                       hint="give loop variables one type before the loop")


def _reject_try(code, instrs, ranges) -> None:
    start = ranges[0][0]
    construct = "try/except/finally"
    for ins in instrs:
        if ins.op == "UNSUPPORTED" and "with" in str(ins.arg):
            construct, start = "'with' statements", ins.offset
            break
    position = next((i.positions for i in instrs if i.offset >= start and i.positions), None)
    line = position.lineno if position and position.lineno else code.co_firstlineno
    col = position.col_offset if position else None
    end = position.end_col_offset if position else None
    loc = SourceLoc(code.co_filename, line, col, end, line, code.co_name)
    raise CompileError(f"{construct} are not supported in kernels", loc,
                       hint="kernels can't raise or catch exceptions; check conditions with if")


def trace_device(pyfunc: FunctionType, arg_types: list[ir.Type], weak: list[bool],
                 call_stack: tuple, call_loc: SourceLoc | None) -> ir.Function:
    """A device function traced for one signature, from the per-signature cache."""
    code = pyfunc.__code__
    if code in call_stack:
        raise CompileError(f"recursion is not supported: '{code.co_name}' calls itself "
                           "(directly or through other device functions)", call_loc,
                           hint="rewrite the recursion as a loop")
    key = (code, tuple(arg_types), tuple(weak), id(pyfunc.__globals__),
           tuple(id(cell) for cell in pyfunc.__closure__ or ()))
    for fn in _device_cache.get(key, ()):
        if captures_unchanged(fn.captures):
            return fn
    fn = trace(pyfunc, arg_types, weak, is_kernel=False, call_stack=call_stack)
    _device_cache.setdefault(key, []).append(fn)
    return fn


def same_value(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (bool, int, float, str, np.generic, tuple, np.dtype)):
        try:
            return bool(a == b) and repr(a) == repr(b)
        except Exception:
            return False
    return False


def captures_unchanged(captures: list[tuple[Any, str | None, Any]]) -> bool:
    """Whether every global/closure value a trace depended on still holds."""
    for container, name, value in captures:
        if name is None:
            try:
                current = container.cell_contents
            except ValueError:
                return False
        else:
            if name not in container:
                return False
            current = container[name]
        if not same_value(current, value):
            return False
    return True
