"""Deterministic plain-text rendering of IR functions (golden-file friendly).

Values are numbered in definition order; arguments print by name. Each op line
ends with the source line it came from. Colour and source interleaving live in
the rich renderer, not here.
"""
from __future__ import annotations

from .core import Block, Function, Operation, Value
from .ops import Op


class ValueNames:
    """Stable printable names for the values of one function."""

    def __init__(self, function: Function):
        self.names: dict[Value, str] = {}
        counter = 0
        for value in function.args:
            self.names[value] = f"%{value.name}"
        for block in function.blocks:
            values = [] if block is function.entry else list(block.params)
            values += [op.result for op in block.ops if op.result is not None]
            for value in values:
                suffix = f".{value.name}" if value.name else ""
                self.names[value] = f"%{counter}{suffix}"
                counter += 1

    def __getitem__(self, value: Value) -> str:
        return self.names.get(value, f"%?{value.uid}")


def format_attr(key: str, value) -> str:
    if key == "value":
        return _format_constant(value)
    return f"{key}={value!r}"


def _format_constant(value) -> str:
    text = repr(value.item()) if hasattr(value, "item") else repr(value)
    return text


def format_operation(operation: Operation, names: ValueNames) -> str:
    args = [names[v] for v in operation.operands]
    if operation.op is Op.CONST:
        args = [_format_constant(operation.attrs["value"])]
    else:
        args += [format_attr(k, v) for k, v in sorted(operation.attrs.items())]
    for succ in operation.successors:
        args.append(f"{succ.block.label}({', '.join(names[v] for v in succ.args)})")
    body = f"{operation.op.value} {', '.join(args)}".rstrip()
    if operation.result is not None:
        body = f"{names[operation.result]}: {operation.result.type} = {body}"
    return body


def format_block_header(block: Block, names: ValueNames) -> str:
    if not block.params:
        return f"{block.label}:"
    params = ", ".join(f"{names[p]}: {p.type}" for p in block.params)
    return f"{block.label}({params}):"


def format_function(function: Function) -> str:
    names = ValueNames(function)
    kind = "kernel" if function.is_kernel else "device"
    args = ", ".join(f"{names[a]}: {a.type}" for a in function.args)
    results = ""
    if function.result_types:
        results = " -> (" + ", ".join(str(t) for t in function.result_types) + ")"
    options = " fastmath" if function.fastmath else ""
    lines = [f"{kind} {function.name}({args}){results}{options} {{"]
    for block in function.blocks:
        lines.append(f"{block.label}:" if block is function.entry else format_block_header(block, names))
        for operation in block.ops:
            text = "  " + format_operation(operation, names)
            if operation.loc is not None:
                text = f"{text:<60} # line {operation.loc.line}"
            lines.append(text)
    lines.append("}")
    return "\n".join(lines)
