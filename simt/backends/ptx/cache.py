"""The on-disk cache of compiled modules: cubins and their readable PTX.

Layout: one folder (``cache_dir()``) holding, per module, ``<kernel>.<key>.cubin`` and
``<kernel>.<key>.ptx``. The key is the sha256 of the PTX text, the architecture the
cubin is for, simt's version and the assembler's name and version, so a cubin is
reused only where the same toolchain would have produced it again. Files are plain
bytes and text (nothing is unpickled), each written to a temporary file in the same
folder and moved into place with ``os.replace``: a reader sees a whole file or none,
even with several processes compiling the same kernel at once.

The folder is ``$SIMT_CACHE_DIR`` when set, else the per-user cache folder of the
platform (``$XDG_CACHE_HOME/simt`` or ``~/.cache/simt`` on Linux, ``~/Library/Caches/
simt`` on macOS, ``%LOCALAPPDATA%\\simt\\Cache`` on Windows). The cache only saves time:
a folder that cannot be written, or a file that cannot be read, is skipped silently.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

ELF_MAGIC = b"\x7fELF"


def simt_version() -> str:
    """simt's installed version (the backend does not import the ``simt`` package)."""
    try:
        from importlib.metadata import version
        return version("simt")
    except Exception:
        return "unknown"


def cache_dir() -> Path:
    explicit = os.environ.get("SIMT_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "simt" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "simt"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "simt"


def module_key(ptx: str, arch: str, toolchain: str, version: str | None = None) -> str:
    """The cache key of the cubin assembled from ``ptx`` for ``arch`` by ``toolchain``."""
    digest = hashlib.sha256()
    for part in (ptx, arch, version if version is not None else simt_version(), toolchain):
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))   # unambiguous concatenation
        digest.update(data)
    return digest.hexdigest()


def _path(name: str, key: str, suffix: str) -> Path:
    return cache_dir() / f"{name}.{key}{suffix}"


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` all at once (temporary file + ``os.replace``).

    Answers whether it worked; an unwritable folder is not an error for a cache.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
        return True
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False


def load_cubin(name: str, key: str) -> bytes | None:
    """The cached cubin of ``key``, or None (absent, unreadable or not an ELF file)."""
    try:
        data = _path(name, key, ".cubin").read_bytes()
    except OSError:
        return None
    return data if data.startswith(ELF_MAGIC) else None


def store_module(name: str, key: str, ptx: str, cubin: bytes | None) -> None:
    """Keep the PTX (readable, for people and profilers) and, if given, the cubin."""
    ptx_path = _path(name, key, ".ptx")
    if not ptx_path.exists():
        write_atomic(ptx_path, ptx.encode("utf-8"))
    if cubin is not None:
        write_atomic(_path(name, key, ".cubin"), cubin)


def store_ptx(name: str, ptx: str, arch: str) -> Path | None:
    """Keep a module's PTX as ``<name>.<sha256 of ptx and arch>.ptx`` (for the ptx-emu
    target, which assembles nothing); answers the path, or None when it could not."""
    key = module_key(ptx, arch, "ptx")
    path = _path(name, key, ".ptx")
    if path.exists() or write_atomic(path, ptx.encode("utf-8")):
        return path
    return None
