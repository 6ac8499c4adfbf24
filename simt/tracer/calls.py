"""Calls inside kernels: builtins, ``math``, NumPy scalar types, the kernel
language's intrinsics, and device functions (traced per signature and inlined)."""
from __future__ import annotations

import builtins
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import ir
from .. import language
from ..ir import types as T
from ..ir.ops import Op
from . import values as V
from .typing import PY_BOOL, PY_FLOAT, PY_INT, PromotionError, SType, common_type, math_result

if TYPE_CHECKING:
    from .frontend import FunctionTracer

MATH_UNARY = {
    math.sqrt: Op.SQRT, math.exp: Op.EXP, math.expm1: Op.EXPM1, math.log2: Op.LOG2,
    math.log10: Op.LOG10, math.log1p: Op.LOG1P, math.sin: Op.SIN, math.cos: Op.COS,
    math.tan: Op.TAN, math.asin: Op.ASIN, math.acos: Op.ACOS, math.atan: Op.ATAN,
    math.sinh: Op.SINH, math.cosh: Op.COSH, math.tanh: Op.TANH, math.asinh: Op.ASINH,
    math.acosh: Op.ACOSH, math.atanh: Op.ATANH, math.erf: Op.ERF, math.erfc: Op.ERFC,
    math.fabs: Op.FABS, math.exp2: Op.EXP2, math.cbrt: Op.CBRT, math.log: Op.LOG,
}
MATH_BINARY = {math.atan2: Op.ATAN2, math.hypot: Op.HYPOT, math.copysign: Op.COPYSIGN,
               math.fmod: Op.FMOD, math.pow: Op.POW}
MATH_TO_INT = {math.floor: Op.FLOOR, math.ceil: Op.CEIL, math.trunc: Op.TRUNC}
MATH_PREDICATES = {math.isnan: Op.ISNAN, math.isinf: Op.ISINF, math.isfinite: Op.ISFINITE}

# NumPy ufuncs on scalars: the result type is whatever NumPy gives for the inputs.
NUMPY_UNARY = {
    np.sqrt: Op.SQRT, np.exp: Op.EXP, np.exp2: Op.EXP2, np.expm1: Op.EXPM1, np.log: Op.LOG,
    np.log2: Op.LOG2, np.log10: Op.LOG10, np.log1p: Op.LOG1P, np.sin: Op.SIN, np.cos: Op.COS,
    np.tan: Op.TAN, np.arcsin: Op.ASIN, np.arccos: Op.ACOS, np.arctan: Op.ATAN, np.sinh: Op.SINH,
    np.cosh: Op.COSH, np.tanh: Op.TANH, np.floor: Op.FLOOR, np.ceil: Op.CEIL, np.trunc: Op.TRUNC,
    np.fabs: Op.FABS, np.cbrt: Op.CBRT,
}
NUMPY_BINARY = {np.arctan2: Op.ATAN2, np.hypot: Op.HYPOT, np.copysign: Op.COPYSIGN, np.fmod: Op.FMOD}
NUMPY_PREDICATES = {np.isnan: Op.ISNAN, np.isinf: Op.ISINF, np.isfinite: Op.ISFINITE}

SCALAR_TYPES = {t.dtype.type: t for t in T.SCALAR_TYPES}


