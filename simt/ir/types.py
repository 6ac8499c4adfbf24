"""IR types: the fixed-width scalar types of the kernel language and array types.

Types are plain machine types. Python's "weak" scalars (NEP 50) are a typing
concern of the tracer and never reach the IR: a Python int is an ``int64`` here.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np


class ScalarKind(enum.Enum):
    BOOL = "b"
    INT = "i"
    UINT = "u"
    FLOAT = "f"


@dataclass(frozen=True)
class ScalarType:
    name: str
    kind: ScalarKind
    bits: int

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.name)

    @property
    def is_bool(self) -> bool:
        return self.kind is ScalarKind.BOOL

    @property
    def is_int(self) -> bool:
        """Signed or unsigned integer (bool excluded)."""
        return self.kind in (ScalarKind.INT, ScalarKind.UINT)

    @property
    def is_signed(self) -> bool:
        return self.kind is ScalarKind.INT

    @property
    def is_float(self) -> bool:
        return self.kind is ScalarKind.FLOAT

    @property
    def nbytes(self) -> int:
        return max(1, self.bits // 8)

    def __str__(self) -> str:
        return self.name

    __repr__ = __str__


bool_ = ScalarType("bool", ScalarKind.BOOL, 8)
int8 = ScalarType("int8", ScalarKind.INT, 8)
int16 = ScalarType("int16", ScalarKind.INT, 16)
int32 = ScalarType("int32", ScalarKind.INT, 32)
int64 = ScalarType("int64", ScalarKind.INT, 64)
uint8 = ScalarType("uint8", ScalarKind.UINT, 8)
uint16 = ScalarType("uint16", ScalarKind.UINT, 16)
uint32 = ScalarType("uint32", ScalarKind.UINT, 32)
uint64 = ScalarType("uint64", ScalarKind.UINT, 64)
float16 = ScalarType("float16", ScalarKind.FLOAT, 16)
float32 = ScalarType("float32", ScalarKind.FLOAT, 32)
float64 = ScalarType("float64", ScalarKind.FLOAT, 64)

SCALAR_TYPES: tuple[ScalarType, ...] = (
    bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64,
)
_BY_DTYPE = {t.dtype: t for t in SCALAR_TYPES}


def scalar_type(dtype) -> ScalarType:
    """The ScalarType for a NumPy dtype (or anything ``np.dtype`` accepts)."""
    try:
        return _BY_DTYPE[np.dtype(dtype)]
    except (KeyError, TypeError):
        raise TypeError(f"unsupported scalar type {dtype!r}") from None


class MemorySpace(enum.Enum):
    GLOBAL = "global"
    SHARED = "shared"
    LOCAL = "local"


@dataclass(frozen=True)
class ArrayType:
    """A C-contiguous array of ``ndim`` dimensions living in ``space``."""

    dtype: ScalarType
    ndim: int
    space: MemorySpace = MemorySpace.GLOBAL

    def __str__(self) -> str:
        dims = ", ".join(":" for _ in range(self.ndim))
        prefix = "" if self.space is MemorySpace.GLOBAL else f"{self.space.value} "
        return f"{prefix}{self.dtype}[{dims}]"

    __repr__ = __str__


Type = ScalarType | ArrayType
