"""``pl.Expr.sf``: sectorflow kernels as Polars expressions (lazy, streaming, ``over``-aware).

Importing ``sectorflow`` registers the namespace::

    >>> import polars as pl, sectorflow
    >>> pl.DataFrame({"x": [1.0, 2.0, 3.0]}).select(pl.col("x").sf.rolling_mean(2))["x"].to_list()
    [None, 1.5, 2.5]
"""

from __future__ import annotations

import polars as pl

from sectorflow import _plugin

__all__ = ["SectorflowExpr"]


@pl.api.register_expr_namespace("sf")
class SectorflowExpr:
    """sectorflow kernels on a Polars expression; nulls and NaN are missing, results use null."""

    def __init__(self, expr: pl.Expr) -> None:
        """Wrap ``expr``; Polars calls this when ``expr.sf`` is accessed."""
        self._expr = expr

    def rolling_mean(self, window: int, *, min_periods: int | None = None) -> pl.Expr:
        """Mean of the valid values in the trailing window; see :func:`sectorflow.rolling_mean`."""
        return _plugin.call("rolling_mean", self._expr, window=window, min_periods=min_periods)
