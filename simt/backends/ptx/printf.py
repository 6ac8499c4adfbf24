"""``print`` in kernels: a call to the CUDA driver's ``vprintf(format, args)``.

A PRINT op's ``attrs["parts"]`` lists literal text (str) and ``None`` for each operand,
in order. Its meaning (the numpy backend's, and CPython's ``print``) is one line per
thread: the parts joined by single spaces, then a newline. The PTX lowering builds one
printf format string of exactly that shape (literal ``%`` escaped as ``%%``), so the
output is byte-for-byte the reference's for ints, bools and literal text.

Conversions: signed ints ``%d``/``%lld``, unsigned ``%u``/``%llu``, bools the strings
``True``/``False`` (``%s``), floats converted to double and printed with enough
significant digits to round-trip: float16 ``%.5g``, float32 ``%.9g``, float64 ``%.17g``.
This is the one documented difference from the reference: printf has no shortest
round-trip conversion, so where NumPy's ``str`` prints the shortest string that reads
back as the same value, the GPU prints the fixed-digit ``%g`` form, which reads back as
the same value too: float32 ``0.1`` prints ``0.100000001`` (NumPy ``0.1``), float64
``1.0`` prints ``1`` (NumPy ``1.0``), ``-0.0`` prints ``-0``, ``1e-05`` prints
``1.0000000000000001e-05``; ``nan``, ``inf``, ``-inf`` and ``1e+20`` print alike.
The device's printf buffer is flushed at synchronization points, so lines of different
threads come out in the order the hardware ran them (the reference prints in thread order).

The format string is a ``.global`` byte array; the arguments are stored in a per-kernel
``.local`` buffer, each aligned to its size, and passed by generic address.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from simt.ir import Operation, Value

if TYPE_CHECKING:
    from .emit import KernelContext

BUFFER = "__simt_print_args"
VPRINTF_DECL = (".extern .func (.param .b32 func_retval0) vprintf(.param .b64 vprintf_param_0, "
                ".param .b64 vprintf_param_1);")
FLOAT_FORMAT = {16: "%.5g", 32: "%.9g", 64: "%.17g"}


class PrintState:
    """The strings and the argument buffer the kernel's prints need."""

    def __init__(self) -> None:
        self.strings: dict[bytes, str] = {}
        self.buffer_size = 0

    @property
    def used(self) -> bool:
        return bool(self.strings)

    def string(self, text: str) -> str:
        data = text.encode("utf-8") + b"\0"
        if data not in self.strings:
            self.strings[data] = f"$str{len(self.strings)}"
        return self.strings[data]

    def module_lines(self) -> list[str]:
        if not self.used:
            return []
        lines = [VPRINTF_DECL]
        for data, name in self.strings.items():
            readable = data[:-1].decode("utf-8").encode("unicode_escape").decode("ascii")
            lines.append(f'// {name} = "{readable}"')
            lines.append(f".global .align 1 .b8 {name}[{len(data)}] = "
                         f"{{{', '.join(str(b) for b in data)}}};")
        return lines

    def kernel_lines(self) -> list[str]:
        if not self.buffer_size:
            return []
        return [f".local .align 8 .b8 {BUFFER}[{self.buffer_size}];"]


def _global_address(ctx: KernelContext, name: str) -> str:
    raw, generic = ctx.regs.new("b64"), ctx.regs.new("b64")
    ctx.out(f"mov.u64 {raw}, {name};")
    ctx.out(f"cvta.global.u64 {generic}, {raw};")
    return generic


def _argument(ctx: KernelContext, value: Value) -> tuple[str, str, int]:
    """(conversion, register holding the vprintf argument, its size in bytes)."""
    t = value.type
    reg = ctx[value]
    if t.is_bool:
        true_text = _global_address(ctx, ctx.prints.string("True"))
        false_text = _global_address(ctx, ctx.prints.string("False"))
        chosen = ctx.regs.new("b64")
        ctx.out(f"selp.b64 {chosen}, {true_text}, {false_text}, {reg};")
        return "%s", chosen, 8
    if t.is_float:
        if t.bits != 64:
            wide = ctx.regs.new("f64")
            ctx.out(f"cvt.f64.{'f16' if t.bits == 16 else 'f32'} {wide}, {reg};")
            reg = wide
        return FLOAT_FORMAT[t.bits], reg, 8
    if t.bits == 64:
        return ("%lld" if t.is_signed else "%llu"), reg, 8
    return ("%d" if t.is_signed else "%u"), reg, 4


def emit_print(ctx: KernelContext, op: Operation) -> None:
    parts = op.attrs.get("parts", [None] * len(op.operands))
    operands = list(op.operands)
    if sum(part is None for part in parts) != len(operands):
        raise ctx.fail(op, "print parts and operands do not match")
    fields, stores, offset = [], [], 0
    for part in parts:
        if part is not None:
            fields.append(str(part).replace("%", "%%"))
            continue
        conversion, reg, size = _argument(ctx, operands.pop(0))
        offset = (offset + size - 1) // size * size
        stores.append((offset, reg, size))
        offset += size
        fields.append(conversion)
    ctx.prints.buffer_size = max(ctx.prints.buffer_size, (offset + 7) // 8 * 8)
    fmt = _global_address(ctx, ctx.prints.string(" ".join(fields) + "\n"))
    args = ctx.regs.new("b64")
    if stores:
        local = ctx.regs.new("b64")
        ctx.out(f"mov.u64 {local}, {BUFFER};")
        for at, reg, size in stores:
            ctx.out(f"st.local.b{size * 8} [{local}+{at}], {reg};")
        ctx.out(f"cvta.local.u64 {args}, {local};")
    else:
        ctx.out(f"mov.u64 {args}, 0;")
    ctx.out("{")
    ctx.out("\t.param .b64 param0;")
    ctx.out(f"\tst.param.b64 [param0], {fmt};")
    ctx.out("\t.param .b64 param1;")
    ctx.out(f"\tst.param.b64 [param1], {args};")
    ctx.out("\t.param .b32 retval0;")
    ctx.out("\tcall.uni (retval0), vprintf, (param0, param1);")
    ctx.out("}")
