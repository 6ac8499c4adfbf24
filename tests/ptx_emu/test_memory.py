"""State spaces, vector accesses, bounds/alignment errors, atomics and launch
arguments."""
from __future__ import annotations

import numpy as np
import pytest

from simt.backends.ptx_emu import launch_ptx
from simt.ir.errors import KernelRuntimeError, LaunchError

from .ptxkit import kernel

GID = """mov.u32 %r1, %tid.x; mov.u32 %r2, %ctaid.x; mov.u32 %r3, %ntid.x;
mad.lo.u32 %r4, %r2, %r3, %r1;"""
REGS = ".reg .b32 %r<20>; .reg .b64 %rd<20>; .reg .f32 %f<10>; .reg .pred %p<4>;"


def test_vector_loads_and_stores():
    body = GID + """
    ld.param.u64 %rd1, [src]; ld.param.u64 %rd2, [dst];
    mul.wide.u32 %rd3, %r4, 16; add.u64 %rd4, %rd1, %rd3; add.u64 %rd5, %rd2, %rd3;
    ld.global.v4.f32 {%f1, %f2, %f3, %f4}, [%rd4];
    st.global.v4.f32 [%rd5], {%f4, %f3, %f2, %f1};
    ld.global.v2.u32 {%r5, _}, [%rd4+8];
    st.global.v2.u32 [%rd5+16], {%r5, 7};
    ret;"""
    ptx = kernel(body, ".param .u64 src, .param .u64 dst", REGS)
    src = np.arange(32, dtype=np.float32)
    dst = np.zeros(40, np.float32)
    launch_ptx(ptx, "k", 1, 1, [src, dst])
    assert dst[:4].tolist() == [3, 2, 1, 0]
    assert dst[4:6].view(np.uint32).tolist() == [np.float32(2).view(np.uint32), 7]


def test_misaligned_vector_access_is_an_error():
    body = """ld.param.u64 %rd1, [src]; ld.global.v4.f32 {%f1, %f2, %f3, %f4}, [%rd1+4]; ret;"""
    ptx = kernel(body, ".param .u64 src", REGS)
    with pytest.raises(KernelRuntimeError, match=r"misaligned load of 16 bytes .* 16-byte aligned"
                       r".*PTX line \d+: ld.global.v4.f32"):
        launch_ptx(ptx, "k", 1, 1, [np.zeros(16, np.float32)])


def test_module_variables_with_initializers_and_generic_addressing():
    decls = """.global .align 4 .u32 counter = 5;
    .global .align 4 .b32 table[4] = {10, 20, 30, 40};
    .const .align 8 .f64 scale[2] = {0d4000000000000000, 0d4008000000000000};"""
    body = """ld.param.u64 %rd1, [out];
    ld.global.u32 %r1, [counter]; ld.global.u32 %r2, [table+8];
    mov.u64 %rd2, table; cvta.global.u64 %rd3, %rd2; ld.u32 %r3, [%rd3+12];
    ld.const.f64 %fd1, [scale+8];
    add.u32 %r4, %r1, %r2; add.u32 %r4, %r4, %r3;
    st.global.u32 [counter], %r4;
    ld.global.u32 %r5, [counter];
    cvt.rn.f64.u32 %fd2, %r5; mul.f64 %fd2, %fd2, %fd1;
    st.global.f64 [%rd1], %fd2; ret;"""
    ptx = kernel(body, ".param .u64 out", REGS + ".reg .f64 %fd<4>;", decls)
    out = np.zeros(1)
    launch_ptx(ptx, "k", 1, 1, [out])
    assert out[0] == (5 + 30 + 40) * 3.0


