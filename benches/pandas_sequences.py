"""The feature sequences of :func:`sectorflow.sequence_features` as a pandas job would build them.

A straightforward pandas construction of the same features (prices over the previous day's
close, volume and amount over their trailing mean per bar, bar return and range) on k-minute
bars, with each sample's ``[T, F]`` input a sliding window of the symbol's bars, for
``benches/compare.py --sequences``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = ("open", "high", "low", "close", "vwap", "log_volume", "log_amount", "bar_return")


def sequences(bars: pd.DataFrame, lookback: int = 20, average_days: int = 20) -> np.ndarray:
    """``[symbols, days - lookback + 1, lookback * bars_per_day, F]`` windows (float32 views)."""
    df = bars.sort_values(["symbol", "datetime"]).reset_index(drop=True)
    df["date"] = df["datetime"].dt.normalize()
    if "amount" not in df:
        df["amount"] = df["close"] * df["volume"]
    df["vwap"] = (df["amount"] / df["volume"]).where(df["volume"] > 0)
    daily = df.groupby(["symbol", "date"]).agg(
        close=("close", "last"),
        volume=("volume", "sum"),
        amount=("amount", "sum"),
        n=("close", "size"),
    )
    by = daily.groupby(level="symbol")
    daily["previous_close"] = by["close"].shift(1)
    for c in ("volume", "amount", "n"):
        daily[f"trail_{c}"] = by[c].transform(
            lambda s: s.rolling(average_days, min_periods=1).sum().shift(1)
        )
    daily["V"] = daily["trail_volume"] / daily["trail_n"]
    daily["A"] = daily["trail_amount"] / daily["trail_n"]
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
    ).fillna(0.0)
    symbols = df["symbol"].nunique()
    per_day = df.groupby("date").size().iloc[0] // symbols
    block = out.to_numpy(np.float32).reshape(symbols, -1, out.shape[1])
    windows = np.lib.stride_tricks.sliding_window_view(block, lookback * per_day, axis=1)
    # [symbols, positions, F, T] -> each day's window, [symbols, days, T, F].
    return windows[:, ::per_day].transpose(0, 1, 3, 2)
