"""Flattening one entry of a module into an executable ``Program``.

* Calls to ``.func``s are inlined: each call site gets a copy of the callee with
  registers, labels and per-call variables renamed (``%r1~3``), parameters bound
  to the caller's argument variables, and ``ret`` turned into a branch to the
  end of the copy. Recursion is rejected. Calls to ``vprintf`` and
  ``__assertfail`` become native pseudo-instructions.
* Variables get addresses: module ``.global``s one region each, ``.const`` in a
  constant bank, ``.shared`` statics then dynamic (``.extern``) shared memory,
  ``.local`` variables and call parameters in per-thread local memory, kernel
  parameters in the parameter space.
* Every instruction is lowered to a ``Step`` (unknown ones are rejected here,
  before anything runs) and labels are resolved to step indices.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .errors import PtxError, PtxUnsupportedError
from .liveness import Liveness
from .lowering import BRANCH, Env, Step, Symbol, lower
from .memory import GLOBAL_BASE, REGION_SHIFT
from .module import (Addr, ArgList, Function, Instruction, Label, Module, Not, Pair, Reg, Sym,
                     VarDecl, Vec)
from .ops.integer import CARRY
from .ptxtypes import U32, ptx_type

NATIVE_FUNCTIONS = ("vprintf", "__assertfail")


@dataclass
class GlobalVar:
    symbol: Symbol
    image: bytes


@dataclass
class Program:
    """A kernel ready to run."""
    name: str
    steps: list[Step]
    registers: dict
    params: list[Symbol]
    param_size: int
    globals: list[GlobalVar]
    const_image: bytes
    shared_static: int
    dynamic_shared_offset: int
    local_size: int
    files: dict[int, str] = field(default_factory=dict)
    liveness: Liveness | None = None


def _align(value: int, alignment: int) -> int:
    return -(-value // max(alignment, 1)) * max(alignment, 1)


def initial_image(decl: VarDecl) -> bytes:
    """The bytes of a variable's initializer (zeros without one)."""
    size = decl.size
    if not decl.init:
        return bytes(size)
    t = decl.type
    if t.is_float:
        values = np.array(decl.init, dtype=np.float64).astype(t.dtype)
    else:
        mask = (1 << t.bits) - 1
        values = np.array([int(v) & mask for v in decl.init], dtype=t.udtype)
    data = values.tobytes()[:size]
    return data + bytes(size - len(data))


