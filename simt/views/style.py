"""Tagged text: the one description of a view that both renderings read.

A view builds lines as lists of ``(text, tag)`` pieces. ``plain`` joins the text
(the deterministic, colour-free rendering); ``rich_text`` maps each tag to a rich
style. rich is imported only inside the functions that render with it.
"""
from __future__ import annotations

from typing import Iterable

from ..ir import types as T

Piece = tuple[str, str]          # (text, tag); tag "" means unstyled
Line = list[Piece]

STYLES: dict[str, str] = {
    "type.float": "cyan",
    "type.int": "green",
    "type.uint": "yellow",
    "type.bool": "magenta",
    "type.array": "bold",        # added to the element kind's colour
    "value": "",
    "arg": "bold",
    "param": "bold black on yellow",   # block params: the phis
    "op": "bold bright_blue",
    "const": "orange1",
    "attr": "dim",
    "block": "bold magenta",
    "edge": "dim",
    "lineno": "dim",
    "source": "",
    "bytecode": "italic dim",
    "note": "dim italic",
    "heading": "bold",
    "loop": "bold red",
    "good": "bold green",
    "bad": "bold red",
    "ptx.opcode": "bright_blue",
    "ptx.directive": "dim",
    "ptx.label": "bold magenta",
}


def type_tag(type_: T.Type) -> str:
    scalar = type_.dtype if isinstance(type_, T.ArrayType) else type_
    kind = {T.ScalarKind.FLOAT: "float", T.ScalarKind.INT: "int",
            T.ScalarKind.UINT: "uint", T.ScalarKind.BOOL: "bool"}[scalar.kind]
    return f"type.{kind}" + (" type.array" if isinstance(type_, T.ArrayType) else "")


def plain(line: Iterable[Piece]) -> str:
    return "".join(text for text, _ in line)


def style_of(tag: str) -> str:
    return " ".join(STYLES.get(part, "") for part in tag.split()).strip()


def rich_text(line: Iterable[Piece]):
    """A ``rich.text.Text`` of the pieces, styled by tag."""
    from rich.text import Text

    text = Text(no_wrap=False)
    for piece, tag in line:
        text.append(piece, style=style_of(tag) or None)
    return text


def highlight_python(source: str):
    """Python source as a rich Text with syntax colours (ANSI palette, no background)."""
    from rich.syntax import Syntax

    syntax = Syntax("", "python", theme="ansi_dark", background_color="default")
    text = syntax.highlight(source)
    text.rstrip()
    text.no_wrap, text.overflow = False, "fold"
    return text


def join(pieces: list[Line], separator: Piece = (", ", "")) -> Line:
    out: Line = []
    for index, piece in enumerate(pieces):
        if index:
            out.append(separator)
        out.extend(piece)
    return out
