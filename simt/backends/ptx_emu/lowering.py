"""Turning parsed instructions into executable steps.

Each opcode has a *builder* (registered per instruction family in ``ops/``)
that validates the modifiers and operand forms once, at load time, and returns
a closure ``run(ctx, sel)`` doing the work for the threads in ``sel``. This
module provides what builders share: ``Mods`` (strict modifier parsing: any
modifier a builder does not understand is an error naming it), operand readers
and writers that apply PTX's register-size rules, and the registry.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from .errors import PtxError, PtxUnsupportedError
from .memory import WINDOWS
from .module import Addr, Imm, Instruction, Not, Reg, Sink, SpecialReg, Sym
from .ptxtypes import PRED, U32, U64, PtxType, ptx_type

Runner = Callable[..., None]
NORMAL, BRANCH, EXIT, BARRIER = "normal", "branch", "exit", "barrier"


@dataclass
class Step:
    """One executable instruction of a flattened kernel."""
    kind: str
    ins: Instruction
    run: Runner | None = None
    label: str | None = None           # branch target, resolved into ``target``
    target: int = -1
    guard: tuple[str, bool] | None = None
    release: Runner | None = None      # barrier: work done when the barrier opens
    lanewise: bool = False             # see LANEWISE


# Opcodes that only read registers (and special registers) of each thread and write
# registers of the same thread: no memory, no other lanes, no faults. They may run
# for threads that are not executing them, whose results nobody reads (frames.py).
LANEWISE = frozenset((
    "add", "sub", "addc", "subc", "mul", "mad", "madc", "mul24", "mad24", "sad", "div", "rem",
    "abs", "neg", "min", "max", "and", "or", "xor", "not", "cnot", "lop3", "shl", "shr", "shf",
    "popc", "clz", "bfind", "brev", "bfe", "bfi", "prmt", "fma", "rcp", "sqrt", "rsqrt", "ex2",
    "lg2", "sin", "cos", "tanh", "copysign", "testp", "cvt", "setp", "set", "selp", "slct",
    "mov", "cvta", "isspacep"))


@dataclass
class Symbol:
    """A variable after layout: its state space and address within that space
    (for ``.global`` variables: the absolute global address)."""
    name: str
    space: str
    address: int
    size: int
    type: PtxType


@dataclass
class Env:
    """What builders may consult about the kernel being lowered."""
    registers: dict[str, PtxType]
    symbols: dict[str, Symbol]
    functions: set[str] = field(default_factory=set)


Builder = Callable[[Instruction, "Mods", Env], "Runner | Step"]
_REGISTRY: dict[tuple[str, str], Builder] = {}


def builder(opcode: str, family: str = "any") -> Callable[[Builder], Builder]:
    """Register the builder of ``opcode`` for a type family ('int', 'float' or 'any')."""
    def register(fn: Builder) -> Builder:
        key = (opcode, family)
        if key in _REGISTRY:
            raise RuntimeError(f"duplicate PTX builder for {key}")
        _REGISTRY[key] = fn
        return fn
    return register


def supported_opcodes() -> list[str]:
    return sorted({op for op, _ in _REGISTRY})


def lower(ins: Instruction, env: Env) -> Step:
    """The executable step for ``ins``; rejects unknown instructions and modifiers."""
    family = "float" if any(m in _FLOAT_MODS for m in ins.mods) else "int"
    fn = _REGISTRY.get((ins.opcode, family)) or _REGISTRY.get((ins.opcode, "any"))
    if fn is None:
        if any(op == ins.opcode for op, _ in _REGISTRY):
            raise PtxUnsupportedError(f"unsupported {family} form of '{ins.full_opcode}'",
                                      ins.line, ins.text)
        raise PtxUnsupportedError(f"unsupported PTX instruction '{ins.full_opcode}'",
                                  ins.line, ins.text)
    mods = Mods(ins)
    try:
        made = fn(ins, mods, env)
    except PtxError:
        raise
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise PtxUnsupportedError(f"cannot execute '{ins.full_opcode}': {exc}", ins.line,
                                  ins.text) from None
    mods.done()
    step = made if isinstance(made, Step) else Step(NORMAL, ins, made)
    step.lanewise = step.kind == NORMAL and ins.opcode in LANEWISE
    if ins.guard is not None:
        pred = ins.guard.operand if isinstance(ins.guard, Not) else ins.guard
        if env.registers.get(pred.name) is not PRED:
            raise PtxError(f"guard {pred.name} is not a predicate register", ins.line, ins.text)
        step.guard = (pred.name, isinstance(ins.guard, Not))
    return step


_FLOAT_MODS = {"f16", "f32", "f64", "f16x2"}
_TYPE_LIKE = re.compile(r"^(b|u|s|f|bf|tf|e\d+m)\d+(x\d+)?$")
CACHE_QUALIFIERS = {"ca", "cg", "cs", "lu", "cv", "wb", "wt", "nc", "weak", "volatile",
                    "relaxed", "acquire", "release", "acq_rel", "sc", "mmio", "cta", "gpu", "sys",
                    "cluster", "uni", "aligned", "sync"}


class Mods:
    """The modifiers of one instruction, consumed by its builder."""

    def __init__(self, ins: Instruction):
        self.ins = ins
        self.rest = list(ins.mods)

    def fail(self, message: str) -> PtxUnsupportedError:
        return PtxUnsupportedError(message, self.ins.line, self.ins.text)

    def take(self, options: Iterable[str], default: str | None = None) -> str | None:
        options = set(options)
        found = [m for m in self.rest if m in options]
        if len(found) > 1:
            raise self.fail(f"conflicting modifiers {', '.join('.' + m for m in found)}")
        if not found:
            return default
        self.rest.remove(found[0])
        return found[0]

    def flag(self, name: str) -> bool:
        return self.take((name,)) is not None

    def drop(self, names: Iterable[str]) -> None:
        """Discard modifiers that do not change the emulated result (caching, ordering)."""
        names = set(names)
        self.rest = [m for m in self.rest if m not in names and "::" not in m]

    def type(self, allowed: Iterable[str] | None = None) -> PtxType:
        """The instruction's type (its last type modifier)."""
        types = [m for m in self.rest if ptx_type(m) is not None]
        if not types:
            exotic = [m for m in self.rest if _TYPE_LIKE.match(m)]
            if exotic:
                raise self.fail(f"unsupported type .{exotic[0]} for '{self.ins.full_opcode}'")
            raise self.fail(f"'{self.ins.opcode}' needs a type")
        name = types[-1]
        if allowed is not None and name not in set(allowed):
            raise self.fail(f"unsupported type .{name} for '{self.ins.full_opcode}'")
        self.rest.remove(name)
        return ptx_type(name)

    def types(self, count: int) -> list[PtxType]:
        found = [m for m in self.rest if ptx_type(m) is not None]
        if len(found) != count:
            exotic = [m for m in self.rest if _TYPE_LIKE.match(m) and ptx_type(m) is None]
            if exotic:
                raise self.fail(f"unsupported type .{exotic[0]} for '{self.ins.full_opcode}'")
            raise self.fail(f"'{self.ins.full_opcode}' needs {count} types")
        for name in found:
            self.rest.remove(name)
        return [ptx_type(m) for m in found]

    def done(self) -> None:
        if self.rest:
            extra = ", ".join("." + m for m in self.rest)
            raise self.fail(f"unsupported modifier {extra} on '{self.ins.opcode}'")


