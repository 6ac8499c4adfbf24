"""The PTX lowering of shared/local arrays, barriers, atomics, warp ops and bit ops.

Every primitive op on every dtype legalizes (the verifier's structural rules hold after
each phase) and assembles for every supported architecture; the text has the forms the
PTX ISA needs (state spaces, CAS loops for float max/min, two shuffles for 64 bits, ...).
Their run-time meaning is checked against the numpy target on the PTX emulator in
``tests/differential/test_primitives_ptx_emu.py``.
"""
from __future__ import annotations

import re

import pytest

from simt.backends.ptx import SUPPORTED_ARCHS, assemble, available, compile_ptx, legalize
from simt.ir import Op
from simt.ir.types import MemorySpace, float32, float64, int8, int16, int64, uint8, uint32, uint64

from . import primitive_kernels as pk
from .modules import merge_modules

needs_assembler = pytest.mark.skipif(
    not available(), reason="no PTX assembler: install nvidia-nvjitlink + cuda-bindings or "
                            "nvidia-cuda-nvcc (the cuda extra)")


@pytest.fixture(scope="module")
def kernels():
    return pk.all_primitive_kernels()


def test_every_primitive_kernel_legalizes_and_compiles(kernels) -> None:
    for fn in kernels:
        before = str(fn)
        legalize(fn, verify_each=True)
        assert str(fn) == before
        assert f".entry {fn.name}(" in compile_ptx(fn), fn.name


@needs_assembler
@pytest.mark.parametrize("arch", SUPPORTED_ARCHS)
def test_every_primitive_kernel_assembles(arch: str, kernels) -> None:
    module = merge_modules([compile_ptx(fn, arch) for fn in kernels])
    assert assemble(module, arch)[:4] == b"\x7fELF"


def body(text: str) -> list[str]:
    return [line.strip() for line in text.split("{", 1)[1].splitlines()
            if line.strip() and not line.strip().startswith((".loc", ".reg"))]


def test_atomics_use_the_state_space_and_type_suffixes_of_the_isa() -> None:
    global_, shared = MemorySpace.GLOBAL, MemorySpace.SHARED
    cases = {
        ("add", int64, global_, True): "atom.global.add.u64",
        ("add", uint32, shared, True): "atom.shared.add.u32",
        ("add", float32, global_, False): "red.global.add.f32",
        ("max", int64, shared, True): "atom.shared.max.s64",
        ("min", uint64, global_, False): "red.global.min.u64",
        ("exch", float64, global_, False): "atom.global.exch.b64",
        ("inc", uint32, shared, True): "atom.shared.inc.u32",
        ("xor", int64, global_, True): "atom.global.xor.b64",
    }
    for (kind, t, space, used), instruction in cases.items():
        text = compile_ptx(pk.atomic_kernel(kind, t, space, used))
        assert re.search(rf"^\s*{re.escape(instruction)} ", text, re.M), (kind, t, space, text)


def test_atomic_sub_is_the_add_of_the_negation() -> None:
    text = compile_ptx(pk.atomic_kernel("sub", uint32, MemorySpace.GLOBAL, True))
    assert "neg.s32" in text and "atom.global.add.u32" in text and ".sub" not in text


@pytest.mark.parametrize("t, width", [(float32, 32), (float64, 64)])
def test_float_atomic_max_is_a_cas_loop_on_the_bits(t, width) -> None:
    text = compile_ptx(pk.atomic_kernel("max", t, MemorySpace.SHARED, True))
    lines = body(text)
    assert any(line.startswith(f"ld.volatile.shared.f{width}") for line in lines)
    assert sum(line.startswith(f"atom.shared.cas.b{width}") for line in lines) == 1
    assert not any(".max." in line for line in lines)


def optimized(fn):
    from simt.backends.numpy import evaluate_constant
    from simt.ir.passes import optimize
    return optimize(fn, evaluate=evaluate_constant)


def test_shared_and_local_arrays_are_function_scope_variables() -> None:
    text = compile_ptx(optimized(pk.allocation_kernel(pk.SHARED, float64, (4, 5, 6))))
    assert ".shared .align 8 .b8 $buf[960];" in text
    assert re.search(r"st\.shared\.f64 \[%r\d+\+56\]", text)           # [i % 4, 1, 1]
    assert re.search(r"ld\.shared\.f64 %fd\d+, \[%r\d+\+952\];", text)   # [-1, -1, -1]
    local = compile_ptx(pk.allocation_kernel(pk.LOCAL, int16, (3,)))
    assert ".local .align 16 .b8 $buf[16];" in local and "st.local.s16" in local
    assert "st.local.v4.b32" in local                         # a fresh array is zeroed


