"""cvt between integer and float types with every rounding and saturation rule."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .ptxkit import round_exact, run1, run_elementwise, same_float, wrap

EXAMPLES = 10
INT_TYPES = {"s8": 8, "s16": 16, "s32": 32, "s64": 64, "u8": 8, "u16": 16, "u32": 32, "u64": 64}
_ROUND = {"rni": lambda x: round(x), "rzi": math.trunc, "rmi": math.floor, "rpi": math.ceil}


def _int_range(t: str) -> tuple[int, int]:
    bits = INT_TYPES[t]
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if t[0] == "s" else (0, (1 << bits) - 1)


def _float_to_int(x: float, t: str, mode: str) -> int:
    if math.isnan(x):
        return 0
    lo, hi = _int_range(t)
    if math.isinf(x):
        return hi if x > 0 else lo
    return min(max(_ROUND[mode](x), lo), hi)      # Python's round() is half-to-even


def _wide(t: str) -> str:
    return t if INT_TYPES[t] >= 16 else f"{t[0]}16"


@pytest.mark.parametrize("dst", sorted(INT_TYPES))
@pytest.mark.parametrize("src", ["f32", "f64"])
def test_float_to_int_rounds_saturates_and_maps_nan_to_zero(src, dst):
    values = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.7, -2.7, 1e30, -1e30, np.inf, -np.inf, np.nan,
              -0.0, 127.5, 128.0, -129.0, 255.9, 65535.5, 2.0 ** 31, -2.0 ** 31 - 1, 2.0 ** 63,
              -2.0 ** 63, 2.0 ** 64, 4294967295.7]
    modes = ("rni", "rzi", "rmi", "rpi")
    body = " ".join(f"cvt.{m}.{dst}.{src} %{o}, %a;" for m, o in zip(modes, "dqrs"))
    results = run_elementwise(body, [(src, values)], [dst] * 4)
    dtype = np.float32 if src == "f32" else np.float64
    for mode, got in zip(modes, results):
        expected = [_float_to_int(float(dtype(v)), dst, mode) for v in values]
        assert got.tolist() == expected, mode


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.integers(-2**63, 2**64 - 1), min_size=32, max_size=32))
def test_int_to_int_extends_truncates_and_saturates(values):
    for src in ("s64", "u64", "s32", "u16"):
        lo, hi = _int_range(src)
        bits = INT_TYPES[src]
        data = [wrap(v, bits, src[0] == "s") for v in values]
        for dst in ("s8", "u8", "s32", "u32", "s64"):
            out_t = _wide(dst)
            plain, sat = run_elementwise(f"cvt.{dst}.{src} %d, %a; cvt.sat.{dst}.{src} %q, %a;",
                                         [(src, data)], [out_t, out_t])
            dlo, dhi = _int_range(dst)
            wrapped = [wrap(v, INT_TYPES[dst], dst[0] == "s") for v in data]
            # sub-word results are stored sign- or zero-extended into the wider register
            assert plain.tolist() == [wrap(w, INT_TYPES[out_t], out_t[0] == "s") for w in wrapped]
            assert sat.tolist() == [min(max(v, dlo), dhi) for v in data]


@pytest.mark.parametrize("src,dst", [("s32", "f32"), ("u32", "f32"), ("s64", "f32"),
                                     ("u64", "f64"), ("s64", "f64"), ("s32", "f16")])
@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data())
def test_int_to_float_in_every_rounding_mode(src, dst, data):
    lo, hi = _int_range(src)
    values = data.draw(st.lists(st.one_of(st.integers(lo, hi),
                                          st.integers(max(lo, -70000), min(hi, 70000))),
                                min_size=32, max_size=32))
    modes = ("rn", "rz", "rm", "rp")
    body = " ".join(f"cvt.{m}.{dst}.{src} %{o}, %a;" for m, o in zip(modes, "dqrs"))
    results = run_elementwise(body, [(src, values)], [dst] * 4)
    for mode, got in zip(modes, results):
        for v, g in zip(values, got):
            want = round_exact(Fraction(v), got.dtype, mode) if v else 0.0
            assert float(g) == want, (v, mode)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=32, max_size=32))
def test_narrowing_float_conversions(values):
    modes = ("rn", "rz", "rm", "rp")
    body = " ".join(f"cvt.{m}.f32.f64 %{o}, %a;" for m, o in zip(modes, "dqrs"))
    results = run_elementwise(body, [("f64", values)], ["f32"] * 4)
    for mode, got in zip(modes, results):
        for v, g in zip(values, got):
            if v != 0:
                assert float(g) == round_exact(Fraction(v), np.float32, mode), (v, mode)
    (half,) = run_elementwise("cvt.rn.f16.f32 %d, %a;", [("f32", values)], ["f16"])
    with np.errstate(all="ignore"):
        assert same_float(half, np.array(values, np.float32).astype(np.float16)).all()


def test_widening_and_same_size_float_conversions():
    values = [1.5, -2.5, 0.5, np.nan, -np.inf, 1e-45, -0.0, 3.7]
    wide, rni, rzi, sat = run_elementwise(
        "cvt.f64.f32 %d, %a; cvt.rni.f32.f32 %q, %a; cvt.rzi.f32.f32 %r, %a; "
        "cvt.sat.f32.f32 %s, %a;", [("f32", values)], ["f64", "f32", "f32", "f32"])
    assert same_float(wide, np.array(values, np.float32).astype(np.float64)).all()
    assert same_float(rni, np.rint(np.array(values, np.float32))).all()
    assert same_float(rzi, np.trunc(np.array(values, np.float32))).all()
    assert sat.tolist()[:3] == [1.0, 0.0, 0.5] and sat[3] == 0.0
    (ftz,) = run_elementwise("cvt.ftz.f32.f32 %d, %a;", [("f32", values)], ["f32"])
    assert ftz[5] == 0.0


def test_cvt_rejects_missing_rounding():
    from simt.backends.ptx_emu import PtxUnsupportedError
    with pytest.raises(PtxUnsupportedError, match="integer rounding"):
        run1("cvt.s32.f32 %d, %a;", [("f32", [1.0])], "s32")
    with pytest.raises(PtxUnsupportedError, match="rounding modifier"):
        run1("cvt.f32.f64 %d, %a;", [("f64", [1.0])], "f32")
