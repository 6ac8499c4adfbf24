"""Test configuration shared by the whole suite: hypothesis profiles and the gpu marker."""
from __future__ import annotations

import functools
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", deadline=None, max_examples=50, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
# Hypothesis loads its own "ci" profile when CI is set; "dev" is always plain defaults.
settings.register_profile("dev", parent=settings.get_profile("default"))


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_configure(config: pytest.Config) -> None:
    # An explicit --hypothesis-profile wins: hypothesis' own plugin loads it.
    if config.getoption("hypothesis_profile", default=None) is None:
        settings.load_profile("ci" if _running_in_ci() else "dev")


@functools.cache
def gpu_available() -> bool:
    """Whether an NVIDIA GPU is usable through cuda.core; any failure means no."""
    try:
        try:
            from cuda.core import Device
        except ImportError:
            from cuda.core.experimental import Device
        Device(0).set_current()
        return True
    except Exception:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    gpu_items = [item for item in items if item.get_closest_marker("gpu") is not None]
    if gpu_items and not gpu_available():  # only probe the driver when a gpu test is collected
        skip = pytest.mark.skip(reason="needs an NVIDIA GPU usable through cuda.core")
        for item in gpu_items:
            item.add_marker(skip)
