"""Diffusion indices: how broadly an industry is rising, in [0, 1].

Five constructions (``../shared/docs/indicators.md`` section 7; none is confirmed as China
Post's, each is a standard breadth or position measure). From stock bars with a sector column,
``w_j`` 1 or the member's free-float cap, over the members with a value that day::

    above_ma            DI_t = sum_j w_j 1[P_j,t > SMA_n(P_j)_t] / sum_j w_j
    positive_momentum   DI_t = sum_j w_j 1[P_j,t / P_j,t-n - 1 > 0] / sum_j w_j
    rising_share        DI_t = SMA_n( sum_j w_j 1[P_j,t > P_j,t-1] / sum_j w_j )   (RRGPy #6: n=20)

From sector index levels ``P`` (or, from stock bars, not used)::

    price_position      DI_t = (P_t - min_n P) / (max_n P - min_n P)   (null on a flat window)
    rank                DI_t = rank_t(P_t / P_t-n) / N_t               (pandas average rank, pct)

``smoothing = s > 0`` then takes the EMA of span ``s`` of each industry's DI (pandas
``ewm(span=s, adjust=True)``). A date with fewer than ``min_members`` members with a value
(breadth constructions) is null. Windows count bars of each series.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import polars as pl

from sectorflow._frames import date_column, float_column, refuse_duplicates, require, to_polars
from sectorflow.polars import SectorflowExpr

__all__ = ["BREADTH", "Construction", "Weights", "diffusion_index", "smoothed"]

Construction = Literal["above_ma", "positive_momentum", "rising_share", "price_position", "rank"]
Weights = Literal["equal", "float_mcap"]
#: The constructions read from stock bars; the others read sector index levels.
BREADTH = ("above_ma", "positive_momentum", "rising_share")


def _sf(expr: pl.Expr) -> SectorflowExpr:
    return SectorflowExpr(expr)


def diffusion_index(
    data: Any,
    construction: Construction = "above_ma",
    *,
    n: int = 20,
    smoothing: int = 0,
    weights: Weights = "equal",
    min_members: int = 5,
    date: str = "date",
    symbol: str = "symbol",
    sector: str = "sector",
    close: str = "close",
    cap: str = "float_mcap",
) -> pl.DataFrame:
    """The diffusion index of each industry on each date: ``date, <sector>, diffusion``.

    ``data``: stock bars ``date, <symbol>, <sector>, close[, float_mcap]`` for the breadth
    constructions (``above_ma``, ``positive_momentum``, ``rising_share``), or sector levels
    ``date, <sector>, close`` for ``price_position`` and ``rank`` (see the module for the
    formulas). ``weights``: ``"equal"`` or ``"float_mcap"`` (the ``cap`` column, breadth only).
    ``min_members``: fewest members with a value for a breadth value (else null).
    Returns rows sorted by sector and date.
    """
    if construction not in get_args(Construction):
        msg = f"construction must be one of {get_args(Construction)}, got {construction!r}"
        raise ValueError(msg)
    for name, value, least in (
        ("n", n, 1),
        ("smoothing", smoothing, 0),
        ("min_members", min_members, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            msg = f"{name} must be an integer >= {least}, got {value!r}"
            raise ValueError(msg)
    if weights not in ("equal", "float_mcap"):
        msg = f"weights must be 'equal' or 'float_mcap', got {weights!r}"
        raise ValueError(msg)
    frame = to_polars(data, "data")
    if construction in BREADTH:
        columns = {"date": date, "symbol": symbol, "sector": sector, "close": close, "cap": cap}
        out = _breadth(frame, construction, n=n, weights=weights, least=min_members, **columns)
    else:
        if weights != "equal":
            msg = f"weights apply to the breadth constructions {BREADTH}, not {construction!r}"
            raise ValueError(msg)
        out = _levels(frame, construction, n=n, date=date, sector=sector, close=close)
    return smoothed(out, smoothing, date=date, sector=sector).sort(sector, date)


def smoothed(di: pl.DataFrame, span: int, *, date: str, sector: str) -> pl.DataFrame:
    """``di`` (``date, <sector>, diffusion``) with each sector's diffusion smoothed.

    The EMA of span ``span`` (pandas ``ewm(span, adjust=True)``); unchanged for ``span = 0``.
    """
    if span == 0:
        return di
    return di.with_columns(_sf(pl.col("diffusion")).ewm_mean(span=span, by=sector, order_by=date))


def _breadth(
    frame: pl.DataFrame,
    construction: str,
    *,
    n: int,
    weights: str,
    least: int,
    date: str,
    symbol: str,
    sector: str,
    close: str,
    cap: str,
) -> pl.DataFrame:
    needed = [date, symbol, sector, close] + ([cap] if weights == "float_mcap" else [])
    require(frame, needed, "data")
    refuse_duplicates(frame, [symbol, date], "data")
    p = float_column(frame, close, "data")
    if construction == "above_ma":
        sma = _sf(p).rolling_mean(n, by=symbol, order_by=date)
        up, known = p > sma, sma.is_not_null() & p.is_not_null()
    else:
        lag = n if construction == "positive_momentum" else 1
        change = _sf(p).pct_change(lag, by=symbol, order_by=date)
        up, known = change > 0, change.is_not_null()
    w = float_column(frame, cap, "data") if weights == "float_mcap" else pl.lit(1.0)
    w = pl.when(known & w.is_finite() & (w > 0)).then(w)
    rows = frame.select(
        date_column(frame, date, "data").alias(date),
        pl.col(sector),
        w.alias("__w"),
        (w * up.cast(pl.Float64)).alias("__up"),
    )
    di = (
        rows.group_by(date, sector)
        .agg(
            (pl.col("__up").sum() / pl.col("__w").sum()).alias("diffusion"),
            pl.col("__w").count().alias("__members"),
        )
        .with_columns(
            pl.when(pl.col("__members") >= least).then(pl.col("diffusion")).alias("diffusion")
        )
        .select(date, sector, "diffusion")
    )
    if construction == "rising_share":
        di = di.with_columns(
            _sf(pl.col("diffusion")).rolling_mean(n, by=sector, order_by=date).alias("diffusion")
        )
    return di.with_columns(pl.col("diffusion").fill_nan(None))


def _levels(
    frame: pl.DataFrame, construction: str, *, n: int, date: str, sector: str, close: str
) -> pl.DataFrame:
    require(frame, [date, sector, close], "data")
    refuse_duplicates(frame, [sector, date], "data")
    p = float_column(frame, close, "data")
    di: pl.Expr
    if construction == "price_position":
        lo = _sf(p).rolling_min(n, by=sector, order_by=date)
        hi = _sf(p).rolling_max(n, by=sector, order_by=date)
        di = pl.when(hi > lo).then((p - lo) / (hi - lo))
    else:
        momentum = _sf(p).pct_change(n, by=sector, order_by=date)
        di = _sf(momentum).cs_rank(by=date)
    return frame.select(
        date_column(frame, date, "data").alias(date), pl.col(sector), di.alias("diffusion")
    ).with_columns(pl.col("diffusion").fill_nan(None))
