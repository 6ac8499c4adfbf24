"""Differential testing with generated kernels: one kernel, and whole campaigns.

``check_generated(case)`` runs a ``GeneratedKernel`` on the CPython oracle and on
each target, compares every output (bitwise; inexact outputs within
``APPROX_ULP``), and assembles its PTX for every supported architecture. It
raises ``GeneratedKernelFailure`` with a report (source, launch, inputs, each
target's value at the first difference) when anything disagrees or fails.

``run(examples, seed, ...)`` checks ``examples`` kernels drawn from
``kernels()`` with a fixed hypothesis seed, shrinking the first failure;
``campaign(minutes, ...)`` repeats that with successive seeds and writes each
shrunk failure to a folder (``scripts/fuzz.py``).
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .compare import ORACLE, Mismatch, Outcome, available_targets, first_disagreement, run_everywhere
from .generator import GeneratedKernel, kernels


# Generated kernels run in milliseconds (their loops are short); a target still running
# after this many seconds has a bug that hangs it.
TARGET_TIMEOUT = 20.0


class GeneratedKernelFailure(AssertionError):
    """A generated kernel on which the implementations disagree (or one fails)."""

    def __init__(self, case: GeneratedKernel, summary: str, detail: str = ""):
        self.case = case
        self.summary = summary
        self.detail = detail
        super().__init__(self.report())

    def report(self) -> str:
        return (f"{self.summary}\n\n{self.case!r}\n"
                + (f"\n{self.detail}\n" if self.detail else ""))

    @property
    def key(self) -> str:
        """A short description to tell distinct failures apart in a campaign."""
        return self.summary


def check_generated(case: GeneratedKernel, targets: Sequence[str] | None = None, *,
                    archs: Sequence[str] | None = None,
                    compiled: dict[str, Any] | None = None) -> dict[str, Outcome]:
    """Run ``case`` everywhere and compare; assemble its PTX for ``archs`` (default: all
    supported, when an assembler is installed; ``()`` skips). Returns the outcomes.

    ``compiled`` maps sources to kernels already made (and assembled) in this run, so a
    kernel hypothesis draws again with other inputs is not traced and assembled again.
    """
    from .report import outcomes_text

    chosen = available_targets(targets)
    seen_before = compiled is not None and case.source in compiled
    try:
        if seen_before:
            case.kernel = compiled[case.source]
        kernel = case.kernel
    except SyntaxError as exc:
        raise GeneratedKernelFailure(case, f"the generator wrote invalid Python: {exc}") from None
    if compiled is not None:
        compiled[case.source] = kernel
    outcomes = run_everywhere(kernel, case.grid, case.block, case.arguments, chosen,
                              timeout=TARGET_TIMEOUT)
    oracle = outcomes[ORACLE]
    if oracle.error is not None:
        raise GeneratedKernelFailure(
            case, f"the CPython oracle raised {oracle.error} (a generator bug: generated "
                  "kernels must run without errors)")
    mismatch = first_disagreement(outcomes, case.ulp)
    if mismatch is not None:
        raise GeneratedKernelFailure(case, _summary(mismatch, outcomes),
                                     outcomes_text(case.names, outcomes, mismatch))
    if ("ptx-emu" in chosen or "cuda" in chosen) and not seen_before:
        assemble_everywhere(case, archs)
    return outcomes


def _summary(mismatch: Mismatch, outcomes: dict[str, Outcome]) -> str:
    error = outcomes[mismatch.target].error
    if error is not None:
        return f"{mismatch.target} raised where the CPython oracle did not: {error}"
    return f"{mismatch.target} disagrees with the CPython oracle"


def assemble_everywhere(case: GeneratedKernel, archs: Sequence[str] | None = None) -> None:
    """Compile the kernel's PTX for each arch and assemble it (nvJitLink or ptxas)."""
    from simt.backends import ptx

    if archs is None:
        archs = ptx.SUPPORTED_ARCHS if ptx.available() else ()
    if not archs:
        return
    kernel = case.kernel
    function = kernel.compile(kernel.specs(case.arguments))
    for arch in archs:
        try:
            ptx.assemble(ptx.compile_ptx_cached(function, arch), arch)
        except Exception as exc:
            raise GeneratedKernelFailure(case, f"the PTX for {arch} does not assemble: "
                                               f"{type(exc).__name__}: {exc}") from None


@dataclass
class RunStats:
    examples: int = 0          # kernels and inputs checked
    kernels: int = 0           # distinct kernel sources among them
    known: dict[str, int] = field(default_factory=dict)   # known bugs hit, by name


