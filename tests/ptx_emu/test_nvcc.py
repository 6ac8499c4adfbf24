"""PTX written by nvcc (checked in with its CUDA C source under data/) runs
correctly: each kernel against a NumPy or exact Python reference."""
from __future__ import annotations

import io
import math
from fractions import Fraction

import numpy as np
import pytest

from simt.backends.ptx_emu import launch_ptx, parse_ptx

from .ptxkit import DATA, round_exact, wrap

RNG = np.random.default_rng(2024)


def ptx(name: str) -> str:
    return (DATA / f"{name}.ptx").read_text()


def test_every_source_has_its_nvcc_output():
    for source in DATA.glob("*.cu"):
        text = ptx(source.stem)
        assert "Cuda compilation tools, release 13.0" in text and ".target sm_75" in text
        assert parse_ptx(text).entries


@pytest.mark.parametrize("n", [1000, 1024])
def test_saxpy(n):
    x = RNG.standard_normal(n).astype(np.float32)
    y = RNG.standard_normal(n).astype(np.float32)
    expected = [float(round_exact(Fraction(float(a)) * 2.5 + Fraction(float(b)), np.float32,
                                  "rn")) for a, b in zip(x, y)]      # nvcc contracts to fma
    launch_ptx(ptx("saxpy"), "saxpy", (n + 255) // 256, 256, [np.int32(n), np.float32(2.5), x, y])
    assert y.tolist() == expected


def test_shared_memory_block_reduction():
    n = 1000
    x = RNG.random(n, dtype=np.float32)
    out = np.zeros(4, np.float32)
    launch_ptx(ptx("block_reduce"), "block_sum", 4, 256, [x, out, np.int32(n)],
               shared_bytes=256 * 4)
    padded = np.zeros(1024, np.float32)
    padded[:n] = x
    tree = padded.reshape(4, 256)
    while tree.shape[1] > 1:                       # the kernel's own summation order
        half = tree.shape[1] // 2
        tree = tree[:, :half] + tree[:, half:]
    assert out.tolist() == tree[:, 0].tolist()


def test_warp_reduction_with_shfl_down():
    n = 1000
    x = RNG.integers(-1000, 1000, n).astype(np.int32)
    out = np.zeros(32, np.int32)
    launch_ptx(ptx("warp_reduce"), "warp_sum", 4, 256, [x, out, np.int32(n)])
    padded = np.zeros(1024, np.int32)
    padded[:n] = x
    assert out.tolist() == padded.reshape(32, 32).sum(axis=1).tolist()


def test_histogram_with_atomic_add():
    data = RNG.integers(0, 256, 50_000).astype(np.uint8)
    bins = np.zeros(256, np.uint32)
    launch_ptx(ptx("histogram"), "histogram", 16, 128, [data, bins, np.int32(len(data))])
    assert bins.tolist() == np.bincount(data, minlength=256).tolist()


@pytest.mark.parametrize("rows,cols", [(37, 53), (16, 16)])
def test_2d_tiled_transpose(rows, cols):
    a = RNG.standard_normal((rows, cols))
    b = np.zeros((cols, rows))
    launch_ptx(ptx("transpose"), "transpose", ((cols + 15) // 16, (rows + 15) // 16), (16, 16),
               [a, b, np.int32(rows), np.int32(cols)])
    assert np.array_equal(b, a.T)


def test_2d_mandelbrot_with_divergent_loops():
    w, h, maxit = 64, 48, 64
    out = np.zeros((h, w), np.int32)
    launch_ptx(ptx("mandel"), "mandel", (4, 3), (16, 16),
               [out, np.int32(w), np.int32(h), np.int32(maxit)])
    f32 = np.float32
    expected = np.zeros((h, w), np.int32)
    for py in range(h):
        for px in range(w):
            cx = f32(f32(f32(3.0) * f32(px)) / f32(w)) + f32(-2.0)
            cy = f32(f32(f32(3.0) * f32(py)) / f32(h)) + f32(-1.5)
            zx = zy = zx2 = zy2 = f32(0)
            it = 0
            while it < maxit and zx2 + zy2 < f32(4.0):       # nvcc's operation order
                t = cx + (zx2 - zy2)
                zy = f32(round_exact(Fraction(float(zx + zx)) * Fraction(float(zy)) +
                                     Fraction(float(cy)), np.float32, "rn"))
                zx = t
                zx2, zy2 = zx * zx, zy * zy
                it += 1
            expected[py, px] = it
    assert np.array_equal(out, expected)


def test_device_functions_and_printf():
    n = 70
    x = RNG.random(n, dtype=np.float32)
    y, z = np.zeros(n, np.float32), np.zeros(n)
    stdout = io.StringIO()
    launch_ptx(ptx("calls"), "calls", 1, 128, [x, y, z, np.int32(n)], stdout=stdout)
    assert z.tolist() == [float(v) * 2.0 / 3.0 for v in x]
    for i in range(n):
        r = 1.0
        for _ in range(i % 5):
            r = round_exact(Fraction(r) * Fraction(float(x[i])) + 1, np.float32, "rn")
        assert y[i] == r
    assert stdout.getvalue() == f"thread 1 x={float(x[1]):f} n=70 ok\n"


def _c_div(x: int, y: int) -> tuple[int, int]:
    q = abs(x) // abs(y) * (1 if (x < 0) == (y < 0) else -1)
    return q, x - q * y


def _int_ops_reference(x: int, y: int) -> list[int]:
    ux, uy = x & 0xFFFFFFFF, y & 0xFFFFFFFF
    lx, ly = x * 977 - y, (y or 3)
    prod = lx * ly
    hi64 = wrap(prod >> 64, 64, True)
    joined = ux | (uy << 32)
    perm = 0
    for k, s in enumerate((0, 4, 1, 5)):
        perm |= ((joined >> (8 * s)) & 0xFF) << (8 * k)
    values = [
        _c_div(x, y)[0] if y else 0, _c_div(x, y)[1] if y else 0, ux // uy if uy else 0,
        _c_div(lx, ly)[0], _c_div(lx, ly)[1], bin(ux).count("1"), 32 - ux.bit_length(),
        int(f"{ux:032b}"[::-1], 2), (ux & -ux).bit_length(), (ux * uy) >> 32,
        hi64 ^ (lx >> 7), perm, ((joined << (y & 31)) >> 32),
        min(x, y) ^ max(ux, uy), abs(x) + (x >> (y & 31)) + (ux >> (y & 31)),
        abs(x - y) + 5 + ((x * y) >> 32)]
    return [wrap(v, 32, True) for v in values]


def test_integer_intrinsics():
    edges = [0, 1, -1, 7, -7, 2**31 - 1, -2**31 + 1, 12345, -99999, 31, 32, 33]
    a = np.array(edges + RNG.integers(-2**31 + 1, 2**31, 116).tolist(), np.int32)
    b = np.array(edges[::-1] + RNG.integers(-2**31 + 1, 2**31, 116).tolist(), np.int32)
    b[20:60] = RNG.integers(-40, 40, 40)
    out = np.zeros(16 * len(a), np.int32)
    launch_ptx(ptx("intrinsics"), "int_ops", 2, 64, [a, b, out, np.int32(len(a))])
    got = out.reshape(-1, 16)
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist())):
        assert got[i].tolist() == _int_ops_reference(x, y), (i, x, y)


