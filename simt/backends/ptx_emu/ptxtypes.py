"""The fundamental PTX types (``.b32``, ``.s64``, ``.f16``, ``.pred``, ...): their
width, their kind and the NumPy dtypes that hold them.

Registers store raw bits in their declared type's dtype; an instruction reads
them as *its* type (a free NumPy view when the widths match).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PtxType:
    """One fundamental type. ``kind`` is 'b' (untyped bits), 'u', 's', 'f' or 'pred'."""

    name: str
    kind: str
    bits: int
    dtype: np.dtype

    @property
    def size(self) -> int:
        return max(1, self.bits // 8)

    @property
    def is_float(self) -> bool:
        return self.kind == "f"

    @property
    def is_signed(self) -> bool:
        return self.kind == "s"

    @property
    def is_int(self) -> bool:
        return self.kind in ("b", "u", "s")

    @property
    def is_pred(self) -> bool:
        return self.kind == "pred"

    @property
    def udtype(self) -> np.dtype:
        """Unsigned integer dtype of the same width (the raw-bits view)."""
        return UINT[self.bits] if self.kind != "pred" else np.dtype(np.bool_)

    @property
    def sdtype(self) -> np.dtype:
        return SINT[self.bits]

    def __str__(self) -> str:
        return "." + self.name


UINT = {8: np.dtype(np.uint8), 16: np.dtype(np.uint16), 32: np.dtype(np.uint32),
        64: np.dtype(np.uint64)}
SINT = {8: np.dtype(np.int8), 16: np.dtype(np.int16), 32: np.dtype(np.int32),
        64: np.dtype(np.int64)}
FLOAT = {16: np.dtype(np.float16), 32: np.dtype(np.float32), 64: np.dtype(np.float64)}


def _build() -> dict[str, PtxType]:
    table: dict[str, PtxType] = {}
    for bits in (8, 16, 32, 64):
        table[f"b{bits}"] = PtxType(f"b{bits}", "b", bits, UINT[bits])
        table[f"u{bits}"] = PtxType(f"u{bits}", "u", bits, UINT[bits])
        table[f"s{bits}"] = PtxType(f"s{bits}", "s", bits, SINT[bits])
    for bits in (16, 32, 64):
        table[f"f{bits}"] = PtxType(f"f{bits}", "f", bits, FLOAT[bits])
    table["pred"] = PtxType("pred", "pred", 1, np.dtype(np.bool_))
    return table


TYPES: dict[str, PtxType] = _build()
PRED = TYPES["pred"]
U32, S32, U64, S64, B32, B64 = (TYPES[n] for n in ("u32", "s32", "u64", "s64", "b32", "b64"))
F16, F32, F64 = TYPES["f16"], TYPES["f32"], TYPES["f64"]


def ptx_type(name: str) -> PtxType | None:
    """The type named ``name`` (with or without the leading dot), or None."""
    return TYPES.get(name.lstrip("."))
