"""What simt/targets.py asks of the PTX backend: cached PTX, the kernel name, flat arguments;
and ``print`` lowered to exactly the reference's line (parts joined by spaces, a newline)."""
from __future__ import annotations

import re

import numpy as np
import pytest

import simt
from simt.backends.ptx import (compile_ptx, compile_ptx_cached, flatten_arguments, kernel_name,
                               kernel_params)
from simt.ir import LaunchError

from . import kernels


def test_compile_ptx_cached_memoizes_per_function_and_arch() -> None:
    fn = kernels.saxpy()
    first = compile_ptx_cached(fn)
    assert compile_ptx_cached(fn) is first
    assert compile_ptx_cached(fn, "sm_90") is first
    sm75 = compile_ptx_cached(fn, "sm_75")
    assert sm75 is not first and ".target sm_75" in sm75
    assert first == compile_ptx(fn, "sm_90")
    assert compile_ptx_cached(kernels.saxpy()) is not first     # another Function, its own entry


def test_kernel_name_is_the_entry_name() -> None:
    fn = kernels.saxpy()
    assert f".entry {kernel_name(fn)}(" in compile_ptx_cached(fn)


def test_flatten_arguments_follows_kernel_params() -> None:
    fn = kernels.copy_nd(2)
    src, dst = np.arange(6, dtype=np.float32).reshape(2, 3), np.zeros((2, 3), np.float32)
    flat = flatten_arguments(fn, [src, dst])
    params = kernel_params(fn)
    assert len(flat) == len(params)
    assert flat[0] is src and flat[3] is dst
    assert [type(v) for v in flat[1:3]] == [np.int64, np.int64]
    assert [int(v) for v in flat[1:3]] == [2, 3] == [int(v) for v in flat[4:6]]


def test_flatten_arguments_gives_scalars_of_the_param_type() -> None:
    fn = kernels.print_kernel()       # (int32, float32, bool, int64[:])
    big = np.zeros(4, np.int64)
    flat = flatten_arguments(fn, [np.int32(-3), np.float32(1.5), np.bool_(True), big])
    assert [type(v) for v in flat] == [np.int32, np.float32, np.bool_, np.ndarray, np.int64]
    assert flat[:3] == [-3, 1.5, True] and flat[3] is big and flat[4] == 4


def test_flatten_arguments_maps_arrays_through_pointer() -> None:
    fn = kernels.saxpy()
    x = np.zeros(5, np.float32)
    flat = flatten_arguments(fn, [np.float32(2), x, x, x], pointer=lambda a, i: 1000 + i)
    assert flat == [2.0, 1001, 5, 1002, 5, 1003, 5]


def test_flatten_arguments_rejects_wrong_arity_and_rank() -> None:
    fn = kernels.saxpy()
    with pytest.raises(LaunchError, match="takes 4 arguments"):
        flatten_arguments(fn, [np.float32(1)])
    x = np.zeros(3, np.float32)
    with pytest.raises(LaunchError, match="1-d array"):
        flatten_arguments(fn, [np.float32(1), x.reshape(3, 1), x, x])


# -- print ------------------------------------------------------------------------------

STRING = re.compile(r'^// \$str\d+ = "(.*)"$', re.M)


def format_strings(ptx: str) -> list[str]:
    return [s.encode("ascii").decode("unicode_escape") for s in STRING.findall(ptx)]


@simt.kernel
def _print_ints(x, flag):
    i = simt.grid(1)
    print("thread", i, "of", simt.gridsize(1), "value", x[i], flag, "100%", -7)
    print()
    print(x[i])


def test_print_matches_the_numpy_target_line_for_line(capfd) -> None:
    x = np.array([5, -1, 2**40, -(2**63)], np.int64)
    with simt.target("numpy"):
        _print_ints[1, 4](x, True)
    expected = capfd.readouterr().out
    fn = _print_ints.ir(x, True)
    formats = [f for f in format_strings(compile_ptx(fn)) if f not in ("True", "False")]
    # what vprintf does with those formats (printf's %d/%lld/%s agree with Python's %)
    # (threads run each print in lockstep, in thread order, on the numpy target)
    lines = [formats[0].replace("%lld", "%d") % (i, 4, x[i], "True") for i in range(4)]
    lines += [formats[1] % () for i in range(4)]
    lines += [formats[2].replace("%lld", "%d") % x[i] for i in range(4)]
    assert "".join(lines) == expected
    assert formats[1] == "\n"


def test_print_float_formats_are_the_documented_ones() -> None:
    @simt.kernel
    def show(a, b, h):
        print(a, b, h)
    fn = show.ir(np.float32(0.1), np.float64(0.1), np.float16(0.1))
    assert format_strings(compile_ptx(fn)) == ["%.9g %.17g %.5g\n"]
