"""``evaluate_constant``: the constant folder's window onto the numpy semantics.

The IR's constant folder asks what a pure op gives on constant operands; the
answer comes from the same ``ELEMENTWISE`` functions that ``launch`` runs on
uniform and per-thread values, so folding can never disagree with execution.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from simt.ir.ops import Op
from simt.ir.types import ScalarType

from .elementwise import ELEMENTWISE, as_scalar


def evaluate_constant(op: Op, operands: list[np.generic], result_type: ScalarType,
                      attrs: Mapping[str, Any]) -> np.generic | None:
    """The value of pure ``op`` on NumPy-scalar ``operands``, or None when the op has
    no value independent of the launch (special registers, ARRAY_DIM, memory...)."""
    implementation = ELEMENTWISE.get(op)
    if implementation is None or not isinstance(result_type, ScalarType):
        return None
    if not all(isinstance(v, np.generic) for v in operands):
        return None
    with np.errstate(all="ignore"):
        return as_scalar(implementation(result_type, attrs, *operands), result_type)
