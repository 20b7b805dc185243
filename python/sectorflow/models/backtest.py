"""A long-only top-N rotation from any score table, against a benchmark.

At each rebalance date ``d`` (a bar of the returns' calendar) the ``top_n`` sectors by score on
``d`` are bought; the signal is known at the close of ``d`` and the weights earn the returns of
the bars from ``lag`` bars after ``d`` (``lag >= 1``: never the bar the signal was read on) up to
the bar the next weights start. Between rebalances the holdings drift with their returns
(buy and hold)::

    V_i,t = w_i * prod_{s in period, s <= t} (1 + r_i,s)        holding i's value in the period
    NAV_t = NAV_start * (1 - c) * sum_i V_i,t                   c = cost_bps / 1e4 * sum_i |dw_i|
    turnover = (sum_i |w_i - w~_i| + |cash - cash~|) / 2        w~: the drifted weights before

A held sector without a return on a bar (it stopped trading) keeps its value for that bar. The
benchmark is the equal-weight mean of all sectors' returns on each bar (rebalanced daily), or
the returns of a given index.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from sectorflow._frames import refuse_duplicates, require, single_series, to_polars
from sectorflow.polars import SectorflowExpr
from sectorflow.sector.drawdown import drawdown_episodes

__all__ = ["Backtest", "backtest", "path_metrics", "periods_per_year_of", "rebalance_dates"]

Weighting = Literal["equal", "score"]


@dataclass(frozen=True)
class Backtest:
    """What :func:`backtest` returns.

    ``nav``: ``date, portfolio, benchmark, portfolio_return, benchmark_return, excess_return``
    from the first rebalance date (both NAVs 1 there). ``holdings``: ``rebalance_date, start,
    sector, score, weight`` (``start``: the first bar the weights earn). ``turnover``:
    ``rebalance_date, start, turnover, cost``. ``periods``: ``rebalance_date, start, end,
    portfolio, benchmark, excess`` (returns over each holding period). ``metrics``: see
    :func:`backtest`. ``returns``: ``date, sector, return``, every sector's bar returns as the
    backtest used them. ``key``: the name of the sector column.
    """

    nav: pl.DataFrame
    holdings: pl.DataFrame
    turnover: pl.DataFrame
    periods: pl.DataFrame
    metrics: dict[str, Any]
    returns: pl.DataFrame
    key: str = "sector"


def rebalance_dates(calendar: Sequence[dt.date] | pl.Series, rule: Any) -> list[dt.date]:
    """The bars of ``calendar`` (sorted, distinct) a ``rule`` rebalances on.

    ``"D"`` every bar; ``"W-FRI"`` (or ``"W"``) the last bar of each week ending Friday;
    ``"M"`` the last bar of each month; ``"Q"`` of each quarter; an integer ``k`` every ``k``-th
    bar from the first (in :func:`backtest`, the first bar with a score); a sequence of dates:
    those dates, each of which must be a bar.
    """
    days = pl.Series("date", list(calendar)).cast(pl.Date)
    if isinstance(rule, bool):
        msg = f"rebalance must be a rule, a bar count or dates, got {rule!r}"
        raise TypeError(msg)
    if isinstance(rule, int | np.integer):
        if rule < 1:
            msg = f"rebalance every k bars needs k >= 1, got {rule}"
            raise ValueError(msg)
        return days.gather_every(int(rule)).to_list()
    if isinstance(rule, str):
        periods = {"D": None, "W": "1w", "W-FRI": "1w", "M": "1mo", "Q": "1q"}
        if rule not in periods:
            msg = f"rebalance must be one of {sorted(periods)}, a bar count or dates, got {rule!r}"
            raise ValueError(msg)
        every = periods[rule]
        if every is None:
            return days.to_list()
        frame = pl.DataFrame({"date": days})
        # Weeks ending Friday: shift by 3 days so Saturday starts the (Monday-based) week.
        bucket = (
            (pl.col("date") + pl.duration(days=2)).dt.truncate(every)
            if every == "1w"
            else pl.col("date").dt.truncate(every)
        )
        last = frame.group_by(bucket.alias("b")).agg(pl.col("date").max()).sort("date")
        return last.get_column("date").to_list()
    given = pl.Series("d", list(rule)).cast(pl.Date)
    missing = given.filter(~given.is_in(days.implode()))
    if missing.len():
        msg = f"rebalance date {missing[0]} is not a bar of the returns"
        raise ValueError(msg)
    return given.unique().sort().to_list()


def _returns(frame: pl.DataFrame, date: str, key: str) -> pl.DataFrame:
    """``date, key, r``: the ``return`` column, or the bar-to-bar change of ``close``."""
    if "return" in frame.columns:
        r = pl.col("return").cast(pl.Float64)
    elif "close" in frame.columns:
        r = SectorflowExpr(pl.col("close").cast(pl.Float64)).pct_change(1, by=key, order_by=date)
    else:
        msg = "returns needs a 'return' column (simple returns) or a 'close' column (levels)"
        raise ValueError(msg)
    out = frame.select(
        pl.col(date).cast(pl.Date).alias("date"), pl.col(key).alias("key"), r.alias("r")
    )
    return out.with_columns(pl.col("r").fill_nan(None))


def _benchmark(
    benchmark: Any, rets: pl.DataFrame, calendar: pl.DataFrame, date: str
) -> pl.DataFrame:
    """``date, rb``: the benchmark's return on each bar of the calendar."""
    if isinstance(benchmark, str):
        if benchmark != "equal_weight":
            msg = f"benchmark must be 'equal_weight' or an index table, got {benchmark!r}"
            raise ValueError(msg)
        mean = rets.group_by("date").agg(pl.col("r").mean().alias("rb"))
        return calendar.join(mean, on="date", how="left").with_columns(pl.col("rb").fill_null(0.0))
    index = single_series(benchmark, "benchmark", date, "close")
    index = index.select(pl.col(date).cast(pl.Date).alias("date"), pl.col("close").cast(pl.Float64))
    # The index on the calendar's bars, carried over its own holidays.
    levels = (
        pl.concat([calendar.with_columns(pl.lit(None, pl.Float64).alias("close")), index])
        .group_by("date")
        .agg(pl.col("close").drop_nulls().last())
        .sort("date")
        .with_columns(pl.col("close").forward_fill())
    )
    levels = calendar.join(levels, on="date", how="left")
    return levels.select(
        "date", (pl.col("close") / pl.col("close").shift(1) - 1.0).fill_null(0.0).alias("rb")
    )


