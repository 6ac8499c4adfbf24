"""popc, clz, ffs and brev: in kernels and through the constant folder, against
Python integer arithmetic on the operand's own bit width."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simt import cuda
from simt.backends.numpy import evaluate_constant
from simt.ir import Op
from simt.ir.types import int32, scalar_type

from .support import launch

INT_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]


def _pattern(value: int, bits: int) -> int:
    return value & ((1 << bits) - 1)


def popc_model(value: int, bits: int) -> int:
    return bin(_pattern(value, bits)).count("1")


def clz_model(value: int, bits: int) -> int:
    return bits - _pattern(value, bits).bit_length()


def ffs_model(value: int, bits: int) -> int:
    u = _pattern(value, bits)
    return (u & -u).bit_length()


def brev_model(value: int, bits: int) -> int:
    return int(format(_pattern(value, bits), f"0{bits}b")[::-1], 2)


@cuda.jit
def bit_ops(x, counts, reversed_bits):
    i = cuda.grid(1)
    if i < x.shape[0]:
        counts[i, 0] = cuda.popc(x[i])
        counts[i, 1] = cuda.clz(x[i])
        counts[i, 2] = cuda.ffs(x[i])
        reversed_bits[i] = cuda.brev(x[i])


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(INT_DTYPES).flatmap(
    lambda dtype: hnp.arrays(dtype, st.integers(1, 70), elements=hnp.from_dtype(np.dtype(dtype)))))
def test_bit_ops_in_a_kernel(x: np.ndarray) -> None:
    bits = x.dtype.itemsize * 8
    counts = np.zeros((len(x), 3), np.int32)
    reversed_bits = np.zeros_like(x)
    launch(bit_ops, 3, 32, x, counts, reversed_bits)
    values = [int(v) for v in x]
    assert counts[:, 0].tolist() == [popc_model(v, bits) for v in values]
    assert counts[:, 1].tolist() == [clz_model(v, bits) for v in values]
    assert counts[:, 2].tolist() == [ffs_model(v, bits) for v in values]
    unsigned = np.dtype(f"u{x.dtype.itemsize}")
    assert reversed_bits.view(unsigned).tolist() == [brev_model(v, bits) for v in values]


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("op, model", [(Op.POPC, popc_model), (Op.CLZ, clz_model),
                                       (Op.FFS, ffs_model), (Op.BREV, brev_model)])
def test_bit_ops_fold_to_the_same_values(dtype, op, model) -> None:
    dtype = np.dtype(dtype)
    bits = dtype.itemsize * 8
    info = np.iinfo(dtype)
    stype = scalar_type(dtype)
    for value in {0, 1, 2, 3, info.max, info.min, info.max // 3, 1 << (bits - 2)}:
        result_type = stype if op is Op.BREV else int32
        folded = evaluate_constant(op, [dtype.type(value)], result_type, {})
        assert isinstance(folded, np.generic) and folded.dtype == result_type.dtype
        want = model(value, bits)
        got = int(folded.astype(np.dtype(f"u{dtype.itemsize}"))) if op is Op.BREV else int(folded)
        assert got == want, (op, dtype, value)
