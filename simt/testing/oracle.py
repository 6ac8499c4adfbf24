"""The CPython oracle: what a kernel means, computed one thread at a time.

The reference meaning of a kernel (DESIGN.md, docs/internals.md) is what CPython
computes running the function body once per thread with NumPy scalar values.
``run_python`` does exactly that, sequentially: blocks in linear order (x
fastest), and within a block threads in linear order (x fastest). Arrays are
passed as they are, so writes land in them; scalars are passed as given, so a
Python int stays weak under NEP 50.

To give the kernel-language names per-thread values, the kernel is not traced
or modified: a copy of the function object is made with the same code and a
patched globals dict and closure, in which every value that *is* (by identity)
a marker of ``simt.language`` is replaced:

- ``threadIdx``/``blockIdx``/``blockDim``/``gridDim``: ``.x/.y/.z`` are the
  current thread's values as ``np.int32``;
- ``laneid``: ``np.int32`` (linear thread id in the block % 32), rebound before
  each thread, so a bare ``from simt import laneid`` global works too (a
  ``laneid`` captured in a default argument value does not: don't do that);
- ``grid(n)``/``gridsize(n)``: an ``np.int32`` for n == 1, else a tuple;
- ``fma(a, b, c)``: ``a * b + c`` rounded once in the operands' common type;
- modules named ``simt`` or ``simt.*``: a proxy that maps the markers above and
  forwards every other attribute (``simt.grid(1)``, ``cuda.threadIdx.x``);
- ``math`` and math functions imported by name: the math shim below;
- objects with a ``__simt_function__`` attribute (device-function dispatchers):
  the patched copy of that Python function, so device functions see the same
  per-thread values.

Where docs/internals.md decides a meaning that CPython lacks (it would raise),
the oracle follows internals.md: ``int()``, ``math.floor/ceil/trunc`` of NaN are
0 and out-of-range floats saturate to int64; ``min``/``max`` promote their
arguments to a common type first. Known gap: NumPy raises for
``int ** negative int``, which internals.md defines; kernels under differential
test must avoid it until the oracle handles it.
"""
from __future__ import annotations

import builtins
import itertools
import math
import types
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from simt import language

from .cooperative import COLLECTIVE_NAMES, BlockScheduler, Primitives

Dims = int | tuple[int, ...]

_INT64_MIN = -(2 ** 63)
_INT64_MAX = 2 ** 63 - 1


def run_python(pyfunc: Callable[..., Any], grid: Dims, block: Dims, args: Sequence[Any], *,
               shared_bytes: int = 0) -> None:
    """Run ``pyfunc`` once per thread of a ``grid`` x ``block`` launch, in CPython.

    ``pyfunc`` is the kernel's Python function (or an object whose
    ``__simt_function__`` is one, such as a ``@simt.kernel`` dispatcher).
    ``grid`` and ``block`` are ints or 1-3 tuples. ``shared_bytes`` is the
    dynamic shared memory size, accepted for the launch signature's sake.
    Writes land in the array arguments; the kernel must return None.
    """
    grid3 = _dim3(grid, "grid")
    block3 = _dim3(block, "block")
    if not isinstance(shared_bytes, int) or shared_bytes < 0:
        raise ValueError(f"shared_bytes must be a non-negative int, got {shared_bytes!r}")
    function = _python_function(pyfunc)
    thread = _ThreadState(grid3, block3)
    primitives = Primitives(thread, shared_bytes)
    patcher = _Patcher(thread, primitives)
    kernel = patcher.patch(function)
    args = tuple(args)

    def linear(dims: tuple[int, int, int]):
        return ((x, y, z) for z, y, x in itertools.product(*(range(d) for d in reversed(dims))))

    def enter(thread_idx: tuple[int, int, int], block_idx: tuple[int, int, int]) -> None:
        thread.enter(thread_idx, block_idx)
        patcher.rebind_laneid()

    def run_thread() -> None:
        try:
            result = kernel(*args)
        except Exception as exc:
            exc.add_note(f"simt oracle: in kernel {function.__qualname__!r}, "
                         f"threadIdx={thread.thread_idx}, blockIdx={thread.block_idx}")
            raise
        if result is not None:
            raise TypeError(
                f"kernel {function.__qualname__!r} returned {result!r} (threadIdx="
                f"{thread.thread_idx}, blockIdx={thread.block_idx}); kernels must return None: "
                "write results into an array argument instead")

    # Barriers and warp collectives need the block's threads side by side; anything else
    # runs one thread after the other.
    scheduler = BlockScheduler(thread, enter) if _uses_collectives(function) else None
    primitives.scheduler = scheduler
    with np.errstate(all="ignore"):  # wrap-around and IEEE specials are defined behaviour
        for block_idx in linear(grid3):
            primitives.new_block()
            if scheduler is not None:
                scheduler.run_block(block_idx, list(linear(block3)), run_thread)
                continue
            for thread_idx in linear(block3):
                enter(thread_idx, block_idx)
                run_thread()


