"""The kinds of value the interpreter holds for an SSA value over a batch of threads.

- uniform: a NumPy scalar (``np.generic``), the same for every thread. Constants,
  scalar arguments, ``blockDim``, ``x.shape[k]`` and anything computed only from
  uniforms stay uniform; this is the fast path.
- ``Affine``: an integer ``c + a*block_in_batch + b*thread_in_block``, exact (no
  wrap-around) for every thread of the batch. ``blockIdx.x * blockDim.x +
  threadIdx.x`` is one, so ``i < n`` can split threads into ranges and ``x[i]``
  can be a slice.
- ``RangePredicate``: a bool that is true exactly for the batch threads
  ``lo <= t < hi`` (what ``i < n`` gives for an affine ``i``).
- ``BlockRange``: a bool true exactly for the threads whose index in their block
  is in ``lo .. hi - 1`` (what ``threadIdx.x < k`` gives in a batch of many blocks).
- ``ArrayArg``: an array argument or a shared/local array (the same array value
  for every thread; each thread addresses its own block's or its own instance).
- varying: a 1-D ``np.ndarray`` with one element per thread of the block's
  active set, in thread order.

Uniform, affine and predicate values are "symbolic": they describe every
thread of the batch at once, independent of the active set. ``materialize``
turns any value into an array over an active set.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .active import ActiveSet
    from .geometry import BatchGeometry


@dataclass(frozen=True)
class Affine:
    """``c + a*block_in_batch + b*thread_in_block`` of integer dtype ``dtype``."""

    dtype: np.dtype
    c: int
    a: int
    b: int


@dataclass(frozen=True)
class RangePredicate:
    """A bool true exactly for the batch threads ``lo <= t < hi``."""

    lo: int
    hi: int


@dataclass(frozen=True)
class BlockRange:
    """A bool true exactly for the threads with ``lo <= thread_in_block < hi``, in
    every block of the batch."""

    lo: int
    hi: int


@dataclass(eq=False)
class ArrayArg:
    """An array the kernel addresses, and what the interpreter knows about it.

    For an argument, ``array`` is the argument itself. For a shared or local array
    it is the storage of every instance in the batch: the instance of the thread
    ``t = block_in_batch * threads_per_block + thread_in_block`` starts at flat
    element ``a*block_in_batch + b*thread_in_block`` for ``instance == (a, b)``,
    and ``shape`` is the shape one thread sees.
    """

    array: np.ndarray
    name: str
    read_only: bool          # no STORE or atomic in the kernel can write it: loads may return views
    shape: tuple[int, ...] = None  # type: ignore[assignment]  # defaults to array.shape
    space: str = "global"
    instance: tuple[int, int] = (0, 0)
    flat: np.ndarray = field(init=False)
    element_strides: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        if self.shape is None:
            self.shape = self.array.shape
        self.flat = self.array.reshape(-1)        # a view: storage is C-contiguous
        strides, step = [], 1
        for extent in reversed(self.shape):
            strides.append(step)
            step *= extent
        self.element_strides = tuple(reversed(strides))


def same_symbol(a: Any, b: Any) -> bool:
    """Whether two symbolic values are certainly equal for every thread (bitwise for
    uniform floats, so -0.0 and 0.0 differ and NaN equals itself)."""
    if isinstance(a, np.generic) and isinstance(b, np.generic):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, ArrayArg) or isinstance(b, ArrayArg):
        return a is b
    return type(a) is type(b) and a == b


def materialize(value: Any, geometry: BatchGeometry, active: ActiveSet) -> np.ndarray:
    """``value`` as a 1-D array over ``active`` (in thread order)."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic):
        return np.full(active.size, value, dtype=value.dtype)
    if isinstance(value, Affine):
        return geometry.evaluate_affine(value, active)
    if isinstance(value, RangePredicate):
        t = active.indices()
        return (t >= value.lo) & (t < value.hi)
    if isinstance(value, BlockRange):
        thread = geometry.split(active)[1]
        return (thread >= value.lo) & (thread < value.hi)
    raise TypeError(f"cannot materialize {value!r}")


def restrict(value: Any, selector) -> Any:
    """The part of a value laid out over an active set that ``selector`` picks."""
    if selector is None or not isinstance(value, np.ndarray):
        return value
    return value[selector]
