"""The Polars plugin face: same numbers as the numpy path, lazy, over(), schema."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from numpy.testing import assert_array_equal

import sectorflow as sf


@pytest.fixture
def frame() -> pl.DataFrame:
    return sf.datasets.synthetic_market(n_symbols=12, n_days=200, seed=9)


def test_rolling_mean_expression_equals_numpy_path(frame: pl.DataFrame) -> None:
    x = frame["close"].to_numpy()
    got = frame.select(pl.col("close").sf.rolling_mean(20, min_periods=5))["close"]
    assert got.dtype == pl.Float64
    assert_array_equal(got.fill_null(np.nan).to_numpy(), sf.rolling_mean(x, 20, min_periods=5))


def test_lazy_over_symbol_equals_by(frame: pl.DataFrame) -> None:
    lf = frame.lazy().with_columns(
        pl.col("close").sf.rolling_mean(10).over("symbol", order_by="date").alias("m")
    )
    assert lf.collect_schema() == lf.collect().schema
    got = lf.collect()["m"].fill_null(np.nan).to_numpy()
    want = sf.rolling_mean(frame["close"].to_numpy(), 10, by=frame["symbol"])
    assert_array_equal(got, want)


def test_nulls_and_nan_are_missing() -> None:
    df = pl.DataFrame({"x": [1.0, None, 3.0, float("nan"), 5.0]})
    got = df.select(pl.col("x").sf.rolling_mean(2, min_periods=1))["x"].to_list()
    assert got == [1.0, 1.0, 3.0, 3.0, 5.0]


def test_bad_window_is_a_polars_error_naming_the_argument() -> None:
    df = pl.DataFrame({"x": [1.0, 2.0]})
    with pytest.raises(pl.exceptions.ComputeError, match="window must be >= 1, got 0"):
        df.select(pl.col("x").sf.rolling_mean(0))
