"""The parsed form of a PTX module: functions (entries and ``.func``), their
parameters, register and variable declarations, and bodies of labels and
instructions with resolved (scope-unique) names.

Operands are small frozen dataclasses; instructions keep their PTX line, source
text and the last ``.loc`` before them so errors can point at both the PTX and
the user's source.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .ptxtypes import PtxType

# --- operands --------------------------------------------------------------


@dataclass(frozen=True)
class Reg:
    """A declared register (scope-unique name)."""
    name: str


@dataclass(frozen=True)
class SpecialReg:
    """A read-only special register such as ``%tid.x`` or ``%laneid``."""
    name: str


@dataclass(frozen=True)
class Imm:
    """An immediate: int, or float (``width`` 32/64 and optionally exact ``bits``)."""
    value: int | float
    is_float: bool = False
    width: int = 64
    bits: int | None = None


@dataclass(frozen=True)
class Sym:
    """A name used as a value: a variable (its address), a label or a function."""
    name: str


@dataclass(frozen=True)
class Addr:
    """A memory operand ``[base+offset]``; base is a Reg, a Sym or None (absolute)."""
    base: Reg | Sym | None
    offset: int = 0


@dataclass(frozen=True)
class Vec:
    """A brace list ``{a, b, ...}`` (vector loads/stores, packing moves)."""
    items: tuple


@dataclass(frozen=True)
class Not:
    """A negated predicate source ``!%p``."""
    operand: Reg


@dataclass(frozen=True)
class Pair:
    """Two destinations written ``d|p`` (setp, shfl)."""
    first: object
    second: object


@dataclass(frozen=True)
class Sink:
    """The sink ``_``: a destination whose value is dropped."""


@dataclass(frozen=True)
class ArgList:
    """A parenthesised call argument or return list."""
    items: tuple


Operand = Reg | SpecialReg | Imm | Sym | Addr | Vec | Not | Pair | Sink | ArgList

# --- statements ------------------------------------------------------------


@dataclass(frozen=True)
class SourcePos:
    """A ``.loc file line col`` position (file index resolved via ``Module.files``)."""
    file: int
    line: int
    col: int


@dataclass
class Instruction:
    opcode: str                      # 'ld'
    mods: tuple[str, ...]            # ('global', 'v4', 'f32'), without dots
    operands: list
    guard: Reg | Not | None          # @%p or @!%p
    line: int
    text: str
    loc: SourcePos | None = None

    @property
    def full_opcode(self) -> str:
        return ".".join((self.opcode,) + self.mods)


@dataclass(frozen=True)
class Label:
    name: str
    line: int


@dataclass
class VarDecl:
    """A variable in a state space (.global/.shared/.local/.const/.param)."""
    name: str
    space: str
    type: PtxType
    align: int
    dims: tuple[int | None, ...]      # () scalar; (None,) for an unsized extern array
    init: list | None
    line: int
    extern: bool = False

    @property
    def count(self) -> int:
        total = 1
        for d in self.dims:
            total *= d or 0
        return total

    @property
    def size(self) -> int:
        return self.type.size * self.count


@dataclass
class Function:
    name: str
    is_entry: bool
    params: list[VarDecl]
    returns: list[VarDecl]
    registers: dict[str, PtxType] = field(default_factory=dict)
    variables: list[VarDecl] = field(default_factory=list)
    body: list[Instruction | Label] | None = None   # None: declaration only (.extern)
    line: int = 0
    visible: bool = False


@dataclass
class Module:
    version: str = ""
    target: tuple[str, ...] = ()
    address_size: int = 64
    functions: dict[str, Function] = field(default_factory=dict)
    variables: list[VarDecl] = field(default_factory=list)
    files: dict[int, str] = field(default_factory=dict)

    @property
    def entries(self) -> list[Function]:
        return [f for f in self.functions.values() if f.is_entry]
