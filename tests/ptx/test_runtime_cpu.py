"""The ``cuda`` target's parts that need no GPU: the disk cache, the unavailable path,
argument flattening for device arrays, and the launch sequence against a fake cuda.core.

The real thing is tested by tests/ptx/test_cuda_target.py (marked gpu).
"""
from __future__ import annotations

import os
import sys
import types

import numpy as np
import pytest

import simt
import simt.device_arrays
from simt.backends.ptx import available, cache, device_memory, driver_context, runtime
from simt.ir import LaunchError, TargetUnavailableError

from . import kernels

no_gpu = pytest.mark.skipif(driver_context.is_available(), reason="a GPU is usable here")


# -- the disk cache ---------------------------------------------------------------------

def test_module_key_covers_ptx_arch_version_and_toolchain() -> None:
    base = cache.module_key("ptx", "sm_90", "nvJitLink 13.5", "0.1.0")
    assert base == cache.module_key("ptx", "sm_90", "nvJitLink 13.5", "0.1.0")
    assert len(base) == 64 and int(base, 16) >= 0
    others = {cache.module_key("ptx2", "sm_90", "nvJitLink 13.5", "0.1.0"),
              cache.module_key("ptx", "sm_80", "nvJitLink 13.5", "0.1.0"),
              cache.module_key("ptx", "sm_90", "nvJitLink 13.6", "0.1.0"),
              cache.module_key("ptx", "sm_90", "nvJitLink 13.5", "0.2.0"),
              cache.module_key("ptxsm_9", "0", "nvJitLink 13.5", "0.1.0")}   # no concatenation clash
    assert base not in others and len(others) == 5