def _dim3(dims: Dims, what: str) -> tuple[int, int, int]:
    if isinstance(dims, (int, np.integer)):
        values = (dims,)
    elif isinstance(dims, (tuple, list)):
        values = tuple(dims)
    else:
        values = ()
    if not 1 <= len(values) <= 3 or not all(isinstance(v, (int, np.integer)) and v >= 0
                                            for v in values):
        raise ValueError(f"{what} must be a non-negative int or a tuple of 1-3 of them, "
                         f"got {dims!r}")
    return tuple(int(v) for v in values) + (1,) * (3 - len(values))


def _python_function(obj: Any) -> types.FunctionType:
    if isinstance(obj, types.FunctionType):
        return obj
    function = _simt_function_of(obj)
    if function is None:
        raise TypeError(f"run_python needs a Python function or a simt kernel, got {obj!r}")
    return function


def _simt_function_of(value: Any) -> types.FunctionType | None:
    """The Python function behind a device-function dispatcher, else None."""
    try:
        function = getattr(value, "__simt_function__", None)
    except Exception:  # an arbitrary global's __getattr__ may raise anything
        return None
    return function if isinstance(function, types.FunctionType) else None


# ---------------------------------------------------------------------------
# Per-thread values of the kernel-language markers


class _ThreadState:
    """The coordinates of the thread now running, as the proxies read them."""

    def __init__(self, grid: tuple[int, int, int], block: tuple[int, int, int]):
        self.grid_dim = grid
        self.block_dim = block
        self.grid_dim_values = tuple(np.int32(v) for v in grid)
        self.block_dim_values = tuple(np.int32(v) for v in block)
        self.thread_idx = self.block_idx = (0, 0, 0)
        self.thread_idx_values = self.block_idx_values = (np.int32(0),) * 3
        self.laneid = np.int32(0)

    def enter(self, thread_idx: tuple[int, int, int], block_idx: tuple[int, int, int]) -> None:
        self.thread_idx, self.block_idx = thread_idx, block_idx
        self.thread_idx_values = tuple(np.int32(v) for v in thread_idx)
        self.block_idx_values = tuple(np.int32(v) for v in block_idx)
        tx, ty, tz = thread_idx
        bx, by, _ = self.block_dim
        self.laneid = np.int32((tx + bx * (ty + by * tz)) % language.warpsize)

    def grid(self, ndim: int):
        """simt.grid(ndim): blockIdx * blockDim + threadIdx per axis."""
        return self._per_axis(ndim, "grid", [
            b * d + t for b, d, t in zip(self.block_idx, self.block_dim, self.thread_idx)])

    def gridsize(self, ndim: int):
        """simt.gridsize(ndim): blockDim * gridDim per axis."""
        return self._per_axis(ndim, "gridsize", [
            d * g for d, g in zip(self.block_dim, self.grid_dim)])

    @staticmethod
    def _per_axis(ndim: int, name: str, values: list[int]):
        if ndim not in (1, 2, 3) or isinstance(ndim, bool):
            raise ValueError(f"simt.{name}(ndim) needs ndim 1, 2 or 3, got {ndim!r}")
        if ndim == 1:
            return np.int32(values[0])
        return tuple(np.int32(v) for v in values[:ndim])


