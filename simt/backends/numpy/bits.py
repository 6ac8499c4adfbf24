"""POPC, CLZ, FFS and BREV: bit operations on the two's-complement pattern of an
integer of the operand's own width (8 to 64 bits).

- ``popc(x)``: the number of set bits (int32);
- ``clz(x)``: the number of leading zero bits, the width for 0 (int32);
- ``ffs(x)``: the 1-based position of the lowest set bit, 0 for 0 (int32);
- ``brev(x)``: the bits in reverse order, in x's own type.

They are pure elementwise functions in ``ELEMENTWISE`` (operands are arrays or
scalars), so constant folding uses them too.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from simt.ir.types import ScalarType

_REVERSED_BYTE = np.array([int(f"{b:08b}"[::-1], 2) for b in range(256)], dtype=np.uint8)


def _unsigned(x: Any) -> np.ndarray:
    x = np.asarray(x)
    return x.view(np.dtype(f"u{x.dtype.itemsize}"))


def popc(result_type: ScalarType, attrs: Mapping, x: Any) -> Any:
    return np.bitwise_count(_unsigned(x)).astype(np.int32)


def clz(result_type: ScalarType, attrs: Mapping, x: Any) -> Any:
    u = _unsigned(x).copy()
    shift = 1
    while shift < u.dtype.itemsize * 8:        # smear the highest set bit downwards
        u |= u >> u.dtype.type(shift)
        shift *= 2
    return (u.dtype.itemsize * 8 - np.bitwise_count(u).astype(np.int32)).astype(np.int32)


def ffs(result_type: ScalarType, attrs: Mapping, x: Any) -> Any:
    u = _unsigned(x)
    below = u ^ (u - u.dtype.type(1))          # the lowest set bit and every bit under it
    return np.where(u == 0, np.int32(0), np.bitwise_count(below).astype(np.int32)).astype(np.int32)


def brev(result_type: ScalarType, attrs: Mapping, x: Any) -> Any:
    x = np.asarray(x)
    wide = np.ascontiguousarray(x.reshape(-1))
    size = x.dtype.itemsize
    as_bytes = _REVERSED_BYTE[wide.view(np.uint8).reshape(-1, size)]
    # Reversing the bits of each byte and the order of the bytes reverses the value;
    # the byte order of the machine does not matter (both orders are reversed).
    reversed_bytes = np.ascontiguousarray(as_bytes[:, ::-1])
    return reversed_bytes.view(x.dtype).reshape(x.shape)
