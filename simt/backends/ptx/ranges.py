"""Integer value ranges, so the legalizer can prove array indices non-negative.

``ValueRanges(fn).at(value, block)`` is an interval ``(lo, hi)`` that holds for every
value ``value`` takes where ``block`` uses it. The analysis reads IR with the reference
meaning (it runs before the other legalization phases): fixed-width arithmetic wraps,
so an op whose exact result interval leaves its type gets the whole type.

- Launch registers: threadIdx in [0, 1023], blockDim in [1, 1024], laneid in [0, 31],
  blockIdx and gridDim below 2**31. With ``small_grid`` (the default) the launch is
  also known to satisfy ``gridDim.k * blockDim.k <= 2**31 - 1`` on every axis k (the
  ``cuda`` target checks this per launch and compiles without the assumption when it
  does not hold), so ``blockIdx.k * blockDim.k + threadIdx.k`` (``simt.grid``) is in
  [0, 2**31 - 2] and ``gridDim.k * blockDim.k`` in [1, 2**31 - 1]: no int32 wrap.
- Branches: a block entered only through one arm of a CBR on a comparison learns the
  comparison (``0 < i`` gives ``i >= 1`` there and in every block it dominates), also
  through exact integer casts (``int64(i) < n`` bounds ``i``).
- Loops: block params are solved to a fixed point, widened to their type's bound
  after a few rounds; the comparisons above keep a ``for k in range(n)`` counter in
  [0, 2**63 - 1] (``k + 1`` cannot wrap where ``k < n`` holds).
- Primitives: an extent of a shared or local array of static shape is its constant;
  ``popc``/``clz``/``ffs`` are in [0, bits], ``syncthreads_count`` in [0, 1024] and
  ``syncthreads_and/or`` in [0, 1].
Anything else (loads, float -> int casts, function arguments) is its whole type.
"""
from __future__ import annotations

from simt.ir import Block, Function, Op, Operation, Value
from simt.ir.analysis import DominatorTree
from simt.ir.ops import ALLOCATIONS, BIT_OPS, COMPARE
from simt.ir.types import ScalarType

Interval = tuple[int, int]
INT32_MAX = 2 ** 31 - 1
GRID_AXIS_LIMIT = INT32_MAX          # small_grid: gridDim.k * blockDim.k <= this
SPECIAL_RANGES = {Op.THREAD_IDX: (0, 1023), Op.BLOCK_DIM: (1, 1024), Op.LANE_ID: (0, 31),
                  Op.BLOCK_IDX: (0, INT32_MAX - 1), Op.GRID_DIM: (1, INT32_MAX)}
WIDEN_AFTER = 4                      # fixed-point rounds before params jump to type bounds
FLIPPED = {Op.LT: Op.GT, Op.LE: Op.GE, Op.GT: Op.LT, Op.GE: Op.LE, Op.EQ: Op.EQ, Op.NE: Op.NE}
ARITHMETIC = frozenset({Op.ADD, Op.SUB, Op.MUL, Op.NEG, Op.MIN, Op.MAX, Op.AND, Op.MOD,
                        Op.FLOORDIV, Op.SHR, Op.ABS})
NEGATED = {Op.LT: Op.GE, Op.LE: Op.GT, Op.GT: Op.LE, Op.GE: Op.LT, Op.EQ: Op.NE, Op.NE: Op.EQ}


def is_int(t) -> bool:
    return isinstance(t, ScalarType) and t.is_int


def type_bounds(t: ScalarType) -> Interval:
    if t.is_signed:
        return -(1 << (t.bits - 1)), (1 << (t.bits - 1)) - 1
    return 0, (1 << t.bits) - 1


def fit(lo: int, hi: int, t: ScalarType) -> Interval:
    """The exact interval if it lies inside ``t``, else all of ``t`` (the op may wrap)."""
    low, high = type_bounds(t)
    return (lo, hi) if low <= lo and hi <= high else (low, high)


