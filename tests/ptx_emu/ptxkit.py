"""Helpers for the ptx-emu tests: build small PTX kernels around a few
instructions, run them, and compute exact references independently of the
emulator's own code."""
from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np

from simt.backends.ptx_emu import launch_ptx

DATA = Path(__file__).parent / "data"
HEADER = ".version 8.0\n.target sm_75\n.address_size 64\n"
_LOAD = {"pred": "u8", "b8": "u8", "u8": "u8", "s8": "s8"}
_REG = {"b8": "b16", "u8": "u16", "s8": "s16"}
_NUMPY = {"pred": np.bool_, "b8": np.uint8, "u8": np.uint8, "s8": np.int8, "b16": np.uint16,
          "u16": np.uint16, "s16": np.int16, "f16": np.float16, "b32": np.uint32,
          "u32": np.uint32, "s32": np.int32, "f32": np.float32, "b64": np.uint64,
          "u64": np.uint64, "s64": np.int64, "f64": np.float64}
INPUT_NAMES = ("a", "b", "c", "e")
OUTPUT_NAMES = ("d", "q", "r", "s")


def dtype_of(ptx_type: str) -> np.dtype:
    return np.dtype(_NUMPY[ptx_type])


def elementwise_ptx(body: str, inputs: list[str], outputs: list[str], extra_regs: str = "") -> str:
    """A kernel where thread i loads input k (PTX type inputs[k]) into %a, %b, %c,
    %e, runs ``body`` and stores %d, %q, %r, %s (types ``outputs``) into the
    output arrays. Parameters: the input arrays, the output arrays, then n."""
    params = [f".param .u64 in{k}" for k in range(len(inputs))]
    params += [f".param .u64 out{k}" for k in range(len(outputs))]
    params.append(".param .u32 n")
    lines = [HEADER, ".visible .entry k(", ",\n".join(params), ")", "{",
             ".reg .pred %guard;", ".reg .u32 %i, %tx, %cx, %nx, %n;",
             ".reg .u64 %off, %addr, %base;", ".reg .u16 %byte;", ".reg .u32 %word;",
             extra_regs]
    for name, t in zip(INPUT_NAMES, inputs):
        lines.append(f".reg .{_REG.get(t, t)} %{name};")
    for name, t in zip(OUTPUT_NAMES, outputs):
        lines.append(f".reg .{_REG.get(t, t)} %{name};")
    lines += ["mov.u32 %tx, %tid.x;", "mov.u32 %cx, %ctaid.x;", "mov.u32 %nx, %ntid.x;",
              "mad.lo.u32 %i, %cx, %nx, %tx;", "ld.param.u32 %n, [n];",
              "setp.ge.u32 %guard, %i, %n;", "@%guard bra DONE;"]
    for k, (name, t) in enumerate(zip(INPUT_NAMES, inputs)):
        size = dtype_of(t).itemsize
        lines += [f"ld.param.u64 %base, [in{k}];", f"mul.wide.u32 %off, %i, {size};",
                  "add.u64 %addr, %base, %off;"]
        if t == "pred":
            lines += ["ld.global.u8 %byte, [%addr];", f"setp.ne.u16 %{name}, %byte, 0;"]
        else:
            lines.append(f"ld.global.{_LOAD.get(t, t)} %{name}, [%addr];")
    lines.append(body)
    for k, (name, t) in enumerate(zip(OUTPUT_NAMES, outputs)):
        size = dtype_of(t).itemsize
        lines += [f"ld.param.u64 %base, [out{k}];", f"mul.wide.u32 %off, %i, {size};",
                  "add.u64 %addr, %base, %off;"]
        if t == "pred":
            lines += [f"selp.u16 %byte, 1, 0, %{name};", "st.global.u8 [%addr], %byte;"]
        else:
            lines.append(f"st.global.{_LOAD.get(t, t)} [%addr], %{name};")
    lines += ["DONE:", "ret;", "}"]
    return "\n".join(lines)


def run_elementwise(body: str, inputs: list[tuple[str, object]], outputs: list[str],
                    block: int = 128, extra_regs: str = "") -> list[np.ndarray]:
    """Run ``body`` once per element of the input arrays; the output arrays."""
    arrays = [np.asarray(values, dtype=dtype_of(t)) for t, values in inputs]
    n = len(arrays[0]) if arrays else block
    results = [np.zeros(n, dtype=dtype_of(t)) for t in outputs]
    ptx = elementwise_ptx(body, [t for t, _ in inputs], outputs, extra_regs)
    grid = max(1, -(-n // block))
    launch_ptx(ptx, "k", (grid,), (block,), [*arrays, *results, np.uint32(n)])
    return results


def run1(body: str, inputs: list[tuple[str, object]], output: str, **kw) -> np.ndarray:
    return run_elementwise(body, inputs, [output], **kw)[0]


def kernel(body: str, params: str = "", regs: str = "", decls: str = "") -> str:
    """A kernel ``k`` with the given parameter list, register and module declarations."""
    return f"{HEADER}{decls}\n.visible .entry k({params})\n{{\n{regs}\n{body}\n}}\n"


# --- exact references (independent of the emulator) --------------------------

_FORMATS = {np.dtype(np.float16): (11, -14, 15), np.dtype(np.float32): (24, -126, 127),
            np.dtype(np.float64): (53, -1022, 1023)}


def neighbours(q: Fraction, dtype: np.dtype) -> tuple[float, float]:
    """The representable values lo <= q <= hi of ``dtype``; |q| must not exceed
    the largest finite value."""
    dtype = np.dtype(dtype)
    lo = hi = dtype.type(float(q))
    inf = dtype.type(np.inf)
    while Fraction(float(lo)) > q:
        lo = np.nextafter(lo, -inf)
    while Fraction(float(hi)) < q:
        hi = np.nextafter(hi, inf)
    if Fraction(float(lo)) == q:
        hi = lo
    elif Fraction(float(hi)) == q:
        lo = hi
    return float(lo), float(hi)


def round_exact(q: Fraction, dtype, mode: str) -> float:
    """``q`` rounded to ``dtype`` in PTX rounding ``mode`` (rn, rz, rm, rp)."""
    dtype = np.dtype(dtype)
    prec, _, emax = _FORMATS[dtype]
    largest = Fraction(2 - Fraction(2) ** (1 - prec)) * Fraction(2) ** emax
    if abs(q) > largest:
        overflow_to_inf = {"rn": abs(q) >= largest + Fraction(2) ** (emax - prec),
                           "rz": False, "rm": q < 0, "rp": q > 0}[mode]
        value = math.inf if overflow_to_inf else float(largest)
        return -value if q < 0 else value
    lo, hi = neighbours(q, dtype)
    if lo == hi:
        return lo
    if mode == "rz":
        return lo if q > 0 else hi
    if mode == "rm":
        return lo
    if mode == "rp":
        return hi
    dlo, dhi = q - Fraction(lo), Fraction(hi) - q
    if dlo != dhi:
        return lo if dlo < dhi else hi
    lo_bits = int(np.array(lo, dtype).view(f"u{dtype.itemsize}"))
    return lo if lo_bits % 2 == 0 else hi


def same_float(a, b) -> np.ndarray:
    """Elementwise: identical values including the sign of zero; NaN equals NaN."""
    a, b = np.asarray(a), np.asarray(b)
    return ((a == b) & (np.signbit(a) == np.signbit(b))) | (np.isnan(a) & np.isnan(b))


def wrap(value: int, bits: int, signed: bool) -> int:
    value &= (1 << bits) - 1
    if signed and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value
