"""The weekly sector table: one row per sector with every score the reports quote."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from sectorflow._frames import as_date, to_polars
from sectorflow.drawdown import drawdown
from sectorflow.rotation import rrg
from sectorflow.scoring import benchmark_table, crowding, excess_return, historical_percentile
from sectorflow.sectors import Weighting, sector_aggregate, turnover_share

__all__ = ["sector_dashboard"]


def sector_dashboard(
    data: Any,
    benchmark: Any = "market",
    *,
    asof: Any = None,
    window: int = 40,
    since: Any = None,
    percentile_window: int | None = None,
    turnover_window: int = 20,
    crowding_window: int = 1250,
    rrg_freq: str | None = "W-FRI",
    sectors: Mapping[str, Sequence[str]] | None = None,
    weight: Weighting = "float_mcap",
    date: str = "date",
    key: str = "sector",
) -> pl.DataFrame:
    """One row per sector on ``asof``: the weekly table of a sector-rotation report.

    ``data`` is stock bars (a ``symbol`` column; aggregated with :func:`sector_aggregate`,
    ``weight`` and ``sectors``) or a sector table ``date, <key>, close[, amount, ...]``.
    ``benchmark`` is a table/Series of the market index, ``"market"`` (the aggregate of all
    stocks, default; stock bars only) or ``"equal_weight"``. Columns::

        excess_return       window-bar excess return over the benchmark (ratio form)
        excess_return_pct   its historical percentile (expanding, or percentile_window rows,
                            from since)
        turnover_share      turnover_window-day share of market amount, and its percentile
        crowding            crowding composite (crowding_window rows of history) and flags
        drawdown            close / running high - 1
        rs_ratio, rs_momentum, quadrant   the JdK RRG on rrg_freq bars against the benchmark

    Columns whose inputs are absent (a sector table without amounts) are null. ``asof``
    defaults to the last date; each sector shows its last row on or before it. Sorted by
    excess return, highest first.
    """
    frame = to_polars(data, "data")
    if "symbol" in frame.columns:
        frame = sector_aggregate(frame, weight=weight, sectors=sectors, date=date, sector=key)
    benchmark = benchmark_table(frame, benchmark, date, key)
    excess = excess_return(frame, benchmark, window=window, date=date, key=key)
    excess = historical_percentile(
        excess, "excess_return", window=percentile_window, since=since, date=date, key=key
    ).select(date, key, "close", "excess_return", "excess_return_pct")
    table = excess
    if {"amount", "market_amount"} <= set(frame.columns):
        share = turnover_share(frame, window=turnover_window, date=date, key=key)
        share = historical_percentile(
            share, "turnover_share", window=percentile_window, since=since, date=date, key=key
        )
        table = table.join(share, on=[date, key], how="left")
    else:
        table = table.with_columns(
            pl.lit(None, pl.Float64).alias("turnover_share"),
            pl.lit(None, pl.Float64).alias("turnover_share_pct"),
        )
    crowd = crowding(frame, window=crowding_window, date=date, key=key).select(
        date, key, "crowding", "crowding_high", "crowding_low"
    )
    table = table.join(crowd, on=[date, key], how="left")
    under = drawdown(frame, date=date, key=key).select(date, key, "drawdown")
    table = table.join(under, on=[date, key], how="left")
    if asof is not None:
        table = table.filter(pl.col(date) <= as_date(asof, "asof"))
    table = table.sort(key, date).group_by(key, maintain_order=True).last()
    if table.is_empty():
        msg = f"data has no rows on or before asof={asof!r}"
        raise ValueError(msg)
    rot = rrg(frame.select(date, key, "close"), benchmark, freq=rrg_freq, date=date, key=key)
    day = table.get_column(date).max()
    rot = (
        rot.drop_nulls("quadrant")
        .filter(pl.col(date) <= day)
        .sort(key, date)
        .group_by(key, maintain_order=True)
        .last()
        .select(key, "rs_ratio", "rs_momentum", "quadrant")
    )
    table = table.join(rot, on=key, how="left")
    return table.sort("excess_return", descending=True, nulls_last=True)
