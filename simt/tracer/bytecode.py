"""The bytecode normalizer: the ONE place where CPython versions differ.

``normalize(code)`` turns a code object into a list of canonical ``Instr`` that
the rest of the tracer reads, the same on CPython 3.11, 3.12 and 3.13:
- NULL pushes of the call protocol are dropped: ``CALL argc`` pops ``argc``
  arguments and then the callable; method loads are plain ``LOAD_ATTR``.
- superinstructions (``LOAD_FAST_LOAD_FAST``...) are split, ``TO_BOOL``,
  ``PRECALL``, ``RESUME``, ``NOP``, ``PUSH_NULL`` and cache entries disappear;
- every conditional jump is ``JUMP_IF_TRUE``/``JUMP_IF_FALSE`` (popping) or
  ``JUMP_IF_TRUE_OR_POP``/``JUMP_IF_FALSE_OR_POP``/``JUMP_IF_NONE``/``JUMP_IF_NOT_NONE``;
- ``FOR_ITER`` pops the iterator itself on exhaustion and jumps past the loop
  (3.12's ``END_FOR`` and 3.13's ``END_FOR; POP_TOP`` are folded in);
- ``BINARY_OP`` carries its operator symbol (``+``, ``//``; in-place forms
  map to the plain operator), ``COMPARE_OP`` its comparison, ``UNARY`` its kind;
- keyword names of calls ride on ``CALL`` (3.11/3.12 ``KW_NAMES``, 3.13 ``CALL_KW``).
Jump targets are indices into the canonical list. Opcodes of constructs the
kernel language does not support become ``UNSUPPORTED`` with a description.
"""
from __future__ import annotations

import dis
import sys
from dataclasses import dataclass
from types import CodeType
from typing import Any

PY312 = sys.version_info >= (3, 12)
PY313 = sys.version_info >= (3, 13)

# Opcodes that vanish: they only matter to CPython's own machinery.
DROPPED = frozenset({
    "RESUME", "NOP", "PRECALL", "PUSH_NULL", "TO_BOOL", "CACHE", "EXTENDED_ARG",
    "COPY_FREE_VARS", "MAKE_CELL",
})

# Plain renames: version-specific name -> canonical name.
RENAMED = {
    "LOAD_FAST_CHECK": "LOAD_FAST",
    "LOAD_METHOD": "LOAD_ATTR",
    "JUMP_FORWARD": "JUMP",
    "JUMP_BACKWARD": "JUMP",
    "JUMP_BACKWARD_NO_INTERRUPT": "JUMP",
    "POP_JUMP_IF_FALSE": "JUMP_IF_FALSE",
    "POP_JUMP_IF_TRUE": "JUMP_IF_TRUE",
    "POP_JUMP_FORWARD_IF_FALSE": "JUMP_IF_FALSE",
    "POP_JUMP_BACKWARD_IF_FALSE": "JUMP_IF_FALSE",
    "POP_JUMP_FORWARD_IF_TRUE": "JUMP_IF_TRUE",
    "POP_JUMP_BACKWARD_IF_TRUE": "JUMP_IF_TRUE",
    "POP_JUMP_IF_NONE": "JUMP_IF_NONE",
    "POP_JUMP_FORWARD_IF_NONE": "JUMP_IF_NONE",
    "POP_JUMP_BACKWARD_IF_NONE": "JUMP_IF_NONE",
    "POP_JUMP_IF_NOT_NONE": "JUMP_IF_NOT_NONE",
    "POP_JUMP_FORWARD_IF_NOT_NONE": "JUMP_IF_NOT_NONE",
    "POP_JUMP_BACKWARD_IF_NOT_NONE": "JUMP_IF_NOT_NONE",
    "RETURN_VALUE": "RETURN_VALUE",
}

UNARY_OPCODES = {
    "UNARY_NEGATIVE": "neg", "UNARY_POSITIVE": "pos", "UNARY_NOT": "not", "UNARY_INVERT": "invert",
}
# CALL_INTRINSIC_1 operands (3.12+) that are unary operators.
INTRINSIC_UNARY = {"INTRINSIC_UNARY_POSITIVE": "pos"}

