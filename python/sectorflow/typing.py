"""Type aliases shared by the public API."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

#: Any container the kernels accept; the result has the same type.
Container = TypeVar("Container")

#: Keys for ``by=``: one per row, any hashable values (numpy, pandas, polars, pyarrow or a list).
Keys = Any

#: Tie policies of the rank kernels (pandas' names).
RankMethod = Literal["average", "min", "max"]

#: Interpolations of the quantile kernels (pandas' names).
Interpolation = Literal["linear", "lower", "higher", "nearest", "midpoint"]

#: Bar frequencies of :func:`sectorflow.datasets.synthetic_market`.
Frequency = Literal["1d", "1min"]

#: Relative Rotation Graph definitions (see :func:`sectorflow.rrg`).
RrgMethod = Literal["jdk", "rrg_lite", "rrgpy", "haitong"]

#: The centre an RS-Ratio is measured against: simple or exponential moving average.
RrgAverage = Literal["sma", "ema"]

#: How the JdK RS-Ratio is normalised: a z-score, or the ratio of two moving averages.
RrgNormalize = Literal["zscore", "ma_ratio"]

#: The excess return of a series over its benchmark (the core's one formula, ``ExcessMode``).
ExcessMode = Literal["ratio", "diff", "log", "active_nav"]

#: Weights of the stocks in a sector: free-float cap, total cap or equal.
Weighting = Literal["float_mcap", "mcap", "equal"]

__all__ = [
    "Container",
    "ExcessMode",
    "Frequency",
    "Interpolation",
    "Keys",
    "RankMethod",
    "RrgAverage",
    "RrgMethod",
    "RrgNormalize",
    "Weighting",
]