#: Median gap between bars (days) up to which the calendar is daily, weekly, monthly.
_GAPS = ((4.0, 252.0), (10.0, 52.0), (45.0, 12.0))


def periods_per_year_of(days: pl.Series) -> float:
    """Bars a year, from the median gap between bars: 252, 52, 12 or 1."""
    if days.len() < 2:  # noqa: PLR2004 (a gap needs two bars)
        return 252.0
    gap = float(np.median(np.diff(days.cast(pl.Int64).to_numpy())))
    return next((p for most, p in _GAPS if gap <= most), 1.0)


def _check_options(top_n: Any, lag: Any, weighting: Any, cost_bps: Any) -> None:
    if isinstance(top_n, bool) or not isinstance(top_n, int | np.integer) or top_n < 1:
        msg = f"top_n must be an integer >= 1, got {top_n!r}"
        raise ValueError(msg)
    if isinstance(lag, bool) or not isinstance(lag, int | np.integer) or lag < 1:
        msg = f"lag must be an integer >= 1 (the signal trades from the next bar), got {lag!r}"
        raise ValueError(msg)
    if weighting not in ("equal", "score"):
        msg = f"weighting must be 'equal' or 'score', got {weighting!r}"
        raise ValueError(msg)
    if not isinstance(cost_bps, int | float) or not math.isfinite(cost_bps) or cost_bps < 0:
        msg = f"cost_bps must be a finite number >= 0, got {cost_bps!r}"
        raise ValueError(msg)


