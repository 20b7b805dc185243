"""The statistics of market narratives: winning streaks and seasonal excess returns.

"The Philadelphia Semiconductor Index set a record of 18 consecutive gains"; "historically
May-June is when the semiconductor index delivers seasonal excess returns, with higher win
rates".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import polars as pl

from sectorflow._frames import long_closes, single_series

__all__ = ["seasonality", "streaks"]

_KEY = "__key"


def _prices(prices: Any, date: str, key: str | None, close: str) -> pl.DataFrame:
    """``date, __key, close`` sorted by key and date (one series: ``__key`` is "")."""
    if key is None:
        one = single_series(prices, "prices", date, close)
        return one.select(pl.col(date).alias("date"), pl.lit("").alias(_KEY), "close")
    long = long_closes(prices, "prices", date=date, key=key, close=close)
    return long.select(
        pl.col(date).alias("date"), pl.col(key).alias(_KEY), pl.col(close).alias("close")
    )


def _named(df: pl.DataFrame, key: str | None, date: str) -> pl.DataFrame:
    out = df.rename({"date": date}) if date != "date" else df
    return out.drop(_KEY) if key is None else out.rename({_KEY: key})


def streaks(
    prices: Any, *, date: str = "date", key: str | None = None, close: str = "close"
) -> pl.DataFrame:
    """Every run of consecutive gains or losses, with the record and the current run flagged.

    Day ``t`` is a gain when ``close_t > close_t-1`` and a loss when ``close_t < close_t-1``;
    an unchanged close ends both. A run is a maximal stretch of gains (or of losses)::

        days   = its length in bars
        return = close(end) / close(the bar before start) - 1
        longest: the longest run of its direction (the earliest of equals)
        current: the run that includes the last bar

    ``prices``: one series (``date, close``, or a pandas Series), or a long table with
    ``key`` naming the series column. Returns ``[<key>,] direction ("gain"/"loss"), start,
    end, days, return, longest, current``, sorted by key and start.
    """
    df = _prices(prices, date, key, close)
    change = pl.col("close") / pl.col("close").shift(1).over(_KEY) - 1
    sign = pl.when(change > 0).then(1).when(change < 0).then(-1).otherwise(0)
    runs = (
        df.with_columns(
            sign.alias("__sign"),
            pl.col("close").shift(1).over(_KEY).alias("__before"),
            (pl.col("date") == pl.col("date").max().over(_KEY)).alias("__last"),
        )
        .with_columns(pl.col("__sign").rle_id().over(_KEY).alias("__run"))
        .filter(pl.col("__sign") != 0)
        .group_by(_KEY, "__run")
        .agg(
            pl.col("__sign").first(),
            pl.col("date").first().alias("start"),
            pl.col("date").last().alias("end"),
            pl.len().cast(pl.Int64).alias("days"),
            (pl.col("close").last() / pl.col("__before").first() - 1).alias("return"),
            pl.col("__last").any().alias("current"),
        )
        .sort(_KEY, "start")
    )
    direction = pl.when(pl.col("__sign") > 0).then(pl.lit("gain")).otherwise(pl.lit("loss"))
    record = pl.col("days").max().over(_KEY, "__sign")
    first_record = (pl.col("days") == record) & (
        pl.col("start")
        == pl.col("start").filter(pl.col("days") == record).min().over(_KEY, "__sign")
    )
    out = runs.select(
        _KEY,
        direction.alias("direction"),
        "start",
        "end",
        "days",
        "return",
        first_record.alias("longest"),
        "current",
    )
    return _named(out, key, date)


Seasons = Literal["month", "week"] | Mapping[str, Sequence[int]]


def _period_returns(df: pl.DataFrame, by: Seasons) -> pl.DataFrame:
    """``__key, year, period, return``: each calendar period's return, close to close."""
    if by == "week":
        stamp = [
            pl.col("date").dt.iso_year().alias("year"),
            pl.col("date").dt.week().alias("period"),
        ]
    else:
        stamp = [pl.col("date").dt.year().alias("year"), pl.col("date").dt.month().alias("period")]
    ends = (
        df.group_by(_KEY, *stamp)
        .agg(pl.col("close").sort_by("date").last(), pl.col("date").max())
        .sort(_KEY, "date")
    )
    ends = ends.with_columns(
        (pl.col("close") / pl.col("close").shift(1).over(_KEY) - 1).alias("return")
    ).drop_nulls("return")
    if isinstance(by, Mapping):
        return _seasons(ends, by)
    return ends.select(_KEY, "year", "period", "return")


