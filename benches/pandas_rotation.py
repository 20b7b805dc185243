"""A straightforward pandas implementation of one rotation configuration, to time against.

The same definitions as ``sectorflow.rotation_sweep`` rows (``diffusion_index`` on sector levels,
then ``backtest`` with its defaults): wide frames, ``rolling``/``rank``/``ewm`` for the score,
and buy-and-hold holding periods compounded with ``cumprod``, as a pandas user would write it.
``benches/compare.py --rotation`` times both; ``benches/test_pandas_rotation.py`` checks they agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def score(prices: pd.DataFrame, construction: str, n: int, smoothing: int) -> pd.DataFrame:
    """The diffusion index of every sector (columns) on every date (index)."""
    if construction == "price_position":
        lo, hi = prices.rolling(n).min(), prices.rolling(n).max()
        di = ((prices - lo) / (hi - lo)).where(hi > lo)
    else:
        di = (prices / prices.shift(n) - 1.0).rank(axis=1, pct=True)
    return di.ewm(span=smoothing).mean() if smoothing else di


def rebalance_days(index: pd.DatetimeIndex, rule: object) -> list[pd.Timestamp]:
    s = pd.Series(index, index=index)
    if isinstance(rule, int):
        return list(index[::rule])
    freq = "W-FRI" if rule == "W-FRI" else "ME"
    return list(s.groupby(pd.Grouper(freq=freq)).last().dropna())


def rotation(
    prices: pd.DataFrame, scores: pd.DataFrame, top_n: int, rule: object
) -> dict[str, float]:
    """Equal-weight top-N, signal at the close, held from the next bar; NAV metrics."""
    returns = prices.pct_change(fill_method=None)
    start = scores.dropna(how="all").index[0]
    days = [
        d
        for d in rebalance_days(prices.index[prices.index >= start], rule)
        if scores.loc[d].notna().any()
    ]
    pos = {d: prices.index.get_loc(d) for d in days}
    days = [d for d in days if pos[d] + 1 < len(prices)]
    nav = pd.Series(np.nan, index=prices.index)
    nav.iloc[pos[days[0]]] = 1.0
    value = 1.0
    for k, d in enumerate(days):
        row = scores.loc[d][prices.loc[d].notna()].dropna()
        held = row.sort_index().sort_values(ascending=False, kind="stable").index[:top_n]
        lo = pos[d] + 1
        hi = pos[days[k + 1]] + 1 if k + 1 < len(days) else len(prices)
        growth = (1.0 + returns.iloc[lo:hi][held].fillna(0.0)).cumprod()
        path = value * growth.mean(axis=1)
        nav.iloc[lo:hi] = path.to_numpy()
        value = float(path.iloc[-1])
    nav = nav.dropna()
    bench_r = returns.loc[nav.index].mean(axis=1).fillna(0.0)
    bench_r.iloc[0] = 0.0
    bench = (1.0 + bench_r).cumprod()
    r = nav.pct_change().iloc[1:]
    a = r - bench_r.iloc[1:]
    return {
        "annual_return": nav.iloc[-1] ** (252 / len(r)) - 1.0,
        "sharpe": r.mean() / r.std() * np.sqrt(252),
        "information_ratio": a.mean() / a.std() * np.sqrt(252),
        "max_drawdown": 1.0 - (nav / nav.cummax()).min(),
        "benchmark_end": bench.iloc[-1],
    }


def sweep(
    prices: pd.DataFrame, grid: list[tuple[str, int, int, int, object]]
) -> list[dict[str, float]]:
    """Every configuration ``(construction, n, smoothing, top_n, rebalance)``, one after another."""
    return [rotation(prices, score(prices, c, n, s), top, rule) for c, n, s, top, rule in grid]