class ValueRanges:
    def __init__(self, fn: Function, small_grid: bool = True):
        self.small_grid = small_grid
        self.dom = DominatorTree(fn)
        self.params: dict[Value, Interval | None] = {
            p: None for b in fn.blocks[1:] for p in b.params if is_int(p.type)}
        self.block_facts = self._facts(fn)
        self.memo: dict[tuple[Value, Block, bool], Interval] = {}
        self._solve(fn)

    # -- facts from branches ----------------------------------------------------------

    def _facts(self, fn: Function) -> dict[Block, list[tuple[Op, Value, Value]]]:
        """Per block: the comparisons ``(op, a, b)`` known true there (own edge + dominators)."""
        incoming: dict[Block, list[tuple[Block, int]]] = {b: [] for b in fn.blocks}
        for block in fn.blocks:
            term = block.terminator
            for index, succ in enumerate(term.successors if term is not None else []):
                incoming.setdefault(succ.block, []).append((block, index))
        own: dict[Block, list[tuple[Op, Value, Value]]] = {}
        for block, edges in incoming.items():
            own[block] = []
            if len(edges) != 1:
                continue
            pred, index = edges[0]
            term = pred.terminator
            if term.op is not Op.CBR or term.successors[0].block is term.successors[1].block:
                continue
            cond = term.operands[0].owner
            if isinstance(cond, Operation) and cond.op in COMPARE and is_int(cond.operands[0].type):
                op = cond.op if index == 0 else NEGATED[cond.op]
                own[block].append((op, cond.operands[0], cond.operands[1]))
        facts: dict[Block, list[tuple[Op, Value, Value]]] = {}
        for block in self.dom.preorder():
            parent = self.dom.idom(block)
            facts[block] = own.get(block, []) + (facts[parent] if parent is not None else [])
        return facts

    # -- the fixed point over block params ----------------------------------------------

    def _solve(self, fn: Function) -> None:
        """Params start from their forward edges (in reverse postorder each such argument
        depends only on params already set), then all edges are joined to a fixed point."""
        order = {block: i for i, block in enumerate(self.dom.rpo)}
        edges = [(block, succ) for block in self.dom.rpo if block.terminator is not None
                 for succ in block.terminator.successors]
        for target in self.dom.rpo[1:]:
            for pred, succ in edges:
                if succ.block is target and order[pred] < order[target]:
                    self._join_edge(pred, succ)
        for round_ in range(WIDEN_AFTER + 8):
            self.memo.clear()
            before = dict(self.params)
            for pred, succ in edges:
                self._join_edge(pred, succ)
            changed = [p for p in self.params if self.params[p] != before[p]]
            if not changed:
                break
            if round_ >= WIDEN_AFTER:
                for param in changed:
                    (lo, hi), (old_lo, old_hi) = self.params[param], before[param] or (0, -1)
                    low, high = type_bounds(param.type)
                    self.params[param] = (low if lo < old_lo else lo, high if hi > old_hi else hi)
        else:                               # did not settle: know nothing of the params
            for param in self.params:
                self.params[param] = type_bounds(param.type)
        self.memo.clear()

    def _join_edge(self, pred: Block, succ) -> None:
        for param, arg in zip(succ.block.params, succ.args):
            if param in self.params:
                self.memo.clear()
                lo, hi = self.at(arg, pred)
                old = self.params[param]
                self.params[param] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))

    # -- ranges ------------------------------------------------------------------------

    def at(self, value: Value, block: Block, refine: bool = True) -> Interval:
        """The range of int ``value`` where ``block`` uses it; ``refine=False`` leaves the
        branch facts out (the bound a fact compares with is read that way, so refined
        ranges never depend on each other in a cycle)."""
        key = (value, block, refine)
        found = self.memo.get(key)
        if found is None:
            found = self._base(value, block, refine)
            if refine:
                found = self._refine(value, block, found)
            self.memo[key] = found
        return found

    def non_negative(self, value: Value, block: Block) -> bool:
        return is_int(value.type) and self.at(value, block)[0] >= 0

    def _base(self, value: Value, block: Block, refine: bool) -> Interval:
        t = value.type
        owner = value.owner
        if value in self.params:
            found = self.params[value]
            return type_bounds(t) if found is None else found
        if not isinstance(owner, Operation):
            return type_bounds(t)
        return self._op_range(owner, block, refine)

    def _op_range(self, op: Operation, block: Block, refine: bool) -> Interval:
        t = op.result.type
        kind = op.op
        if kind is Op.CONST:
            v = int(op.attrs["value"])
            return v, v
        if kind in SPECIAL_RANGES:
            return SPECIAL_RANGES[kind]
        if kind is Op.ARRAY_DIM:
            allocation = op.operands[0].owner
            if isinstance(allocation, Operation) and allocation.op in ALLOCATIONS \
                    and allocation.attrs["shape"] != (0,):
                extent = allocation.attrs["shape"][op.attrs["axis"]]
                return extent, extent
            return 0, type_bounds(t)[1]
        if kind in BIT_OPS and kind is not Op.BREV:
            return 0, op.operands[0].type.bits
        if kind is Op.BARRIER:
            return (0, SPECIAL_RANGES[Op.BLOCK_DIM][1]) if op.attrs["kind"] == "count" else (0, 1)
        operands = op.operands
        if not is_int(t):
            return type_bounds(t)
        if kind is Op.CAST:
            (x,) = operands
            if x.type.is_bool:
                return 0, 1
            if not is_int(x.type):
                return type_bounds(t)
            return fit(*self.at(x, block, refine), t)
        if kind is Op.SELECT:
            a, b = self.at(operands[1], block, refine), self.at(operands[2], block, refine)
            return min(a[0], b[0]), max(a[1], b[1])
        if kind not in ARITHMETIC or not all(is_int(v.type) for v in operands):
            return type_bounds(t)
        if self.small_grid:
            launch = self._launch_pattern(op)
            if launch is not None:
                return launch
        ranges = [self.at(v, block, refine) for v in operands]
        if kind is Op.ADD:
            (a, b) = ranges
            return fit(a[0] + b[0], a[1] + b[1], t)
        if kind is Op.SUB:
            (a, b) = ranges
            return fit(a[0] - b[1], a[1] - b[0], t)
        if kind is Op.MUL:
            (a, b) = ranges
            products = [x * y for x in a for y in b]
            return fit(min(products), max(products), t)
        if kind is Op.NEG:
            (a,) = ranges
            return fit(-a[1], -a[0], t)
        if kind in (Op.MIN, Op.MAX):
            (a, b) = ranges
            pick = min if kind is Op.MIN else max
            return pick(a[0], b[0]), pick(a[1], b[1])
        if kind is Op.AND:
            bounded = [r[1] for r in ranges if r[0] >= 0]
            return (0, min(bounded)) if bounded else type_bounds(t)
        if kind is Op.MOD:                     # Python %: the sign of the divisor; by 0 -> 0
            (a, b) = ranges
            if b[0] >= 0:
                high = max(b[1] - 1, 0)
                return 0, min(high, a[1]) if a[0] >= 0 else high
            return type_bounds(t)
        if kind is Op.FLOORDIV:
            (a, b) = ranges
            if a[0] >= 0 and b[0] >= 0:        # by 0 -> 0
                return 0, a[1] // max(b[0], 1)
            return type_bounds(t)
        if kind is Op.SHR:
            (a, amount) = ranges
            if a[0] >= 0 and amount[0] >= 0:
                return a[0] >> min(amount[1], t.bits), a[1] >> amount[0]
            return type_bounds(t)
        if kind is Op.ABS:
            (a,) = ranges
            if a[0] > type_bounds(t)[0]:
                magnitudes = (abs(a[0]), abs(a[1]))
                return (0 if a[0] <= 0 <= a[1] else min(magnitudes)), max(magnitudes)
            return type_bounds(t)
        return type_bounds(t)

    def _launch_pattern(self, op: Operation) -> Interval | None:
        """``blockIdx.k * blockDim.k [+ threadIdx.k]`` and ``gridDim.k * blockDim.k``."""
        def special(v: Value) -> tuple[Op, int] | None:
            owner = v.owner
            if isinstance(owner, Operation) and owner.op in SPECIAL_RANGES:
                return owner.op, owner.attrs.get("axis", 0)
            return None

        def product(v: Value) -> tuple[Op, int] | None:
            owner = v.owner
            if not (isinstance(owner, Operation) and owner.op is Op.MUL and owner.result.type.bits == 32):
                return None
            pair = {special(x) for x in owner.operands}
            for first in (Op.BLOCK_IDX, Op.GRID_DIM):
                axes = {axis for kind, axis in (p for p in pair if p is not None) if kind is first}
                dims = {axis for kind, axis in (p for p in pair if p is not None)
                        if kind is Op.BLOCK_DIM}
                if len(pair) == 2 and axes and axes == dims:
                    return first, axes.pop()
            return None

        if op.result.type.bits != 32:
            return None
        if op.op is Op.MUL:
            found = product(op.result)
            if found is None:
                return None
            return (0, GRID_AXIS_LIMIT - 1) if found[0] is Op.BLOCK_IDX else (1, GRID_AXIS_LIMIT)
        if op.op is Op.ADD:
            a, b = op.operands
            for scaled, thread in ((a, b), (b, a)):
                found, lane = product(scaled), special(thread)
                if found is not None and found[0] is Op.BLOCK_IDX and lane == (Op.THREAD_IDX, found[1]):
                    return 0, GRID_AXIS_LIMIT - 1
        return None

    def _refine(self, value: Value, block: Block, interval: Interval) -> Interval:
        lo, hi = interval
        for op, a, b in self.block_facts.get(block, ()):
            for subject, other, relation in ((a, b, op), (b, a, FLIPPED[op])):
                if not self._same_number(subject, value):
                    continue
                if other is value or self._same_number(other, value):
                    continue
                olo, ohi = self.at(other, block, refine=False)
                if relation is Op.LT:
                    hi = min(hi, ohi - 1)
                elif relation is Op.LE:
                    hi = min(hi, ohi)
                elif relation is Op.GT:
                    lo = max(lo, olo + 1)
                elif relation is Op.GE:
                    lo = max(lo, olo)
                elif relation is Op.EQ:
                    lo, hi = max(lo, olo), min(hi, ohi)
        return (lo, hi) if lo <= hi else interval

    def _same_number(self, compared: Value, value: Value) -> bool:
        """Whether ``compared`` is ``value`` or an exact widening cast of it."""
        while True:
            if compared is value:
                return True
            owner = compared.owner
            if not (isinstance(owner, Operation) and owner.op is Op.CAST and not owner.attrs
                    and is_int(owner.operands[0].type) and is_int(compared.type)):
                return False
            source = owner.operands[0]
            s_lo, s_hi = type_bounds(source.type)
            d_lo, d_hi = type_bounds(compared.type)
            if not (d_lo <= s_lo and s_hi <= d_hi):      # a narrowing or sign-changing cast
                return False
            compared = source