class _Dim3Proxy:
    """``threadIdx`` and friends: ``.x/.y/.z`` of the current thread, as np.int32."""

    __slots__ = ("_thread", "_field", "_name")

    def __init__(self, thread: _ThreadState, field: str, name: str):
        self._thread, self._field, self._name = thread, field, name

    @property
    def x(self) -> np.int32:
        return getattr(self._thread, self._field)[0]

    @property
    def y(self) -> np.int32:
        return getattr(self._thread, self._field)[1]

    @property
    def z(self) -> np.int32:
        return getattr(self._thread, self._field)[2]

    def __repr__(self) -> str:
        return f"<simt oracle {self._name}>"


class _SimtModuleProxy:
    """A ``simt`` (or ``simt.*``) module as a kernel sees it: markers mapped, rest forwarded."""

    def __init__(self, module: types.ModuleType, patcher: _Patcher):
        self.__module = module
        self.__patcher = patcher

    def __getattr__(self, name: str):
        value = getattr(self.__module, name)
        if value is language.laneid:
            return self.__patcher.thread.laneid  # per thread: never cached
        replacement = self.__patcher.swap(value)
        setattr(self, name, replacement)
        return replacement

    def __repr__(self) -> str:
        return f"<simt oracle proxy of module {self.__module.__name__!r}>"


def _unsupported_intrinsic(intrinsic: language.Intrinsic) -> Callable:
    def unsupported(*args, **kwargs):
        raise NotImplementedError(
            f"simt.{intrinsic.name}() has no meaning in the CPython oracle (simt.testing) yet")

    unsupported.__name__ = unsupported.__qualname__ = intrinsic.name
    return unsupported


def _uses_collectives(function: types.FunctionType) -> bool:
    """Whether the kernel (or a device function it calls) may reach a barrier or a warp
    collective: a name of one among its globals or attributes, or one bound to a name."""
    collectives = {getattr(language, name) for name in COLLECTIVE_NAMES}
    pending, seen = [function], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        names = _global_names(current.__code__)
        if names & COLLECTIVE_NAMES:
            return True
        values = [current.__globals__[n] for n in names if n in current.__globals__]
        for cell in current.__closure__ or ():
            try:
                values.append(cell.cell_contents)
            except ValueError:
                continue
        for value in values:
            if any(value is c for c in collectives):
                return True
            called = _simt_function_of(value)
            if called is not None:
                pending.append(called)
            elif isinstance(value, types.FunctionType):
                pending.append(value)
    return False


# ---------------------------------------------------------------------------
# fma: one rounding


def fma(a, b, c):
    """``a * b + c`` rounded once, in the common type of the operands (NEP 50).

    Integer operands are multiplied and added as usual (nothing rounds). The
    result is a Python float when all three operands are Python numbers.
    """
    operands = (a, b, c)
    dtype = np.result_type(*operands)
    if dtype.kind != "f":
        return a * b + c
    a, b, c = (dtype.type(v) for v in operands)
    result = _fused_multiply_add(a, b, c)
    weak = all(type(v) in (bool, int, float) for v in operands)
    return float(result) if weak else result


def _fused_multiply_add(a: np.floating, b: np.floating, c: np.floating) -> np.floating:
    dtype = a.dtype
    if not (math.isfinite(a) and math.isfinite(b)):
        # The exact product is itself inf or NaN, so rounding it first changes nothing.
        return a * b + c
    if not math.isfinite(c):
        # A finite exact product plus inf/NaN is c; a*b rounded first could overflow to inf.
        return c
    if dtype == np.float64 and hasattr(math, "fma"):  # Python 3.13+
        try:
            return np.float64(math.fma(float(a), float(b), float(c)))
        except OverflowError:
            pass  # the exact result rounds to +-inf; the exact path below says which
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    if exact == 0:
        if a == 0 or b == 0:
            # 0 * b + 0: the product is an exact signed zero; IEEE's sum rule picks the sign.
            return a * b + c
        return dtype.type(0.0)  # exact cancellation is +0 in round-to-nearest
    return round_fraction(exact, dtype)


