"""Random kernel statements: stores, assignments, branches, loops, calls, primitives.

Every construct is generated so the kernel has no undefined behaviour whatever
the inputs: threads only write their own output row (``out_<kind>[t, k]``), loops
have bounded trip counts (``range`` bounds are reduced modulo small constants,
``while`` loops count their iterations before anything can ``continue``), a
variable defined inside a branch or loop body is never read after it, and
barriers and warp collectives appear only where every thread of the block runs
together (top level or constant-trip loops, in kernels with no early exit).
Atomics whose result depends on the order threads run in (``exch``, ``cas``,
the old value of a contended update) only touch a thread's own output slot;
contended updates commute: each accumulator array takes one operation (integer
``add``/``min``/``and``..., ``inc``/``dec`` with one limit, float ``add`` of small
integers onto zero).
"""
from __future__ import annotations

from .expressions import OR, Choices, Expr, ExpressionGenerator
from .kinds import BOOL, INT32, PY_FLOAT, PY_INT, Kind, result_kind
from .program import Frame, LocalArray, Program, Scope, Var, storage_kind

INDENT = "    "
FULL_MASK = "0xFFFFFFFF"
ATOMIC_INT_KINDS = tuple(Kind(n) for n in ("int32", "uint32", "int64", "uint64"))
ATOMIC_FLOAT_KINDS = (Kind("float32"), Kind("float64"))
COMMUTING_ATOMICS = ("add", "sub", "max", "min", "and_", "or_", "xor")
ACCUMULATOR_SIZE = 4
INC_DEC_LIMIT = 5


def shuffle_kind(kind: Kind) -> Kind:
    """The kind a warp shuffle returns for a value of ``kind`` (as the tracer widens it)."""
    if kind.weak or kind.name in ("int32", "uint32", "int64", "uint64", "float32", "float64"):
        return kind
    return Kind("float32") if kind.is_float else INT32


