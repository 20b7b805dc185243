"""Sector scores the strategy reports quote: excess returns, historical percentiles, crowding.

All take long tables ``date, <key>, ...`` (polars or pandas) and return polars DataFrames sorted
by key and date. Series are computed per key in date order with the compiled kernels (through
the ``pl.Expr.sf`` namespace, so Polars runs the keys in parallel); windows count rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from sectorflow._frames import (
    as_date,
    date_column,
    float_column,
    refuse_bad_closes,
    refuse_duplicates,
    require,
    single_series,
    to_polars,
)
from sectorflow.polars import SectorflowExpr
from sectorflow.sectors import _check_window, _sector_table, ratio_of_sums

if TYPE_CHECKING:
    from sectorflow.typing import RankMethod

__all__ = ["CROWDING_FACTORS", "crowding", "excess_return", "historical_percentile"]

ExcessMode = Literal["ratio", "diff", "log", "active_nav"]
_MODES = ("ratio", "diff", "log", "active_nav")


def _sf(expr: pl.Expr) -> SectorflowExpr:
    return SectorflowExpr(expr)


def _long_closes(prices: Any, name: str, date: str, key: str, close: str) -> pl.DataFrame:
    """``date, key, close`` from a long table or a wide one (a column per series)."""
    df = to_polars(prices, name)
    require(df, [date], name)
    if key not in df.columns or close not in df.columns:
        values = [c for c in df.columns if c != date]
        if not values:
            msg = f"{name} has no {key!r}/{close!r} columns and no series columns"
            raise ValueError(msg)
        df = df.unpivot(index=date, on=values, variable_name=key, value_name=close)
    out = df.select(
        date_column(df, date, name).alias(date),
        pl.col(key).cast(pl.String),
        float_column(df, close, name).alias(close),
    )
    refuse_duplicates(out, [key, date], name)
    refuse_bad_closes(out, close, name, [key, date])
    return out.sort(key, date)


def _equal_weight(df: pl.DataFrame, date: str, key: str, close: str) -> pl.DataFrame:
    """The equal-weight index of the series: the mean of their daily returns, chained from 1."""
    daily = df.with_columns(_sf(pl.col(close)).pct_change(1).over(key).alias("__r"))
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
        return _equal_weight(_long_closes(base, "sectors", date, key, close), date, key, close)
    msg = f"benchmark must be a table, a Series, 'equal_weight' or 'market', got {benchmark!r}"
    raise ValueError(msg)


def _with_benchmark(df: pl.DataFrame, bench: pl.DataFrame, date: str, key: str) -> pl.DataFrame:
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
    out = df.join(bench, on=date, how="left")
    if out.get_column("benchmark").is_null().all():
        msg = "benchmark has no dates in common with the sectors"
        raise ValueError(msg)
    return out.sort(key, date)


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
    _check_window(window, "window")
    if mode not in _MODES:
        msg = f"mode must be one of {_MODES}, got {mode!r}"
        raise ValueError(msg)
    frame = to_polars(sectors, "sectors")
    df = _long_closes(frame, "sectors", date, key, close)
    df = _with_benchmark(df, benchmark_table(frame, benchmark, date, key, close), date, key)
    p, b = pl.col(close), pl.col("benchmark")
    if mode == "active_nav":
        active = _sf(p).pct_change(1).over(key) - _sf(b).pct_change(1).over(key)
        nav = (1.0 + active.fill_null(0.0)).cum_prod().over(key)
        excess = _sf(nav).pct_change(window).over(key)
    else:
        rp = _sf(p).pct_change(window).over(key)
        rb = _sf(b).pct_change(window).over(key)
        if mode == "ratio":
            excess = (1.0 + rp) / (1.0 + rb) - 1.0
        elif mode == "diff":
            excess = rp - rb
        else:
            excess = rp.log1p() - rb.log1p()
    return df.select(date, key, close, "benchmark", excess.alias("excess_return")).with_columns(
        pl.col("excess_return").fill_nan(None)
    )


def historical_percentile(
    df: Any,
    column: str,
    *,
    window: int | None = None,
    since: Any = None,
    method: RankMethod = "average",
    min_periods: int = 1,
    date: str = "date",
    key: str | None = "sector",
    name: str | None = None,
) -> pl.DataFrame:
    """Percentile of each value of ``column`` within its own history, per ``key``.

    The pandas ``rank(pct=True)`` of ``x_t`` among (``method``: ``average`` ties by default,
    ``min`` or ``max``; the current value included, so results lie in (0, 1])::

        window=None, since=None   all rows of the key up to t       (expanding)
        window=N                  the last N rows up to t           (rolling; e.g. 1250 = 5 years)
        since=DATE                rows from DATE up to t            (null before DATE)

    ``window`` and ``since`` combine (the last N rows, none before DATE). Missing values are
    skipped and get null. Fewer than ``min_periods`` values give null.

    Returns ``df`` (as polars, sorted by key and date) with the column ``name`` (default
    ``<column>_pct``).
    """
    frame = to_polars(df, "df")
    keys = [key] if key is not None else []
    require(frame, [date, *keys, column], "df")
    refuse_duplicates(frame, [*keys, date], "df")
    if window is not None:
        _check_window(window, "window")
    if isinstance(min_periods, bool) or not isinstance(min_periods, int) or min_periods < 1:
        msg = f"min_periods must be an integer >= 1, got {min_periods!r}"
        raise ValueError(msg)
    out_name = name or f"{column}_pct"
    frame = frame.sort([*keys, date])
    values = float_column(frame, column, "df")
    if since is not None:
        # Values before `since` become missing: skipped by the ranks, so no history before it
        # counts, and null themselves.
        start = as_date(since, "since")
        values = pl.when(date_column(frame, date, "df") >= start).then(values)
    x = _sf(values)
    if window is None:
        rank = x.expanding_rank(min_periods=min_periods, method=method)
    else:
        rank = x.rolling_rank(window, min_periods=min(min_periods, window), method=method)
    rank = rank.over(keys) if keys else rank
    return frame.with_columns(rank.alias(out_name))


#: Built-in crowding factors: name -> (inputs, default signed weight). ``n`` is ``smooth``.
CROWDING_FACTORS: dict[str, tuple[tuple[str, ...], float]] = {
    "turnover_share": (("amount", "market_amount"), 1.0),
    "turnover_rate": (("amount", "float_mcap"), 1.0),
    "volatility": (("close",), 1.0),
    "bias": (("close",), 1.0),
    "volume_price_corr": (("volume", "close"), -1.0),
    "breadth": (("breadth",), 1.0),
}


def _factor(name: str, n: int, key: str) -> pl.Expr:
    c = pl.col
    if name == "turnover_share":
        f = ratio_of_sums(c("amount"), c("market_amount"), n, key)
    elif name == "turnover_rate":
        f = ratio_of_sums(c("amount"), c("float_mcap"), n, key)
    elif name == "volatility":
        f = _sf(_sf(c("close")).pct_change(1).over(key)).rolling_std(n).over(key)
    elif name == "bias":
        f = c("close") / _sf(c("close")).rolling_mean(n).over(key) - 1.0
    elif name == "volume_price_corr":
        f = _sf(c("volume")).rolling_corr(c("close"), n).over(key)
    elif name == "breadth":
        f = _sf(c("breadth")).rolling_mean(n, min_periods=1).over(key)
    else:
        f = c(name).cast(pl.Float64)
    return f.fill_nan(None).alias(name)


def crowding(
    sectors: Any,
    *,
    factors: Mapping[str, float] | None = None,
    window: int = 1250,
    min_periods: int = 250,
    smooth: int = 20,
    high: float = 0.95,
    low: float = 0.05,
    date: str = "date",
    key: str = "sector",
) -> pl.DataFrame:
    """Crowding composite: a weighted mean of historical percentiles of crowding factors.

    Built-in factors (``n = smooth`` rows; see ``CROWDING_FACTORS`` for inputs and signs)::

        turnover_share     sum_n amount / sum_n market_amount
        turnover_rate      sum_n amount / sum_n float_mcap
        volatility         STD_n(daily return)
        bias               close / SMA_n(close) - 1
        volume_price_corr  CORR_n(volume, close)              (weight -1: inverted)
        breadth            SMA_n(breadth)

    ``factors`` maps factor names (built-in, or any numeric column of ``sectors``) to signed
    weights; by default every built-in factor whose inputs are present, with the weights above.
    Each factor's percentile is its rolling rank over ``window`` rows (default 1,250, five
    years; ``min_periods`` 250), taken in descending order for a negative weight; then::

        crowding = sum_k |w_k| p_k / sum_k |w_k|     (over the factors defined that day)
        crowding_high = crowding >= high,  crowding_low = crowding <= low

    ``sectors`` is a :func:`sector_aggregate` table (stock bars are aggregated first) or any
    sector table with the inputs. Returns ``date, <key>``, each factor and its ``<factor>_pct``,
    ``crowding``, ``crowding_high``, ``crowding_low``.
    """
    _check_window(window, "window")
    _check_window(smooth, "smooth")
    if not (0.0 <= low <= high <= 1.0):
        msg = f"need 0 <= low <= high <= 1, got low={low!r}, high={high!r}"
        raise ValueError(msg)
    frame = _sector_table(sectors, "sectors", date, key, [])
    if factors is None:
        chosen = {
            f: w for f, (inputs, w) in CROWDING_FACTORS.items() if set(inputs) <= set(frame.columns)
        }
        if not chosen:
            msg = f"sectors has the inputs of no crowding factor (columns: {frame.columns})"
            raise ValueError(msg)
    else:
        chosen = dict(factors)
        if not chosen:
            msg = "factors must name at least one factor"
            raise ValueError(msg)
        for f, w in chosen.items():
            inputs = CROWDING_FACTORS.get(f, ((f,), 1.0))[0]
            for column in inputs:
                if column not in frame.columns:
                    msg = f"crowding factor {f!r} needs column {column!r}, which sectors lacks"
                    raise ValueError(msg)
            if not isinstance(w, int | float) or w == 0:
                msg = f"factors[{f!r}] must be a non-zero weight, got {w!r}"
                raise ValueError(msg)
    values = frame.select(date, key, *(_factor(f, smooth, key) for f in chosen))
    pcts = [
        _sf(pl.col(f))
        .rolling_rank(window, min_periods=min(min_periods, window), ascending=w > 0)
        .over(key)
        .alias(f"{f}_pct")
        for f, w in chosen.items()
    ]
    values = values.with_columns(pcts)
    weighted = pl.sum_horizontal(
        (pl.col(f"{f}_pct") * abs(w)).fill_null(0.0) for f, w in chosen.items()
    )
    total = pl.sum_horizontal(
        pl.col(f"{f}_pct").is_not_null().cast(pl.Float64) * abs(w) for f, w in chosen.items()
    )
    composite = pl.when(total > 0).then(weighted / total).alias("crowding")
    return values.with_columns(composite).with_columns(
        (pl.col("crowding") >= high).alias("crowding_high"),
        (pl.col("crowding") <= low).alias("crowding_low"),
    )