def _f32(q: Fraction, mode: str = "rn") -> float:
    return round_exact(q, np.float32, mode) if q != 0 else 0.0


def test_float_intrinsics_with_rounding_modes():
    a = (RNG.standard_normal(128) * 10.0 ** RNG.integers(-6, 6, 128)).astype(np.float32)
    b = (RNG.standard_normal(128) * 10.0 ** RNG.integers(-6, 6, 128)).astype(np.float32)
    a[:4] = [0.5, -2.5, 1.5, 3.0]
    b[:4] = [2.5, 0.5, -1.0, 3.0]
    out = np.zeros(12 * 128, np.float32)
    launch_ptx(ptx("intrinsics"), "float_ops", 1, 128, [a, b, out, np.int32(128)])
    got = out.reshape(-1, 12)
    f32 = np.float32
    for i, (x, y) in enumerate(zip(a, b)):
        fx, fy = Fraction(float(x)), Fraction(float(y))
        root_up = f32(np.sqrt(abs(y)))
        if Fraction(float(root_up)) ** 2 < abs(fy):
            root_up = np.nextafter(root_up, f32(np.inf))
        expected = [np.sqrt(abs(x)), x / y, _f32(fx * fy + 1), _f32(fx * fy - fx, "rz"),
                    _f32(fx + fy, "rm"), _f32(fx * fy, "rp"), min(x, y) + max(x, y),
                    np.floor(x) + np.trunc(y), np.rint(x) - np.ceil(y), math.copysign(x, y),
                    _f32(fx / fy, "rz"), f32(_f32(1 / fy, "rm")) + root_up]
        assert got[i].tolist() == [float(f32(e)) for e in expected], (i, x, y)


