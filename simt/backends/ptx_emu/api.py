"""``launch_ptx``: run a kernel of a PTX module on the CPU.

Arguments are a kernel's parameters in order: a NumPy array is passed as a
pointer to a copy of its data (written back into the array after the launch,
if the kernel stored to it); anything else is a scalar passed by value in the
parameter's PTX type. Parsed and linked programs are cached by the hash of the
PTX text and the entry name.
"""
from __future__ import annotations

import hashlib
from typing import Sequence, TextIO

import numpy as np

from simt.ir.errors import LaunchError

from .context import Context
from .executor import run_batch
from .linker import Program, link
from .memory import FIRST_REGION, REGION_SHIFT, Buffer, Memory
from .module import Module
from .parser import parse_ptx
from .threads import Batch

MAX_THREADS_PER_BATCH = 1 << 17
_MODULES: dict[str, Module] = {}
_PROGRAMS: dict[tuple[str, str | None], Program] = {}
_CACHE_LIMIT = 64


def _digest(ptx: str) -> str:
    return hashlib.sha256(ptx.encode()).hexdigest()


def load_module(ptx: str) -> Module:
    """The parsed module (cached by text hash)."""
    key = _digest(ptx)
    module = _MODULES.get(key)
    if module is None:
        if len(_MODULES) >= _CACHE_LIMIT:
            _MODULES.clear()
        module = _MODULES[key] = parse_ptx(ptx)
    return module


def load_program(ptx: str, entry: str | None = None) -> Program:
    """The linked, lowered kernel (cached by text hash and entry)."""
    key = (_digest(ptx), entry)
    program = _PROGRAMS.get(key)
    if program is None:
        if len(_PROGRAMS) >= _CACHE_LIMIT:
            _PROGRAMS.clear()
        program = _PROGRAMS[key] = link(load_module(ptx), entry)
    return program


def _dims(value, what: str) -> tuple[int, int, int]:
    dims = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    if not 1 <= len(dims) <= 3 or any(int(d) < 1 for d in dims):
        raise LaunchError(f"{what} must be 1 to 3 positive integers, got {value!r}")
    return tuple(int(d) for d in dims) + (1,) * (3 - len(dims))


def _scalar_bytes(value, sym, index: int) -> bytes:
    t = sym.type
    where = f"argument {index} ({sym.name}, .{t.name})"
    if isinstance(value, (bytes, bytearray, np.void)):
        data = bytes(value)
        if len(data) != sym.size:
            raise LaunchError(f"{where} takes {sym.size} bytes, got {len(data)}")
        return data
    if sym.size != t.size:
        raise LaunchError(f"{where} is a {sym.size}-byte aggregate; pass bytes")
    if isinstance(value, np.generic):
        if value.dtype.itemsize != t.size:
            raise LaunchError(f"{where} is {8 * t.size}-bit, got {value.dtype}")
        return value.tobytes()
    if isinstance(value, (bool, int, float)):
        if t.is_float:
            return t.dtype.type(value).tobytes()
        if isinstance(value, float):
            raise LaunchError(f"{where} is an integer, got {value!r}")
        lo = -(1 << (t.bits - 1)) if t.is_signed else (-(1 << (t.bits - 1)) if t.kind == "b" else 0)
        hi = (1 << t.bits) - 1 if not t.is_signed else (1 << (t.bits - 1)) - 1
        if not lo <= int(value) <= hi:
            raise LaunchError(f"{where}: {value} does not fit")
        return np.array(int(value) & ((1 << t.bits) - 1), dtype=t.udtype).tobytes()
    raise LaunchError(f"{where}: cannot pass a {type(value).__name__}")


def launch_ptx(ptx: str, entry: str | None, grid, block, args: Sequence, *,
               shared_bytes: int = 0, stdout: TextIO | None = None,
               max_threads_per_batch: int | None = None,
               max_steps: int | None = None) -> None:
    """Run kernel ``entry`` of ``ptx`` over ``grid`` x ``block`` threads.

    ``shared_bytes`` is the dynamic shared memory per block; ``stdout`` receives
    device ``printf`` output; ``max_steps`` bounds the instructions executed
    per batch (a guard against kernels that never finish).
    """
    grid3, block3 = _dims(grid, "grid"), _dims(block, "block")
    nthreads = block3[0] * block3[1] * block3[2]
    if nthreads > 1024 or block3[2] > 64:
        raise LaunchError(f"a block has at most 1024 threads (and z <= 64), got {block3}")
    if grid3[0] >= 2**31 or grid3[1] > 65535 or grid3[2] > 65535:
        raise LaunchError(f"grid {grid3} exceeds (2**31 - 1, 65535, 65535)")
    if shared_bytes < 0:
        raise LaunchError("shared_bytes must be >= 0")
    program = load_program(ptx, entry)
    if len(args) != len(program.params):
        raise LaunchError(f"kernel '{program.name}' takes {len(program.params)} arguments, "
                          f"got {len(args)}")
    regions = [Buffer(f"global variable {g.symbol.name}",
                      np.frombuffer(bytearray(g.image), np.uint8)) for g in program.globals]
    params = bytearray(program.param_size)
    outputs: list[tuple[np.ndarray, Buffer]] = []
    for i, (value, sym) in enumerate(zip(args, program.params)):
        if isinstance(value, np.ndarray):
            if sym.size != 8:
                raise LaunchError(f"argument {i} ({sym.name}) is {8 * sym.size}-bit and cannot "
                                  f"take an array (a 64-bit pointer)")
            data = np.ascontiguousarray(value).reshape(-1).view(np.uint8).copy()
            shape = "x".join(map(str, value.shape)) or "scalar"
            buffer = Buffer(f"buffer of argument {i} ({sym.name}: {value.dtype}[{shape}])", data)
            address = (FIRST_REGION + len(regions)) << REGION_SHIFT
            regions.append(buffer)
            outputs.append((value, buffer))
            raw = np.uint64(address).tobytes()
        else:
            raw = _scalar_bytes(value, sym, i)
        params[sym.address:sym.address + len(raw)] = raw
    shared = program.shared_static
    if shared_bytes or program.dynamic_shared_offset > program.shared_static:
        shared = program.dynamic_shared_offset + shared_bytes
    limit = max_threads_per_batch or MAX_THREADS_PER_BATCH
    per_batch = max(1, limit // nthreads)
    total_blocks = grid3[0] * grid3[1] * grid3[2]
    for first in range(0, total_blocks, per_batch):
        batch = Batch(grid3, block3, first, min(per_batch, total_blocks - first))
        memory = Memory(regions, bytes(params), program.const_image, batch, shared,
                        program.local_size)
        ctx = Context(program.registers, batch, memory, shared_bytes, stdout)
        run_batch(program, ctx, max_steps)
    for array, buffer in outputs:
        if not buffer.dirty:
            continue
        if not array.flags.writeable:
            raise LaunchError("the kernel stored to a read-only array argument")
        array[...] = buffer.data.view(array.dtype).reshape(array.shape)
