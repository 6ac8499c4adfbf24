"""``simt check``: the CPython oracle against every available target, on inputs
hypothesis draws, shrunk to the smallest disagreement.

Each example runs the kernel's Python function once per thread
(``simt.testing.run_python``, the reference meaning) and on each target, and
compares every array argument afterwards: bitwise (every NaN equal to every NaN),
or within ``ulp`` units in the last place. A target that raises where the oracle
does not (or the other way round) disagrees too. On a disagreement the report
gives the smallest failing input hypothesis found, the first differing element,
each target's value there, and the thread that wrote it in the oracle.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..ir.errors import TargetUnavailableError
from ..signature import Param, argument_strategy, random_arguments
from ..testing.compare import (ORACLE, Mismatch, Outcome, differing, first_mismatch, run_oracle,
                               run_target, ulp_distance)
from .style import Line, plain, rich_text
from .values import array_type_text, float_bits, index_text, scalar_text, sparse_text

__all__ = ["ORACLE", "CheckReport", "Disagreement", "Mismatch", "Outcome", "check_kernel",
           "differing", "first_mismatch", "oracle_writer", "run_oracle", "run_target",
           "ulp_distance"]


def oracle_writer(dispatcher, grid, block, arguments: list[Any], argument: int,
                  index: tuple[int, ...]) -> str | None:
    """The thread that last wrote ``arguments[argument][index]`` in the oracle."""
    from .. import language
    from ..testing import run_python

    arguments = copy.deepcopy(arguments)
    target_array = arguments[argument]
    flat = int(np.ravel_multi_index(index, target_array.shape))
    base = target_array.__array_interface__["data"][0]
    itemsize = target_array.itemsize
    current: list[str] = [""]
    writer: list[str | None] = [None]

    class Tracked(np.ndarray):
        def __setitem__(self, key, value):
            super().__setitem__(key, value)
            start = (self.__array_interface__["data"][0] - base) // itemsize
            local = np.arange(self.size).reshape(self.shape)[key]
            if flat - start in np.ravel(local):
                writer[0] = current[0]

    kernel = dispatcher
    thread_idx, block_idx = language.threadIdx, language.blockIdx

    def per_thread(*args):
        # run_python swaps threadIdx/blockIdx in this closure for the running thread's values
        current[0] = (f"threadIdx=({thread_idx.x}, {thread_idx.y}, {thread_idx.z}) "
                      f"blockIdx=({block_idx.x}, {block_idx.y}, {block_idx.z})")
        kernel(*args)

    arguments[argument] = target_array.view(Tracked)
    try:
        run_python(per_thread, grid, block, arguments)
    except Exception:
        return None
    return writer[0]


class Disagreement(Exception):
    def __init__(self, arguments: list[Any], outcomes: dict[str, Outcome], mismatch: Mismatch):
        super().__init__(f"{mismatch.target} disagrees with the oracle")
        self.arguments = arguments
        self.outcomes = outcomes
        self.mismatch = mismatch


@dataclass
class CheckReport:
    kernel: str
    names: list[str]
    params: list[Param]
    grid: tuple[int, int, int]
    block: tuple[int, int, int]
    targets: list[str]
    skipped: dict[str, str]
    examples: int = 0
    ulp: int = 0
    disagreement: Disagreement | None = None
    writer: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.disagreement is None

    # -------------------------------------------------------------- model
    def heading(self) -> Line:
        against = ", ".join(self.targets) or "no target"
        tolerance = f", within {self.ulp} ulp" if self.ulp else ", bitwise"
        return [("check ", ""), (self.kernel, "heading"),
                (f": the python oracle against {against}; grid {self.grid} x block "
                 f"{self.block}{tolerance}", "")]

    def lines(self) -> list[Line]:
        lines = [self.heading()]
        lines += [[(f"  skipped {name}: {reason}", "note")] for name, reason in self.skipped.items()]
        if self.ok:
            lines.append([("agree", "good"),
                          (f": every target matched the oracle on {self.examples} examples", "")])
            return lines + [[(note, "note")] for note in self.notes]
        found = self.disagreement
        mismatch = found.mismatch
        lines.append([("DISAGREEMENT", "bad"),
                      (f" after {self.examples} example{'s' * (self.examples != 1)}; "
                       "the smallest failing input:", "")])
        width = max(len(n) for n in self.names) if self.names else 1
        for name, param, value in zip(self.names, self.params, found.arguments):
            if isinstance(value, np.ndarray):
                described = f"{array_type_text(value)} = {sparse_text(value)}"
            else:
                described = f"{param.describe()} = {scalar_text(value)}"
            lines.append([(f"  {name:<{width}}  ", "heading"), (described, "")])
        if mismatch.argument is None:
            lines.append([("one side raised and the other did not:", "")])
        else:
            name = self.names[mismatch.argument]
            size = found.outcomes[ORACLE].arguments[mismatch.argument].size
            lines.append([("first difference: ", ""), (f"{name}{index_text(mismatch.index)}", "heading"),
                          (f" ({mismatch.count} of {size} elements differ in {mismatch.target})", "")])
        label_width = max(len(t) for t in found.outcomes)
        for target, outcome in found.outcomes.items():
            lines.append(self._outcome_line(target, outcome, mismatch, label_width))
        if mismatch.argument is not None:
            lines.append([("  written by ", "note"),
                          (self.writer or "no thread (the input value stayed)", ""),
                          (" in the python oracle", "note")])
        return lines + [[(note, "note")] for note in self.notes]

    def _outcome_line(self, target: str, outcome: Outcome, mismatch: Mismatch, width: int) -> Line:
        label = (f"  {target:<{width}}  ", "heading")
        if outcome.error is not None:
            return [label, (f"raised {outcome.error}", "bad" if target == mismatch.target else "")]
        if mismatch.argument is None:
            return [label, ("ran to completion", "")]
        value = outcome.arguments[mismatch.argument][mismatch.index]
        bits = float_bits(value)
        line = [label, (scalar_text(value), "bad" if target == mismatch.target else ""),
                (f"  ({bits})" if bits else "", "note")]
        if target == mismatch.target:
            line.append(("  <- differs", "bad"))
        return line

    def __str__(self) -> str:
        return "\n".join(plain(line) for line in self.lines())

    def __rich_console__(self, console, options):
        for line in self.lines():
            yield rich_text(line)


def check_kernel(dispatcher, params: Sequence[Param], grid: Sequence[int], block: Sequence[int], *,
                 examples: int = 100, targets: Sequence[str] | None = None, ulp: int = 0,
                 seed: int = 0, progress: Callable[[int, bool], None] | None = None) -> CheckReport:
    """Run the differential check; ``progress(examples_run, shrinking)`` is called per example.

    A compile error propagates (``SimtError``); unavailable targets are skipped.
    """
    from hypothesis import HealthCheck, Verbosity, given, settings
    from hypothesis import seed as hypothesis_seed

    from ..dispatcher import normalize_dims
    from ..targets import TARGETS
    from ..ir import Op
    from ..ir.ops import MATH_BINARY, MATH_UNARY

    grid3, block3 = normalize_dims(tuple(grid), "grid"), normalize_dims(tuple(block), "block")
    code = dispatcher.py_func.__code__
    names = list(code.co_varnames[:code.co_argcount])
    probe = random_arguments(params, grid3, block3, seed)
    function = dispatcher.compile(dispatcher.specs(probe))
    available, skipped = [], {}
    for name in targets or TARGETS:
        try:
            run_target(dispatcher, name, grid3, block3, probe)
        except TargetUnavailableError as exc:
            skipped[name] = str(exc).splitlines()[0].split(". ")[0]
            continue
        available.append(name)
    report = CheckReport(dispatcher.__name__, names, list(params), grid3, block3, available,
                         skipped, ulp=ulp)
    uses_math = any(op.op in MATH_UNARY | MATH_BINARY or op.op is Op.POW
                    for op in function.operations())
    state = {"runs": 0, "failed": False, "until_failure": 0}

    def compare(arguments: list[Any]) -> None:
        state["runs"] += 1
        if progress is not None:
            progress(state["runs"], state["failed"])
        outcomes = {ORACLE: run_oracle(dispatcher, grid3, block3, arguments)}
        for name in available:
            outcomes[name] = run_target(dispatcher, name, grid3, block3, arguments)
        for name in available:
            mismatch = first_mismatch(name, outcomes[ORACLE], outcomes[name], ulp)
            if mismatch is not None:
                if not state["failed"]:
                    state["failed"], state["until_failure"] = True, state["runs"]
                raise Disagreement(copy.deepcopy(arguments), outcomes, mismatch)

    test = given(argument_strategy(params, grid3, block3))(compare)
    test = settings(max_examples=examples, deadline=None, database=None, print_blob=False,
                    report_multiple_bugs=False,
                    verbosity=Verbosity.quiet, suppress_health_check=list(HealthCheck))(test)
    test = hypothesis_seed(seed)(test)
    try:
        test()
    except Disagreement as found:
        report.disagreement = found
    except BaseExceptionGroup as group:   # several distinct failures: report the first
        found = next((e for e in _leaves(group) if isinstance(e, Disagreement)), None)
        if found is None:
            raise
        report.disagreement = found
    report.examples = state["until_failure"] if state["failed"] else state["runs"]
    if report.disagreement is not None:
        mismatch = report.disagreement.mismatch
        if mismatch.argument is not None:
            report.writer = oracle_writer(dispatcher, grid3, block3, report.disagreement.arguments,
                                          mismatch.argument, mismatch.index)
        if uses_math and not ulp:
            report.notes.append("the kernel calls math functions, which agree within a few ulp, "
                                "not bitwise: try --ulp 2")
    return report


def _leaves(group: BaseExceptionGroup):
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        else:
            yield exc