def run(examples: int, seed: int, *, targets: Sequence[str] | None = None,
        features: Iterable[str] | None = None, archs: Sequence[str] | None = None,
        max_statements: int = 12, shrink_attempts: int = 150, shrink_seconds: float = 120.0,
        reduce_attempts: int = 200,
        known: Callable[[GeneratedKernelFailure], str | None] | None = None,
        on_example: Callable[[GeneratedKernel], None] | None = None) -> RunStats:
    """Check ``examples`` generated kernels (hypothesis seed ``seed``).

    The first failure is shrunk by hypothesis with at most ``shrink_attempts`` runs (0:
    not at all; ``shrink_seconds`` caps the time), then its source is reduced statement
    by statement with at most ``reduce_attempts`` runs (``reduce.py``), and raised as
    ``GeneratedKernelFailure``.
    ``known(failure)`` names a known bug the failure is an instance of (one with an
    expected-to-fail regression test), or None; failures it names are counted in
    ``RunStats.known`` and do not fail the run.
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    stats = RunStats()
    compiled: dict[str, Any] = {}
    chosen = available_targets(targets)
    phases = (Phase.generate, Phase.shrink) if shrink_attempts > 0 else (Phase.generate,)
    shrinking = _ShrinkBudget(shrink_attempts, shrink_seconds)

    @hypothesis_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=phases, report_multiple_bugs=False, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(kernels(features=features, max_statements=max_statements))
    def check(case: GeneratedKernel) -> None:
        shrinking.next_attempt()
        if not shrinking.started:
            stats.examples += 1
        if on_example is not None:
            on_example(case)
        try:
            check_generated(case, chosen, archs=archs, compiled=compiled)
        except GeneratedKernelFailure as failure:
            name = known(failure) if known is not None else None
            if name is not None:
                stats.known[name] = stats.known.get(name, 0) + 1
                return
            shrinking.failed(failure)
            raise
        finally:
            stats.kernels = len(compiled)

    try:
        with _seed_alone_decides():
            check()
    except (GeneratedKernelFailure, _StopShrinking):
        failure = shrinking.smallest
        if reduce_attempts > 0:
            from .reduce import reduce_failure
            failure = reduce_failure(
                failure, lambda case: check_generated(case, chosen, archs=archs),
                attempts=reduce_attempts)
        raise failure from None
    return stats


@contextmanager
def _seed_alone_decides():
    """Within it, hypothesis draws from the seed alone.

    Hypothesis mixes literal constants of the local (non-site-packages) modules a
    process has imported so far into what it draws, so with simt installed editable
    a fixed seed would give other kernels (and shrink failures otherwise) depending
    on which modules a process happened to import, and on every edit to simt's
    sources. That pool is hypothesis-internal; where it exists it is emptied here
    (and its cache cleared on the way in and out).
    """
    try:
        from hypothesis.internal.conjecture import providers
        get_local_constants = providers._get_local_constants
        cache = providers.CONSTANTS_CACHE.cache
        empty = providers.Constants()
    except (ImportError, AttributeError):       # a hypothesis without the pool
        yield
        return
    providers._get_local_constants = lambda: empty
    cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = get_local_constants
        cache.clear()


class _ShrinkBudget:
    """Stops hypothesis' shrinking after ``attempts`` runs or ``seconds``, whichever comes
    first, by raising ``_StopShrinking`` through it; the smallest failure so far (the
    last one hypothesis found, as it only moves to smaller ones) is then the result.
    Counting attempts keeps the result the same on fast and slow machines."""

    def __init__(self, attempts: int, seconds: float):
        self.attempts = attempts
        self.seconds = seconds
        self.deadline: float | None = None
        self.smallest: GeneratedKernelFailure | None = None

    @property
    def started(self) -> bool:
        return self.deadline is not None

    def failed(self, failure: GeneratedKernelFailure) -> None:
        self.smallest = failure
        if self.deadline is None:
            self.deadline = time.monotonic() + self.seconds

    def next_attempt(self) -> None:
        if self.deadline is None:
            return
        self.attempts -= 1
        if self.attempts < 0 or time.monotonic() > self.deadline:
            raise _StopShrinking


class _StopShrinking(BaseException):   # not an Exception: hypothesis lets it through
    pass


def campaign(minutes: float, seed: int, out: Path, *, targets: Sequence[str] | None = None,
             features: Iterable[str] | None = None, batch: int = 200,
             archs: Sequence[str] | None = None,
             known: Callable[[GeneratedKernelFailure], str | None] | None = None,
             log: Callable[[str], None] = print) -> list[GeneratedKernelFailure]:
    """Fuzz for ``minutes``, seed after seed; write each shrunk failure under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + minutes * 60
    found: dict[str, GeneratedKernelFailure] = {}
    known_hits: dict[str, int] = {}
    total = 0
    current = seed
    while time.monotonic() < deadline:
        def stop_when_late(case: GeneratedKernel) -> None:
            if time.monotonic() > deadline:
                raise _OutOfTime
        try:
            stats = run(batch, current, targets=targets, features=features, archs=archs,
                        known=known, on_example=stop_when_late)
            total += stats.examples
            for name, hits in stats.known.items():
                known_hits[name] = known_hits.get(name, 0) + hits
        except _OutOfTime:
            break
        except GeneratedKernelFailure as failure:
            fresh = failure.key not in found
            found.setdefault(failure.key, failure)
            path = out / f"seed{current}.txt"
            path.write_text(failure.report())
            log(f"seed {current}: {'NEW ' if fresh else ''}{failure.summary} -> {path}")
        current += 1
    log(f"{total} kernels checked in the batches that passed; {len(found)} distinct "
        f"failure(s); seeds {seed}..{current}; known bugs hit: {known_hits or 'none'}")
    return list(found.values())


class _OutOfTime(BaseException):   # not an Exception: hypothesis lets it through
    pass


__all__ = ["GeneratedKernelFailure", "assemble_everywhere", "campaign", "check_generated", "run"]