def test_cache_dir_follows_simt_cache_dir(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SIMT_CACHE_DIR", str(tmp_path / "here"))
    assert cache.cache_dir() == tmp_path / "here"
    monkeypatch.delenv("SIMT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert cache.cache_dir() == tmp_path / "xdg" / "simt"


def test_write_atomic_replaces_whole_files_and_leaves_no_temporaries(tmp_path) -> None:
    target = tmp_path / "sub" / "k.cubin"
    assert cache.write_atomic(target, b"first")
    assert cache.write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["k.cubin"]


def test_a_failed_write_keeps_the_old_file_and_cleans_up(tmp_path, monkeypatch) -> None:
    target = tmp_path / "k.ptx"
    cache.write_atomic(target, b"old")

    def failing_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(cache.os, "replace", failing_replace)
    assert cache.write_atomic(target, b"new") is False
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["k.ptx"]


def test_an_unwritable_cache_folder_is_not_an_error(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SIMT_CACHE_DIR", str(blocker / "cache"))
    cache.store_module("k", "abc", "// ptx", b"\x7fELF...")
    assert cache.load_cubin("k", "abc") is None
    assert cache.store_ptx("k", "// ptx", "sm_90") is None


def test_store_and_load_a_module(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SIMT_CACHE_DIR", str(tmp_path))
    cache.store_module("saxpy", "k1", "// the ptx\n", b"\x7fELFcubin")
    assert (tmp_path / "saxpy.k1.ptx").read_text() == "// the ptx\n"
    assert cache.load_cubin("saxpy", "k1") == b"\x7fELFcubin"
    (tmp_path / "saxpy.k2.cubin").write_bytes(b"garbage")
    assert cache.load_cubin("saxpy", "k2") is None           # not an ELF file: rebuilt
    path = cache.store_ptx("saxpy", "// emu ptx\n", "sm_90")
    assert path is not None and path.read_text() == "// emu ptx\n" and path.suffix == ".ptx"


# -- without a GPU ----------------------------------------------------------------------

@no_gpu
def test_unavailable_is_an_answer_not_an_error() -> None:
    assert runtime.is_available() is False
    reason = runtime.unavailable_reason()
    assert reason and ("driver" in reason or "GPU" in reason or "cuda-python" in reason)
    assert simt.is_available("cuda") is False


@no_gpu
@pytest.mark.parametrize("call", [
    lambda: simt.device_arrays.to_device(np.zeros(3)),
    lambda: simt.device_arrays.device_array((2, 2), np.float32),
], ids=["to_device", "device_array"])
def test_device_arrays_need_a_gpu_and_say_so(call) -> None:
    with pytest.raises(TargetUnavailableError, match=r"needs an NVIDIA GPU.*'numpy', 'ptx-emu'"):
        call()


@no_gpu
def test_choosing_the_cuda_target_names_the_others() -> None:
    @simt.kernel
    def fill(out):
        out[simt.grid(1)] = 1
    with simt.target("cuda"), pytest.raises(TargetUnavailableError, match="numpy.*ptx-emu"):
        fill[1, 4](np.zeros(4, np.int32))


def test_missing_cuda_python_is_reported_with_the_install_hint(monkeypatch) -> None:
    monkeypatch.setattr(driver_context, "_context", None)
    monkeypatch.setattr(driver_context, "_failure", None)
    monkeypatch.setitem(sys.modules, "cuda.bindings", None)
    monkeypatch.setitem(sys.modules, "cuda.bindings.driver", None)
    assert driver_context.is_available() is False
    assert "pip install 'simt[cuda]'" in driver_context.unavailable_reason()


def test_the_arch_compiled_for_is_the_newest_supported_one_up_to_the_gpus() -> None:
    assert driver_context._arch_choice(9, 0) == ("sm_90", "sm_90", True)
    assert driver_context._arch_choice(8, 7) == ("sm_87", "sm_86", False)
    assert driver_context._arch_choice(12, 0) == ("sm_120", "sm_90", False)


# -- device arrays as arguments, without a GPU --------------------------------------------

class FakeDeviceArray:
    """An object exposing __cuda_array_interface__, as CuPy or numba arrays do."""

    def __init__(self, pointer, shape, dtype, strides=None, version=3, stream=None):
        self.__cuda_array_interface__ = {
            "shape": shape, "typestr": np.dtype(dtype).str, "data": (pointer, False),
            "strides": strides, "version": version, "stream": stream}


def test_device_arrays_are_flattened_to_pointers_and_extents() -> None:
    fn = kernels.saxpy()                    # (float32, float32[:], float32[:], float32[:])
    x = FakeDeviceArray(0x7000_0000, (5,), np.float32)
    out = FakeDeviceArray(0x7000_1000, (5,), np.float32, strides=(4,))
    y = np.arange(5, dtype=np.float32)      # a host array: staged by the launch
    staged = []

    def host_pointer(array, index):
        staged.append((array, index))
        return 0x9000_0000
    flat = runtime.device_arguments(runtime.argument_plan(fn), [np.float32(2), x, y, out],
                                    host_pointer)
    assert flat == [2.0, 0x7000_0000, 5, 0x9000_0000, 5, 0x7000_1000, 5]
    assert [type(v) for v in flat] == [np.float32, int, np.int64, int, np.int64, int, np.int64]
    assert len(staged) == 1 and staged[0][0] is y and staged[0][1] == 2


@pytest.mark.parametrize("build", [kernels.saxpy, kernels.print_kernel, lambda: kernels.copy_nd(3)],
                         ids=["saxpy", "scalars", "3d"])
def test_device_arguments_follow_the_abi_of_flatten_arguments(build) -> None:
    from simt.backends.ptx import flatten_arguments

    fn = build()
    args = [np.zeros((2, 3, 4)[:arg.type.ndim], arg.type.dtype.dtype) if hasattr(arg.type, "ndim")
            else arg.type.dtype.type(1) for arg in fn.args]
    addresses = {id(a): 0x1000 * (k + 1) for k, a in enumerate(args)}
    reference = flatten_arguments(fn, args, pointer=lambda array, index: addresses[id(array)])
    flat = runtime.device_arguments(runtime.argument_plan(fn), args,
                                    lambda array, index: addresses[id(array)])
    assert flat == reference and [type(v) for v in flat] == [type(v) for v in reference]


def test_device_array_checks() -> None:
    plan = runtime.argument_plan(kernels.copy_nd(2))      # (float32[:, :], float32[:, :])
    good = FakeDeviceArray(0x1000, (2, 3), np.float32)
    transposed = FakeDeviceArray(0x2000, (3, 2), np.float32, strides=(4, 12))
    with pytest.raises(LaunchError, match="not C-contiguous"):
        runtime.device_arguments(plan, [good, transposed], None)
    with pytest.raises(LaunchError, match="expected a 2-d float32 array, got a 2-d float64"):
        runtime.device_arguments(plan, [good, FakeDeviceArray(0x3000, (2, 3), np.float64)], None)
    with pytest.raises(LaunchError, match="not an array in GPU memory"):
        runtime.device_arguments(plan, [good, [1, 2, 3]], None)
    flat = runtime.device_arguments(plan, [good, FakeDeviceArray(0x4000, (2, 3), "<f4", (12, 4))],
                                    None)
    assert flat == [0x1000, 2, 3, 0x4000, 2, 3]


def test_cai_view_reads_the_interface() -> None:
    view = device_memory.cai_view(FakeDeviceArray(0x5000, (4, 2), np.int16, stream=7))
    assert (view.pointer, view.shape, view.dtype, view.stream) == (0x5000, (4, 2), np.int16, 7)
    assert device_memory.cai_view(FakeDeviceArray(0x5000, (4,), np.int16, version=2,
                                                  stream=7)).stream is None
    assert simt.device_arrays.device_array_signature(FakeDeviceArray(0x5000, (4, 2), np.int16)) \
        == (np.dtype(np.int16), 2, (4, 2))
    assert simt.device_arrays.device_array_signature(np.zeros(3)) is None
    assert not simt.device_arrays.is_device_array(3.0)


# -- the launch sequence against a fake cuda.core ----------------------------------------

class FakeGpu:
    """Just enough of cuda.core and cuda.bindings.driver to watch what launch() does."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.memory: dict[int, bytearray] = {}
        self.next_pointer = 0x10_0000
        gpu = self

        class Buffer:
            def __init__(self, size):
                self.handle = gpu.next_pointer
                gpu.memory[self.handle] = bytearray(size)
                gpu.next_pointer += 0x1_0000

            def close(self, stream=None):
                gpu.calls.append(("free", self.handle))

        class Stream:
            handle = 0x51

            def sync(self):
                gpu.calls.append(("sync",))

        class Device:
            default_stream = Stream()

            def allocate(self, size, stream):
                gpu.calls.append(("allocate", size))
                return Buffer(size)

        class Module:
            def get_kernel(self, name):
                return ("kernel", name)

        class ObjectCode:
            @staticmethod
            def from_cubin(cubin, name=""):
                gpu.calls.append(("load", name, cubin[:4]))
                return Module()

        def launch(stream, config, kernel, *args):
            gpu.calls.append(("launch", kernel, config, args))

        def memcpy_htod(pointer, host, nbytes, stream):
            gpu.memory[pointer][:nbytes] = ctypes_bytes(host, nbytes)
            gpu.calls.append(("htod", pointer, nbytes))
            return (0,)

        def memcpy_dtoh(host, pointer, nbytes, stream):
            import ctypes
            ctypes.memmove(host, bytes(gpu.memory[pointer][:nbytes]), nbytes)
            gpu.calls.append(("dtoh", pointer, nbytes))
            return (0,)

        self.core = types.SimpleNamespace(
            Stream=Stream, ObjectCode=ObjectCode, launch=launch,
            LaunchConfig=lambda grid, block, shmem_size: (grid, block, shmem_size))
        self.driver = types.SimpleNamespace(cuMemcpyHtoDAsync=memcpy_htod,
                                            cuMemcpyDtoHAsync=memcpy_dtoh)
        self.context = driver_context.GpuContext(self.core, self.driver, Device(), "sm_90",
                                                 "sm_90", True)


def ctypes_bytes(address: int, nbytes: int) -> bytes:
    import ctypes
    return ctypes.string_at(address, nbytes)


@pytest.fixture
def fake_gpu(monkeypatch, tmp_path) -> FakeGpu:
    gpu = FakeGpu()
    monkeypatch.setenv("SIMT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(driver_context, "context", lambda: gpu.context)
    monkeypatch.setattr(driver_context, "check", lambda result, what: None)
    monkeypatch.setattr(device_memory, "is_device_array",
                        lambda obj: hasattr(obj, "__cuda_array_interface__"))
    return gpu


needs_assembler = pytest.mark.skipif(not available(), reason="no PTX assembler")


@needs_assembler
def test_host_arrays_are_copied_in_and_out_around_one_launch(fake_gpu) -> None:
    fn = kernels.saxpy()
    x = np.arange(4, dtype=np.float32)
    y = np.ones(4, np.float32)
    out = np.zeros(4, np.float32)
    runtime.launch(fn, (1, 1, 1), (4, 1, 1), [np.float32(2), x, y, out])
    kinds = [call[0] for call in fake_gpu.calls]
    assert kinds == ["load", "allocate", "htod", "allocate", "htod", "allocate", "htod", "launch",
                     "dtoh", "dtoh", "dtoh", "sync", "free", "free", "free"]
    launch = fake_gpu.calls[7]
    assert launch[1] == ("kernel", "saxpy") and launch[2] == ((1, 1, 1), (4, 1, 1), 0)
    pointers = [call[1] for call in fake_gpu.calls if call[0] == "htod"]
    assert list(launch[3]) == [2.0, pointers[0], 4, pointers[1], 4, pointers[2], 4]
    # the fake GPU does not run the kernel: out comes back as it went in
    assert (out == 0).all()


@needs_assembler
def test_device_arrays_launch_without_copies_or_waiting(fake_gpu) -> None:
    fn = kernels.saxpy()
    arrays = [FakeDeviceArray(0x7000_0000 + 0x100 * k, (8,), np.float32) for k in range(3)]
    runtime.launch(fn, (2, 1, 1), (4, 1, 1), [np.float32(1), *arrays], shared_bytes=16)
    assert [call[0] for call in fake_gpu.calls] == ["load", "launch"]
    assert fake_gpu.calls[1][2] == ((2, 1, 1), (4, 1, 1), 16)


@needs_assembler
def test_modules_are_cached_in_memory_and_on_disk(fake_gpu, tmp_path, monkeypatch) -> None:
    fn = kernels.saxpy()
    first = runtime.load_kernel(fn, fake_gpu.context)
    assert runtime.load_kernel(fn, fake_gpu.context) is first          # memory
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".cubin", ".ptx"]
    ptx_file = next(tmp_path.glob("saxpy.*.ptx"))
    assert ".visible .entry saxpy(" in ptx_file.read_text()

    def no_assembler(*args, **kwargs):
        raise AssertionError("the cubin should have come from the disk cache")
    monkeypatch.setattr(runtime, "assemble", no_assembler)
    runtime.load_kernel(kernels.saxpy(), fake_gpu.context)               # a fresh Function: disk
    assert [c[0] for c in fake_gpu.calls].count("load") == 2
