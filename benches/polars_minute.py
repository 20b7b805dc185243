"""The minute-bar job written in native Polars, to time ``sf.minute_bars`` against.

Usage: ``python benches/polars_minute.py FOLDER [--every 30]`` (A-share minutes, stamped at
each minute's end, as ``sf.datasets.write_minute_bars`` writes them). Prints the wall time,
rows read and the process's peak resident memory (MB).

What a Polars user would write for a date-partitioned minute dataset: each day's file read
and reduced eagerly with ``group_by(symbol).agg`` (daily bars and the intraday features) and
``group_by(symbol, bucket).agg`` (30-minute bars aligned to the session, no bar over lunch),
the previous day's closes carried to the next file for the overnight return and Amihud. One
day in memory at a time. ``benches/test_polars_minute.py`` checks it computes what
``sf.minute_bars`` does.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import polars as pl

MORNING, AFTERNOON, SESSION = (570, 690), (780, 900), 240


def _session_minutes(frame: pl.DataFrame, every: int) -> pl.DataFrame:
    start = pl.col("datetime") - pl.duration(minutes=1)  # stamps mark the minute's end
    minute = start.dt.hour().cast(pl.Int32) * 60 + start.dt.minute().cast(pl.Int32)
    morning = (minute >= MORNING[0]) & (minute < MORNING[1])
    afternoon = (minute >= AFTERNOON[0]) & (minute < AFTERNOON[1])
    slot = pl.when(morning).then(minute - MORNING[0]).otherwise(minute - AFTERNOON[0] + 120)
    first = pl.when(morning).then(0).otherwise(120)
    close = pl.col("close")
    return (
        frame.with_columns(minute.alias("minute"))
        .filter((morning | afternoon) & close.is_finite())
        .with_columns(
            pl.col("open").fill_null(close),
            pl.col("high").fill_null(close),
            pl.col("low").fill_null(close),
            pl.col("volume").fill_null(0.0),
            pl.col("amount").fill_null(0.0),
            slot.alias("slot"),
            (first + (slot - first) // every * every).alias("bucket"),
            start.dt.date().alias("date"),
        )
    )


def day_tables(
    frame: pl.DataFrame, previous: pl.DataFrame, every: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The k-minute bars and the daily rows (bars and features) of one day's minutes."""
    f = _session_minutes(frame, every)
    bars = f.group_by("symbol", "bucket").agg(
        pl.col("date").first(),
        pl.col("minute").min().alias("start"),
        pl.col("open").first(),
        pl.col("high").max(),
        pl.col("low").min(),
        pl.col("close").last(),
        pl.col("volume").sum(),
        pl.col("amount").sum(),
        pl.len().alias("minutes"),
    )
    c, v = pl.col("close"), pl.col("volume")
    r = (c / c.shift(1)).log()
    rv = (r**2).sum()
    peak = pl.max_horizontal(c.cum_max(), pl.col("open").first())
    daily = (
        f.group_by("symbol")
        .agg(
            pl.col("date").first(),
            pl.col("open").first(),
            pl.col("high").max(),
            pl.col("low").min(),
            c.last(),
            v.sum(),
            pl.col("amount").sum(),
            pl.len().alias("minutes"),
            rv.alias("realized_variance"),
            (r.count().sqrt() * (r**3).sum() / rv.pow(1.5)).alias("realized_skew"),
            (c.filter(pl.col("slot") < 30).last() / pl.col("open").first() - 1).alias(
                "first_30_return"
            ),
            (v.filter(pl.col("slot") < 30).sum() / v.sum()).alias("first_30_volume_share"),
            (
                c.filter(pl.col("slot") >= SESSION - 30).last()
                / c.filter(pl.col("slot") < SESSION - 30).last()
                - 1
            ).alias("last_30_return"),
            (v.filter(pl.col("slot") >= SESSION - 30).sum() / v.sum()).alias(
                "last_30_volume_share"
            ),
            (1 - c / peak).max().alias("max_drawdown"),
            pl.corr(c, v).alias("volume_price_corr"),
        )
        .join(previous, on="symbol", how="left")
        .with_columns(
            (pl.col("amount") / pl.col("volume")).alias("vwap"),
            (pl.col("close") / pl.col("open") - 1).alias("intraday_return"),
            (pl.col("open") / pl.col("previous_close") - 1).alias("overnight_return"),
            ((pl.col("close") / pl.col("previous_close") - 1).abs() / pl.col("amount")).alias(
                "amihud"
            ),
        )
        .with_columns(
            ((pl.col("high") - pl.col("low")) / pl.col("vwap")).alias("range_to_vwap"),
            pl.col("realized_variance").sqrt().alias("realized_volatility"),
        )
        .drop("previous_close")
    )
    return bars, daily


def minute_job(folder: Path, every: int = 30) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """k-minute bars, daily rows and the rows read, over every day file of ``folder``."""
    previous = pl.DataFrame(schema={"symbol": pl.String, "previous_close": pl.Float64})
    bars, days, rows = [], [], 0
    for file in sorted(folder.rglob("*.parquet")):
        frame = pl.read_parquet(file)
        rows += frame.height
        b, d = day_tables(frame, previous, every)
        bars.append(b)
        days.append(d)
        # Symbols without a bar today keep yesterday's close.
        today = d.select("symbol", pl.col("close").alias("previous_close"))
        previous = pl.concat([previous.join(today, on="symbol", how="anti"), today])
    return (
        pl.concat(bars).sort("symbol", "date", "bucket"),
        pl.concat(days).sort("date", "symbol"),
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--every", type=int, default=30)
    args = parser.parse_args()
    start = time.perf_counter()
    _, _, rows = minute_job(args.folder, args.every)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write(f"{wall} {peak} {rows}\n")


if __name__ == "__main__":
    main()
