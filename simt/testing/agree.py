"""``simt.testing.assert_agree``: a kernel gives the same answer everywhere.

For use in a pytest suite (from a plain test function, not inside ``@given``):

    def test_saxpy_agrees():
        n = 256
        assert_agree(saxpy, 4, 64,
                     floats32(), arrays(np.float32, n), arrays(np.float32, n), np.zeros(n, np.float32))

Hypothesis draws the arguments; each draw runs on the CPython oracle and on every
available target, and every array argument is compared afterwards. On a
disagreement hypothesis shrinks the input, and the ``AssertionError`` names the
smallest failing input (as Python you can paste), the first differing element
and every implementation's value there.
"""
from __future__ import annotations

from typing import Any, Sequence

from .compare import ORACLE, Ulp, available_targets, first_disagreement, run_everywhere


class KernelDisagreement(AssertionError):
    """Implementations of the kernel language disagree on one kernel and input."""


def assert_agree(kernel, grid, block, *arg_strategies: Any, targets: Sequence[str] | None = None,
                 ulp: Ulp = 0, max_examples: int = 50, seed: int | None = None,
                 shared_bytes: int = 0, allow_errors: bool = False) -> None:
    """Check that ``kernel[grid, block](*args)`` agrees on the oracle and every target.

    ``arg_strategies`` has one item per kernel argument: a hypothesis strategy, or a
    plain value (used as it is; arrays are copied for every run). ``targets``
    defaults to every target available here (``numpy``, ``ptx-emu``, and ``cuda``
    where a GPU is usable); unavailable ones are skipped. ``ulp`` is the tolerance
    for float arrays (an int, or one per argument; 0 is bitwise, NaNs all equal).
    An error in the oracle fails the check unless ``allow_errors`` (then every
    target must raise too). ``seed`` fixes hypothesis' choices.
    """
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy

    from ..dispatcher import Dispatcher, kernel as make_kernel
    from .report import arguments_text, outcomes_text

    dispatcher = kernel if isinstance(kernel, Dispatcher) else make_kernel(kernel)
    code = dispatcher.py_func.__code__
    names = list(code.co_varnames[:code.co_argcount])
    if len(arg_strategies) != len(names):
        raise TypeError(f"{dispatcher.__name__}() takes {len(names)} arguments ({', '.join(names)}); "
                        f"assert_agree got {len(arg_strategies)} argument strategies")
    chosen = available_targets(targets)
    if not chosen:
        raise ValueError(f"none of the targets {list(targets or [])} is available here")
    strategies = [s if isinstance(s, SearchStrategy) else st.just(s) for s in arg_strategies]

    def check(arguments: tuple) -> None:
        arguments = list(arguments)
        outcomes = run_everywhere(dispatcher, grid, block, arguments, chosen,
                                  shared_bytes=shared_bytes)
        oracle = outcomes[ORACLE]
        if oracle.error is not None and not allow_errors:
            raise KernelDisagreement(
                f"{dispatcher.__name__}[{grid}, {block}]: the CPython oracle raised "
                f"{oracle.error}\n\n{arguments_text(names, arguments)}")
        mismatch = first_disagreement(outcomes, ulp)
        if mismatch is not None:
            raise KernelDisagreement(
                f"{dispatcher.__name__}[{grid}, {block}]: {mismatch.target} disagrees with the "
                f"CPython oracle on\n{arguments_text(names, arguments)}\n\n"
                f"{outcomes_text(names, outcomes, mismatch)}")

    test = given(st.tuples(*strategies))(check)
    test = settings(max_examples=max_examples, deadline=None, database=None,
                    report_multiple_bugs=False, print_blob=False,
                    suppress_health_check=list(HealthCheck))(test)
    if seed is not None:
        test = hypothesis_seed(seed)(test)
    test()


__all__ = ["KernelDisagreement", "assert_agree"]
