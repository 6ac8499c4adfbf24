"""PTX text -> cubin, with the tools that come as Python wheels (no CUDA toolkit).

``assemble(ptx, arch)`` uses nvJitLink through ``cuda.bindings.nvjitlink`` (wheels
``cuda-bindings`` + ``nvidia-nvjitlink``) when it imports and loads, else the ``ptxas``
binary of the ``nvidia-cuda-nvcc`` wheel, found inside site-packages (never a system
toolkit on PATH: CI machines have none, and a test passing only thanks to one would
hide a missing dependency). ``SIMT_PTXAS`` names another ptxas explicitly.
Invalid PTX raises ``AssemblerError`` (a CompileError) carrying the assembler's log.
"""
from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from simt.ir import CompileError, TargetUnavailableError

SUPPORTED_ARCHS: tuple[str, ...] = ("sm_75", "sm_80", "sm_86", "sm_89", "sm_90")


class AssemblerError(CompileError):
    """The assembler rejected the PTX: a compiler bug (the log says which line)."""


def available() -> bool:
    """Whether an assembler (nvJitLink or a wheel's ptxas) can be used here."""
    return _nvjitlink() is not None or find_ptxas() is not None


def assembler_name() -> str:
    if _nvjitlink() is not None:
        return "nvJitLink"
    return f"ptxas ({find_ptxas()})" if find_ptxas() else "none"


@functools.cache
def toolchain_version() -> str:
    """Which assembler ``assemble`` uses, with its version (part of the cubin cache key)."""
    nvjitlink = _nvjitlink()
    if nvjitlink is not None:
        return "nvJitLink %d.%d" % tuple(nvjitlink.version())
    ptxas = find_ptxas()
    if ptxas is None:
        return "none"
    try:
        done = subprocess.run([ptxas, "--version"], capture_output=True, text=True, timeout=60)
        lines = done.stdout.strip().splitlines()
    except (OSError, subprocess.SubprocessError):
        lines = []
    return f"ptxas {lines[-1] if lines else 'unknown'}"


def assemble(ptx: str, arch: str = "sm_90", *, use: str | None = None) -> bytes:
    """The cubin for ``ptx`` on ``arch``; ``use`` forces "nvjitlink" or "ptxas"."""
    if arch not in SUPPORTED_ARCHS:
        raise CompileError(f"unsupported GPU architecture {arch!r}",
                           hint=f"choose one of {', '.join(SUPPORTED_ARCHS)}")
    if use in (None, "nvjitlink") and _nvjitlink() is not None:
        return _assemble_nvjitlink(ptx, arch)
    if use in (None, "ptxas") and find_ptxas() is not None:
        return _assemble_ptxas(ptx, arch, find_ptxas())
    raise TargetUnavailableError(
        f"no PTX assembler is available{f' ({use} was asked for)' if use else ''}: "
        "install the cuda extra (pip install 'simt[cuda]'), which brings nvJitLink "
        "(cuda-bindings, nvidia-nvjitlink) and ptxas (nvidia-cuda-nvcc)")


@functools.cache
def _nvjitlink():
    """The nvjitlink binding module if it imports and its library loads, else None."""
    try:
        from cuda.bindings import nvjitlink
        nvjitlink.version()
    except Exception:
        return None
    return nvjitlink


def _assemble_nvjitlink(ptx: str, arch: str) -> bytes:
    nvjitlink = _nvjitlink()
    options = [f"-arch={arch}"]
    handle = nvjitlink.create(len(options), options)
    try:
        data = ptx.encode("utf-8")
        try:
            nvjitlink.add_data(handle, nvjitlink.InputType.PTX, data, len(data), "kernel.ptx")
            nvjitlink.complete(handle)
        except nvjitlink.nvJitLinkError as error:
            log = _read_log(nvjitlink, handle)
            raise AssemblerError(f"nvJitLink rejected the PTX for {arch}: {error}",
                                 detail=_with_lines(log, ptx)) from None
        size = nvjitlink.get_linked_cubin_size(handle)
        cubin = bytearray(size)
        nvjitlink.get_linked_cubin(handle, cubin)
        return bytes(cubin)
    finally:
        nvjitlink.destroy(handle)


def _read_log(nvjitlink, handle) -> str:
    size = nvjitlink.get_error_log_size(handle)
    if not size:
        return ""
    log = bytearray(size)
    nvjitlink.get_error_log(handle, log)
    return log.rstrip(b"\0").decode("utf-8", "replace")


@functools.cache
def find_ptxas() -> str | None:
    """ptxas from $SIMT_PTXAS or the nvidia-cuda-nvcc wheel in site-packages."""
    explicit = os.environ.get("SIMT_PTXAS")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    exe = "ptxas.exe" if sys.platform == "win32" else "ptxas"
    roots = []
    try:
        import nvidia
        roots = [Path(p) for p in nvidia.__path__]
    except ImportError:
        return None
    for root in roots:   # nvidia/cu13/bin/ptxas (CUDA 13), nvidia/cuda_nvcc/bin/ptxas (12)
        for candidate in sorted(root.glob(f"*/bin/{exe}")):
            if os.access(candidate, os.X_OK):
                return str(candidate)
    return None


def _assemble_ptxas(ptx: str, arch: str, ptxas: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="simt-ptxas-") as tmp:
        source, output = Path(tmp, "kernel.ptx"), Path(tmp, "kernel.cubin")
        source.write_text(ptx, encoding="utf-8")
        done = subprocess.run([ptxas, f"-arch={arch}", str(source), "-o", str(output)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            log = (done.stderr + done.stdout).replace(str(source), "kernel.ptx")
            raise AssemblerError(f"ptxas rejected the PTX for {arch}",
                                 detail=_with_lines(log, ptx))
        return output.read_bytes()


def _with_lines(log: str, ptx: str) -> str:
    """The log, followed by the PTX lines it names (``line N``), for a readable error."""
    import re

    lines = ptx.splitlines()
    quoted = []
    for number in sorted({int(n) for n in re.findall(r"line (\d+)", log)})[:5]:
        if 0 < number <= len(lines):
            quoted.append(f"  {number:5d} | {lines[number - 1]}")
    return log.strip() + ("\n" + "\n".join(quoted) if quoted else "")
