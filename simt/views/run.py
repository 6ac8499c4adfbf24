"""``simt run``: launch a kernel once (or a few times) on random inputs, and report
what it wrote and how long it took."""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..signature import Param, random_arguments
from .style import Line, plain, rich_text
from .values import array_type_text, changed_elements, leading_values, scalar_text, statistics


@dataclass
class RunReport:
    kernel: str
    target: str
    grid: tuple[int, int, int]
    block: tuple[int, int, int]
    seed: int
    names: list[str]
    params: list[Param]
    inputs: list[Any]
    outputs: list[Any]
    compile_seconds: float
    launch_seconds: list[float]

    # -------------------------------------------------------------- model
    def heading(self) -> Line:
        threads = int(np.prod(self.grid) * np.prod(self.block))
        return [(f"{self.kernel}", "heading"), (" on ", ""), (self.target, "heading"),
                (f": grid {self.grid} x block {self.block} = {threads} threads, "
                 f"random inputs (seed {self.seed})", "")]

    def timing_lines(self) -> list[Line]:
        lines = [[("  compile ", ""), (f"{self.compile_seconds * 1e3:9.1f} ms", "good"),
                  ("  trace and optimize (cached for later launches)", "note")]]
        first = self.launch_seconds[0]
        lines.append([("  launch  ", ""), (f"{first * 1e3:9.2f} ms", "good"),
                      ("  first launch", "note")])
        if len(self.launch_seconds) > 1:
            best = min(self.launch_seconds[1:])
            lines.append([("  launch  ", ""), (f"{best * 1e3:9.2f} ms", "good"),
                          (f"  best of {len(self.launch_seconds) - 1} more", "note")])
        return lines

    def argument_rows(self) -> tuple[list[list[str]], list[list[str]]]:
        """(input rows, output rows): name, type, description."""
        inputs, outputs = [], []
        for name, param, before, after in zip(self.names, self.params, self.inputs, self.outputs):
            if not isinstance(before, np.ndarray):
                inputs.append([name, param.describe(), scalar_text(before)])
                continue
            kind = array_type_text(before)
            inputs.append([name, kind, statistics(before)])
            changed = changed_elements(before, after)
            if changed:
                outputs.append([name, kind, f"{changed} of {before.size} elements changed; "
                                f"{statistics(after)}", leading_values(after)])
        return inputs, outputs

    # -------------------------------------------------------------- renderings
    def __str__(self) -> str:
        inputs, outputs = self.argument_rows()
        lines = [plain(self.heading())] + [plain(line) for line in self.timing_lines()]
        width_name = max(len(r[0]) for r in inputs) if inputs else 4
        width_type = max(len(r[1]) for r in inputs) if inputs else 4
        lines.append("inputs")
        lines += [f"  {r[0]:<{width_name}}  {r[1]:<{width_type}}  {r[2]}" for r in inputs]
        lines.append("outputs" if outputs else "outputs: the kernel changed no array")
        for row in outputs:
            lines.append(f"  {row[0]:<{width_name}}  {row[1]:<{width_type}}  {row[2]}")
            lines.append(f"  {'':<{width_name}}  {'':<{width_type}}  {row[3]}")
        return "\n".join(lines)

    def __rich_console__(self, console, options):
        from rich.table import Table

        yield rich_text(self.heading())
        for line in self.timing_lines():
            yield rich_text(line)
        inputs, outputs = self.argument_rows()
        table = Table(title="inputs", title_justify="left", box=None, padding=(0, 2))
        for column in ("argument", "type", "values"):
            table.add_column(column, style="bold" if column == "argument" else None)
        for row in inputs:
            table.add_row(*row)
        yield table
        if not outputs:
            yield rich_text([("outputs: the kernel changed no array", "note")])
            return
        table = Table(title="outputs", title_justify="left", box=None, padding=(0, 2))
        for column in ("argument", "type", "result"):
            table.add_column(column, style="bold" if column == "argument" else None)
        for row in outputs:
            table.add_row(row[0], row[1], f"{row[2]}\n{row[3]}")
        yield table


def run_kernel(dispatcher, params: Sequence[Param], grid: Sequence[int], block: Sequence[int], *,
               target: str, seed: int = 0, repeat: int = 1) -> RunReport:
    """Launch ``dispatcher`` on random arguments of ``params`` ``repeat`` times (fresh
    copies of the inputs each time) on ``target``; errors propagate (SimtError)."""
    from ..dispatcher import normalize_dims
    from ..targets import target as use_target

    grid3, block3 = normalize_dims(tuple(grid), "grid"), normalize_dims(tuple(block), "block")
    inputs = random_arguments(params, grid3, block3, seed)
    specs = dispatcher.specs(inputs)
    start = time.perf_counter()
    dispatcher.compile(specs)
    compile_seconds = time.perf_counter() - start
    launcher = dispatcher[grid3, block3]
    timings, outputs = [], None
    for _ in range(max(1, repeat)):
        arguments = copy.deepcopy(inputs)
        with use_target(target):
            start = time.perf_counter()
            launcher(*arguments)
            timings.append(time.perf_counter() - start)
        outputs = outputs or arguments
    code = dispatcher.py_func.__code__
    names = list(code.co_varnames[:code.co_argcount])
    return RunReport(dispatcher.__name__, target, grid3, block3, seed, names, list(params),
                     inputs, outputs, compile_seconds, timings)
