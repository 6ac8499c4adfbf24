"""Divergence and reconvergence, barriers, inlined calls, exit, trap, printf,
assert and the step limit."""
from __future__ import annotations

import io

import numpy as np
import pytest

from simt.backends.ptx_emu import PtxUnsupportedError, launch_ptx
from simt.ir.errors import KernelRuntimeError

from .ptxkit import HEADER, kernel

REGS = ".reg .b32 %r<24>; .reg .b64 %rd<12>; .reg .pred %p<6>; .reg .f32 %f<8>;"
GID = """mov.u32 %r1, %tid.x; mov.u32 %r2, %ctaid.x; mov.u32 %r3, %ntid.x;
mad.lo.u32 %r4, %r2, %r3, %r1;"""
STORE = """ld.param.u64 %rd1, [out]; mul.wide.u32 %rd2, %r4, 4; add.u64 %rd3, %rd1, %rd2;
st.global.u32 [%rd3], {reg};"""


def test_per_thread_loop_trip_counts_and_if_else():
    body = GID + """mov.u32 %r5, 0; mov.u32 %r6, 0;
    LOOP: setp.ge.u32 %p1, %r6, %r1; @%p1 bra AFTER;
      and.b32 %r7, %r6, 1; setp.eq.u32 %p2, %r7, 0;
      @%p2 bra EVEN; add.u32 %r5, %r5, 100; bra NEXT;
      EVEN: add.u32 %r5, %r5, %r6;
      NEXT: add.u32 %r6, %r6, 1; bra LOOP;
    AFTER:""" + STORE.format(reg="%r5") + "ret;"
    out = np.zeros(70, np.uint32)
    launch_ptx(kernel(body, ".param .u64 out", REGS), "k", 2, 35, [out])
    ref = [sum(k if k % 2 == 0 else 100 for k in range(t % 35)) for t in range(70)]
    assert out.tolist() == ref


def test_warp_reconverges_after_divergence_for_a_full_mask_shuffle():
    body = GID + """and.b32 %r5, %r1, 1; setp.eq.u32 %p1, %r5, 0;
    @%p1 bra EVEN; mul.lo.u32 %r6, %r1, 3; bra JOIN;
    EVEN: mul.lo.u32 %r6, %r1, 5;
    JOIN: shfl.sync.bfly.b32 %r7, %r6, 1, 31, -1;""" + STORE.format(reg="%r7") + "ret;"
    out = np.zeros(32, np.uint32)
    launch_ptx(kernel(body, ".param .u64 out", REGS), "k", 1, 32, [out])
    own = [t * 5 if t % 2 == 0 else t * 3 for t in range(32)]
    assert out.tolist() == [own[t ^ 1] for t in range(32)]


def test_barrier_orders_shared_memory_between_phases():
    body = GID + """.shared .align 4 .u32 buf[256];
    shl.b32 %r5, %r1, 2; mov.u32 %r6, buf; add.u32 %r7, %r6, %r5;
    st.shared.u32 [%r7], %r4;
    bar.sync 0;
    sub.u32 %r8, %r3, 1; sub.u32 %r8, %r8, %r1; shl.b32 %r8, %r8, 2; add.u32 %r8, %r6, %r8;
    ld.shared.u32 %r9, [%r8];
    barrier.sync.aligned 0;
    st.shared.u32 [%r7], 0;
    bar.sync 0;
    ld.shared.u32 %r10, [%r8]; add.u32 %r9, %r9, %r10;""" + STORE.format(reg="%r9") + "ret;"
    out = np.zeros(512, np.uint32)
    launch_ptx(kernel(body, ".param .u64 out", REGS), "k", 2, 256, [out])
    assert out.tolist() == [b * 256 + 255 - t for b in range(2) for t in range(256)]


def test_barrier_with_early_exits_and_bar_red():
    body = GID + """setp.ge.u32 %p1, %r1, 50; @%p1 exit;
    and.b32 %r5, %r1, 1; setp.eq.u32 %p2, %r5, 0;
    bar.red.popc.u32 %r6, 0, %p2;
    bar.red.and.pred %p3, 0, %p2; bar.red.or.pred %p4, 0, %p2;
    selp.u32 %r7, 1000, 0, %p3; selp.u32 %r8, 100, 0, %p4;
    add.u32 %r6, %r6, %r7; add.u32 %r6, %r6, %r8;""" + STORE.format(reg="%r6") + "ret;"
    out = np.zeros(128, np.uint32)
    launch_ptx(kernel(body, ".param .u64 out", REGS), "k", 2, 64, [out])
    assert out.reshape(2, 64)[:, :50].tolist() == [[125] * 50] * 2