class _Linker:
    def __init__(self, module: Module, entry: Function):
        self.module = module
        self.entry = entry
        self.registers: dict = {CARRY: U32}
        self.symbols: dict[str, Symbol] = {}
        self.out: list[Instruction | Label] = []
        self.instances = 0
        self.shared_size = 0
        self.local_size = 0
        self.const_image = bytearray()
        self.globals: list[GlobalVar] = []
        self.dynamic_shared: list[VarDecl] = []

    # --- layout -------------------------------------------------------------
    def place(self, decl: VarDecl, name: str) -> None:
        if decl.space == "global":
            index = len(self.globals)
            sym = Symbol(name, "global", GLOBAL_BASE + (index << REGION_SHIFT), decl.size,
                         decl.type)
            self.globals.append(GlobalVar(sym, initial_image(decl)))
        elif decl.space == "const":
            offset = _align(len(self.const_image), decl.align)
            self.const_image.extend(bytes(offset - len(self.const_image)))
            self.const_image.extend(initial_image(decl))
            sym = Symbol(name, "const", offset, decl.size, decl.type)
        elif decl.space == "shared":
            if decl.extern or None in decl.dims:
                self.dynamic_shared.append(decl)
                sym = Symbol(name, "shared", -1, 0, decl.type)
            else:
                offset = _align(self.shared_size, decl.align)
                self.shared_size = offset + decl.size
                sym = Symbol(name, "shared", offset, decl.size, decl.type)
        elif decl.space in ("local", "param"):
            offset = _align(self.local_size, decl.align)
            self.local_size = offset + decl.size
            sym = Symbol(name, "local", offset, decl.size, decl.type)
        else:
            raise PtxError(f"unknown state space .{decl.space}", decl.line)
        self.symbols[name] = sym

    def slot(self, name: str, decl: VarDecl) -> str:
        """A fresh per-thread slot (a call argument passed as a register)."""
        self.place(replace(decl, space="param", init=None), name)
        return name

    # --- flattening -----------------------------------------------------------
    def link(self) -> tuple[list[Symbol], int, int]:
        for decl in self.module.variables:
            self.place(decl, decl.name)
        params: list[Symbol] = []
        offset = 0
        for decl in self.entry.params:
            offset = _align(offset, decl.align)
            sym = Symbol(decl.name, "param", offset, decl.size, decl.type)
            self.symbols[decl.name] = sym
            params.append(sym)
            offset += decl.size
        self.expand(self.entry, "", {}, [self.entry.name], None)
        dynamic_offset = _align(self.shared_size, max([16] + [d.align for d in self.dynamic_shared]))
        for decl in self.dynamic_shared:
            for sym in self.symbols.values():
                if sym.space == "shared" and sym.address == -1:
                    sym.address = dynamic_offset
        return params, offset, dynamic_offset

    def expand(self, func: Function, suffix: str, bindings: dict[str, str], stack: list[str],
               return_label: str | None) -> None:
        if func.body is None:
            raise PtxUnsupportedError(f"function '{func.name}' is declared but not defined",
                                      func.line)
        for reg, t in func.registers.items():
            self.registers[reg + suffix] = t
        names: dict[str, str] = dict(bindings)
        for decl in func.variables:
            if decl.space in ("shared", "global", "const"):
                # one instance per function, shared by all of its inlined copies
                name = decl.name if func is self.entry else f"{decl.name}@{func.name}"
            else:
                name = decl.name + suffix
            names[decl.name] = name
            if name not in self.symbols:
                self.place(decl, name)
        labels = {s.name for s in func.body if isinstance(s, Label)}
        for label in labels:
            names[label] = label + suffix

        def rename(op):
            if isinstance(op, Reg):
                return Reg(op.name + suffix)
            if isinstance(op, Sym):
                return Sym(names.get(op.name, op.name))
            if isinstance(op, Addr):
                return Addr(rename(op.base) if op.base is not None else None, op.offset)
            if isinstance(op, Vec):
                return Vec(tuple(rename(i) for i in op.items))
            if isinstance(op, ArgList):
                return ArgList(tuple(rename(i) for i in op.items))
            if isinstance(op, Not):
                return Not(rename(op.operand))
            if isinstance(op, Pair):
                return Pair(rename(op.first), rename(op.second))
            return op

        for stmt in func.body:
            if isinstance(stmt, Label):
                self.out.append(Label(stmt.name + suffix, stmt.line))
                continue
            ins = replace(stmt, operands=[rename(o) for o in stmt.operands],
                          guard=rename(stmt.guard) if stmt.guard is not None else None)
            if ins.opcode == "call":
                self.call(ins, stack)
            elif ins.opcode == "ret" and return_label is not None:
                self.out.append(replace(ins, opcode="bra", mods=(), operands=[Sym(return_label)]))
            else:
                self.out.append(ins)

    def call(self, ins: Instruction, stack: list[str]) -> None:
        ops = list(ins.operands)
        rets = ops.pop(0).items if ops and isinstance(ops[0], ArgList) else ()
        if not ops or not isinstance(ops[0], Sym):
            raise PtxUnsupportedError("indirect calls (through a register) are not supported",
                                      ins.line, ins.text)
        target = ops.pop(0).name
        args = ops.pop(0).items if ops and isinstance(ops[0], ArgList) else ()
        if ops:
            raise PtxUnsupportedError("calls with a prototype are not supported", ins.line,
                                      ins.text)
        self.instances += 1
        tag = self.instances
        skip = None
        if ins.guard is not None:
            skip = f"$skip~{tag}"
            negated = ins.guard.operand if isinstance(ins.guard, Not) else Not(ins.guard)
            self.out.append(replace(ins, opcode="bra", mods=(), operands=[Sym(skip)],
                                    guard=negated))
        if target in NATIVE_FUNCTIONS:
            self.out.append(replace(ins, opcode="native", mods=(target,), guard=None,
                                    operands=[ArgList(tuple(rets)), ArgList(tuple(args))]))
        else:
            callee = self.module.functions.get(target)
            if callee is None:
                raise PtxUnsupportedError(f"call to unknown function '{target}'", ins.line,
                                          ins.text)
            if target in stack:
                raise PtxUnsupportedError(f"recursive call to '{target}' is not supported",
                                          ins.line, ins.text)
            if len(args) != len(callee.params) or len(rets) != len(callee.returns):
                raise PtxError(f"call to '{target}' with {len(args)} arguments and "
                               f"{len(rets)} results; it takes {len(callee.params)} and "
                               f"returns {len(callee.returns)}", ins.line, ins.text)
            suffix = f"~{tag}"
            bindings: dict[str, str] = {}
            after: list[Instruction] = []
            for decl, arg in zip(callee.params, args):
                bindings[decl.name] = self.bind(decl, arg, suffix, ins, before=True)
            for decl, ret in zip(callee.returns, rets):
                bindings[decl.name] = self.bind(decl, ret, suffix, ins, before=False, after=after)
            end = f"$return~{tag}"
            self.expand(callee, suffix, bindings, stack + [target], end)
            self.out.append(Label(end, ins.line))
            self.out.extend(after)
        if skip is not None:
            self.out.append(Label(skip, ins.line))

    def bind(self, decl: VarDecl, actual, suffix: str, ins: Instruction, before: bool,
             after: list | None = None) -> str:
        """The caller-side variable that holds parameter ``decl``."""
        if isinstance(actual, Sym) and actual.name in self.symbols:
            return actual.name
        slot = self.slot(decl.name + suffix, decl)
        bits = ptx_type(f"b{decl.type.bits}") if decl.type.bits >= 8 else decl.type
        if before:
            self.out.append(replace(ins, opcode="st", mods=("param", bits.name), guard=None,
                                    operands=[Addr(Sym(slot), 0), actual]))
        else:
            after.append(replace(ins, opcode="ld", mods=("param", bits.name), guard=None,
                                 operands=[actual, Addr(Sym(slot), 0)]))
        return slot


