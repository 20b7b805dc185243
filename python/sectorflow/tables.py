"""Kernels over whole tables, all series at once.

The numpy/Arrow faces of the compiled core's Relative Rotation Graph, sector aggregation and
intraday-to-daily accumulators.

The sector layer reaches the core through these faces only, as it reaches the window kernels
through :mod:`sectorflow.rolling`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sectorflow import _native
from sectorflow._native import DailyAccumulator, SectorAccumulator

if TYPE_CHECKING:
    from sectorflow.typing import ExcessMode, RrgAverage, RrgMethod, RrgNormalize

__all__ = ["DailyAccumulator", "SectorAccumulator", "rrg_matrix", "string_codes"]


def rrg_matrix(
    prices: np.ndarray,
    benchmarks: np.ndarray,
    bench_of: np.ndarray,
    *,
    method: RrgMethod = "jdk",
    window: int = 14,
    momentum_lag: int = 1,
    ddof: int | None = None,
    ma: RrgAverage = "sma",
    normalize: RrgNormalize = "zscore",
    lookback: int = 26,
    excess_mode: ExcessMode = "ratio",
) -> dict[str, np.ndarray]:
    """RS-Ratio and RS-Momentum of every column of ``prices`` (bars x series) at once.

    ``benchmarks`` is bars x benchmarks; column ``j`` of ``prices`` is measured against column
    ``bench_of[j]``. Both are float64 with NaN for a missing bar. Returns ``rs_ratio,
    rs_momentum, distance, heading, velocity`` (float64, bars x series, Fortran order) and
    ``quadrant`` (int8 codes 0-3, -1 where undefined). The formulas of each ``method`` are in
    :func:`sectorflow.rrg`.
    """
    out: dict[str, np.ndarray] = _native.rrg(
        prices,
        benchmarks,
        bench_of,
        method=method,
        window=window,
        momentum_lag=momentum_lag,
        ddof=ddof,
        ma=ma,
        normalize=normalize,
        lookback=lookback,
        excess_mode=excess_mode,
    )
    return out


def string_codes(keys: Any) -> np.ndarray:
    """Dense int64 codes of an Arrow string column in first-seen order (coded in the core)."""
    return np.asarray(_native.string_keys(keys))
