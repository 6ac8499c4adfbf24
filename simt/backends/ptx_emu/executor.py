"""Running a linked program over one batch of blocks.

Execution model (documented in the package docstring): the threads of a batch
are kept in *groups*, one per program counter. Each step takes the group with
the lowest PC, merged from every piece waiting there, and runs its instruction
for all those threads at once (NumPy over the threads). A predicate guard or a
divergent branch splits the group; the parts meet again when they reach a
common PC, because the lowest PC always goes first: for the structured code
compilers emit (forward branches, loops by back edges), threads reconverge at
the first instruction after an if/else or a loop. A group keeps running
straight-line code while it stays below every other group.

``bar.sync`` parks the arriving threads; when no group can run, every parked
thread is released (all live threads of each block have then arrived).
``exit``/``ret`` retire threads. Memory faults and other runtime errors become
``KernelRuntimeError`` naming the PTX line, the instruction, the thread and
the kernel's ``.loc`` source line when present.
"""
from __future__ import annotations

import numpy as np

from simt.ir.errors import KernelRuntimeError, SourceLoc

from .context import Context
from .linker import Program
from .lowering import BARRIER, BRANCH, EXIT, NORMAL, Step
from .memory import Fault
from .threads import Sel, merge, sel_count, sel_thread, split


def source_loc(program: Program, step: Step) -> SourceLoc | None:
    loc = step.ins.loc
    if loc is None or loc.file not in program.files:
        return None
    return SourceLoc(program.files[loc.file], loc.line, loc.col - 1 if loc.col > 0 else None)


def runtime_error(program: Program, step: Step, ctx: Context, sel: Sel, message: str,
                  position: int = 0) -> KernelRuntimeError:
    thread = sel_thread(sel, min(position, sel_count(sel) - 1))
    text = (f"{message}, by {ctx.batch.describe(thread)} "
            f"(PTX line {step.ins.line}: {step.ins.text})")
    return KernelRuntimeError(text, loc=source_loc(program, step), kernel=program.name)


def run_batch(program: Program, ctx: Context, max_steps: int | None = None) -> None:
    steps = program.steps
    end = len(steps)
    groups: dict[int, list[Sel]] = {0: [ctx.batch.all]}
    parked: dict[int, list[Sel]] = {}
    regs = ctx.regs
    with np.errstate(all="ignore"):
        while groups or parked:
            if not groups:
                for pc in sorted(parked):
                    sel = merge(parked[pc])
                    step = steps[pc]
                    if step.release is not None:
                        _call(program, step, step.release, ctx, sel)
                    groups.setdefault(pc + 1, []).append(sel)
                parked.clear()
                continue
            pc = min(groups)
            sel = merge(groups.pop(pc))
            limit = min(groups) if groups else end + 1
            while True:
                if pc >= end:
                    ctx.retire(sel)
                    break
                step = steps[pc]
                ctx.clock += 1
                if max_steps is not None and ctx.clock > max_steps:
                    raise runtime_error(program, step, ctx, sel,
                                        f"kernel still running after {max_steps} steps")
                if step.guard is not None:
                    name, negate = step.guard
                    value = regs.read(name, sel)
                    taken, skipped = split(sel, ~value if negate else value)
                    if skipped is not None:
                        groups.setdefault(pc + 1, []).append(skipped)
                        limit = min(limit, pc + 1)
                    if taken is None:       # all skipped: queued at pc + 1 above
                        break
                    sel = taken
                kind = step.kind
                if kind == NORMAL:
                    _call(program, step, step.run, ctx, sel)
                    pc += 1
                elif kind == BRANCH:
                    pc = step.target
                elif kind == EXIT:
                    ctx.retire(sel)
                    break
                elif kind == BARRIER:
                    if step.run is not None:
                        _call(program, step, step.run, ctx, sel)
                    parked.setdefault(pc, []).append(sel)
                    break
                if pc >= limit:
                    groups.setdefault(pc, []).append(sel)
                    break


def _call(program: Program, step: Step, fn, ctx: Context, sel: Sel) -> None:
    try:
        fn(ctx, sel)
    except Fault as fault:
        raise runtime_error(program, step, ctx, sel, fault.message, fault.position) from None
