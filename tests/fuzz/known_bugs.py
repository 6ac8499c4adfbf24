"""Bugs the random kernels found that are not fixed yet, so the CI budget can step over them.

Each entry matches the failures one bug causes (as narrowly as possible) and names
the strict-xfail regression test in test_regressions.py that holds its minimal
kernel. When the bug is fixed that test passes, strict xfail turns it into a
failure, and the entry here and the xfail mark go together.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from simt.testing.fuzz import GeneratedKernelFailure


@dataclass(frozen=True)
class KnownBug:
    regression_test: str
    matches: Callable[[GeneratedKernelFailure], bool]


KNOWN_BUGS: list[KnownBug] = [
]


def known_bug(failure: GeneratedKernelFailure) -> str | None:
    """The regression test of the known bug ``failure`` is an instance of, or None."""
    for bug in KNOWN_BUGS:
        if bug.matches(failure):
            return bug.regression_test
    return None
