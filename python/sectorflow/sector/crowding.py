"""Crowding: a weighted composite of the historical percentiles of trading factors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from sectorflow.sector._tables import check_window, ratio_of_sums, sf
from sectorflow.sector.aggregate import sector_table

__all__ = ["CROWDING_FACTORS", "crowding"]


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
        f = sf(sf(c("close")).pct_change(1, by=key)).rolling_std(n, by=key)
    elif name == "bias":
        f = c("close") / sf(c("close")).rolling_mean(n, by=key) - 1.0
    elif name == "volume_price_corr":
        f = sf(c("volume")).rolling_corr(c("close"), n, by=key)
    elif name == "breadth":
        f = sf(c("breadth")).rolling_mean(n, min_periods=1, by=key)
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
    check_window(window, "window")
    check_window(smooth, "smooth")
    if not (0.0 <= low <= high <= 1.0):
        msg = f"need 0 <= low <= high <= 1, got low={low!r}, high={high!r}"
        raise ValueError(msg)
    frame = sector_table(sectors, "sectors", date, key, [])
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
        sf(pl.col(f))
        .rolling_rank(window, min_periods=min(min_periods, window), ascending=w > 0, by=key)
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