class CallLowering:
    def __init__(self, tracer: FunctionTracer):
        from .primitives import PrimitiveLowering
        self.t = tracer
        self.primitives = PrimitiveLowering(self)

    @property
    def b(self) -> ir.Builder:
        return self.t.builder

    def call(self, func: V.AbstractValue, args: list, kwargs: dict) -> V.AbstractValue:
        t = self.t
        if not isinstance(func, V.Const):
            from .frontend import describe
            raise t.error(f"{describe(func)} is not callable in a kernel")
        obj = func.obj
        if isinstance(obj, language.Intrinsic):
            return self.intrinsic(obj, args, kwargs)
        if hasattr(obj, "__simt_function__"):
            return self.device_call(obj, args, kwargs)
        builtin = BUILTINS.get(_key(obj))
        if builtin is not None:
            if kwargs and obj is not builtins.print:
                raise t.error(f"{obj.__name__}() does not take keyword arguments in kernels")
            return builtin(self, args, kwargs)
        if _key(obj) in MATH_ALL or _key(obj) in NUMPY_ALL:
            if kwargs:
                raise t.error("math functions take no keyword arguments in kernels")
            return self.math_call(obj, args)
        if isinstance(obj, type) and obj in SCALAR_TYPES:
            if len(args) != 1 or kwargs:
                raise t.error(f"{obj.__name__}() takes exactly one argument in kernels")
            return self.cast(args[0], SType(SCALAR_TYPES[obj], False))
        if isinstance(obj, np.dtype) or (isinstance(obj, type) and issubclass(obj, np.generic)):
            raise t.error(f"unsupported scalar type {obj}")
        if callable(obj) and hasattr(obj, "__code__"):
            raise t.error(f"'{getattr(obj, '__name__', obj)}' is a plain Python function",
                          hint="decorate it with @simt.device (or @cuda.jit(device=True)) to call it "
                               "from a kernel")
        if isinstance(obj, type) and issubclass(obj, BaseException):
            raise t.error("raising exceptions is not supported in kernels",
                          hint="kernels can't raise exceptions; write an error flag into an array")
        name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
        module = getattr(obj, "__module__", None)
        raise t.error(f"calling {module + '.' if module else ''}{name} is not supported in kernels",
                      hint="kernels can call math functions, abs/min/max/len/range/int/float/bool/"
                           "print, NumPy scalar types, simt intrinsics and @simt.device functions")

    # ------------------------------------------------------------ intrinsics
    def intrinsic(self, obj: language.Intrinsic, args: list, kwargs: dict) -> V.AbstractValue:
        t = self.t
        if obj is language.grid or obj is language.gridsize:
            if kwargs or len(args) != 1 or not isinstance(args[0], V.Const) or args[0].obj not in (1, 2, 3):
                raise t.error(f"simt.{obj.name}(ndim) needs a constant ndim of 1, 2 or 3")
            first, second = (Op.BLOCK_IDX, Op.THREAD_IDX) if obj is language.grid else \
                (Op.BLOCK_DIM, Op.GRID_DIM)
            items = []
            for axis in range(args[0].obj):
                a = self.b.value(first, [], T.int32, {"axis": axis})
                if obj is language.grid:
                    dim = self.b.value(Op.BLOCK_DIM, [], T.int32, {"axis": axis})
                    product = self.b.value(Op.MUL, [a, dim], T.int32)
                    tid = self.b.value(second, [], T.int32, {"axis": axis})
                    items.append(V.Scalar(self.b.value(Op.ADD, [product, tid], T.int32)))
                else:
                    other = self.b.value(second, [], T.int32, {"axis": axis})
                    items.append(V.Scalar(self.b.value(Op.MUL, [a, other], T.int32)))
            return items[0] if len(items) == 1 else V.Tuple(tuple(items))
        if obj is language.fma:
            if kwargs or len(args) != 3:
                raise t.error("simt.fma(a, b, c) takes three arguments")
            stype = self.common(args)
            if not stype.type.is_float:
                raise t.error(f"simt.fma needs floating-point arguments, got {stype}")
            values = [t.coerce(a, stype.type) for a in args]
            return V.Scalar(self.b.value(Op.FMA, values, stype.type), stype.weak)
        from .primitives import is_primitive
        if is_primitive(obj):
            return self.primitives.call(obj, args, kwargs)
        raise t.error(f"simt.{obj.name} is not supported yet")

    def common(self, args: list) -> SType:
        t = self.t
        for a in args:
            if not V.is_numeric(a):
                from .frontend import describe
                raise t.error(f"expected a number, got {describe(a)}")
        stype = args[0].stype
        try:
            for a in args[1:]:
                stype = common_type(stype, a.stype)
        except PromotionError as exc:
            raise t.error(str(exc)) from None
        return stype

    # ------------------------------------------------------------ casts
    def cast(self, value: V.AbstractValue, target: SType) -> V.AbstractValue:
        t = self.t
        if not V.is_numeric(value):
            from .frontend import describe
            raise t.error(f"cannot convert {describe(value)} to {target}")
        if isinstance(value, V.Const):
            obj = value.obj
            try:
                if target.weak:
                    py = {"b": bool, "i": int, "f": float}[target.type.kind.value]
                    return V.Const(py(obj))
                import warnings
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return V.Const(target.type.dtype.type(obj))
            except (ValueError, OverflowError) as exc:
                raise t.error(f"invalid conversion of {obj!r}: {exc}") from None
        if target.type.is_bool:
            return V.Scalar(t.truth(value), target.weak)
        return V.Scalar(t.coerce(value, target.type), target.weak)

    # ------------------------------------------------------------ math
    def math_call(self, fn, args: list) -> V.AbstractValue:
        t = self.t
        key = _key(fn)
        name = getattr(fn, "__name__", str(fn))
        for a in args:
            if not V.is_numeric(a):
                from .frontend import describe
                raise t.error(f"{name}() of {describe(a)} is not supported")
        if key in _keys(MATH_UNARY) or key in _keys(MATH_TO_INT) or key in _keys(MATH_PREDICATES):
            if fn is math.log and len(args) == 2:
                return t.binary("/", self.math_call(math.log, args[:1]), self.math_call(math.log, args[1:]))
            if len(args) != 1:
                raise t.error(f"math.{name}() takes one argument in kernels")
            (x,) = args
            if isinstance(x, V.Const) and not isinstance(x.obj, np.generic):
                return V.Const(_python_math(t, fn, x.obj))
            if fn in MATH_PREDICATES:
                if not x.stype.type.is_float:
                    return V.Const(fn is math.isfinite)
                op = MATH_PREDICATES[fn]
                return V.Scalar(self.b.value(op, [t.coerce(x, x.stype.type)], T.bool_), True)
            stype = math_result(x.stype)
            value = t.coerce(x, stype.type)
            if fn in MATH_TO_INT:
                rounded = self.b.value(MATH_TO_INT[fn], [value], stype.type)
                return V.Scalar(self.b.value(Op.CAST, [rounded], T.int64), True)
            return V.Scalar(self.b.value(MATH_UNARY[fn], [value], stype.type), stype.weak)
        if key in _keys(MATH_BINARY):
            if len(args) != 2:
                raise t.error(f"math.{name}() takes two arguments")
            if all(isinstance(a, V.Const) and not isinstance(a.obj, np.generic) for a in args):
                return V.Const(_python_math(t, fn, *(a.obj for a in args)))
            stype = math_result(self.common(args))
            if not stype.type.is_float:
                stype = PY_FLOAT
            values = [t.coerce(a, stype.type) for a in args]
            return V.Scalar(self.b.value(MATH_BINARY[fn], values, stype.type), stype.weak)
        return self.numpy_call(fn, args)

    def numpy_call(self, fn, args: list) -> V.AbstractValue:
        t = self.t
        from .typing import _sample, _stype_of_result
        samples = [_sample(a.stype) for a in args]
        import warnings
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                result = _stype_of_result(fn(*samples))
            except TypeError:
                raise t.error(f"np.{fn.__name__} does not support "
                              f"{', '.join(str(a.stype) for a in args)}") from None
        if fn in NUMPY_PREDICATES:
            (x,) = args
            if not x.stype.type.is_float:
                return V.Const(np.bool_(fn is np.isfinite))
            return V.Scalar(self.b.value(NUMPY_PREDICATES[fn], [t.coerce(x, x.stype.type)], T.bool_))
        op = NUMPY_UNARY.get(fn) or NUMPY_BINARY.get(fn)
        if op is None or len(args) != (1 if fn in NUMPY_UNARY else 2):
            raise t.error(f"np.{fn.__name__} is not supported in kernels with {len(args)} arguments")
        values = [t.coerce(a, result.type) for a in args]
        return V.Scalar(self.b.value(op, values, result.type), False)

    # ------------------------------------------------------------ device functions
    def device_call(self, dispatcher, args: list, kwargs: dict) -> V.AbstractValue:
        from .inline import call_device_function
        return call_device_function(self.t, dispatcher, args, kwargs)


