"""Intraday to daily bars (the compiled core's DailyAccumulator) against pandas groupby."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import sectorflow as sf

MINUTES = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "us_intraday_1min_bars.csv"
)


def daily_ref(bars: pd.DataFrame) -> pd.DataFrame:
    p = bars.dropna(subset=["close"]).copy()
    p["date"] = p["datetime"].dt.date
    for c in ("open", "high", "low"):
        p[c] = p[c].fillna(p["close"])
    p["volume"] = p["volume"].fillna(0.0)
    p["amount"] = p["close"] * p["volume"]
    return (
        p.groupby(["date", "symbol"])
        .agg(
            open=("open", "first"),
            high=("high", "max"),
            low=("low", "min"),
            close=("close", "last"),
            volume=("volume", "sum"),
            amount=("amount", "sum"),
            bars=("close", "size"),
        )
        .reset_index()
    )


def assert_same(ours: pl.DataFrame, ref: pd.DataFrame) -> None:
    assert ours.height == len(ref)
    got = ours.to_pandas()
    assert list(got["symbol"]) == list(ref["symbol"])
    assert list(got["date"].dt.date) == list(ref["date"])
    for c in ("open", "high", "low", "close", "volume", "amount", "bars"):
        assert_allclose(got[c].to_numpy(float), ref[c].to_numpy(float), rtol=1e-12, err_msg=c)


@pytest.mark.skipif(not MINUTES.exists(), reason="../shared/data is absent")
def test_real_minute_bars_equal_pandas_groupby() -> None:
    raw = pl.read_csv(MINUTES, try_parse_dates=True).rename({"datetime_et": "datetime"})
    ours = sf.daily_bars(raw)
    assert_same(ours, daily_ref(raw.to_pandas()))
    # Columns that are not prices come from the day's last bar.
    assert ours.get_column("source").null_count() == 0
    # SPY's session on 2013-10-07: pre/post-market included, so more than 390 bars.
    spy = ours.filter((pl.col("symbol") == "SPY") & (pl.col("date") == dt.date(2013, 10, 7)))
    assert spy.item(0, "bars") > 390


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # symbol
            st.integers(0, 2),  # day step
            st.one_of(st.just(np.nan), st.floats(1, 100)),  # close
            st.one_of(st.just(np.nan), st.floats(0, 1e6)),  # volume
        ),
        min_size=1,
        max_size=80,
    )
)
def test_interleaved_symbols_with_gaps_equal_pandas(rows: list[tuple]) -> None:
    clock = {s: dt.datetime(2024, 1, 1, 9, 30) for s in range(4)}
    records = []
    for sym, step, close, volume in rows:
        clock[sym] += dt.timedelta(days=step, minutes=1)
        records.append((clock[sym], f"S{sym}", close, close * 1.01, close * 0.99, volume))
    df = pd.DataFrame(records, columns=["datetime", "symbol", "close", "high", "low", "volume"])
    df["open"] = df["close"]
    ref = daily_ref(df).sort_values(["date", "symbol"], kind="stable").reset_index(drop=True)
    if ref.empty:
        assert sf.daily_bars(df).height == 0
        return
    assert_same(sf.daily_bars(pl.from_pandas(df)), ref)


def test_time_going_backwards_is_named() -> None:
    df = pl.DataFrame(
        {
            "datetime": [dt.datetime(2024, 1, 2, 10), dt.datetime(2024, 1, 1, 10)],
            "symbol": ["A", "A"],
            "close": [1.0, 2.0],
        }
    )
    with pytest.raises(ValueError, match="not in time order for symbol='A'"):
        sf.daily_bars(df)
    with pytest.raises(ValueError, match="no column 'close'"):
        sf.daily_bars(df.drop("close"))
    with pytest.raises(TypeError, match="'datetime' must hold datetimes"):
        sf.daily_bars(df.with_columns(pl.lit(1).alias("datetime")))
