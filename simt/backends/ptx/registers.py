"""How IR scalar types live in PTX: register classes, instruction type suffixes, literals.

- bool lives in predicate registers (``%p``); in memory and kernel params it is a byte.
- int8/16 and uint8/16 live in 32-bit registers (``%r``), sign- or zero-extended: every
  op producing one re-extends (a CAST), so comparisons and widening casts can read the
  whole register. 32-bit ints use ``%r``, 64-bit ints and addresses ``%rd``.
- float16 lives in 16-bit registers (``%h``), float32 in ``%f``, float64 in ``%fd``.
Names are numbered per class in the order the emitter asks for them: deterministic.
"""
from __future__ import annotations

import struct

import numpy as np

from simt.ir import CompileError, Value
from simt.ir.types import ScalarType, float16, float32, float64

# register class: (declaration type, name prefix)
PRED, B16, B32, B64, F32, F64 = "pred", "b16", "b32", "b64", "f32", "f64"
CLASS_PREFIX = {PRED: "%p", B16: "%h", B32: "%r", B64: "%rd", F32: "%f", F64: "%fd"}


def reg_class(t: ScalarType) -> str:
    if t.is_bool:
        return PRED
    if t.is_float:
        return {16: B16, 32: F32, 64: F64}[t.bits]
    return B64 if t.bits == 64 else B32


def int_suffix(t: ScalarType) -> str:
    """s32/u32/s64/u64: the arithmetic type of an int (narrow ints compute as 32-bit)."""
    return f"{'s' if t.is_signed else 'u'}{64 if t.bits == 64 else 32}"


def bits_suffix(t: ScalarType) -> str:
    """The type for mov/selp/bitwise ops: pred, b16, b32, b64, f32, f64."""
    return reg_class(t)


def float_suffix(t: ScalarType) -> str:
    return {16: "f16", 32: "f32", 64: "f64"}[t.bits]


def memory_suffix(t: ScalarType) -> str:
    """The ld/st/param type: the exact width in memory (bool is a byte)."""
    if t.is_bool:
        return "u8"
    if t.is_float:
        return "b16" if t.bits == 16 else float_suffix(t)
    return f"{'s' if t.is_signed else 'u'}{t.bits}"


def literal(value, t: ScalarType) -> str:
    """A PTX immediate for a constant of type t (floats as exact hex bit patterns)."""
    if t.is_bool:
        return "1" if bool(value) else "0"
    if t == float32:
        return "0f%08X" % struct.unpack("<I", struct.pack("<f", float(value)))[0]
    if t == float64:
        return "0d%016X" % struct.unpack("<Q", struct.pack("<d", float(value)))[0]
    if t == float16:
        return "0x%04X" % int(np.float16(value).view(np.uint16))
    v = int(value)
    width = 64 if t.bits == 64 else 32
    if 0 <= v < 1 << 31:
        return str(v)
    return f"0x{v & ((1 << width) - 1):0{width // 4}X}"


class RegisterFile:
    """Assigns each Value a register and hands out temporaries."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {c: 0 for c in CLASS_PREFIX}
        self.of_value: dict[Value, str] = {}

    def new(self, cls: str) -> str:
        self.counts[cls] += 1
        return f"{CLASS_PREFIX[cls]}{self.counts[cls]}"

    def temp(self, t: ScalarType) -> str:
        return self.new(reg_class(t))

    def __getitem__(self, value: Value) -> str:
        reg = self.of_value.get(value)
        if reg is None:
            if not isinstance(value.type, ScalarType):
                raise CompileError(f"an array value ({value.type}) cannot live in a register")
            reg = self.of_value[value] = self.temp(value.type)
        return reg

    def alias(self, value: Value, reg: str) -> None:
        self.of_value[value] = reg

    def declarations(self) -> list[str]:
        return [f".reg .{cls} {CLASS_PREFIX[cls]}<{n + 1}>;"
                for cls, n in self.counts.items() if n]
