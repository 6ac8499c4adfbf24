"""The IR optimization passes and the one pipeline that runs them.

Every pass is a function ``Function -> Function`` that mutates its argument and
returns it; each keeps a verifying function verifying and its meaning unchanged.
``PIPELINE`` lists them in the order ``optimize`` runs them, round after round,
until a round changes nothing (or ``max_rounds`` rounds have run).
"""
from __future__ import annotations

from typing import Callable

from ..core import Function
from ..verifier import IRVerificationError, verify
from .constant_fold import Evaluator, constant_fold
from .cse import cse
from .dce import dce
from .simplify_cfg import simplify_cfg
from .simplify_params import simplify_params

Pass = Callable[[Function], Function]

PIPELINE: tuple[Callable[..., Function], ...] = (
    constant_fold,     # with the caller's ``evaluate``: constants, constant branches, identities
    simplify_cfg,      # drop what constant branches cut off, merge straight-line blocks
    simplify_params,   # params that get one value (loop invariants, merged joins)
    cse,               # repeated pure ops
    dce,               # what the others left unused
)

__all__ = [
    "Evaluator", "PIPELINE", "Pass", "constant_fold", "cse", "dce", "optimize",
    "simplify_cfg", "simplify_params",
]


def optimize(fn: Function, evaluate: Evaluator | None = None, verify_each: bool = False,
             max_rounds: int = 8) -> Function:
    """Run ``PIPELINE`` over ``fn`` (in place) until nothing changes; return ``fn``.

    ``evaluate`` is the constant folder's callback (the numpy backend's
    ``evaluate_constant``); without it no op is evaluated, but constant branches,
    exact identities and the other passes still run. With ``verify_each`` the
    function is verified before the first pass and after every pass, and an
    ``IRVerificationError`` names the pass that broke it.
    """
    if verify_each:
        try:
            verify(fn)
        except IRVerificationError as error:
            raise error.during("in the input of optimize") from None
    for _ in range(max_rounds):
        before = _fingerprint(fn)
        for run_pass in PIPELINE:
            if run_pass is constant_fold:
                fn = constant_fold(fn, evaluate)
            else:
                fn = run_pass(fn)
            if verify_each:
                try:
                    verify(fn)
                except IRVerificationError as error:
                    raise error.after(run_pass.__name__) from None
        if _fingerprint(fn) == before:
            break
    return fn


def _fingerprint(fn: Function) -> tuple:
    """Everything a pass can change: blocks, params, ops, operands, attrs and edges.

    Holds the objects themselves (compared by identity) so none is freed and its
    id reused; attrs compare by repr because NaN != NaN.
    """
    return tuple(
        (block, tuple(block.params), tuple(
            (operation, operation.op, tuple(operation.operands),
             repr(sorted(operation.attrs.items())),
             tuple((s.block, tuple(s.args)) for s in operation.successors))
            for operation in block.ops))
        for block in fn.blocks)
