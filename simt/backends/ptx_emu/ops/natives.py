"""Extern functions implemented natively: ``vprintf`` (CUDA's device printf)
and ``__assertfail`` (device ``assert``). The linker turns calls to them into
``native.<name>`` pseudo-instructions whose operands are the argument symbols.
"""
from __future__ import annotations

import re

import numpy as np

from ..lowering import Env, Mods, address_reader, builder
from ..memory import Fault
from ..module import Addr, ArgList, Instruction
from ..threads import sel_indices

_CONVERSION = re.compile(r"%(?P<flags>[-+ #0]*)(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d+))?"
                         r"(?P<length>hh|h|ll|l|z|j|t|L)?(?P<conv>[diouxXcsfFeEgGaAp%])")


def _pointer_reader(op, env: Env):
    space, addresses = address_reader(Addr(op, 0), "param", env)
    return lambda ctx, thread: int(ctx.mem.load(space, addresses(ctx, slice(thread, thread + 1)),
                                                slice(thread, thread + 1),
                                                np.dtype(np.uint64), 1, 1)[0].reshape(-1)[0])


def _read_string(ctx, address: int, thread: int, limit: int = 4096) -> str:
    out = bytearray()
    while len(out) < limit:
        byte = ctx.mem.load("generic", np.uint64(address + len(out)), slice(thread, thread + 1),
                            np.dtype(np.uint8), 1, 1)[0]
        value = int(np.asarray(byte).reshape(-1)[0])
        if value == 0:
            break
        out.append(value)
    return out.decode("utf-8", errors="replace")


class _Args:
    """C varargs in a buffer: each argument aligned to its own size."""

    def __init__(self, ctx, address: int, thread: int):
        self.ctx, self.address, self.thread, self.offset = ctx, address, thread, 0

    def next(self, dtype: np.dtype):
        size = dtype.itemsize
        self.offset = -(-self.offset // size) * size
        value = self.ctx.mem.load("generic", np.uint64(self.address + self.offset),
                                  slice(self.thread, self.thread + 1), dtype, 1, 1)[0]
        self.offset += size
        return np.asarray(value).reshape(-1)[0]


def format_printf(fmt: str, args: _Args, ctx, thread: int) -> str:
    """CUDA printf formatting of ``fmt`` with arguments read from ``args``."""
    def convert(m: re.Match) -> str:
        conv = m["conv"]
        if conv == "%":
            return "%"
        width = m["width"]
        if width == "*":
            width = str(int(args.next(np.dtype(np.int32))))
        prec = m["prec"]
        if prec == "*":
            prec = str(int(args.next(np.dtype(np.int32))))
        spec = "%" + m["flags"] + (width or "") + ("." + prec if prec is not None else "")
        long = m["length"] in ("l", "ll", "z", "j", "t")
        if conv in "di":
            value = int(args.next(np.dtype(np.int64 if long else np.int32)))
            return (spec + "d") % value
        if conv in "ouxX":
            value = int(args.next(np.dtype(np.uint64 if long else np.uint32)))
            return (spec + ("d" if conv == "u" else conv)) % value
        if conv == "c":
            return (spec + "c") % chr(int(args.next(np.dtype(np.int32))) & 0xFF)
        if conv == "s":
            return (spec + "s") % _read_string(ctx, int(args.next(np.dtype(np.uint64))), thread)
        if conv == "p":
            return (spec + "s") % hex(int(args.next(np.dtype(np.uint64))))
        value = float(args.next(np.dtype(np.float64)))
        if conv in "aA":
            text = value.hex()
            return text.upper() if conv == "A" else text
        return (spec + conv) % value
    return _CONVERSION.sub(convert, fmt)


def _arg_symbols(ins: Instruction, count: int) -> tuple[object, list]:
    rets, args = ins.operands
    if not isinstance(rets, ArgList) or not isinstance(args, ArgList) or len(args.items) != count:
        raise ValueError(f"'{ins.mods[0]}' takes {count} arguments")
    return (rets.items[0] if rets.items else None), list(args.items)


@builder("native")
def build_native(ins: Instruction, mods: Mods, env: Env):
    name = mods.rest.pop(0) if mods.rest else ""
    if name == "vprintf":
        return _build_vprintf(ins, env)
    if name == "__assertfail":
        return _build_assertfail(ins, env)
    raise mods.fail(f"extern function '{name}' is not supported")


def _build_vprintf(ins: Instruction, env: Env):
    ret, (fmt_op, args_op) = _arg_symbols(ins, 2)
    fmt_ptr, args_ptr = _pointer_reader(fmt_op, env), _pointer_reader(args_op, env)
    w = None
    if ret is not None:
        space, ret_addr = address_reader(Addr(ret, 0), "param", env)
        w = (space, ret_addr)

    def run(ctx, sel):
        for thread in sel_indices(sel).tolist():
            fmt = _read_string(ctx, fmt_ptr(ctx, thread), thread)
            text = format_printf(fmt, _Args(ctx, args_ptr(ctx, thread), thread), ctx, thread)
            ctx.stdout.write(text)
        if w is not None:
            space, ret_addr = w
            ctx.mem.store(space, ret_addr(ctx, sel), sel, np.dtype(np.int32), [np.int32(0)])
    return run


def _build_assertfail(ins: Instruction, env: Env):
    _, (msg_op, file_op, line_op, func_op, _size) = _arg_symbols(ins, 5)
    msg_ptr, file_ptr, func_ptr = (_pointer_reader(o, env) for o in (msg_op, file_op, func_op))
    space, line_addr = address_reader(Addr(line_op, 0), "param", env)

    def run(ctx, sel):
        thread = int(sel_indices(sel)[0])
        one = slice(thread, thread + 1)
        line = int(np.asarray(ctx.mem.load(space, line_addr(ctx, one), one, np.dtype(np.int32),
                                           1, 1)[0]).reshape(-1)[0])
        message = _read_string(ctx, msg_ptr(ctx, thread), thread)
        where = f"{_read_string(ctx, file_ptr(ctx, thread), thread)}:{line}"
        func = _read_string(ctx, func_ptr(ctx, thread), thread)
        raise Fault(f"device-side assertion `{message}` failed ({where}, in {func})", 0)
    return run

