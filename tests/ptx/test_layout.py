"""Block layout: forward edges go forward and loops are contiguous, whatever order the
IR lists its blocks in (``layout.block_order``)."""
from __future__ import annotations

from simt.backends.ptx.layout import block_order
from simt.ir import ArrayType, Builder, Function, Op
from simt.ir.types import bool_, int32


def _cfg(edges: dict[str, list[str]], listed: list[str]) -> tuple[Function, dict]:
    """A kernel whose blocks branch as ``edges`` says (CBR on a loaded flag, BR, or RET),
    listed in ``fn.blocks`` in the order ``listed``."""
    fn = Function("k", ["flags"], [ArrayType(bool_, 1)])
    blocks = {"entry": fn.entry}
    for name in listed:
        if name != "entry":
            blocks[name] = fn.new_block(name)
    fn.blocks[:] = [blocks[name] for name in listed]
    for name, targets in edges.items():
        b = Builder(fn, blocks[name])
        if len(targets) == 2:
            flag = b.value(Op.LOAD, [fn.args[0], b.const(0, int32)], bool_)
            b.cbr(flag, blocks[targets[0]], [], blocks[targets[1]], [])
        elif targets:
            b.br(blocks[targets[0]])
        else:
            b.ret()
    return fn, blocks


def names(fn: Function) -> list[str]:
    return [block.label for block in block_order(fn)]


def test_a_join_listed_first_is_laid_out_after_both_arms() -> None:
    fn, _ = _cfg({"entry": ["join", "then"], "then": ["inner", "join"], "inner": ["join"],
                  "join": []}, ["entry", "join", "then", "inner"])
    assert names(fn) == ["entry", "then", "inner", "join"]


def test_loop_bodies_and_breaks_precede_the_code_after_the_loop() -> None:
    edges = {"entry": ["head"], "head": ["body", "after"], "body": ["brk", "latch"],
             "brk": ["after"], "latch": ["head"], "after": []}
    fn, _ = _cfg(edges, ["entry", "after", "brk", "head", "latch", "body"])
    order = names(fn)
    assert order[:2] == ["entry", "head"] and order[-1] == "after"
    assert set(order[2:4]) == {"body", "latch"} and order.index("brk") < order.index("after")


def test_nested_loops_stay_contiguous_and_unreachable_blocks_go_last() -> None:
    edges = {"entry": ["outer"], "outer": ["inner", "done"], "inner": ["ibody", "olatch"],
             "ibody": ["inner"], "olatch": ["outer"], "done": [], "dead": ["done"]}
    fn, _ = _cfg(edges, ["entry", "done", "dead", "olatch", "ibody", "inner", "outer"])
    assert names(fn) == ["entry", "outer", "inner", "ibody", "olatch", "done", "dead"]