def test_large_local_arrays_are_zeroed_by_a_loop() -> None:
    text = compile_ptx(pk.allocation_kernel(pk.LOCAL, int64, (4, 5, 30)))
    assert ".local .align 16 .b8 $buf[4800];" in text
    assert text.count("st.local.v4.b32") == 1 and "$L_zero1:" in text


def test_dynamic_shared_memory_is_one_extern_sized_at_launch() -> None:
    text = compile_ptx(pk.allocation_kernel(pk.SHARED, float32, (0,)))
    assert text.count(".extern .shared .align 16 .b8 $dynamic_shared[];") == 1
    assert "%dynamic_smem_size" in text and "shr.u32" in text     # bytes // 4


def test_one_shared_variable_per_declaration_name_dtype_and_shape() -> None:
    from simt.ir import ArrayType, Builder, Function
    from simt.ir.types import int32

    fn = Function("twice", ["out"], [ArrayType(int32, 1)])
    b = Builder(fn)
    tid = b.value(Op.THREAD_IDX, [], int32, {"axis": 0})
    first = pk.allocate(b, pk.SHARED, int32, (8,), "tile")      # a device function inlined
    second = pk.allocate(b, pk.SHARED, int32, (8,), "tile")     # twice: the same array
    other = pk.allocate(b, pk.SHARED, int32, (16,), "tile")     # another shape: another one
    for array in (first, second, other):
        b.emit(Op.STORE, [array, tid, tid])
    b.ret()
    text = compile_ptx(fn)
    assert text.count(".shared .align 4 .b8 $tile[32];") == 1
    assert ".shared .align 4 .b8 $tile_2[64];" in text


def test_warp_ops_and_barriers() -> None:
    text = compile_ptx(pk.sync_kernel())
    for needle in ("bar.sync 0;", "bar.red.popc.u32", "bar.red.and.pred", "bar.red.or.pred",
                   "membar.cta;", "membar.gl;", "membar.sys;", "bar.warp.sync",
                   "%lanemask_lt", "activemask.b32"):
        assert needle in text, needle
    assert re.search(r"shfl\.sync\.up\.b32 %r\d+, %r\d+, %r\d+, 0, %r\d+;",
                     compile_ptx(pk.shfl_kernel("up", uint32)))
    wide = compile_ptx(pk.shfl_kernel("xor", float64))
    assert len(re.findall(r"shfl\.sync\.bfly\.b32 %r\d+, %r\d+, %r\d+, 31, %r\d+;", wide)) == 2
    assert "mov.b64 {%r" in wide
    assert "vote.sync.uni.pred" in compile_ptx(pk.vote_kernel("eq"))
    assert "vote.sync.ballot.b32" in compile_ptx(pk.vote_kernel("ballot"))


def test_bit_ops_widen_narrow_operands_and_ffs_counts_from_clz() -> None:
    assert "popc.b64" in compile_ptx(pk.bit_kernel(Op.POPC, int64))
    narrow = compile_ptx(pk.bit_kernel(Op.CLZ, int8))
    assert "cvt.u32.u8" in narrow and "clz.b32" in narrow
    brev = compile_ptx(pk.bit_kernel(Op.BREV, uint8))
    assert "brev.b32" in brev and "shr.u32" in brev
    ffs = compile_ptx(pk.bit_kernel(Op.FFS, int16))
    assert "clz.b32" in ffs and "neg.s32" in ffs and "and.b32" in ffs
    assert "ffs" not in " ".join(body(ffs))


def test_shared_memory_abi_counts_static_bytes_and_refuses_oversized_launches() -> None:
    from simt.backends.ptx.abi import SHARED_LIMIT, check_shared_memory, shared_memory
    from simt.ir import LaunchError

    fn = pk.block_sum()
    assert (shared_memory(fn).static_bytes, shared_memory(fn).dynamic) == (512, False)
    dynamic = pk.allocation_kernel(pk.SHARED, float32, (0,))
    assert (shared_memory(dynamic).static_bytes, shared_memory(dynamic).dynamic) == (0, True)
    check_shared_memory(fn, SHARED_LIMIT - 512)
    with pytest.raises(LaunchError, match=r"block_sum needs 49153 bytes .*512 static \+ 48641"):
        check_shared_memory(fn, SHARED_LIMIT - 511)
