"""Diverged groups of threads: the compacted registers of a group (frames), lanes
kept after their threads left a loop, liveness of registers where groups split
and merge, and instructions that need the exact set of running threads (memory,
warp instructions) in the middle of such groups. References are plain Python."""
from __future__ import annotations

import numpy as np
import pytest

from simt.backends.ptx_emu import launch_ptx
from simt.backends.ptx_emu.api import load_program

from .ptxkit import kernel

REGS = ".reg .b32 %r<32>; .reg .b64 %rd<12>; .reg .pred %p<8>;"
GID = """mov.u32 %r1, %tid.x; mov.u32 %r2, %ctaid.x; mov.u32 %r3, %ntid.x;
mad.lo.u32 %r4, %r2, %r3, %r1;"""
MASK32 = 0xFFFFFFFF


def _store(param: str, reg: str, scratch: int = 10) -> str:
    return (f"ld.param.u64 %rd{scratch}, [{param}]; mul.wide.u32 %rd{scratch + 1}, %r4, 4; "
            f"add.u64 %rd{scratch}, %rd{scratch}, %rd{scratch + 1}; "
            f"st.global.u32 [%rd{scratch}], {reg};")


# Thread g loops g % 37 times (threads leave one or two at a time, so the group
# keeps the lanes of threads that left for a while), with a carry chain, a
# special register, an update guarded per thread, memory accesses (which need
# the exact running threads), a store guarded per thread, and a shuffle after
# the loop.
LOOP_KERNEL = GID + """
    mov.u32 %r5, 0; mov.u32 %r6, 0; mov.u32 %r7, 0;
    rem.u32 %r8, %r4, 37;
    ld.param.u64 %rd1, [trace];
LOOP:
    setp.ge.u32 %p1, %r7, %r8; @%p1 bra AFTER;
    mul.lo.u32 %r9, %r7, -1640531527;
    mov.u32 %r10, %tid.x;
    add.u32 %r9, %r9, %r10;
    add.cc.u32 %r5, %r5, %r9;
    addc.u32 %r6, %r6, 0;
    and.b32 %r11, %r9, 3; setp.eq.u32 %p2, %r11, 0;
    @%p2 add.u32 %r6, %r6, 1000;
    mad.lo.u32 %r12, %r4, 40, %r7; mul.wide.u32 %rd2, %r12, 4; add.u64 %rd3, %rd1, %rd2;
    st.global.u32 [%rd3], %r5;
    ld.global.u32 %r15, [%rd3]; add.u32 %r15, %r15, 1;
    and.b32 %r13, %r9, 4; setp.ne.u32 %p3, %r13, 0;
    ld.param.u64 %rd4, [trace2]; add.u64 %rd4, %rd4, %rd2;
    @%p3 st.global.u32 [%rd4], %r15;
    add.u32 %r7, %r7, 1;
    bra LOOP;
AFTER:
    shfl.sync.bfly.b32 %r14, %r6, 1, 31, -1;
""" + _store("lo", "%r5") + _store("hi", "%r14") + "ret;"


def _loop_reference(threads: int, block: int):
    lo, hi = [0] * threads, [0] * threads
    trace = np.zeros(threads * 40, np.uint32)
    trace2 = np.zeros(threads * 40, np.uint32)
    for g in range(threads):
        acc = 0
        bonus = 0
        for i in range(g % 37):
            x = (i * 0x9E3779B9 + g % block) & MASK32
            acc += x
            if x & 3 == 0:
                bonus += 1000
            trace[g * 40 + i] = acc & MASK32
            if x & 4:
                trace2[g * 40 + i] = (acc + 1) & MASK32
        lo[g] = acc & MASK32
        hi[g] = ((acc >> 32) + bonus) & MASK32
    swapped = [hi[g ^ 1] for g in range(threads)]
    return lo, swapped, trace, trace2


@pytest.mark.parametrize("grid,block", [(1, 64), (3, 96), (2, 32)])
def test_loop_that_threads_leave_one_by_one(grid, block):
    ptx = kernel(LOOP_KERNEL, ".param .u64 trace, .param .u64 trace2, .param .u64 lo, "
                              ".param .u64 hi", REGS)
    n = grid * block
    trace, trace2 = np.zeros(n * 40, np.uint32), np.zeros(n * 40, np.uint32)
    lo, hi = np.zeros(n, np.uint32), np.zeros(n, np.uint32)
    launch_ptx(ptx, "k", grid, block, [trace, trace2, lo, hi])
    ref_lo, ref_hi, ref_trace, ref_trace2 = _loop_reference(n, block)
    assert lo.tolist() == ref_lo
    assert hi.tolist() == ref_hi
    assert trace.tolist() == ref_trace.tolist()
    assert trace2.tolist() == ref_trace2.tolist()


