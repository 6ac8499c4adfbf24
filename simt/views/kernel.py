"""``kern.inspect(...)``: a function's SSA beside the Python lines it came from.

Each block is a section headed by its label and params (the phis), with its
predecessors and successors; under it, the ops are grouped by the source line
in their ``loc``, each group shown under that line's text (or its bytecode when
the source is unavailable). Each phi also gets a line naming the value it takes
from each predecessor. A CFG view follows for functions with loops, and the PTX,
grouped by the same source lines, when asked for.

``str()`` is plain deterministic text (golden files); rich renders colours
(types coloured by kind, phis highlighted) and, on a wide console, puts each
source line beside its ops.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import FunctionType

from ..ir.core import Block, Function, Operation, Value
from ..ir.ops import Op
from ..ir.printer import ValueNames, format_attr
from .cfg import CfgView
from .ptx import PtxView
from .source import SourceIndex, SourceText, dedent, python_functions, short_path
from .style import Line, highlight_python, join, plain, rich_text, type_tag

SIDE_BY_SIDE_MIN_WIDTH = 110


# ------------------------------------------------------------------ tagged IR text
def value_piece(value: Value, names: ValueNames, function: Function) -> tuple[str, str]:
    if isinstance(value.owner, Block):
        return names[value], "arg" if value.owner is function.entry else "param"
    return names[value], "value"


def typed_value(value: Value, names: ValueNames, function: Function) -> Line:
    return [value_piece(value, names, function), (": ", ""), (str(value.type), type_tag(value.type))]


def constant_text(value) -> str:
    return repr(value.item()) if hasattr(value, "item") else repr(value)


def operation_line(operation: Operation, names: ValueNames, function: Function) -> Line:
    """The op as ``simt.ir.printer.format_operation`` prints it, in tagged pieces."""
    args: list[Line] = []
    if operation.op is Op.CONST:
        args.append([(constant_text(operation.attrs["value"]), "const")])
    else:
        args += [[value_piece(v, names, function)] for v in operation.operands]
        args += [[(format_attr(k, v), "attr")] for k, v in sorted(operation.attrs.items())]
    for succ in operation.successors:
        branch_args = join([[value_piece(v, names, function)] for v in succ.args])
        args.append([(succ.block.label, "block"), ("(", "")] + branch_args + [(")", "")])
    line: Line = []
    if operation.result is not None:
        line += typed_value(operation.result, names, function) + [(" = ", "")]
    line.append((operation.op.value, "op"))
    if args:
        line += [(" ", "")] + join(args)
    return line


def block_header(block: Block, names: ValueNames, function: Function) -> Line:
    line: Line = [(block.label, "block")]
    if block.params and block is not function.entry:
        line += [("(", "")] + join([typed_value(p, names, function) for p in block.params]) + [(")", "")]
    return line + [(":", "")]


def signature_line(function: Function, names: ValueNames) -> Line:
    kind = "kernel" if function.is_kernel else "device"
    line: Line = [(kind, "heading"), (" ", ""), (function.name, "heading"), ("(", "")]
    line += join([typed_value(a, names, function) for a in function.args]) + [(")", "")]
    if function.result_types:
        results = join([[(str(t), type_tag(t))] for t in function.result_types])
        line += [(" -> (", "")] + results + [(")", "")]
    if function.loc is not None:
        line.append((f"  # {short_path(function.loc.filename)}:{function.loc.line}", "note"))
    return line


# ------------------------------------------------------------------ the model
@dataclass
class LineGroup:
    """Consecutive ops of a block that came from one source line."""

    filename: str | None
    line: int | None
    function: str            # the Python function of the line ('' when unknown)
    source: SourceText | None
    ops: list[Operation]
    elsewhere: str = ""      # set when the line is in another function than the kernel

    def gutter(self) -> str:
        return f"{self.line:>5}" if self.line is not None else "    ?"

    def source_line(self) -> Line:
        if self.line is None:
            return [("<no source position>", "note")]
        if self.source is None:
            line = [("<source unavailable>", "note")]
        elif self.source.is_bytecode:
            line = [("bytecode: " + self.source.text, "bytecode")]
        else:
            line = [(self.source.text, "source")]
        return line + self.origin()

    def origin(self) -> Line:
        return [(f"    # in {self.elsewhere}", "note")] if self.elsewhere else []


@dataclass
class Phi:
    param: Value
    incoming: list[tuple[Block, Value]]


@dataclass
class BlockSection:
    block: Block
    predecessors: list[Block]
    successors: list[Block]
    phis: list[Phi]
    groups: list[LineGroup]
    loop_header: bool


def group_by_line(ops: list[Operation]) -> list[LineGroup]:
    groups: list[LineGroup] = []
    for operation in ops:
        loc = operation.loc
        key = (loc.filename, loc.line, loc.function) if loc else (None, None, "")
        if groups and (groups[-1].filename, groups[-1].line, groups[-1].function) == key:
            groups[-1].ops.append(operation)
        else:
            groups.append(LineGroup(*key, None, [operation]))
    return groups


def _unique(blocks: list[Block]) -> list[Block]:
    return list(dict.fromkeys(blocks))


def build_sections(function: Function, index: SourceIndex, loop_headers: set[Block]) -> list[BlockSection]:
    incoming: dict[Block, list[tuple[Block, list[Value]]]] = {b: [] for b in function.blocks}
    for block in function.blocks:
        term = block.terminator
        for succ in term.successors if term is not None else ():
            incoming.setdefault(succ.block, []).append((block, succ.args))
    sections = []
    for block in function.blocks:
        phis = []
        if block is not function.entry:
            for position, param in enumerate(block.params):
                phis.append(Phi(param, [(pred, args[position]) for pred, args in incoming[block]
                                        if position < len(args)]))
        groups = group_by_line(block.ops)
        sections.append(BlockSection(block, _unique([p for p, _ in incoming[block]]),
                                     _unique(block.successors), phis, groups,
                                     block in loop_headers))
    home = function.loc.filename if function.loc else None
    by_origin: dict[tuple, list[LineGroup]] = {}
    for group in (g for section in sections for g in section.groups):
        by_origin.setdefault((group.filename, group.function), []).append(group)
        if group.line is not None and (group.function, group.filename) != (function.name, home):
            where = "" if group.filename == home else f", {short_path(group.filename)}"
            group.elsewhere = f"{group.function or '?'}{where}"
    for groups in by_origin.values():   # each function's lines keep their own nesting
        texts = dedent([index.lookup(g.filename, g.line) if g.line is not None else None
                        for g in groups])
        for group, text in zip(groups, texts):
            group.source = text
    return sections


# ------------------------------------------------------------------ the view
class KernelView:
    """What ``kern.inspect(...)`` returns: print it, or render it with rich."""

    def __init__(self, function: Function, pyfunc: FunctionType | None = None, *,
                 cfg: bool | None = None, ptx: PtxView | None = None):
        self.function = function
        self.names = ValueNames(function)
        self.cfg = CfgView(function)
        self.show_cfg = self.cfg.has_loops if cfg is None else cfg
        self.ptx = ptx
        headers = {loop.header for loop in self.cfg.loops}
        self.sections = build_sections(function, SourceIndex(python_functions(pyfunc)), headers)

    # -------------------------------------------------------------- pieces
    def edges_line(self, section: BlockSection) -> Line:
        line: Line = []
        if section.predecessors:
            line += [("from ", "edge")] + join([[(b.label, "block")] for b in section.predecessors])
        if section.successors:
            if line:
                line.append((" | ", "edge"))
            line += [("to ", "edge")] + join([[(b.label, "block")] for b in section.successors])
        if section.loop_header:
            line += [(" | ", "edge"), ("loop header", "loop")]
        return line

    def phi_line(self, phi: Phi) -> Line:
        sources = join([[(pred.label, "block"), (": ", "")] + [value_piece(v, self.names, self.function)]
                        for pred, v in phi.incoming])
        return ([("phi ", "op")] + typed_value(phi.param, self.names, self.function)
                + [(" <- ", "")] + sources)

    def op_line(self, operation: Operation) -> Line:
        return operation_line(operation, self.names, self.function)

    # -------------------------------------------------------------- plain text
    def __str__(self) -> str:
        lines = [plain(signature_line(self.function, self.names))]
        for section in self.sections:
            lines.append("")
            header = plain(block_header(section.block, self.names, self.function))
            edges = plain(self.edges_line(section))
            lines.append(f"{header}  {edges}" if edges else header)
            lines += [f"        {plain(self.phi_line(phi))}" for phi in section.phis]
            for group in section.groups:
                lines.append(f"{group.gutter()}  {plain(group.source_line())}")
                lines += [f"          {plain(self.op_line(op))}" for op in group.ops]
        if self.show_cfg:
            lines += ["", str(self.cfg)]
        if self.ptx is not None:
            lines += ["", str(self.ptx)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<simt.views.KernelView of {self.function.name}: print() it or render it with rich>"

    # -------------------------------------------------------------- rich
    def __rich_console__(self, console, options):
        from rich.panel import Panel

        yield rich_text(signature_line(self.function, self.names))
        source_width = None
        if options.max_width >= SIDE_BY_SIDE_MIN_WIDTH:
            longest = max((len(g.source.text) for s in self.sections for g in s.groups
                           if g.source is not None and not g.source.is_bytecode), default=20)
            source_width = min(longest, int(options.max_width * 0.45))
        for section in self.sections:
            title = rich_text(block_header(section.block, self.names, self.function)[:-1])
            edges = self.edges_line(section)
            subtitle = rich_text(edges) if edges else None
            yield Panel(self._rich_body(section, source_width), title=title, title_align="left",
                        subtitle=subtitle, subtitle_align="right", border_style="bright_black",
                        expand=True)
        if self.show_cfg:
            yield self.cfg
        if self.ptx is not None:
            yield self.ptx

    def _rich_source(self, group: LineGroup):
        if group.source is not None and not group.source.is_bytecode:
            return highlight_python(group.source.text) + rich_text(group.origin())
        return rich_text(group.source_line())

    def _rich_body(self, section: BlockSection, source_width: int | None):
        """Phis, then each source line beside its ops (``source_width`` columns wide), or,
        when ``source_width`` is None (a narrow console), the ops under their line."""
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        parts = [rich_text(self.phi_line(phi)) for phi in section.phis]
        if source_width is not None:
            table = Table.grid(padding=(0, 2))
            table.add_column(justify="right", style="dim", no_wrap=True, width=5)
            table.add_column(width=source_width, overflow="fold")
            table.add_column(overflow="fold")
            for group in section.groups:
                ops = Text("\n").join(rich_text(self.op_line(op)) for op in group.ops)
                table.add_row(group.gutter().strip(), self._rich_source(group), ops)
            parts.append(table)
        else:
            for group in section.groups:
                line = Text()
                line.append(group.gutter() + "  ", style="dim")
                parts.append(line + self._rich_source(group))
                for op in group.ops:
                    parts.append(Text("          ") + rich_text(self.op_line(op)))
        return Group(*parts)
