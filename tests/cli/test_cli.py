"""``simt`` subcommands run as ``python -m simt`` in a subprocess: good and bad invocations."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
GOLDEN = REPO / "tests" / "views" / "golden"
SAXPY_SIG = "float32, float32[:], float32[:], float32[:]"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def simt_cli(*args: str, env: dict | None = None, cwd: Path = DATA) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment["PYTHONPATH"] = os.pathsep.join([str(REPO), environment.get("PYTHONPATH", "")])
    environment["COLUMNS"] = "120"
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "simt", *args], capture_output=True, text=True,
                          cwd=cwd, env=environment, timeout=120)


def assert_one_line_error(result, status: int, fragment: str) -> None:
    assert result.returncode == status, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("simt: error: ") and fragment in result.stderr, result.stderr


# ------------------------------------------------------------------ simt demo
def test_demo_still_runs():
    result = simt_cli("demo")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "all results match NumPy" in result.stdout


# ------------------------------------------------------------------ simt ir
def test_ir_prints_the_golden_view_when_stdout_is_not_a_terminal():
    result = simt_cli("ir", "../../views/kernels.py:collatz", "--sig", "int64[:], int32[:]")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (GOLDEN / "collatz.ir.txt").read_text()


def test_ir_wraps_a_plain_function_and_adds_ptx_and_cfg():
    result = simt_cli("ir", "cli_kernels.py:relu", "--sig", "float32[:], float32[:]", "--ptx", "--cfg")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("kernel relu(%x: float32[:], %out: float32[:])  # cli_kernels.py:12")
    assert "cfg of relu: " in out and "ptx (sm_90)" in out
    assert "   15      out[i] = max(x[i], 0.0)" in out


def test_ir_colours_with_force_color_and_not_with_no_color():
    coloured = simt_cli("ir", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG, env={"FORCE_COLOR": "1"})
    assert coloured.returncode == 0 and ANSI.search(coloured.stdout)
    assert "╭─ entry" in ANSI.sub("", coloured.stdout)
    piped = simt_cli("ir", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG)
    assert piped.stdout.startswith("kernel saxpy(") and not ANSI.search(piped.stdout)
    for env, extra in (({"FORCE_COLOR": "1", "NO_COLOR": "1"}, []), ({"FORCE_COLOR": "1"}, ["--plain"])):
        plain = simt_cli("ir", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG, *extra, env=env)
        assert plain.returncode == 0 and plain.stdout == piped.stdout


@pytest.mark.parametrize("target, sig, status, fragment", [
    ("missing.py:saxpy", SAXPY_SIG, 2, "no such file: missing.py"),
    ("cli_kernels.py", SAXPY_SIG, 2, "name a kernel as FILE.py:KERNEL"),
    ("cli_kernels.py:sapxy", SAXPY_SIG, 2,
     "has no kernel named 'sapxy' (its kernels: escape_time, out_of_bounds, saxpy, uses_a_list)"),
    ("cli_kernels.py:helper", "int", 2, "'helper' in cli_kernels.py is a device function"),
    ("cli_kernels.py:NOT_A_KERNEL", "int", 2, "is a int, not a kernel"),
    ("cli_kernels.py:saxpy", "float32, float32[:]", 2,
     "saxpy() takes 4 arguments (a, x, y, out); the signature gives 2"),
    ("cli_kernels.py:saxpy", "float32, float32[:], float32[:], flot32[:]", 2, "unknown type 'flot32'"),
])
def test_ir_bad_usage_is_a_one_line_error(target, sig, status, fragment):
    assert_one_line_error(simt_cli("ir", target, "--sig", sig), status, fragment)


def test_a_compile_error_points_at_the_users_line():
    result = simt_cli("ir", "cli_kernels.py:uses_a_list", "--sig", "int32[:]")
    assert result.returncode == 1
    assert result.stderr.startswith("simt: error: ") and "Traceback" not in result.stderr
    assert "cli_kernels.py:39:14: lists are not supported" in result.stderr and "[1, 2, 3]" in result.stderr


def test_a_file_that_fails_to_import_is_one_line(tmp_path):
    (tmp_path / "broken.py").write_text("import simt\n\nraise RuntimeError('boom')\n")
    (tmp_path / "typo.py").write_text("def k(x):\n    return x +\n")
    assert_one_line_error(simt_cli("ir", "broken.py:k", "--sig", "int", cwd=tmp_path), 1,
                          "importing broken.py failed: broken.py:3: RuntimeError: boom")
    assert_one_line_error(simt_cli("ir", "typo.py:k", "--sig", "int", cwd=tmp_path), 1,
                          "typo.py:2: SyntaxError")


def test_usage_errors_from_argparse_exit_2():
    assert simt_cli().returncode == 2
    missing_sig = simt_cli("ir", "cli_kernels.py:saxpy")
    assert missing_sig.returncode == 2 and "--sig" in missing_sig.stderr


# ------------------------------------------------------------------ simt ptx
def test_ptx_groups_instructions_under_python_lines():
    pytest.importorskip("simt.backends.ptx")
    result = simt_cli("ptx", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG, "--arch", "sm_80")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "ptx (sm_80)" and lines[1] == "      module header"
    body = lines.index("    9      out[i] = a * x[i] + y[i]")
    assert any("st.global.f32" in line for line in lines[body:])
    raw = simt_cli("ptx", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG, "--raw")
    assert raw.returncode == 0 and ".target sm_90" in raw.stdout and ".loc" in raw.stdout


def test_ptx_bad_arch_and_missing_nvdisasm_exit_2():
    pytest.importorskip("simt.backends.ptx")
    assert_one_line_error(simt_cli("ptx", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG, "--arch", "sm_1"),
                          2, "unsupported --arch sm_1; choose one of")
    no_tool = simt_cli("ptx", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG, "--sass",
                       env={"SIMT_NVDISASM": str(DATA / "no-such-nvdisasm")})
    assert_one_line_error(no_tool, 2, "--sass needs nvdisasm")


def test_ptx_sass_hands_a_cubin_to_nvdisasm(tmp_path):
    ptx = pytest.importorskip("simt.backends.ptx")
    if not ptx.available():
        pytest.skip("no PTX assembler here")
    fake = tmp_path / "nvdisasm"
    fake.write_text('#!/bin/sh\necho "nvdisasm $1"\nhead -c 4 "$2" | tail -c 3\n')
    fake.chmod(0o755)
    result = simt_cli("ptx", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG, "--sass",
                      env={"SIMT_NVDISASM": str(fake)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "nvdisasm -c\nELF"     # the cubin is an ELF file


# ------------------------------------------------------------------ simt run
def test_run_summarizes_outputs_and_timing():
    result = simt_cli("run", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG, "--grid", "2", "--block", "32",
                      "--repeat", "2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("saxpy on numpy: grid (2, 1, 1) x block (32, 1, 1) = 64 threads")
    assert re.search(r"compile +[0-9.]+ ms", out) and re.search(r"launch +[0-9.]+ ms  best of 1 more", out)
    assert re.search(r"\n  out +float32\[64\] +64 of 64 elements changed", out)
    assert "\n  a    float32      0.27392337\n" in out      # seed 0 is reproducible


def test_run_2d_launch_with_a_pinned_scalar():
    result = simt_cli("run", "cli_kernels.py:escape_time", "--sig", "int64=7, int32[:, :]",
                      "--grid", "2x2", "--block", "8,4")
    assert result.returncode == 0, result.stderr
    assert "= 128 threads" in result.stdout
    assert "int32[8, 16]" in result.stdout and "max 7" in result.stdout


def test_run_kernel_error_exits_1():
    result = simt_cli("run", "cli_kernels.py:out_of_bounds", "--sig", "int32[:]")
    assert result.returncode == 1
    assert result.stderr.startswith("simt: error: ") and "Traceback" not in result.stderr
    assert "cli_kernels.py:33:5: index 1000 is out of bounds" in result.stderr


@pytest.mark.parametrize("args, fragment", [
    (["--block", "2048"], "a block has at most 1024 threads"),
    (["--grid", "0"], "the grid must be 1 to 3 positive ints"),
    (["--repeat", "0"], "--repeat must be at least 1"),
])
def test_run_bad_launches_exit_2(args, fragment):
    assert_one_line_error(simt_cli("run", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG, *args), 2, fragment)


def test_run_on_an_unavailable_target_exits_2():
    import simt.targets

    if simt.targets.is_available("cuda"):
        pytest.skip("a GPU is usable here")
    result = simt_cli("run", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG, "--target", "cuda")
    assert_one_line_error(result, 2, "the 'cuda' target is not available")


# ------------------------------------------------------------------ simt check
def test_check_agreement_exits_0():
    result = simt_cli("check", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG, "--examples", "20",
                      "--targets", "numpy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "agree: every target matched the oracle on 20 examples"


# Importing this file breaks the numpy target on purpose: it turns every -0.0 the target
# wrote into +0.0, so `negate` disagrees with the oracle wherever x[i] is 0.0. It is
# written to a temporary directory so that nothing else can import it.
PLANTED_BUG = """
import numpy as np
import simt
import simt.backends.numpy as numpy_backend

