"""The PTX legalizer: IR -> legalized IR that ``emit.py`` maps to PTX op by op.

``legalize(fn)`` copies ``fn`` and runs the phases in order; each phase is a small
``Function -> Function`` pass with a rule table keyed by ``Op``:

1. ``linearize_indices`` multi-dimensional indices -> one int64 element index, with the
                         negative-index wrap only where ``ranges.py`` cannot rule it out
                         (loads, stores and atomics on global, shared and local arrays)
2. ``widen_types``       int8/16 -> 32-bit, float16 -> float32, bool arithmetic -> uint32
3. ``lower_primitives``  atomic sub, float atomic max/min (CAS loops), narrow bit ops, ffs
4. ``lower_float_ops``   transcendentals, pow, fmod, float // and %
5. ``lower_integer_ops`` int // % ** abs, shift amounts, Python min/max on floats, casts
6. ``split_branch_edges`` CBR edges that pass block arguments get their own block

Legalized IR ("legal IR") is IR whose every op has a direct PTX form. It uses the
same ``Op`` enum with a few PTX meanings, marked by ``attrs["legal"]``
(``irbuild.LEGAL``):
- ``FLOORDIV``/``MOD`` on ints with ``legal=trunc``: C's truncating division;
- ``CAST`` with ``legal=bitcast``: reinterpret bits; ``legal=rzi``: float -> int
  ``cvt.rzi`` (saturating; NaN was handled before);
- ``LOAD``/``STORE``/``ATOMIC``/``ATOMIC_CAS`` with ``legal=linear``: one int64 flat
  element index; a LOAD with ``volatile=True`` is ``ld.volatile``; an ATOMIC_CAS on a
  float array swaps the element's bits as unsigned ints (``lower_primitives.py``);
- ``CAST`` int32 -> int64 with ``legal=zext``: a zero-extension (the value is >= 0);
- ``SHL``/``SHR``: the amount operand is uint32 (PTX reads it unsigned and clamps);
- ``EXP2``/``LOG2``/``SIN``/``COS`` on float32 with ``legal=approx``: the PTX ``.approx``
  instruction (only in ``fastmath`` kernels, ``lower_float.py``).
Every CBR in legal IR passes no block arguments, so the emitter implements block
params as register moves before each BR (a parallel copy), never on a critical edge.

What holds after: see each phase's module docstring. Semantics are NumPy's, bit for
bit for integer and ``+ - * / sqrt`` work, within ``mathlib.ACCURACY_ULP`` for math.
"""
from __future__ import annotations

from typing import Callable

from simt.ir import Function, Op, Successor

from .irbuild import Lowering, clone_function
from .lower_float import APPROX_OPS, MATH_ROUTINES, UNSUPPORTED_MATH, lower_float_ops
from .lower_int import lower_integer_ops
from .lower_memory import linearize_indices
from .lower_primitives import lower_primitives
from .widen import widen_types


def split_branch_edges(fn: Function) -> Function:
    """Phase 6: a CBR edge with arguments goes through a new block holding only a BR."""
    for block in list(fn.blocks):
        term = block.terminator
        if term is None or term.op is not Op.CBR:
            continue
        lowering = Lowering(fn, block)
        lowering.loc = term.loc
        for index, succ in enumerate(term.successors):
            if not succ.args:
                continue
            edge = lowering.new_block(f"{block.label}.to.{succ.block.label}")
            lowering.block = edge
            lowering.br(succ.block, succ.args)
            lowering.block = block
            term.successors[index] = Successor(edge, [])
    return fn


# Ops no legalized IR contains: legalization expands them into others (APPROX_OPS stay
# as legal=approx ops in fastmath kernels, so they have emitter entries instead).
REMOVED_OPS = (frozenset(MATH_ROUTINES) - APPROX_OPS) | {Op.FMOD, Op.FFS}
# Ops the backend rejects with a CompileError naming op and dtype (the accurate library's job).
UNSUPPORTED_OPS = UNSUPPORTED_MATH

PHASES: tuple[Callable[..., Function], ...] = (
    linearize_indices,
    widen_types,
    lower_primitives,
    lower_float_ops,
    lower_integer_ops,
    split_branch_edges,
)


def legalize(fn: Function, verify_each: bool = False, small_grid: bool = True) -> Function:
    """A legalized copy of ``fn`` (``fn`` itself is left as it was).

    ``small_grid``: the launch will have ``gridDim.k * blockDim.k < 2**31`` on every
    axis, so ``simt.grid()`` indices cannot wrap (``ranges.py``); launch with a kernel
    legalized without it otherwise.
    """
    out = clone_function(fn)
    for phase in PHASES:
        out = phase(out, small_grid=small_grid) if phase is linearize_indices else phase(out)
        if verify_each:
            _verify_legal(out, phase.__name__)
    return out


def _verify_legal(fn: Function, phase: str) -> None:
    """The structural verifier rules (legal IR bends only operand conventions)."""
    try:
        from simt.ir.verifier import RULE_OPERANDS, IRVerificationError, verify
    except ImportError:          # the verifier is optional while it is being written
        return
    try:
        verify(fn)
    except IRVerificationError as error:
        if error.rule != RULE_OPERANDS:
            raise error.after(phase) from None
