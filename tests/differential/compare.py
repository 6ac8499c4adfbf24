"""Output comparison for differential tests: bitwise, or within N ulp."""
from __future__ import annotations

import numpy as np


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance in units in the last place between same-dtype float arrays."""
    bits = {2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]
    ia = a.view(bits).astype(np.int64)
    ib = b.view(bits).astype(np.int64)
    sign = np.int64(1) << (a.dtype.itemsize * 8 - 1)
    # map to a monotone integer line (negative floats descend)
    ia = np.where(ia < 0, -(ia + sign), ia)
    ib = np.where(ib < 0, -(ib + sign), ib)
    return np.abs(ia - ib)


def assert_same(name: str, expected: np.ndarray, actual: np.ndarray, ulp: int = 0) -> None:
    assert expected.dtype == actual.dtype and expected.shape == actual.shape
    if expected.dtype.kind != "f":
        bad = expected != actual
    else:
        both_nan = np.isnan(expected) & np.isnan(actual)
        if ulp == 0:
            same_bits = expected.view(f"u{expected.itemsize}") == actual.view(f"u{actual.itemsize}")
            bad = ~(same_bits | both_nan)
        else:
            same_inf = np.isinf(expected) & (expected == actual)
            close = ulp_distance(expected, actual) <= ulp
            bad = ~(both_nan | same_inf | (close & ~np.isnan(expected) & ~np.isnan(actual)))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(
            f"{name}: {int(bad.sum())} element(s) differ; first at {where}: "
            f"expected {expected[where]!r}, got {actual[where]!r}")