def link(module: Module, entry: str | None) -> Program:
    """The runnable program of kernel ``entry`` (the only entry when None)."""
    entries = module.entries
    if entry is None:
        if len(entries) != 1:
            names = ", ".join(f.name for f in entries) or "none"
            raise PtxError(f"the module has {len(entries)} kernels ({names}); name one")
        func = entries[0]
    else:
        func = module.functions.get(entry)
        if func is None or not func.is_entry:
            names = ", ".join(f.name for f in entries) or "none"
            raise PtxError(f"no kernel '{entry}' in the module (kernels: {names})")
    linker = _Linker(module, func)
    params, param_size, dynamic_offset = linker.link()
    env = Env(linker.registers, linker.symbols,
              {name for name in module.functions})
    steps: list[Step] = []
    labels: dict[str, int] = {}
    for stmt in linker.out:
        if isinstance(stmt, Label):
            labels[stmt.name] = len(steps)
        else:
            steps.append(lower(stmt, env))
    for step in steps:
        if step.kind == BRANCH:
            if step.label not in labels:
                raise PtxError(f"unknown label '{step.label}'", step.ins.line, step.ins.text)
            step.target = labels[step.label]
    return Program(func.name, steps, linker.registers, params, param_size, linker.globals,
                   bytes(linker.const_image), linker.shared_size, dynamic_offset,
                   linker.local_size,
                   dict(module.files), Liveness(steps, linker.registers))

