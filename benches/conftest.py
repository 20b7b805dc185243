"""Benchmark data: seeded, built outside the timed calls; small when benchmarks are disabled."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def size(request: pytest.FixtureRequest) -> int:
    """5M values when timing, 20k when the suite only runs once as a smoke test."""
    disabled = request.config.getoption("benchmark_disable", default=True)
    return 20_000 if disabled else 5_000_000


@pytest.fixture(scope="session")
def series(size: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = 100.0 + np.cumsum(rng.normal(0.0, 1.0, size))
    x[rng.random(size) < 0.01] = np.nan
    return x


@pytest.fixture(scope="session")
def panel(size: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    rows = 2_500 if size > 100_000 else 300
    cols = size // rows
    x = 100.0 + np.cumsum(rng.normal(0.0, 1.0, (rows, cols)), axis=0)
    x[rng.random(x.shape) < 0.01] = np.nan
    return x