# --- operand access ----------------------------------------------------------

def operands(ins: Instruction, count: int, at_least: int | None = None) -> list:
    have = len(ins.operands)
    if have != count and not (at_least is not None and at_least <= have <= count):
        raise PtxError(f"'{ins.full_opcode}' takes {count} operands, got {have}",
                       ins.line, ins.text)
    return ins.operands


def convert_bits(value, src: PtxType, dst: PtxType):
    """Reinterpret ``value`` of type src as dst: same width is a view, a narrower
    destination truncates, a wider one sign-extends signed sources and
    zero-extends the rest (PTX's operand-size rules)."""
    if src.dtype == dst.dtype:
        return value
    if src.bits == dst.bits:
        return value.view(dst.dtype)
    if src.is_pred or dst.is_pred:
        raise ValueError(f"cannot use {src} as {dst}")
    if src.bits > dst.bits:
        return value.view(src.udtype).astype(dst.udtype).view(dst.dtype)
    if src.is_signed:
        return value.astype(dst.sdtype).view(dst.dtype)
    return value.view(src.udtype).astype(dst.udtype).view(dst.dtype)


def imm_value(imm: Imm, t: PtxType):
    """The immediate as a NumPy scalar of type t."""
    if t.is_pred:
        return np.bool_(bool(imm.value))
    if t.is_float:
        if imm.is_float and imm.bits is not None and imm.width == t.bits:
            return np.array(imm.bits, dtype=t.udtype).view(t.dtype)[()]
        return t.dtype.type(imm.value)
    if imm.is_float:
        if imm.bits is None:
            raise ValueError(f"float literal {imm.value} used as {t}")
        return np.array(imm.bits & ((1 << t.bits) - 1), dtype=t.udtype).view(t.dtype)[()]
    return np.array(int(imm.value) & ((1 << t.bits) - 1), dtype=t.udtype).view(t.dtype)[()]


SPECIAL_TYPES = {"%clock64": U64, "%globaltimer": U64, "%gridid": U64}


