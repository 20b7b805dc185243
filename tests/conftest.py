"""Shared fixtures: hypothesis profiles, the container faces, the real-data folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, settings

from tests.data import DATA

settings.register_profile(
    "fast", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "slow", max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("SECTORFLOW_HYPOTHESIS", "fast"))


# name -> (wrap a 1-D float64 numpy array, unwrap the result back to numpy with NaN for missing)
FACES: dict[str, tuple[Callable[[np.ndarray], Any], Callable[[Any], np.ndarray]]] = {
    "numpy": (lambda a: a, lambda r: r),
    "pandas": (pd.Series, lambda r: r.to_numpy()),
    "polars": (
        lambda a: pl.Series("x", a, nan_to_null=True),
        lambda r: r.fill_null(np.nan).to_numpy(),
    ),
    "pyarrow": (
        lambda a: pa.array(a, from_pandas=True),
        lambda r: r.to_numpy(zero_copy_only=False),
    ),
    "chunked": (
        lambda a: pa.chunked_array([pa.array(a[: len(a) // 2]), pa.array(a[len(a) // 2 :])]),
        lambda r: r.to_numpy(),
    ),
}


@pytest.fixture(params=sorted(FACES))
def face(
    request: pytest.FixtureRequest,
) -> tuple[Callable[[np.ndarray], Any], Callable[[Any], np.ndarray]]:
    """Every container kind, as (wrap, unwrap)."""
    return FACES[request.param]


@pytest.fixture
def shared_data() -> Path:
    """The real market data folder beside the project; the test is skipped where it is absent."""
    if not DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return DATA
