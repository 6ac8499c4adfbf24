"""Statement-level reduction of a failing generated kernel (after hypothesis' shrinking).

Hypothesis shrinks the generator's choices, which simplifies expressions and inputs
well but deletes whole statements only slowly. ``reduce_failure`` finishes the job
on the source itself, in the manner of C-Reduce: it repeatedly tries deleting a
statement (or replacing an ``if``/``for``/``while`` by one of its bodies), replacing
a read of a local array by a zero of its dtype (so the array, once unread, goes
too), dropping unused device functions, constants and parameters, and making
inputs plainer (all zeros, or one value), and keeps each change after which the kernel still fails the
same way (same target, same kind of failure) and the oracle still runs it without
error.

A deletion must not create undefined behaviour, or the reduced kernel could fail
for a new, uninteresting reason: statements that keep a kernel well defined are
never removed (barriers, shared and local array declarations and initialisation,
writes of shared memory, ``while`` loop counters and their exits, the prologue
naming the thread index).
"""
from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import Callable, Iterator

from .generator import GeneratedKernel

_PROTECTED = re.compile(
    r"simt\.sync|simt\.shared|simt\.local|\bsh\d+\[lt\]\s*=|\bw\d+ \+= 1|if w\d+ > \d+|"
    r"^\s*(t|lt|gx|gx, gy|gx, gy, gz) = |^\s*for q\d+ in |^\s*la\d+\[q\d+\] =")
_SHARED_WRITE = re.compile(r"\bsh\d+\[lt\]\s*=")
_PROLOGUE_NAMES = {"t", "lt", "gx", "gy", "gz"}


def failure_key(failure) -> tuple[str, str]:
    """What must stay the same while reducing: the target and the kind of failure."""
    summary = failure.summary
    target = summary.split(" ", 1)[0]
    if " raised " in summary and "oracle did not" in summary:
        error = summary.split("did not: ", 1)[1].split(":", 1)[0]
        return target, f"raised {error}"
    return target, summary.split(" ", 1)[1] if " " in summary else summary


def reduce_failure(failure, check: Callable[[GeneratedKernel], None], attempts: int = 200):
    """The smallest variant of ``failure.case`` that ``check`` still fails the same way.

    ``check(case)`` raises ``GeneratedKernelFailure`` (the type of ``failure``) when the
    case fails. Returns the reduced failure (``failure`` itself if nothing helped).
    """
    key = failure_key(failure)
    best = failure
    budget = [attempts]

    def still_fails(case: GeneratedKernel):
        if budget[0] <= 0:
            return None
        budget[0] -= 1
        try:
            check(case)
        except type(failure) as found:
            if failure_key(found) == key:
                return found
        except Exception:
            return None
        return None

    progress = True
    while progress and budget[0] > 0:
        progress = False
        position = 0
        while budget[0] > 0:
            candidates = list(_candidates(best.case))
            if position >= len(candidates):
                break
            found = still_fails(candidates[position])
            if found is not None:
                best, progress = found, True      # the edits after this one shift down
            else:
                position += 1
    return best


# ---------------------------------------------------------------------- candidate edits
def _candidates(case: GeneratedKernel) -> Iterator[GeneratedKernel]:
    yield from _source_candidates(case)
    yield from _input_candidates(case)


def _input_candidates(case: GeneratedKernel) -> Iterator[GeneratedKernel]:
    """Inputs made plainer: an array all zeros, or all its most common value; a scalar 0."""
    import numpy as np

    for index, (param, value) in enumerate(zip(case.params, case.arguments)):
        if param.role not in ("input", "scalar", "accumulator"):
            continue
        if isinstance(value, np.ndarray):
            values, counts = np.unique(value, return_counts=True)
            plainer = [np.zeros_like(value)]
            if len(values) > 1:
                plainer.append(np.full_like(value, values[np.argmax(counts)]))
        else:
            plainer = [type(value)(0)]
        for simpler in plainer:
            if isinstance(value, np.ndarray) and simpler.tobytes() == value.tobytes():
                continue
            if not isinstance(value, np.ndarray) and (simpler == value or value != value):
                continue
            arguments = list(case.arguments)
            arguments[index] = simpler
            yield replace(case, arguments=arguments)


def _source_candidates(case: GeneratedKernel) -> Iterator[GeneratedKernel]:
    try:
        tree = ast.parse(case.source)
    except SyntaxError:
        return
    # bigger edits first: whole compound statements and definitions before single lines
    for edit in sorted(_edits(tree), key=lambda e: -e[0]):
        new_tree = ast.parse(case.source)
        _apply(new_tree, edit)
        try:
            source = ast.unparse(new_tree) + "\n"
        except Exception:
            continue
        if source != case.source:
            yield _trimmed(replace(case, source=source))