class StatementGenerator:
    def __init__(self, choices: Choices, program: Program, exprs: ExpressionGenerator):
        self.c = choices
        self.program = program
        self.x = exprs

    # ------------------------------------------------------------------ blocks
    def block(self, scope: Scope, indent: int, top: bool = False) -> list[str]:
        """Statements of one block (``pass`` if none were drawn)."""
        lines: list[str] = []
        for _ in range(self.c.integer(1, 8) if top else self.c.integer(0, 3)):
            if self.program.statements_left <= 0:
                break
            self.program.statements_left -= 1
            lines += self.c.span(lambda: self.statement(scope, indent))
        return lines or [INDENT * indent + "pass"]

    def statement(self, scope: Scope, indent: int) -> list[str]:
        p, features = self.program, self.program.features
        kernel = scope.frame.kernel
        mutable = [v for v in scope.visible() if v.mutable]
        nested = scope.depth < 3
        collective_here = p.collective and scope.uniform and kernel
        options = [
            ("store", 5 if kernel else 0), ("assign", 6), ("reassign", 3 if mutable else 0),
            ("if", 3 if nested else 0), ("for", 2 if nested and scope.loop_depth < 2 else 0),
            ("while", 1 if nested and scope.loop_depth < 2 else 0),
            ("exit", 2 if self.exit_keywords(scope) else 0),
            ("call", 1 if kernel and "device" in features else 0),
            ("local", 1 if kernel and p.local_arrays else 0),
            ("atomic", 1 if kernel and "atomic" in features else 0),
            ("shared", 3 if collective_here and "shared" in features else 0),
            ("warp", 4 if collective_here and "warp" in features
             and p.launch.block_threads % 32 == 0 else 0),
            ("approx", 2 if kernel and "math" in features else 0),
        ]
        kind = self.c.weighted(options)
        return getattr(self, f"_{kind}")(scope, indent)

    def depth(self) -> int:
        return self.c.integer(0, 3)

    def new_var(self, scope: Scope, value: Expr, prefix: str = "v") -> Var:
        var = Var(self.program.fresh(prefix), value.kind,
                  bounds=value.bounds if value.kind == PY_INT else None,
                  mutable=value.kind != PY_INT)
        scope.variables.append(var)
        return var

    # ------------------------------------------------------------------ simple statements
    def _store(self, scope: Scope, indent: int) -> list[str]:
        value = self.x.value(scope, self.depth())
        kind = storage_kind(value.kind) if self.c.chance(80) else self.c.choice(self.program.palette)
        value = self.x.convert(value, kind)
        slots = [w for w in self.program.written_slots() if w[1] == kind]
        if slots and self.c.chance(25):     # read-modify-write of a slot this thread owns
            ops = [op for op in ("+", "-", "*", "|", "&", "^") if result_kind(op, kind, kind) == kind]
            name, _, slot = self.c.choice(slots)
            return [f"{INDENT * indent}{name}[t, {slot}] {self.c.choice(ops)}= {value.at(OR)}"]
        name, slot = self.program.output_slot(kind)
        return [f"{INDENT * indent}{name}[t, {slot}] = {value.text}"]

    def _assign(self, scope: Scope, indent: int) -> list[str]:
        value = self.x.value(scope, self.depth())
        var = self.new_var(scope, value)
        return [f"{INDENT * indent}{var.name} = {value.text}"]

    def _reassign(self, scope: Scope, indent: int) -> list[str]:
        var = self.c.choice([v for v in scope.visible() if v.mutable])
        current = Expr(var.name, var.kind, leaf=True)
        value = self.x.value(scope, self.depth())
        op = self.c.choice(("=", "+", "-", "*", "&", "|", "^", "//", "%"))
        if op == "=":
            return [f"{INDENT * indent}{var.name} = {self.x.convert(value, var.kind).text}"]
        if op in ("+", "-", "*") and not (value.kind == PY_INT and var.kind.is_int) \
                and result_kind(op, var.kind, value.kind) == var.kind:
            return [f"{INDENT * indent}{var.name} {op}= {value.at(OR)}"]
        combined = self.x.combine(op, current, value)
        return [f"{INDENT * indent}{var.name} = {self.x.convert(combined, var.kind).text}"]

    def _exit(self, scope: Scope, indent: int) -> list[str]:
        keyword = self.c.choice(self.exit_keywords(scope))
        condition = self.x.condition(scope, self.depth())
        return [f"{INDENT * indent}if {condition.text}:",
                INDENT * (indent + 1) + self.exit_text(keyword, scope)]

    def exit_keywords(self, scope: Scope) -> tuple[str, ...]:
        keywords = ("break", "continue") if scope.loop else ()
        if not self.program.collective or not scope.frame.kernel:
            keywords += ("return",)
        return keywords

    def exit_text(self, keyword: str, scope: Scope) -> str:
        if keyword != "return" or scope.frame.kernel:
            return keyword
        values = [self.x.of_kind(scope, kind, self.depth()).text for kind in scope.frame.returns]
        return "return " + ", ".join(values)

    # ------------------------------------------------------------------ control flow
    def _if(self, scope: Scope, indent: int) -> list[str]:
        pad = INDENT * indent
        lines = [f"{pad}if {self.x.condition(scope, self.depth()).text}:"]
        lines += self.branch(scope, indent)
        if self.c.chance(30):
            lines.append(f"{pad}elif {self.x.condition(scope, self.depth()).text}:")
            lines += self.branch(scope, indent)
        if self.c.chance(50):
            lines.append(f"{pad}else:")
            lines += self.branch(scope, indent)
        return lines

    def branch(self, scope: Scope, indent: int) -> list[str]:
        inner = scope.child(uniform=False)
        lines = self.block(inner, indent + 1)
        keywords = self.exit_keywords(inner)
        if keywords and self.c.chance(10):
            lines = [line for line in lines if line != INDENT * (indent + 1) + "pass"]
            lines.append(INDENT * (indent + 1) + self.exit_text(self.c.choice(keywords), inner))
        return lines

    def _for(self, scope: Scope, indent: int) -> list[str]:
        counter = self.program.fresh("k")
        form = self.c.integer(0, 6)
        uniform = False
        if form == 6:
            return self.tuple_loop(scope, indent, counter)
        if form == 0:
            count = self.c.integer(0, 6)
            header, bounds = f"range({count})", (0, max(count - 1, 0))
            uniform = scope.uniform and self.c.chance(50)
        else:
            limit = self.c.integer(2, 7)
            reduced = self.reduced(scope, limit)
            start, stop = self.c.integer(-3, 3), self.c.integer(0, 8)
            if form == 1:
                header, bounds = f"range({reduced})", (0, limit - 2)
            elif form == 2:
                header, bounds = f"range({start}, {reduced})", (start, limit - 2)
            elif form == 3:
                step = self.c.choice((2, 3))
                header, bounds = f"range({reduced}, {stop}, {step})", (0, stop)
            elif form == 4:
                step = self.c.choice((-1, -2))
                header, bounds = f"range({stop}, {reduced}, {step})", (0, stop)
            else:
                step = f"{self.reduced(scope, 3)} + 1"
                header, bounds = f"range({start}, {stop}, {step})", (start, stop)
        inner = scope.child(loop=not uniform, uniform=uniform, new_loop=True)
        inner.variables.append(Var(counter, PY_INT, bounds=(min(bounds), max(bounds)),
                                   mutable=False))
        return [f"{INDENT * indent}for {counter} in {header}:"] + self.block(inner, indent + 1)

    def tuple_loop(self, scope: Scope, indent: int, counter: str) -> list[str]:
        """``for k in T:`` over a module-level tuple of constants of one kind."""
        kind = self.c.choice(self.program.palette + (PY_INT, PY_FLOAT))
        items = [self.x.literal(kind) for _ in range(self.c.integer(1, 4))]
        name = self.program.constant("(" + ", ".join(i.text for i in items) + ",)", None)
        bounds = None
        if kind == PY_INT:
            bounds = (min(i.bounds[0] for i in items), max(i.bounds[1] for i in items))
        inner = scope.child(loop=True, uniform=False, new_loop=True)
        inner.variables.append(Var(counter, kind, bounds=bounds, mutable=False))
        return [f"{INDENT * indent}for {counter} in {name}:"] + self.block(inner, indent + 1)

    def reduced(self, scope: Scope, modulus: int) -> str:
        """An integer expression in ``[0, modulus)``, as text (a loop bound)."""
        value = self.x.exact_int(scope, self.c.integer(0, 2))
        if value.kind.is_bool:
            value = self.x.convert(value, INT32)
        return f"{value.at(12)} % {modulus}"

    def _while(self, scope: Scope, indent: int) -> list[str]:
        pad, inner_pad = INDENT * indent, INDENT * (indent + 1)
        counter = self.program.fresh("w")
        limit = self.c.integer(1, 8)
        lines = [f"{pad}{counter} = 0"]
        inner = scope.child(loop=True, uniform=False, new_loop=True)
        form = self.c.integer(0, 2)
        if form == 0:
            lines += [f"{pad}while {counter} < {limit}:", f"{inner_pad}{counter} += 1"]
            bounds = (0, limit)
        elif form == 1:
            condition = self.x.condition(scope, self.depth())
            lines += [f"{pad}while {counter} < {limit} and {condition.at(5)}:",
                      f"{inner_pad}{counter} += 1"]
            bounds = (0, limit)
        else:
            lines += [f"{pad}while True:", f"{inner_pad}{counter} += 1",
                      f"{inner_pad}if {counter} > {limit}:", f"{inner_pad}{INDENT}break"]
            bounds = (0, limit + 1)
        scope.variables.append(Var(counter, PY_INT, bounds=bounds, mutable=False))
        body = self.block(inner, indent + 1)
        return lines + ([] if body == [inner_pad + "pass"] and len(lines) > 1 else body)

    # ------------------------------------------------------------------ device functions
    def _call(self, scope: Scope, indent: int) -> list[str]:
        p = self.program
        if p.device_signatures and self.c.chance(40):
            name, params, returns = self.c.choice(p.device_signatures)
        else:
            name, params, returns = self.device_function()
        args = [self.x.of_kind(scope, kind, self.c.integer(0, 2)).text for kind in params]
        results = []
        for kind in returns:
            results.append(self.new_var(scope, Expr("", kind), prefix="r").name)
        return [f"{INDENT * indent}{', '.join(results)} = {name}({', '.join(args)})"]

    def device_function(self) -> tuple[str, tuple[Kind, ...], tuple[Kind, ...]]:
        p = self.program
        name = p.fresh("dev")
        params = tuple(self.c.choice(p.palette) for _ in range(self.c.integer(1, 3)))
        returns = tuple(self.c.choice(p.palette) for _ in range(self.c.integer(1, 3)))
        frame = Frame(kernel=False, thread_index=None, returns=returns)
        scope = Scope(frame, loop=False, uniform=False)
        names = [p.fresh("a") for _ in params]
        scope.variables = [Var(n, kind) for n, kind in zip(names, params)]
        saved = p.statements_left
        p.statements_left = self.c.integer(0, 4)
        body = self.block(scope, 1)
        p.statements_left = saved
        body = [line for line in body if line != INDENT + "pass"]
        final = self.exit_text("return", scope)
        text = "\n".join(["@simt.device", f"def {name}({', '.join(names)}):", *body,
                          INDENT + final])
        p.device_functions.append(text)
        p.device_signatures.append((name, params, returns))
        return name, params, returns

    # ------------------------------------------------------------------ memory
    def _local(self, scope: Scope, indent: int) -> list[str]:
        array = self.c.choice(self.program.local_arrays)
        index = self.x.small_index(scope, array.size)
        value = self.x.of_kind(scope, array.kind, self.depth())
        return [f"{INDENT * indent}{array.name}[{index.text}] = {value.text}"]

    def declare_local_array(self) -> tuple[LocalArray, list[str]]:
        p = self.program
        array = LocalArray(p.fresh("la"), self.c.choice(p.palette), self.c.integer(1, 4))
        p.local_arrays.append(array)
        counter = p.fresh("q")
        init = self.x.convert(Expr(counter, PY_INT, bounds=(0, array.size - 1)), array.kind)
        return array, [f"{INDENT}{array.name} = simt.local.array({array.size}, "
                       f"{array.kind.constructor()})",
                       f"{INDENT}for {counter} in range({array.size}):",
                       f"{INDENT * 2}{array.name}[{counter}] = {init.text}"]

    def _atomic(self, scope: Scope, indent: int) -> list[str]:
        pad = INDENT * indent
        if self.c.chance(25):
            return self.private_atomic(scope, indent)
        floating = self.c.chance(25)
        kind = self.c.choice(ATOMIC_FLOAT_KINDS if floating else ATOMIC_INT_KINDS)
        op = "add" if floating else self.c.choice(
            COMMUTING_ATOMICS + (("inc", "dec") if kind.name == "uint32" else ()))
        name = self.program.accumulator(kind, ACCUMULATOR_SIZE, op)
        index = self.x.small_index(scope, ACCUMULATOR_SIZE).text
        value = self.x.value(scope, self.depth())
        if floating:
            # small integers onto zero: every order of the additions gives the same sum
            small = self.x.convert(value, Kind("int8"))
            return [f"{pad}simt.atomic.add({name}, {index}, {self.x.convert(small, kind).text})"]
        if op in ("inc", "dec"):
            # one limit for every update of the array: then the updates commute
            return [f"{pad}simt.atomic.{op}({name}, {index}, np.uint32({INC_DEC_LIMIT}))"]
        return [f"{pad}simt.atomic.{op}({name}, {index}, {self.x.convert(value, kind).text})"]

    def private_atomic(self, scope: Scope, indent: int) -> list[str]:
        kind = self.c.choice(ATOMIC_INT_KINDS)
        name, slot = self.program.output_slot(kind)
        op = self.c.choice(("exch", "cas") + COMMUTING_ATOMICS)
        value = self.x.of_kind(scope, kind, self.depth()).text
        if op == "cas":
            compare = self.x.of_kind(scope, kind, self.c.integer(0, 1)).text
            call = f"simt.atomic.cas({name}, (t, {slot}), {compare}, {value})"
        else:
            call = f"simt.atomic.{op}({name}, (t, {slot}), {value})"
        var = self.new_var(scope, Expr("", kind), prefix="old")
        return [f"{INDENT * indent}{var.name} = {call}"]

    # ------------------------------------------------------------------ block and warp collectives
    def _shared(self, scope: Scope, indent: int) -> list[str]:
        pad = INDENT * indent
        p = self.program
        threads = p.launch.block_threads
        form = self.c.integer(0, 2)
        if form == 1:
            name = self.c.choice(("syncthreads_count", "syncthreads_and", "syncthreads_or"))
            condition = self.x.condition(scope, self.depth())
            var = self.new_var(scope, Expr("", INT32))
            return [f"{pad}{var.name} = simt.{name}({condition.text})"]
        if form == 2:
            return self.shared_atomic(scope, indent)
        kind = self.c.choice(p.palette)
        array = p.fresh("sh")
        p.shared_arrays.append((array, kind, threads))
        value = self.x.of_kind(scope, kind, self.depth())
        read = self.c.integer(0, 2)
        if read == 0:
            index = f"(lt + {self.c.integer(1, threads)}) % {threads}"
        elif read == 1:
            index = f"{threads - 1} - lt"
        else:
            index = self.x.index(scope, threads).text
        var = self.new_var(scope, Expr("", kind))
        return [f"{pad}{array}[lt] = {value.text}", f"{pad}simt.syncthreads()",
                f"{pad}{var.name} = {array}[{index}]", f"{pad}simt.syncthreads()"]

    def shared_atomic(self, scope: Scope, indent: int) -> list[str]:
        pad, inner = INDENT * indent, INDENT * (indent + 1)
        p = self.program
        size = min(ACCUMULATOR_SIZE, p.launch.block_threads)
        kind = self.c.choice(ATOMIC_INT_KINDS)
        array = p.fresh("sh")
        p.shared_arrays.append((array, kind, size))
        op = self.c.choice(COMMUTING_ATOMICS)
        index = self.x.small_index(scope, size).text
        value = self.x.of_kind(scope, kind, self.depth()).text
        lines = [f"{pad}if lt < {size}:", f"{inner}{array}[lt] = {kind.constructor()}(lt)",
                 f"{pad}simt.syncthreads()"]
        update = f"simt.atomic.{op}({array}, {index}, {value})"
        if self.c.chance(50):
            condition = self.x.condition(scope, self.depth())
            lines += [f"{pad}if {condition.text}:", f"{inner}{update}"]
        else:
            lines.append(f"{pad}{update}")
        read = self.x.small_index(scope, size).text
        var = self.new_var(scope, Expr("", kind))
        return lines + [f"{pad}simt.syncthreads()", f"{pad}{var.name} = {array}[{read}]",
                        f"{pad}simt.syncthreads()"]

    def _warp(self, scope: Scope, indent: int) -> list[str]:
        pad = INDENT * indent
        form = self.c.choice(("shfl_down_sync", "shfl_up_sync", "shfl_xor_sync", "shfl_sync",
                              "ballot_sync", "all_sync", "any_sync", "eq_sync", "activemask",
                              "syncwarp"))
        if form == "syncwarp":
            return [f"{pad}simt.syncwarp()"]
        if form == "activemask":
            var = self.new_var(scope, Expr("", Kind("uint32")))
            return [f"{pad}{var.name} = simt.activemask()"]
        if form.startswith("shfl"):
            value = self.x.value(scope, self.depth())
            if form == "shfl_sync" and self.c.chance(50):
                lane = f"(simt.laneid + {self.c.integer(1, 31)}) % 32"
            else:
                lane = self.x.small_index(scope, 32).text
            var = self.new_var(scope, Expr("", shuffle_kind(value.kind), bounds=value.bounds))
            return [f"{pad}{var.name} = simt.{form}({FULL_MASK}, {value.text}, {lane})"]
        condition = self.x.condition(scope, self.depth())
        var = self.new_var(scope, Expr("", Kind("uint32") if form == "ballot_sync" else BOOL))
        return [f"{pad}{var.name} = simt.{form}({FULL_MASK}, {condition.text})"]

    # ------------------------------------------------------------------ inexact values
    def _approx(self, scope: Scope, indent: int) -> list[str]:
        value = self.x.calls.transcendental(scope, self.c.integer(0, 2))
        kind = storage_kind(value.kind) if value.kind.is_float else Kind("float64")
        if self.c.chance(20):
            # a narrower float only: a float32 result 1 ulp off, widened to float64, is
            # 2**29 float64 ulps off
            kind = self.c.choice(tuple(Kind(n) for n in ("float16", "float32", "float64")
                                       if Kind(n).dtype.itemsize <= kind.dtype.itemsize))
        value = self.x.convert(value, kind) if value.kind != kind else value
        name, slot = self.program.output_slot(kind, "approx")
        return [f"{INDENT * indent}{name}[t, {slot}] = {value.text}"]


__all__ = ["StatementGenerator", "shuffle_kind"]