CALLS = HEADER + """
.func (.param .b32 ret) square_plus(.param .b32 x, .param .b32 y)
{
  .reg .b32 %r<4>; .reg .pred %p1;
  ld.param.u32 %r1, [x]; ld.param.u32 %r2, [y];
  mad.lo.u32 %r3, %r1, %r1, %r2;
  setp.gt.u32 %p1, %r3, 1000; @%p1 bra BIG;
  st.param.b32 [ret], %r3; ret;
BIG:
  mov.u32 %r3, 1000; st.param.b32 [ret], %r3; ret;
}
.func (.param .b32 ret) twice(.param .b32 x)
{
  .reg .b32 %r<3>;
  ld.param.u32 %r1, [x];
  { .param .b32 a; .param .b32 b; .param .b32 r;
    st.param.b32 [a], %r1; st.param.b32 [b], %r1;
    call.uni (r), square_plus, (a, b);
    ld.param.b32 %r2, [r]; }
  shl.b32 %r2, %r2, 1;
  st.param.b32 [ret], %r2;
  ret;
}
.visible .entry k(.param .u64 out)
{
  .reg .b32 %r<10>; .reg .b64 %rd<5>; .reg .pred %p<3>;
  mov.u32 %r1, %tid.x;
  mov.u32 %r4, 7;
  setp.lt.u32 %p1, %r1, 8;
  { .param .b32 a; .param .b32 r;
    st.param.b32 [a], %r1;
    @%p1 call (r), twice, (a);
    @%p1 ld.param.b32 %r4, [r]; }
  ld.param.u64 %rd1, [out]; mul.wide.u32 %rd2, %r1, 4; add.u64 %rd3, %rd1, %rd2;
  st.global.u32 [%rd3], %r4;
  ret;
}
"""


def test_inlined_calls_with_guards_nested_calls_and_early_returns():
    out = np.zeros(40, np.uint32)
    launch_ptx(CALLS, "k", 1, 40, [out])
    assert out.tolist() == [2 * min(t * t + t, 1000) if t < 8 else 7 for t in range(40)]
    out = np.zeros(40, np.uint32)
    launch_ptx(CALLS.replace("tid.x;", "tid.x; add.u32 %r1, %r1, 30;", 1), "k", 1, 8, [out])
    assert out[30:38].tolist() == [7] * 8         # the guarded call was skipped by all


def test_recursion_is_rejected_before_running():
    ptx = HEADER + """.func f() { call.uni f, (); ret; }
    .visible .entry k() { call.uni f, (); ret; }"""
    with pytest.raises(PtxUnsupportedError, match=r"recursive call to 'f'.*\n.*call.uni f"):
        launch_ptx(ptx, "k", 1, 1, [])


PRINTF = HEADER + """
.extern .func (.param .b32 func_retval0) vprintf(.param .b64 p0, .param .b64 p1);
.global .align 1 .b8 fmt[30] = {116,61,37,100,32,120,61,37,46,50,102,32,37,115,32,37,108,108,117,
                                32,37,99,37,37,37,120,10,0};
.global .align 1 .b8 word[3] = {104, 105, 0};
.visible .entry k()
{
  .local .align 8 .b8 args[40];
  .reg .b32 %r<6>; .reg .b64 %rd<8>; .reg .f64 %fd1;
  mov.u32 %r1, %tid.x;
  mov.u64 %rd1, args; cvta.local.u64 %rd2, %rd1;
  st.local.u32 [%rd1], %r1;
  cvt.rn.f64.u32 %fd1, %r1; mul.f64 %fd1, %fd1, 0d3FF8000000000000; st.local.f64 [%rd1+8], %fd1;
  mov.u64 %rd3, word; cvta.global.u64 %rd3, %rd3; st.local.u64 [%rd1+16], %rd3;
  mov.u64 %rd4, -1; st.local.u64 [%rd1+24], %rd4;
  mov.u32 %r2, 65; add.u32 %r2, %r2, %r1; st.local.u32 [%rd1+32], %r2;
  mov.u32 %r3, 255; st.local.u32 [%rd1+36], %r3;
  mov.u64 %rd5, fmt; cvta.global.u64 %rd5, %rd5;
  { .param .b64 p0; .param .b64 p1; .param .b32 r;
    st.param.b64 [p0], %rd5; st.param.b64 [p1], %rd2;
    call.uni (r), vprintf, (p0, p1); }
  ret;
}
"""


def test_printf_formats_like_cuda():
    out = io.StringIO()
    launch_ptx(PRINTF, "k", 1, 2, [], stdout=out)
    assert out.getvalue() == ("t=0 x=0.00 hi 18446744073709551615 A%ff\n"
                              "t=1 x=1.50 hi 18446744073709551615 B%ff\n")