def _edits(tree: ast.Module) -> list[tuple]:
    """(size, path, action) for every statement the reducer may delete or unwrap."""
    edits: list[tuple] = []
    for index, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef) and node.name != "kernel":
            edits.append((_size(node), ("module", index), "delete"))
        elif isinstance(node, ast.Assign) and index < len(tree.body) - 1:
            edits.append((1, ("module", index), "delete"))
    for index, node in enumerate(tree.body):
        if isinstance(node, ast.FunctionDef):
            _walk(node.body, ("module", index, "body"), edits, node.name == "kernel")
    dtypes = _local_array_dtypes(tree)
    for ordinal, node in enumerate(n for n in ast.walk(tree) if isinstance(n, ast.Subscript)):
        if (isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name)
                and node.value.id in dtypes):
            edits.append((1, ("read", ordinal), f"np.{dtypes[node.value.id]}(0)"))
    return edits


def _local_array_dtypes(tree: ast.Module) -> dict[str, str]:
    """Local array name -> its NumPy dtype's name, from ``la = simt.local.array(n, np.T)``."""
    dtypes = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call) and len(node.value.args) == 2
                and ast.unparse(node.value.func) == "simt.local.array"
                and isinstance(node.value.args[1], ast.Attribute)):
            dtypes[node.targets[0].id] = node.value.args[1].attr
    return dtypes


def _walk(statements: list[ast.stmt], path: tuple, edits: list, kernel: bool) -> None:
    for index, node in enumerate(statements):
        here = path + (index,)
        text = ast.unparse(node)
        protected = bool(_PROTECTED.search(text.splitlines()[0])) or (
            isinstance(node, ast.If) and bool(_SHARED_WRITE.search(text))) or (
            kernel and isinstance(node, ast.Assign) and _assigns_prologue(node))
        if not protected and not isinstance(node, ast.Return):
            edits.append((_size(node), here, "delete"))
        elif "simt.local.array" in text and _unused_local_array(node, statements, index):
            edits.append((2, here, "delete-two"))    # the declaration and its fill loop
        if isinstance(node, (ast.If, ast.For, ast.While)) and not protected:
            edits.append((_size(node) - 1, here, "body"))
            if node.orelse:
                edits.append((_size(node) - 1, here, "orelse"))
        for field in ("body", "orelse"):
            children = getattr(node, field, None)
            if isinstance(children, list) and children and isinstance(children[0], ast.stmt):
                _walk(children, here + (field,), edits, kernel)


def _unused_local_array(node: ast.stmt, statements: list[ast.stmt], index: int) -> bool:
    """A local array declaration whose array nothing but its fill loop (next) uses."""
    if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
            and index + 1 < len(statements) and isinstance(statements[index + 1], ast.For)):
        return False
    name = node.targets[0].id
    rest = statements[:index] + statements[index + 2:]
    return not any(isinstance(n, ast.Name) and n.id == name for s in rest for n in ast.walk(s))


def _assigns_prologue(node: ast.Assign) -> bool:
    """Whether the statement binds ``t``, ``lt``, ``gx``... (not merely indexes with them)."""
    names = set()
    for target in node.targets:
        for item in target.elts if isinstance(target, ast.Tuple) else [target]:
            if isinstance(item, ast.Name):
                names.add(item.id)
    return bool(names & _PROLOGUE_NAMES)


def _size(node: ast.AST) -> int:
    return sum(isinstance(n, ast.stmt) for n in ast.walk(node))


def _apply(tree: ast.Module, edit: tuple) -> None:
    _, path, action = edit
    if path[0] == "read":
        _ReplaceSubscript(path[1], ast.parse(action, mode="eval").body).visit(tree)
        return
    container, index = _locate(tree, path)
    node = container[index]
    if action == "delete-two":
        container[index:index + 2] = []
    elif action == "delete":
        container[index:index + 1] = []
    else:
        container[index:index + 1] = list(getattr(node, action))
    if not container:
        container.append(ast.Pass())


class _ReplaceSubscript(ast.NodeTransformer):
    """Replaces the ``ordinal``-th subscript of ``ast.walk`` order by ``replacement``."""

    def __init__(self, ordinal: int, replacement: ast.expr):
        self.target: ast.Subscript | None = None
        self.ordinal, self.replacement = ordinal, replacement

    def visit(self, node: ast.AST) -> ast.AST:
        if self.target is None:
            subscripts = [n for n in ast.walk(node) if isinstance(n, ast.Subscript)]
            self.target = subscripts[self.ordinal]
        return super().visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if node is self.target:
            return self.replacement
        return self.generic_visit(node)


def _locate(tree: ast.Module, path: tuple) -> tuple[list, int]:
    assert path[0] == "module"
    container: list = tree.body
    node = None
    steps = list(path[1:])
    while len(steps) > 1:
        node = container[steps.pop(0)]
        container = getattr(node, steps.pop(0))
    return container, steps[0]


def _trimmed(case: GeneratedKernel) -> GeneratedKernel:
    """``case`` without the kernel parameters its source no longer uses."""
    tree = ast.parse(case.source)
    kernel = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "kernel")
    used = {n.id for stmt in kernel.body for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    keep = [i for i, p in enumerate(case.params) if p.name in used]
    if len(keep) == len(case.params):
        return case
    kernel.args.args = [kernel.args.args[i] for i in keep]
    return replace(case, source=ast.unparse(tree) + "\n", params=[case.params[i] for i in keep],
                   arguments=[case.arguments[i] for i in keep])


__all__ = ["failure_key", "reduce_failure"]
