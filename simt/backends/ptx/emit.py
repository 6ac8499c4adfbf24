"""PTX text from legalized IR: one table entry per op (``PTX_IMPL``), like NUMPY_IMPL.

``emit_ptx(fn, arch)`` expects the output of ``legalize.legalize`` (see its docstring
for the few PTX meanings legal IR gives ops) and writes one module with one
``.visible .entry``; the kernel ABI is in ``abi.py``, register conventions in
``registers.py``, ``print`` in ``printf.py``, arrays (global, shared, local), loads,
stores and atomics in ``emit_memory.py``, barriers, fences, warp ops and bit ops in
``emit_warp.py``.

Module header: ``.version`` is the lowest PTX ISA version that accepts the ``.target``
(``PTX_VERSION``: sm_75 6.3, sm_80 7.0, sm_86 7.1, sm_89/sm_90 7.8; every instruction
used here is older than that), and ``.address_size 64``.

Arithmetic: float add/sub/mul/div/sqrt/fma always carry ``.rn`` (IEEE round to nearest,
and an explicit rounding mode forbids ptxas to contract mul+add into fma); the only
approximate instructions are the float32 ``.approx`` ones of fastmath kernels; float
compares use ordered predicates except NE, which is ``neu`` (true with NaN), as Python.
Block params are registers; a BR copies its arguments into them (a parallel copy).
Blocks are laid out by ``layout.block_order`` (forward edges forward, loops contiguous).
Line info: ``.file``/``.loc`` directives from each op's source position.
Output is deterministic (registers and labels are numbered in emission order).
"""
from __future__ import annotations

from typing import Callable

from simt.ir import CompileError, Function, Op, Operation, Value
from simt.ir.ops import COMPARE
from simt.ir.types import MemorySpace, ScalarType, float16, float32

from . import emit_warp, printf
from .abi import KernelParam, kernel_name, kernel_params, ptx_identifier
from .emit_memory import (ArrayHome, ArrayVariables, emit_allocation, emit_array_dim,
                          emit_atomic, emit_atomic_cas, emit_load, emit_store)
from .irbuild import APPROX, BITCAST, LEGAL, RZI, TRUNC, ZEXT
from .layout import block_order
from .registers import (RegisterFile, bits_suffix, float_suffix, int_suffix, literal,
                        memory_suffix)

PTX_VERSION = {"sm_75": "6.3", "sm_80": "7.0", "sm_86": "7.1", "sm_89": "7.8", "sm_90": "7.8"}


class KernelContext:
    """Per-kernel emission state: registers, labels, output lines, print strings."""

    def __init__(self, fn: Function):
        self.fn = fn
        self.blocks = block_order(fn)
        self.regs = RegisterFile()
        self.lines: list[str] = []
        self.labels = {block: f"$L{i}_{ptx_identifier(block.label)}"
                       for i, block in enumerate(self.blocks)}
        self.next_block: object = None
        self.array_homes: dict[Value, ArrayHome] = {}
        self.variables = ArrayVariables()
        self.prints = printf.PrintState()
        self._labels = 0
        self._used: set[Value] | None = None

    @property
    def used_values(self) -> set[Value]:
        """Values some op or branch reads (an atomic whose result is not one is a ``red``)."""
        if self._used is None:
            self._used = {v for op in self.fn.operations() for v in op.all_operands()}
        return self._used

    def new_label(self, what: str) -> str:
        """A fresh label for control flow inside one op's PTX."""
        self._labels += 1
        return f"$L_{what}{self._labels}"

    def out(self, text: str) -> None:
        self.lines.append(f"\t{text}")

    def __getitem__(self, value: Value) -> str:
        return self.regs[value]

    def fail(self, operation: Operation, why: str) -> CompileError:
        types = ", ".join(str(v.type) for v in operation.operands)
        result = f" -> {operation.result.type}" if operation.result is not None else ""
        return CompileError(f"PTX backend: cannot emit {operation.op.value}({types}){result}: {why}",
                            loc=operation.loc)


OpEmitter = Callable[[KernelContext, Operation], None]


def _scalar(value: Value) -> ScalarType:
    return value.type


# -- values ------------------------------------------------------------------------

def emit_const(ctx: KernelContext, op: Operation) -> None:
    t = op.result.type
    ctx.out(f"mov.{bits_suffix(t)} {ctx[op.result]}, {literal(op.attrs['value'], t)};")


