"""Random calls in kernel expressions: ``math.*``, NumPy ufuncs, ``simt.fma``, bit operations.

Exact functions (``sqrt``, ``fabs``, ``fmod``, ``copysign``, ``floor``/``ceil``/
``trunc``, ``fma``, the bit operations) may appear anywhere in an expression.
Transcendental ones (``exp``, ``sin``, ``pow``, ...) agree across targets only
within a few ulp, so ``CallGenerator.transcendental`` makes an inexact
expression, which the statement generator only ever stores. Their arguments are
reduced into the ranges where the PTX math library documents its accuracy
(``math.fmod(x, 1000.0)`` for trigonometry, ``math.fmod(y, 30.0)`` for ``pow``
exponents). Result kinds are NumPy's: ``math.f(x)`` keeps a NumPy float's type
and gives a Python float otherwise; ``np.f(x)`` gives whatever the ufunc does
(``np.sqrt(np.int8)`` is float16, ``np.floor(np.int8)`` is int8).
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from .expressions import CMP, Expr, call
from .kinds import BOOL, INT32, PY_FLOAT, PY_INT, WEAK_INT_LIMIT, Kind, common_kind, fits, kind_of

if TYPE_CHECKING:
    from .expressions import ExpressionGenerator
    from .program import Scope

ROUNDING = ("floor", "ceil", "trunc")
PREDICATES = ("isnan", "isinf", "isfinite")
TRANSCENDENTAL_UNARY = ("exp", "log", "sin", "cos", "tanh", "atan", "exp2", "expm1", "log2",
                        "log10", "log1p", "tan", "asin", "acos", "sinh", "cosh", "asinh",
                        "acosh", "atanh", "erf", "erfc", "cbrt")
TRANSCENDENTAL_BINARY = ("atan2", "hypot", "pow")
NUMPY_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2"}
NUMPY_TRANSCENDENTAL = ("exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos",
                        "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "cbrt", "atan2",
                        "hypot")
# Trigonometric arguments are reduced into the range the PTX math library documents
# its accuracy on (tests/ptx/test_mathlib.py samples |x| <= 1e5, tan 1e4), pow
# exponents into |y| <= 30 (mathlib_pow.py: within 1 ulp there).
TRIG = ("sin", "cos", "tan")


def ufunc_kind(name: str, *kinds: Kind) -> Kind | None:
    """The kind ``np.<name>(...)`` returns for operands of ``kinds`` (None: unsupported)."""
    function = getattr(np, NUMPY_NAMES.get(name, name))
    try:
        with np.errstate(all="ignore"):
            return kind_of(function(*(k.sample() for k in kinds)))
    except TypeError:
        return None


def math_kind(*kinds: Kind) -> Kind:
    """``math.f(a[, b])``: a NumPy float kind if an operand is one, else a Python float."""
    floats = [k for k in kinds if k.is_float and not k.weak]
    if floats:
        kind = floats[0] if len(kinds) == 1 else common_kind(*kinds)
        if kind is not None and kind.is_float:
            return kind
    return PY_FLOAT


def reduced(value: Expr, modulus: float) -> Expr:
    """``math.fmod(value, modulus)``: an argument in the documented range."""
    return call("math.fmod", value, Expr(repr(modulus), PY_FLOAT, leaf=True),
                kind=math_kind(value.kind, PY_FLOAT))


class CallGenerator:
    """The function calls of ``ExpressionGenerator`` (which owns the choices and scope)."""

    def __init__(self, exprs: ExpressionGenerator):
        self.x = exprs
        self.c = exprs.c

    # ------------------------------------------------------------------ exact
    def exact(self, scope: Scope, depth: int) -> Expr:
        form = self.c.weighted([("math", 4), ("numpy", 2), ("fma", 1), ("bits", 1)])
        if form == "numpy":
            return self.numpy_exact(scope, depth)
        if form == "fma":
            return self.fma(scope, depth)
        if form == "bits" and "bits" in self.x.program.features:
            return self.bit_op(scope)
        return self.math_exact(scope, depth)

    def math_exact(self, scope: Scope, depth: int) -> Expr:
        name = self.c.choice(("sqrt", "fabs", "floor", "fmod", "copysign", "ceil", "trunc"))
        operand = self.x.value(scope, depth - 1)
        if name in ROUNDING:
            return self.rounding(name, operand)
        if name == "fmod":
            divisor = self.x.value(scope, depth - 1)
            return call("math.fmod", operand, divisor, kind=math_kind(operand.kind, divisor.kind))
        if name == "copysign":
            sign = self.sign(scope)
            return call("math.copysign", operand, sign, kind=math_kind(operand.kind, sign.kind))
        return call(f"math.{name}", operand, kind=math_kind(operand.kind))

    def rounding(self, name: str, operand: Expr) -> Expr:
        """``math.floor`` and friends: Python ints, so float operands are clamped first."""
        if operand.kind.is_float:
            clamp = self.x.clamped(operand)
            return call(f"math.{name}", clamp, kind=PY_INT, bounds=(-100, 100))
        bounds = operand.int_bounds
        if operand.kind.is_bool or not fits(bounds, Kind("int64")) \
                or bounds[0] < -WEAK_INT_LIMIT or bounds[1] > WEAK_INT_LIMIT:
            return operand      # a Python int past int64 would not be an int64 in the IR
        return call(f"math.{name}", operand, kind=PY_INT, bounds=bounds)

    def sign(self, scope: Scope) -> Expr:
        """A sign operand: the sign of a NaN made by arithmetic is unspecified (x86 makes
        -NaN, GPUs +NaN), so signs come from inputs and literals."""
        if scope.frame.kernel and self.c.chance(70):
            return self.x.load(scope)
        return self.x.literal(PY_FLOAT)

    def numpy_exact(self, scope: Scope, depth: int) -> Expr:
        name = self.c.choice(("sqrt", "fabs", "floor", "ceil", "trunc", "copysign", "fmod"))
        operand = self.x.value(scope, depth - 1)
        if name in ("copysign", "fmod"):
            other = self.sign(scope) if name == "copysign" else self.x.value(scope, depth - 1)
            if name == "fmod" and not (operand.kind.is_float or other.kind.is_float):
                # integer fmod traps on INT_MIN % -1 in C: keep it in floats
                operand = self.x.convert(operand, Kind("float32"))
            kind = ufunc_kind(name, operand.kind, other.kind)
            return call(f"np.{name}", operand, other, kind=kind) if kind else operand
        kind = ufunc_kind(name, operand.kind)
        return call(f"np.{name}", operand, kind=kind) if kind else operand

    def fma(self, scope: Scope, depth: int) -> Expr:
        """``simt.fma(a, b, c)``: one rounding, on three operands of one float kind."""
        floats = [k for k in self.x.program.palette if k.is_float] + [PY_FLOAT]
        kind = self.c.choice(floats)
        operands = [self.x.convert(self.x.value(scope, depth - 1), kind) for _ in range(3)]
        return call("simt.fma", *operands, kind=kind)

    def bit_op(self, scope: Scope) -> Expr:
        name = self.c.choice(("popc", "clz", "ffs", "brev"))
        operand = self.x.exact_int(scope, self.c.integer(0, 1))
        if operand.kind.weak or operand.kind.is_bool:
            operand = self.x.convert(operand, self.c.choice((INT32, Kind("uint64"))))
        return call(f"simt.{name}", operand, kind=operand.kind if name == "brev" else INT32)

    def predicate(self, scope: Scope, depth: int) -> Expr:
        """``math.isnan(x)`` and friends (or ``np.isnan``), for a condition."""
        operand = self.x.value(scope, depth - 1)
        name = self.c.choice(PREDICATES)
        if self.c.chance(30):
            return call(f"np.{name}", operand, kind=BOOL)
        if not operand.kind.is_float:
            operand = self.x.convert(operand, PY_FLOAT)
        return call(f"math.{name}", operand, kind=BOOL)

    # ------------------------------------------------------------------ inexact
    def transcendental(self, scope: Scope, depth: int) -> Expr:
        """An inexact expression: a transcendental function of exact operands."""
        if self.c.chance(25):
            return self.numpy_transcendental(scope, depth)
        name = self.c.choice(TRANSCENDENTAL_UNARY + TRANSCENDENTAL_BINARY)
        operand = self.x.value(scope, depth)
        if name in TRIG:
            operand = reduced(operand, 1000.0)
        if name not in TRANSCENDENTAL_BINARY:
            return replace(call(f"math.{name}", operand, kind=math_kind(operand.kind)), inexact=True)
        other = self.x.value(scope, depth)
        if name == "pow":
            other = reduced(other, 30.0)
            if not (operand.kind.weak and other.kind.weak) and self.c.chance(50):
                power = self.x.power(operand, other)
                if power is not None:
                    return power
        kind = math_kind(operand.kind, other.kind)
        return replace(call(f"math.{name}", operand, other, kind=kind), inexact=True)

    def numpy_transcendental(self, scope: Scope, depth: int) -> Expr:
        name = self.c.choice(NUMPY_TRANSCENDENTAL)
        operands = [self.x.value(scope, depth)]
        if name in ("atan2", "hypot"):
            operands.append(self.x.value(scope, depth))
        if name in TRIG:
            operands[0] = reduced(operands[0], 1000.0)
        kind = ufunc_kind(name, *(o.kind for o in operands))
        if kind is None or not kind.is_float:
            return replace(call("math.exp", reduced(operands[0], 30.0), kind=PY_FLOAT),
                           inexact=True)
        return replace(call(f"np.{NUMPY_NAMES.get(name, name)}", *operands, kind=kind),
                       inexact=True)


__all__ = ["CMP", "CallGenerator", "PREDICATES", "math_kind", "reduced", "ufunc_kind"]
