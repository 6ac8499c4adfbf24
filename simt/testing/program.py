"""What a kernel being generated has so far: launch, parameters, variables in scope.

``Program`` owns the kernel's signature as it grows (an input array per element
kind the expressions load from, output arrays per stored kind, scalar
parameters, accumulators for atomics), the local and shared arrays it declared,
and its device functions. ``Scope`` is one block of statements: the variables
visible there and what control flow surrounds it (a loop that ``break`` may
leave, whether every thread of the block runs it, which is what barriers and
warp collectives need).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .expressions import Choices, Expr
from .kinds import PY_FLOAT, PY_INT, Kind, literal_text

# Weak Python int parameters are drawn from this range (so their bounds are known).
SCALAR_INT_RANGE = (-100, 100)


@dataclass(frozen=True)
class Launch:
    grid: tuple[int, ...]      # 1 to 3 dims, as passed to kern[grid, block]
    block: tuple[int, ...]

    @property
    def ndim(self) -> int:
        return len(self.grid)

    @property
    def block_threads(self) -> int:
        count = 1
        for d in self.block:
            count *= d
        return count

    @property
    def threads(self) -> int:
        count = self.block_threads
        for d in self.grid:
            count *= d
        return count

    def config_text(self) -> str:
        def dims(values):
            return str(values[0]) if len(values) == 1 else str(values)
        return f"[{dims(self.grid)}, {dims(self.block)}]"


@dataclass
class Var:
    name: str
    kind: Kind
    bounds: tuple[int, int] | None = None
    mutable: bool = True       # a statement may assign it again (keeping its kind)
    readable: bool = True
    stored: bool = False       # already written to an output (the epilogue skips it)


@dataclass
class Param:
    """One kernel parameter: an array (``shape``) or a scalar (``shape`` None)."""

    name: str
    kind: Kind
    role: str                      # input, scalar, output, approx, accumulator
    shape: tuple[int, ...] | None = None
    bounds: tuple[int, int] | None = None   # weak int scalars

    @property
    def is_array(self) -> bool:
        return self.shape is not None


@dataclass
class LocalArray:
    name: str
    kind: Kind
    size: int


@dataclass
class Frame:
    """The function a scope belongs to: the kernel, or a device function."""

    kernel: bool
    thread_index: str | None = "t"
    returns: tuple[Kind, ...] = ()       # a device function's return kinds


@dataclass
class Scope:
    frame: Frame
    parent: Scope | None = None
    variables: list[Var] = field(default_factory=list)
    loop: bool = False          # break/continue may leave the innermost loop
    in_loop: bool = False       # inside some loop (bounds the nesting)
    loop_depth: int = 0
    uniform: bool = True        # every thread of the block runs this code together
    depth: int = 0

    def visible(self) -> list[Var]:
        scope, found = self, []
        while scope is not None:
            found = scope.variables + found
            scope = scope.parent
        return found

    def child(self, *, loop: bool | None = None, uniform: bool | None = None,
              new_loop: bool = False) -> Scope:
        return Scope(self.frame, self, [], self.loop if loop is None else loop,
                     self.in_loop or new_loop, self.loop_depth + new_loop,
                     self.uniform if uniform is None else uniform, self.depth + 1)

    @property
    def thread_index(self) -> str:
        return self.frame.thread_index


class Program:
    """The kernel being generated: its signature, declarations and feature switches."""

    def __init__(self, launch: Launch, palette: tuple[Kind, ...], features: frozenset[str],
                 collective: bool):
        self.launch = launch
        self.palette = palette
        self.features = features
        self.collective = collective         # uses barriers or warp collectives
        self.size = launch.threads
        self.params: dict[str, Param] = {}
        self.outputs: dict[tuple[Kind, str], int] = {}   # (kind, role) -> slots used
        self.local_arrays: list[LocalArray] = []
        self.shared_arrays: list[tuple[str, Kind, int]] = []
        self.device_functions: list[str] = []
        self.device_signatures: list[tuple[str, tuple[Kind, ...], tuple[Kind, ...]]] = []
        self.constants: dict[str, str] = {}     # module-level name -> source of its value
        self.counters: dict[str, int] = {}
        self.statements_left = 0

    def fresh(self, prefix: str) -> str:
        number = self.counters.get(prefix, 0)
        self.counters[prefix] = number + 1
        return f"{prefix}{number}"

    # ------------------------------------------------------------------ parameters
    def input(self, choices: Choices) -> Param:
        kind = choices.choice(self.palette)
        name = f"x_{kind.name}"
        if name not in self.params:
            self.params[name] = Param(name, kind, "input", (self.size,))
        return self.params[name]

    def param(self, choices: Choices) -> Expr:
        kind = choices.choice(self.palette + (PY_INT, PY_FLOAT))
        name = {"int": "n_int", "float": "f_float"}.get(kind.name, f"s_{kind.name}")
        bounds = SCALAR_INT_RANGE if kind == PY_INT else None
        if name not in self.params:
            self.params[name] = Param(name, kind, "scalar", bounds=bounds)
        return Expr(name, kind, bounds=bounds, leaf=True)

    def constant(self, text: str, kind: Kind | None) -> str:
        """The name of a module-level constant ``text`` (the kernel captures it as a global)."""
        for name, existing in self.constants.items():
            if existing == text:
                return name
        name = self.fresh("C")
        self.constants[name] = text
        return name

    def written_slots(self) -> list[tuple[str, Kind, int]]:
        """(array, kind, slot) of every output slot handed out so far."""
        return [(f"{role_prefix(role)}_{kind.name}", kind, slot)
                for (kind, role), count in self.outputs.items() if role == "output"
                for slot in range(count)]

    def output_slot(self, kind: Kind, role: str = "output") -> tuple[str, int]:
        """A new slot of ``out_<kind>`` (``approx_<kind>`` for inexact values): (name, slot)."""
        slot = self.outputs.get((kind, role), 0)
        self.outputs[(kind, role)] = slot + 1
        return f"{role_prefix(role)}_{kind.name}", slot

    def accumulator(self, kind: Kind, size: int, op: str) -> str:
        """The array that atomics ``op`` of ``kind`` update: one per operation, since
        different operations on one element (add, then and) do not commute."""
        name = f"acc_{op.rstrip('_')}_{kind.name}"
        if name not in self.params:
            self.params[name] = Param(name, kind, "accumulator", (size,))
        return name

    def signature(self) -> list[Param]:
        """Parameters in order: inputs, scalars, outputs, approximate outputs, accumulators."""
        order = {"input": 0, "scalar": 1, "output": 2, "approx": 3, "accumulator": 4}
        params = list(self.params.values())
        for (kind, role), slots in self.outputs.items():
            params.append(Param(f"{role_prefix(role)}_{kind.name}", kind, role,
                                (self.size, slots)))
        return sorted(params, key=lambda p: (order[p.role], p.name))


def role_prefix(role: str) -> str:
    return {"output": "out", "approx": "approx"}[role]


def storage_kind(kind: Kind) -> Kind:
    """The array element kind that holds a value of ``kind`` (weak ints in int64)."""
    return Kind(kind.dtype.name) if kind.weak else kind


__all__ = ["Frame", "LocalArray", "Launch", "Param", "Program", "Scope", "Var", "literal_text",
           "storage_kind"]
