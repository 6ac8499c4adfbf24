"""Register liveness over a linked program's steps.

The executor keeps the registers of a diverged group of threads compacted
(``frames.py``); liveness tells it which of them still matter where a group
waits or splits, so dead values are neither compacted nor written back.

Before: a flattened list of lowered steps whose branch targets are resolved.
After: ``Liveness.at(pc)`` is a superset of the registers some path from ``pc``
reads before writing them. The sets are conservative: an instruction only
*kills* its destination when it is unguarded and its opcode is known to write
operand 0 for every thread it runs for; every other register it names counts as
read. Registers no operand names (the carry flag of ``add.cc``) are always live.
"""
from __future__ import annotations

from .lowering import BRANCH, EXIT, Step
from .module import Addr, ArgList, Not, Pair, Reg, Vec

# Opcodes whose operand 0 is a destination written for every thread they run for.
WRITES_FIRST_OPERAND = frozenset((
    "add", "sub", "addc", "subc", "mul", "mad", "madc", "mul24", "mad24", "sad", "div", "rem",
    "abs", "neg", "min", "max", "and", "or", "xor", "not", "cnot", "lop3", "shl", "shr", "shf",
    "popc", "clz", "bfind", "brev", "bfe", "bfi", "prmt", "fma", "rcp", "sqrt", "rsqrt", "ex2",
    "lg2", "sin", "cos", "tanh", "copysign", "testp", "cvt", "setp", "set", "selp", "slct",
    "mov", "cvta", "isspacep", "ld", "ldu", "atom", "shfl", "vote", "activemask", "match",
    "redux"))


def registers_in(operand) -> list[str]:
    """The names of the registers an operand mentions."""
    if isinstance(operand, Reg):
        return [operand.name]
    if isinstance(operand, Not):
        return registers_in(operand.operand)
    if isinstance(operand, Addr):
        return registers_in(operand.base) if operand.base is not None else []
    if isinstance(operand, (Vec, ArgList)):
        return [name for item in operand.items for name in registers_in(item)]
    if isinstance(operand, Pair):
        return registers_in(operand.first) + registers_in(operand.second)
    return []


def _destinations(operand) -> list[str]:
    """Registers a destination operand writes (a register, ``{a, b}``, ``d|p``)."""
    if isinstance(operand, Reg):
        return [operand.name]
    if isinstance(operand, Vec):
        return [name for item in operand.items for name in _destinations(item)]
    if isinstance(operand, Pair):
        return _destinations(operand.first) + _destinations(operand.second)
    return []


class Liveness:
    def __init__(self, steps: list[Step], registers) -> None:
        index: dict[str, int] = {}
        uses: list[int] = []
        kills: list[int] = []

        def bits(names) -> int:
            out = 0
            for name in names:
                out |= 1 << index.setdefault(name, len(index))
            return out

        for step in steps:
            ins = step.ins
            written = (ins.opcode in WRITES_FIRST_OPERAND and ins.guard is None
                       and bool(ins.operands))
            read_ops = ins.operands[1:] if written else ins.operands
            used = [name for op in read_ops for name in registers_in(op)]
            if ins.guard is not None:
                used += registers_in(ins.guard)
            uses.append(bits(used))
            kills.append(bits(_destinations(ins.operands[0])) if written else 0)
        self._names = sorted(index, key=index.get)
        self._always = frozenset(name for name in registers if name not in index)
        self._live = _solve(steps, uses, kills)
        self._sets: dict[int, frozenset[str]] = {}

    def at(self, pc: int) -> frozenset[str]:
        """Registers that may be read before being written, from step ``pc`` on."""
        found = self._sets.get(pc)
        if found is None:
            live = self._live[pc] if pc < len(self._live) else 0
            found = frozenset(name for k, name in enumerate(self._names) if live >> k & 1)
            found = self._sets[pc] = found | self._always
        return found


def _solve(steps: list[Step], uses: list[int], kills: list[int]) -> list[int]:
    """Backward dataflow to a fixed point: live_in = uses | (live_out & ~kills)."""
    end = len(steps)
    successors: list[tuple[int, ...]] = []
    predecessors: list[list[int]] = [[] for _ in range(end)]
    for pc, step in enumerate(steps):
        nexts = []
        if step.kind == BRANCH:
            nexts.append(step.target)
        if step.kind not in (BRANCH, EXIT) or step.guard is not None:
            nexts.append(pc + 1)
        nexts = tuple(n for n in nexts if n < end)
        successors.append(nexts)
        for n in nexts:
            predecessors[n].append(pc)
    live = [0] * end
    pending = list(range(end))
    queued = [True] * end
    while pending:
        pc = pending.pop()
        queued[pc] = False
        out = 0
        for n in successors[pc]:
            out |= live[n]
        new = uses[pc] | (out & ~kills[pc])
        if new != live[pc]:
            live[pc] = new
            for p in predecessors[pc]:
                if not queued[p]:
                    queued[p] = True
                    pending.append(p)
    return live
