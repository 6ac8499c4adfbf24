"""Running one launch on the oracle and on targets, and comparing what they wrote.

Shared by ``simt check`` (``simt.views.check``), ``simt.testing.assert_agree`` and
the random-kernel tests. An ``Outcome`` is what one implementation made of one
input: the arguments afterwards, or the error it raised. Array arguments are
compared bitwise (every NaN equals every NaN; ``-0.0`` and ``0.0`` differ), or
within ``ulp`` units in the last place, per argument if ``ulp`` is a sequence.
A target that raises where the oracle does not (or the other way round)
disagrees too.
"""
from __future__ import annotations

import copy
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np

from ..ir.errors import TargetUnavailableError

ORACLE = "python"

Ulp = int | Sequence[int]


@dataclass
class Outcome:
    """What one implementation made of one input: the arrays afterwards, or an error."""

    arguments: list[Any] | None
    error: str | None = None


@dataclass
class Mismatch:
    """The first disagreement of one target with the oracle on one input."""

    target: str
    argument: int | None = None            # None: one side raised
    index: tuple[int, ...] = ()
    count: int = 0


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance in units in the last place between same-dtype float arrays."""
    signed = {2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]
    ia, ib = a.view(signed).astype(np.int64), b.view(signed).astype(np.int64)
    sign = np.int64(1) << np.int64(a.dtype.itemsize * 8 - 1)
    ia = np.where(ia < 0, -(ia + sign), ia)     # a monotone line: negatives descend
    ib = np.where(ib < 0, -(ib + sign), ib)
    return np.abs(ia - ib)


def differing(expected: np.ndarray, actual: np.ndarray, ulp: int = 0) -> np.ndarray:
    """A boolean mask of the elements that disagree."""
    if expected.dtype.kind != "f":
        return expected != actual
    both_nan = np.isnan(expected) & np.isnan(actual)
    if ulp == 0:
        width = f"u{expected.itemsize}"
        return ~((expected.view(width) == actual.view(width)) | both_nan)
    any_nan = np.isnan(expected) | np.isnan(actual)
    same_inf = np.isinf(expected) & (expected == actual)
    close = (ulp_distance(expected, actual) <= ulp) & ~any_nan
    return ~(both_nan | same_inf | close)


def ulp_of(ulp: Ulp, position: int) -> int:
    """The tolerance for argument ``position``: ``ulp`` itself, or its ``position``-th item."""
    return ulp if isinstance(ulp, int) else ulp[position]


def first_mismatch(target: str, expected: Outcome, actual: Outcome, ulp: Ulp = 0) -> Mismatch | None:
    """Where ``actual`` first differs from ``expected`` (None: they agree)."""
    if expected.error is not None or actual.error is not None:
        both_raised = expected.error is not None and actual.error is not None
        return None if both_raised else Mismatch(target)
    for position, (e, a) in enumerate(zip(expected.arguments, actual.arguments)):
        if not isinstance(e, np.ndarray):
            continue
        bad = differing(e, a, ulp_of(ulp, position))
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            return Mismatch(target, position, index, int(bad.sum()))
    return None


def run_oracle(dispatcher, grid, block, arguments: list[Any], *, shared_bytes: int = 0) -> Outcome:
    """The CPython oracle on a copy of ``arguments``."""
    from .oracle import run_python

    arguments = copy.deepcopy(arguments)
    try:
        run_python(dispatcher.py_func, grid, block, arguments, shared_bytes=shared_bytes)
    except Exception as exc:   # the kernel's own Python raised: an outcome, not a crash
        return Outcome(None, f"{type(exc).__name__}: {exc}")
    return Outcome(arguments)


class TimeLimitExceeded(Exception):
    """A launch ran longer than the time it was given (a hang, as far as tests go)."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise ``TimeLimitExceeded`` in the block after ``seconds`` (a SIGALRM timer: only
    on the main thread of a Unix process; elsewhere, or for None, no limit)."""
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expired(signum, frame):
        raise TimeLimitExceeded(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_target(dispatcher, target: str, grid, block, arguments: list[Any], *,
               shared_bytes: int = 0, timeout: float | None = None) -> Outcome:
    """``dispatcher`` launched on ``target`` with a copy of ``arguments``.

    ``TargetUnavailableError`` propagates; any other error (a ``timeout`` in seconds
    included) is an outcome.
    """
    from ..targets import target as use_target

    arguments = copy.deepcopy(arguments)
    try:
        with use_target(target), time_limit(timeout):
            if shared_bytes:
                dispatcher[grid, block, None, shared_bytes](*arguments)
            else:
                dispatcher[grid, block](*arguments)
    except TargetUnavailableError:
        raise
    except Exception as exc:   # a kernel error, or a backend crash: both are outcomes
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        return Outcome(None, f"{type(exc).__name__}: {first_line}")
    return Outcome(arguments)


def run_everywhere(dispatcher, grid, block, arguments: list[Any], targets: Sequence[str], *,
                   shared_bytes: int = 0, timeout: float | None = None) -> dict[str, Outcome]:
    """The oracle's outcome (under ``ORACLE``) and each target's, in that order; each
    target gets ``timeout`` seconds (None: no limit)."""
    outcomes = {ORACLE: run_oracle(dispatcher, grid, block, arguments, shared_bytes=shared_bytes)}
    for name in targets:
        outcomes[name] = run_target(dispatcher, name, grid, block, arguments,
                                    shared_bytes=shared_bytes, timeout=timeout)
    return outcomes


def first_disagreement(outcomes: dict[str, Outcome], ulp: Ulp = 0) -> Mismatch | None:
    """The first target (in ``outcomes``' order) that disagrees with the oracle."""
    expected = outcomes[ORACLE]
    for name, outcome in outcomes.items():
        if name == ORACLE:
            continue
        mismatch = first_mismatch(name, expected, outcome, ulp)
        if mismatch is not None:
            return mismatch
    return None


def available_targets(targets: Sequence[str] | None = None) -> list[str]:
    """``targets`` (default: every target) that can run here."""
    from ..targets import TARGETS, is_available

    return [name for name in (targets or TARGETS) if is_available(name)]