def _python_math(t, fn, *args):
    """A math function of Python numbers at trace time, NaN/inf instead of exceptions."""
    try:
        return fn(*args)
    except (ValueError, OverflowError):
        import warnings
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            numpy_fn = {math.sqrt: np.sqrt, math.log: np.log, math.log2: np.log2,
                        math.log10: np.log10, math.log1p: np.log1p, math.exp: np.exp,
                        math.exp2: np.exp2, math.asin: np.arcsin, math.acos: np.arccos,
                        math.acosh: np.arccosh, math.atanh: np.arctanh, math.pow: np.power,
                        math.fmod: np.fmod, math.expm1: np.expm1, math.cosh: np.cosh,
                        math.sinh: np.sinh, math.sin: np.sin, math.cos: np.cos,
                        math.tan: np.tan, math.hypot: np.hypot}.get(fn)
            if fn in (math.floor, math.ceil, math.trunc) and len(args) == 1:
                # docs/internals.md: NaN -> 0, +-inf saturate to int64
                (x,) = args
                return 0 if x != x else 2 ** 63 - 1 if x > 0 else -2 ** 63
            if numpy_fn is None:
                raise t.error(f"invalid argument for math.{fn.__name__}: {args}") from None
            return float(numpy_fn(*(np.float64(a) for a in args)))


