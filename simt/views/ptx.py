"""PTX grouped under the Python lines it came from.

The PTX backend marks the instructions of each source line with ``.loc FILE LINE
COL`` directives (``.file N "path"`` names the files). ``PtxView`` follows them:
the instructions after a ``.loc`` belong to that line until the next one; the
module header before the first ``.loc`` is its own group. The backend is imported
lazily; where it is missing or fails, the view says so instead of the PTX.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..ir.core import Function
from ..ir.errors import SimtError, TargetUnavailableError
from .source import SourceIndex, SourceText, dedent, short_path
from .style import Line, plain, rich_text

DEFAULT_ARCH = "sm_90"

_FILE = re.compile(r'^\s*\.file\s+(\d+)\s+"([^"]*)"')
_LOC = re.compile(r"^\s*\.loc\s+(\d+)\s+(\d+)(?:\s+(\d+))?")
_LABEL = re.compile(r"^\s*[$\w]+:\s*$")


class PtxUnavailable(Exception):
    """This build of simt cannot produce PTX (no backend), or a tool is missing."""


def compile_ptx(function: Function, arch: str = DEFAULT_ARCH) -> str:
    """The PTX text of ``function`` from the PTX backend.

    Raises ``PtxUnavailable`` when the backend is not there and lets a
    ``SimtError`` (the kernel uses something PTX cannot express) through.
    """
    try:
        from ..backends.ptx import compile_ptx as backend_compile
    except ImportError as exc:
        raise PtxUnavailable("the PTX backend is not available in this build of simt "
                             f"(simt.backends.ptx.compile_ptx: {exc})") from None
    try:
        return backend_compile(function, arch)
    except SimtError:
        raise
    except Exception as exc:
        raise PtxUnavailable(f"the PTX backend failed: {type(exc).__name__}: {exc}") from exc


def find_nvdisasm() -> str | None:
    """nvdisasm from $SIMT_NVDISASM, PATH, or an nvidia-* wheel's bin/ directory."""
    explicit = os.environ.get("SIMT_NVDISASM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    found = shutil.which("nvdisasm")
    if found:
        return found
    try:
        import nvidia
    except ImportError:
        return None
    for root in nvidia.__path__:
        for candidate in sorted(Path(root).glob("*/bin/nvdisasm")):
            if os.access(candidate, os.X_OK):
                return str(candidate)
    return None


def sass(ptx: str, arch: str = DEFAULT_ARCH) -> str:
    """The SASS of a PTX module: the backend's assembler makes a cubin, nvdisasm reads it."""
    tool = find_nvdisasm()
    if tool is None:
        raise PtxUnavailable("--sass needs nvdisasm (from the CUDA toolkit) on PATH, "
                             "and there is none")
    try:
        from ..backends.ptx import assemble
    except ImportError as exc:
        raise PtxUnavailable(f"the PTX backend is not available in this build of simt ({exc})") from None
    try:
        cubin = assemble(ptx, arch)
    except TargetUnavailableError as exc:
        raise PtxUnavailable(str(exc).splitlines()[0]) from None
    with tempfile.TemporaryDirectory(prefix="simt-sass-") as tmp:
        path = Path(tmp, "kernel.cubin")
        path.write_bytes(cubin)
        result = subprocess.run([tool, "-c", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise PtxUnavailable(f"nvdisasm failed: {message[0] if message else result.returncode}")
    return result.stdout


@dataclass
class PtxGroup:
    filename: str | None
    line: int | None
    source: SourceText | None = None
    instructions: list[str] = field(default_factory=list)


def group_ptx(ptx: str) -> list[PtxGroup]:
    """Split PTX text into runs of lines under the same ``.loc`` source line."""
    files: dict[str, str] = {}
    groups = [PtxGroup(None, None)]
    for raw in ptx.splitlines():
        file_match = _FILE.match(raw)
        if file_match:
            files[file_match[1]] = file_match[2]
            continue
        loc_match = _LOC.match(raw)
        if loc_match:
            key = (files.get(loc_match[1], f"file {loc_match[1]}"), int(loc_match[2]))
            current = groups[-1]
            if (current.filename, current.line) != key:
                groups.append(PtxGroup(*key))
            continue
        if raw.strip():
            groups[-1].instructions.append(raw.rstrip())
    return [g for g in groups if g.instructions]


class PtxView:
    """The PTX of a kernel under its Python lines; or why there is none."""

    def __init__(self, ptx: str | None, *, arch: str = DEFAULT_ARCH, message: str | None = None,
                 index: SourceIndex | None = None):
        self.ptx = ptx
        self.arch = arch
        self.message = message
        self.groups = group_ptx(ptx) if ptx is not None else []
        index = index or SourceIndex()
        texts = dedent([index.lookup(g.filename, g.line) if g.line is not None else None
                        for g in self.groups])
        for group, text in zip(self.groups, texts):
            group.source = text

    @classmethod
    def of(cls, function: Function, arch: str = DEFAULT_ARCH,
           index: SourceIndex | None = None) -> PtxView:
        """Compile ``function``; a missing or failing backend becomes the view's message."""
        try:
            return cls(compile_ptx(function, arch), arch=arch, index=index)
        except (PtxUnavailable, SimtError) as exc:
            return cls(None, arch=arch, message=str(exc))

    def heading(self) -> Line:
        return [(f"ptx ({self.arch})", "heading")]

    def group_heading(self, group: PtxGroup) -> Line:
        if group.line is None:
            return [("      module header", "note")]
        where: Line = [(f"{group.line:>5}  ", "lineno")]
        if group.source is None:
            return where + [(f"<{short_path(group.filename)}:{group.line}>", "note")]
        tag = "bytecode" if group.source.is_bytecode else "source"
        return where + [(group.source.text, tag)]

    @staticmethod
    def instruction_line(text: str) -> Line:
        stripped = text.strip()
        if _LABEL.match(stripped):
            return [(stripped, "ptx.label")]
        if stripped.startswith((".", "//", "{", "}")):
            return [(stripped, "ptx.directive")]
        opcode, _, rest = stripped.partition(" ")
        if opcode.startswith("@"):
            guard = opcode
            opcode, _, rest = rest.partition(" ")
            return [(guard + " ", "edge"), (opcode, "ptx.opcode"), (" " + rest if rest else "", "")]
        return [(opcode, "ptx.opcode"), (" " + rest if rest else "", "")]

    def __str__(self) -> str:
        lines = [plain(self.heading())]
        if self.ptx is None:
            return "\n".join(lines + [f"  {self.message}"])
        for group in self.groups:
            lines.append(plain(self.group_heading(group)))
            lines += [f"          {plain(self.instruction_line(i))}" for i in group.instructions]
        return "\n".join(lines)

    def __rich_console__(self, console, options):
        from rich.text import Text

        yield rich_text(self.heading())
        if self.ptx is None:
            yield Text(f"  {self.message}", style="yellow")
            return
        for group in self.groups:
            yield rich_text(self.group_heading(group))
            for instruction in group.instructions:
                yield Text("          ") + rich_text(self.instruction_line(instruction))