def _seasons(months: pl.DataFrame, seasons: Mapping[str, Sequence[int]]) -> pl.DataFrame:
    """Compounded returns of each season's months within a year (all its months needed)."""
    parts = []
    for name, chosen in seasons.items():
        wanted = sorted(set(chosen))
        if not wanted or not all(isinstance(m, int) and 1 <= m <= 12 for m in wanted):  # noqa: PLR2004
            msg = f"season {name!r} must list months 1-12, got {chosen!r}"
            raise ValueError(msg)
        parts.append(
            months.filter(pl.col("period").is_in(wanted))
            .group_by(_KEY, "year")
            .agg(((pl.col("return") + 1).product() - 1).alias("return"), pl.len().alias("n"))
            .filter(pl.col("n") == len(wanted))
            .select(_KEY, "year", pl.lit(str(name)).alias("period"), "return")
        )
    return pl.concat(parts)


def seasonality(
    prices: Any,
    benchmark: Any = None,
    *,
    by: Seasons = "month",
    date: str = "date",
    key: str | None = None,
    close: str = "close",
) -> pl.DataFrame:
    """Mean return, mean excess return and win rate of each calendar month (or week, or season).

    Each period's return runs from the last close of the period before to the period's last
    close (the first period of a series has none and is left out); against a benchmark::

        excess_y = r_y - r_benchmark,y          (period of year y)
        mean_excess = mean over years of excess_y
        wins        = #(years with excess_y > 0)    (r_y > 0 without a benchmark)
        win_rate    = wins / years

    ``by``: ``"month"`` (periods 1-12), ``"week"`` (ISO weeks 1-53) or seasons, a mapping of
    names to months compounded within each year, e.g. ``{"May-Jun": [5, 6]}`` ("beat the
    market in May-June in k of n years"). ``prices`` is one series or a long table with
    ``key``; ``benchmark`` one series. Returns ``[<key>,] period, years, wins, win_rate,
    mean_return, mean_benchmark, mean_excess`` sorted by key and period.
    """
    if not (by in ("month", "week") or isinstance(by, Mapping)):
        msg = f"by must be 'month', 'week' or a mapping of season names to months, got {by!r}"
        raise ValueError(msg)
    returns = _period_returns(_prices(prices, date, key, close), by)
    if benchmark is not None:
        bench = _period_returns(_prices(benchmark, date, None, close), by).select(
            "year", "period", pl.col("return").alias("benchmark")
        )
        returns = returns.join(bench, on=["year", "period"], how="inner")
        excess = pl.col("return") - pl.col("benchmark")
    else:
        returns = returns.with_columns(pl.lit(None, dtype=pl.Float64).alias("benchmark"))
        excess = pl.col("return")
    out = (
        returns.with_columns(excess.alias("__excess"))
        .group_by(_KEY, "period")
        .agg(
            pl.len().cast(pl.Int64).alias("years"),
            (pl.col("__excess") > 0).sum().cast(pl.Int64).alias("wins"),
            pl.col("return").mean().alias("mean_return"),
            pl.col("benchmark").mean().alias("mean_benchmark"),
            (
                pl.col("__excess").mean() if benchmark is not None else pl.lit(None, pl.Float64)
            ).alias("mean_excess"),
        )
        .with_columns((pl.col("wins") / pl.col("years")).alias("win_rate"))
        .sort(_KEY, "period")
        .select(
            _KEY,
            "period",
            "years",
            "wins",
            "win_rate",
            "mean_return",
            "mean_benchmark",
            "mean_excess",
        )
    )
    return _named(out, key, date).drop(date, strict=False)
