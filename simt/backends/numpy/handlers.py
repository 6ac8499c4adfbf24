"""``NUMPY_IMPL``: the numpy target's lowering table, one handler per ``Op``.

A handler is ``handler(frame, operation, operands) -> value | None``: ``operands``
are the interpreter's values for the op's operands (see ``values.py``), laid out over
the active threads of ``frame``. Pure ops first try a symbolic fast path (uniform,
affine, range predicate: ``affine.py``) and otherwise run the elementwise meaning
from ``elementwise.py`` at the active set's size. Special registers come from the
batch geometry, memory ops from ``memory.py``, shared/local arrays from
``allocations.py``, barriers and fences from ``barrier.py``, atomics from
``atomics.py`` and warp ops from ``warp.py``; terminators hand the active threads
to their successors through ``frame.jump``.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from simt.ir.core import Operation
from simt.ir.ops import GROUPS, Op

from . import allocations, atomics, barrier, memory, warp
from .active import Part, split_by_block_range, split_by_mask, split_by_range
from .affine import symbolic_result
from .elementwise import ELEMENTWISE, IN_PLACE, as_array, as_scalar
from .values import BlockRange, RangePredicate

if TYPE_CHECKING:
    from .interpreter import Frame

Handler = Callable[["Frame", Operation, list], Any]


def _pure(op: Op) -> Handler:
    implementation = ELEMENTWISE[op]
    in_place = IN_PLACE.get(op)

    def handle(frame: Frame, operation: Operation, operands: list) -> Any:
        result_type = operation.result.type
        symbolic = symbolic_result(op, result_type, frame.geometry, operands)
        if symbolic is not None:
            if isinstance(symbolic, np.ndarray):
                frame.fresh.discard(id(symbolic))    # now held by two values
            return symbolic
        if all(isinstance(v, np.generic) for v in operands):
            return as_scalar(implementation(result_type, operation.attrs, *operands), result_type)
        arrays = [frame.local(v) for v in operands]
        dtype = result_type.dtype
        donor = None
        # (Bool arithmetic promotes to int8 in some ufuncs: never in place.)
        if in_place is not None and dtype.kind != "b" and all(a.dtype == dtype for a in arrays):
            donor = frame.donor(arrays, dtype)
        if donor is not None:
            # The same ufunc and loop as ``implementation``, writing into a dead
            # temporary: saves an allocation (and its page faults) per op.
            return in_place(*arrays, out=donor)
        result = as_array(implementation(result_type, operation.attrs, *arrays), result_type, frame.active.size)
        if any(result is a for a in arrays):
            frame.fresh.discard(id(result))
        else:
            frame.fresh.add(id(result))
        return result
    handle.__name__ = f"handle_{op.value}"
    return handle


def _special_register(op: Op) -> Handler:
    def handle(frame: Frame, operation: Operation, operands: list) -> Any:
        geometry = frame.geometry
        axis = operation.attrs.get("axis", 0)
        if op is Op.BLOCK_DIM:
            return np.int32(geometry.block[axis])
        if op is Op.GRID_DIM:
            return np.int32(geometry.grid[axis])
        if op is Op.THREAD_IDX:
            value = geometry.thread_index(axis)
        elif op is Op.BLOCK_IDX:
            value = geometry.block_index(axis)
        else:
            value = geometry.lane_id()
        return geometry.varying_register(op.value, axis, frame.active) if value is None else value
    handle.__name__ = f"handle_{op.value}"
    return handle


def _print(frame: Frame, operation: Operation, operands: list) -> None:
    """One line per active thread, in thread order: the parts joined by spaces, each
    operand as ``str`` of a NumPy scalar of its type (what ``print`` shows in CPython)."""
    pending = iter(operands)
    columns: list[Any] = []
    for part in operation.attrs["parts"]:
        if part is not None:
            columns.append(part)
            continue
        value = next(pending)
        columns.append(str(value) if isinstance(value, np.generic) else [str(x) for x in frame.local(value)])
    lines = (" ".join(c if isinstance(c, str) else c[k] for c in columns) for k in range(frame.active.size))
    sys.stdout.write("".join(line + "\n" for line in lines))


def _br(frame: Frame, operation: Operation, operands: list) -> None:
    frame.jump(operation.successors[0], Part(frame.active, None))


def _cbr(frame: Frame, operation: Operation, operands: list) -> None:
    (cond,) = operands
    if isinstance(cond, np.generic):
        frame.jump(operation.successors[0 if cond else 1], Part(frame.active, None))
        return
    if isinstance(cond, RangePredicate):
        parts = split_by_range(frame.active, cond.lo, cond.hi)
    elif isinstance(cond, BlockRange):
        parts = split_by_block_range(frame.active, cond.lo, cond.hi, frame.geometry)
    else:
        parts = split_by_mask(frame.active, frame.local(cond))
    for successor, part in zip(operation.successors, parts):
        if part is not None:
            frame.jump(successor, part)


def _ret(frame: Frame, operation: Operation, operands: list) -> None:
    """A kernel's threads exit: they wait nowhere any more, and stop counting as live
    for barriers and warp ops."""
    frame.batch.exit(frame.active)


NUMPY_IMPL: dict[Op, Handler] = {op: _pure(op) for op in ELEMENTWISE}
NUMPY_IMPL.update({op: _special_register(op) for op in GROUPS["special_registers"]})
NUMPY_IMPL.update({
    Op.ARRAY_DIM: memory.array_dim,
    Op.LOAD: memory.load,
    Op.STORE: memory.store,
    Op.PRINT: _print,
    Op.BR: _br,
    Op.CBR: _cbr,
    Op.RET: _ret,
    Op.SHARED_ARRAY: allocations.shared_array,
    Op.LOCAL_ARRAY: allocations.local_array,
    Op.BARRIER: barrier.barrier,
    Op.FENCE: barrier.fence,
    Op.SYNCWARP: warp.syncwarp,
    Op.ATOMIC: atomics.atomic,
    Op.ATOMIC_CAS: atomics.atomic,
    Op.SHFL: warp.shfl,
    Op.VOTE: warp.vote,
    Op.ACTIVEMASK: warp.activemask,
    Op.LANEMASK_LT: warp.lanemask_lt,
})