def _key(obj) -> Any:
    try:
        hash(obj)
        return obj
    except TypeError:
        return id(obj)


def _keys(table: dict) -> dict:
    return table


MATH_ALL = {**MATH_UNARY, **MATH_BINARY, **MATH_TO_INT, **MATH_PREDICATES}
NUMPY_ALL = {**NUMPY_UNARY, **NUMPY_BINARY, **NUMPY_PREDICATES}


# ------------------------------------------------------------------ builtins
def _abs(self: CallLowering, args, kwargs):
    if len(args) != 1:
        raise self.t.error("abs() takes one argument")
    return self.t.unary("abs", args[0])


def _min_max(op: Op, python_fn):
    def lower(self: CallLowering, args, kwargs):
        t = self.t
        name = python_fn.__name__
        if len(args) == 1:
            items = t.tuple_items(args[0])
            if items is None:
                raise t.error(f"{name}() of a single {type(args[0]).__name__} is not supported")
            args = list(items)
        if not args:
            raise t.error(f"{name}() needs at least one argument")
        stype = self.common(args)
        if all(isinstance(a, V.Const) for a in args):
            # As at run time: both promoted to their common type first (docs/internals.md),
            # so min(-1, 0.0) is -1.0, not CPython's -1.
            if stype.weak:
                convert = float if stype.type.is_float else int if stype.type.is_int else bool
            else:
                convert = stype.type.dtype.type
            from .handlers import _constant_eval
            return V.Const(_constant_eval(t, lambda *objs: python_fn(*map(convert, objs)),
                                          *(a.obj for a in args)))
        result = t.coerce(args[0], stype.type)
        for arg in args[1:]:
            value = t.coerce(arg, stype.type)
            result = self.b.value(op, [result, value], stype.type)
        return V.Scalar(result, stype.weak)
    return lower


def _len(self: CallLowering, args, kwargs):
    t = self.t
    if len(args) != 1:
        raise t.error("len() takes one argument")
    (x,) = args
    if isinstance(x, V.Array):
        return t.array_dim(x, 0)
    if isinstance(x, V.ArrayRow):
        return t.array_dim(x.array, len(x.indices))
    items = t.tuple_items(x)
    if items is not None:
        return V.Const(len(items))
    from .frontend import describe
    raise t.error(f"len() of {describe(x)} is not supported")


def _range(self: CallLowering, args, kwargs):
    t = self.t
    if not 1 <= len(args) <= 3:
        raise t.error("range() takes one to three arguments")
    converted = []
    for a in args:
        if not V.is_numeric(a) or a.stype.type.is_float:
            from .frontend import describe
            raise t.error(f"range() arguments must be integers, got {describe(a)}")
        if isinstance(a, V.Const):
            converted.append(V.Const(int(a.obj)))
        else:
            converted.append(V.Scalar(t.coerce(a, T.int64), True))
    if len(converted) == 1:
        return V.Range(V.Const(0), converted[0], V.Const(1))
    if len(converted) == 2:
        return V.Range(converted[0], converted[1], V.Const(1))
    return V.Range(*converted)


def _py_cast(target: SType):
    def lower(self: CallLowering, args, kwargs):
        if len(args) != 1:
            name = {"b": "bool", "i": "int", "f": "float"}[target.type.kind.value]
            raise self.t.error(f"{name}() takes exactly one argument in kernels")
        return self.cast(args[0], target)
    return lower


def _print(self: CallLowering, args, kwargs):
    t = self.t
    if kwargs:
        raise t.error("print() keyword arguments are not supported in kernels")
    parts: list[str | None] = []
    operands = []
    for a in args:
        if isinstance(a, V.Const):
            parts.append(str(a.obj))
        elif isinstance(a, V.Scalar):
            parts.append(None)
            operands.append(a.value)
        else:
            from .frontend import describe
            raise t.error(f"print() of {describe(a)} is not supported in kernels")
    self.b.emit(Op.PRINT, operands, attrs={"parts": tuple(parts)})
    return V.Const(None)


BUILTINS = {
    builtins.abs: _abs, builtins.min: _min_max(Op.MIN, min), builtins.max: _min_max(Op.MAX, max),
    builtins.len: _len, builtins.range: _range, builtins.int: _py_cast(PY_INT),
    builtins.float: _py_cast(PY_FLOAT), builtins.bool: _py_cast(PY_BOOL), builtins.print: _print,
}
