"""Turnover: share of the market's amount, turnover rate, concentration among members."""

from __future__ import annotations

from typing import Any, Literal

import polars as pl

from sectorflow._frames import (
    refuse_duplicates,
    require,
    sorted_by_key,
    to_polars,
)
from sectorflow.polars import SectorflowExpr
from sectorflow.sector._tables import check_window, ratio_of_sums
from sectorflow.sector.aggregate import sector_table, stock_bars

__all__ = ["top_concentration", "turnover_rate", "turnover_share"]


def turnover_share(
    sectors: Any,
    *,
    window: int = 20,
    method: Literal["ratio_of_sums", "mean_of_ratios"] = "ratio_of_sums",
    cap_adjusted: bool = False,
    date: str = "date",
    key: str = "sector",
) -> pl.DataFrame:
    """Each sector's share of market turnover, smoothed over ``window`` days.

    ``method="ratio_of_sums"`` (default)::

        turnover_share_t = sum_{window} amount / sum_{window} market_amount

    ``"mean_of_ratios"`` averages the daily shares instead. ``cap_adjusted=True`` adds the
    float-cap share and the share divided by it (the 兴证/Haitong "cap-adjusted" ratio; 1 means
    the sector trades in proportion to its size)::

        float_cap_share    = float_mcap / market_float_mcap
        cap_adjusted_share = turnover_share / float_cap_share

    ``sectors`` is a table from :func:`sector_aggregate` (stock bars are aggregated first).
    Windows count a sector's rows; the first ``window - 1`` are null. Returns ``date, <key>,
    turnover_share`` (and ``float_cap_share, cap_adjusted_share``), sorted by key and date.
    """
    check_window(window, "window")
    if method not in ("ratio_of_sums", "mean_of_ratios"):
        msg = f"method must be 'ratio_of_sums' or 'mean_of_ratios', got {method!r}"
        raise ValueError(msg)
    needed = ["amount", "market_amount"] + (["float_mcap", "market_float_mcap"] * cap_adjusted)
    df = sector_table(sectors, "sectors", date, key, needed)
    amount, market = pl.col("amount"), pl.col("market_amount")
    if method == "ratio_of_sums":
        share = ratio_of_sums(amount, market, window, key)
    else:
        share = SectorflowExpr(amount / market).rolling_mean(window, by=key)
    out = df.select(date, key, share.alias("turnover_share"))
    if cap_adjusted:
        cap_share = (pl.col("float_mcap") / pl.col("market_float_mcap")).alias("float_cap_share")
        out = out.with_columns(df.select(cap_share)).with_columns(
            (pl.col("turnover_share") / pl.col("float_cap_share")).alias("cap_adjusted_share")
        )
    return out.with_columns(pl.selectors.float().fill_nan(None))


def turnover_rate(
    df: Any, *, window: int = 1, date: str = "date", key: str = "sector"
) -> pl.DataFrame:
    """Turnover rate: ``sum_{window} amount / sum_{window} float_mcap`` per ``key``.

    Works on sector tables (``key="sector"``) and on stock bars (``key="symbol"``). Returns
    ``date, <key>, turnover_rate``, sorted by key and date.
    """
    check_window(window, "window")
    frame = to_polars(df, "df")
    require(frame, [date, key, "amount", "float_mcap"], "df")
    frame = sorted_by_key(frame, [key], date, "df")
    rate = ratio_of_sums(pl.col("amount"), pl.col("float_mcap"), window, key)
    return frame.select(date, key, rate.alias("turnover_rate")).with_columns(
        pl.col("turnover_rate").fill_nan(None)
    )


def top_concentration(
    stocks: Any,
    top: float = 0.2,
    *,
    date: str = "date",
    symbol: str = "symbol",
    sector: str = "sector",
) -> pl.DataFrame:
    """Share of a sector's amount traded by its most traded ``top`` fraction of members.

    Per sector and day, with ``n`` members that have an amount and ``k = ceil(top * n)``::

        top_concentration = (sum of the k largest amounts) / (sum of all amounts)

    (兴证策略: "通信 70%, 电子 68%" of amount done by the top 20% of stocks.) Null when the
    sector traded nothing. Returns ``date, <sector>, top_concentration, members``, sorted.
    """
    if not (isinstance(top, float | int) and 0.0 < top <= 1.0):
        msg = f"top must be in (0, 1], got {top!r}"
        raise ValueError(msg)
    df = stock_bars(stocks, date, symbol, sector)
    refuse_duplicates(df, [symbol, date], "stocks")
    traded = df.filter(pl.col("amount").is_not_null())
    k = (pl.len() * top).ceil().cast(pl.UInt32)
    return (
        traded.group_by(date, sector)
        .agg(
            (pl.col("amount").top_k(k).sum() / pl.col("amount").sum()).alias("top_concentration"),
            pl.len().cast(pl.UInt32).alias("members"),
        )
        .with_columns(pl.col("top_concentration").fill_nan(None))
        .sort(date, sector)
    )