def round_fraction(exact: Fraction, dtype) -> np.floating:
    """``exact`` rounded once (to nearest, ties to even) to the float type ``dtype``."""
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    precision = info.nmant + 1
    magnitude = abs(exact)
    sign = -1.0 if exact < 0 else 1.0
    if magnitude == 0:
        return dtype.type(math.copysign(0.0, sign))
    exponent = magnitude.numerator.bit_length() - magnitude.denominator.bit_length()
    if magnitude < Fraction(2) ** exponent:
        exponent -= 1  # now 2**exponent <= magnitude < 2**(exponent + 1)
    # Below the smallest normal the spacing stays that of the subnormals.
    quantum_exponent = max(exponent, info.minexp) - (precision - 1)
    units = round(magnitude / Fraction(2) ** quantum_exponent)  # ties to even
    if units.bit_length() + quantum_exponent > info.maxexp:
        return dtype.type(math.copysign(math.inf, sign))
    # units has at most precision + 1 bits, so this float64 is exact and so is the cast.
    return dtype.type(math.copysign(math.ldexp(units, quantum_exponent), sign))


# ---------------------------------------------------------------------------
# math: NumPy float in, same NumPy float out; anything else, a Python float


def _saturating_int(rounding: Callable[[float], int], value: float) -> int:
    """``rounding(value)`` with internals.md's conversion rules: NaN -> 0, saturate to int64."""
    if math.isnan(value):
        return 0
    if math.isinf(value):
        return _INT64_MAX if value > 0 else _INT64_MIN
    return min(max(rounding(value), _INT64_MIN), _INT64_MAX)


def _ufunc_shim(name: str, ufunc: np.ufunc) -> Callable:
    def shim(*args):
        if any(isinstance(arg, np.floating) for arg in args):
            return ufunc(*args)
        # CPython's math raises where IEEE returns NaN or inf; NumPy float64 does not.
        return float(ufunc(*(np.float64(arg) for arg in args)))

    shim.__name__ = shim.__qualname__ = name
    return shim


def _log(x, base=None):
    """math.log(x[, base]); with a base, log(x) / log(base) as CPython computes it."""
    natural_log = _MATH_UFUNC_SHIMS["log"]
    return natural_log(x) if base is None else natural_log(x) / natural_log(base)


def _predicate_shim(name: str) -> Callable:
    predicate, ufunc = getattr(math, name), getattr(np, name)

    def shim(x) -> bool:
        if isinstance(x, np.floating):
            return bool(ufunc(x))
        return predicate(x)

    shim.__name__ = shim.__qualname__ = name
    return shim


def _float64_only_shim(name: str) -> Callable:
    function = getattr(math, name)

    def shim(x):
        if isinstance(x, np.floating):
            # NumPy has no erf/erfc ufunc: compute in float64 with CPython's math and
            # round to x's type (within the ULP bound transcendentals are held to).
            return x.dtype.type(function(float(x)))
        return function(x)

    shim.__name__ = shim.__qualname__ = name
    return shim


def _rounding_shim(name: str) -> Callable:
    rounding = getattr(math, name)

    def shim(x) -> int:
        if isinstance(x, (float, np.floating)):
            return _saturating_int(rounding, float(x))
        if isinstance(x, (int, np.integer, np.bool_)):
            return builtins.int(x)  # exact: going through float would round large int64s
        return rounding(x)

    shim.__name__ = shim.__qualname__ = name
    return shim