def test_shared_memory_is_per_block_and_dynamic_shared_follows_static():
    decls = ".extern .shared .align 16 .b8 dyn[];"
    body = GID + """
    .shared .align 4 .u32 fixed[2];
    mov.u32 %r5, dyn; shl.b32 %r6, %r1, 2; add.u32 %r7, %r5, %r6;
    st.shared.u32 [%r7], %r4;
    setp.eq.u32 %p1, %r1, 0;
    @%p1 st.shared.u32 [fixed+4], %r2;
    bar.sync 0;
    sub.u32 %r8, %r3, 1; sub.u32 %r8, %r8, %r1; shl.b32 %r8, %r8, 2; add.u32 %r8, %r5, %r8;
    ld.shared.u32 %r9, [%r8];
    ld.shared.u32 %r10, [fixed+4];
    mad.lo.u32 %r9, %r10, 1000, %r9;
    ld.param.u64 %rd1, [out]; mul.wide.u32 %rd2, %r4, 4; add.u64 %rd3, %rd1, %rd2;
    st.global.u32 [%rd3], %r9;
    mov.u32 %r11, %dynamic_smem_size; ld.param.u64 %rd4, [size]; st.global.u32 [%rd4], %r11;
    ret;"""
    ptx = kernel(body, ".param .u64 out, .param .u64 size", REGS, decls)
    out = np.zeros(3 * 64, np.uint32)
    size = np.zeros(1, np.uint32)
    launch_ptx(ptx, "k", 3, 64, [out, size], shared_bytes=64 * 4)
    expected = [b * 1000 + b * 64 + (63 - t) for b in range(3) for t in range(64)]
    assert out.tolist() == expected and size[0] == 256


def test_local_memory_is_per_thread():
    body = GID + """
    .local .align 4 .b8 stack[64];
    mov.u32 %r5, 0;
    LOOP: shl.b32 %r6, %r5, 2; mov.u64 %rd1, stack; cvt.u64.u32 %rd2, %r6; add.u64 %rd1, %rd1, %rd2;
    add.u32 %r7, %r4, %r5; st.local.u32 [%rd1], %r7;
    add.u32 %r5, %r5, 1; setp.lt.u32 %p1, %r5, 16; @%p1 bra LOOP;
    mov.u64 %rd3, stack; cvta.local.u64 %rd4, %rd3;
    ld.u32 %r8, [%rd4+60]; ld.local.u32 %r9, [stack];
    add.u32 %r8, %r8, %r9;
    ld.param.u64 %rd5, [out]; mul.wide.u32 %rd6, %r4, 4; add.u64 %rd5, %rd5, %rd6;
    st.global.u32 [%rd5], %r8; ret;"""
    ptx = kernel(body, ".param .u64 out", REGS)
    out = np.zeros(96, np.uint32)
    launch_ptx(ptx, "k", 3, 32, [out])
    assert out.tolist() == [2 * i + 15 for i in range(96)]


OOB_BODY = GID + """
    ld.param.u64 %rd1, [buf]; ld.param.u32 %r9, [off];
    add.u32 %r10, %r4, %r9; mul.wide.s32 %rd2, %r10, 4; add.u64 %rd3, %rd1, %rd2;
    ld.global.u32 %r11, [%rd3]; ret;"""


@pytest.mark.parametrize("offset,where", [(1, "offset 400 of the 400-byte buffer of argument 0"),
                                          (-1, "not inside any allocation")])
def test_out_of_bounds_global_access_names_line_thread_and_address(offset, where):
    ptx = kernel(OOB_BODY, ".param .u64 buf, .param .u32 off", REGS)
    thread = "thread (99, 0, 0)" if offset > 0 else "thread (0, 0, 0)"
    with pytest.raises(KernelRuntimeError) as info:
        launch_ptx(ptx, "k", 1, 100, [np.zeros(100, np.uint32), np.int32(offset)])
    message = str(info.value)
    assert "out-of-bounds" in message or "not inside" in message
    assert where in message and thread in message and "block (0, 0, 0)" in message
    line = ptx.splitlines().index("    ld.global.u32 %r11, [%rd3]; ret;") + 1
    assert f"PTX line {line}: ld.global.u32 %r11, [%rd3];" in message
    assert "address 0x" in message and "in kernel 'k'" in message


