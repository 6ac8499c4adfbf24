"""The bytecode normalizer gives the same canonical instructions on 3.11-3.13."""
import os
import sys

import pytest

from simt.tracer.bytecode import normalize
from simt.tracer.cfg import build_cfg

from . import bytecode_corpus

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
# CPython's compiler itself lays out some code differently per version (3.11 has
# JUMP_IF_FALSE_OR_POP, 3.12 duplicates loop conditions), so the golden listing
# covers functions whose compiled form agrees; `control` is traced in every
# version by the other tests.
FUNCTIONS = [bytecode_corpus.saxpy, bytecode_corpus.loops, bytecode_corpus.calls]
ALL_FUNCTIONS = FUNCTIONS + [bytecode_corpus.control]


def listing(fn) -> str:
    lines = []
    for index, instr in enumerate(normalize(fn.__code__)):
        arg = "" if instr.arg is None else f" {instr.arg!r}"
        target = "" if instr.target is None else f" -> {instr.target}"
        kw = f" kw={instr.kwnames}" if instr.kwnames else ""
        lines.append(f"{index:3d} {instr.op}{arg}{target}{kw}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_canonical_bytecode_is_version_independent(fn):
    path = os.path.join(GOLDEN, f"{fn.__name__}.bytecode.txt")
    text = listing(fn)
    if os.environ.get("SIMT_UPDATE_GOLDEN") or not os.path.exists(path):
        with open(path, "w") as f:
            f.write(text)
    with open(path) as f:
        assert text == f.read(), f"canonical bytecode differs on Python {sys.version_info[:2]}"


def test_no_dropped_opcodes_survive():
    for fn in ALL_FUNCTIONS:
        ops = {i.op for i in normalize(fn.__code__)}
        assert not ops & {"RESUME", "PRECALL", "PUSH_NULL", "TO_BOOL", "END_FOR", "NOP",
                          "KW_NAMES", "CALL_KW", "LOAD_FAST_LOAD_FAST"}


def test_cfg_blocks_cover_all_instructions_and_rpo_starts_at_entry():
    for fn in ALL_FUNCTIONS:
        instrs = normalize(fn.__code__)
        blocks = build_cfg(instrs)
        assert blocks[0].start == 0 and blocks[0].rpo == 0
        assert sum(b.end - b.start for b in blocks) == len(instrs)
        for b in blocks:
            for s in b.successors:
                assert b.index in blocks[s].predecessors
