"""Abstract interpretation of canonical bytecode into typed SSA.

The tracer walks the bytecode CFG in reverse post-order, running each block on
an abstract state (locals + stack of ``values.AbstractValue``). A block is traced
once per *version*: the structure of the state reaching it (``values.shape_key``),
so loops over constant tuples unroll and paths holding different arrays or
functions specialise. Numeric slots of the state are kept as constants while
every incoming edge agrees and become block parameters otherwise; a join whose
parameter type must widen (``s = 0`` then ``s += x[i]``) restarts the trace with
the widened type recorded, so types are found by fixed point, not guessed.
"""
from __future__ import annotations

import builtins
import heapq
import itertools
from dataclasses import dataclass, field
from types import CodeType, FunctionType
from typing import Any, Callable

import numpy as np

from .. import ir
from .. import language
from ..ir import types as T
from ..ir.core import Successor
from ..ir.errors import CompileError, SourceLoc
from ..ir.ops import Op
from . import values as V
from .bytecode import Instr, exception_ranges, normalize, unsupported_code_flags
from .cfg import CodeBlock, build_cfg
from .typing import PromotionError, SType, common_type

MAX_RESTARTS = 64
MAX_VERSIONS_PER_BLOCK = 64


class Restart(Exception):
    """A join's recorded slot types widened after it was traced: trace again."""


@dataclass
class SlotRecord:
    kind: str                   # "undef" | "const" | "param"
    const: Any = None
    stype: SType | None = None

    def same_as(self, other: SlotRecord) -> bool:
        if self.kind != other.kind or self.stype != other.stype:
            return False
        return self.kind != "const" or _same_constant(self.const, other.const)


def _same_constant(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, (float, np.floating)):
        return np.asarray(a).tobytes() == np.asarray(b).tobytes()
    return bool(a == b)


@dataclass
class TraceContext:
    """What persists across restarts of one function's trace."""

    records: dict[tuple, list[SlotRecord]] = field(default_factory=dict)
    force_join: set[int] = field(default_factory=set)


@dataclass
class State:
    locals: dict[str, V.AbstractValue]
    stack: list[V.AbstractValue]

    def copy(self) -> State:
        return State(dict(self.locals), list(self.stack))


@dataclass
class Edge:
    source: ir.Block
    successor: Successor
    slots: list[V.AbstractValue]
    loc: SourceLoc | None


@dataclass
class Version:
    cfg_index: int
    key: tuple
    block: ir.Block
    template: State                   # the state shape; numeric slots replaced on entry
    join: bool
    traced: bool = False
    entry_state: State | None = None
    pending: list[Edge] = field(default_factory=list)
    edges: int = 0


EXIT = -1     # cfg index of a device function's single exit


