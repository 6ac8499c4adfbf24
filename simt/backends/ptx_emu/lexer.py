"""Tokenizer for PTX text: words (opcodes with their modifiers, directives,
registers, names), numbers in every PTX notation, strings and punctuation, each
with its line number and character span. Comments are dropped.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from .errors import PtxSyntaxError

WORD, INT, FLOAT, STRING, PUNCT, EOF = "word", "int", "float", "string", "punct", "eof"


@dataclass(frozen=True)
class Token:
    kind: str
    value: object   # str for words/punct/strings, int for INT, Float for FLOAT
    line: int
    start: int      # character offsets into the source text
    end: int


@dataclass(frozen=True)
class FloatLit:
    """A floating-point literal. ``bits`` is set for the exact hex forms
    (``0f3F800000`` is f32, ``0d3FF0000000000000`` is f64); decimal literals are
    PTX doubles."""

    value: float
    width: int            # 32 or 64
    bits: int | None = None


_TOKEN_RE = re.compile(r"""
    (?P<ws>[ \t\r\f\v]+)
  | (?P<nl>\n)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<fhex>0[fF][0-9a-fA-F]{8}(?![0-9a-zA-Z_]))
  | (?P<dhex>0[dD][0-9a-fA-F]{16}(?![0-9a-zA-Z_]))
  | (?P<dec_float>(?:[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)(?![0-9a-zA-Z_]))
  | (?P<hex>0[xX][0-9a-fA-F]+U?)
  | (?P<bin>0[bB][01]+U?)
  | (?P<oct>0[0-7]+U?)
  | (?P<dec>[0-9]+U?)
  | (?P<word>[A-Za-z_$%.][A-Za-z0-9_$.]*(?:::[A-Za-z0-9_$.]+)*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<punct>[,;:\[\]{}()+\-!|@<>=*/~&^])
""", re.VERBOSE | re.DOTALL)


def _float_from_bits(bits: int, width: int) -> float:
    if width == 32:
        return struct.unpack("<f", struct.pack("<I", bits))[0]
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text`` followed by an EOF token."""
    tokens: list[Token] = []
    line = 1
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise PtxSyntaxError(f"unexpected character {text[pos]!r}", line)
        kind = m.lastgroup
        s = m.group()
        start, pos = pos, m.end()
        if kind == "nl":
            line += 1
        elif kind in ("ws", "lcomment"):
            pass
        elif kind == "bcomment":
            line += s.count("\n")
        elif kind == "fhex":
            bits = int(s[2:], 16)
            tokens.append(Token(FLOAT, FloatLit(_float_from_bits(bits, 32), 32, bits), line, start, pos))
        elif kind == "dhex":
            bits = int(s[2:], 16)
            tokens.append(Token(FLOAT, FloatLit(_float_from_bits(bits, 64), 64, bits), line, start, pos))
        elif kind == "dec_float":
            tokens.append(Token(FLOAT, FloatLit(float(s), 64), line, start, pos))
        elif kind in ("hex", "bin", "oct", "dec"):
            digits = s.rstrip("U")
            base = {"hex": 16, "bin": 2, "oct": 8, "dec": 10}[kind]
            if kind in ("hex", "bin"):
                digits = digits[2:]
            tokens.append(Token(INT, int(digits, base), line, start, pos))
        elif kind == "string":
            tokens.append(Token(STRING, _unescape(s[1:-1]), line, start, pos))
        else:
            tokens.append(Token(WORD if kind == "word" else PUNCT, s, line, start, pos))
    tokens.append(Token(EOF, "", line, n, n))
    return tokens


def _unescape(body: str) -> str:
    return bytes(body, "utf-8").decode("unicode_escape") if "\\" in body else body
