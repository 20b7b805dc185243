"""Large results are written over freed result arrays (rust/python/src/pool.rs).

A reused array still holds the previous result, so a kernel that left any value unwritten would
show it. Each case fills a freed result with a sentinel, then checks that the next result of the
same size, which takes over that array, equals the same call on a freshly allocated one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from numpy.testing import assert_array_equal

import sectorflow as sf

# At least the pool's threshold (1 << 18 values).
N = 1 << 18
SHAPE = (512, 512)
SENTINEL = -12345.678


def data(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 100.0 + rng.normal(size=shape).cumsum(axis=0)
    x[rng.random(shape) < 0.05] = np.nan
    return x


KEYS = np.random.default_rng(9).integers(0, 300, N)
# Null keys: rows in no group, NaN in the result.
NULL_KEYS = pl.Series(KEYS).set(pl.Series(KEYS % 17 == 0), None)

CALLS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "rolling_mean": lambda x: sf.rolling_mean(x, 20, min_periods=3),
    "rolling_std": lambda x: sf.rolling_std(x, 20),
    "rolling_kurt": lambda x: sf.rolling_kurt(x, 20),
    "rolling_max": lambda x: sf.rolling_max(x, 20),
    "rolling_corr": lambda x: sf.rolling_corr(x, np.sqrt(np.abs(x)), 20),
    "ewm_mean": lambda x: sf.ewm_mean(x, span=10),
    "pct_change": lambda x: sf.pct_change(x, 2),
    "rolling_rank": lambda x: sf.rolling_rank(x, 30),
    "rolling_quantile": lambda x: sf.rolling_quantile(x, 30, 0.2),
    "expanding_rank": lambda x: sf.expanding_rank(x, min_periods=5),
}


def takes_over_a_freed_result(call: Callable[[np.ndarray], np.ndarray], shape: tuple) -> None:
    first = call(data(1, shape))
    address = first.ctypes.data
    first[...] = SENTINEL
    del first
    x = data(2, shape)
    got = call(x)
    assert got.ctypes.data == address, "the result did not reuse the freed array"
    want = call(x)  # `got` still holds the pooled array: this one is fresh
    assert got.ctypes.data != want.ctypes.data
    assert_array_equal(got, want)
    assert not np.any(got == SENTINEL)


@pytest.mark.parametrize("name", CALLS)
def test_series_results_are_fully_overwritten(name: str) -> None:
    takes_over_a_freed_result(CALLS[name], (N,))


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("order", ["C", "F"])
def test_panel_results_are_fully_overwritten(name: str, order: str) -> None:
    def call(x: np.ndarray) -> np.ndarray:
        out = CALLS[name](np.asarray(x, order=order))
        assert out.flags.c_contiguous if order == "C" else out.flags.f_contiguous
        return out

    takes_over_a_freed_result(call, SHAPE)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: sf.rolling_mean(x, 5, by=KEYS),
        lambda x: sf.rolling_std(x, 5, by=NULL_KEYS),
        lambda x: sf.rolling_rank(x, 5, by=KEYS),
        lambda x: sf.cs_rank(x, KEYS),
        lambda x: sf.cs_zscore(x, KEYS),
    ],
    ids=["rolling_mean_by", "rolling_std_by_null_keys", "rolling_rank_by", "cs_rank", "cs_zscore"],
)
def test_grouped_results_are_fully_overwritten(call: Callable[[np.ndarray], np.ndarray]) -> None:
    takes_over_a_freed_result(call, (N,))


def test_results_outlive_their_pool_entry_and_stay_writeable() -> None:
    x = data(3, (N,))
    a = sf.rolling_mean(x, 10)
    view = a[::2]
    del a  # the view keeps the array out of the pool
    b = sf.rolling_mean(x, 10)
    assert not np.shares_memory(view, b)
    assert_array_equal(view, b[::2])
    b[:3] = 1.0
    assert_array_equal(b[:3], [1.0, 1.0, 1.0])


def test_results_in_other_containers_keep_their_values_while_the_pool_turns_over() -> None:
    # polars, pandas and pyarrow results may share the numpy result's memory: it must not go
    # back to the pool while they live.
    x = data(4, (N,))
    want = sf.rolling_mean(x, 10).copy()
    results = {
        "polars": sf.rolling_mean(pl.Series("a", x), 10),
        "pandas": sf.rolling_mean(pd.Series(x), 10),
        "pyarrow": sf.rolling_mean(pa.array(x), 10),
    }
    for i in range(6):
        del_me = sf.rolling_mean(x * (i + 2), 10)
        del del_me
    assert_array_equal(results["polars"].to_numpy(), want)
    assert_array_equal(results["pandas"].to_numpy(), want)
    assert_array_equal(results["pyarrow"].to_numpy(zero_copy_only=False), want)
