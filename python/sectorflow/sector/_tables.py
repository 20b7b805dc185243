"""What the sector functions share: window checks, sector tables, ratios of rolling sums."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sectorflow.polars import SectorflowExpr

if TYPE_CHECKING:
    import polars as pl


def check_window(window: int, name: str) -> None:
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
        msg = f"{name} must be an integer >= 1, got {window!r}"
        raise ValueError(msg)


def ratio_of_sums(num: pl.Expr, den: pl.Expr, window: int, key: str) -> pl.Expr:
    """``sum_{window} num / sum_{window} den`` per ``key`` (rows in date order)."""
    rolling_sum = SectorflowExpr.rolling_sum
    return rolling_sum(SectorflowExpr(num), window, by=key) / rolling_sum(
        SectorflowExpr(den), window, by=key
    )


def sf(expr: pl.Expr) -> SectorflowExpr:
    return SectorflowExpr(expr)
