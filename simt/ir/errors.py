"""Source locations and the user-facing error types every stage raises.

An error that a user can cause (unsupported Python, bad arguments, an
out-of-bounds access in a kernel) is a ``SimtError``: its message names the
user's source position, shows the line with a caret, and gives a hint.
"""
from __future__ import annotations

import linecache
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLoc:
    """A position in the user's Python source (1-based line, 0-based columns)."""

    filename: str
    line: int
    col: int | None = None
    end_col: int | None = None
    end_line: int | None = None
    function: str = ""

    def __str__(self) -> str:
        col = f":{self.col + 1}" if self.col is not None else ""
        return f"{self.filename}:{self.line}{col}"

    def source_line(self) -> str | None:
        text = linecache.getline(self.filename, self.line)
        return text.rstrip("\n") if text else None

    def excerpt(self) -> str:
        """The source line with a caret under the columns, or '' without source."""
        text = self.source_line()
        if text is None:
            return ""
        out = f"    {text}"
        if self.col is not None:
            end = self.end_col if (self.end_col is not None and self.end_line in (None, self.line)) else len(text)
            width = max(1, min(end, len(text)) - self.col)
            out += "\n    " + " " * self.col + "^" * width
        return out


class SimtError(Exception):
    """Base class of every error simt raises at a user."""


class CompileError(SimtError):
    """A kernel could not be compiled: unsupported construct, bad types, ..."""

    def __init__(self, message: str, loc: SourceLoc | None = None, hint: str | None = None,
                 detail: str | None = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        self.detail = detail
        super().__init__(self.render())

    def render(self) -> str:
        parts = []
        head = f"{self.loc}: {self.message}" if self.loc else self.message
        if self.loc and self.loc.function:
            head += f" (in '{self.loc.function}')"
        parts.append(head)
        if self.loc:
            excerpt = self.loc.excerpt()
            if excerpt:
                parts.append(excerpt)
        if self.detail:
            parts.append(self.detail)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class LaunchError(SimtError):
    """Bad launch configuration or arguments (names the argument)."""


class KernelRuntimeError(SimtError):
    """A kernel did something invalid while running (out-of-bounds access, ...)."""

    def __init__(self, message: str, loc: SourceLoc | None = None, kernel: str = ""):
        self.message = message
        self.loc = loc
        self.kernel = kernel
        head = f"{loc}: " if loc else ""
        where = f" in kernel '{kernel}'" if kernel else ""
        text = f"{head}{message}{where}"
        if loc:
            excerpt = loc.excerpt()
            if excerpt:
                text += "\n" + excerpt
        super().__init__(text)


class TargetUnavailableError(SimtError):
    """The chosen target cannot run on this machine (no GPU, no driver, ...)."""
