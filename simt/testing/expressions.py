"""Random, well-typed, UB-free kernel expressions, as Python source text.

An ``Expr`` is source text with its ``Kind`` (NumPy's result type, see
``kinds.py``), its precedence (so the text carries only the parentheses it
needs), integer bounds for weak Python ints, and whether it is inexact (it went
through a transcendental function, whose value targets only agree on within a
few ulp). ``ExpressionGenerator`` draws expressions through ``Choices`` (a
hypothesis ``draw``), guarding every operation whose result the reference
semantics leave undefined or where CPython would raise:

- integer ``//`` and ``%`` divide by ``(d | 1)``, never by zero; ``int ** e``
  uses ``e & 3``; shift amounts are masked to be non-negative;
- float -> int conversions clamp first, NaN-safely (``min(100.0, max(-100.0, v))``
  is -100.0 for NaN under Python's ``max``);
- weak Python ints stay within ``WEAK_INT_LIMIT`` and fit the NumPy kind they
  meet (NumPy 2 raises on an out-of-bounds Python int); weak Python floats are
  never divided by a value that may be zero (CPython raises there) nor raised to
  powers;
- inexact values never flow into comparisons, conversions to int, indices or
  further arithmetic: they are only stored, so one ulp cannot turn into a branch.
- ``math.copysign`` takes its sign from a leaf: the sign of a NaN computed by
  arithmetic is not specified (x86 makes -NaN, GPUs +NaN).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from .kinds import (BOOL, FLOAT_LITERALS, INT32, PY_FLOAT, PY_INT, WEAK_INT_LIMIT, Kind,
                    common_kind, fits, interesting_ints, literal_text, result_kind)

if TYPE_CHECKING:
    from .program import Program, Scope

# Precedence of Python operators (higher binds tighter).
ATOM, POWER, UNARY, MUL, ADD, SHIFT, BAND, BXOR, BOR, CMP, NOT, AND, OR, COND = (
    100, 15, 14, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2)
PRECEDENCE = {"**": POWER, "*": MUL, "/": MUL, "//": MUL, "%": MUL, "+": ADD, "-": ADD,
              "<<": SHIFT, ">>": SHIFT, "&": BAND, "^": BXOR, "|": BOR}
ARITHMETIC = ("+", "-", "*", "/", "//", "%", "**")
BITWISE = ("&", "|", "^", "<<", ">>")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")

CLAMP = 100


def _span_body(draw, choices: Choices, function: Callable[[], object]):
    outer, choices._draw = choices._draw, draw
    try:
        return function()
    finally:
        choices._draw = outer
        draw(_NOTHING)     # a span may make no choice; hypothesis warns about such composites


_NOTHING = None


_spanned_strategy = None
_INTEGERS: dict[tuple[int, int], object] = {}    # strategies are immutable: make each once


def _spanned(choices: Choices, function: Callable[[], object]):
    global _spanned_strategy, _NOTHING
    if _spanned_strategy is None:
        from hypothesis import strategies as st
        _spanned_strategy = st.composite(_span_body)
        _NOTHING = st.just(None)
    return _spanned_strategy(choices, function)


@dataclass(frozen=True)
class Expr:
    """Source text of a kernel expression, with what the generator knows about it."""

    text: str
    kind: Kind
    prec: int = ATOM
    bounds: tuple[int, int] | None = None     # integer value range, when known
    inexact: bool = False
    leaf: bool = False                        # a variable, load, parameter or literal
    size: int = 1

    def at(self, prec: int) -> str:
        """The text, parenthesized if it binds less tightly than ``prec``."""
        return self.text if self.prec >= prec else f"({self.text})"

    @property
    def int_bounds(self) -> tuple[int, int]:
        return self.bounds if self.bounds is not None else self.kind.bounds


class Choices:
    """Every random decision of the generator, drawn through hypothesis (so it shrinks).

    Options are listed simplest first: hypothesis shrinks a choice towards the first.
    """

    def __init__(self, draw: Callable):
        from hypothesis import strategies as st
        self._draw = draw
        self._st = st

    def integer(self, low: int, high: int) -> int:
        strategy = _INTEGERS.get((low, high))
        if strategy is None:
            strategy = _INTEGERS[(low, high)] = self._st.integers(low, high)
        return self._draw(strategy)

    def choice(self, options: Sequence):
        return options[self.integer(0, len(options) - 1)]

    def weighted(self, options: Sequence[tuple[object, int]]):
        """One of ``options`` (value, weight) pairs, the first when shrunk."""
        options = [(value, weight) for value, weight in options if weight > 0]
        total = sum(weight for _, weight in options)
        pick = self.integer(0, total - 1)
        for value, weight in options:
            if pick < weight:
                return value
            pick -= weight
        raise AssertionError("unreachable")

    def chance(self, percent: int) -> bool:
        """True with about ``percent``% probability; False when shrunk."""
        return self.integer(0, 99) >= 100 - percent

    def draw(self, strategy):
        return self._draw(strategy)

    def span(self, function: Callable[[], object]):
        """``function()``, its choices grouped as one hypothesis span, so the shrinker can
        delete them together (a statement) or make them all trivial (an expression)."""
        return self._draw(_spanned(self, function))


def binary_text(op: str, left: Expr, right: Expr) -> tuple[str, int]:
    prec = PRECEDENCE[op]
    if op == "**":
        return f"{left.at(ATOM)} ** {right.at(ATOM)}", POWER
    return f"{left.at(prec)} {op} {right.at(prec + 1)}", prec


def call(name: str, *args: Expr, kind: Kind, **extra) -> Expr:
    text = f"{name}({', '.join(a.text for a in args)})"
    size = 1 + sum(a.size for a in args)
    inexact = any(a.inexact for a in args)
    return Expr(text, kind, ATOM, inexact=inexact, size=size, **extra)


def weak_bounds(op: str, left: tuple[int, int], right: tuple[int, int]) -> tuple[int, int] | None:
    """Bounds of ``left op right`` on Python ints, None if unknown or too wide."""
    if op in ("+", "-", "*"):
        function = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}[op]
        corners = [function(a, b) for a in left for b in right]
        bounds = (min(corners), max(corners))
    elif op == "%" and right[0] == right[1] and right[0] > 0:
        bounds = (0, right[0] - 1)
    elif op == "//" and right[0] == right[1] and right[0] > 0:
        bounds = (left[0] // right[0], left[1] // right[0])
    elif op == "**" and right[0] >= 0:
        top = right[1]
        corners = [a ** b for a in left for b in range(right[0], top + 1)] + [0]
        bounds = (min(corners), max(corners))
    elif op == "&" and left[0] >= 0 and right[0] >= 0:
        bounds = (0, min(left[1], right[1]))
    else:
        return None
    return bounds if -WEAK_INT_LIMIT <= bounds[0] and bounds[1] <= WEAK_INT_LIMIT else None


class ExpressionGenerator:
    """Draws expressions over the variables of a ``Scope`` of a ``Program``."""

    def __init__(self, choices: Choices, program: Program):
        from .calls import CallGenerator
        self.c = choices
        self.program = program
        self.calls = CallGenerator(self)

    # ------------------------------------------------------------------ leaves
    def leaf(self, scope: Scope) -> Expr:
        features = self.program.features
        variables = [v for v in scope.visible() if v.readable]
        kernel = scope.frame.kernel
        written = self.program.written_slots() if kernel else []
        options = [("literal", 2), ("load", 4 if kernel else 0), ("variable", 6 if variables else 0),
                   ("param", 1 if kernel else 0), ("special", 1), ("global", 1),
                   ("local", 2 if kernel and self.program.local_arrays else 0),
                   ("output", 1 if written else 0),
                   ("bits", 1 if "bits" in features else 0)]
        what = self.c.weighted(options)
        if what == "global":
            kind = self.c.choice(self.program.palette + (PY_INT, PY_FLOAT))
            value = self.literal(kind)
            name = self.program.constant(value.text, kind)
            return Expr(name, kind, bounds=value.bounds, leaf=True)
        if what == "output":    # this thread's own output slot: whatever it stored last
            name, kind, slot = self.c.choice(written)
            return Expr(f"{name}[t, {slot}]", kind, leaf=True, size=2)
        if what == "variable":
            var = self.c.choice(variables)
            return Expr(var.name, var.kind, bounds=var.bounds, leaf=True)
        if what == "load":
            return self.load(scope)
        if what == "param":
            return self.program.param(self.c)
        if what == "special":
            return self.special(scope)
        if what == "local":
            array = self.c.choice(self.program.local_arrays)
            index = self.small_index(scope, array.size)
            return Expr(f"{array.name}[{index.text}]", array.kind, leaf=True, size=1 + index.size)
        if what == "bits":
            return self.calls.bit_op(scope)
        return self.literal()

    def literal(self, kind: Kind | None = None) -> Expr:
        if kind is None:
            kind = self.c.choice((PY_INT, PY_FLOAT) + tuple(self.program.palette))
        if kind.is_bool:
            return Expr(literal_text(self.c.choice((True, False)), kind), kind, leaf=True)
        if kind.is_float:
            value = self.c.choice(FLOAT_LITERALS)
            text = literal_text(value, kind)
            prec = UNARY if text.startswith("-") else ATOM
            return Expr(text, kind, prec, leaf=True)
        value = self.c.choice(interesting_ints(kind))
        text = literal_text(value, kind)
        prec = UNARY if text.startswith("-") else ATOM
        return Expr(text, kind, prec, bounds=(value, value), leaf=True)

    def load(self, scope: Scope) -> Expr:
        array = self.program.input(self.c)
        form = self.c.integer(0, 3)
        if form == 0:
            index = scope.thread_index
        elif form == 1:
            index = f"{self.program.size - 1} - {scope.thread_index}"
        else:
            index = self.index(scope, self.program.size).text
        return Expr(f"{array.name}[{index}]", array.kind, leaf=True, size=2)

    def special(self, scope: Scope) -> Expr:
        axis = self.c.choice("xyz"[:self.program.launch.ndim])
        options = [f"simt.threadIdx.{axis}", f"simt.blockIdx.{axis}", f"simt.blockDim.{axis}",
                   f"simt.gridDim.{axis}", "simt.laneid"]
        text = self.c.choice(options + (["x.shape[0]"] if scope.frame.kernel else []))
        if text == "x.shape[0]":
            array = self.program.input(self.c)
            size = self.program.size
            return Expr(f"{array.name}.shape[0]", PY_INT, bounds=(size, size), leaf=True)
        return Expr(text, INT32, leaf=True)

    # ------------------------------------------------------------------ indices
    def index(self, scope: Scope, size: int) -> Expr:
        """An integer expression in ``[0, size)``, or sometimes in ``[-size, 0)``."""
        base = self.exact_int(scope, 1)
        if base.bounds is not None and 0 <= base.bounds[0] and base.bounds[1] < size:
            return base
        if base.kind.weak or fits((0, size), base.kind):
            inner = Expr(f"{base.at(MUL)} % {size}", base.kind, MUL, bounds=(0, size - 1),
                         size=base.size + 1)
        else:
            inner = Expr(f"np.int64({base.text}) % {size}", Kind("int64"), MUL,
                         bounds=(0, size - 1), size=base.size + 1)
        if (inner.kind.weak or not inner.kind.is_unsigned) and self.c.chance(15):
            return Expr(f"-1 - {inner.at(ADD + 1)}", inner.kind, ADD, bounds=(-size, -1),
                        size=inner.size + 1)
        return inner

    def small_index(self, scope: Scope, size: int) -> Expr:
        if self.c.chance(50):
            value = self.c.integer(0, size - 1)
            return Expr(str(value), PY_INT, bounds=(value, value), leaf=True)
        return self.index(scope, size)

    # ------------------------------------------------------------------ expressions
    def value(self, scope: Scope, depth: int) -> Expr:
        """An exact expression of any kind."""
        return self.c.span(lambda: self._value(scope, depth))

    def _value(self, scope: Scope, depth: int) -> Expr:
        if depth <= 0 or self.c.chance(30):
            return self.leaf(scope)
        shape = self.c.weighted([("binary", 6), ("unary", 1), ("convert", 2), ("minmax", 1),
                                 ("select", 1), ("math", 1)])
        if shape == "binary":
            return self.binary(scope, depth)
        if shape == "unary":
            return self.unary(scope, depth)
        if shape == "convert":
            operand = self.value(scope, depth - 1)
            return self.convert(operand, self.c.choice(self.program.palette + (PY_INT, PY_FLOAT)))
        if shape == "minmax":
            return self.minmax(scope, depth)
        if shape == "select":
            return self.select(scope, depth)
        return self.calls.exact(scope, depth)

    def of_kind(self, scope: Scope, kind: Kind, depth: int) -> Expr:
        return self.convert(self.value(scope, depth), kind)

    def exact_int(self, scope: Scope, depth: int) -> Expr:
        """An expression of an integer (or bool) kind."""
        value = self.value(scope, depth)
        if value.kind.is_float:
            value = self.convert(value, self.c.choice((INT32, PY_INT) + tuple(
                k for k in self.program.palette if k.is_int)))
        return value

    def binary(self, scope: Scope, depth: int) -> Expr:
        op = self.c.choice(ARITHMETIC + BITWISE)
        left = self.value(scope, depth - 1)
        right = self.value(scope, depth - 1)
        return self.combine(op, left, right)

    def combine(self, op: str, left: Expr, right: Expr) -> Expr:
        """``left op right`` made legal: operands adjusted so no UB and no CPython error."""
        if op in BITWISE and (left.kind.is_float or right.kind.is_float):
            left, right = self._as_int(left), self._as_int(right)
        left, right = self._fit_weak(left, right), self._fit_weak(right, left)
        both_weak = left.kind.weak and right.kind.weak
        if op == "**":
            power = result_kind("**", left.kind, right.kind)
            if power is None or power.is_float:
                op = "*"      # float ** is transcendental (and CPython's may raise)
            else:
                right = self._small_exponent(right)
        if op in ("/", "//", "%"):
            right = self._nonzero_divisor(right, both_weak)
            left = self._fit_weak(left, right)    # a bool divisor became int32
        if op in ("<<", ">>"):
            right = self._shift_amount(right, left)
        kind = result_kind(op, left.kind, right.kind)
        if kind is None:
            op = "+" if op not in ("+",) else "*"
            kind = result_kind(op, left.kind, right.kind)
            if kind is None:      # e.g. bool - bool: go through int32
                left, right = self.convert(left, INT32), self.convert(right, INT32)
                kind = result_kind(op, left.kind, right.kind)
        bounds = None
        if kind == PY_INT:
            bounds = weak_bounds(op, left.int_bounds, right.int_bounds)
            if bounds is None:
                return left if left.size >= right.size else right
        elif kind.is_int and op == "%" and right.bounds and right.bounds[0] == right.bounds[1] > 0:
            bounds = (0, right.bounds[0] - 1)
        text, prec = binary_text(op, left, right)
        return Expr(text, kind, prec, bounds=bounds, inexact=left.inexact or right.inexact,
                    size=left.size + right.size + 1)

    def power(self, base: Expr, exponent: Expr) -> Expr | None:
        """``base ** exponent`` with a float result (inexact), or None if it has none."""
        left, right = self._fit_weak(base, exponent), self._fit_weak(exponent, base)
        kind = result_kind("**", left.kind, right.kind)
        if kind is None or not kind.is_float or (left.kind.weak and right.kind.weak):
            return None
        text, prec = binary_text("**", left, right)
        return Expr(text, kind, prec, inexact=True, size=left.size + right.size + 1)

    def _as_int(self, value: Expr) -> Expr:
        return self.convert(value, INT32) if value.kind.is_float else value

    def _fit_weak(self, value: Expr, other: Expr) -> Expr:
        """A weak int meeting a strong int kind must fit it (NumPy raises otherwise)."""
        if value.kind == PY_INT and (other.kind.is_int and not other.kind.weak) \
                and not fits(value.int_bounds, other.kind):
            return Expr(f"{value.at(MUL)} % 100", PY_INT, MUL, bounds=(0, 99),
                        size=value.size + 1)
        return value

    def _small_exponent(self, exponent: Expr) -> Expr:
        if exponent.kind.weak:
            if exponent.bounds is not None and 0 <= exponent.bounds[0] and exponent.bounds[1] <= 3:
                return exponent
            return Expr(f"{exponent.at(MUL)} % 4", PY_INT, MUL, bounds=(0, 3), size=exponent.size + 1)
        if exponent.kind.is_bool:
            return exponent
        return Expr(f"{exponent.at(BAND)} & 3", exponent.kind, BAND, bounds=(0, 3),
                    size=exponent.size + 1)

    def _nonzero_divisor(self, divisor: Expr, both_weak: bool) -> Expr:
        kind = divisor.kind
        if kind.is_float:
            if not both_weak:
                return divisor     # IEEE: x / 0.0 is defined
            return Expr(f"{divisor.at(OR)} if {divisor.at(CMP + 1)} != 0.0 else 1.5", kind,
                        COND, size=2 * divisor.size + 2)
        if kind.is_bool:
            divisor = self.convert(divisor, INT32)
        low, high = divisor.int_bounds
        if low > 0 or high < 0:
            return divisor
        bounds = (low - 1, high + 1) if divisor.kind.weak else None
        return Expr(f"{divisor.at(BOR + 1)} | 1", divisor.kind, BOR, bounds=bounds,
                    size=divisor.size + 1)

    def _shift_amount(self, amount: Expr, value: Expr) -> Expr:
        mask = self.c.choice((7, 31, 63)) if not value.kind.weak else 7
        if amount.kind.is_bool:
            return amount
        if amount.kind.weak:
            return Expr(f"{amount.at(BAND)} & {mask}", PY_INT, BAND, bounds=(0, mask),
                        size=amount.size + 1)
        return Expr(f"{amount.at(BAND)} & {mask}", amount.kind, BAND, bounds=(0, mask),
                    size=amount.size + 1)

    def unary(self, scope: Scope, depth: int) -> Expr:
        op = self.c.choice(("-", "abs", "~"))
        operand = self.value(scope, depth - 1)
        if op == "~" and operand.kind.is_float:
            op = "-"
        kind = result_kind(op, operand.kind)
        if kind is None:
            return operand
        bounds = None
        if kind == PY_INT:
            low, high = operand.int_bounds
            bounds = {"-": (-high, -low), "~": (-high - 1, -low - 1),
                      "abs": (0 if low <= 0 <= high else min(abs(low), abs(high)),
                              max(abs(low), abs(high)))}[op]
        if op == "abs":
            return call("abs", operand, kind=kind, bounds=bounds)
        return Expr(f"{op}{operand.at(UNARY)}", kind, UNARY, bounds=bounds,
                    inexact=operand.inexact, size=operand.size + 1)

    def minmax(self, scope: Scope, depth: int) -> Expr:
        name = self.c.choice(("min", "max"))
        left, right = self.value(scope, depth - 1), self.value(scope, depth - 1)
        left, right = self._fit_weak(left, right), self._fit_weak(right, left)
        kind = common_kind(left.kind, right.kind)
        if kind is None:
            return left
        bounds = None
        if kind == PY_INT:
            (a, b), (c, d) = left.int_bounds, right.int_bounds
            bounds = (min(a, c), min(b, d)) if name == "min" else (max(a, c), max(b, d))
        return call(name, left, right, kind=kind, bounds=bounds)

    def select(self, scope: Scope, depth: int) -> Expr:
        """``a if c else b``, or ``a or b`` / ``a and b`` (which give an operand's value)."""
        form = self.c.choice(("if", "or", "and"))
        when = self.condition(scope, depth - 1) if form == "if" else None
        yes = self.value(scope, depth - 1)
        no = self.convert(self.value(scope, depth - 1), yes.kind)
        bounds = None
        if yes.kind == PY_INT:
            bounds = (min(yes.int_bounds[0], no.int_bounds[0]), max(yes.int_bounds[1], no.int_bounds[1]))
        if when is None:
            prec = OR if form == "or" else AND
            return Expr(f"{yes.at(prec)} {form} {no.at(prec + 1)}", yes.kind, prec, bounds=bounds,
                        size=yes.size + no.size + 1)
        return Expr(f"{yes.at(OR)} if {when.at(OR)} else {no.at(COND)}", yes.kind, COND,
                    bounds=bounds, size=yes.size + no.size + when.size + 1)

    # ------------------------------------------------------------------ conversions
    def clamped(self, value: Expr) -> Expr:
        """A float expression limited to [-CLAMP, CLAMP], NaN becoming -CLAMP."""
        low, high = Expr(f"{-CLAMP}.0", PY_FLOAT, UNARY), Expr(f"{CLAMP}.0", PY_FLOAT)
        inner = call("max", low, value, kind=value.kind)
        return call("min", high, inner, kind=value.kind)

    def convert(self, value: Expr, kind: Kind) -> Expr:
        """``value`` as ``kind``, by a conversion that is defined for every value it can have."""
        if value.kind == kind:
            return value
        if kind == PY_FLOAT or (kind.is_float and not kind.weak):
            return call(kind.constructor(), value, kind=kind)
        if kind.is_bool:
            return call("np.bool_", value, kind=kind)
        if value.kind.is_float:
            value = self.clamped(value)
            if kind == PY_INT:
                return call("int", value, kind=kind, bounds=(-CLAMP, CLAMP))
            if kind.is_unsigned:
                value = call("abs", value, kind=value.kind)
            return call(kind.constructor(), value, kind=kind, bounds=(-CLAMP, CLAMP))
        if kind == PY_INT:
            bounds = value.int_bounds
            if -WEAK_INT_LIMIT <= bounds[0] and bounds[1] <= WEAK_INT_LIMIT:
                return call("int", value, kind=kind, bounds=bounds)
            narrowed = Expr(f"{value.at(MUL)} % 1000", value.kind, MUL, size=value.size + 1)
            return call("int", narrowed, kind=kind, bounds=(-1000, 1000))
        if value.kind == PY_INT and not fits(value.int_bounds, kind):
            value = call("np.int64", value, kind=Kind("int64"))
        return call(kind.constructor(), value, kind=kind)

    # ------------------------------------------------------------------ conditions
    def condition(self, scope: Scope, depth: int) -> Expr:
        """An expression used for its truth value (``if``, ``while``, ``x if c else y``)."""
        shape = self.c.weighted([("compare", 8), ("not", 1), ("and", 1), ("or", 1),
                                 ("predicate", 1), ("truth", 1)])
        if shape == "compare" or depth <= 0:
            left, right = self.value(scope, depth - 1), self.value(scope, depth - 1)
            op = self.c.choice(COMPARISONS)
            text = f"{left.at(CMP + 1)} {op} {right.at(CMP + 1)}"
            if self.c.chance(10):    # a chained comparison: left < right <= third
                third = self.value(scope, depth - 1)
                text += f" {self.c.choice(COMPARISONS)} {third.at(CMP + 1)}"
            return Expr(text, BOOL, CMP, size=left.size + right.size + 1)
        if shape == "not":
            inner = self.condition(scope, depth - 1)
            return Expr(f"not {inner.at(NOT)}", BOOL, NOT, size=inner.size + 1)
        if shape in ("and", "or"):
            prec = AND if shape == "and" else OR
            left, right = self.condition(scope, depth - 1), self.condition(scope, depth - 1)
            return Expr(f"{left.at(prec)} {shape} {right.at(prec + 1)}", BOOL, prec,
                        size=left.size + right.size + 1)
        if shape == "predicate":
            return self.calls.predicate(scope, depth)
        return self.value(scope, depth - 1)


__all__ = ["Choices", "Expr", "ExpressionGenerator"]
