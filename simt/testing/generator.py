"""``simt.testing.kernels()``: a hypothesis strategy of random, well-typed, UB-free kernels.

Each example is a ``GeneratedKernel``: Python *source* for a kernel (and the
device functions it calls), turned into a function with ``exec`` (so the tracer
works from bytecode alone, with no source file), a launch configuration (1-D to
3-D grid and block) and inputs drawn for it, edge values included (0, -1, the
integer limits, NaN, +-inf, -0.0, subnormals). Run it on the CPython oracle and
on every target and compare (``simt.testing.fuzz.check_generated``): any
disagreement is a bug in one of them, because the generator only writes
kernels whose meaning the reference semantics pin down (see ``expressions.py``
and ``statements.py`` for how each kind of undefined behaviour is ruled out).

Hypothesis shrinks a failing example towards fewer statements, shallower
expressions, simpler launches and zero inputs, so a reported kernel is small.
``repr()`` of an example is its source, launch and inputs.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable

import numpy as np

from .expressions import Choices, Expr, ExpressionGenerator
from .kinds import INT32, STRONG, Kind
from .program import SCALAR_INT_RANGE, Frame, Launch, Param, Program, Scope, Var, storage_kind
from .statements import INDENT, StatementGenerator

# Every construct the generator knows. Every target runs all of them: a target that
# cannot is a bug the random kernels must report, not a feature to skip.
FEATURES = frozenset({"device", "math", "bits", "local", "shared", "warp", "atomic"})
# Inexact (transcendental) outputs are compared within this many ulp: the PTX math
# library is within 0.56 ulp of exact (docs/mathlib.md) and NumPy's loops, which the
# oracle and the numpy target call, within 3.3 ulp; 4 covers the sum.
APPROX_ULP = 4

# Block shapes, simplest first; about half have whole warps (warp collectives need them).
BLOCKS = {
    1: ((32,), (1,), (7,), (64,), (33,), (128,), (96,), (5,)),
    2: ((8, 4), (32, 2), (4, 4), (3, 5), (16, 2), (32, 1)),
    3: ((4, 2, 2), (2, 2, 2), (8, 2, 2), (32, 1, 2), (3, 2, 1), (4, 4, 2)),
}


@dataclass
class GeneratedKernel:
    """A generated kernel: its source, launch and drawn arguments."""

    source: str
    launch: Launch
    params: list[Param]
    arguments: list[Any]
    features: frozenset[str] = field(default_factory=frozenset)
    name: str = "kernel"

    @property
    def grid(self) -> tuple[int, ...]:
        return self.launch.grid

    @property
    def block(self) -> tuple[int, ...]:
        return self.launch.block

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    @property
    def ulp(self) -> list[int]:
        """The tolerance per argument: ``APPROX_ULP`` for inexact outputs, else bitwise."""
        return [APPROX_ULP if p.role == "approx" else 0 for p in self.params]

    @cached_property
    def kernel(self):
        """The ``@simt.kernel`` dispatcher, made by ``exec`` of the source."""
        return compile_kernel(self.source, self.name)

    def __repr__(self) -> str:
        from .report import arguments_text
        return (f"{self.source}\n# launch: {self.name}{self.launch.config_text()}\n"
                f"{arguments_text(self.names, self.arguments)}")

    def _repr_pretty_(self, printer, cycle: bool) -> None:   # hypothesis' report uses this
        printer.text("\n" + repr(self))


def compile_kernel(source: str, name: str = "kernel"):
    """Exec ``source`` (no file, no linecache: the tracer sees bytecode only) and wrap
    the function ``name`` as a kernel."""
    import simt

    namespace: dict[str, Any] = {"simt": simt, "np": np, "math": math,
                                 "__name__": "generated_kernel"}
    exec(compile(source, f"<generated {name}>", "exec"), namespace)
    return simt.kernel(namespace[name])


# ---------------------------------------------------------------------- the strategy
def kernels(*, features: Iterable[str] | None = None, max_statements: int = 12,
            max_threads: int = 256, dtypes: Iterable[str] | None = None):
    """A hypothesis strategy of ``GeneratedKernel``.

    ``features`` picks the constructs beyond scalar code (default: every one in
    ``FEATURES``): ``device`` (device functions returning tuples),
    ``math`` (transcendental functions, compared within ``APPROX_ULP``), ``bits``
    (popc/clz/ffs/brev), ``local`` (local arrays), ``shared`` (shared arrays,
    barriers), ``warp`` (shuffles, votes), ``atomic``. ``max_statements`` bounds
    the kernel's size, ``max_threads`` its launch, ``dtypes`` the NumPy element
    types it computes with (default: all of bool, int8..uint64, float16..float64).
    """
    from hypothesis import strategies as st

    chosen = FEATURES if features is None else frozenset(features)
    unknown = chosen - FEATURES
    if unknown:
        raise ValueError(f"unknown generator features {sorted(unknown)}; choose from "
                         f"{sorted(FEATURES)}")
    kinds = STRONG if dtypes is None else tuple(Kind(np.dtype(d).name) for d in dtypes)

    @st.composite
    def generated(draw) -> GeneratedKernel:
        return generate(Choices(draw), chosen, max_statements, max_threads, kinds)

    return generated()


def generate(c: Choices, features: frozenset[str], max_statements: int, max_threads: int,
             kinds: tuple[Kind, ...]) -> GeneratedKernel:
    launch = draw_launch(c, max_threads)
    collective = bool(features & {"shared", "warp"}) and c.chance(40)
    palette = tuple(dict.fromkeys(c.choice(kinds) for _ in range(c.integer(1, 3))))
    program = Program(launch, palette, features, collective)
    program.statements_left = max_statements
    exprs = ExpressionGenerator(c, program)
    statements = StatementGenerator(c, program, exprs)

    scope = Scope(Frame(kernel=True))
    prologue = thread_index_lines(c, launch, scope)
    if collective:
        scope.variables.append(Var("lt", INT32, mutable=False, stored=True))
    elif c.chance(20) and launch.threads > 1:
        limit = c.integer(1, launch.threads - 1)
        prologue += [f"{INDENT}if t >= {limit}:", f"{INDENT * 2}return"]
    local_lines: list[str] = []
    if "local" in features and c.chance(30):
        _, local_lines = statements.declare_local_array()
        prologue += local_lines
    body = statements.block(scope, 1, top=True)
    epilogue = []
    for var in scope.variables:
        if not var.stored and var.readable:
            kind = storage_kind(var.kind)
            value = exprs.convert(Expr(var.name, var.kind, bounds=var.bounds, leaf=True), kind)
            name, slot = program.output_slot(kind)
            epilogue.append(f"{INDENT}{name}[t, {slot}] = {value.text}")
    shared = [f"{INDENT}{name} = simt.shared.array({size}, {kind.constructor()})"
              for name, kind, size in program.shared_arrays]
    if re.search(r"\blt\b", "\n".join(body + epilogue)):
        prologue.insert(len(prologue) - len(local_lines), INDENT + linear_in_block(launch))
    params = program.signature()
    header = [f"def kernel({', '.join(p.name for p in params)}):"]
    kernel_text = "\n".join(header + prologue + shared + body + epilogue)
    constants = "\n".join(f"{name} = {text}" for name, text in program.constants.items())
    source = "\n\n".join(([constants] if constants else []) + program.device_functions
                         + [kernel_text]) + "\n"
    arguments = c.draw(arguments_strategy(params))
    used = {f for f in features if _uses(source, f)}
    return GeneratedKernel(source, launch, params, arguments, frozenset(used))


def _uses(source: str, feature: str) -> bool:
    marks = {"device": "@simt.device", "math": "approx_", "bits": ("simt.popc", "simt.clz",
             "simt.ffs", "simt.brev"), "local": "simt.local", "shared": "simt.sync",
             "warp": ("_sync(", "simt.activemask", "simt.syncwarp"), "atomic": "simt.atomic"}
    wanted = marks[feature]
    return any(m in source for m in ((wanted,) if isinstance(wanted, str) else wanted))


def draw_launch(c: Choices, max_threads: int) -> Launch:
    ndim = c.choice((1, 2, 3))
    block = c.choice(BLOCKS[ndim])
    grid = [c.integer(1, 3) for _ in range(ndim)]
    launch = Launch(tuple(grid), block)
    while launch.threads > max_threads and max(grid) > 1:
        grid[grid.index(max(grid))] -= 1
        launch = Launch(tuple(grid), block)
    return launch


def thread_index_lines(c: Choices, launch: Launch, scope: Scope) -> list[str]:
    """The prologue that names the thread's linear index ``t`` (and ``gx``, ``gy``, ``gz``)."""
    width = launch.grid[0] * launch.block[0]
    scope.variables.append(Var("t", INT32, mutable=False, stored=True))
    if launch.ndim == 1:
        if c.chance(30):
            return [f"{INDENT}t = simt.blockIdx.x * simt.blockDim.x + simt.threadIdx.x"]
        return [f"{INDENT}t = simt.grid(1)"]
    axes = ("gx", "gy", "gz")[:launch.ndim]
    for axis in axes:
        scope.variables.append(Var(axis, INT32, mutable=False, stored=True))
    lines = [f"{INDENT}{', '.join(axes)} = simt.grid({launch.ndim})"]
    if launch.ndim == 2:
        row = "simt.gridDim.x * simt.blockDim.x" if c.chance(30) else str(width)
        return lines + [f"{INDENT}t = gy * {row if row.isdigit() else f'({row})'} + gx"]
    height = launch.grid[1] * launch.block[1]
    return lines + [f"{INDENT}t = (gz * {height} + gy) * {width} + gx"]