def emit_select(ctx: KernelContext, op: Operation) -> None:
    cond, a, b = op.operands
    if a.type.is_bool:
        raise ctx.fail(op, "a select of bools must be legalized into logic")
    ctx.out(f"selp.{bits_suffix(a.type)} {ctx[op.result]}, {ctx[a]}, {ctx[b]}, {ctx[cond]};")


def emit_cast(ctx: KernelContext, op: Operation) -> None:
    (x,) = op.operands
    src, dst = _scalar(x), op.result.type
    d, a = ctx[op.result], ctx[x]
    if op.attrs.get(LEGAL) == BITCAST:
        if src.bits != dst.bits or src.bits < 32:
            raise ctx.fail(op, "bitcast needs two 32- or 64-bit types")
        ctx.out(f"mov.b{src.bits} {d}, {a};")
    elif src == dst:
        ctx.out(f"mov.{bits_suffix(dst)} {d}, {a};")
    elif src.is_bool:
        one, zero = literal(1, dst), literal(0, dst)
        ctx.out(f"selp.{bits_suffix(dst)} {d}, {one}, {zero}, {a};")
    elif dst.is_bool:
        raise ctx.fail(op, "a cast to bool must be legalized into a comparison")
    elif op.attrs.get(LEGAL) == ZEXT:
        if not (src.is_int and src.bits <= 32 and dst.is_int and dst.bits == 64):
            raise ctx.fail(op, "zero-extension goes from a 32-bit register to 64 bits")
        ctx.out(f"cvt.u64.u32 {d}, {a};")
    elif src.is_int and dst.is_int:
        _int_to_int(ctx, src, dst, d, a)
    elif src.is_int and dst.is_float:
        ctx.out(f"cvt.rn.{float_suffix(dst)}.{int_suffix(src)} {d}, {a};")
    elif src.is_float and dst.is_float:
        rounding = ".rn" if dst.bits < src.bits else ""
        ctx.out(f"cvt{rounding}.{float_suffix(dst)}.{float_suffix(src)} {d}, {a};")
    elif op.attrs.get(LEGAL) == RZI and src != float16 and dst.bits >= 32:
        ctx.out(f"cvt.rzi.{int_suffix(dst)}.{float_suffix(src)} {d}, {a};")
    else:
        raise ctx.fail(op, "float -> int casts must be legalized (NaN, narrow targets)")


def _int_to_int(ctx: KernelContext, src: ScalarType, dst: ScalarType, d: str, a: str) -> None:
    """Wrap to dst's width; narrow results are re-extended in their 32-bit register."""
    if src.bits == 64 and dst.bits == 64:
        ctx.out(f"mov.b64 {d}, {a};")
        return
    if dst.bits == 64:                       # widen: extend by the source's signedness
        ctx.out(f"cvt.{int_suffix(dst)}.{int_suffix(src)} {d}, {a};")
        return
    if src.bits == 64:
        narrow = ctx.regs.new("b32") if dst.bits < 32 else d
        ctx.out(f"cvt.u32.u64 {narrow}, {a};")
        a = narrow
    if dst.bits < 32:
        ctx.out(f"cvt.{int_suffix(dst)}.{memory_suffix(dst)} {d}, {a};")
    elif src.bits != 64:
        ctx.out(f"mov.b32 {d}, {a};")


# -- arithmetic ----------------------------------------------------------------------

INT_BINARY = {Op.ADD: "add", Op.SUB: "sub", Op.MUL: "mul.lo", Op.MIN: "min", Op.MAX: "max"}
FLOAT_BINARY = {Op.ADD: "add.rn", Op.SUB: "sub.rn", Op.MUL: "mul.rn", Op.TRUEDIV: "div.rn"}
BITWISE = {Op.AND: "and", Op.OR: "or", Op.XOR: "xor"}


def _check_wide(ctx: KernelContext, op: Operation, t: ScalarType) -> None:
    if (t.is_int and t.bits < 32) or t == float16 or t.is_bool:
        raise ctx.fail(op, f"{t} arithmetic must be widened by legalization first")


def emit_binary(ctx: KernelContext, op: Operation) -> None:
    a, b = op.operands
    t = _scalar(a)
    d = ctx[op.result]
    if op.op in BITWISE:
        if not t.is_bool:
            _check_wide(ctx, op, t)
        ctx.out(f"{BITWISE[op.op]}.{bits_suffix(t)} {d}, {ctx[a]}, {ctx[b]};")
        return
    _check_wide(ctx, op, t)
    if t.is_float:
        if op.op not in FLOAT_BINARY:
            raise ctx.fail(op, "this float op must be legalized first")
        ctx.out(f"{FLOAT_BINARY[op.op]}.{float_suffix(t)} {d}, {ctx[a]}, {ctx[b]};")
    elif op.op in INT_BINARY:
        ctx.out(f"{INT_BINARY[op.op]}.{int_suffix(t)} {d}, {ctx[a]}, {ctx[b]};")
    elif op.op in (Op.FLOORDIV, Op.MOD) and op.attrs.get(LEGAL) == TRUNC:
        name = "div" if op.op is Op.FLOORDIV else "rem"
        ctx.out(f"{name}.{int_suffix(t)} {d}, {ctx[a]}, {ctx[b]};")
    else:
        raise ctx.fail(op, "this integer op must be legalized first")


