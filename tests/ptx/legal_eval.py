"""A small NumPy interpreter of *legalized* IR with PTX meanings, for tests only.

It gives each op the meaning its PTX instruction has (truncating division that must
never see a zero divisor, shift amounts read unsigned and clamped, cvt.rzi that
saturates and turns NaN into MININT, ...), so running legalized IR here and comparing
with NumPy's own operators checks that legalization bridged every gap. Values are
arrays over lanes; branches must be uniform across lanes (use one lane for loops).
"""
from __future__ import annotations

import numpy as np

from simt.backends.numpy.fma import fma

from simt.backends.ptx.irbuild import BITCAST, LEGAL, LINEAR, OFFSET, RZI, TRUNC, ZEXT
from simt.ir import Function, Op, Operation
from simt.ir.types import ArrayType


class Divergence(Exception):
    pass


def _shift(op: Operation, a: np.ndarray, amount: np.ndarray) -> np.ndarray:
    bits = a.dtype.itemsize * 8
    amount = amount.astype(np.uint64)
    big = amount >= bits
    safe = np.where(big, 0, amount).astype(a.dtype)
    if op.op is Op.SHL:
        return np.where(big, np.zeros_like(a), a << safe)
    fill = np.where(a < 0, -1, 0).astype(a.dtype) if a.dtype.kind == "i" else np.zeros_like(a)
    return np.where(big, fill, a >> safe)