# Kept as they are (same meaning on every supported version).
KEPT = frozenset({
    "LOAD_FAST", "STORE_FAST", "LOAD_CONST", "LOAD_GLOBAL", "LOAD_DEREF", "LOAD_ATTR",
    "COMPARE_OP", "IS_OP", "CONTAINS_OP", "BINARY_SUBSCR", "STORE_SUBSCR", "BUILD_TUPLE",
    "UNPACK_SEQUENCE", "GET_ITER", "POP_TOP", "COPY", "SWAP", "JUMP_IF_FALSE_OR_POP",
    "JUMP_IF_TRUE_OR_POP",
})

# Opcodes of unsupported constructs -> what the user wrote.
UNSUPPORTED = {
    "SETUP_FINALLY": "try/except/finally", "PUSH_EXC_INFO": "try/except/finally",
    "CHECK_EXC_MATCH": "try/except", "RERAISE": "try/except/finally", "POP_EXCEPT": "try/except",
    "BEFORE_WITH": "a 'with' statement", "SETUP_WITH": "a 'with' statement",
    "YIELD_VALUE": "generators (yield)", "RETURN_GENERATOR": "generators (yield)",
    "GET_AWAITABLE": "async code", "BEFORE_ASYNC_WITH": "async code",
    "LOAD_BUILD_CLASS": "class definitions", "MAKE_FUNCTION": "nested functions and lambdas",
    "LOAD_CLOSURE": "nested functions and lambdas",
    "BUILD_LIST": "lists", "LIST_APPEND": "lists", "LIST_EXTEND": "lists",
    "BUILD_MAP": "dicts", "BUILD_CONST_KEY_MAP": "dicts", "MAP_ADD": "dicts",
    "BUILD_SET": "sets", "SET_ADD": "sets", "SET_UPDATE": "sets",
    "BUILD_SLICE": "slices", "BINARY_SLICE": "slices", "STORE_SLICE": "slices",
    "FORMAT_VALUE": "f-strings", "FORMAT_SIMPLE": "f-strings", "FORMAT_WITH_SPEC": "f-strings",
    "BUILD_STRING": "f-strings", "CONVERT_VALUE": "f-strings",
    "IMPORT_NAME": "imports inside a kernel", "IMPORT_FROM": "imports inside a kernel",
    "RAISE_VARARGS": "raise statements", "LOAD_ASSERTION_ERROR": "assert statements",
    "STORE_GLOBAL": "assigning to a global", "DELETE_GLOBAL": "deleting a global",
    "STORE_DEREF": "assigning to a nonlocal/closure variable",
    "DELETE_FAST": "del statements", "DELETE_SUBSCR": "del statements",
    "DELETE_ATTR": "del statements", "DELETE_DEREF": "del statements",
    "STORE_ATTR": "assigning to an attribute", "CALL_FUNCTION_EX": "calls with *args or **kwargs",
    "LOAD_FAST_AND_CLEAR": "comprehensions", "UNPACK_EX": "starred unpacking",
    "DICT_MERGE": "calls with **kwargs", "DICT_UPDATE": "dicts",
    "LOAD_SUPER_ATTR": "super()", "MATCH_CLASS": "match statements",
    "MATCH_MAPPING": "match statements", "MATCH_SEQUENCE": "match statements",
    "GET_LEN": "match statements", "SETUP_ANNOTATIONS": "annotations",
    "LOAD_NAME": "module-level code", "STORE_NAME": "module-level code",
    "CALL_INTRINSIC_2": "this construct",
}


@dataclass
class Instr:
    """A canonical instruction. ``target`` is an index into the canonical list."""

    op: str
    arg: Any = None
    target: int | None = None
    offset: int = 0                 # original bytecode offset, for messages
    positions: Any = None           # dis.Positions of the original instruction
    kwnames: tuple[str, ...] = ()   # CALL only

    def __repr__(self) -> str:
        tgt = f" -> {self.target}" if self.target is not None else ""
        return f"{self.op} {self.arg!r}{tgt}"


def unsupported_code_flags(code: CodeType) -> str | None:
    """The construct a code object's flags reveal that kernels can't have, if any."""
    import inspect

    if code.co_flags & (inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR):
        return "generator functions"
    if code.co_flags & inspect.CO_COROUTINE:
        return "async functions"
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return "*args and **kwargs parameters"
    return None


def exception_ranges(code: CodeType) -> list[tuple[int, int]]:
    """Offsets covered by try blocks (3.11+ exception table)."""
    return [(e.start, e.end) for e in dis.Bytecode(code).exception_entries]


