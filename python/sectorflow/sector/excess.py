"""Excess return of each sector over a benchmark, and the benchmark table itself.

All take long tables ``date, <key>, ...`` (polars or pandas) and return polars DataFrames sorted
by key and date; windows count rows.
"""

from __future__ import annotations

from typing import Any, get_args

import polars as pl

from sectorflow._frames import (
    date_column,
    long_closes,
    single_series,
    to_polars,
)
from sectorflow.sector._tables import check_window, sf
from sectorflow.typing import ExcessMode

__all__ = ["ExcessMode", "benchmark_table", "excess_return"]


_MODES = get_args(ExcessMode)


def _equal_weight(df: pl.DataFrame, date: str, key: str, close: str) -> pl.DataFrame:
    """The equal-weight index of the series: the mean of their daily returns, chained from 1."""
    daily = df.with_columns(sf(pl.col(close)).pct_change(1, by=key).alias("__r"))
    return (
        daily.group_by(date)
        .agg(pl.col("__r").mean())
        .sort(date)
        .select(date, (1.0 + pl.col("__r").fill_null(0.0)).cum_prod().alias("close"))
    )


def benchmark_table(
    frame: pl.DataFrame, benchmark: Any, date: str, key: str, close: str = "close"
) -> pl.DataFrame:
    """The benchmark as a ``date, close`` table.

    ``benchmark`` is a table or Series of an index, ``"market"`` (the ``market_close`` column of
    a :func:`sector_aggregate` table ``frame``) or ``"equal_weight"`` (of the series of
    ``frame``; composites do not count).
    """
    if not isinstance(benchmark, str):
        return single_series(benchmark, "benchmark", date, "close")
    if benchmark == "market":
        if "market_close" not in frame.columns:
            msg = "benchmark='market' needs stock bars (or a sector_aggregate table); pass an index"
            raise ValueError(msg)
        return (
            frame.select(date_column(frame, date, "sectors").alias(date), "market_close")
            .group_by(date)
            .agg(pl.col("market_close").first().alias("close"))
            .sort(date)
        )
    if benchmark == "equal_weight":
        base = frame.filter(~pl.col("composite")) if "composite" in frame.columns else frame
        return _equal_weight(
            long_closes(base, "sectors", date=date, key=key, close=close),
            date,
            key,
            close,
        )
    msg = f"benchmark must be a table, a Series, 'equal_weight' or 'market', got {benchmark!r}"
    raise ValueError(msg)


def _with_benchmark(df: pl.DataFrame, bench: pl.DataFrame, date: str) -> pl.DataFrame:
    """``df`` with the close of ``bench`` (``date, close``) as ``benchmark`` on each row's date.

    The benchmark is forward-filled over dates it lacks (its holidays) within its own range, and
    null outside it.
    """
    last = bench.get_column(date).max()
    calendar = pl.concat([df.select(date), bench.select(date)]).unique().sort(date)
    bench = calendar.join(bench, on=date, how="left").select(
        date,
        pl.when(pl.col(date) <= last).then(pl.col("close").forward_fill()).alias("benchmark"),
    )
    out = df.join(bench, on=date, how="left", maintain_order="left")  # df's order: key, date
    if out.get_column("benchmark").is_null().all():
        msg = "benchmark has no dates in common with the sectors"
        raise ValueError(msg)
    return out


def excess_return(
    sectors: Any,
    benchmark: Any,
    *,
    window: int = 40,
    mode: ExcessMode = "ratio",
    date: str = "date",
    key: str = "sector",
    close: str = "close",
) -> pl.DataFrame:
    """Rolling ``window``-bar excess return of each sector over a benchmark.

    With ``P`` the sector's close, ``B`` the benchmark's and ``L = window`` rows of the sector::

        ratio       (P_t / P_t-L) / (B_t / B_t-L) - 1          (default; relative strength)
        diff        (P_t / P_t-L - 1) - (B_t / B_t-L - 1)
        log         ln(P_t / P_t-L) - ln(B_t / B_t-L)
        active_nav  NAV_t / NAV_t-L - 1,  NAV_t = prod_s<=t (1 + r_P,s - r_B,s)  (daily returns)

    ``benchmark`` is a table ``date, close`` or a pandas Series (a market index such as CSI All
    Share), ``"equal_weight"`` (the mean daily return of the sectors, chained) or ``"market"``
    (the ``market_close`` column of a :func:`sector_aggregate` table). The benchmark is taken on
    each sector's dates, forward-filled over its own holidays; sectors are never filled.

    Returns ``date, <key>, close, benchmark, excess_return``; the first ``window`` rows of each
    sector are null.
    """
    check_window(window, "window")
    if mode not in _MODES:  # checked here too so a bad mode fails before the table work
        msg = f"mode must be one of {_MODES}, got {mode!r}"
        raise ValueError(msg)
    frame = to_polars(sectors, "sectors")
    df = long_closes(frame, "sectors", date=date, key=key, close=close)
    df = _with_benchmark(df, benchmark_table(frame, benchmark, date, key, close), date)
    # The core's one formula (sectorflow.rolling_excess_return), per sector in date order.
    excess = sf(pl.col(close)).rolling_excess_return("benchmark", window, mode=mode, by=key)
    return df.select(date, key, close, "benchmark", excess.alias("excess_return")).with_columns(
        pl.col("excess_return").fill_nan(None)
    )