def test_out_of_bounds_shared_and_local_access():
    body = """.shared .align 4 .u32 s[8]; .local .align 4 .u32 l[2];
    mov.u32 %r1, %tid.x; shl.b32 %r2, %r1, 2; mov.u32 %r3, s; add.u32 %r4, %r3, %r2;
    st.shared.u32 [%r4], %r1; ret;"""
    with pytest.raises(KernelRuntimeError, match=r"shared address 0x20 \(the shared memory of the "
                                                 r"block has 32 bytes\), by thread \(8, 0, 0\)"):
        launch_ptx(kernel(body, "", REGS), "k", 1, 9, [])
    body = """.local .align 4 .u32 l[2]; mov.u64 %rd1, l; ld.local.u32 %r1, [%rd1+8]; ret;"""
    with pytest.raises(KernelRuntimeError, match="local memory of the thread has 8 bytes"):
        launch_ptx(kernel(body, "", REGS), "k", 1, 1, [])


def _atomic_kernel(instr: str, value_type: str = "u32") -> str:
    body = GID + f"""
    ld.param.u64 %rd1, [target]; ld.param.u64 %rd2, [olds]; ld.param.u64 %rd3, [values];
    mul.wide.u32 %rd4, %r4, 4; add.u64 %rd5, %rd3, %rd4; ld.global.{value_type} %r5, [%rd5];
    {instr}
    add.u64 %rd6, %rd2, %rd4; st.global.u32 [%rd6], %r6; ret;"""
    return kernel(body, ".param .u64 target, .param .u64 olds, .param .u64 values", REGS)


def test_atomic_add_from_many_threads_to_one_address():
    ptx = _atomic_kernel("atom.global.add.u32 %r6, [%rd1], %r5;")
    target, olds = np.array([7], np.uint32), np.zeros(4096, np.uint32)
    values = np.arange(4096, dtype=np.uint32) % 5 + 1
    launch_ptx(ptx, "k", 16, 256, [target, olds, values])
    assert target[0] == 7 + values.sum()
    # the old values are the prefix sums of some serialization: all distinct
    assert sorted(olds.tolist()) == sorted((7 + np.cumsum(values) - values).tolist())


@pytest.mark.parametrize("op,reduce", [("min.s32", min), ("max.s32", max),
                                       ("and.b32", lambda a, b: a & b),
                                       ("or.b32", lambda a, b: a | b),
                                       ("xor.b32", lambda a, b: a ^ b)])
def test_associative_atomics(op, reduce):
    ptx = _atomic_kernel(f"atom.global.{op} %r6, [%rd1+4], %r5;", "u32")
    rng = np.random.default_rng(3)
    values = rng.integers(0, 2**31, 1000).astype(np.uint32)
    target = np.array([0, 12345, 0], np.uint32)
    olds = np.zeros(1000, np.uint32)
    launch_ptx(ptx, "k", 4, 250, [target, olds, values])
    expected = 12345
    for v in values.tolist():
        expected = reduce(expected, v)
    assert target.tolist() == [0, expected, 0]
    serial = [12345]
    for v in values.tolist()[:-1]:
        serial.append(reduce(serial[-1], v))
    assert olds.tolist() == serial          # serialized in thread order


