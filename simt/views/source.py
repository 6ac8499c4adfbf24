"""The Python text behind an op's ``loc``: the source line, or its bytecode.

``SourceIndex`` answers ``(filename, line) -> text`` from ``linecache``; where the
source is unavailable (a function built by ``exec``, a deleted file) it lists the
bytecode instructions CPython compiled for that line instead, from the kernel's
code object and the code of the device functions it calls.
"""
from __future__ import annotations

import dis
import linecache
import os
from dataclasses import dataclass
from types import CodeType, FunctionType
from typing import Any, Iterable

_SKIPPED_OPCODES = {"CACHE", "RESUME", "NOP", "EXTENDED_ARG"}


@dataclass(frozen=True)
class SourceText:
    """What a line shows: source text, or bytecode when ``is_bytecode``."""

    text: str
    is_bytecode: bool = False


def short_path(filename: str) -> str:
    """A file name as views print it: its base name (keeps dumps machine-independent)."""
    return os.path.basename(filename) or filename


def python_functions(root: FunctionType | None) -> list[FunctionType]:
    """``root`` and the device functions it reaches through globals and closures."""
    found: list[FunctionType] = []
    pending = [root] if root is not None else []
    while pending:
        function = pending.pop()
        if function in found:
            continue
        found.append(function)
        for value in _referenced_values(function):
            inner = _simt_function_of(value)
            if inner is not None and inner not in found:
                pending.append(inner)
    return found


def _referenced_values(function: FunctionType) -> Iterable[Any]:
    names = set()
    codes = [function.__code__]
    while codes:
        code = codes.pop()
        names |= set(code.co_names)
        codes.extend(c for c in code.co_consts if isinstance(c, CodeType))
    for name in sorted(names):
        if name in function.__globals__:
            yield function.__globals__[name]
    for cell in function.__closure__ or ():
        try:
            yield cell.cell_contents
        except ValueError:
            continue


def _simt_function_of(value: Any) -> FunctionType | None:
    try:
        inner = getattr(value, "__simt_function__", None)
    except Exception:   # an arbitrary global's __getattr__ may raise anything
        return None
    return inner if isinstance(inner, FunctionType) else None


class SourceIndex:
    """Source lines by ``(filename, line)``, with a bytecode fallback."""

    def __init__(self, functions: Iterable[FunctionType] = ()):
        self._bytecode: dict[tuple[str, int], list[str]] = {}
        for function in functions:
            self._add_code(function.__code__)

    def _add_code(self, code: CodeType) -> None:
        for line, text in _instructions(code):
            self._bytecode.setdefault((code.co_filename, line), []).append(text)
        for const in code.co_consts:
            if isinstance(const, CodeType):
                self._add_code(const)

    def lookup(self, filename: str, line: int) -> SourceText | None:
        text = linecache.getline(filename, line)
        if text.strip():
            return SourceText(text.rstrip("\r\n"))
        instrs = self._bytecode.get((filename, line))
        if instrs:
            return SourceText("; ".join(instrs), is_bytecode=True)
        return None


def _instructions(code: CodeType) -> Iterable[tuple[int, str]]:
    """(line, text) of each instruction: the tracer's canonical, version-neutral bytecode,
    or CPython's own where the normalizer refuses the code."""
    from ..tracer.bytecode import normalize

    try:
        instrs = normalize(code)
    except Exception:
        for instr in dis.get_instructions(code):
            line = instr.positions.lineno if instr.positions else None
            if line is not None and instr.opname not in _SKIPPED_OPCODES:
                yield line, instr.opname + (f" {instr.argrepr}" if instr.argrepr else "")
        return
    for instr in instrs:
        line = instr.positions.lineno if instr.positions else None
        if line is None:
            continue
        arg = f" {instr.arg!r}" if instr.op == "LOAD_CONST" else (
            "" if instr.arg is None else f" {instr.arg}")
        target = "" if instr.target is None else f" -> {instr.target}"
        yield line, f"{instr.op}{arg}{target}"


def dedent(texts: list[SourceText | None]) -> list[SourceText | None]:
    """Remove the indentation the shown source lines share (bytecode is left alone)."""
    indents = [len(t.text) - len(t.text.lstrip()) for t in texts
               if t is not None and not t.is_bytecode]
    cut = min(indents, default=0)
    return [t if t is None or t.is_bytecode else SourceText(t.text[cut:].rstrip())
            for t in texts]
