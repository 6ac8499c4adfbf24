"""The decorator's dispatcher: ``kern[grid, block](*args)``.

Reads the argument types of a launch, traces the function once per signature
(and again when a captured global or closure value changes), optimizes the IR,
and hands it to the chosen target. Everything here is the public face: it wires
the tracer, the IR passes and the backends together.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from types import FunctionType
from typing import Any, Sequence

import numpy as np

from . import ir
from .backends import numpy as numpy_target
from .ir import types as T
from .ir.errors import LaunchError, SimtError
from .targets import current_target, launch
from .ir.passes import optimize
from .tracer import captures_unchanged, trace

# ------------------------------------------------------------------ argument types
@dataclass(frozen=True)
class ArgSpec:
    type: ir.Type
    weak: bool


def arg_spec(value: Any, name: str) -> ArgSpec:
    if isinstance(value, np.ndarray):
        try:
            dtype = T.scalar_type(value.dtype)
        except TypeError:
            raise LaunchError(f"argument '{name}': arrays of dtype {value.dtype} are not supported "
                              "(use bool, int8-64, uint8-64, float16, float32 or float64)") from None
        if not 1 <= value.ndim <= 3:
            raise LaunchError(f"argument '{name}': arrays must have 1 to 3 dimensions, "
                              f"got {value.ndim}")
        if not value.flags.c_contiguous:
            raise LaunchError(f"argument '{name}': the array is not C-contiguous",
                              ) from None
        return ArgSpec(ir.ArrayType(dtype, value.ndim), False)
    if isinstance(value, bool):
        return ArgSpec(T.bool_, True)
    if isinstance(value, int):
        if not -2**63 <= value < 2**63:
            raise LaunchError(f"argument '{name}': the integer {value} does not fit in 64 bits")
        return ArgSpec(T.int64, True)
    if isinstance(value, float):
        return ArgSpec(T.float64, True)
    if isinstance(value, np.generic):
        try:
            return ArgSpec(T.scalar_type(value.dtype), False)
        except TypeError:
            pass
    from .device_arrays import device_array_signature
    found = device_array_signature(value)
    if found is not None:
        return ArgSpec(ir.ArrayType(T.scalar_type(found[0]), found[1]), False)
    raise LaunchError(f"argument '{name}': unsupported type {type(value).__name__}; kernels take "
                      "NumPy arrays and scalars (bool, int, float, NumPy scalars)")


def launch_value(value: Any, spec: ArgSpec) -> Any:
    """The value a backend receives: arrays as they are, scalars as NumPy scalars."""
    if isinstance(spec.type, ir.ArrayType):
        return value
    return spec.type.dtype.type(value)


def normalize_dims(value: Any, what: str) -> tuple[int, int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        dims = (int(value),)
    elif isinstance(value, (tuple, list)) and 1 <= len(value) <= 3 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        dims = tuple(int(v) for v in value)
    else:
        raise LaunchError(f"the {what} must be an int or a tuple of 1 to 3 ints, got {value!r}")
    if any(d < 1 for d in dims):
        raise LaunchError(f"the {what} dimensions must be positive, got {value!r}")
    return dims + (1,) * (3 - len(dims))


MAX_BLOCK_THREADS = 1024


# ------------------------------------------------------------------ compilation
def compile_ir(pyfunc: FunctionType, specs: Sequence[ArgSpec],
               fastmath: bool = False) -> ir.Function:
    fn = trace(pyfunc, [s.type for s in specs], [s.weak for s in specs])
    captures = fn.captures
    fn = optimize(fn, evaluate=numpy_target.evaluate_constant)
    fn.captures = captures
    fn.fastmath = fastmath
    return fn


# The options of @simt.kernel and @cuda.jit (docs/internals.md, "Kernel options").
KERNEL_OPTIONS = ("device", "fastmath")


def check_options(options: dict[str, Any], decorator: str) -> None:
    """Reject options simt does not know, and option values of the wrong kind."""
    for name, value in options.items():
        if name not in KERNEL_OPTIONS:
            raise TypeError(f"{decorator}: unknown option '{name}'; the options are "
                            f"{' and '.join(KERNEL_OPTIONS)}")
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{decorator}: the option '{name}' must be True or False, "
                            f"got {value!r}")


class Dispatcher:
    """What ``@simt.kernel`` and ``@simt.device`` return."""

    def __init__(self, pyfunc: FunctionType, *, device: bool = False, fastmath: bool = False):
        if not isinstance(pyfunc, FunctionType):
            raise TypeError(f"@simt.kernel needs a Python function, got {pyfunc!r}")
        if device and fastmath:
            raise TypeError(f"'{pyfunc.__name__}': fastmath is a kernel option; a device "
                            "function is inlined into the kernels that call it and follows "
                            "their fastmath setting")
        self.__simt_function__ = pyfunc
        self.py_func = pyfunc
        self.is_device = bool(device)
        self.fastmath = bool(fastmath)
        self.__name__ = pyfunc.__name__
        self.__qualname__ = pyfunc.__qualname__
        self.__doc__ = pyfunc.__doc__
        self.__module__ = pyfunc.__module__
        self.__wrapped__ = pyfunc
        self._cache: dict[tuple[ArgSpec, ...], list[ir.Function]] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        kind = "device function" if self.is_device else "kernel"
        return f"<simt {kind} {self.__qualname__}>"

    # -------------------------------------------------------------- signatures
    def specs(self, args: Sequence[Any]) -> tuple[ArgSpec, ...]:
        code = self.py_func.__code__
        names = code.co_varnames[:code.co_argcount]
        if len(args) != len(names):
            raise LaunchError(f"{self.__name__}() takes {len(names)} arguments "
                              f"({', '.join(names)}), {len(args)} given")
        return tuple(arg_spec(v, n) for v, n in zip(args, names))

    def compile(self, specs: tuple[ArgSpec, ...]) -> ir.Function:
        with self._lock:
            versions = self._cache.setdefault(specs, [])
            for fn in versions:
                if captures_unchanged(fn.captures):
                    return fn
            try:
                fn = compile_ir(self.py_func, specs, self.fastmath)
            except SimtError as exc:
                raise exc.with_traceback(None) from None
            versions.append(fn)
            return fn

    def ir(self, *args: Any) -> ir.Function:
        """The optimized typed SSA for these arguments (``str()`` gives the text)."""
        return self.compile(self.specs(args))

    def inspect(self, *args: Any, sig: str | None = None, ptx: bool = False,
                arch: str = "sm_90", cfg: bool | None = None):
        """A view of the SSA for these arguments (or ``sig="float32, float32[:]"``), each
        Python line beside the ops it became: ``print()`` it for plain text, or render it
        with rich. ``ptx=True`` adds the PTX; ``cfg`` forces the CFG view on or off
        (by default it is shown for kernels with loops)."""
        from .views import inspect_kernel
        return inspect_kernel(self, args, sig=sig, ptx=ptx, arch=arch, cfg=cfg)

    @property
    def signatures(self) -> list[tuple[ArgSpec, ...]]:
        return list(self._cache)

    # -------------------------------------------------------------- launching
    def __getitem__(self, config: Any) -> Launcher:
        if self.is_device:
            raise LaunchError(f"'{self.__name__}' is a device function: call it from a kernel")
        if not isinstance(config, tuple) or not 2 <= len(config) <= 4:
            raise LaunchError("launch a kernel as kern[grid, block] (or kern[grid, block, stream, "
                              "shared_bytes])")
        grid = normalize_dims(config[0], "grid")
        block = normalize_dims(config[1], "block")
        if block[0] * block[1] * block[2] > MAX_BLOCK_THREADS:
            raise LaunchError(f"a block has at most {MAX_BLOCK_THREADS} threads, got "
                              f"{block[0] * block[1] * block[2]} ({config[1]!r})")
        shared_bytes = int(config[3]) if len(config) == 4 else 0
        stream = config[2] if len(config) >= 3 else None
        return Launcher(self, grid, block, stream, shared_bytes)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.is_device:
            return self.py_func(*args, **kwargs)
        raise LaunchError(f"launch the kernel '{self.__name__}' with a configuration: "
                          f"{self.__name__}[grid, block](...)")


@dataclass
class Launcher:
    dispatcher: Dispatcher
    grid: tuple[int, int, int]
    block: tuple[int, int, int]
    stream: Any
    shared_bytes: int

    def __call__(self, *args: Any) -> None:
        specs = self.dispatcher.specs(args)
        fn = self.dispatcher.compile(specs)
        values = [launch_value(v, s) for v, s in zip(args, specs)]
        try:
            launch(current_target(), fn, self.grid, self.block, values,
                   shared_bytes=self.shared_bytes, stream=self.stream)
        except SimtError as exc:
            raise exc.with_traceback(None) from None


def kernel(pyfunc: FunctionType | None = None, **options: Any):
    """``@simt.kernel``: mark a function as a kernel, launched as ``kern[grid, block](...)``.

    Options: ``device=True`` makes it a device function (as ``@simt.device``);
    ``fastmath=True`` lets the GPU targets compute float32 exp, exp2, log, log2, log10,
    sin, cos and tan with the approximate PTX instructions (docs/mathlib.md).
    """
    check_options(options, "@simt.kernel")
    if pyfunc is None:
        return lambda f: kernel(f, **options)
    return Dispatcher(pyfunc, **options)


def device(pyfunc: FunctionType | None = None):
    """``@simt.device``: a function callable from kernels (traced per signature, inlined)."""
    if pyfunc is None:
        return device
    return Dispatcher(pyfunc, device=True)