ASSERT = HEADER + """
.extern .func __assertfail(.param .b64 m, .param .b64 f, .param .b32 l, .param .b64 fn,
                           .param .b64 s);
.global .align 1 .b8 msg[6] = {120, 32, 62, 32, 48, 0};
.global .align 1 .b8 file[5] = {97, 46, 99, 117, 0};
.visible .entry k()
{
  .reg .b32 %r<3>; .reg .b64 %rd<4>; .reg .pred %p1;
  mov.u32 %r1, %tid.x; setp.ne.u32 %p1, %r1, 3; @%p1 bra OK;
  mov.u64 %rd1, msg; cvta.global.u64 %rd1, %rd1; mov.u64 %rd2, file; cvta.global.u64 %rd2, %rd2;
  { .param .b64 m; .param .b64 f; .param .b32 l; .param .b64 fn; .param .b64 s;
    st.param.b64 [m], %rd1; st.param.b64 [f], %rd2; st.param.b32 [l], 12;
    st.param.b64 [fn], %rd1; st.param.b64 [s], 1;
    call.uni __assertfail, (m, f, l, fn, s); }
OK: ret;
}
"""


def test_device_assert_and_trap_raise_runtime_errors():
    with pytest.raises(KernelRuntimeError, match=r"assertion `x > 0` failed \(a.cu:12.*thread "
                                                 r"\(3, 0, 0\)"):
        launch_ptx(ASSERT, "k", 1, 8, [])
    with pytest.raises(KernelRuntimeError, match=r"trap instruction executed, by thread"):
        launch_ptx(kernel("trap; ret;", "", REGS), "k", 1, 1, [])


def test_step_limit_stops_endless_loops():
    with pytest.raises(KernelRuntimeError, match="still running after 1000 steps"):
        launch_ptx(kernel("L: bra L;", "", REGS), "k", 1, 1, [], max_steps=1000)


def test_runtime_errors_point_at_the_loc_source_line(tmp_path):
    source = tmp_path / "user_kernel.py"
    source.write_text("def k(out):\n    out[999] = 1\n")
    ptx = HEADER + f""".file 1 "{source}"
.visible .entry k(.param .u64 out)
{{
  .reg .b64 %rd<3>;
  ld.param.u64 %rd1, [out];
  .loc 1 2 5
  st.global.u32 [%rd1+3996], 1;
  ret;
}}"""
    with pytest.raises(KernelRuntimeError) as info:
        launch_ptx(ptx, "k", 1, 1, [np.zeros(4, np.uint32)])
    text = str(info.value)
    assert text.startswith(f"{source}:2:5: out-of-bounds store")
    line = ptx.splitlines().index("  st.global.u32 [%rd1+3996], 1;") + 1
    assert "out[999] = 1" in text and f"PTX line {line}: st.global.u32 [%rd1+3996], 1;" in text


def test_special_registers_in_3d_launches():
    body = """mov.u32 %r1, %tid.x; mov.u32 %r2, %tid.y; mov.u32 %r3, %tid.z;
    mov.u32 %r5, %ctaid.x; mov.u32 %r6, %ctaid.y; mov.u32 %r7, %ctaid.z;
    mov.u32 %r8, %nctaid.y; mov.u32 %r9, %ntid.z; mov.u32 %r10, %laneid; mov.u32 %r11, %warpid;
    mad.lo.u32 %r12, %r3, 4, %r2; mad.lo.u32 %r12, %r12, 3, %r1;
    mad.lo.u32 %r13, %r7, 2, %r6; mad.lo.u32 %r13, %r13, 2, %r5;
    mad.lo.u32 %r4, %r13, 24, %r12;
    mad.lo.u32 %r14, %r8, 10, %r9; mad.lo.u32 %r14, %r14, 100, %r10; mad.lo.u32 %r14, %r14, 10, %r11;
    """ + STORE.format(reg="%r14") + "ret;"
    out = np.zeros(8 * 24, np.uint32)
    launch_ptx(kernel(body, ".param .u64 out", REGS), "k", (2, 2, 2), (3, 4, 2), [out])
    assert out.tolist() == [((2 * 10 + 2) * 100 + t % 32) * 10 + t // 32 for _ in range(8)
                            for t in range(24)]


def test_uniform_and_single_thread_launches_match_wide_ones():
    body = GID + """cvt.rn.f32.u32 %f1, %r4; mul.f32 %f2, %f1, 0f3FC00000;
    cvt.rzi.s32.f32 %r5, %f2; mul.hi.u32 %r6, %r5, 0x9E3779B9; xor.b32 %r6, %r6, %r5;
    popc.b32 %r7, %r6; brev.b32 %r8, %r6; add.u32 %r7, %r7, %r8;
    div.u32 %r9, %r8, 7; rem.u32 %r10, %r8, 7; add.u32 %r7, %r7, %r9; add.u32 %r7, %r7, %r10;
    bfe.u32 %r11, %r7, 3, 9; prmt.b32 %r12, %r7, %r11, 0x3210; shf.l.wrap.b32 %r7, %r12, %r7, 5;
    """ + STORE.format(reg="%r7") + "ret;"
    ptx = kernel(body, ".param .u64 out", REGS)
    wide = np.zeros(64, np.uint32)
    launch_ptx(ptx, "k", 1, 64, [wide])
    single = np.zeros(64, np.uint32)
    launch_ptx(ptx, "k", 64, 1, [single])        # one thread per block: everything uniform
    assert single.tolist() == wide.tolist()
