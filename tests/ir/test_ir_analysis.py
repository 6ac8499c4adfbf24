"""Reverse postorder, dominators, incoming edges and use counts."""
from __future__ import annotations

from simt.ir import Builder, Function
from simt.ir import types as T
from simt.ir.analysis import (DominatorTree, definitions, incoming_edges, reachable_blocks,
                              reverse_postorder, use_counts)


def diamond_in_a_loop() -> Function:
    """entry -> header; header -> {left, right} -> join -> {header, exit}; plus a dead block."""
    fn = Function("f", ["c"], [T.bool_], is_kernel=False, result_types=[T.int32])
    b = Builder(fn)
    labels = ["header", "left", "right", "join", "exit", "dead"]
    header, left, right, join, exit_, dead = (fn.new_block(label) for label in labels)
    zero = b.const(0, T.int32)
    b.br(header)
    b.set_block(header)
    b.cbr(fn.args[0], left, [], right, [])
    b.set_block(left)
    b.br(join, [zero])
    b.set_block(right)
    b.br(join, [zero])
    b.set_block(join)
    x = join.add_param(T.int32, "x")
    b.cbr(fn.args[0], header, [], exit_, [])
    b.set_block(exit_)
    b.ret([x])
    b.set_block(dead)
    b.br(join, [zero])
    return fn


def test_reverse_postorder_visits_reachable_blocks_entry_first() -> None:
    fn = diamond_in_a_loop()
    order = [block.label for block in reverse_postorder(fn)]
    assert order[0] == "entry" and order[1] == "header"
    assert set(order) == {"entry", "header", "left", "right", "join", "exit"}
    assert order.index("join") > max(order.index("left"), order.index("right"))
    assert {b.label for b in reachable_blocks(fn)} == set(order)


def test_dominator_tree() -> None:
    fn = diamond_in_a_loop()
    entry, header, left, right, join, exit_, dead = fn.blocks
    tree = DominatorTree(fn)
    assert tree.idom(entry) is None
    assert tree.idom(header) is entry
    assert tree.idom(left) is header and tree.idom(right) is header
    assert tree.idom(join) is header           # not left/right: two ways in
    assert tree.idom(exit_) is join
    assert tree.dominates(header, exit_) and tree.dominates(join, join)
    assert not tree.dominates(left, join) and not tree.dominates(join, header)
    assert dead not in tree and not tree.dominates(entry, dead)
    preorder = tree.preorder()
    assert preorder[0] is entry and preorder.index(join) < preorder.index(exit_)
    assert set(tree.children[header]) == {left, right, join}


def test_incoming_edges_count_each_edge() -> None:
    fn = diamond_in_a_loop()
    entry, header, left, right, join, exit_, dead = fn.blocks
    edges = incoming_edges(fn)
    assert [p for p, _ in edges[join]] == [left, right, dead]
    assert [p for p, _ in edges[header]] == [entry, join]
    assert edges[entry] == []


def test_definitions_and_use_counts() -> None:
    fn = diamond_in_a_loop()
    zero = fn.entry.ops[0].result
    x = fn.blocks[4].params[0]
    defs = definitions(fn)
    assert defs[zero] is fn.entry.ops[0] and defs[x] is fn.blocks[4]
    counts = use_counts(fn)
    assert counts[zero] == 3 and counts[x] == 1 and counts[fn.args[0]] == 2