def _trunc_divmod(op: Operation, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    assert not np.any(b == 0), "PTX div/rem by zero (legalization must prevent it)"
    if a.dtype.kind == "i":
        assert not np.any((b == -1) & (a == np.iinfo(a.dtype).min)), "PTX MININT / -1"
    q, r = np.floor_divide(a, b), np.remainder(a, b)
    fix = (r != 0) & ((r < 0) != (a < 0)) if a.dtype.kind == "i" else np.zeros(a.shape, bool)
    q = np.where(fix, q + 1, q).astype(a.dtype)
    r = np.where(fix, r - b, r).astype(a.dtype)
    return q if op.op is Op.FLOORDIV else r


def _rzi(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    t = np.trunc(x.astype(np.float64))
    out = np.where(t >= 2.0 ** (info.bits - (info.min < 0)), dtype.type(info.max),
                   dtype.type(0)).astype(dtype)
    inside = (t < 2.0 ** (info.bits - (info.min < 0))) & (t >= float(info.min))
    out[inside] = t[inside].astype(dtype)
    out[t < float(info.min)] = info.min
    out[np.isnan(t)] = info.min            # what PTX gives for f64 / 64-bit targets
    return out


def _cast(op: Operation, x: np.ndarray) -> np.ndarray:
    dst = op.result.type.dtype
    kind = op.attrs.get(LEGAL)
    if kind == BITCAST:
        return x.view(dst)
    if kind == RZI:
        return _rzi(x, dst)
    if kind == ZEXT:                       # cvt.u64.u32: the low 32 bits, zero-extended
        return x.astype(np.int64).astype(np.uint32).astype(dst)
    assert not (x.dtype.kind == "f" and dst.kind in "iub"), "unlegalized float -> int cast"
    return x.astype(dst)


BINARY = {
    Op.ADD: np.add, Op.SUB: np.subtract, Op.MUL: np.multiply, Op.TRUEDIV: np.true_divide,
    Op.MIN: np.minimum, Op.MAX: np.maximum, Op.AND: np.bitwise_and, Op.OR: np.bitwise_or,
    Op.XOR: np.bitwise_xor, Op.EQ: np.equal, Op.NE: np.not_equal, Op.LT: np.less,
    Op.LE: np.less_equal, Op.GT: np.greater, Op.GE: np.greater_equal,
    Op.COPYSIGN: np.copysign,
}
UNARY = {
    Op.NEG: np.negative, Op.INVERT: np.invert, Op.NOT: np.logical_not, Op.ABS: np.abs,
    Op.SQRT: np.sqrt, Op.FLOOR: np.floor, Op.CEIL: np.ceil, Op.TRUNC: np.trunc,
    Op.FABS: np.abs, Op.ISNAN: np.isnan, Op.ISINF: np.isinf, Op.ISFINITE: np.isfinite,
}


BITS = (Op.POPC, Op.CLZ, Op.BREV)


def _bits(kind: Op, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """popc/clz/brev .b32/.b64: only these widths reach PTX (legalization widens the rest)."""
    width = x.dtype.itemsize * 8
    assert width in (32, 64), f"{kind.value} on {x.dtype} reached PTX"
    words = [int(v) & ((1 << width) - 1) for v in x.reshape(-1)]
    if kind is Op.POPC:
        values = [bin(w).count("1") for w in words]
    elif kind is Op.CLZ:
        values = [width - w.bit_length() for w in words]
    else:
        values = [int(f"{w:0{width}b}"[::-1], 2) for w in words]
        return np.array(values, np.uint64).astype(x.dtype.str.replace("i", "u")).view(dtype)
    return np.array(values, dtype)


def run(fn: Function, args: list, lanes: int = 1, max_steps: int = 100_000) -> list[str]:
    """Run ``fn`` on ``args`` (arrays for array params, scalars or lane arrays otherwise).

    Arrays are written in place; returns the printed lines (one per print per lane).
    """
    env: dict = {}
    printed: list[str] = []
    for value, arg in zip(fn.args, args):
        if isinstance(value.type, ArrayType):
            env[value] = arg
        else:
            env[value] = np.broadcast_to(np.asarray(arg, value.type.dtype), (lanes,)).copy()
    block, steps = fn.entry, 0
    with np.errstate(all="ignore"):
        while True:
            for op in block.ops:
                steps += 1
                if steps > max_steps:
                    raise RuntimeError("too many steps")
                if op.op is Op.BR:
                    succ = op.successors[0]
                elif op.op is Op.CBR:
                    cond = env[op.operands[0]]
                    if cond.all() != cond.any():
                        raise Divergence(block.label)
                    succ = op.successors[0 if cond.all() else 1]
                elif op.op is Op.RET:
                    return printed
                else:
                    _step(op, env, lanes, printed)
                    continue
                values = [env[v] for v in succ.args]
                for param, v in zip(succ.block.params, values):
                    env[param] = v
                block = succ.block
                break


def _step(op: Operation, env: dict, lanes: int, printed: list[str]) -> None:
    operands = [env[v] for v in op.operands]
    kind = op.op
    if kind is Op.CONST:
        out = np.full(lanes, op.attrs["value"], op.result.type.dtype)
    elif kind is Op.CAST:
        out = _cast(op, operands[0])
    elif kind is Op.SELECT:
        out = np.where(operands[0], operands[1], operands[2]).astype(op.result.type.dtype)
    elif kind in (Op.SHL, Op.SHR):
        out = _shift(op, *operands)
    elif kind in (Op.FLOORDIV, Op.MOD):
        assert op.attrs.get(LEGAL) == TRUNC, "unlegalized integer // or %"
        out = _trunc_divmod(op, *operands)
    elif kind in BINARY:
        out = BINARY[kind](*operands)
    elif kind in UNARY:
        out = UNARY[kind](*operands)
    elif kind is Op.FMA:
        out = fma(*operands)                  # rounded once, as PTX fma.rn
    elif kind in BITS:
        out = _bits(kind, operands[0], op.result.type.dtype)
    elif kind is Op.THREAD_IDX and op.attrs.get("axis", 0) == 0:
        out = np.arange(lanes, dtype=np.int32)
    elif kind in (Op.THREAD_IDX, Op.BLOCK_IDX):
        out = np.zeros(lanes, np.int32)
    elif kind in (Op.BLOCK_DIM, Op.GRID_DIM):
        out = np.ones(lanes, np.int32)
    elif kind is Op.ARRAY_DIM:
        out = np.full(lanes, operands[0].shape[op.attrs["axis"]], np.int64)
    elif kind is Op.LOAD:
        assert op.attrs.get(LEGAL) == LINEAR
        out = operands[0].reshape(-1)[operands[1] + op.attrs.get(OFFSET, 0)]
    elif kind is Op.STORE:
        assert op.attrs.get(LEGAL) == LINEAR
        operands[0].reshape(-1)[operands[1] + op.attrs.get(OFFSET, 0)] = operands[2]
        return
    elif kind is Op.PRINT:
        for lane in range(lanes):
            values = iter(operands)
            printed.append(" ".join(str(p) if p is not None else str(next(values)[lane])
                                   for p in op.attrs["parts"]))
        return
    else:
        raise NotImplementedError(f"legal_eval: {kind.value}")
    env[op.result] = np.asarray(out).astype(op.result.type.dtype, copy=False)
