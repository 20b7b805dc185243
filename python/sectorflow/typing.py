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

__all__ = ["Container", "Frequency", "Interpolation", "Keys", "RankMethod"]
