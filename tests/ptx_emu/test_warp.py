"""shfl.sync, vote.sync, activemask, match and redux against references written
from the ISA's pseudo-code, and the divergence checks of the .sync forms."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simt.backends.ptx_emu import launch_ptx
from simt.ir.errors import KernelRuntimeError

from .ptxkit import kernel

REGS = ".reg .b32 %r<24>; .reg .b64 %rd<12>; .reg .pred %p<6>;"
STORE = """ld.param.u64 %rd1, [{name}]; mul.wide.u32 %rd2, %r4, 4; add.u64 %rd3, %rd1, %rd2;
st.global.u32 [%rd3], {reg};"""
GID = """mov.u32 %r1, %tid.x; mov.u32 %r2, %ctaid.x; mov.u32 %r3, %ntid.x;
mad.lo.u32 %r4, %r2, %r3, %r1;"""


def shfl_reference(mode: str, values: list[int], b: int, c: int) -> tuple[list[int], list[int]]:
    out, valid = [], []
    for lane in range(32):
        bval, cval, segmask = b & 31, c & 31, (c >> 8) & 31
        max_lane = (lane & segmask) | (cval & ~segmask)
        min_lane = lane & segmask
        if mode == "up":
            j, p = lane - bval, lane - bval >= max_lane
        elif mode == "down":
            j, p = lane + bval, lane + bval <= max_lane
        elif mode == "bfly":
            j, p = lane ^ bval, (lane ^ bval) <= max_lane
        else:
            j = min_lane | (bval & ~segmask)
            p = j <= max_lane
        out.append(values[j] if p else values[lane])
        valid.append(int(p))
    return out, valid


def _shfl_kernel(mode: str) -> str:
    body = GID + f"""ld.param.u32 %r5, [b]; ld.param.u32 %r6, [c];
    mul.lo.u32 %r7, %r4, 7; add.u32 %r7, %r7, 3;
    shfl.sync.{mode}.b32 %r8|%p1, %r7, %r5, %r6, -1;
    selp.u32 %r9, 1, 0, %p1;
    {STORE.format(name="out", reg="%r8")} {STORE.format(name="ok", reg="%r9")} ret;"""
    return kernel(body, ".param .u64 out, .param .u64 ok, .param .u32 b, .param .u32 c", REGS)


@pytest.mark.parametrize("mode", ["up", "down", "bfly", "idx"])
@settings(max_examples=12, deadline=None)
@given(b=st.integers(0, 40), clamp=st.integers(0, 31), segmask=st.sampled_from([0, 0x18, 0x1C, 0x1F]))
def test_shfl_matches_the_isa(mode, b, clamp, segmask):
    c = clamp | (segmask << 8)
    out, ok = np.zeros(64, np.uint32), np.zeros(64, np.uint32)
    launch_ptx(_shfl_kernel(mode), "k", 1, 64, [out, ok, np.uint32(b), np.uint32(c)])
    for warp in range(2):
        values = [(32 * warp + lane) * 7 + 3 for lane in range(32)]
        want, valid = shfl_reference(mode, values, b, c)
        assert out[32 * warp:32 * warp + 32].tolist() == want
        assert ok[32 * warp:32 * warp + 32].tolist() == valid


def test_vote_ballot_and_activemask_in_divergent_code():
    body = GID + """and.b32 %r5, %r1, 3; setp.eq.u32 %p1, %r5, 0;
    vote.sync.ballot.b32 %r6, %p1, -1;
    vote.sync.all.pred %p2, %p1, -1; vote.sync.any.pred %p3, %p1, -1; vote.sync.uni.pred %p4, %p1, -1;
    selp.u32 %r7, 1, 0, %p2; selp.u32 %r8, 2, 0, %p3; selp.u32 %r9, 4, 0, %p4;
    or.b32 %r7, %r7, %r8; or.b32 %r7, %r7, %r9;
    setp.lt.u32 %p5, %r1, 40;
    @%p5 bra LOW;
    activemask.b32 %r10; bra DONE;
    LOW: activemask.b32 %r10;
    DONE:
    """ + STORE.format(name="ballot", reg="%r6") + STORE.format(name="flags", reg="%r7") + \
        STORE.format(name="active", reg="%r10") + "ret;"
    ptx = kernel(body, ".param .u64 ballot, .param .u64 flags, .param .u64 active", REGS)
    ballot, flags, active = (np.zeros(64, np.uint32) for _ in range(3))
    launch_ptx(ptx, "k", 1, 64, [ballot, flags, active])
    assert set(ballot.tolist()) == {0x11111111}
    assert set(flags.tolist()) == {2}                    # not all, any, not uniform
    assert active[:32].tolist() == [0xFFFFFFFF] * 32
    assert active[32:40].tolist() == [0xFF] * 8 and active[40:].tolist() == [0xFFFFFF00] * 24


def test_partial_warps_and_member_masks():
    body = GID + """shfl.sync.idx.b32 %r5, %r1, 31, 31, -1;
    mov.u32 %r6, 0xFFFF; setp.lt.u32 %p1, %r1, 16; @!%p1 mov.u32 %r6, 0xFFFF0000;
    shfl.sync.bfly.b32 %r7, %r1, 8, 31, %r6;
    add.u32 %r5, %r5, %r7;""" + STORE.format(name="out", reg="%r5") + "ret;"
    out = np.zeros(20, np.uint32)
    launch_ptx(kernel(body, ".param .u64 out", REGS), "k", 1, 20, [out])
    # lane 31 does not exist in a 20-thread block: every thread keeps its own value
    assert out.tolist() == [t + (t ^ 8 if (t ^ 8) < 20 else t) for t in range(20)]


def test_full_mask_shfl_in_divergent_code_is_an_error():
    body = GID + """setp.lt.u32 %p1, %r1, 16; @%p1 bra SKIP;
    shfl.sync.down.b32 %r5, %r1, 1, 31, -1;
    SKIP: ret;"""
    with pytest.raises(KernelRuntimeError, match=r"membermask 0xffffffff names live lane\(s\) "
                                                 r"\[0, 1, .*not executing .*divergent warp"):
        launch_ptx(kernel(body, "", REGS), "k", 1, 32, [])
    body = GID + "shfl.sync.down.b32 %r5, %r1, 1, 31, 0xFFFF; ret;"
    with pytest.raises(KernelRuntimeError, match=r"not in membermask 0x0000ffff.*thread \(16, 0, 0\)"):
        launch_ptx(kernel(body, "", REGS), "k", 1, 32, [])


def test_exited_lanes_do_not_block_warp_ops():
    body = GID + """setp.ge.u32 %p1, %r1, 10; @%p1 exit;
    vote.sync.ballot.b32 %r5, %p1, -1; activemask.b32 %r6; add.u32 %r5, %r5, %r6;
    """ + STORE.format(name="out", reg="%r5") + "ret;"
    out = np.zeros(32, np.uint32)
    launch_ptx(kernel(body, ".param .u64 out", REGS), "k", 1, 32, [out])
    assert out[:10].tolist() == [0x3FF] * 10


def test_match_and_redux():
    body = GID + """shr.u32 %r5, %r1, 3;
    match.any.sync.b32 %r6, %r5, -1;
    match.all.sync.b32 %r7|%p1, %r5, -1;
    redux.sync.add.u32 %r8, %r1, -1; redux.sync.max.s32 %r9, %r1, -1;
    add.u32 %r8, %r8, %r9; add.u32 %r7, %r7, %r8;
    """ + STORE.format(name="any", reg="%r6") + STORE.format(name="rest", reg="%r7") + "ret;"
    any_, rest = np.zeros(32, np.uint32), np.zeros(32, np.uint32)
    launch_ptx(kernel(body, ".param .u64 any, .param .u64 rest", REGS), "k", 1, 32, [any_, rest])
    assert any_.tolist() == [0xFF << (8 * (t // 8)) for t in range(32)]
    assert set(rest.tolist()) == {sum(range(32)) + 31}
