"""The rich renderings, the CFG view, the bytecode fallback and the PTX view."""
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import simt
from simt.views import CfgView, PtxView
from simt.views.ptx import group_ptx

from . import kernels


def render(view, width: int) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(view)
    return console.file.getvalue()


def test_inspect_takes_launch_arguments_like_ir():
    x = np.zeros(8, np.float32)
    view = kernels.saxpy.inspect(np.float32(2), x, x, x)
    assert view.function is kernels.saxpy.ir(np.float32(2), x, x, x)
    assert str(view) == str(kernels.saxpy.inspect(sig=kernels.SIGNATURES["saxpy"]))


def test_inspect_rejects_arguments_and_sig_together():
    with pytest.raises(TypeError):
        kernels.saxpy.inspect(1.0, sig="float32")


@pytest.mark.parametrize("width", [80, 150])
def test_rich_rendering_shows_blocks_edges_phis_and_source(width):
    text = render(kernels.collatz.inspect(sig=kernels.SIGNATURES["collatz"]), width)
    for expected in ("kernel collatz", "bb4(%11.n: int64, %12.count: int64)", "loop header",
                     "phi %11.n: int64 <- bb2: %9.n, bb9: %24.n", "while n != 1:",
                     "%24.n: int64 = floordiv %14.n, %21", "cfg of collatz: 9 blocks, 2 loops"):
        assert expected in text, expected
    assert max(len(line) for line in text.splitlines()) <= width


def test_wide_rendering_puts_source_beside_ops():
    text = render(kernels.saxpy.inspect(sig=kernels.SIGNATURES["saxpy"]), 150)
    line = next(line for line in text.splitlines() if "out[i] = a * x[i] + y[i]" in line)
    assert "%8: float32 = load %x, %4.i" in line


def test_rich_styles_types_by_kind_and_highlights_phis():
    from rich.console import Console

    console = Console(file=io.StringIO(), width=150, color_system="standard", force_terminal=True)
    console.print(kernels.row_sums.inspect(sig=kernels.SIGNATURES["row_sums"]))
    out = console.file.getvalue()
    assert "\x1b[36mfloat64" in out        # floats cyan
    assert "\x1b[32mint64" in out          # ints green
    assert "\x1b[1;30;43m%11.total" in out  # block params (phis) highlighted


def test_plain_text_does_not_import_rich():
    code = textwrap.dedent("""
        import sys
        import simt
        assert "rich" not in sys.modules and "hypothesis" not in sys.modules
        from tests.views import kernels
        text = str(kernels.collatz.inspect(sig=kernels.SIGNATURES["collatz"]))
        assert "rich" not in sys.modules, "rendering plain text imported rich"
    """)
    repo = Path(__file__).resolve().parents[2]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=repo, env=environment)


def test_cfg_view_is_shown_for_loops_or_on_request():
    plain_saxpy = str(kernels.saxpy.inspect(sig=kernels.SIGNATURES["saxpy"]))
    assert "cfg of" not in plain_saxpy
    forced = str(kernels.saxpy.inspect(sig=kernels.SIGNATURES["saxpy"], cfg=True))
    assert "cfg of saxpy: 3 blocks, 0 loops" in forced
    assert "cfg of" not in str(kernels.row_sums.inspect(sig=kernels.SIGNATURES["row_sums"], cfg=False))


def test_cfg_finds_nested_loops_and_back_edges():
    cfg = CfgView(kernels.collatz.inspect(sig=kernels.SIGNATURES["collatz"]).function)
    assert [(loop.header.label, [b.label for b in loop.latches]) for loop in cfg.loops] == \
        [("bb4", ["bb9"]), ("bb5", ["bb10"])]
    outer, inner = cfg.loops
    assert set(inner.body) < set(outer.body)
    lines = cfg.tree_lines()
    assert lines[0] == "entry"
    assert sum("^ loop" in line for line in lines) == 2


def test_source_unavailable_falls_back_to_bytecode():
    namespace = {"simt": simt}
    source = "def generated(x, out):\n    i = simt.grid(1)\n    out[i] = x[i] * 2\n"
    exec(compile(source, "<generated kernel>", "exec"), namespace)
    kern = simt.kernel(namespace["generated"])
    text = str(kern.inspect(sig="float64[:], float64[:]"))
    assert "bytecode: " in text
    assert "LOAD_ATTR grid; LOAD_CONST 1; CALL 1" in text and "STORE_SUBSCR" in text


PTX = """\
//
.version 8.0
.target sm_90
.file 1 "/somewhere/kernels.py"
.visible .entry saxpy(
.param .u64 p0
)
{
.loc 1 8 4
mov.u32 %r1, %ctaid.x;
mov.u32 %r2, %tid.x;
.loc 1 9 4
setp.lt.s64 %p1, %rd6, %rd5;
@%p1 bra $L1_bb2;
$L1_bb2:
.loc 1 8 4
ret;
}
"""


def test_ptx_groups_follow_loc_directives():
    groups = group_ptx(PTX)
    assert [(g.line, len(g.instructions)) for g in groups] == [(None, 7), (8, 2), (9, 3), (8, 2)]
    assert groups[1].filename == "/somewhere/kernels.py"
    text = str(PtxView(PTX))
    assert text.splitlines()[:2] == ["ptx (sm_90)", "      module header"]
    assert "    8  <kernels.py:8>" in text       # no such file here: the position is shown
    assert "          @%p1 bra $L1_bb2;" in text


def test_ptx_view_says_why_when_the_backend_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "simt.backends.ptx", None)
    view = kernels.saxpy.inspect(sig=kernels.SIGNATURES["saxpy"], ptx=True)
    assert "the PTX backend is not available in this build of simt" in str(view)
    assert "not available" in render(view, 100)


def test_ptx_view_of_the_real_backend_groups_under_python_lines():
    pytest.importorskip("simt.backends.ptx")
    view = kernels.saxpy.inspect(sig=kernels.SIGNATURES["saxpy"], ptx=True)
    if view.ptx.ptx is None:
        pytest.skip(f"PTX backend failed: {view.ptx.message}")
    lines = [g.line for g in view.ptx.groups]
    assert {8, 9, 10} <= set(lines)
    text = str(view.ptx)
    assert "   10      out[i] = a * x[i] + y[i]" in text
    assert "st.global.f32" in text
