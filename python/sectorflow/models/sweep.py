"""Which diffusion index would have worked: a grid of rotation configurations in one call.

Every combination of ``constructions x n x smoothing x weights x top_n x rebalance``: the
rotations hold sectors of the index levels; the level constructions read those levels, the
breadth ones the stock bars given as ``stocks`` (with each weighting in ``weights``). Each score
panel is built once (:func:`diffusion_index`, the raw index once per construction, ``n`` and
weighting, then each smoothing of it), the rotations of all
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
    return_panel,
)
from sectorflow.models.diffusion import BREADTH, Construction, Weights, diffusion_index, smoothed
from sectorflow.rotation import top_n_rotations

__all__ = ["rotation_sweep"]


def _panel(frame: pl.DataFrame, value: str, days: pl.DataFrame, keys: list[str]) -> np.ndarray:
    """``value`` of a ``date, key`` table as a bars x keys matrix (NaN where absent)."""
    wide = frame.pivot(on="key", index="date", values=value)
    wide = wide.with_columns(pl.lit(None, pl.Float64).alias(k) for k in keys if k not in wide)
    full = days.join(wide.select("date", *keys), on="date", how="left")
    return full.drop("date").to_numpy().astype(np.float64)


def _scores(
    levels: pl.DataFrame,
    stocks: pl.DataFrame | None,
    grid: tuple[Sequence[Construction], Sequence[int], Sequence[int], Sequence[Weights]],
    min_members: int,
    columns: dict[str, str],
) -> list[tuple[tuple[Any, ...], pl.DataFrame]]:
    """``((construction, n, smoothing, weights), date, key, diffusion)`` for every panel."""
    constructions, n, smoothing, weights = grid
    out = []
    for c in constructions:
        if c in BREADTH and stocks is None:
            msg = f"construction {c!r} reads stock bars: pass them as stocks"
            raise ValueError(msg)
        for k in n:
            raws: list[tuple[Weights | None, pl.DataFrame]]
            if stocks is not None and c in BREADTH:
                raws = [
                    (
                        w,
                        diffusion_index(
                            stocks,
                            c,
                            n=k,
                            weights=w,
                            min_members=min_members,
                            date=columns["date"],
                            symbol=columns["symbol"],
                            sector=columns["sector"],
                            close=columns["close"],
                            cap=columns["cap"],
                        ).select(
                            pl.col(columns["date"]).alias("date"),
                            pl.col(columns["sector"]).cast(pl.String).alias("key"),
                            "diffusion",
                        ),
                    )
                    for w in weights
                ]
            else:
                raws = [(None, diffusion_index(levels, c, n=k, date="date", sector="key"))]
            out += [
                ((c, k, sm, w), smoothed(raw, sm, date="date", sector="key"))
                for w, raw in raws
                for sm in smoothing
            ]
    return out


def rotation_sweep(
    levels: Any,
    *,
    stocks: Any = None,
    constructions: Sequence[Construction] = ("price_position", "rank"),
    n: Sequence[int] = (20, 60, 120, 250),
    smoothing: Sequence[int] = (0, 5, 20),
    weights: Sequence[Weights] = ("equal",),
    top_n: Sequence[int] = (3, 6),
    rebalance: Sequence[Any] = ("W-FRI", "M"),
    lag: int = 1,
    cost_bps: float = 0.0,
    min_members: int = 5,
    date: str = "date",
    key: str = "sector",
    close: str = "close",
    symbol: str = "symbol",
    cap: str = "float_mcap",
) -> pl.DataFrame:
    """One metrics row per configuration, best information ratio first.

    ``levels``: sector index levels ``date, <key>, close``: the rotations' returns, and the
    input of the level constructions (``price_position``, ``rank``). ``stocks``: stock bars
    ``date, <symbol>, <key>, close[, <cap>]``, the input of the breadth constructions
    (``above_ma``, ``positive_momentum``, ``rising_share``), each run with every weighting in
    ``weights`` (``"equal"``, ``"float_mcap"``) and ``min_members``. Columns: ``construction,
    n, smoothing, weights`` (null for a level construction), ``top_n, rebalance`` and the
    metrics of :func:`backtest` (annual_return, sharpe, excess_annual_return,
    information_ratio, max_drawdown, hit_rate, average_turnover, ...).
    """
    frame = to_polars(levels, "levels")
    require(frame, [date, key, close], "levels")
    refuse_duplicates(frame, [date, key], "levels")
    long = frame.select(
        pl.col(date).cast(pl.Date).alias("date"),
        pl.col(key).cast(pl.String).alias("key"),
        pl.col(close).cast(pl.Float64).alias("close"),
    )
    priced = return_panel(long, key="key")
    keys = priced.keys.to_list()
    if max(top_n, default=0) > len(keys):
        msg = f"top_n ({max(top_n)}) is larger than the universe ({len(keys)} {key}s)"
        raise ValueError(msg)
    days = pl.DataFrame({"date": priced.calendar})
    returns, tradable = priced.returns, priced.present
    stock_bars = None if stocks is None else to_polars(stocks, "stocks")
    columns = {"date": date, "symbol": symbol, "sector": key, "close": close, "cap": cap}
    built = _scores(long, stock_bars, (constructions, n, smoothing, weights), min_members, columns)
    panels = [spec for spec, _ in built]
    scores = np.stack([_panel(di, "diffusion", days, keys) for _, di in built])
    calendar = days.get_column("date")
    # Rebalance bars of each panel and rule, counted (for every-k-bars rules) from the panel's
    # first score, as backtest counts them.
    rules = []
    for panel in scores:
        scored = np.flatnonzero(np.isfinite(panel).any(axis=1))
        first = int(scored[0]) if len(scored) else len(calendar)
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
            zip(("construction", "n", "smoothing", "weights"), panels[panel], strict=True)
        )
        row |= {"top_n": top, "rebalance": str(rebalance[rule])}
        if len(path["starts"]):
            held = holding_paths(nav, benchmark, path["starts"], lag)
            p_ret, b_ret = held.period_returns()
            row |= path_metrics(held.portfolio, held.benchmark, p_ret - b_ret, path["turnover"], p)
        rows.append(row)
    table = pl.DataFrame(rows, schema_overrides={"weights": pl.String})
    return table.sort("information_ratio", descending=True, nulls_last=True)
