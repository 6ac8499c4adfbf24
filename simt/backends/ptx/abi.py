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

Shared memory is not a parameter. Static shared arrays are the kernel's own ``.shared``
variables, one per declaration name, dtype and shape (``allocation_key``), each aligned
to its itemsize. The dynamic shared array (``simt.shared.array(0, dtype)``) is the
module's ``.extern .shared .align 16 .b8 $dynamic_shared[]``, placed after the statics;
its size is the launch's ``shared_bytes`` (the driver's dynamic shared memory size,
``kern[grid, block, stream, shared_bytes]``), which the kernel reads back from
``%dynamic_smem_size`` for the array's length (``shared_bytes // itemsize`` elements).
``shared_memory(fn)`` says how many static bytes a block needs; a launch needing more
than ``SHARED_LIMIT`` bytes in all is refused (the opt-in above 48 KiB is not used).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from simt.ir import CompileError, Function, LaunchError, Op, Operation
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


SHARED_LIMIT = 48 * 1024     # bytes of shared memory per block without an opt-in (sm_75..sm_90)


def allocation_key(operation: Operation) -> tuple:
    """Which shared or local variable a SHARED_ARRAY/LOCAL_ARRAY op names: one per
    declaration name, dtype and shape, as on the numpy target (a device function
    inlined twice, or a declaration in a loop, names one array)."""
    return (operation.op, operation.attrs["name"], operation.result.type.dtype,
            tuple(operation.attrs["shape"]))


@dataclass(frozen=True)
class SharedMemory:
    static_bytes: int        # the kernel's .shared variables, aligned, in declaration order
    dynamic: bool            # whether the kernel uses the dynamic shared array


def shared_memory(fn: Function) -> SharedMemory:
    static, dynamic, seen = 0, False, set()
    for operation in fn.operations():
        if operation.op is not Op.SHARED_ARRAY:
            continue
        if tuple(operation.attrs["shape"]) == (0,):
            dynamic = True
            continue
        key = allocation_key(operation)
        if key in seen:
            continue
        seen.add(key)
        itemsize = operation.result.type.dtype.nbytes
        count = 1
        for extent in operation.attrs["shape"]:
            count *= extent
        static = -(-static // itemsize) * itemsize + count * itemsize
    return SharedMemory(static, dynamic)


def check_shared_memory(fn: Function, shared_bytes: int) -> None:
    """A LaunchError when a block of ``fn`` would need more shared memory than a launch
    gets without opting in; ``shared_bytes`` is the launch's dynamic shared memory."""
    if shared_bytes < 0:
        raise LaunchError(f"{fn.name}: shared_bytes must be >= 0, got {shared_bytes}")
    static = shared_memory(fn).static_bytes
    if static + shared_bytes > SHARED_LIMIT:
        raise LaunchError(
            f"{fn.name} needs {static + shared_bytes} bytes of shared memory per block "
            f"({static} static + {shared_bytes} dynamic); the cuda target launches with at "
            f"most {SHARED_LIMIT} (48 KiB)")