def emit_shift(ctx: KernelContext, op: Operation) -> None:
    a, amount = op.operands
    t = _scalar(a)
    _check_wide(ctx, op, t)
    if amount.type.bits != 32 or amount.type.is_signed:
        raise ctx.fail(op, "the shift amount must be legalized to uint32")
    kind = f"b{t.bits}" if op.op is Op.SHL else int_suffix(t)
    name = "shl" if op.op is Op.SHL else "shr"
    ctx.out(f"{name}.{kind} {ctx[op.result]}, {ctx[a]}, {ctx[amount]};")


def emit_unary(ctx: KernelContext, op: Operation) -> None:
    (a,) = op.operands
    t = _scalar(a)
    d = ctx[op.result]
    if op.op in (Op.NOT, Op.INVERT) and t.is_bool:
        ctx.out(f"not.pred {d}, {ctx[a]};")
        return
    _check_wide(ctx, op, t)
    if op.op is Op.NEG:
        ctx.out(f"neg.{float_suffix(t) if t.is_float else int_suffix(t).replace('u', 's')} "
                f"{d}, {ctx[a]};")
    elif op.op is Op.INVERT and t.is_int:
        ctx.out(f"not.{bits_suffix(t)} {d}, {ctx[a]};")
    elif op.op is Op.ABS and t.is_float:
        ctx.out(f"abs.{float_suffix(t)} {d}, {ctx[a]};")
    else:
        raise ctx.fail(op, "must be legalized first")


COMPARE_INT = {Op.EQ: "eq", Op.NE: "ne", Op.LT: "lt", Op.LE: "le", Op.GT: "gt", Op.GE: "ge"}
COMPARE_FLOAT = {**COMPARE_INT, Op.NE: "neu"}      # NaN != x is true; the rest are ordered


def emit_compare(ctx: KernelContext, op: Operation) -> None:
    a, b = op.operands
    t = _scalar(a)
    _check_wide(ctx, op, t)
    table, kind = (COMPARE_FLOAT, float_suffix(t)) if t.is_float else (COMPARE_INT, int_suffix(t))
    ctx.out(f"setp.{table[op.op]}.{kind} {ctx[op.result]}, {ctx[a]}, {ctx[b]};")


# -- math with exact PTX instructions ----------------------------------------------

MATH_EXACT = {Op.SQRT: "sqrt.rn", Op.FLOOR: "cvt.rmi", Op.CEIL: "cvt.rpi", Op.TRUNC: "cvt.rzi",
              Op.FABS: "abs"}
TESTP = {Op.ISNAN: "notanumber", Op.ISINF: "infinite", Op.ISFINITE: "finite"}


def emit_math_unary(ctx: KernelContext, op: Operation) -> None:
    (a,) = op.operands
    t = _scalar(a)
    _check_wide(ctx, op, t)
    if op.op not in MATH_EXACT:
        raise ctx.fail(op, "transcendental functions must be expanded by legalization")
    f = float_suffix(t)
    kind = f"{f}.{f}" if MATH_EXACT[op.op].startswith("cvt") else f
    ctx.out(f"{MATH_EXACT[op.op]}.{kind} {ctx[op.result]}, {ctx[a]};")


# fastmath kernels only (legal=approx): ex2 flushes subnormal results to zero as CUDA's
# __expf does; the others keep subnormals
MATH_APPROX = {Op.EXP2: "ex2.approx.ftz.f32", Op.LOG2: "lg2.approx.f32",
               Op.SIN: "sin.approx.f32", Op.COS: "cos.approx.f32"}


def emit_math_approx(ctx: KernelContext, op: Operation) -> None:
    (a,) = op.operands
    if op.attrs.get(LEGAL) != APPROX or a.type != float32:
        raise ctx.fail(op, "transcendental functions must be expanded by legalization "
                           "(only float32 ones in fastmath kernels are .approx instructions)")
    ctx.out(f"{MATH_APPROX[op.op]} {ctx[op.result]}, {ctx[a]};")


