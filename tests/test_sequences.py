"""Feature sequences and labels for the sequence models, against pandas constructions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

import sectorflow as sf
from sectorflow.models.sequences import sequence_features


def thirty_minute_bars(seed: int, n_symbols: int = 4, n_days: int = 30) -> pl.DataFrame:
    """30-minute bars of synthetic A-share minutes with a fifth of the bars dropped."""
    minutes = sf.datasets.synthetic_minute_bars(n_symbols=n_symbols, n_days=n_days, seed=seed)
    bars = sf.minute_bars(minutes, every=30).bars
    assert bars is not None
    rng = np.random.default_rng(seed)
    return bars.filter(pl.Series(rng.random(bars.height) > 0.2))


def pandas_features(bars: pl.DataFrame, average_days: int) -> pd.DataFrame:
    """The module's formulas, bar by bar, with pandas group-bys (NaN where missing)."""
    df = bars.to_pandas()
    df["date"] = df["datetime"].dt.date
    df["time"] = df["datetime"].dt.time
    dates = sorted(df["date"].unique())
    df = df.sort_values(["symbol", "datetime"])
    daily = df.groupby(["symbol", "date"]).agg(
        close=("close", "last"),
        volume=("volume", "sum"),
        amount=("amount", "sum"),
        n=("close", "size"),
    )
    full = pd.MultiIndex.from_product(
        [sorted(df["symbol"].unique()), dates], names=["symbol", "date"]
    )
    daily = daily.reindex(full)
    by = daily.groupby(level="symbol")
    daily["previous_close"] = by["close"].transform(lambda c: c.ffill().shift(1))
    for c in ("volume", "amount", "n"):
        daily[f"trail_{c}"] = by[c].transform(
            lambda s: s.fillna(0).rolling(average_days, min_periods=1).sum().shift(1)
        )
    daily["V"] = daily["trail_volume"] / daily["trail_n"].where(daily["trail_n"] > 0)
    daily["A"] = daily["trail_amount"] / daily["trail_n"].where(daily["trail_n"] > 0)
    df = df.join(daily[["previous_close", "V", "A"]], on=["symbol", "date"])
    p = df["previous_close"]
    out = pd.DataFrame(
        {
            "open": df["open"] / p - 1,
            "high": df["high"] / p - 1,
            "low": df["low"] / p - 1,
            "close": df["close"] / p - 1,
            "vwap": df["vwap"] / p - 1,
            "log_volume": np.log1p(df["volume"] / df["V"]),
            "log_amount": np.log1p(df["amount"] / df["A"]),
            "bar_return": df["close"] / df["open"] - 1,
            "bar_range": (df["high"] - df["low"]) / df["open"],
        }
    )
    out["symbol"], out["date"], out["time"] = df["symbol"], df["date"], df["time"]
    return out


def test_features_equal_a_pandas_construction_bar_by_bar() -> None:
    bars = thirty_minute_bars(seed=1)
    seq = sequence_features(bars, lookback=5, average_days=7, fill=math.nan)
    want = pandas_features(bars, average_days=7)
    times = sorted(want["time"].unique())
    assert seq.bars_per_day == len(times) == 8
    e = want["symbol"].map(seq.entities.index).to_numpy()
    d = want["date"].map(seq.dates.index).to_numpy()
    s = want["time"].map(times.index).to_numpy()
    got = seq.features[e, d * seq.bars_per_day + s]
    for k, name in enumerate(seq.names):
        np.testing.assert_allclose(got[:, k], want[name].to_numpy(np.float64), rtol=2e-6, atol=1e-7)
    # Cells without a bar are the fill.
    present = np.zeros(seq.features.shape[:2], dtype=bool)
    present[e, d * seq.bars_per_day + s] = True
    assert np.isnan(seq.features[~present]).all()


def test_labels_are_ranked_forward_returns_from_the_next_close() -> None:
    bars = thirty_minute_bars(seed=2, n_symbols=6)
    seq = sequence_features(bars, horizon=3)
    close = (
        bars.to_pandas()
        .assign(date=lambda f: f["datetime"].dt.date)
        .groupby(["date", "symbol"])["close"]
        .last()
        .unstack()
        .reindex(columns=seq.entities)
    )
    forward = close.shift(-4) / close.shift(-1) - 1
    np.testing.assert_allclose(seq.forward_return, forward.T.to_numpy(), rtol=1e-12)
    label = (forward.rank(axis=1, pct=True) - 0.5) * math.sqrt(12)
    np.testing.assert_allclose(seq.label, label.T.to_numpy(), rtol=1e-6)
    assert seq.label.dtype == np.float32


