"""Drawdowns: the underwater curve and the table of drawdown episodes ("a 35-day, 13.7% fall").

Definitions follow pyfolio (``pyfolio.timeseries``)::

    drawdown_t = close_t / max_{s<=t} close_s - 1            (<= 0; the underwater curve)

An episode runs from a peak (a bar at its running high) through the bars below it; its trough
is the lowest point (the first, on ties) and its recovery the first later bar back at the old
high (a new high or equal). An episode without recovery is open: the current drawdown.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from sectorflow._frames import (
    long_closes,
    single_series,
)
from sectorflow.sector._tables import sf

__all__ = ["drawdown", "drawdown_episodes"]

_KEY = "__key"


def _closes(series: Any, date: str, key: str | None, close: str) -> tuple[pl.DataFrame, list[str]]:
    """``date, [key], close`` sorted, without missing closes; the key list for ``over``."""
    if key is None:
        out = single_series(series, "series", date, close).rename({"close": close})
        keys: list[str] = []
    else:
        keys = [key]
        out = long_closes(series, "series", date=date, key=key, close=close)
    return out.filter(pl.col(close).is_not_null() & pl.col(close).is_finite()), keys


def drawdown(
    series: Any, *, date: str = "date", key: str | None = None, close: str = "close"
) -> pl.DataFrame:
    """The underwater curve ``close_t / max_{s<=t} close_s - 1`` (0 at highs, negative below).

    ``series``: a table ``date, close`` (or one value column), a pandas Series indexed by date,
    or with ``key`` a long table of several series (e.g. ``key="sector"``). Missing closes are
    dropped. Returns ``date, [key], close, drawdown`` sorted by key and date.
    """
    df, keys = _closes(series, date, key, close)
    peak = pl.col(close).cum_max()
    peak = peak.over(keys) if keys else peak
    return df.with_columns((pl.col(close) / peak - 1.0).alias("drawdown"))


def drawdown_episodes(
    series: Any,
    *,
    min_depth: float = 0.1,
    date: str = "date",
    key: str | None = None,
    close: str = "close",
) -> pl.DataFrame:
    """Drawdown episodes at least ``min_depth`` deep, and the open one, per series.

    Columns (``bars`` count rows, i.e. trading days; ``calendar_days`` count days)::

        peak, trough, recovery       dates; recovery is null while the episode is open
        depth                        1 - trough / peak close (0.137 for a 13.7% fall)
        bars_to_trough               bars from peak to trough
        bars_to_recovery             bars from trough to recovery (null while open)
        bars, calendar_days          peak to recovery, or to the last bar while open
        open                         the current, unrecovered drawdown
        depth_now                    1 - close now / peak close (open episode only)
        depth_percentile             rank of the open episode's depth and bars (so far) among
        bars_percentile              the closed episodes of at least min_depth and itself
                                     (pandas average rank, pct); null without past episodes

    The open episode is listed whatever its depth, so the current state ("35 days, 13.7%") is
    always there. Returns one row per episode, sorted by key and peak.
    """
    if not (isinstance(min_depth, int | float) and 0.0 <= min_depth < 1.0):
        msg = f"min_depth must be in [0, 1), got {min_depth!r}"
        raise ValueError(msg)
    dd = drawdown(series, date=date, key=key, close=close)
    keys = [key] if key is not None else []
    if not keys:
        dd = dd.with_columns(pl.lit(0).alias(_KEY))
    by = keys or [_KEY]
    rows = dd.with_columns(
        pl.int_range(pl.len()).over(by).alias("__bar"),
        (pl.col("drawdown") == 0).cum_sum().over(by).alias("__episode"),
    )
    last = rows.group_by(by).agg(
        pl.col(date).last().alias("__last"), pl.col("drawdown").last().alias("__dd_now")
    )
    episodes = rows.group_by([*by, "__episode"]).agg(
        pl.col(date).first().alias("peak"),
        pl.col("__bar").first().alias("__peak_bar"),
        pl.col(date).sort_by("drawdown").first().alias("trough"),
        pl.col("__bar").sort_by("drawdown").first().alias("__trough_bar"),
        (-pl.col("drawdown").min()).alias("depth"),
        pl.col("__bar").last().alias("__last_bar"),
    )
    following = episodes.select(
        *by,
        (pl.col("__episode") - 1).alias("__episode"),
        pl.col("peak").alias("recovery"),
        pl.col("__peak_bar").alias("__recovery_bar"),
    )
    episodes = (
        episodes.filter(pl.col("depth") > 0)
        .join(following, on=[*by, "__episode"], how="left")
        .join(last, on=by, how="left")
        .with_columns(pl.col("recovery").is_null().alias("open"))
    )
    end = pl.coalesce("recovery", "__last")
    end_bar = pl.coalesce("__recovery_bar", pl.col("__last_bar"))
    episodes = episodes.filter(pl.col("open") | (pl.col("depth") >= min_depth)).select(
        *by,
        "peak",
        "trough",
        "recovery",
        "depth",
        (pl.col("__trough_bar") - pl.col("__peak_bar")).alias("bars_to_trough"),
        (pl.col("__recovery_bar") - pl.col("__trough_bar")).alias("bars_to_recovery"),
        (end_bar - pl.col("__peak_bar")).alias("bars"),
        (end - pl.col("peak")).dt.total_days().alias("calendar_days"),
        "open",
        pl.when(pl.col("open")).then(-pl.col("__dd_now")).alias("depth_now"),
    )
    # The open episode is each series' latest: its expanding rank (average ties, / n) is its
    # percentile among the closed ones and itself; null with no closed one to compare.
    episodes = episodes.sort([*by, "peak"]).with_columns(
        pl.when(pl.col("open"))
        .then(sf(pl.col(c)).expanding_rank(min_periods=2, by=by))
        .alias(f"{c}_percentile")
        for c in ("depth", "bars")
    )
    return episodes.drop(_KEY) if not keys else episodes
