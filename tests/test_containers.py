"""Every container in, the same container out, with the same numbers as the numpy path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from numpy.testing import assert_array_equal

import sectorflow as sf

CALLS: list[tuple[str, Callable[[Any], Any]]] = [
    ("rolling_sum", lambda x: sf.rolling_sum(x, 5)),
    ("rolling_mean", lambda x: sf.rolling_mean(x, 5, min_periods=2)),
    ("rolling_var", lambda x: sf.rolling_var(x, 5)),
    ("rolling_std", lambda x: sf.rolling_std(x, 5, ddof=0)),
    ("rolling_zscore", lambda x: sf.rolling_zscore(x, 5)),
    ("rolling_skew", lambda x: sf.rolling_skew(x, 6)),
    ("rolling_kurt", lambda x: sf.rolling_kurt(x, 6)),
    ("rolling_min", lambda x: sf.rolling_min(x, 5)),
    ("rolling_max", lambda x: sf.rolling_max(x, 5)),
    ("rolling_cov", lambda x: sf.rolling_cov(x, x * 2.0 + 1.0, 5)),
    ("rolling_corr", lambda x: sf.rolling_corr(x, x * -1.0, 5)),
    ("rolling_beta", lambda x: sf.rolling_beta(x * 3.0, x, 5)),
    ("ewm_mean", lambda x: sf.ewm_mean(x, span=4)),
    ("pct_change", lambda x: sf.pct_change(x, 2)),
]


BINARY: dict[str, Callable[[Any, np.ndarray], Any]] = {
    "rolling_cov": lambda w, v: sf.rolling_cov(w, v * 2.0 + 1.0, 5),
    "rolling_corr": lambda w, v: sf.rolling_corr(w, v * -1.0, 5),
    "rolling_beta": lambda w, v: sf.rolling_beta(w, v * 3.0, 5),
}


@pytest.fixture
def values() -> np.ndarray:
    rng = np.random.default_rng(3)
    x = rng.normal(50.0, 2.0, 40)
    x[[3, 17, 18]] = np.nan
    return x


@pytest.mark.parametrize(("name", "call"), CALLS)
def test_every_face_gives_the_numpy_numbers(
    name: str,
    call: Callable[[Any], Any],
    values: np.ndarray,
    face: tuple[Callable[[np.ndarray], Any], Callable[[Any], np.ndarray]],
) -> None:
    wrap, unwrap = face
    wrapped = wrap(values)
    if name in BINARY and not isinstance(wrapped, np.ndarray | pd.Series | pl.Series):
        # Arrow arrays have no arithmetic operators; mixed faces are tested below.
        result, expected = BINARY[name](wrapped, values), BINARY[name](values, values)
    else:
        result, expected = call(wrapped), call(values)
    assert type(result) is type(wrapped)
    assert_array_equal(unwrap(result), expected)


def test_pandas_keeps_index_and_name(values: np.ndarray) -> None:
    idx = pd.date_range("2024-01-01", periods=len(values), freq="B")
    s = pd.Series(values, index=idx, name="close")
    out = sf.rolling_mean(s, 5)
    assert out.name == "close"
    assert out.index.equals(idx)


def test_pandas_frame_keeps_columns_and_runs_per_column(values: np.ndarray) -> None:
    df = pd.DataFrame({"a": values, "b": values[::-1].copy(), "c": np.arange(40.0)})
    out = sf.rolling_std(df, 7)
    assert list(out.columns) == ["a", "b", "c"]
    assert out.index.equals(df.index)
    for c in df.columns:
        assert_array_equal(out[c].to_numpy(), sf.rolling_std(df[c].to_numpy(), 7))


@pytest.mark.parametrize("order", ["C", "F"])
def test_numpy_2d_runs_each_column_and_keeps_memory_order(order: str, values: np.ndarray) -> None:
    m = np.asarray(
        np.stack([values, values * 2.0, values + 1e4] + [values * k for k in range(8)], axis=1),
        order=order,
    )
    out = sf.rolling_var(m, 6)
    assert out.shape == m.shape
    assert out.flags.c_contiguous if order == "C" else out.flags.f_contiguous
    for j in range(m.shape[1]):
        assert_array_equal(out[:, j], sf.rolling_var(np.ascontiguousarray(m[:, j]), 6))


def test_non_contiguous_numpy_is_read_correctly(values: np.ndarray) -> None:
    strided = np.repeat(values, 2)[::2]
    assert not strided.flags.c_contiguous or strided.base is not None
    assert_array_equal(sf.rolling_mean(strided, 4), sf.rolling_mean(values.copy(), 4))


def test_polars_keeps_name_and_uses_null(values: np.ndarray) -> None:
    s = pl.Series("close", values, nan_to_null=True)
    out = sf.rolling_mean(s, 5)
    assert out.name == "close"
    assert out.dtype == pl.Float64
    assert out.null_count() == int(np.isnan(sf.rolling_mean(values, 5)).sum())


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.uint8, np.bool_])
def test_integer_and_float32_inputs_compute_in_float64(dtype: type) -> None:
    x = np.arange(20) % 7
    got = sf.rolling_mean(x.astype(dtype), 3)
    assert got.dtype == np.float64
    assert_array_equal(got, sf.rolling_mean(x.astype(dtype).astype(np.float64), 3))


def test_arrow_integers_and_polars_integers() -> None:
    x = [1, 2, None, 4, 5, 6]
    want = sf.rolling_sum(np.array([1, 2, np.nan, 4, 5, 6]), 2, min_periods=1)
    assert_array_equal(
        sf.rolling_sum(pa.array(x, pa.int32()), 2, min_periods=1).to_numpy(zero_copy_only=False),
        want,
    )
    assert_array_equal(
        sf.rolling_sum(pl.Series(x, dtype=pl.Int16), 2, min_periods=1).to_numpy(), want
    )


def test_binary_accepts_mixed_faces(values: np.ndarray) -> None:
    y = values * 1.5 + 3.0
    want = sf.rolling_corr(values, y, 5)
    got = sf.rolling_corr(pd.Series(values), pl.Series(y), 5)
    assert isinstance(got, pd.Series)
    assert_array_equal(got.to_numpy(), want)
    chunked = pa.chunked_array([pa.array(y[:10]), pa.array(y[10:])])
    assert_array_equal(sf.rolling_corr(values, chunked, 5), want)


def test_empty_and_all_nan_inputs_return_nan_of_the_right_length() -> None:
    assert sf.rolling_mean(np.array([]), 3).shape == (0,)
    assert len(sf.rolling_std(pl.Series([], dtype=pl.Float64), 3)) == 0
    out = sf.rolling_var(np.full(10, np.nan), 3, min_periods=0)
    assert out.shape == (10,)
    assert np.isnan(out).all()