def test_no_feature_reads_a_later_day_and_no_label_an_earlier_one() -> None:
    bars = thirty_minute_bars(seed=3)
    seq = sequence_features(bars, lookback=4, horizon=2, fill=math.nan)
    day = pl.col("datetime").dt.date()
    for t in (5, 12, 20):
        cut = seq.dates[t]
        later = bars.with_columns(
            pl.when(day > cut).then(pl.col(c) * 1.7).otherwise(pl.col(c)).alias(c)
            for c in ("open", "high", "low", "close", "vwap", "volume", "amount")
        )
        changed = sequence_features(later, lookback=4, horizon=2, fill=math.nan)
        rows = (t + 1) * seq.bars_per_day
        np.testing.assert_array_equal(changed.features[:, :rows], seq.features[:, :rows])
        assert not np.array_equal(
            changed.features[:, rows:], seq.features[:, rows:], equal_nan=True
        )
        earlier = bars.with_columns(
            pl.when(day <= cut).then(pl.col(c) * 0.6).otherwise(pl.col(c)).alias(c)
            for c in ("open", "high", "low", "close", "vwap", "volume", "amount")
        )
        moved = sequence_features(earlier, lookback=4, horizon=2, fill=math.nan)
        np.testing.assert_array_equal(moved.label[:, t], seq.label[:, t])


def test_windows_are_a_view_of_each_samples_lookback() -> None:
    bars = thirty_minute_bars(seed=4, n_days=12)
    seq = sequence_features(bars, lookback=3)
    windows = seq.windows()
    assert np.shares_memory(windows, seq.features)
    b = seq.bars_per_day
    for e in range(len(seq.entities)):
        for day in range(seq.first_day, len(seq.dates)):
            want = seq.features[e, (day - 2) * b : (day + 1) * b]
            np.testing.assert_array_equal(windows[e, day - seq.first_day], want)
    samples = seq.samples()
    assert samples.height == len(seq.entities) * (len(seq.dates) - 2)
    row = samples.row(7, named=True)
    assert row["date"] == seq.dates[row["day"]]
    e = seq.entities.index(row["entity"])
    assert row["label"] == pytest.approx(seq.label[e, row["day"]], nan_ok=True)


def test_daily_bars_make_one_bar_per_day_sequences() -> None:
    daily = sf.minute_bars(sf.datasets.synthetic_minute_bars(n_symbols=3, n_days=15, seed=5)).daily
    seq = sequence_features(daily, lookback=5, average_days=3, extra=["realized_volatility"])
    assert seq.bars_per_day == 1
    assert seq.features.shape == (3, 15, 10)
    assert seq.names[-1] == "realized_volatility"
    # Suspended days have no bar: their features are the fill (0).
    want = np.zeros((3, 15))
    for row in daily.iter_rows(named=True):
        e, d = seq.entities.index(row["symbol"]), seq.dates.index(row["date"])
        want[e, d] = row["realized_volatility"] or 0.0
    assert daily.height < 45
    np.testing.assert_allclose(seq.features[:, :, -1], want, rtol=1e-6)


def test_a_repeated_bar_is_refused_naming_both_rows() -> None:
    bars = thirty_minute_bars(seed=6, n_days=3)
    twice = pl.concat([bars, bars.slice(4, 1)])
    with pytest.raises(
        ValueError, match=rf"row {bars.height}: a second bar for symbol=.* \(the first: row 4\)"
    ):
        sequence_features(twice)
    with pytest.raises(ValueError, match="lookback must be an integer >= 1"):
        sequence_features(bars, lookback=0)
    with pytest.raises(ValueError, match="no column 'volume'"):
        sequence_features(bars.drop("volume"))


def test_industry_sequences_are_member_means_and_their_forward_returns() -> None:
    bars = thirty_minute_bars(seed=8, n_symbols=9, n_days=12)
    stocks = sequence_features(bars, lookback=3, horizon=2, fill=math.nan)
    members = pl.DataFrame(
        {"symbol": stocks.entities, "sector": ["A", "B", "C"] * 3}
    )  # three members each
    industries = sf.industry_sequences(stocks, members)
    assert industries.entities == ["A", "B", "C"]
    for k, name in enumerate(industries.entities):
        idx = [i for i, e in enumerate(stocks.entities) if i % 3 == k]
        block = stocks.features[idx].astype(np.float64)
        with np.errstate(invalid="ignore"):
            want = np.where(
                np.isnan(block).all(axis=0),
                0.0,
                np.nansum(block, axis=0) / (~np.isnan(block)).sum(axis=0),
            )
        np.testing.assert_allclose(industries.features[k], want, rtol=1e-6, atol=1e-7)
        fwd = pd.DataFrame(stocks.forward_return[idx]).mean(axis=0).to_numpy()
        np.testing.assert_allclose(industries.forward_return[k], fwd, rtol=1e-12)
        assert name == "ABC"[k]
    ranks = pd.DataFrame(industries.forward_return).rank(axis=0, pct=True)
    np.testing.assert_allclose(industries.label, (ranks - 0.5) * math.sqrt(12), rtol=1e-6)
    assert industries.windows().shape[:2] == (3, 10)
