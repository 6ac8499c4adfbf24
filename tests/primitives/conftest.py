"""Every test here runs its kernels on the numpy target (the reference)."""
from __future__ import annotations

import pytest

import simt


@pytest.fixture(autouse=True)
def numpy_target():
    with simt.target("numpy"):
        yield
