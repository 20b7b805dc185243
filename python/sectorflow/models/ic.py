"""Factor evaluation: information coefficients and quantile returns, as alphalens and qlib report.

For each date ``t`` and horizon ``h`` (bars), over the sectors with a finite score and forward
return::

    fwd_i,t(h)  = P_i,t+h / P_i,t - 1                        (the label: it looks ahead on purpose)
    ic_t(h)     = pearson(score_t, fwd_t(h))
    rank_ic_t(h) = pearson(rank(score_t), rank(fwd_t(h)))     (Spearman; average ranks for ties)

Summary per horizon, of the chosen ``method`` (``spearman``: rank IC, ``pearson``: IC) over
the dates with at least ``min_names`` sectors::

    ic_mean = mean(ic_t)   ic_std = std(ic_t, ddof=1)   icir = ic_mean / ic_std
    t_stat  = icir * sqrt(dates)   hit_rate = share of dates with ic_t > 0

Quantile groups: on each date the scores are cut into ``quantiles`` groups of equal count by
rank (group ``ceil(q * rank / n)``, 1 = lowest), and each group's mean forward return is
averaged over the dates; ``long_short`` is the top group's minus the bottom group's, per date,
averaged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from sectorflow._frames import refuse_duplicates, require, to_polars
from sectorflow.polars import SectorflowExpr

__all__ = ["FactorIC", "factor_ic"]


@dataclass(frozen=True)
class FactorIC:
    """What :func:`factor_ic` returns.

    ``daily``: ``date, horizon, n, ic, rank_ic``. ``summary``: one row per horizon, ``horizon,
    dates, ic_mean, ic_std, icir, t_stat, hit_rate`` of the chosen method (the IC decay).
    ``quantiles``: ``horizon, quantile, mean_return``. ``long_short``: ``horizon,
    mean_return, t_stat`` of the top-minus-bottom return.
    """

    daily: pl.DataFrame
    summary: pl.DataFrame
    quantiles: pl.DataFrame
    long_short: pl.DataFrame
    method: str


def _sf(expr: pl.Expr) -> SectorflowExpr:
    return SectorflowExpr(expr)


def factor_ic(
    scores: Any,
    returns: Any,
    *,
    horizons: Sequence[int] = (1, 5, 20),
    method: Literal["spearman", "pearson"] = "spearman",
    quantiles: int = 5,
    min_names: int = 5,
    date: str = "date",
    key: str = "sector",
    score: str = "score",
) -> FactorIC:
    """IC, rank IC, their decay over ``horizons`` and quantile returns of ``scores``.

    ``scores``: ``date, <key>, score``. ``returns``: ``date, <key>`` with ``close`` (levels) or
    ``return`` (simple returns of each bar, chained into levels). See the module for the
    formulas.
    """
    if method not in ("spearman", "pearson"):
        msg = f"method must be 'spearman' or 'pearson', got {method!r}"
        raise ValueError(msg)
    hs = list(horizons)
    if not hs or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in hs):
        msg = f"horizons must be integers >= 1, got {horizons!r}"
        raise ValueError(msg)
    for name, value, least in (("quantiles", quantiles, 2), ("min_names", min_names, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            msg = f"{name} must be an integer >= {least}, got {value!r}"
            raise ValueError(msg)
    s_frame, r_frame = to_polars(scores, "scores"), to_polars(returns, "returns")
    require(s_frame, [date, key, score], "scores")
    require(r_frame, [date, key], "returns")
    refuse_duplicates(s_frame, [date, key], "scores")
    refuse_duplicates(r_frame, [date, key], "returns")
    if "close" in r_frame.columns:
        level = pl.col("close").cast(pl.Float64)
    elif "return" in r_frame.columns:
        level = (
            (1.0 + pl.col("return").cast(pl.Float64).fill_null(0.0))
            .cum_prod()
            .over(key, order_by=date)
        )
    else:
        msg = "returns needs a 'close' column (levels) or a 'return' column (simple returns)"
        raise ValueError(msg)
    levels = r_frame.select(pl.col(date).alias("date"), pl.col(key).alias("key"), level.alias("p"))
    forward = levels.sort("key", "date").with_columns(
        (pl.col("p").shift(-h).over("key") / pl.col("p") - 1.0).alias(f"f{h}") for h in hs
    )
    joined = s_frame.select(
        pl.col(date).alias("date"),
        pl.col(key).alias("key"),
        pl.col(score).cast(pl.Float64).alias("s"),
    ).join(forward, on=["date", "key"])
    if joined.is_empty():
        msg = f"scores and returns have no (date, {key}) in common"
        raise ValueError(msg)
    long = pl.concat(
        [
            joined.select("date", "key", "s", pl.col(f"f{h}").alias("f")).with_columns(
                pl.lit(h).alias("horizon")
            )
            for h in hs
        ]
    ).filter(pl.col("s").is_finite() & pl.col("f").is_finite())
    # Ranks within each date and horizon (average ties, as pandas and scipy).
    ranked = long.with_columns(
        _sf(pl.col("s")).cs_rank(by=["date", "horizon"], pct=False).alias("rs"),
        _sf(pl.col("f")).cs_rank(by=["date", "horizon"], pct=False).alias("rf"),
        pl.len().over("date", "horizon").alias("n"),
    ).filter(pl.col("n") >= min_names)
    daily = (
        ranked.group_by("date", "horizon")
        .agg(
            pl.len().alias("n"),
            pl.corr("s", "f").alias("ic"),
            pl.corr("rs", "rf").alias("rank_ic"),
        )
        .sort("horizon", "date")
        .with_columns(pl.col("ic", "rank_ic").fill_nan(None))
    )
    chosen = "rank_ic" if method == "spearman" else "ic"
    summary = (
        daily.drop_nulls(chosen)
        .group_by("horizon")
        .agg(
            pl.len().alias("dates"),
            pl.col(chosen).mean().alias("ic_mean"),
            pl.col(chosen).std().alias("ic_std"),
            (pl.col(chosen) > 0).mean().alias("hit_rate"),
        )
        .with_columns((pl.col("ic_mean") / pl.col("ic_std")).alias("icir"))
        .with_columns((pl.col("icir") * pl.col("dates").cast(pl.Float64).sqrt()).alias("t_stat"))
        .select("horizon", "dates", "ic_mean", "ic_std", "icir", "t_stat", "hit_rate")
        .sort("horizon")
    )
    grouped = ranked.with_columns(
        (pl.col("rs") * quantiles / pl.col("n"))
        .ceil()
        .cast(pl.Int64)
        .clip(1, quantiles)
        .alias("quantile")
    )
    per_date = grouped.group_by("horizon", "date", "quantile").agg(pl.col("f").mean())
    quantile_table = (
        per_date.group_by("horizon", "quantile")
        .agg(pl.col("f").mean().alias("mean_return"))
        .sort("horizon", "quantile")
    )
    spread = (
        per_date.filter(pl.col("quantile").is_in([1, quantiles]))
        .pivot(on="quantile", index=["horizon", "date"], values="f")
        .select("horizon", (pl.col(str(quantiles)) - pl.col("1")).alias("ls"))
        .drop_nulls()
        .group_by("horizon")
        .agg(
            pl.col("ls").mean().alias("mean_return"),
            (pl.col("ls").mean() / pl.col("ls").std() * pl.len().cast(pl.Float64).sqrt()).alias(
                "t_stat"
            ),
        )
        .sort("horizon")
    )
    return FactorIC(daily, summary, quantile_table, spread, method)
