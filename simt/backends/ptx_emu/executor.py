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

A group of some of the batch's threads works on its own compacted registers
(a ``Frame``, see ``frames.py``): gathered once, written back to the batch's
register file only when groups merge, and only where still live
(``liveness.py``). When a few threads leave a group (a loop exit taken by some
threads each iteration), they take a compact copy of their live registers and
the group keeps their lanes inactive, until fewer than ``COMPACT_BELOW`` of
its lanes are active or an instruction that is not lane-wise needs exactly the
running threads.

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
from .frames import Frame
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


# A frame whose active lanes fall below this fraction of its width compacts.
COMPACT_BELOW = 0.7


def run_batch(program: Program, ctx: Context, max_steps: int | None = None) -> None:
    steps = program.steps
    live = program.liveness
    end = len(steps)
    file = ctx.regs
    everyone = ctx.batch.all
    # pc -> the groups waiting there: a Frame, or None for every thread of the
    # batch (which use the register file itself)
    groups: dict[int, list[Frame | None]] = {0: [None]}
    parked: dict[int, list[Sel]] = {}
    try:
        with np.errstate(all="ignore"):
            while groups or parked:
                if not groups:
                    ctx.regs = file
                    for pc in sorted(parked):
                        sel = merge(parked[pc], ctx.batch.size)
                        step = steps[pc]
                        if step.release is not None:
                            _call(program, step, step.release, ctx, sel)
                        groups.setdefault(pc + 1, []).append(_group(file, sel, everyone))
                    parked.clear()
                    continue
                pc = min(groups)
                frame = _join(groups.pop(pc), live.at(pc), file, everyone)
                # sel: the lanes instructions run for (a frame's may include inactive ones)
                sel = everyone if frame is None else frame.lanes
                regs = ctx.regs = file if frame is None else frame
                limit = min(groups) if groups else end + 1
                while True:
                    if pc >= end:
                        ctx.retire(everyone if frame is None else frame.sel)
                        break
                    step = steps[pc]
                    ctx.clock += 1
                    if max_steps is not None and ctx.clock > max_steps:
                        raise runtime_error(program, step, ctx,
                                            everyone if frame is None else frame.sel,
                                            f"kernel still running after {max_steps} steps")
                    kind = step.kind
                    if step.guard is not None:
                        name, negate = step.guard
                        value = regs.read(name, sel)
                        goes_to = step.target if kind == BRANCH else pc
                        running, waiting = _split(frame, file, ~value if negate else value,
                                                  live, pc, goes_to)
                        if waiting is not _NOBODY:
                            groups.setdefault(pc + 1, []).append(waiting)
                            if running is _NOBODY:
                                break
                            limit = min(limit, pc + 1)
                        if running is not frame:
                            frame = running
                            regs = ctx.regs = file if frame is None else frame
                        sel = everyone if frame is None else frame.lanes
                    if kind == NORMAL:
                        if frame is not None and frame.active is not None and not step.lanewise:
                            frame.compact(live.at(pc))
                            sel = frame.lanes
                        _call(program, step, step.run, ctx, sel)
                        pc += 1
                    elif kind == BRANCH:
                        pc = step.target
                    elif kind == EXIT:
                        ctx.retire(everyone if frame is None else frame.sel)
                        break
                    elif kind == BARRIER:
                        if frame is not None:
                            frame.compact(live.at(pc))
                            sel = frame.lanes
                        if step.run is not None:
                            _call(program, step, step.run, ctx, sel)
                        if frame is not None:
                            frame.write_back(live.at(pc))
                        parked.setdefault(pc, []).append(sel)
                        break
                    if pc >= limit:
                        groups.setdefault(pc, []).append(frame)
                        break
    finally:
        ctx.regs = file


_NOBODY = object()


def _split(frame: Frame | None, file, taken, live, pc: int, goes_to: int):
    """Split the group running the guarded step at ``pc`` (``frame``, None for the
    whole batch) by its guard ``taken`` (per lane, or uniform): (the group that
    runs the step, then continues at ``goes_to``; the group that skips to pc + 1),
    either of them ``_NOBODY``."""
    if np.ndim(taken) == 0:
        return (frame, _NOBODY) if taken else (_NOBODY, frame)
    if frame is None:
        ran, skipped = split(slice(0, file.size), taken)
        if ran is None:
            return _NOBODY, None
        if skipped is None:
            return None, _NOBODY
        return Frame(file, ran), Frame(file, skipped)
    if frame.active is not None:
        taken = taken & frame.active
    count = int(np.count_nonzero(taken))
    if count == 0:
        return _NOBODY, frame
    if count == frame.active_count:
        return frame, _NOBODY
    # the smaller side gets a compact copy of its live registers; the larger
    # keeps the frame's lanes
    skipped = ~taken if frame.active is None else frame.active & ~taken
    if 2 * count >= frame.active_count:
        waiting = frame.leave(skipped, live.at(pc + 1))
        frame.narrow(taken, count)
        running = frame
    else:
        running = frame.leave(taken, live.at(goes_to))
        frame.narrow(skipped, frame.active_count - count)
        waiting = frame
    for group, at in ((running, goes_to), (waiting, pc + 1)):
        if group.active_count < COMPACT_BELOW * group.width:
            group.compact(live.at(at))
    return running, waiting


def _group(file, sel: Sel, everyone: slice) -> Frame | None:
    return None if isinstance(sel, slice) and sel == everyone else Frame(file, sel)


def _join(pieces: list[Frame | None], live: frozenset[str], file,
          everyone: slice) -> Frame | None:
    """One group from the pieces waiting at a pc: a lone piece stays as it is;
    merged pieces write their frames back and share the register file."""
    if len(pieces) == 1:
        return pieces[0]
    for frame in pieces:
        if frame is not None:
            frame.write_back(live)
    merged = merge([everyone if frame is None else frame.sel for frame in pieces],
                   everyone.stop)
    return _group(file, merged, everyone)


def _call(program: Program, step: Step, fn, ctx: Context, sel: Sel) -> None:
    try:
        fn(ctx, sel)
    except Fault as fault:
        raise runtime_error(program, step, ctx, sel, fault.message, fault.position) from None