class FunctionTracer:
    """Traces one Python function (kernel or device) for one signature."""

    def __init__(self, pyfunc: FunctionType, arg_types: list[ir.Type], weak: list[bool],
                 is_kernel: bool, context: TraceContext, instrs: list[Instr],
                 blocks: list[CodeBlock], call_stack: tuple):
        self.pyfunc = pyfunc
        self.code: CodeType = pyfunc.__code__
        self.is_kernel = is_kernel
        self.context = context
        self.instrs = instrs
        self.cfg = blocks
        self.block_at_start = {b.start: b.index for b in blocks}
        self.instr_position = {id(ins): i for i, ins in enumerate(instrs)}
        self.call_stack = call_stack
        nargs = self.code.co_argcount
        self.arg_names = list(self.code.co_varnames[:nargs])
        self.local_names = list(self.code.co_varnames)
        self.fn = ir.Function(pyfunc.__name__, self.arg_names, arg_types, is_kernel=is_kernel,
                              loc=self._code_loc())
        self.builder = ir.Builder(self.fn)
        self.weak = weak
        self.versions: dict[tuple, Version] = {}
        self.worklist: list[tuple[int, int, tuple]] = []
        self.sequence = itertools.count()
        self.captures: list[tuple[Any, str, Any]] = []
        self.loc: SourceLoc | None = self.fn.loc
        self.result_info: tuple[list[SType], int | None] | None = None
        from .calls import CallLowering
        self.calls = CallLowering(self)

    # ----------------------------------------------------------------- driver
    def run(self) -> ir.Function:
        state = State({}, [])
        for name, value, weak in zip(self.arg_names, self.fn.args, self.weak):
            state.locals[name] = V.Array(value) if isinstance(value.type, ir.ArrayType) \
                else V.Scalar(value, weak)
        self.builder.loc = self.fn.loc
        succ = Successor(self.fn.entry, [])   # placeholder target, fixed by branch_to
        self.builder.emit(Op.BR, [], successors=[succ])
        self.branch_to(0, state, succ)
        while self.worklist:
            _, _, vkey = heapq.heappop(self.worklist)
            version = self.versions[vkey]
            if not version.traced:
                self.trace_version(version)
        self.fn.captures = self.captures
        if not self.is_kernel:
            types, structure = self.result_info or ([], 0)
            self.fn.result_types = [t.type for t in types]
            self.fn.result_weak = [t.weak for t in types]
            self.fn.result_structure = structure
        return self.fn

    def trace_version(self, version: Version) -> None:
        version.traced = True
        record = self.context.records.get((version.cfg_index, version.key))
        state = self._entry_state(version, record)
        version.entry_state = state
        for edge in version.pending:
            self._finalize_edge(version, edge, record)
        version.pending.clear()
        self.builder.set_block(version.block)
        if version.cfg_index == EXIT:
            self._emit_exit(state)
            return
        block = self.cfg[version.cfg_index]
        for index in range(block.start, block.end):
            instr = self.instrs[index]
            self.loc = self._instr_loc(instr) or self.loc
            self.builder.loc = self.loc
            handler = getattr(self, f"op_{instr.op}", None)
            if handler is None:
                raise self.error(f"the bytecode instruction {instr.op} is not supported")
            if handler(instr, state) is False:
                return                              # the handler ended the block
        # fell off the end of the block: continue with the next one
        succ = Successor(version.block, [])
        self.builder.emit(Op.BR, [], successors=[succ])
        self.branch_to(block.index + 1, state, succ)

    # ------------------------------------------------------------------ edges
    def _slots(self, state: State) -> list[V.AbstractValue]:
        out: list[V.AbstractValue] = []
        for name in self.local_names:
            out += V.leaves(state.locals.get(name, V.UNDEFINED))
        for item in state.stack:
            out += V.leaves(item)
        return out

    def _key(self, state: State) -> tuple:
        return (tuple(V.shape_key(state.locals.get(n, V.UNDEFINED)) for n in self.local_names),
                tuple(V.shape_key(s) for s in state.stack))

    def branch_to(self, cfg_index: int, state: State, successor: Successor) -> None:
        """Route the edge ``successor`` (in the current block) to a version of ``cfg_index``."""
        key = self._key(state)
        vkey = (cfg_index, key)
        slots = self._slots(state)
        version = self.versions.get(vkey)
        if version is None:
            count = sum(1 for k in self.versions if k[0] == cfg_index)
            if count >= MAX_VERSIONS_PER_BLOCK:
                raise self.error("this loop changes the kind of a variable on every iteration",
                                 hint="keep each variable's kind (number, array, tuple length) "
                                      "the same on every path")
            incoming = len(self.cfg[cfg_index].predecessors) + (cfg_index == 0) if cfg_index != EXIT else 2
            join = cfg_index in self.context.force_join or incoming != 1
            version = Version(cfg_index, key, self.fn.new_block(), state.copy(), join)
            self.versions[vkey] = version
            rpo = len(self.cfg) if cfg_index == EXIT else self.cfg[cfg_index].rpo
            heapq.heappush(self.worklist, (rpo, next(self.sequence), vkey))
        version.edges += 1
        successor.block = version.block
        edge = Edge(self.builder.block, successor, slots, self.loc)
        if not version.join:
            if version.edges > 1:
                self.context.force_join.add(cfg_index)
                raise Restart()
            version.template = state.copy()   # a direct successor inherits the state itself
            return
        changed = self._merge(vkey, slots)
        if version.traced:
            if changed:
                raise Restart()
            self._finalize_edge(version, edge, self.context.records[vkey])
        else:
            version.pending.append(edge)

    def _merge(self, vkey: tuple, slots: list[V.AbstractValue]) -> bool:
        incoming = [self._slot_record(s) for s in slots]
        old = self.context.records.get(vkey)
        if old is None:
            self.context.records[vkey] = incoming
            return True
        merged = []
        for a, b in zip(old, incoming):
            merged.append(self._join_records(a, b))
        changed = any(not m.same_as(o) for m, o in zip(merged, old))
        self.context.records[vkey] = merged
        return changed

    def _slot_record(self, slot: V.AbstractValue) -> SlotRecord:
        if isinstance(slot, V.Undefined):
            return SlotRecord("undef")
        if isinstance(slot, V.Const):
            return SlotRecord("const", slot.obj, slot.stype)
        return SlotRecord("param", None, slot.stype)

    def _join_records(self, a: SlotRecord, b: SlotRecord) -> SlotRecord:
        if a.kind == "undef":
            return b if b.kind != "const" else SlotRecord("param", None, b.stype)
        if b.kind == "undef":
            return a if a.kind != "const" else SlotRecord("param", None, a.stype)
        if a.kind == "const" and b.kind == "const" and a.same_as(b):
            return a
        try:
            stype = common_type(a.stype, b.stype)
        except PromotionError:
            raise self.error(f"a variable holds {a.stype} on one path and {b.stype} on another, "
                             "and they have no common type") from None
        return SlotRecord("param", None, stype)

    def _entry_state(self, version: Version, record: list[SlotRecord] | None) -> State:
        if not version.join:
            return version.template.copy()
        version.block.params.clear()
        slots: list[V.AbstractValue] = []
        for rec in record:
            if rec.kind == "undef":
                slots.append(V.UNDEFINED)
            elif rec.kind == "const":
                slots.append(V.Const(rec.const))
            else:
                slots.append(V.Scalar(version.block.add_param(rec.stype.type), rec.stype.weak))
        template = version.template
        locals_ = {}
        for name in self.local_names:
            value = V.rebuild(template.locals.get(name, V.UNDEFINED), slots)
            if not isinstance(value, V.Undefined):
                locals_[name] = value
        stack = [V.rebuild(item, slots) for item in template.stack]
        self._name_params(version.block, locals_)
        return State(locals_, stack)

    @staticmethod
    def _name_params(block: ir.Block, locals_: dict[str, V.AbstractValue]) -> None:
        for name, value in locals_.items():
            if isinstance(value, V.Scalar) and value.value.owner is block and value.value.name is None:
                value.value.name = name

    def _finalize_edge(self, version: Version, edge: Edge, record: list[SlotRecord]) -> None:
        """Fill in the branch arguments of ``edge`` now that the target's params are known."""
        term = edge.source.ops.pop()          # emit casts before the terminator
        saved_block, saved_loc = self.builder.block, self.builder.loc
        self.builder.set_block(edge.source)
        self.builder.loc = edge.loc
        args = []
        for rec, slot in zip(record, edge.slots):
            if rec.kind != "param":
                continue
            if isinstance(slot, V.Undefined):
                args.append(self.builder.const(0, rec.stype.type))
            else:
                args.append(self.coerce(slot, rec.stype.type))
        edge.source.ops.append(term)
        edge.successor.args = args
        self.builder.set_block(saved_block)
        self.builder.loc = saved_loc

    # ----------------------------------------------------------- scalar helpers
    def error(self, message: str, hint: str | None = None, loc: SourceLoc | None = None) -> CompileError:
        return CompileError(message, loc or self.loc, hint)

    def materialize(self, av: V.AbstractValue) -> V.Scalar:
        if isinstance(av, V.Scalar):
            return av
        if isinstance(av, V.Const) and av.is_numeric:
            stype = av.stype
            obj = av.obj
            if stype.type.is_int and stype.weak and not (-2**63 <= obj < 2**64):
                raise self.error(f"the integer {obj} does not fit in 64 bits")
            return V.Scalar(self.builder.const(obj, stype.type), stype.weak)
        raise self.error(f"expected a number here, got {describe(av)}")

    def coerce(self, av: V.AbstractValue, target: ir.ScalarType) -> ir.Value:
        """``av`` as an IR value of type ``target`` (casting if needed)."""
        if isinstance(av, V.Const) and av.is_numeric:
            # A weak float beyond the target's range becomes inf, as in NumPy (NEP 50):
            # that rounding is the meaning, not an overflow to warn about.
            with np.errstate(over="ignore"):
                return self.builder.const(av.obj, target)
        scalar = self.materialize(av)
        if scalar.value.type == target:
            return scalar.value
        return self.builder.value(Op.CAST, [scalar.value], target)

    def truth(self, av: V.AbstractValue) -> ir.Value:
        scalar = self.materialize(av)
        if scalar.value.type.is_bool:
            return scalar.value
        zero = self.builder.const(0, scalar.value.type)
        return self.builder.value(Op.NE, [scalar.value, zero], T.bool_)

    # ---------------------------------------------------------------- locations
    def _code_loc(self) -> SourceLoc:
        return SourceLoc(self.code.co_filename, self.code.co_firstlineno, None, None, None,
                         self.code.co_name)

    def _instr_loc(self, instr: Instr) -> SourceLoc | None:
        pos = instr.positions
        if pos is None or pos.lineno is None:
            return None
        return SourceLoc(self.code.co_filename, pos.lineno, pos.col_offset, pos.end_col_offset,
                         pos.end_lineno, self.code.co_name)

    def _emit_exit(self, state: State) -> None:
        (value,) = state.stack
        if isinstance(value, V.Tuple):
            items, structure = list(value.items), len(value.items)
        elif isinstance(value, V.Const) and isinstance(value.obj, tuple):
            items, structure = [V.Const(x) for x in value.obj], len(value.obj)
        elif isinstance(value, V.Const) and value.obj is None:
            items, structure = [], 0
        else:
            items, structure = [value], None
        scalars = [self.materialize(item) for item in items]
        self.result_info = ([s.stype for s in scalars], structure)
        self.builder.ret([s.value for s in scalars])


def describe(av: V.AbstractValue) -> str:
    if isinstance(av, V.Const):
        obj = av.obj
        if isinstance(obj, type):
            return f"the type {obj.__name__}"
        return f"{type(obj).__name__} {obj!r}" if not callable(obj) else f"{obj!r}"
    if isinstance(av, V.Array):
        return f"an array ({av.type})"
    if isinstance(av, V.Scalar):
        return f"a {av.stype} value"
    return type(av).__name__.lower()


from . import handlers  # noqa: E402  (installs the op_* methods)
