"""The kernel ABI: how a kernel's arguments become PTX ``.param`` entries.

Parameters appear in argument order:
- a scalar argument is one param of its own width, passed by value: bool and uint8
  as ``.u8`` (a byte 0/1), int8 ``.s8``, (u)int16 ``.s16``/``.u16``, (u)int32,
  (u)int64, float16 as ``.b16``, float32 ``.f32``, float64 ``.f64``;
- an array argument (C-contiguous, global memory) is a ``.u64`` device pointer to its
  first element followed by one ``.s64`` extent per dimension (its shape).
Param names are ``p<i>_<arg>`` and ``p<i>_<arg>_shape<k>`` (i: the argument index).
The kernel's PTX name is ``kernel_name(fn)`` (the function name with characters PTX does not allow replaced).
The launcher (cuda target) and the PTX emulator must follow this layout.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from simt.ir import CompileError, Function, LaunchError
from simt.ir.types import ArrayType, ScalarType

from .registers import memory_suffix


@dataclass(frozen=True)
class KernelParam:
    name: str          # the .param name
    ptx_type: str      # u8, s32, f32, b16, u64, ...
    arg_index: int     # which kernel argument it comes from
    kind: str          # "scalar", "pointer" or "shape"
    axis: int = -1     # for "shape": the dimension

    @property
    def nbytes(self) -> int:
        return int(re.sub(r"\D", "", self.ptx_type)) // 8


def ptx_identifier(name: str) -> str:
    """``name`` made a valid PTX identifier (letters, digits, _ and $; no leading digit)."""
    text = re.sub(r"[^A-Za-z0-9_$]", "_", name) or "_"
    return f"_{text}" if text[0].isdigit() else text


def kernel_name(fn: Function) -> str:
    return ptx_identifier(fn.name)


def kernel_params(fn: Function) -> list[KernelParam]:
    params: list[KernelParam] = []
    for index, (name, value) in enumerate(zip(fn.arg_names, fn.args)):
        base = f"p{index}_{ptx_identifier(name)}"
        t = value.type
        if isinstance(t, ArrayType):
            params.append(KernelParam(base, "u64", index, "pointer"))
            params.extend(KernelParam(f"{base}_shape{axis}", "s64", index, "shape", axis)
                          for axis in range(t.ndim))
        elif isinstance(t, ScalarType):
            params.append(KernelParam(base, memory_suffix(t), index, "scalar"))
        else:
            raise CompileError(f"kernel argument {name!r} has an unsupported type {t!r}")
    return params


def flatten_arguments(fn: Function, args: list[Any],
                      pointer: Callable[[Any, int], Any] | None = None) -> list[Any]:
    """The kernel's flat parameter values, one per ``kernel_params(fn)`` entry, in order.

    An array argument gives ``pointer(array, arg_index)`` (by default the array itself,
    which is what the PTX emulator takes) followed by ``np.int64`` of each extent; a
    scalar argument gives a NumPy scalar of its param's type (bool as ``np.bool_``).
    ``args`` are what the dispatcher hands a target: arrays, or NumPy scalars.
    """
    if len(args) != len(fn.args):
        raise LaunchError(f"{fn.name}() takes {len(fn.args)} arguments, {len(args)} given")
    flat: list[Any] = []
    for index, (name, value, arg) in enumerate(zip(fn.arg_names, fn.args, args)):
        t = value.type
        if isinstance(t, ArrayType):
            shape = getattr(arg, "shape", None)
            if shape is None or len(shape) != t.ndim:
                raise LaunchError(f"argument {name!r}: expected a {t.ndim}-d array of "
                                  f"{t.dtype}, got {type(arg).__name__}")
            flat.append(arg if pointer is None else pointer(arg, index))
            flat.extend(np.int64(extent) for extent in shape)
        else:
            flat.append(t.dtype.type(arg))
    return flat