def reader(op, t: PtxType, env: Env) -> Callable:
    """A function ``(ctx, sel) -> value of type t`` (scalar when uniform)."""
    if isinstance(op, Reg):
        rt = env.registers[op.name]
        name = op.name
        if rt.is_pred != t.is_pred:
            raise ValueError(f"register {name} is {rt}, used as {t}")
        if rt.dtype == t.dtype:
            return lambda ctx, sel: ctx.regs.read(name, sel)
        if rt.bits < t.bits and not (t.is_int and rt.is_int):
            raise ValueError(f"register {name} ({rt}) is narrower than {t}")
        return lambda ctx, sel: convert_bits(ctx.regs.read(name, sel), rt, t)
    if isinstance(op, Imm):
        value = imm_value(op, t)
        return lambda ctx, sel: value
    if isinstance(op, Not):
        inner = reader(op.operand, t, env)
        if not t.is_pred:
            raise ValueError("'!' applies to predicates only")
        return lambda ctx, sel: np.logical_not(inner(ctx, sel))
    if isinstance(op, SpecialReg):
        name = op.name
        st = SPECIAL_TYPES.get(name, U32)

        def read_special(ctx, sel):
            value = ctx.special(name)
            if isinstance(value, np.ndarray):
                value = value[sel]
            return convert_bits(value, st, t)
        return read_special
    if isinstance(op, Sym):
        address = symbol_address(op.name, env)
        value = np.array(address & ((1 << t.bits) - 1), dtype=t.udtype).view(t.dtype)[()]
        return lambda ctx, sel: value
    raise ValueError(f"operand {op} cannot be read as {t}")


def symbol_address(name: str, env: Env) -> int:
    sym = env.symbols.get(name)
    if sym is None:
        if name in env.functions:
            raise ValueError(f"function addresses ('{name}') are not supported")
        raise ValueError(f"unknown symbol '{name}'")
    return sym.address


def writer(op, t: PtxType, env: Env) -> Callable:
    """A function ``(ctx, sel, value of type t)`` storing into the operand."""
    if isinstance(op, Sink):
        return lambda ctx, sel, value: None
    if not isinstance(op, Reg):
        raise ValueError(f"cannot write to {op}")
    rt = env.registers[op.name]
    name = op.name
    if rt.is_pred != t.is_pred:
        raise ValueError(f"register {name} is {rt}, written as {t}")
    if rt.bits < t.bits:
        raise ValueError(f"register {name} ({rt}) is narrower than {t}")
    if rt.dtype == t.dtype:
        return lambda ctx, sel, value: ctx.regs.write(name, sel, value)
    return lambda ctx, sel, value: ctx.regs.write(name, sel, convert_bits(value, t, rt))


def as_array(value, dtype: np.dtype):
    """A NumPy value of exactly ``dtype`` (keeps scalars scalar)."""
    if isinstance(value, np.ndarray):
        return value if value.dtype == dtype else value.astype(dtype)
    if not isinstance(dtype, np.dtype):
        dtype = np.dtype(dtype)
    return value if type(value) is dtype.type else dtype.type(value)


def address_reader(op: Addr, space: str, env: Env) -> tuple[str, Callable]:
    """The effective state space and a ``(ctx, sel) -> u64 addresses`` function for
    a memory operand. A symbol base decides the space (call parameters, for
    instance, live in per-thread memory although accessed with ``.param``)."""
    if not isinstance(op, Addr):
        raise ValueError(f"expected an address operand [..], got {op}")
    offset = op.offset & ((1 << 64) - 1)
    if isinstance(op.base, Sym):
        sym = env.symbols.get(op.base.name)
        if sym is None:
            raise ValueError(f"unknown symbol '{op.base.name}'")
        if space == "generic":
            base = sym.address + (WINDOWS[sym.space] if sym.space in WINDOWS else 0)
            effective = "generic"
        else:
            compatible = sym.space == space or (space == "param" and sym.space == "local")
            if not compatible:
                raise ValueError(f"'{sym.name}' is a .{sym.space} variable, accessed as .{space}")
            base, effective = sym.address, sym.space
        value = np.uint64((base + offset) & ((1 << 64) - 1))
        return effective, lambda ctx, sel: value
    if op.base is None:
        value = np.uint64(offset)
        return space, lambda ctx, sel: value
    rt = env.registers[op.base.name]
    if not rt.is_int or rt.bits < 32:
        raise ValueError(f"address register {op.base.name} must be 32 or 64 bits")
    name = op.base.name
    if rt.bits == 64:
        if offset == 0:
            return space, lambda ctx, sel: ctx.regs.read(name, sel).view(np.uint64)
        off = np.uint64(offset)
        return space, lambda ctx, sel: ctx.regs.read(name, sel).view(np.uint64) + off
    off32 = np.uint64(offset)
    return space, lambda ctx, sel: (ctx.regs.read(name, sel).view(np.uint32).astype(np.uint64)
                                    + off32)
