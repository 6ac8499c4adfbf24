"""Device-function calls: trace the callee for its signature (cached), then
clone its blocks into the caller with its returns branching to a continuation."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import ir
from ..ir.core import Operation, Successor
from ..ir.ops import Op
from . import values as V

if TYPE_CHECKING:
    from .frontend import FunctionTracer


def call_device_function(tracer: FunctionTracer, dispatcher, args: list, kwargs: dict) -> V.AbstractValue:
    from . import trace_device

    pyfunc = dispatcher.__simt_function__
    name = pyfunc.__name__
    bound = _bind(tracer, pyfunc, args, kwargs)
    arg_types, weak, values = [], [], []
    for param, value in bound:
        if isinstance(value, V.Array):
            arg_types.append(value.type)
            weak.append(False)
            values.append(value.value)
        elif V.is_numeric(value):
            scalar = tracer.materialize(value)
            arg_types.append(scalar.value.type)
            weak.append(scalar.weak)
            values.append(scalar.value)
        else:
            from .frontend import describe
            raise tracer.error(f"argument '{param}' of device function '{name}' can't be "
                               f"{describe(value)}", hint="pass numbers or arrays")
    callee = trace_device(pyfunc, arg_types, weak, tracer.call_stack, tracer.loc)
    tracer.captures.extend(callee.captures)
    results = inline(tracer.fn, tracer.builder, callee, values)
    scalars = [V.Scalar(v, w) for v, w in zip(results, callee.result_weak)]
    if callee.result_structure is None:
        return scalars[0]
    if callee.result_structure == 0:
        return V.Const(None)
    return V.Tuple(tuple(scalars))


def _bind(tracer: FunctionTracer, pyfunc, args: list, kwargs: dict) -> list[tuple[str, V.AbstractValue]]:
    code = pyfunc.__code__
    names = list(code.co_varnames[:code.co_argcount])
    defaults = pyfunc.__defaults__ or ()
    bound: dict[str, V.AbstractValue] = {}
    if len(args) > len(names):
        raise tracer.error(f"{pyfunc.__name__}() takes {len(names)} arguments, {len(args)} given")
    for name, value in zip(names, args):
        bound[name] = value
    for name, value in kwargs.items():
        if name not in names:
            raise tracer.error(f"{pyfunc.__name__}() got an unexpected keyword argument '{name}'")
        if name in bound:
            raise tracer.error(f"{pyfunc.__name__}() got multiple values for argument '{name}'")
        bound[name] = value
    first_default = len(names) - len(defaults)
    for i, name in enumerate(names):
        if name not in bound:
            if i >= first_default:
                bound[name] = V.Const(defaults[i - first_default])
            else:
                raise tracer.error(f"{pyfunc.__name__}() is missing the argument '{name}'")
    return [(n, bound[n]) for n in names]


def inline(caller: ir.Function, builder: ir.Builder, callee: ir.Function,
           args: list[ir.Value]) -> list[ir.Value]:
    """Clone ``callee`` into ``caller`` at the builder's position; returns its results.

    The builder continues in a new block whose params are the callee's results.
    """
    continuation = caller.new_block()
    results = [continuation.add_param(t) for t in callee.result_types]
    mapping: dict[ir.Value, ir.Value] = dict(zip(callee.args, args))
    blocks = {b: caller.new_block() for b in callee.blocks}
    for old, new in blocks.items():
        if old is not callee.entry:
            for p in old.params:
                mapping[p] = new.add_param(p.type, p.name)
    clones: list[tuple[Operation, Operation]] = []
    for old_block, new_block in blocks.items():
        for op in old_block.ops:
            if op.op is Op.RET:
                clone = Operation(Op.BR, [], None, {}, op.loc,
                                  [Successor(continuation, list(op.operands))])
            else:
                clone = Operation(op.op, list(op.operands),
                                  op.result.type if op.result is not None else None,
                                  dict(op.attrs), op.loc,
                                  [Successor(blocks[s.block], list(s.args)) for s in op.successors],
                                  op.result.name if op.result is not None else None)
                if op.result is not None:
                    mapping[op.result] = clone.result
            new_block.ops.append(clone)
            clones.append((op, clone))
    for _, clone in clones:
        clone.replace_uses(mapping)
    builder.emit(Op.BR, [], successors=[Successor(blocks[callee.entry], [])])
    builder.set_block(continuation)
    return results