def linear_in_block(launch: Launch) -> str:
    """``lt``: the thread's linear index in its block (x fastest), as lanes are numbered."""
    bx = launch.block[0]
    if launch.ndim == 1:
        return "lt = simt.threadIdx.x"
    if launch.ndim == 2:
        return f"lt = simt.threadIdx.y * {bx} + simt.threadIdx.x"
    by = launch.block[1]
    return f"lt = (simt.threadIdx.z * {by} + simt.threadIdx.y) * {bx} + simt.threadIdx.x"


# ---------------------------------------------------------------------- inputs
def edge_values(kind: Kind) -> list:
    """The values of ``kind`` that most often break code: zeros, limits, NaN, inf, ..."""
    if kind.is_bool:
        return [False, True]
    if kind.is_int:
        low, high = kind.bounds
        return [v for v in (0, 1, -1, 2, low, high, low + 1, high - 1, 7, -8) if low <= v <= high]
    info = np.finfo(kind.dtype)
    tiny, biggest = float(info.smallest_subnormal), float(info.max)
    return [0.0, -0.0, 1.0, -1.0, 0.5, math.inf, -math.inf, math.nan, tiny, -tiny, biggest,
            -biggest, 3.0, 100.0, float(info.tiny)]


def element_strategy(kind: Kind):
    """Values of ``kind``, edge values likely."""
    from hypothesis import strategies as st

    edges = st.sampled_from(edge_values(kind))
    if kind.is_bool:
        return st.booleans()
    if kind.is_int:
        return st.one_of(edges, st.integers(*kind.bounds))
    width = kind.dtype.itemsize * 8
    return st.one_of(edges, st.floats(width=width), st.floats(-1000, 1000, width=width))


