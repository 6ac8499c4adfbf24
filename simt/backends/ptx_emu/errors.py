"""Errors raised while reading PTX text: malformed syntax, undeclared names and
instructions or modifiers outside the supported set.

Errors raised while a kernel runs (out-of-bounds access, trap, failed assert) are
``simt.ir.errors.KernelRuntimeError``; see ``diagnostics.py``.
"""
from __future__ import annotations

from simt.ir.errors import SimtError


class PtxError(SimtError):
    """PTX text the emulator cannot accept; the message names the PTX line."""

    def __init__(self, message: str, line: int | None = None, text: str | None = None):
        self.message = message
        self.line = line
        self.text = text
        head = f"PTX line {line}: {message}" if line is not None else message
        if text:
            head += f"\n    {text}"
        super().__init__(head)


class PtxSyntaxError(PtxError):
    """The text is not well-formed PTX."""


class PtxUnsupportedError(PtxError):
    """Well-formed PTX that uses an instruction, type or modifier the emulator lacks."""
