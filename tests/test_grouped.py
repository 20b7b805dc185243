"""by= on long-format data against pandas groupby(...).rolling(...) put back in row order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import sectorflow as sf
from tests.strategies import series, window_args


def pandas_grouped(
    stat: str, x: np.ndarray, keys: np.ndarray, window: int, min_periods: int | None
) -> np.ndarray:
    s = pd.Series(x)
    r = getattr(s.groupby(keys).rolling(window, min_periods=min_periods), stat)()
    return r.reset_index(level=0, drop=True).reindex(s.index).to_numpy()


@pytest.mark.parametrize("stat", ["sum", "mean", "var", "std", "min", "max", "skew", "kurt"])
@given(data=st.data())
def test_by_matches_pandas_groupby_rolling(stat: str, data: st.DataObject) -> None:
    x = data.draw(series(min_size=1))
    keys = np.array(data.draw(st.lists(st.sampled_from("abcd"), min_size=len(x), max_size=len(x))))
    window, min_periods = data.draw(window_args(8, min_window=2 if stat in ("var", "std") else 1))
    got = getattr(sf, f"rolling_{stat}")(x, window, min_periods=min_periods, by=keys)
    want = pandas_grouped(stat, x, keys, window, min_periods)
    assert_allclose(got, want, rtol=1e-7, atol=1e-9)


def test_by_on_a_synthetic_market_equals_per_symbol_runs() -> None:
    df = sf.datasets.synthetic_market(n_symbols=40, n_days=300, seed=5)
    shuffled = df.sample(fraction=1.0, shuffle=True, seed=1)
    close = shuffled["close"]
    got = sf.rolling_corr(close, shuffled["volume"], 20, by=shuffled["symbol"])
    assert isinstance(got, pl.Series)
    assert len(got) == len(shuffled)
    for sym in ["S00000", "S00007", "S00031"]:
        mask = (shuffled["symbol"] == sym).to_numpy()
        alone = sf.rolling_corr(
            close.filter(mask).to_numpy(), shuffled["volume"].filter(mask).to_numpy(), 20
        )
        assert_array_equal(got.filter(mask).fill_null(np.nan).to_numpy(), alone)


def test_by_accepts_every_key_container() -> None:
    x = np.arange(12.0)
    keys = ["a", "b", "c"] * 4
    want = sf.rolling_sum(x, 2, by=np.array(keys))
    for k in (keys, pd.Series(keys), pl.Series(keys), pa.array(keys), pd.Categorical(keys)):
        assert_array_equal(sf.rolling_sum(x, 2, by=k), want)
    assert_array_equal(
        want[6:], [3.0 + 6.0, 4.0 + 7.0, 5.0 + 8.0, 6.0 + 9.0, 7.0 + 10.0, 8.0 + 11.0]
    )


def test_missing_keys_give_nan() -> None:
    x = np.arange(6.0)
    out = sf.rolling_sum(x, 1, by=pd.Series(["a", None, "a", "b", np.nan, "b"]))
    assert np.isnan(out[[1, 4]]).all()
    assert_array_equal(out[[0, 2, 3, 5]], [0.0, 2.0, 3.0, 5.0])


@given(x=series(min_size=1), data=st.data())
def test_by_ewm_and_pct_change_match_pandas(x: np.ndarray, data: st.DataObject) -> None:
    keys = np.array(data.draw(st.lists(st.sampled_from("xyz"), min_size=len(x), max_size=len(x))))
    s = pd.Series(x)
    want_ewm = s.groupby(keys).transform(lambda g: g.ewm(span=3).mean()).to_numpy()
    assert_allclose(sf.ewm_mean(x, span=3, by=keys), want_ewm, rtol=1e-12, atol=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        want_pct = s.groupby(keys).pct_change(2).to_numpy()
    assert_array_equal(sf.pct_change(x, 2, by=keys), want_pct)


def test_threads_do_not_change_results() -> None:
    rng = np.random.default_rng(11)
    m = rng.normal(size=(500, 64))
    before = sf.get_num_threads()
    try:
        sf.set_num_threads(1)
        one = sf.rolling_std(m, 30)
        sf.set_num_threads(2)
        two = sf.rolling_std(m, 30)
    finally:
        sf.set_num_threads(before)
    assert_array_equal(one, two)


def test_group_keys_are_reusable_and_equal_raw_keys() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=300)
    raw = rng.choice(["AAA", "BBB", "CCC"], size=300)
    keys = sf.GroupKeys(raw)
    assert len(keys) == 300
    assert_array_equal(sf.rolling_std(x, 5, by=keys), sf.rolling_std(x, 5, by=raw))
    with pytest.raises(
        ValueError, match=r"by must have the same length as x \(10\), got length 300"
    ):
        sf.rolling_std(x[:10], 5, by=keys)


@pytest.mark.parametrize(
    "keys",
    [
        pd.Categorical(["b", "a", "b", None, "a"]),
        pd.Series(["b", "a", "b", None, "a"], dtype="category"),
        pl.Series(["b", "a", "b", None, "a"], dtype=pl.Categorical),
    ],
)
def test_categorical_keys_use_their_codes(keys: object) -> None:
    x = np.arange(5.0)
    out = sf.rolling_sum(x, 2, min_periods=1, by=keys)
    assert_array_equal(out[[0, 1, 2, 4]], [0.0, 1.0, 2.0, 5.0])
    assert np.isnan(out[3])


def test_sorted_and_shuffled_long_data_agree() -> None:
    df = sf.datasets.synthetic_market(n_symbols=30, n_days=200, seed=4).sort("symbol", "date")
    by_symbol = sf.rolling_var(df["close"], 15, by=df["symbol"])
    # The same rows interleaved by date: each symbol's rows keep their order, so the results
    # must match row for row (the sorted input takes the in-place path, this one the gather path).
    perm = df.with_row_index().sort("date", "symbol")["index"].to_numpy()
    interleaved = df[perm]
    again = sf.rolling_var(interleaved["close"], 15, by=interleaved["symbol"])
    want = by_symbol.fill_null(np.nan).to_numpy()[perm]
    assert_array_equal(again.fill_null(np.nan).to_numpy(), want)


@given(
    words=st.lists(
        st.one_of(
            st.none(), st.sampled_from(["", "a", "AAPL", "b" * 12, "c" * 13, "银行", "电子" * 5])
        ),
        max_size=60,
    ),
    cut=st.integers(0, 60),
)
def test_string_keys_are_pandas_factorize_codes(words: list[str | None], cut: int) -> None:
    # Polars and Arrow strings are coded in the core: first-seen order, -1 for a null, the same
    # for any chunking and for keys on either side of the 12-byte inline limit.
    want, _ = pd.factorize(pd.Series(words, dtype=object))
    cut = min(cut, len(words))
    chunked = pl.concat(
        [pl.Series(words[:cut], dtype=pl.String), pl.Series(words[cut:], dtype=pl.String)],
        rechunk=False,
    )
    for keys in (
        pl.Series(words, dtype=pl.String),
        chunked,
        pa.array(words, pa.string()),
        pa.array(words, pa.large_string()),
        pa.array(words, pa.string_view()),
        pa.chunked_array([words[:cut], words[cut:]], pa.string()),
    ):
        assert_array_equal(sf.GroupKeys(keys).codes, want)
