"""``cvt``: conversions between every integer and float type with the PTX
rounding and saturation rules.

* int -> int: the source is sign- or zero-extended from its own type, then
  truncated to the destination, or clamped with ``.sat``.
* float -> int: rounded by ``.rni`` (nearest even), ``.rzi``, ``.rmi``, ``.rpi``,
  then clamped to the destination range (saturation is the ISA's default for
  float-to-int); NaN converts to 0.
* int -> float and float -> narrower float: rounded by ``.rn/.rz/.rm/.rp``
  exactly; widening float conversions are exact.
* float -> same float with an integer rounding rounds to an integral value;
  ``.sat`` clamps float results to [0, 1]; ``.ftz`` flushes f32 subnormals.
"""
from __future__ import annotations

import numpy as np

from ..lowering import Env, Mods, as_array, builder, operands, reader, writer
from ..module import Instruction
from ..ptxtypes import PtxType
from . import ieee
from .floating import flush, saturate

_INT_ROUNDINGS = {"rni": np.rint, "rzi": np.trunc, "rmi": np.floor, "rpi": np.ceil}
_FLOAT_ROUNDINGS = ("rn", "rz", "rm", "rp")
_TYPES = ("u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "b8", "b16", "b32", "b64",
          "f16", "f32", "f64")


def int_range(t: PtxType) -> tuple[int, int]:
    if t.is_signed:
        return -(1 << (t.bits - 1)), (1 << (t.bits - 1)) - 1
    return 0, (1 << t.bits) - 1


def int_to_int(value, src: PtxType, dst: PtxType, sat: bool):
    value = as_array(value, src.dtype)
    if sat:
        lo, hi = int_range(dst)
        if src.bits == 64 and not src.is_signed:
            clipped = np.minimum(value, np.uint64(hi))
            return as_array(clipped, dst.dtype)
        wide = value.astype(np.int64)
        return as_array(np.clip(wide, max(lo, -(1 << 63)), min(hi, (1 << 63) - 1)), dst.dtype)
    if src.bits >= dst.bits:
        return value.view(src.udtype).astype(dst.udtype).view(dst.dtype)
    extended = value.astype(np.int64 if src.is_signed else np.uint64)
    return extended.astype(dst.dtype)


def float_to_int(value, dst: PtxType, rounding: str):
    """Round to integral, then clamp to dst's range; NaN -> 0."""
    x = np.asarray(value, np.float64)
    r = _INT_ROUNDINGS[rounding](x)
    lo, hi = int_range(dst)
    nan = np.isnan(r)
    high = r >= float(hi)          # float(hi) rounds up to 2**bits for 64-bit types
    low = r <= float(lo)
    safe = np.where(nan | high | low, 0.0, r)
    out = safe.astype(np.int64 if dst.is_signed or dst.bits < 64 else np.uint64).astype(dst.dtype)
    out = np.where(high, dst.dtype.type(hi), out)
    out = np.where(low, dst.dtype.type(lo), out)
    return as_array(np.where(nan, dst.dtype.type(0), out), dst.dtype)


def int_to_float(value, src: PtxType, dst: PtxType, rounding: str):
    value = as_array(value, src.dtype)
    r = value.astype(dst.dtype)
    if rounding == "rn":
        return r
    if src.bits <= 32 and dst.bits >= 32:
        exact = value.astype(np.float64)
        return as_array(ieee.round_f64(exact, dst.dtype, rounding) if dst.bits == 32 else exact,
                        dst.dtype)
    if src.bits <= 32:                       # 32-bit integer to f16: exact in f64
        return as_array(ieee.round_f64(value.astype(np.float64), dst.dtype, rounding), dst.dtype)
    # 64-bit integers: compare the RN result with the exact integer
    flat = np.atleast_1d(value)
    out = np.atleast_1d(r).copy()
    for i, v in enumerate(flat.tolist()):
        out[i] = ieee.round_fraction(ieee.Fraction(v), dst.dtype, rounding) if v else 0.0
    return out if np.ndim(value) else out[0]


def float_to_float(value, src: PtxType, dst: PtxType, rounding: str | None, int_rounding: str | None):
    x = as_array(value, src.dtype)
    if int_rounding is not None:
        x = as_array(_INT_ROUNDINGS[int_rounding](x), src.dtype)
    if dst.bits >= src.bits:
        return as_array(x, dst.dtype)
    return as_array(ieee.round_f64(np.asarray(x, np.float64), dst.dtype, rounding or "rn"),
                    dst.dtype)


@builder("cvt")
def build_cvt(ins: Instruction, mods: Mods, env: Env):
    int_rounding = mods.take(tuple(_INT_ROUNDINGS))
    rounding = mods.take(_FLOAT_ROUNDINGS)
    ftz = mods.flag("ftz")
    sat = mods.flag("sat")
    dst, src = mods.types(2)
    for t in (dst, src):
        if t.name not in _TYPES:
            raise mods.fail(f"unsupported cvt type {t}")
    d, a = operands(ins, 2)
    w, ra = writer(d, dst, env), reader(a, src, env)
    if src.is_float and not dst.is_float:
        if rounding is not None:
            raise mods.fail("float-to-integer cvt takes .rni/.rzi/.rmi/.rpi")
        if int_rounding is None:
            raise mods.fail("float-to-integer cvt needs an integer rounding (.rzi, ...)")
        def convert(v):
            return float_to_int(flush(v, src) if ftz else v, dst, int_rounding)
    elif src.is_float:
        if dst.bits < src.bits and rounding is None:
            raise mods.fail("narrowing float cvt needs a rounding modifier (.rn, ...)")
        if int_rounding is not None and dst.bits != src.bits:
            raise mods.fail("integer rounding of floats needs equal source and destination types")
        def convert(v):
            out = float_to_float(flush(v, src) if ftz else v, src, dst, rounding, int_rounding)
            out = flush(out, dst) if ftz else out
            return saturate(out, dst) if sat else out
    elif dst.is_float:
        if int_rounding is not None:
            raise mods.fail("integer-to-float cvt takes .rn/.rz/.rm/.rp")
        def convert(v):
            out = int_to_float(v, src, dst, rounding or "rn")
            return saturate(out, dst) if sat else out
    else:
        if rounding or int_rounding:
            raise mods.fail("integer-to-integer cvt takes no rounding")
        def convert(v):
            return int_to_int(v, src, dst, sat)
    return lambda ctx, sel: w(ctx, sel, convert(ra(ctx, sel)))