def test_cas_exch_inc_and_red():
    ptx = _atomic_kernel("atom.global.cas.b32 %r6, [%rd1], %r4, %r5;")
    target, olds = np.array([0], np.uint32), np.zeros(64, np.uint32)
    launch_ptx(ptx, "k", 1, 64, [target, olds, np.arange(1, 65, dtype=np.uint32)])
    assert target[0] == 64                    # thread i swaps i -> i+1 in order
    ptx = _atomic_kernel("atom.global.inc.u32 %r6, [%rd1], 9;")
    target = np.array([0], np.uint32)
    launch_ptx(ptx, "k", 1, 25, [target, olds, np.zeros(25, np.uint32)])
    assert target[0] == 25 % 10 and olds[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    ptx = _atomic_kernel("atom.global.exch.b32 %r6, [%rd1], %r5;")
    launch_ptx(ptx, "k", 1, 8, [target, olds, np.arange(10, 18, dtype=np.uint32)])
    assert target[0] == 17 and olds[1:8].tolist() == list(range(10, 17))
    body = GID + "ld.param.u64 %rd1, [target]; red.global.add.u64 [%rd1], 3; ret;"
    total = np.zeros(1, np.uint64)
    launch_ptx(kernel(body, ".param .u64 target", REGS), "k", 5, 100, [total])
    assert total[0] == 1500


def test_float_atomic_add_and_shared_atomics_per_block():
    body = GID + """.shared .align 4 .f32 acc;
    ld.param.u64 %rd1, [out]; cvt.rn.f32.u32 %f1, %r1;
    atom.shared.add.f32 %f2, [acc], %f1;
    bar.sync 0;
    setp.eq.u32 %p1, %r1, 0;
    @%p1 ld.shared.f32 %f3, [acc];
    mul.wide.u32 %rd2, %r2, 4; add.u64 %rd3, %rd1, %rd2;
    @%p1 st.global.f32 [%rd3], %f3;
    ld.param.u64 %rd4, [total]; red.global.add.f32 [%rd4], %f1; ret;"""
    ptx = kernel(body, ".param .u64 out, .param .u64 total", REGS)
    out, total = np.zeros(4, np.float32), np.zeros(1, np.float32)
    launch_ptx(ptx, "k", 4, 128, [out, total])
    assert out.tolist() == [sum(range(128))] * 4 and total[0] == 4 * sum(range(128))


_MIN_NORMAL_F32 = np.float32(2.0 ** -126)


def _flush_f32(x: np.float32) -> np.float32:
    return np.copysign(np.float32(0), x) if abs(x) < _MIN_NORMAL_F32 else x


def _serial_f32_add(target: np.ndarray, slots: np.ndarray, values: np.ndarray, ftz: bool):
    """Thread-ordered float32 atomic adds, one at a time: (final memory, old values)."""
    memory, olds = target.copy(), np.zeros(len(values), np.float32)
    for i, (slot, value) in enumerate(zip(slots.tolist(), values)):
        olds[i] = memory[slot]
        if ftz:
            memory[slot] = _flush_f32(_flush_f32(memory[slot]) + _flush_f32(value))
        else:
            memory[slot] = memory[slot] + value
    return memory, olds


# Every thread adds to slot[i]: all threads on one slot, pairs of threads per slot,
# one thread per slot (the emulator serializes these three differently).
_SLOT_PATTERNS = {"one": lambda n: np.zeros(n, np.uint32), "pairs": lambda n: np.arange(n) // 2,
                  "distinct": lambda n: np.arange(n)}


def _subnormal_mix(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scale = rng.choice([2.0 ** -149, 2.0 ** -130, 2.0 ** -126, 2.0 ** -120], n)
    return (rng.integers(-1000, 1000, n) * scale).astype(np.float32)


@pytest.mark.parametrize("pattern", sorted(_SLOT_PATTERNS))
@pytest.mark.parametrize("space", ["global", "shared", "generic-shared"])
def test_float32_atomic_add_flushes_subnormals_on_global_memory_only(space, pattern):
    """atom.global.add.f32 flushes subnormal values, elements and results to zero
    (returning the element as it was); shared memory (directly or through a generic
    address) keeps subnormals, as the hardware does."""
    n = 64
    slots = _SLOT_PATTERNS[pattern](n).astype(np.uint32)
    values = _subnormal_mix(n, seed=len(pattern))
    target = _subnormal_mix(n, seed=99)
    target[0], values[0] = 2.0 ** -127, 3 * 2.0 ** -126    # normal sum of a subnormal element
    if space == "global":
        update = "mul.wide.u32 %rd7, %r6, 4; add.u64 %rd8, %rd1, %rd7;\n" \
                 "atom.global.add.f32 %f2, [%rd8], %f1;"
    else:
        update = ("mov.u64 %rd9, acc; mul.wide.u32 %rd7, %r6, 4; add.u64 %rd8, %rd9, %rd7;\n"
                  "ld.global.f32 %f3, [%rd5]; mul.wide.u32 %rd10, %r4, 4; "
                  "add.u64 %rd11, %rd9, %rd10; st.shared.f32 [%rd11], %f3; bar.sync 0;\n")
        if space == "shared":
            update += "atom.shared.add.f32 %f2, [%rd8], %f1;"
        else:
            update += "cvta.shared.u64 %rd12, %rd8; atom.add.f32 %f2, [%rd12], %f1;"
        update += "\nbar.sync 0; ld.shared.f32 %f3, [%rd11]; st.global.f32 [%rd5], %f3;"
    body = GID + f""".shared .align 4 .f32 acc[{n}];
    ld.param.u64 %rd1, [target]; ld.param.u64 %rd2, [olds]; ld.param.u64 %rd3, [values];
    ld.param.u64 %rd13, [slots];
    mul.wide.u32 %rd4, %r4, 4; add.u64 %rd5, %rd1, %rd4; add.u64 %rd6, %rd3, %rd4;
    ld.global.f32 %f1, [%rd6]; add.u64 %rd6, %rd13, %rd4; ld.global.u32 %r6, [%rd6];
    {update}
    add.u64 %rd6, %rd2, %rd4; st.global.f32 [%rd6], %f2; ret;"""
    ptx = kernel(body, ".param .u64 target, .param .u64 olds, .param .u64 values, "
                       ".param .u64 slots", REGS)
    memory, olds = target.copy(), np.zeros(n, np.float32)
    launch_ptx(ptx, "k", 1, n, [memory, olds, values, slots])
    expected_memory, expected_olds = _serial_f32_add(target, slots, values, space == "global")
    assert memory.view(np.uint32).tolist() == expected_memory.view(np.uint32).tolist()
    assert olds.view(np.uint32).tolist() == expected_olds.view(np.uint32).tolist()


def test_launch_argument_checks_and_scalar_conversions():
    body = """ld.param.u64 %rd1, [out]; ld.param.s8 %r1, [a]; ld.param.f32 %f1, [b];
    cvt.rn.f32.s32 %f2, %r1; add.f32 %f1, %f1, %f2; st.global.f32 [%rd1], %f1; ret;"""
    ptx = kernel(body, ".param .u64 out, .param .s8 a, .param .f32 b", REGS)
    out = np.zeros(1, np.float32)
    launch_ptx(ptx, None, 1, 1, [out, -3, 0.5])           # Python scalars convert
    assert out[0] == -2.5
    with pytest.raises(LaunchError, match="takes 3 arguments"):
        launch_ptx(ptx, "k", 1, 1, [out])
    with pytest.raises(LaunchError, match=r"argument 1 \(a, .s8\): 300 does not fit"):
        launch_ptx(ptx, "k", 1, 1, [out, 300, 0.5])
    with pytest.raises(LaunchError, match="cannot take an array"):
        launch_ptx(ptx, "k", 1, 1, [out, out, 0.5])
    with pytest.raises(LaunchError, match="is 32-bit, got float64"):
        launch_ptx(ptx, "k", 1, 1, [out, np.int8(1), np.float64(0.5)])
    with pytest.raises(LaunchError, match="at most 1024 threads"):
        launch_ptx(ptx, "k", 1, (64, 32), [out, 1, 0.5])
    from simt.backends.ptx_emu import PtxError
    with pytest.raises(PtxError, match="no kernel 'nope'"):
        launch_ptx(ptx, "nope", 1, 1, [out, 1, 0.5])


def test_arrays_are_copied_back_only_when_stored_to():
    body = "ld.param.u64 %rd1, [x]; ld.global.u32 %r1, [%rd1]; ret;"
    ptx = kernel(body, ".param .u64 x", REGS)
    frozen = np.arange(4, dtype=np.uint32)
    frozen.flags.writeable = False
    launch_ptx(ptx, "k", 1, 1, [frozen])                   # read-only input is fine
    strided = np.zeros((4, 4), np.uint32)[:, 1]
    body = "ld.param.u64 %rd1, [x]; st.global.u32 [%rd1+4], 9; ret;"
    launch_ptx(kernel(body, ".param .u64 x", REGS), "k", 1, 1, [strided])
    assert strided.tolist() == [0, 9, 0, 0]
