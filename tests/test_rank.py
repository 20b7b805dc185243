"""Ranks and quantiles against pandas: exact (within one ulp where a division order differs)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal, assert_array_max_ulp

import sectorflow as sf
from tests.strategies import series, window_args

METHODS = ["average", "min", "max"]
INTERPOLATIONS = ["linear", "lower", "higher", "nearest", "midpoint"]


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    assert_array_max_ulp(got[ok], want[ok], maxulp=1)


long_series = series(max_size=400)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("pct", [True, False])
@pytest.mark.parametrize("ascending", [True, False])
@given(data=st.data())
def test_rolling_rank_matches_pandas(
    method: str, pct: bool, ascending: bool, data: st.DataObject
) -> None:
    x = data.draw(st.one_of(series(), long_series))
    window, min_periods = data.draw(window_args(len(x)))
    if data.draw(st.booleans()):
        window = data.draw(st.integers(60, 130))  # windows that span a few 64-slot words
        min_periods = None if min_periods is None else min(min_periods, window)
    got = sf.rolling_rank(
        x, window, min_periods=min_periods, method=method, pct=pct, ascending=ascending
    )
    want = (
        pd.Series(x)
        .rolling(window, min_periods=min_periods)
        .rank(method=method, ascending=ascending, pct=pct)
    )
    assert_same(got, want.to_numpy())


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@given(data=st.data(), q=st.sampled_from([0.0, 0.1, 1 / 6, 0.25, 0.45, 0.5, 0.9, 1.0]))
def test_rolling_quantile_matches_pandas(interpolation: str, data: st.DataObject, q: float) -> None:
    x = data.draw(st.one_of(series(), long_series))
    window, min_periods = data.draw(window_args(len(x)))
    if data.draw(st.booleans()):
        window = data.draw(st.integers(60, 130))
        min_periods = None if min_periods is None else min(min_periods, window)
    got = sf.rolling_quantile(x, window, q, interpolation=interpolation, min_periods=min_periods)
    want = pd.Series(x).rolling(window, min_periods=min_periods).quantile(q, interpolation)
    assert_same(got, want.to_numpy())


@pytest.mark.parametrize("window", [3, 250, 5_000, 16_384, 16_385, 30_000])
def test_rank_and_quantile_across_chunks_and_both_structures(window: int) -> None:
    # Windows up to 16,384 run on the slot bitset over chunks of max(4096, 4 windows) values,
    # longer ones on the Fenwick tree over chunks of max(32768, window): 70,000 values cross
    # several chunk edges of either. Rounded walk: long runs of ties.
    rng = np.random.default_rng(window)
    x = np.round(rng.normal(size=70_000).cumsum(), 1)
    x[rng.random(x.size) < 0.01] = np.nan
    r = pd.Series(x).rolling(window, min_periods=1)
    assert_same(sf.rolling_rank(x, window, min_periods=1), r.rank(pct=True).to_numpy())
    assert_same(
        sf.rolling_rank(x, window, min_periods=1, method="max", ascending=False),
        r.rank(method="max", ascending=False).to_numpy() / r.count().to_numpy(),
    )
    for q in (0.0, 0.3, 1.0):
        assert_same(sf.rolling_quantile(x, window, q, min_periods=1), r.quantile(q).to_numpy())


@given(x=series(), data=st.data())
def test_rolling_median_matches_pandas(x: np.ndarray, data: st.DataObject) -> None:
    window, min_periods = data.draw(window_args(len(x)))
    want = pd.Series(x).rolling(window, min_periods=min_periods).median().to_numpy()
    assert_same(sf.rolling_median(x, window, min_periods=min_periods), want)


@pytest.mark.parametrize("method", METHODS)
@given(x=long_series, min_periods=st.integers(0, 6), pct=st.booleans(), ascending=st.booleans())
def test_expanding_rank_matches_pandas(
    method: str, x: np.ndarray, min_periods: int, pct: bool, ascending: bool
) -> None:
    got = sf.expanding_rank(x, min_periods=min_periods, method=method, pct=pct, ascending=ascending)
    want = pd.Series(x).expanding(min_periods).rank(method=method, ascending=ascending, pct=pct)
    assert_same(got, want.to_numpy())


def test_worked_example_of_peers_1_1() -> None:
    x = np.array([1, 4, 2, 3, 5, 3, np.nan, 3, 3, 1], dtype=float)
    assert_same(
        sf.rolling_rank(x, 3, pct=False),
        np.array([np.nan, np.nan, 2, 2, 3, 1.5, np.nan, np.nan, np.nan, 1]),
    )
    last = np.array([3.0, 3.0, 1.0, 3.0])
    ranks = {m: sf.rolling_rank(last, 4, method=m)[-1] for m in METHODS}
    assert ranks == {"average": 0.75, "min": 0.5, "max": 1.0}
    # qlib's Rank(x, N): min_periods=1
    want = [1, 1, 2 / 3, 2 / 3, 1, 0.5, np.nan, 0.75, 0.75, 1 / 3]
    assert_same(sf.rolling_rank(x, 3, min_periods=1), np.array(want))


def test_slow_oracle_on_random_ties() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 5, 300).astype(float)
    x[rng.integers(0, 300, 20)] = np.nan
    for w in (3, 10, 70, 200):
        oracle = (
            pd.Series(x)
            .rolling(w)
            .apply(lambda v: pd.Series(v).rank(pct=True).iloc[-1], raw=True)
            .to_numpy()
        )
        assert_same(sf.rolling_rank(x, w), oracle)


@pytest.mark.parametrize("method", METHODS)
@given(data=st.data())
def test_rolling_rank_by_matches_pandas_groupby(method: str, data: st.DataObject) -> None:
    x = data.draw(series(min_size=1, max_size=120))
    keys = np.array(data.draw(st.lists(st.sampled_from("abc"), min_size=len(x), max_size=len(x))))
    window, min_periods = data.draw(window_args(20))
    got = sf.rolling_rank(x, window, min_periods=min_periods, method=method, by=keys)
    s = pd.Series(x)
    want = (
        s.groupby(keys)
        .rolling(window, min_periods=min_periods)
        .rank(method=method, pct=True)
        .reset_index(level=0, drop=True)
        .reindex(s.index)
    )
    assert_same(got, want.to_numpy())


def test_rolling_quantile_on_panels_and_frames() -> None:
    rng = np.random.default_rng(4)
    m = np.round(rng.normal(size=(300, 11)), 1)
    m[rng.random(m.shape) < 0.05] = np.nan
    df = pd.DataFrame(m)
    want = df.rolling(90, min_periods=10).quantile(0.3, interpolation="nearest")
    got = sf.rolling_quantile(df, 90, 0.3, interpolation="nearest", min_periods=10)
    assert isinstance(got, pd.DataFrame)
    assert_same(got.to_numpy(), want.to_numpy())
    assert_same(sf.rolling_rank(m, 90), df.rolling(90).rank(pct=True).to_numpy())


# ---- cross-sectional -----------------------------------------------------------------------


@st.composite
def long_table(draw: st.DrawFn) -> pd.DataFrame:
    """Dates with unequal numbers of symbols, sectors of unequal size, NaN, inf and ties."""
    n = draw(st.integers(1, 150))
    values = draw(series(min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "date": draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)),
            "sector": draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=n, max_size=n)),
            "x": values,
        }
    )


@pytest.mark.parametrize("method", METHODS)
@given(df=long_table(), pct=st.booleans(), ascending=st.booleans(), by_sector=st.booleans())
def test_cs_rank_matches_pandas_groupby(
    method: str, df: pd.DataFrame, pct: bool, ascending: bool, by_sector: bool
) -> None:
    keys = ["date", "sector"] if by_sector else ["date"]
    want = df.groupby(keys)["x"].rank(method=method, pct=pct, ascending=ascending)
    got = sf.cs_rank(
        df["x"],
        df["date"],
        group=df["sector"] if by_sector else None,
        method=method,
        pct=pct,
        ascending=ascending,
    )
    assert isinstance(got, pd.Series)
    assert_same(got.to_numpy(), want.to_numpy())


@given(df=long_table(), by_sector=st.booleans(), ddof=st.integers(0, 1))
def test_cs_zscore_and_demean_match_pandas(df: pd.DataFrame, by_sector: bool, ddof: int) -> None:
    keys = ["date", "sector"] if by_sector else ["date"]
    finite = df.assign(x=df["x"].where(np.isfinite(df["x"])))
    grouped = finite.groupby(keys)["x"]
    std = grouped.transform(lambda s: s.std(ddof=ddof))
    mean = grouped.transform("mean")
    want_z = ((finite["x"] - mean) / std.where(std > 0)).to_numpy()
    group = df["sector"] if by_sector else None
    got_z = sf.cs_zscore(df["x"], df["date"], group=group, ddof=ddof).to_numpy()
    np.testing.assert_allclose(got_z, want_z, rtol=1e-12, atol=1e-12)
    got_d = sf.cs_demean(df["x"], df["date"], group=group).to_numpy()
    np.testing.assert_allclose(got_d, (finite["x"] - mean).to_numpy(), rtol=1e-12, atol=1e-12)


def test_cs_rank_wide_equals_dataframe_rank_axis_1() -> None:
    rng = np.random.default_rng(5)
    m = rng.integers(0, 6, size=(50, 40)).astype(float)
    m[rng.random(m.shape) < 0.1] = np.nan
    df = pd.DataFrame(m)
    for method in METHODS:
        want = df.rank(axis=1, pct=True, method=method)
        got = sf.cs_rank(df, method=method)
        assert isinstance(got, pd.DataFrame)
        assert_same(got.to_numpy(), want.to_numpy())
        assert_same(sf.cs_rank(m, method=method), want.to_numpy())


def test_cs_functions_on_polars_long_frames() -> None:
    df = sf.datasets.synthetic_market(n_symbols=40, n_days=30, seed=2)
    got = sf.cs_rank(df["close"], df["date"], group=df["sector"])
    assert isinstance(got, pl.Series)
    want = df.to_pandas().groupby(["date", "sector"])["close"].rank(pct=True)
    assert_same(got.to_numpy(), want.to_numpy())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sf.rolling_rank(np.ones(5), 3, method="dense"), "method must be one of"),
        (lambda: sf.rolling_quantile(np.ones(5), 3, 1.5), "q must be between 0 and 1"),
        (
            lambda: sf.rolling_quantile(np.ones(5), 3, 0.5, interpolation="cubic"),
            "interpolation must be one of",
        ),
        (lambda: sf.rolling_rank(np.ones(5), 0), "window must be >= 1, got 0"),
        (lambda: sf.expanding_rank(np.ones(5), min_periods=-1), "min_periods must be >= 0"),
        (lambda: sf.cs_rank(np.ones(5)), "time is required for 1-D x"),
        (lambda: sf.cs_zscore(np.ones(5), [1] * 4), "by must have the same length as x (5)"),
    ],
)
def test_bad_arguments_name_themselves(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()  # type: ignore[operator]


def test_window_longer_than_the_series_is_the_expanding_rank() -> None:
    # A window past the series length must not re-sort the history once per chunk.
    rng = np.random.default_rng(6)
    x = rng.normal(size=200_000)
    x[::97] = np.nan
    got = sf.rolling_rank(x, 10**9, min_periods=1)
    assert_same(got, sf.expanding_rank(x))
    head = pd.Series(x[:5_000])
    q = sf.rolling_quantile(head, 10**6, 0.5, min_periods=1)
    assert_same(q.to_numpy(), head.expanding().quantile(0.5).to_numpy())
    median = sf.rolling_median(head, 10**6, min_periods=1)
    assert_same(median.to_numpy(), head.expanding().median().to_numpy())


def test_rolling_median_is_pandas_median_bit_for_bit() -> None:
    # pandas' median averages the two middle values; linear interpolation can differ in the last bit.
    x = np.random.default_rng(7).normal(size=3_000)
    assert_array_equal(sf.rolling_median(x, 50), pd.Series(x).rolling(50).median().to_numpy())


def test_cs_functions_accept_prefactorized_time_keys() -> None:
    x = np.array([3.0, 1.0, 5.0, 7.0, 2.0])
    time = ["d1", "d1", "d2", "d2", "d1"]
    keys = sf.GroupKeys(time)
    assert_array_equal(sf.cs_rank(x, keys), sf.cs_rank(x, time))
    assert_array_equal(
        sf.cs_demean(x, keys, group=[1, 1, 1, 2, 2]), sf.cs_demean(x, time, group=[1, 1, 1, 2, 2])
    )