def test_conversion_intrinsics_saturate_and_round():
    x = (RNG.standard_normal(96) * 10.0 ** RNG.integers(-2, 12, 96)).astype(np.float32)
    x[:6] = [2.5, -2.5, 3e9, -3e9, 1e20, np.nan]
    v = RNG.standard_normal(96) * 10.0 ** RNG.integers(-2, 14, 96)
    v[:3] = [2.5, -1e12, 3.141592653589793]
    out = np.zeros(10 * 96, np.int64)
    launch_ptx(ptx("intrinsics"), "conversions", 1, 96, [x, v, out, np.int32(96)])
    got = out.reshape(-1, 10)

    def sat(value: float, lo: int, hi: int) -> int:
        return 0 if math.isnan(value) else int(min(max(value, lo), hi))
    for i in range(96):
        xi, vi = float(x[i]), float(v[i])
        half = np.float16(np.float32(x[i]))
        ll = sat(math.trunc(vi), -2**63, 2**63 - 1)
        expected = [
            sat(math.floor(xi) if math.isfinite(xi) else xi, -2**31, 2**31 - 1),
            sat(round(xi) if math.isfinite(xi) else xi, -2**31, 2**31 - 1),
            sat(math.ceil(xi) if math.isfinite(xi) else xi, 0, 2**32 - 1),
            sat(math.trunc(xi) if math.isfinite(xi) else xi, -2**63, 2**63 - 1),
            ll, sat(round(vi), -2**31, 2**31 - 1),
            wrap(int(np.array(round_exact(Fraction(vi), np.float32, "rz"), np.float32)
                     .view(np.uint32)), 32, True),
            int(half.view(np.uint16)),
            sat(math.trunc(float(half) * 2) if math.isfinite(float(half)) else float(half),
                -2**63, 2**63 - 1),
            math.trunc(round_exact(Fraction(wrap(ll * 3, 64, True)), np.float32, "rm")),
        ]
        assert got[i].tolist() == expected, (i, xi, vi)


def test_block_votes_barrier_reductions_and_shuffles():
    blocks, threads = 3, 128
    a = RNG.integers(-1500, 1500, blocks * threads).astype(np.int32)
    a[5] = 7
    out = np.zeros(6 * blocks * threads, np.int32)
    launch_ptx(ptx("intrinsics"), "block_votes", blocks, threads, [a, out])
    got = out.reshape(blocks, threads, 6)
    for blk in range(blocks):
        v = a[blk * threads:(blk + 1) * threads].tolist()
        for t in range(threads):
            w0 = t - t % 32
            warp = v[w0:w0 + 32]
            lane = t % 32
            ballot = sum(1 << k for k in range(32) if warp[k] & 1)
            up = warp[lane - 3] if lane >= 3 else warp[lane]
            expected = [max(v), sum(x > 0 for x in v),
                        2 * any(x > 1000 for x in v) + all(x > -1000 for x in v),
                        wrap(ballot, 32, True), warp[lane ^ 5],
                        up + any(x == 7 for x in warp) + 2 * all(x != 7 for x in warp)]
            assert got[blk, t].tolist() == expected, (blk, t)