def emit_copysign(ctx: KernelContext, op: Operation) -> None:
    if op.op is not Op.COPYSIGN:
        raise ctx.fail(op, "must be expanded by legalization")
    magnitude, sign = op.operands
    _check_wide(ctx, op, _scalar(magnitude))
    # PTX copysign d, a, b: the sign of a on the value of b
    ctx.out(f"copysign.{float_suffix(magnitude.type)} {ctx[op.result]}, {ctx[sign]}, "
            f"{ctx[magnitude]};")


def emit_fma(ctx: KernelContext, op: Operation) -> None:
    a, b, c = op.operands
    _check_wide(ctx, op, _scalar(a))
    ctx.out(f"fma.rn.{float_suffix(a.type)} {ctx[op.result]}, {ctx[a]}, {ctx[b]}, {ctx[c]};")


def emit_predicate(ctx: KernelContext, op: Operation) -> None:
    (a,) = op.operands
    _check_wide(ctx, op, _scalar(a))
    ctx.out(f"testp.{TESTP[op.op]}.{float_suffix(a.type)} {ctx[op.result]}, {ctx[a]};")


# -- the launch and memory -------------------------------------------------------------

SPECIAL = {Op.THREAD_IDX: "%tid", Op.BLOCK_IDX: "%ctaid", Op.BLOCK_DIM: "%ntid",
           Op.GRID_DIM: "%nctaid"}


def emit_special(ctx: KernelContext, op: Operation) -> None:
    if op.op is Op.LANE_ID:
        source = "%laneid"
    else:
        source = f"{SPECIAL[op.op]}.{'xyz'[op.attrs.get('axis', 0)]}"
    ctx.out(f"mov.u32 {ctx[op.result]}, {source};")


# -- control flow --------------------------------------------------------------------

def emit_br(ctx: KernelContext, op: Operation) -> None:
    (succ,) = op.successors
    _parallel_copy(ctx, [ctx[p] for p in succ.block.params], [ctx[v] for v in succ.args],
                   [p.type for p in succ.block.params])
    if succ.block is not ctx.next_block:
        ctx.out(f"bra.uni {ctx.labels[succ.block]};")


def _parallel_copy(ctx: KernelContext, dests: list[str], sources: list[str],
                   types: list[ScalarType]) -> None:
    moves = [(d, s, t) for d, s, t in zip(dests, sources, types) if d != s]
    written = {d for d, _, _ in moves}
    if any(s in written for _, s, _ in moves):          # a cycle or overlap: via temps
        temps = []
        for d, s, t in moves:
            temp = ctx.regs.temp(t)
            ctx.out(f"mov.{bits_suffix(t)} {temp}, {s};")
            temps.append((d, temp, t))
        moves = temps
    for d, s, t in moves:
        ctx.out(f"mov.{bits_suffix(t)} {d}, {s};")


def emit_cbr(ctx: KernelContext, op: Operation) -> None:
    if any(s.args for s in op.successors):
        raise ctx.fail(op, "conditional branches with block arguments must be split first")
    if_true, if_false = (s.block for s in op.successors)
    cond = ctx[op.operands[0]]
    ctx.out(f"@{cond} bra {ctx.labels[if_true]};")
    if if_false is not ctx.next_block:
        ctx.out(f"bra.uni {ctx.labels[if_false]};")


def emit_ret(ctx: KernelContext, op: Operation) -> None:
    if op.operands:
        raise ctx.fail(op, "a kernel returns no values")
    ctx.out("ret;")


PTX_IMPL: dict[Op, OpEmitter] = {
    Op.CONST: emit_const, Op.CAST: emit_cast, Op.SELECT: emit_select,
    **{op: emit_binary for op in (Op.ADD, Op.SUB, Op.MUL, Op.TRUEDIV, Op.FLOORDIV, Op.MOD,
                                  Op.MIN, Op.MAX, Op.AND, Op.OR, Op.XOR)},
    Op.SHL: emit_shift, Op.SHR: emit_shift,
    **{op: emit_unary for op in (Op.NEG, Op.INVERT, Op.NOT, Op.ABS)},
    **{op: emit_compare for op in COMPARE},
    **{op: emit_math_unary for op in MATH_EXACT},
    **{op: emit_math_approx for op in MATH_APPROX},
    Op.COPYSIGN: emit_copysign, Op.FMA: emit_fma,
    **{op: emit_predicate for op in TESTP},
    **{op: emit_special for op in (*SPECIAL, Op.LANE_ID)},
    Op.ARRAY_DIM: emit_array_dim, Op.LOAD: emit_load, Op.STORE: emit_store,
    Op.SHARED_ARRAY: emit_allocation, Op.LOCAL_ARRAY: emit_allocation,
    Op.ATOMIC: emit_atomic, Op.ATOMIC_CAS: emit_atomic_cas,
    **emit_warp.PTX_IMPL,
    Op.PRINT: printf.emit_print,
    Op.BR: emit_br, Op.CBR: emit_cbr, Op.RET: emit_ret,
}