_launch = numpy_backend.launch


def _launch_losing_negative_zeros(fn, grid, block, args, **options):
    _launch(fn, grid, block, args, **options)
    for array in args:
        if isinstance(array, np.ndarray) and array.dtype.kind == "f":
            array[(array == 0) & np.signbit(array)] = 0.0


numpy_backend.launch = _launch_losing_negative_zeros


@simt.kernel
def negate(x, out):
    i = simt.grid(1)
    if i < x.size:
        out[i] = -x[i]
"""


def test_check_reports_the_smallest_disagreement_and_exits_1(tmp_path):
    (tmp_path / "planted_bug.py").write_text(PLANTED_BUG)
    result = simt_cli("check", "planted_bug.py:negate", "--sig", "float32[:], float32[:]",
                      "--targets", "numpy", "--grid", "1", "--block", "16", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "DISAGREEMENT after 1 example; the smallest failing input:",
        "  x    float32[16] = all 0.0",
        "  out  float32[16] = all 0.0",
        "first difference: out[0] (16 of 16 elements differ in numpy)",
        "  python  -0.0  (0x80000000)",
        "  numpy   0.0  (0x00000000)  <- differs",
        "  written by threadIdx=(0, 0, 0) blockIdx=(0, 0, 0) in the python oracle",
    ]


def test_check_every_available_target_by_default():
    result = simt_cli("check", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG, "--examples", "5")
    assert result.returncode in (0, 1), result.stderr
    heading = result.stdout.splitlines()[0]
    assert heading.startswith("check saxpy: the python oracle against numpy")
    assert "cuda" in heading or "skipped cuda: " in result.stdout


def test_check_bad_targets_exit_2():
    assert_one_line_error(simt_cli("check", "cli_kernels.py:saxpy", "--sig", SAXPY_SIG,
                                   "--targets", "numpy,gpu"), 2, "--targets: unknown target gpu")
