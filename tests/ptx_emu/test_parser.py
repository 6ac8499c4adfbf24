"""Parsing and loading PTX text: declarations, operand forms, scopes, skipped
directives, and errors that name the PTX line."""
from __future__ import annotations

import numpy as np
import pytest

from simt.backends.ptx_emu import (PtxError, PtxSyntaxError, PtxUnsupportedError, launch_ptx,
                                   load_program, parse_ptx, supported_opcodes)
from simt.backends.ptx_emu.module import Addr, Imm, Not, Pair, Reg, SpecialReg, Sym, Vec

from .ptxkit import DATA, HEADER, kernel


def test_module_structure_of_nvcc_output():
    module = parse_ptx((DATA / "calls.ptx").read_text())
    assert module.version == "9.0" and module.target == ("sm_75",) and module.address_size == 64
    entry = module.functions["calls"]
    assert entry.is_entry and [p.name for p in entry.params][:2] == ["calls_param_0",
                                                                      "calls_param_1"]
    poly = module.functions["_Z4polyfi"]
    assert not poly.is_entry and [r.name for r in poly.returns] == ["func_retval0"]
    assert module.functions["vprintf"].body is None                  # extern declaration
    strings = {v.name: v for v in module.variables}
    assert strings["$str$1"].init == [111, 107] and strings["$str$1"].size == 3
    # callseq scopes declare param0 twice: each gets its own unique name
    params = [v.name for v in entry.variables if v.name.startswith("param0")]
    assert len(params) == len(set(params)) == 3
    mandel = parse_ptx((DATA / "mandel.ptx").read_text())
    assert mandel.files[1].endswith("mandel.cu")
    body = [s for s in mandel.functions["mandel"].body if hasattr(s, "loc")]
    assert body[-1].loc.line == 11


def test_operand_forms():
    text = HEADER + """.global .align 4 .b32 g[4];
    .visible .entry k(.param .u64 p)
    {
      .reg .b32 %r<4>; .reg .pred %p<3>; .reg .f32 %f1; .reg .f64 %fd1; .reg .b64 %rd1;
      /* block
         comment */ mov.u32 %r1, 0x1F;   // line comment
      mov.u32 %r2, -017; mov.u32 %r3, 0b101U; mov.f32 %f1, 0f3F800000; mov.f64 %fd1, 1.5e3;
      @!%p1 ld.global.v2.u32 {%r1, %r2}, [%rd1+-8];
      setp.lt.and.s32 %p1|%p2, %r1, %r2, !%p0;
      ld.global.u32 %r1, [g+4]; mov.u32 %r0, %tid.y; mov.u32 %r0, WARP_SZ;
      ret;
    }"""
    ops = [s for s in parse_ptx(text).functions["k"].body]
    assert ops[0].operands == [Reg("%r1"), Imm(31)]
    assert ops[1].operands[1] == Imm(-15) and ops[2].operands[1] == Imm(5)
    assert ops[3].operands[1] == Imm(1.0, True, 32, 0x3F800000)
    assert ops[4].operands[1] == Imm(1500.0, True, 64, None)
    assert ops[5].guard == Not(Reg("%p1")) and ops[5].mods == ("global", "v2", "u32")
    assert ops[5].operands == [Vec((Reg("%r1"), Reg("%r2"))), Addr(Reg("%rd1"), -8)]
    assert ops[6].operands[0] == Pair(Reg("%p1"), Reg("%p2")) and ops[6].operands[3] == Not(Reg("%p0"))
    assert ops[7].operands[1] == Addr(Sym("g"), 4)
    assert ops[8].operands[1] == SpecialReg("%tid.y") and ops[9].operands[1] == Imm(32)


def test_ignored_directives_and_debug_sections():
    text = HEADER + """.visible .entry k(.param .u64 out) .maxntid 128, 1, 1 .minnctapersm 2
    {
      .reg .b64 %rd1; .pragma "nounroll";
      ld.param.u64 %rd1, [out]; st.global.u32 [%rd1], 42; ret;
    }
    .section .debug_str { $L__info_string0: .b8 95,0 }
    """
    out = np.zeros(1, np.uint32)
    launch_ptx(text, None, 1, 1, [out])
    assert out[0] == 42


@pytest.mark.parametrize("body,error,match", [
    ("mov.u32 %r9, 1; ret;", PtxSyntaxError, r"PTX line {line}: undeclared register '%r9'"),
    ("mov.u32 %r1, 1 ret;", PtxSyntaxError, r"PTX line {line}: unexpected 'ret' in operands"),
    ("frob.b32 %r1, %r1; ret;", PtxUnsupportedError,
     r"PTX line {line}: unsupported PTX instruction 'frob.b32'\n    frob.b32 %r1, %r1;"),
    ("add.zz.u32 %r1, %r1, 1; ret;", PtxUnsupportedError, r"unsupported modifier .zz on 'add'"),
    ("add.u32 %r1, %r1; ret;", PtxError, r"'add.u32' takes 3 operands, got 2"),
    ("bra NOWHERE;", PtxError, r"unknown label 'NOWHERE'"),
    ("ld.global.u64 %r1, [%r1]; ret;", PtxUnsupportedError, r"narrower than .u64"),
])
def test_errors_name_the_line_and_instruction(body, error, match):
    text = kernel("\n" + body, ".param .u64 out", ".reg .b32 %r<3>;\n")
    line = text.splitlines().index(body) + 1
    with pytest.raises(error, match=match.replace("{line}", str(line))):
        load_program(text, "k")


def test_unknown_instructions_are_rejected_before_anything_runs():
    text = kernel("""ld.param.u64 %rd1, [out]; st.global.u32 [%rd1], 1;
    @%p1 bra SKIP; vabsdiff.u32 %r1, %r1, %r1; SKIP: ret;""", ".param .u64 out",
                  ".reg .b32 %r<3>; .reg .b64 %rd1; .reg .pred %p1;")
    out = np.zeros(1, np.uint32)
    with pytest.raises(PtxUnsupportedError, match="'vabsdiff.u32'"):
        launch_ptx(text, "k", 1, 1, [out])
    assert out[0] == 0


def test_programs_are_cached_by_text_and_entry():
    text = (DATA / "saxpy.ptx").read_text()
    assert load_program(text, "saxpy") is load_program(text, "saxpy")
    assert load_program(text, None) is not None


def test_supported_instruction_table():
    expected = {"add", "sub", "mul", "mad", "fma", "div", "rem", "abs", "neg", "min", "max",
                "and", "or", "xor", "not", "cnot", "shl", "shr", "popc", "clz", "brev", "bfind",
                "setp", "selp", "slct", "cvt", "cvta", "mov", "ld", "st", "atom", "red", "bra",
                "ret", "exit", "bar", "barrier", "membar", "fence", "shfl", "vote", "activemask",
                "testp", "copysign", "sqrt", "rcp", "rsqrt", "ex2", "lg2", "sin", "cos"}
    assert expected <= set(supported_opcodes())
