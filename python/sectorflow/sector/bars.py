"""Intraday bars to daily bars, in one pass of the compiled core.

The minute-bar accumulator over the whole calendar day: every bar in it, whatever the session.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from sectorflow._frames import aligned_parts, date_series, float_column, require, to_polars
from sectorflow.tables import MinuteAccumulator

__all__ = ["daily_bars"]

_PRICES = ("open", "high", "low", "close")


def daily_bars(
    bars: Any, *, datetime: str = "datetime", symbol: str = "symbol", date: str = "date"
) -> pl.DataFrame:
    """Daily bars from intraday (e.g. 1-minute) bars, per symbol and calendar day of ``datetime``.

    For the bars of one symbol on one day that have a close::

        open   = first open        high = max high        low = min low
        close  = last close        volume = sum volume    amount = sum amount
        bars   = how many there were

    ``amount`` defaults to ``close * volume`` per bar when the column is absent; a missing open,
    high or low falls back to the bar's close, a missing volume or amount counts 0. Every other
    column (``sector``, ``float_mcap``, ...) is taken from the day's last bar. Each symbol's rows
    must be in time order (symbols may interleave); two bars of a symbol at the same time are
    refused (``ValueError`` naming the symbol and time), never summed.

    Returns ``date, symbol, open, high, low, close, volume, amount, bars, <other columns>``
    sorted by date and symbol.
    """
    df = to_polars(bars, "bars")
    require(df, [datetime, symbol, "close"], "bars")
    stamp = df.schema[datetime]
    if stamp == pl.String:
        df = df.with_columns(pl.col(datetime).str.to_datetime())
        stamp = df.schema[datetime]
    if stamp == pl.Date:
        local = pl.col(datetime).cast(pl.Datetime("us"))
    elif isinstance(stamp, pl.Datetime):
        # The wall clock in the stamps' own zone: a tz-aware column keeps its local dates.
        local = pl.col(datetime).dt.replace_time_zone(None).dt.cast_time_unit("us")
    else:
        msg = f"bars column {datetime!r} must hold datetimes, got {stamp}"
        raise TypeError(msg)
    if df.schema[symbol] != pl.String:
        df = df.with_columns(pl.col(symbol).cast(pl.String))
    close = float_column(df, "close", "bars")
    present = set(df.columns)
    prices = [float_column(df, c, "bars") if c in present else close for c in _PRICES[:3]]
    volume = float_column(df, "volume", "bars") if "volume" in present else pl.lit(0.0)
    amounts = [float_column(df, "amount", "bars").alias("amount")] if "amount" in present else []
    feed = df.select(
        local.to_physical().alias("time"),
        pl.col(symbol),
        *(p.alias(n) for p, n in zip(prices, _PRICES[:3], strict=True)),
        close.alias("close"),
        volume.alias("volume"),
        *amounts,
    )
    if feed.get_column("time").null_count():
        msg = f"bars column {datetime!r} has missing values"
        raise ValueError(msg)
    acc = MinuteAccumulator(
        segments=[(0, 24 * 60)],
        unit_per_minute=60_000_000,
        label_right=False,
        every=None,
        outside="keep",
    )
    for part in aligned_parts(feed):
        columns = [
            part.get_column(c) if c == symbol else part.get_column(c).to_numpy()
            for c in part.columns
        ]
        time, syms, open_, high, low, close_, volume_ = columns[:7]
        amount = columns[7] if amounts else None
        report = acc.feed(time, syms, open_, high, low, close_, volume_, amount)
        if report is not None:
            _, row, previous, duplicate = report
            if duplicate:
                msg = (
                    f"bars has more than one row for {symbol}={df.item(row, symbol)!r} at "
                    f"{datetime}={df.item(row, datetime)} (rows {previous} and {row})"
                )
                raise ValueError(msg)
            msg = (
                f"bars are not in time order for {symbol}={df.item(row, symbol)!r}: "
                f"{datetime}={df.item(row, datetime)} (row {row}) comes after "
                f"{datetime}={df.item(previous, datetime)} (row {previous})"
            )
            raise ValueError(msg)
    _, out, symbols = acc.finish()
    names = pl.Series(symbol, symbols, dtype=pl.String)
    daily = pl.DataFrame(
        {
            date: date_series(date, out["day"]),
            symbol: names.gather(out["symbol"]),
            **{c: out[c] for c in ("open", "high", "low", "close", "volume", "amount")},
            "bars": out["minutes"],
        }
    )
    aggregated = {datetime, symbol, *_PRICES, "volume", "amount"}
    carried = [c for c in df.columns if c not in aggregated and c not in daily.columns]
    if carried:
        daily = pl.concat(
            [daily, df.select(carried)[out["last_row"].astype(np.int64)]], how="horizontal"
        )
    return daily.sort(date, symbol)