def test_registers_written_on_either_side_of_a_branch_are_merged():
    """Each side writes a different subset of registers; after the join every
    thread sees its own side's values and the untouched ones from before."""
    body = GID + """
    mul.lo.u32 %r5, %r4, 10; mov.u32 %r6, 1; mov.u32 %r7, 2;
    rem.u32 %r8, %r4, 3; setp.eq.u32 %p1, %r8, 0; setp.eq.u32 %p2, %r8, 1;
    @%p1 bra ZERO; @%p2 bra ONE;
    add.u32 %r6, %r5, 7; bra JOIN;
ZERO: add.u32 %r7, %r5, 5; add.u32 %r5, %r5, 1; bra JOIN;
ONE: mul.lo.u32 %r5, %r5, 3;
JOIN: add.u32 %r9, %r5, %r6; add.u32 %r9, %r9, %r7;
""" + _store("out", "%r9") + "ret;"
    out = np.zeros(100, np.uint32)
    launch_ptx(kernel(body, ".param .u64 out", REGS), "k", 2, 50, [out])
    ref = []
    for g in range(100):
        r5, r6, r7 = g * 10, 1, 2
        if g % 3 == 0:
            r7, r5 = r5 + 5, r5 + 1
        elif g % 3 == 1:
            r5 = r5 * 3
        else:
            r6 = r5 + 7
        ref.append(r5 + r6 + r7)
    assert out.tolist() == ref


def test_a_guarded_write_does_not_end_a_register_s_life():
    """A register written under a guard keeps its old value where the guard is
    false, also when that old value was computed by a diverged group."""
    body = GID + """
    mov.u32 %r5, 3;
    and.b32 %r6, %r4, 1; setp.eq.u32 %p1, %r6, 0;
    @%p1 bra EVEN;
    mul.lo.u32 %r5, %r4, 7;
EVEN:
    and.b32 %r7, %r4, 2; setp.eq.u32 %p2, %r7, 0;
    @%p2 mov.u32 %r5, 11;
""" + _store("out", "%r5") + "ret;"
    out = np.zeros(64, np.uint32)
    launch_ptx(kernel(body, ".param .u64 out", REGS), "k", 1, 64, [out])
    ref = [11 if g & 2 == 0 else (3 if g % 2 == 0 else 7 * g) for g in range(64)]
    assert out.tolist() == ref


def test_loop_exits_with_a_barrier_after_the_loop_and_early_exits():
    """Threads leave a loop at different iterations, some exit the kernel from
    inside it, the rest meet at a barrier and read each other's shared values."""
    body = GID + """.shared .align 4 .u32 buf[128];
    mov.u32 %r5, 0; mov.u32 %r6, 1;
    and.b32 %r7, %r1, 15;
LOOP:
    setp.ge.u32 %p1, %r5, %r7; @%p1 bra AFTER;
    mul.lo.u32 %r6, %r6, 3; add.u32 %r6, %r6, %r5;
    setp.eq.u32 %p2, %r1, 77; setp.eq.u32 %p3, %r5, 4; and.pred %p4, %p2, %p3;
    @%p4 exit;
    add.u32 %r5, %r5, 1; bra LOOP;
AFTER:
    mov.u32 %r8, buf; shl.b32 %r9, %r1, 2; add.u32 %r10, %r8, %r9;
    st.shared.u32 [%r10], %r6;
    bar.sync 0;
    sub.u32 %r11, 127, %r1; shl.b32 %r11, %r11, 2; add.u32 %r11, %r8, %r11;
    ld.shared.u32 %r12, [%r11];
""" + _store("out", "%r12") + "ret;"
    out = np.full(128, 99, np.uint32)
    launch_ptx(kernel(body, ".param .u64 out", REGS), "k", 1, 128, [out])

    def value(t):
        v = 1
        for i in range(t & 15):
            v = (v * 3 + i) & MASK32
        return v
    ref = [value(127 - t) for t in range(128)]
    ref[77] = 99                                  # thread 77 exited before storing
    ref[127 - 77] = 0                             # and never wrote its shared slot
    assert out.tolist() == ref


def test_liveness_keeps_registers_read_after_a_loop_and_drops_temporaries():
    body = GID + """
    mov.u32 %r5, 0; add.u32 %r6, %r4, 100;
LOOP:
    setp.ge.u32 %p1, %r5, %r1; @%p1 bra AFTER;
    mul.lo.u32 %r7, %r5, %r5; add.u32 %r5, %r5, 1; bra LOOP;
AFTER:
    add.u32 %r8, %r6, %r5;
""" + _store("out", "%r8") + "ret;"
    ptx = kernel(body, ".param .u64 out", REGS)
    program = load_program(ptx, "k")
    texts = [step.ins.text for step in program.steps]
    after = next(pc for pc, text in enumerate(texts) if text.startswith("add.u32 %r8"))
    loop_exit = next(pc for pc, text in enumerate(texts) if text.startswith("@%p1"))
    assert {"%r5", "%r6"} <= program.liveness.at(after)
    assert "%r7" not in program.liveness.at(loop_exit)
    assert "%r8" not in program.liveness.at(loop_exit)
    out = np.zeros(40, np.uint32)
    launch_ptx(ptx, "k", 1, 40, [out])
    assert out.tolist() == [g + 100 + g for g in range(40)]
