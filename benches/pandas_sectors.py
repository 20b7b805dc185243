"""A straightforward pandas implementation of the sector dashboard, to time sectorflow against.

The same definitions as ``sectorflow.sector_dashboard`` with its defaults and the market as the
benchmark: groupby/shift/rolling as a pandas user would write them. ``benches/compare.py
--sectors`` times both in one run; ``benches/test_pandas_sectors.py`` checks they agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def sector_aggregate(stocks: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Long sector table (return, close, amount, float_mcap, volume, breadth) and market close."""
    s = stocks.dropna(subset=["close"]).sort_values(["symbol", "date"])
    g = s.groupby("symbol", sort=False)
    s["r"] = s["close"] / g["close"].shift() - 1
    s["w"] = g["float_mcap"].shift()
    s["wr"] = s["w"] * s["r"]
    s["up"] = (s["r"] > 0).where(s["r"].notna())

    def totals(by: list[str]) -> pd.DataFrame:
        t = s.groupby(by).agg(
            wr=("wr", "sum"),
            w=("w", "sum"),
            amount=("amount", "sum"),
            volume=("volume", "sum"),
            float_mcap=("float_mcap", "sum"),
            breadth=("up", "mean"),
        )
        t["return"] = t["wr"] / t["w"].where(t["w"] > 0)
        return t.drop(columns=["wr", "w"])

    sectors = totals(["date", "sector"]).reset_index()
    first = sectors.groupby("sector")["date"].transform("min") == sectors["date"]
    sectors["return"] = sectors["return"].mask(first)
    sectors["close"] = 1000 * (1 + sectors["return"].fillna(0)).groupby(sectors["sector"]).cumprod()
    market = totals(["date"])
    market["close"] = 1000 * (1 + market["return"].fillna(0)).cumprod()
    market.iloc[0, market.columns.get_loc("close")] = 1000.0
    sectors = sectors.merge(
        market[["amount", "float_mcap"]].add_prefix("market_"), left_on="date", right_index=True
    )
    return sectors, market["close"]


def scores(stocks: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every sector score as a wide frame (dates x sectors); RRG on weekly dates.

    The crowding factors and their percentiles are under ``crowding/<factor>[_pct]``.
    """
    sectors, bench = sector_aggregate(stocks)
    close = sectors.pivot(index="date", columns="sector", values="close")
    b = bench.reindex(close.index)
    excess = (close.pct_change(40, fill_method=None) + 1).div(
        b.pct_change(40, fill_method=None) + 1, axis=0
    ) - 1
    excess_pct = excess.expanding().rank(pct=True)
    amount = sectors.pivot(index="date", columns="sector", values="amount")
    market_amount = sectors.groupby("date")["market_amount"].first()
    share = amount.rolling(20).sum().div(market_amount.rolling(20).sum(), axis=0)
    share_pct = share.expanding().rank(pct=True)
    cap = sectors.pivot(index="date", columns="sector", values="float_mcap")
    volume = sectors.pivot(index="date", columns="sector", values="volume")
    breadth = sectors.pivot(index="date", columns="sector", values="breadth")
    factors = {
        "turnover_share": (share, True),
        "turnover_rate": (amount.rolling(20).sum() / cap.rolling(20).sum(), True),
        "volatility": (close.pct_change(fill_method=None).rolling(20).std(), True),
        "bias": (close / close.rolling(20).mean() - 1, True),
        "volume_price_corr": (volume.rolling(20).corr(close), False),
        "breadth": (breadth.rolling(20, min_periods=1).mean(), True),
    }
    pcts = [
        f.rolling(1250, min_periods=250).rank(pct=True, ascending=up) for f, up in factors.values()
    ]
    count = sum(p.notna().astype(float) for p in pcts)
    crowd = (sum(p.fillna(0.0) for p in pcts) / count).where(count > 0)
    drawdown = close / close.cummax() - 1
    weekly = close.div(b, axis=0).mul(100)
    weekly.index = pd.DatetimeIndex(weekly.index)
    rs = weekly.resample("W-FRI").last()
    ratio = 100 + (rs - rs.rolling(14).mean()) / rs.rolling(14).std()
    roc = 100 * (ratio / ratio.shift(1) - 1)
    momentum = 100 + (roc - roc.rolling(14).mean()) / roc.rolling(14).std()
    quadrant = np.select(
        [(ratio >= 100) & (momentum >= 100), ratio >= 100, momentum < 100],
        ["Leading", "Weakening", "Lagging"],
        "Improving",
    )
    return {
        "sectors": sectors,
        "close": close,
        "excess_return": excess,
        "excess_return_pct": excess_pct,
        "turnover_share": share,
        "turnover_share_pct": share_pct,
        **{f"crowding/{name}": f for name, (f, _) in factors.items()},
        **{f"crowding/{name}_pct": p for name, p in zip(factors, pcts, strict=True)},
        "crowding": crowd,
        "drawdown": drawdown,
        "rs_ratio": ratio,
        "rs_momentum": momentum,
        "quadrant": pd.DataFrame(quadrant, index=ratio.index, columns=ratio.columns),
    }


def dashboard(stocks: pd.DataFrame) -> pd.DataFrame:
    """One row per sector on the last date: the columns of ``sf.sector_dashboard``."""
    return dashboard_of(scores(stocks))


def dashboard_of(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The dashboard (one row per sector, the last date) of the frames of :func:`scores`."""
    last = t["close"].index[-1]
    columns = ("excess_return", "excess_return_pct", "turnover_share", "turnover_share_pct")
    return pd.DataFrame(
        {
            **{c: t[c].loc[last] for c in (*columns, "crowding", "drawdown")},
            **{c: t[c].iloc[-1] for c in ("rs_ratio", "rs_momentum", "quadrant")},
        }
    ).sort_values("excess_return", ascending=False)