def _tables(
    scores: Any, returns: Any, top_n: int, *, date: str, key: str, score: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``date, key, score`` (finite scores only) and ``date, key, r``, checked."""
    s_frame = to_polars(scores, "scores")
    r_frame = to_polars(returns, "returns")
    require(s_frame, [date, key, score], "scores")
    require(r_frame, [date, key], "returns")
    refuse_duplicates(s_frame, [date, key], "scores")
    refuse_duplicates(r_frame, [date, key], "returns")
    rets = _returns(r_frame, date, key)
    sig = s_frame.select(
        pl.col(date).cast(pl.Date).alias("date"),
        pl.col(key).alias("key"),
        pl.col(score).cast(pl.Float64).alias("score"),
    ).filter(pl.col("score").is_finite())
    universe = sig.select(pl.col("key").unique()).join(
        rets.select(pl.col("key").unique()), on="key"
    )
    if universe.is_empty():
        msg = f"scores and returns have no {key} in common"
        raise ValueError(msg)
    if top_n > universe.height:
        msg = f"top_n ({top_n}) is larger than the universe ({universe.height} {key}s in both)"
        raise ValueError(msg)
    return sig, rets


def _schedule(calendar: pl.DataFrame, sig: pl.DataFrame, rebalance: Any, lag: int) -> pl.DataFrame:
    """``period, rebalance_date, start_bar``: the rebalance dates with scores and a bar to trade."""
    days = calendar.get_column("date")
    first = sig.get_column("date").min()
    candidates = pl.DataFrame(
        {"date": rebalance_dates(days.filter(days >= first), rebalance)}, schema={"date": pl.Date}
    )
    schedule = (
        candidates.join(sig.select(pl.col("date").unique()), on="date", how="semi")
        .join(calendar, on="date")
        .select(pl.col("date").alias("rebalance_date"), (pl.col("bar") + lag).alias("start_bar"))
        .filter(pl.col("start_bar") < calendar.height)
        .sort("rebalance_date")
        .with_row_index("period")
    )
    if schedule.is_empty():
        msg = "scores and returns have no common dates with a bar to trade after them"
        raise ValueError(msg)
    return schedule


def _picks(
    sig: pl.DataFrame, rets: pl.DataFrame, schedule: pl.DataFrame, top_n: int, weighting: str
) -> pl.DataFrame:
    """``period, date, key, score, weight``: the top ``top_n`` trading on each rebalance date."""
    picks = (
        sig.join(schedule, left_on="date", right_on="rebalance_date")
        .join(rets.select("date", "key"), on=["date", "key"], how="semi")
        .sort(["period", "score", "key"], descending=[False, True, False])
        .filter(pl.int_range(pl.len()).over("period") < top_n)
    )
    if weighting == "score":
        bad = picks.filter(pl.col("score") <= 0)
        if bad.height:
            row = bad.row(0, named=True)
            msg = (
                f"weighting='score' needs positive scores, got {row['score']} for "
                f"{row['key']} on {row['date']}"
            )
            raise ValueError(msg)
        weight = pl.col("score") / pl.col("score").sum().over("period")
    else:
        weight = 1.0 / pl.len().over("period")
    return picks.with_columns(weight.alias("weight"))


def _growth(
    calendar: pl.DataFrame, schedule: pl.DataFrame, picks: pl.DataFrame, rets: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The growth of each period and the holdings' values at its end.

    Per bar of the periods ``bar, period, g`` (the period's value per unit invested at its
    start); per holding ``period, key, value`` on the period's last bar.
    """
    bars = calendar.join_asof(
        schedule.select("period", "start_bar").sort("start_bar"),
        left_on="bar",
        right_on="start_bar",
    ).filter(pl.col("period").is_not_null())
    held = (
        bars.join(picks.select("period", "key", "weight"), on="period")
        .join(rets, on=["date", "key"], how="left")
        .sort("period", "key", "bar")
        .with_columns(
            (
                pl.col("weight")
                * (1.0 + pl.col("r").fill_null(0.0)).cum_prod().over("period", "key")
            ).alias("value")
        )
    )
    growth = (
        bars.join(held.group_by("bar").agg(pl.col("value").sum().alias("g")), on="bar", how="left")
        .with_columns(pl.col("g").fill_null(1.0))  # a period without holdings sits in cash
        .sort("bar")
        .select("bar", "period", "g")
    )
    last = held.group_by("period", "key").agg(pl.col("value").last())
    return growth, last


def _trades(
    schedule: pl.DataFrame, picks: pl.DataFrame, last: pl.DataFrame, cost_bps: float
) -> pl.DataFrame:
    """``period, rebalance_date, start_bar, turnover, cost`` of each rebalance.

    The new weights against the drifted ones at the end of the period before (all cash before
    the first).
    """
    drifted = last.select(
        (pl.col("period") + 1).alias("period"),
        "key",
        (pl.col("value") / pl.col("value").sum().over("period")).alias("old"),
    )
    new = picks.select("period", "key", pl.col("weight").alias("new"))
    traded = (
        new.join(drifted, on=["period", "key"], how="full", coalesce=True)
        .group_by("period")
        .agg(
            (pl.col("new").fill_null(0.0) - pl.col("old").fill_null(0.0)).abs().sum().alias("dw"),
            pl.col("new").sum().alias("in_new"),
            pl.col("old").sum().alias("in_old"),
        )
    )
    return (
        schedule.join(traded, on="period", how="left")
        .with_columns(pl.col("dw", "in_new", "in_old").fill_null(0.0))
        .with_columns(
            ((pl.col("dw") + (pl.col("in_new") - pl.col("in_old")).abs()) / 2.0).alias("turnover"),
            (pl.col("dw") * (cost_bps / 1e4)).alias("cost"),
        )
        .select("period", "rebalance_date", "start_bar", "turnover", "cost")
    )


def backtest(
    scores: Any,
    returns: Any,
    *,
    top_n: int = 6,
    rebalance: Any = "M",
    lag: int = 1,
    weighting: Weighting = "equal",
    cost_bps: float = 0.0,
    benchmark: Any = "equal_weight",
    periods_per_year: float | None = None,
    date: str = "date",
    key: str = "sector",
    score: str = "score",
) -> Backtest:
    """Long-only top-``top_n`` rotation on ``scores`` (``date, <key>, score``), long tables.

    ``returns``: ``date, <key>`` with ``return`` (simple returns of each bar) or ``close``
    (levels); its dates are the calendar. ``rebalance``: see :func:`rebalance_dates` (rebalance
    dates without any score are skipped). Selection on a rebalance date: the sectors with a
    finite score and a row in ``returns`` that day, highest score first, ties by key (so the
    choice never depends on row order). ``weighting``: ``"equal"`` (1/n) or ``"score"``
    (``w_i = s_i / sum s``, scores must be positive). ``cost_bps``: charged on the traded weight
    ``sum |dw|`` when the new weights start. ``benchmark``: ``"equal_weight"`` or a ``date,
    close`` table / pandas Series of an index.

    Metrics (``P`` periods a year, inferred from the calendar unless given; ``r`` the
    portfolio's bar returns, ``a = r - r_benchmark``)::

        annual_return        NAV_end ** (P / bars) - 1           (likewise benchmark_annual_return)
        annual_volatility    std(r) * sqrt(P)
        sharpe               mean(r) / std(r) * sqrt(P)          (no risk-free rate)
        excess_annual_return annual_return - benchmark_annual_return
        tracking_error       std(a) * sqrt(P)
        information_ratio    mean(a) / std(a) * sqrt(P)
        max_drawdown         deepest fall of the NAV (with max_drawdown_peak/trough/recovery)
        hit_rate             share of holding periods that beat the benchmark
        average_turnover     mean one-way turnover of the rebalances after the first
    """
    _check_options(top_n, lag, weighting, cost_bps)
    sig, rets = _tables(scores, returns, top_n, date=date, key=key, score=score)
    calendar = rets.select("date").unique().sort("date").with_row_index("bar")
    schedule = _schedule(calendar, sig, rebalance, lag)
    picks = _picks(sig, rets, schedule, top_n, weighting)
    growth, last = _growth(calendar, schedule, picks, rets)
    trades = _trades(schedule, picks, last, cost_bps)
    # NAV: each period starts from the last one's end, less its cost.
    ends = growth.group_by("period").agg(pl.col("g").last().alias("g_end"))
    carry = (
        trades.join(ends, on="period", how="left")
        .sort("period")
        .with_columns(
            ((1.0 - pl.col("cost")) * pl.col("g_end"))
            .cum_prod()
            .shift(1, fill_value=1.0)
            .alias("nav_start")
        )
    )
    portfolio = growth.join(carry.select("period", "nav_start", "cost"), on="period").select(
        "bar", (pl.col("nav_start") * (1.0 - pl.col("cost")) * pl.col("g")).alias("portfolio")
    )
    bench = _benchmark(benchmark, rets, calendar.select("date"), date)
    start = int(schedule.get_column("start_bar")[0])
    nav = (
        calendar.filter(pl.col("bar") >= start - lag)
        .join(portfolio, on="bar", how="left")
        .join(bench, on="date", how="left")
        .sort("bar")
        .with_columns(
            pl.col("portfolio").fill_null(1.0),  # the bars before the first start: cash
            pl.when(pl.col("bar") < start).then(0.0).otherwise(pl.col("rb")).alias("rb"),
        )
        .select(
            "date",
            "portfolio",
            (1.0 + pl.col("rb")).cum_prod().alias("benchmark"),
            (pl.col("portfolio") / pl.col("portfolio").shift(1) - 1.0)
            .fill_null(0.0)
            .alias("portfolio_return"),
            pl.col("rb").alias("benchmark_return"),
        )
        .with_columns(
            (pl.col("portfolio_return") - pl.col("benchmark_return")).alias("excess_return")
        )
    )
    return _result(
        nav=nav,
        rets=rets,
        picks=picks,
        trades=trades,
        calendar=calendar,
        key=key,
        periods_per_year=periods_per_year,
    )


def _result(
    *,
    nav: pl.DataFrame,
    rets: pl.DataFrame,
    picks: pl.DataFrame,
    trades: pl.DataFrame,
    calendar: pl.DataFrame,
    key: str,
    periods_per_year: float | None,
) -> Backtest:
    start_date = calendar.select("bar", pl.col("date").alias("start"))
    holdings = (
        picks.join(trades.select("period", "start_bar"), on="period")
        .join(start_date, left_on="start_bar", right_on="bar")
        .select(
            pl.col("date").alias("rebalance_date"),
            "start",
            pl.col("key").alias(key),
            "score",
            "weight",
        )
        .sort("rebalance_date", "weight", key, descending=[False, True, False])
    )
    turnover = (
        trades.join(start_date, left_on="start_bar", right_on="bar")
        .select("rebalance_date", "start", "turnover", "cost")
        .sort("rebalance_date")
    )
    # Holding periods: from the NAV on the bar before the start to the last bar before the next.
    periods = (
        nav.with_columns(
            pl.col("portfolio").shift(1).alias("p0"), pl.col("benchmark").shift(1).alias("b0")
        )
        .join_asof(turnover.select("rebalance_date", "start"), left_on="date", right_on="start")
        .filter(pl.col("start").is_not_null())
        .group_by("rebalance_date", "start")
        .agg(
            pl.col("date").last().alias("end"),
            (pl.col("portfolio").last() / pl.col("p0").first() - 1.0).alias("portfolio"),
            (pl.col("benchmark").last() / pl.col("b0").first() - 1.0).alias("benchmark"),
        )
        .sort("rebalance_date")
        .with_columns((pl.col("portfolio") - pl.col("benchmark")).alias("excess"))
    )
    metrics = _metrics(nav, periods, turnover, periods_per_year)
    returns = rets.select("date", pl.col("key").alias(key), pl.col("r").alias("return"))
    return Backtest(nav, holdings, turnover, periods, metrics, returns, key)


def path_metrics(
    portfolio: np.ndarray,
    benchmark: np.ndarray,
    period_excess: np.ndarray,
    turnover: np.ndarray,
    periods_per_year: float,
) -> dict[str, float]:
    """The numeric metrics of :func:`backtest` from its NAV paths (both 1 on the first bar).

    ``period_excess``: each holding period's portfolio minus benchmark return; ``turnover``:
    each rebalance's one-way turnover (the first, the initial purchase, is left out).
    """
    p = periods_per_year
    r = portfolio[1:] / portfolio[:-1] - 1.0
    a = r - (benchmark[1:] / benchmark[:-1] - 1.0)
    n = len(r)
    ann = float(portfolio[-1] ** (p / n) - 1.0) if n else math.nan
    ann_b = float(benchmark[-1] ** (p / n) - 1.0) if n else math.nan
    sd = float(np.std(r, ddof=1)) if n > 1 else math.nan
    sd_a = float(np.std(a, ddof=1)) if n > 1 else math.nan
    return {
        "annual_return": ann,
        "benchmark_annual_return": ann_b,
        "annual_volatility": sd * math.sqrt(p),
        "sharpe": float(np.mean(r)) / sd * math.sqrt(p) if sd > 0 else math.nan,
        "excess_annual_return": ann - ann_b,
        "tracking_error": sd_a * math.sqrt(p),
        "information_ratio": float(np.mean(a)) / sd_a * math.sqrt(p) if sd_a > 0 else math.nan,
        "max_drawdown": float(1.0 - np.min(portfolio / np.maximum.accumulate(portfolio))),
        "hit_rate": float(np.mean(period_excess > 0)) if len(period_excess) else math.nan,
        "average_turnover": float(np.mean(turnover[1:])) if len(turnover) > 1 else 0.0,
        "periods_per_year": p,
        "bars": float(n),
    }


def _metrics(
    nav: pl.DataFrame, periods: pl.DataFrame, turnover: pl.DataFrame, periods_per_year: float | None
) -> dict[str, Any]:
    p = (
        periods_per_year
        if periods_per_year is not None
        else periods_per_year_of(nav.get_column("date"))
    )
    metrics: dict[str, Any] = path_metrics(
        nav.get_column("portfolio").to_numpy(),
        nav.get_column("benchmark").to_numpy(),
        periods.get_column("excess").to_numpy(),
        turnover.get_column("turnover").to_numpy(),
        p,
    )
    episodes = drawdown_episodes(
        nav.select("date", pl.col("portfolio").alias("close")), min_depth=0.0
    )
    worst = episodes.sort("depth", descending=True).head(1)
    for k in ("peak", "trough", "recovery"):
        metrics[f"max_drawdown_{k}"] = worst.get_column(k)[0] if worst.height else None
    metrics["bars"] = int(metrics["bars"])
    return metrics
