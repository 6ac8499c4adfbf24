"""Short, exact descriptions of kernel arguments and results for reports.

Floats print as NumPy prints scalars (shortest round-trip digits, ``-0.0``,
``nan``); arrays as statistics, or, for the sparse arrays hypothesis shrinks
to, as "all 0.0 except [3] = nan".
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np


def scalar_text(value: Any) -> str:
    if isinstance(value, (np.generic, bool, int, float)):
        return str(value)
    return repr(value)


def float_bits(value: Any) -> str:
    """The bit pattern of a NumPy float, as hex; '' for other values."""
    if isinstance(value, np.floating):
        width = value.dtype.itemsize
        bits = value.view(f"u{width}")
        return f"0x{int(bits):0{width * 2}x}"
    return ""


def index_text(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


def array_type_text(array: np.ndarray) -> str:
    return f"{array.dtype}[{', '.join(str(d) for d in array.shape)}]"


def statistics(array: np.ndarray) -> str:
    """min/max/mean (floats: of the finite values, with NaN and inf counts)."""
    if array.size == 0:
        return "empty"
    if array.dtype.kind == "b":
        return f"{int(array.sum())} true, {int(array.size - array.sum())} false"
    if array.dtype.kind in "iu":
        return (f"min {scalar_text(array.min())}  max {scalar_text(array.max())}  "
                f"mean {array.mean(dtype=np.float64):.4g}")
    finite = array[np.isfinite(array)]
    parts = []
    if finite.size:
        parts.append(f"min {scalar_text(finite.min())}  max {scalar_text(finite.max())}  "
                     f"mean {finite.mean(dtype=np.float64):.4g}")
    nans, infs = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    if nans:
        parts.append(f"{nans} nan")
    if infs:
        parts.append(f"{infs} inf")
    return "  ".join(parts)


def leading_values(array: np.ndarray, count: int = 6) -> str:
    flat = array.reshape(-1)
    shown = ", ".join(scalar_text(v) for v in flat[:count])
    return f"[{shown}{', ...' if flat.size > count else ''}]"


def sparse_text(array: np.ndarray, limit: int = 6) -> str:
    """The array as its most common value and the elements that differ from it."""
    if array.size <= limit:
        return "[" + ", ".join(scalar_text(v) for v in array.reshape(-1)) + "]"
    keys = array.reshape(-1).view(f"u{array.itemsize}") if array.dtype.kind != "b" else array.reshape(-1)
    fill_key, _ = Counter(keys.tolist()).most_common(1)[0]
    fill_position = int(np.argmax(keys == fill_key))
    fill = array.reshape(-1)[fill_position]
    others = np.argwhere((keys != fill_key).reshape(array.shape))
    if not len(others):
        return f"all {scalar_text(fill)}"
    items = [f"{index_text(tuple(int(i) for i in where))} = {scalar_text(array[tuple(where)])}"
             for where in others[:limit]]
    more = f", and {len(others) - limit} more" if len(others) > limit else ""
    return f"all {scalar_text(fill)} except {', '.join(items)}{more}"


def changed_elements(before: np.ndarray, after: np.ndarray) -> int:
    """How many elements differ bitwise (NaN payloads included)."""
    if before.dtype.kind == "b":
        return int((before != after).sum())
    width = f"u{before.itemsize}"
    return int((before.view(width) != after.view(width)).sum())