_MATH_UFUNC_SHIMS = {name: _ufunc_shim(name, ufunc) for name, ufunc in {
    "sqrt": np.sqrt, "cbrt": np.cbrt, "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1,
    "log": np.log, "log2": np.log2, "log10": np.log10, "log1p": np.log1p,
    "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
    "fabs": np.abs, "copysign": np.copysign, "atan2": np.arctan2, "hypot": np.hypot,
    "pow": np.power, "fmod": np.fmod,
}.items()}

MATH_SHIMS: dict[str, Callable] = {
    **_MATH_UFUNC_SHIMS,
    "log": _log,
    **{name: _predicate_shim(name) for name in ("isnan", "isinf", "isfinite")},
    **{name: _float64_only_shim(name) for name in ("erf", "erfc")},
    **{name: _rounding_shim(name) for name in ("floor", "ceil", "trunc")},
}
_log.__name__ = _log.__qualname__ = "log"


class _MathShim:
    """The ``math`` module as a kernel sees it: the shims above, the rest forwarded."""

    def __getattr__(self, name: str):
        return MATH_SHIMS.get(name) or getattr(math, name)

    def __repr__(self) -> str:
        return "<simt oracle shim of module 'math'>"


_MATH_SHIM = _MathShim()


# ---------------------------------------------------------------------------
# Builtins whose CPython behaviour docs/internals.md refines


def _int(*args, **kwargs) -> int:
    """``int()``: NaN -> 0 and out-of-range floats saturate to int64 (PTX cvt.rzi)."""
    if len(args) == 1 and not kwargs and isinstance(args[0], (float, np.floating)):
        return _saturating_int(math.trunc, float(args[0]))
    return builtins.int(*args, **kwargs)


def _is_python_scalar(value: Any) -> bool:
    return type(value) in (bool, int, float)


def _promote(values: tuple) -> tuple:
    """Cast scalars to their common type: NEP 50 when NumPy is involved, else Python's tower."""
    if all(_is_python_scalar(v) for v in values):
        kinds = {type(v) for v in values}
        common = float if float in kinds else int if int in kinds else bool
        return tuple(common(v) for v in values)
    dtype = np.result_type(*values)
    return tuple(dtype.type(v) for v in values)


def _extremum_shim(name: str, better: Callable[[Any, Any], bool]) -> Callable:
    builtin = getattr(builtins, name)

    def shim(*args, **kwargs):
        if kwargs or len(args) < 2 or not all(
                _is_python_scalar(v) or isinstance(v, (np.number, np.bool_)) for v in args):
            return builtin(*args, **kwargs)
        args = _promote(args)
        best = args[0]
        for candidate in args[1:]:
            if better(candidate, best):  # CPython: the first of equals (and NaN) is kept
                best = candidate
        return best

    shim.__name__ = shim.__qualname__ = name
    return shim


BUILTIN_SHIMS: dict[str, Callable] = {
    "int": _int,
    "min": _extremum_shim("min", lambda candidate, best: candidate < best),
    "max": _extremum_shim("max", lambda candidate, best: candidate > best),
}


# ---------------------------------------------------------------------------
# Patching functions