def random_array(kind: Kind, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A reproducible array of ``kind``: a third edge values, the rest spread widely."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    if kind.is_bool:
        return rng.integers(0, 2, size).astype(bool).reshape(shape)
    if kind.is_int:
        low, high = kind.bounds
        small = rng.integers(-100, 101, size)
        wide = rng.integers(low, high, size, dtype=kind.dtype, endpoint=True)
        values = np.where(rng.random(size) < 0.5, np.clip(small, low, high).astype(kind.dtype), wide)
    else:
        magnitude = np.exp(rng.uniform(-20, 20, size)) * rng.choice([-1.0, 1.0], size)
        moderate = rng.uniform(-1000, 1000, size)
        with np.errstate(all="ignore"):
            values = np.where(rng.random(size) < 0.5, moderate, magnitude).astype(kind.dtype)
    edges = np.array(edge_values(kind), dtype=kind.dtype)
    pick = rng.random(size) < 1 / 3
    values[pick] = edges[rng.integers(0, len(edges), int(pick.sum()))]
    return values.reshape(shape)


def array_strategy(kind: Kind, shape: tuple[int, ...]):
    """Arrays of ``kind``: a fill value, maybe a random bulk, then a few chosen elements.

    Few hypothesis choices per array (so kernels, not inputs, dominate an example),
    and a failing input shrinks to ``np.full(...)`` plus the elements that matter.
    """
    from hypothesis import strategies as st

    size = int(np.prod(shape))

    @st.composite
    def arrays(draw) -> np.ndarray:
        values = np.full(shape, draw(element_strategy(kind)), dtype=kind.dtype)
        if draw(st.integers(0, 4)) >= 2:      # usually: most bugs need varied values
            values = random_array(kind, shape, draw(st.integers(0, 2 ** 32 - 1)))
        flat = values.reshape(-1)
        for _ in range(draw(st.integers(0, 6))):
            flat[draw(st.integers(0, size - 1))] = draw(element_strategy(kind))
        return values

    return arrays()


def arguments_strategy(params: list[Param]):
    """A strategy of the argument list for ``params``."""
    from hypothesis import strategies as st

    items = []
    for param in params:
        dtype = param.kind.dtype
        if param.role == "input" or (param.role == "accumulator" and param.kind.is_int):
            items.append(array_strategy(param.kind, param.shape))
        elif param.is_array:
            items.append(st.builds(np.zeros, st.just(param.shape), st.just(dtype)))
        elif param.kind.name == "int":
            items.append(st.integers(*SCALAR_INT_RANGE))
        elif param.kind.name == "float":
            items.append(element_strategy(Kind("float64")).map(float))
        else:
            items.append(element_strategy(param.kind).map(dtype.type))
    return st.tuples(*items).map(list)
