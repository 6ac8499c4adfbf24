"""Abstract values: what the tracer's stack and locals hold.

A ``Scalar`` is an IR value with its SType; a ``Const`` is a Python object known
at trace time (numbers, modules, functions, dtypes, markers); the other kinds
describe arrays, tuples and iterators. ``shape_key`` and ``leaves`` split a value
into a hashable structure (which must agree where control flow joins) and its
numeric slots (which become block parameters when they differ).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import ir
from .typing import SType, is_numeric_constant, stype_of_python


class AbstractValue:
    pass


@dataclass(eq=False)
class Scalar(AbstractValue):
    value: ir.Value
    weak: bool = False

    @property
    def stype(self) -> SType:
        return SType(self.value.type, self.weak)


@dataclass(eq=False)
class Const(AbstractValue):
    obj: Any

    @property
    def is_numeric(self) -> bool:
        return is_numeric_constant(self.obj)

    @property
    def stype(self) -> SType:
        return stype_of_python(self.obj)


class Undefined(AbstractValue):
    """A local that is unbound on the path that reached here."""

    def __repr__(self) -> str:
        return "Undefined"


UNDEFINED = Undefined()


@dataclass(eq=False)
class Array(AbstractValue):
    value: ir.Value

    @property
    def type(self) -> ir.ArrayType:
        return self.value.type


@dataclass(eq=False)
class ArrayRow(AbstractValue):
    """``x[i]`` of a multi-dimensional array: the leading indices, not yet loaded."""

    array: Array
    indices: tuple[AbstractValue, ...]


@dataclass(eq=False)
class Shape(AbstractValue):
    array: Array


@dataclass(eq=False)
class Tuple(AbstractValue):
    items: tuple[AbstractValue, ...]


@dataclass(eq=False)
class Range(AbstractValue):
    start: AbstractValue
    stop: AbstractValue
    step: AbstractValue


@dataclass(eq=False)
class RangeIter(AbstractValue):
    current: AbstractValue
    stop: AbstractValue
    step: AbstractValue


@dataclass(eq=False)
class TupleIter(AbstractValue):
    items: tuple[AbstractValue, ...]
    index: int


@dataclass(eq=False)
class BoundMethod(AbstractValue):
    receiver: AbstractValue
    name: str


def is_numeric(av: AbstractValue) -> bool:
    return isinstance(av, (Scalar, Undefined)) or (isinstance(av, Const) and av.is_numeric)


NUMERIC = "num"


def shape_key(av: AbstractValue) -> Any:
    """The hashable structure of a value; numeric slots all read as NUMERIC."""
    if is_numeric(av):
        return NUMERIC
    if isinstance(av, Const):
        obj = av.obj
        try:
            hash(obj)
            return ("const", type(obj), obj)
        except TypeError:
            return ("const-id", id(obj))
    if isinstance(av, Array):
        return ("array", _array_identity(av))
    if isinstance(av, ArrayRow):
        return ("row", _array_identity(av.array), tuple(shape_key(i) for i in av.indices))
    if isinstance(av, Shape):
        return ("shape", _array_identity(av.array))
    if isinstance(av, Tuple):
        return ("tuple", tuple(shape_key(i) for i in av.items))
    if isinstance(av, Range):
        return ("range", shape_key(av.start), shape_key(av.stop), shape_key(av.step))
    if isinstance(av, RangeIter):
        return ("range-iter", shape_key(av.current), shape_key(av.stop), shape_key(av.step))
    if isinstance(av, TupleIter):
        return ("tuple-iter", av.index, tuple(shape_key(i) for i in av.items))
    if isinstance(av, BoundMethod):
        return ("method", shape_key(av.receiver), av.name)
    raise TypeError(f"no shape key for {av!r}")


def _array_identity(av: Array) -> str:
    # Names, not value ids: keys must survive the restarts of a trace.
    return av.value.name or f"%{av.value.uid}"


def leaves(av: AbstractValue) -> list[AbstractValue]:
    """The numeric slots of a value, in a fixed order matching ``rebuild``."""
    if is_numeric(av):
        return [av]
    if isinstance(av, ArrayRow):
        return [x for i in av.indices for x in leaves(i)]
    if isinstance(av, Tuple):
        return [x for i in av.items for x in leaves(i)]
    if isinstance(av, (Range, RangeIter)):
        parts = (av.start, av.stop, av.step) if isinstance(av, Range) else (av.current, av.stop, av.step)
        return [x for p in parts for x in leaves(p)]
    if isinstance(av, TupleIter):
        return [x for i in av.items for x in leaves(i)]
    if isinstance(av, BoundMethod):
        return leaves(av.receiver)
    return []


def rebuild(av: AbstractValue, slots: list[AbstractValue]) -> AbstractValue:
    """``av`` with its numeric slots replaced, consuming ``slots`` from the front."""
    if is_numeric(av):
        return slots.pop(0)
    if isinstance(av, ArrayRow):
        return ArrayRow(av.array, tuple(rebuild(i, slots) for i in av.indices))
    if isinstance(av, Tuple):
        return Tuple(tuple(rebuild(i, slots) for i in av.items))
    if isinstance(av, Range):
        return Range(rebuild(av.start, slots), rebuild(av.stop, slots), rebuild(av.step, slots))
    if isinstance(av, RangeIter):
        return RangeIter(rebuild(av.current, slots), rebuild(av.stop, slots), rebuild(av.step, slots))
    if isinstance(av, TupleIter):
        return TupleIter(tuple(rebuild(i, slots) for i in av.items), av.index)
    if isinstance(av, BoundMethod):
        return BoundMethod(rebuild(av.receiver, slots), av.name)
    return av