def _global_names(code: types.CodeType) -> set[str]:
    """Every name ``code`` (or code nested in it) might load from its globals."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


class _Patcher:
    """Makes per-thread copies of kernel and device functions for one launch."""

    def __init__(self, thread: _ThreadState, primitives: Primitives | None = None):
        self.thread = thread
        self.functions: dict[types.FunctionType, types.FunctionType] = {}
        # id(original globals) -> (original globals, patched globals, names bound so far)
        self.namespaces: dict[int, tuple[dict, dict, set[str]]] = {}
        self.modules: dict[int, tuple[types.ModuleType, _SimtModuleProxy]] = {}
        self.laneid_slots: list[tuple[dict, str]] = []
        self.laneid_cells: list[types.CellType] = []
        replacements = {
            language.threadIdx: _Dim3Proxy(thread, "thread_idx_values", "threadIdx"),
            language.blockIdx: _Dim3Proxy(thread, "block_idx_values", "blockIdx"),
            language.blockDim: _Dim3Proxy(thread, "block_dim_values", "blockDim"),
            language.gridDim: _Dim3Proxy(thread, "grid_dim_values", "gridDim"),
            language.grid: thread.grid,
            language.gridsize: thread.gridsize,
            language.fma: fma,
            math: _MATH_SHIM,
        }
        replacements.update({getattr(math, name): shim for name, shim in MATH_SHIMS.items()})
        if primitives is not None:
            replacements.update(primitives.functions())
        # Keyed by id because arbitrary globals need not be hashable; the original is kept
        # alongside so the id stays valid and is checked by identity.
        self.static = {id(original): (original, shim) for original, shim in replacements.items()}

    def rebind_laneid(self) -> None:
        lane = self.thread.laneid
        for namespace, name in self.laneid_slots:
            namespace[name] = lane
        for cell in self.laneid_cells:
            cell.cell_contents = lane

    def swap(self, value: Any) -> Any:
        """What ``value`` becomes inside the oracle (itself unless it is kernel language)."""
        entry = self.static.get(id(value))
        if entry is not None and entry[0] is value:
            return entry[1]
        if isinstance(value, language.Intrinsic):
            return _unsupported_intrinsic(value)
        if isinstance(value, language.Namespace):   # simt.shared, simt.local, simt.atomic
            return types.SimpleNamespace(**{name: self.swap(member)
                                            for name, member in value.members.items()})
        if isinstance(value, types.ModuleType):
            return self._module(value)
        function = _simt_function_of(value)
        if function is not None:
            return self.patch(function)
        return value

    def _module(self, module: types.ModuleType) -> Any:
        name = getattr(module, "__name__", "")
        if not isinstance(name, str) or not (name == "simt" or name.startswith("simt.")):
            return module
        entry = self.modules.get(id(module))
        if entry is None:
            entry = self.modules[id(module)] = (module, _SimtModuleProxy(module, self))
        return entry[1]

    def patch(self, function: types.FunctionType) -> types.FunctionType:
        """A copy of ``function`` whose globals and closure hold per-thread values."""
        patched = self.functions.get(function)
        if patched is not None:
            return patched
        original_globals, namespace, bound = self._namespace(function.__globals__)
        # Cells are filled after the copy is registered, so recursion finds it.
        cells = tuple(types.CellType() for _ in function.__closure__ or ())
        patched = types.FunctionType(function.__code__, namespace, function.__name__,
                                     None, cells or None)
        patched.__qualname__ = function.__qualname__
        self.functions[function] = patched
        for original_cell, cell in zip(function.__closure__ or (), cells):
            try:
                value = original_cell.cell_contents
            except ValueError:  # an empty cell stays empty
                continue
            if value is language.laneid:
                self.laneid_cells.append(cell)
                cell.cell_contents = self.thread.laneid
            else:
                cell.cell_contents = self.swap(value)
        for name in _global_names(function.__code__) - bound:
            bound.add(name)
            if name in original_globals:
                value = original_globals[name]
                if value is language.laneid:
                    self.laneid_slots.append((namespace, name))
                    namespace[name] = self.thread.laneid
                else:
                    namespace[name] = self.swap(value)
            elif name in BUILTIN_SHIMS:
                namespace[name] = BUILTIN_SHIMS[name]
        if function.__defaults__:
            patched.__defaults__ = tuple(self.swap(v) for v in function.__defaults__)
        if function.__kwdefaults__:
            patched.__kwdefaults__ = {k: self.swap(v) for k, v in function.__kwdefaults__.items()}
        return patched

    def _namespace(self, original_globals: dict) -> tuple[dict, dict, set[str]]:
        """One patched copy per module namespace, shared by the functions defined there."""
        entry = self.namespaces.get(id(original_globals))
        if entry is None:
            entry = (original_globals, dict(original_globals), set())
            self.namespaces[id(original_globals)] = entry
        return entry