# -- the module ----------------------------------------------------------------------

def emit_ptx(fn: Function, arch: str = "sm_90") -> str:
    """The PTX module for a legalized kernel ``fn``, targeting ``arch``."""
    if arch not in PTX_VERSION:
        raise CompileError(f"unsupported GPU architecture {arch!r}",
                           hint=f"choose one of {', '.join(PTX_VERSION)}")
    if not fn.is_kernel:
        raise CompileError(f"{fn.name!r} is a device function: only kernels are emitted "
                           "(device functions are inlined by the tracer)", loc=fn.loc)
    ctx = KernelContext(fn)
    files = _source_files(fn)
    params = kernel_params(fn)
    _load_params(ctx, params)
    last_loc = None
    blocks = ctx.blocks
    for index, block in enumerate(blocks):
        ctx.next_block = blocks[index + 1] if index + 1 < len(blocks) else None
        if index:
            ctx.lines.append(f"{ctx.labels[block]}:")
        for operation in block.ops:
            loc = operation.loc
            if loc is not None and (loc.filename, loc.line, loc.col) != last_loc:
                column = 0 if loc.col is None else loc.col + 1
                ctx.out(f".loc {files[loc.filename]} {loc.line} {column}")
                last_loc = (loc.filename, loc.line, loc.col)
            impl = PTX_IMPL.get(operation.op)
            if impl is None:
                raise ctx.fail(operation, "no PTX lowering")
            impl(ctx, operation)
    return _module_text(ctx, arch, files, params)


def _source_files(fn: Function) -> dict[str, int]:
    files: dict[str, int] = {}
    for operation in fn.operations():
        if operation.loc is not None and operation.loc.filename not in files:
            files[operation.loc.filename] = len(files) + 1
    return files


def _load_params(ctx: KernelContext, params: list[KernelParam]) -> None:
    args = ctx.fn.args
    for param in params:
        value = args[param.arg_index]
        if param.kind == "pointer":
            raw, pointer = ctx.regs.new("b64"), ctx.regs.new("b64")
            ctx.out(f"ld.param.u64 {raw}, [{param.name}];")
            ctx.out(f"cvta.to.global.u64 {pointer}, {raw};")
            ctx.array_homes[value] = ArrayHome(MemorySpace.GLOBAL, pointer, [])
        elif param.kind == "shape":
            extent = ctx.regs.new("b64")
            ctx.out(f"ld.param.s64 {extent}, [{param.name}];")
            ctx.array_homes[value].extents.append(extent)
        elif value.type.is_bool:
            byte = ctx.regs.new("b32")
            ctx.out(f"ld.param.u8 {byte}, [{param.name}];")
            ctx.out(f"setp.ne.u32 {ctx[value]}, {byte}, 0;")
        else:
            ctx.out(f"ld.param.{param.ptx_type} {ctx[value]}, [{param.name}];")


def _module_text(ctx: KernelContext, arch: str, files: dict[str, int],
                 params: list[KernelParam]) -> str:
    head = [
        f"// Generated by simt from kernel '{ctx.fn.name}'",
        f".version {PTX_VERSION[arch]}",
        f".target {arch}",
        ".address_size 64",
        "",
    ]
    head += [f'.file {n} "{_escape(name)}"' for name, n in files.items()]
    head += ctx.variables.module_lines
    head += ctx.prints.module_lines()
    if files or ctx.prints.used or ctx.variables.module_lines:
        head.append("")
    param_lines = ",\n".join(f"\t.param .{p.ptx_type} {p.name}" for p in params)
    head.append(f".visible .entry {kernel_name(ctx.fn)}(" + (f"\n{param_lines}\n" if params else "")
                + ")")
    head.append("{")
    body = [f"\t{decl}" for decl in ctx.regs.declarations()]
    body += [f"\t{line}" for line in ctx.variables.kernel_lines]
    body += [f"\t{line}" for line in ctx.prints.kernel_lines()]
    return "\n".join(head + body + [""] + ctx.lines + ["}", ""])


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
