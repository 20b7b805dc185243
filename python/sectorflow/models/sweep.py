"""Which diffusion index would have worked: a grid of rotation configurations in one call.

Every combination of ``constructions x n x smoothing x top_n x rebalance`` on sector index
levels: each score panel is built once (:func:`diffusion_index`), the rotations of all
configurations run side by side in the core (:func:`sectorflow.rotation.top_n_rotations`), and
each gets the metrics of :func:`backtest` (same definitions, same benchmark: the equal-weight
mean of the sectors' returns from the first bar the portfolio earns).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from sectorflow._frames import refuse_duplicates, require, to_polars
from sectorflow.models.backtest import (
    equal_weight_returns,
    holding_paths,
    path_metrics,
    periods_per_year_of,
    rebalance_dates,
)
from sectorflow.models.diffusion import Construction, diffusion_index
from sectorflow.rotation import top_n_rotations

__all__ = ["rotation_sweep"]


def _panel(frame: pl.DataFrame, value: str, days: pl.DataFrame, keys: list[str]) -> np.ndarray:
    """``value`` of a ``date, key`` table as a bars x keys matrix (NaN where absent)."""
    wide = frame.pivot(on="key", index="date", values=value).select("date", *keys)
    full = days.join(wide, on="date", how="left")
    return full.drop("date").to_numpy().astype(np.float64)


def rotation_sweep(
    levels: Any,
    *,
    constructions: Sequence[Construction] = ("price_position", "rank"),
    n: Sequence[int] = (20, 60, 120, 250),
    smoothing: Sequence[int] = (0, 5, 20),
    top_n: Sequence[int] = (3, 6),
    rebalance: Sequence[Any] = ("W-FRI", "M"),
    lag: int = 1,
    cost_bps: float = 0.0,
    date: str = "date",
    key: str = "sector",
    close: str = "close",
) -> pl.DataFrame:
    """One metrics row per configuration, best information ratio first.

    ``levels``: sector index levels ``date, <key>, close``. Columns: ``construction, n,
    smoothing, top_n, rebalance`` and the metrics of :func:`backtest` (annual_return, sharpe,
    excess_annual_return, information_ratio, max_drawdown, hit_rate, average_turnover, ...).
    """
    frame = to_polars(levels, "levels")
    require(frame, [date, key, close], "levels")
    refuse_duplicates(frame, [date, key], "levels")
    long = frame.select(
        pl.col(date).cast(pl.Date).alias("date"),
        pl.col(key).cast(pl.String).alias("key"),
        pl.col(close).cast(pl.Float64).alias("close"),
    )
    keys = sorted(long.get_column("key").unique().to_list())
    if max(top_n, default=0) > len(keys):
        msg = f"top_n ({max(top_n)}) is larger than the universe ({len(keys)} {key}s)"
        raise ValueError(msg)
    days = long.select("date").unique().sort("date")
    prices = _panel(long, "close", days, keys)
    with np.errstate(invalid="ignore", divide="ignore"):
        returns = prices / np.vstack([np.full((1, len(keys)), np.nan), prices[:-1]]) - 1.0
    tradable = np.isfinite(prices)
    panels = list(itertools.product(constructions, n, smoothing))
    scores = np.stack(
        [
            _panel(
                diffusion_index(long, c, n=k, smoothing=sm, date="date", sector="key"),
                "diffusion",
                days,
                keys,
            )
            for c, k, sm in panels
        ]
    )
    calendar = days.get_column("date")
    # Rebalance bars of each panel and rule, counted (for every-k-bars rules) from the panel's
    # first score, as backtest counts them.
    rules = []
    for panel in scores:
        first = int(np.flatnonzero(np.isfinite(panel).any(axis=1))[0])
        for r in rebalance:
            bars = rebalance_dates(calendar.slice(first), r)
            rules.append(
                first
                + calendar.slice(first).search_sorted(pl.Series(bars, dtype=pl.Date)).to_numpy()
            )
    grid = list(itertools.product(range(len(panels)), top_n, range(len(rebalance))))
    navs, rebalances = top_n_rotations(
        scores,
        returns,
        tradable,
        rules,
        [g[0] for g in grid],
        [g[1] for g in grid],
        [g[0] * len(rebalance) + g[2] for g in grid],
        lag=lag,
        cost_bps=cost_bps,
    )
    p = periods_per_year_of(calendar)
    benchmark = equal_weight_returns(returns)
    rows = []
    for (panel, top, rule), nav, path in zip(grid, navs, rebalances, strict=True):
        row: dict[str, Any] = dict(
            zip(("construction", "n", "smoothing"), panels[panel], strict=True)
        )
        row |= {"top_n": top, "rebalance": str(rebalance[rule])}
        if len(path["starts"]):
            held = holding_paths(nav, benchmark, path["starts"], lag)
            p_ret, b_ret = held.period_returns()
            row |= path_metrics(held.portfolio, held.benchmark, p_ret - b_ret, path["turnover"], p)
        rows.append(row)
    return pl.DataFrame(rows).sort("information_ratio", descending=True, nulls_last=True)