def normalize(code: CodeType) -> list[Instr]:
    raw = list(dis.get_instructions(code))
    out: list[Instr] = []
    # original offset -> index of the first canonical instruction at or after it
    index_at_offset: dict[int, int] = {}
    jumps: list[tuple[Instr, int]] = []       # (instr, original target offset)
    pending_kwnames: tuple[str, ...] = ()
    skip_pop_after_end_for = False

    def emit(op: str, ins: dis.Instruction, arg: Any = None) -> Instr:
        instr = Instr(op, arg, None, ins.offset, ins.positions)
        out.append(instr)
        return instr

    for ins in raw:
        index_at_offset.setdefault(ins.offset, len(out))
        name = ins.opname
        if name == "END_FOR":
            # FOR_ITER's exhaustion path jumps past END_FOR (and 3.13's POP_TOP).
            skip_pop_after_end_for = PY313
            continue
        if skip_pop_after_end_for:
            skip_pop_after_end_for = False
            if name == "POP_TOP":
                continue
        if name in DROPPED:
            continue
        if name == "KW_NAMES":
            pending_kwnames = tuple(code.co_consts[ins.arg])
            continue
        if name in ("CALL", "CALL_KW"):
            if name == "CALL_KW":
                # 3.13 pushes the keyword names as a constant tuple just before the call
                names = out.pop()
                assert names.op == "LOAD_CONST" and isinstance(names.arg, tuple), names
                pending_kwnames = names.arg
            instr = emit("CALL", ins, ins.arg)
            instr.kwnames, pending_kwnames = pending_kwnames, ()
            continue
        if name == "LOAD_FAST_LOAD_FAST":
            first, second = ins.argval
            emit("LOAD_FAST", ins, first)
            emit("LOAD_FAST", ins, second)
            continue
        if name == "STORE_FAST_STORE_FAST":
            first, second = ins.argval
            emit("STORE_FAST", ins, first)
            emit("STORE_FAST", ins, second)
            continue
        if name == "STORE_FAST_LOAD_FAST":
            first, second = ins.argval
            emit("STORE_FAST", ins, first)
            emit("LOAD_FAST", ins, second)
            continue
        if name == "RETURN_CONST":
            emit("LOAD_CONST", ins, ins.argval)
            emit("RETURN_VALUE", ins)
            continue
        if name == "BINARY_OP":
            symbol = ins.argrepr
            emit("BINARY_OP", ins, symbol[:-1] if symbol.endswith("=") and symbol not in ("==",) else symbol)
            continue
        if name in UNARY_OPCODES:
            emit("UNARY", ins, UNARY_OPCODES[name])
            continue
        if name == "CALL_INTRINSIC_1":
            kind = INTRINSIC_UNARY.get(ins.argrepr)
            if kind is None:
                emit("UNSUPPORTED", ins, f"this construct ({ins.argrepr})")
            else:
                emit("UNARY", ins, kind)
            continue
        if name == "COMPARE_OP":
            emit("COMPARE_OP", ins, ins.argval if isinstance(ins.argval, str) else ins.argrepr)
            continue
        if name == "FOR_ITER":
            instr = emit("FOR_ITER", ins)
            jumps.append((instr, ins.argval))
            continue
        canonical = RENAMED.get(name, name if name in KEPT else None)
        if canonical is not None:
            instr = emit(canonical, ins, ins.argval if canonical != "JUMP" and "JUMP" not in canonical else None)
            if "JUMP" in canonical:
                jumps.append((instr, ins.argval))
            elif canonical == "LOAD_GLOBAL" or canonical == "LOAD_ATTR":
                instr.arg = ins.argval
            continue
        if name == "RETURN_VALUE":
            emit("RETURN_VALUE", ins)
            continue
        emit("UNSUPPORTED", ins, UNSUPPORTED.get(name, f"the bytecode instruction {name}"))

    end = len(out)
    for instr, offset in jumps:
        instr.target = _resolve(index_at_offset, offset, end)
    return out


def _resolve(index_at_offset: dict[int, int], offset: int, end: int) -> int:
    if offset in index_at_offset:
        return index_at_offset[offset]
    later = [o for o in index_at_offset if o > offset]
    return index_at_offset[min(later)] if later else end
