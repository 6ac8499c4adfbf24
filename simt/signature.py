"""Kernel signatures written as text, and inputs made for them.

``parse_signature("float32, float32[:], int64=50, float64[64, 96]")`` gives one
``Param`` per kernel argument. An item is

- a scalar type: ``bool``, ``int8`` .. ``int64``, ``uint8`` .. ``uint64``,
  ``float16``/``float32``/``float64`` (NumPy scalars; NumPy short names such as
  ``f4`` work too), or ``int``/``float`` for a Python scalar (weak under NEP 50);
  optionally pinned to a value: ``int64=50``, ``float=0.5``;
- an array: ``float32[:]``, ``int32[:, :]`` (its shape follows the launch: one
  element per thread along each axis, axis 0 of the array being the launch's
  slowest axis) or a concrete shape ``float32[100]``, ``float32[64, 96]``.

``random_arguments`` makes a reproducible random launch of a signature (``simt
run``); ``argument_strategy`` draws arguments with hypothesis (``simt check``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .dispatcher import ArgSpec
from .ir import types as T

# Integer scalars are drawn from a small range: they are often loop bounds or sizes.
SCALAR_INT_RANGE = (-100, 100)

_ITEM = re.compile(r"""^\s*(?P<type>[A-Za-z_][\w.]*)\s*
                       (?:\[(?P<dims>[^\]]*)\])?\s*
                       (?:=\s*(?P<value>\S.*?))?\s*$""", re.VERBOSE)
_SCALAR_NAMES = "bool, int8..int64, uint8..uint64, float16, float32, float64, int, float"


class SignatureError(ValueError):
    """A signature that cannot be read; the message is one line."""


@dataclass(frozen=True)
class Param:
    """One kernel argument of a signature."""

    spec: ArgSpec
    text: str                                # the item as written
    shape: tuple[int, ...] | None = None     # a concrete array shape; None: from the launch
    value: Any = None                        # a pinned scalar value, or None

    @property
    def is_array(self) -> bool:
        return isinstance(self.spec.type, T.ArrayType)

    @property
    def dtype(self) -> np.dtype:
        kind = self.spec.type.dtype if self.is_array else self.spec.type
        return kind.dtype

    def describe(self) -> str:
        """The type as the IR prints it, with ``int``/``float`` for Python scalars."""
        if self.spec.weak:
            return {"int64": "int", "float64": "float", "bool": "bool"}[str(self.spec.type)]
        return str(self.spec.type)


def parse_signature(text: str) -> list[Param]:
    """The params of a comma-separated signature (commas inside ``[...]`` do not split)."""
    items = _split_items(text)
    if not items:
        raise SignatureError("the signature is empty; write one type per kernel argument, "
                             "e.g. \"float32, float32[:]\"")
    return [_parse_item(item) for item in items]


def _split_items(text: str) -> list[str]:
    items, depth, current = [], 0, []
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise SignatureError(f"unbalanced ']' in signature {text!r}")
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth:
        raise SignatureError(f"unbalanced '[' in signature {text!r}")
    items.append("".join(current))
    if len(items) == 1 and not items[0].strip():
        return []
    for item in items:
        if not item.strip():
            raise SignatureError(f"empty item in signature {text!r}")
    return [item.strip() for item in items]


def _parse_item(item: str) -> Param:
    match = _ITEM.match(item)
    if not match:
        raise SignatureError(f"cannot read {item!r}: write a type such as float32, "
                             "float32[:] or int64=10")
    name, dims, value_text = match["type"], match["dims"], match["value"]
    weak = name in ("int", "float")
    if weak and dims is not None:
        raise SignatureError(f"{item!r}: arrays need a NumPy element type (e.g. int64[:], "
                             "float64[:]), not a Python one")
    scalar = T.int64 if name == "int" else T.float64 if name == "float" else _scalar_type(name, item)
    if dims is None:
        spec = ArgSpec(scalar, weak)
        value = None if value_text is None else _scalar_value(value_text, spec, item)
        return Param(spec, item, None, value)
    if value_text is not None:
        raise SignatureError(f"{item!r}: only scalars can be given a value")
    ndim, shape = _parse_dims(dims, item)
    return Param(ArgSpec(T.ArrayType(scalar, ndim), False), item, shape)


def _scalar_type(name: str, item: str) -> T.ScalarType:
    bare = name[3:] if name.startswith("np.") else name
    try:
        return T.scalar_type(np.dtype(bare))
    except TypeError:
        raise SignatureError(f"{item!r}: unknown type '{name}' (use {_SCALAR_NAMES})") from None


def _parse_dims(dims: str, item: str) -> tuple[int, tuple[int, ...] | None]:
    parts = [p.strip() for p in dims.split(",")]
    if parts and all(p == ":" for p in parts):
        shape = None
    elif all(p.isdigit() and int(p) > 0 for p in parts):
        shape = tuple(int(p) for p in parts)
    else:
        raise SignatureError(f"{item!r}: write array dimensions as [:], [:, :] or a shape "
                             "such as [64, 96] (not a mix)")
    if not 1 <= len(parts) <= 3:
        raise SignatureError(f"{item!r}: arrays have 1 to 3 dimensions, not {len(parts)}")
    return len(parts), shape


def _scalar_value(text: str, spec: ArgSpec, item: str) -> Any:
    scalar: T.ScalarType = spec.type
    lowered = text.lower()
    try:
        if scalar.is_bool:
            if lowered not in ("true", "false", "1", "0"):
                raise ValueError(text)
            value: Any = lowered in ("true", "1")
        elif scalar.is_int:
            value = int(text, 0)
        else:
            value = float(text)
    except ValueError:
        raise SignatureError(f"{item!r}: {text!r} is not a valid {scalar} value") from None
    if scalar.is_int:
        info = np.iinfo(scalar.dtype)
        if not info.min <= value <= info.max:
            raise SignatureError(f"{item!r}: {value} does not fit in {scalar}")
    return value if spec.weak else scalar.dtype.type(value)


# ------------------------------------------------------------------ launches
def parse_dims(text: str, what: str) -> tuple[int, ...]:
    """``"4"``, ``"4,2"``, ``"4x2"`` or ``"(4, 2)"`` -> a tuple of 1 to 3 positive ints."""
    parts = [p for p in re.split(r"[,x\s]+", text.strip().strip("()")) if p]
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise SignatureError(f"the {what} must be 1 to 3 positive ints such as 4, 4,2 or 16x16; "
                             f"got {text!r}")
    return tuple(int(p) for p in parts)


def _dim3(dims: int | Sequence[int]) -> tuple[int, int, int]:
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return tuple(dims) + (1,) * (3 - len(dims))


def array_shape(param: Param, grid: int | Sequence[int], block: int | Sequence[int]) -> tuple[int, ...]:
    """The array's shape: as written, or one element per thread of the launch per axis.

    Axis 0 of a 2-D array follows the launch's y axis and axis 1 its x axis, as in
    ``row, col = ...; col, row = simt.grid(2)``-style kernels (x fastest).
    """
    if param.shape is not None:
        return param.shape
    threads = [g * b for g, b in zip(_dim3(grid), _dim3(block))]   # x, y, z
    ndim = param.spec.type.ndim
    return tuple(reversed(threads[:ndim]))


def check_arity(params: Sequence[Param], kernel_name: str, arg_names: Sequence[str]) -> None:
    if len(params) != len(arg_names):
        raise SignatureError(f"{kernel_name}() takes {len(arg_names)} arguments "
                             f"({', '.join(arg_names)}); the signature gives {len(params)}")


def random_arguments(params: Sequence[Param], grid, block, seed: int = 0) -> list[Any]:
    """Reproducible random arguments: floats in [-1, 1), ints in [-100, 100) (unsigned
    [0, 100)), bools fair; scalars likewise unless pinned."""
    rng = np.random.default_rng(seed)
    return [_random_value(p, array_shape(p, grid, block) if p.is_array else (), rng)
            for p in params]


def _random_value(param: Param, shape: tuple[int, ...], rng: np.random.Generator) -> Any:
    if param.value is not None:
        return param.value
    dtype = param.dtype
    if dtype.kind == "b":
        values = rng.random(shape) < 0.5
    elif dtype.kind == "f":
        values = rng.uniform(-1.0, 1.0, shape)
    else:
        low = 0 if dtype.kind == "u" else -100
        values = rng.integers(low, 100, shape)
    values = np.asarray(values).astype(dtype)
    if param.is_array:
        return np.ascontiguousarray(values)
    return _python_scalar(values[()], param) if param.spec.weak else values[()]


def _python_scalar(value: np.generic, param: Param) -> Any:
    return {"b": bool, "i": int, "u": int, "f": float}[param.dtype.kind](value)


def argument_strategy(params: Sequence[Param], grid, block):
    """A hypothesis strategy of argument lists for the signature.

    Float elements range over all floats (NaN, infinities, -0.0, subnormals);
    integer array elements over the whole type with its edge values favoured;
    integer scalars over [-100, 100] (they are often loop bounds); pinned scalars
    keep their value.
    """
    from hypothesis import strategies as st

    return st.tuples(*(_param_strategy(p, grid, block) for p in params)).map(list)


def _param_strategy(param: Param, grid, block):
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    if param.value is not None:
        return st.just(param.value)
    dtype = param.dtype
    if param.is_array:
        return hnp.arrays(dtype, array_shape(param, grid, block), elements=_elements(dtype, True))
    elements = _elements(dtype, False)
    if param.spec.weak:
        return elements.map(lambda v: _python_scalar(dtype.type(v), param))
    return elements.map(dtype.type)


def _elements(dtype: np.dtype, in_array: bool):
    from hypothesis import strategies as st

    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind == "f":
        return st.floats(width=dtype.itemsize * 8)
    info = np.iinfo(dtype)
    if not in_array:
        low, high = max(info.min, SCALAR_INT_RANGE[0]), min(info.max, SCALAR_INT_RANGE[1])
        return st.integers(low, high)
    edges = sorted({v for v in (0, 1, -1, info.min, info.min + 1, info.max - 1, info.max)
                    if info.min <= v <= info.max})
    return st.one_of(st.sampled_from(edges), st.integers(int(info.min), int(info.max)))
