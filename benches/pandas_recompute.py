"""The job of ``sectorflow recompute`` written in pandas, to time sectorflow against.

Usage: ``python benches/pandas_recompute.py STOCKS.parquet --out DIR``

Daily bars, the market as benchmark. The same outputs as ``sectorflow recompute`` without the
HTML report: per-stock indicators (``stocks.parquet``), and the sector table, excess return,
turnover share, crowding, drawdown, drawdown episodes, RRG and dashboard as parquet files. It
reads the whole file at once and uses groupby/rolling as a pandas user would write them (the
sector part is ``benches/pandas_sectors.py``). ``benches/compare.py --recompute`` times both
in one run; ``benches/test_pandas_recompute.py`` checks they compute the same numbers.
"""

from __future__ import annotations

import argparse
import math
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pandas_sectors

COLUMNS = ["date", "symbol", "sector", "close", "volume", "amount", "float_mcap"]


def stock_indicators(stocks: pd.DataFrame) -> pd.DataFrame:
    """Per-symbol indicators of daily bars; the columns of ``recompute.stock_indicators``."""
    s = stocks.sort_values(["symbol", "date"], ignore_index=True)
    g = s.groupby("symbol", sort=False)
    r1 = g["close"].pct_change(fill_method=None)
    r20 = g["close"].pct_change(20, fill_method=None)

    def per_symbol(x: pd.Series) -> pd.core.groupby.SeriesGroupBy:
        return x.groupby(s["symbol"], sort=False)

    def back(rolled: pd.Series) -> pd.Series:
        return rolled.reset_index(level=0, drop=True)

    out = s[["date", "symbol", "sector", "close"]].copy()
    out["return_1d"] = r1
    out["return_20d"] = r20
    out["return_60d"] = g["close"].pct_change(60, fill_method=None)
    out["volatility_20d"] = back(per_symbol(r1).rolling(20).std()) * math.sqrt(252.0)
    out["turnover_rate_20d"] = back(g["amount"].rolling(20).sum()) / back(
        g["float_mcap"].rolling(20).sum()
    )
    out["return_20d_pct"] = back(per_symbol(r20).rolling(250, min_periods=60).rank(pct=True))
    out["drawdown_250d"] = s["close"] / back(g["close"].rolling(250, min_periods=1).max()) - 1.0
    return out


def episodes(close: pd.DataFrame, min_depth: float = 0.1) -> pd.DataFrame:
    """Drawdown episodes at least ``min_depth`` deep, and the open one, per sector."""
    tables = []
    for sector in close.columns:
        c = close[sector].dropna()
        dd = c / c.cummax() - 1
        bar = pd.Series(np.arange(len(c)), index=c.index)
        episode = (dd == 0).cumsum()
        e = pd.DataFrame(
            {
                "peak": c.index.to_series().groupby(episode.to_numpy()).first(),
                "trough": dd.groupby(episode.to_numpy()).idxmin(),
                "depth": -dd.groupby(episode.to_numpy()).min(),
                "peak_bar": bar.groupby(episode.to_numpy()).first(),
            }
        )
        e["recovery"] = e["peak"].shift(-1)
        e["bars_to_trough"] = bar.loc[e["trough"]].to_numpy() - e["peak_bar"]
        e["bars"] = e["peak_bar"].shift(-1, fill_value=len(c) - 1) - e["peak_bar"]
        e["bars_to_recovery"] = (e["peak_bar"].shift(-1) - e["peak_bar"]) - e["bars_to_trough"]
        end = pd.to_datetime(e["recovery"].fillna(c.index[-1]))
        e["calendar_days"] = (end - pd.to_datetime(e["peak"])).dt.days
        e["open"] = False
        e.iloc[-1, e.columns.get_loc("open")] = dd.iloc[-1] < 0
        e = e[(e["depth"] >= min_depth) | e["open"]]
        closed = e.loc[~e["open"], ["depth", "bars"]]
        e["depth_now"] = np.where(e["open"], -dd.iloc[-1], np.nan)
        for column in ("depth", "bars"):
            ranks = pd.concat([closed[column], e.loc[e["open"], column]]).rank(pct=True)
            e[f"{column}_percentile"] = np.where(
                e["open"] & (len(closed) > 0), ranks.iloc[-1], np.nan
            )
        tables.append(e.drop(columns="peak_bar").assign(sector=sector))
    return pd.concat(tables, ignore_index=True)


def rrg(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """RRG points with distance from the centre, heading (degrees) and velocity of each step."""
    x, y = t["rs_ratio"], t["rs_momentum"]
    dx, dy = x.diff(), y.diff()
    t = {
        **t,
        "distance": np.hypot(x - 100, y - 100),
        "heading": np.degrees(np.arctan2(dy, dx)) % 360,
        "velocity": np.hypot(dx, dy),
    }
    return long(t, ["rs_ratio", "rs_momentum", "quadrant", "distance", "heading", "velocity"])


def long(t: dict[str, pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Wide score frames (dates x sectors) as one long ``date, sector, ...`` table."""
    stacked = {c: t[c].stack(future_stack=True) for c in columns}  # noqa: PD013 (one column each)
    return pd.DataFrame(stacked).rename_axis(["date", "sector"]).reset_index()


def recompute(path: Path, out: Path) -> None:
    """Read ``path``, compute every table, write them as parquet files into ``out``."""
    stocks = pd.read_parquet(path, columns=COLUMNS)
    if stocks.duplicated(["date", "symbol"]).any():
        msg = f"{path}: more than one row per (date, symbol)"
        raise ValueError(msg)
    out.mkdir(parents=True, exist_ok=True)
    stock_indicators(stocks).to_parquet(out / "stocks.parquet", index=False)
    t = pandas_sectors.scores(stocks)
    del stocks
    factors = [c for c in t if c.startswith("crowding/")]
    crowding = long(t, [*factors, "crowding"]).rename(columns=lambda c: c.split("/")[-1])
    crowding["crowding_high"] = crowding["crowding"] >= 0.95
    crowding["crowding_low"] = crowding["crowding"] <= 0.05
    close = t["close"]
    tables = {
        "sectors": t["sectors"],
        "excess": long(t, ["excess_return", "excess_return_pct"]),
        "turnover": long(t, ["turnover_share", "turnover_share_pct"]),
        "crowding": crowding,
        "drawdown": long({"close": close, "peak": close.cummax(), **t}, ["close", "drawdown"]),
        "episodes": episodes(close),
        "rrg": rrg(t),
        "dashboard": pandas_sectors.dashboard_of(t).reset_index(names="sector"),
    }
    for name, table in tables.items():
        table.to_parquet(out / f"{name}.parquet", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stocks", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    start = time.perf_counter()
    recompute(args.stocks, args.out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pandas recompute: {time.perf_counter() - start:.1f} s, peak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
