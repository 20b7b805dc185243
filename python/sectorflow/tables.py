"""Kernels over whole tables, all series at once.

The numpy/Arrow faces of the compiled core's Relative Rotation Graph, sector aggregation and
minute-bar (daily and session bars, intraday features) accumulators.

The sector layer reaches the core through these faces only, as it reaches the window kernels
through :mod:`sectorflow.rolling`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from sectorflow import _native
from sectorflow._native import MinuteAccumulator, SectorAccumulator

if TYPE_CHECKING:
    from sectorflow.typing import ExcessMode, RrgAverage, RrgMethod, RrgNormalize

__all__ = [
    "SEQUENCE_FEATURES",
    "VALUATION_SUMS",
    "MinuteAccumulator",
    "Pivot",
    "SectorAccumulator",
    "pivot_last",
    "rrg_matrix",
    "sequence_features_of",
    "string_codes",
    "valuation_sums_of",
]

#: The features :func:`sequence_features_of` computes per bar, in order (extra columns follow).
SEQUENCE_FEATURES: tuple[str, ...] = tuple(_native.SEQUENCE_FEATURES)


def sequence_features_of(
    codes: tuple[np.ndarray, np.ndarray, np.ndarray],
    values: dict[str, np.ndarray],
    extra: Sequence[np.ndarray],
    *,
    entities: int,
    days: int,
    bars_per_day: int,
    average_days: int,
    fill: float,
    where: Callable[[int], str],
) -> tuple[np.ndarray, np.ndarray]:
    """Features and day closes of bars coded by entity, day and bar of the day.

    ``codes``: the three codes per row; ``values``: ``open, high, low, close, vwap, volume,
    amount``. Returns the features ``[entities, days * bars_per_day, F]`` (float32) and the
    day closes ``[entities, days]``; see :mod:`sectorflow.models.sequences`. A repeated cell
    raises ``ValueError`` naming both rows through ``where(row)``.
    """
    coded = [np.ascontiguousarray(c, dtype=np.uint32) for c in codes]
    floats = [
        np.ascontiguousarray(values[c], dtype=np.float64)
        for c in ("open", "high", "low", "close", "vwap", "volume", "amount")
    ]
    entity, day, slot = coded
    open_, high, low, close, vwap, volume, amount = floats
    out = _native.sequence_features(
        entity,
        day,
        slot,
        open_,
        high,
        low,
        close,
        vwap,
        volume,
        amount,
        [np.ascontiguousarray(c, dtype=np.float64) for c in extra],
        entities=entities,
        days=days,
        bars_per_day=bars_per_day,
        average_days=average_days,
        fill=fill,
    )
    if len(out) == 2:  # noqa: PLR2004 (the repeated rows, not the three results)
        row, previous = out
        msg = f"row {row}: a second bar for {where(row)} (the first: row {previous})"
        raise ValueError(msg)
    flat, width, closes = out
    return flat.reshape(entities, days * bars_per_day, width), closes.reshape(entities, days)


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
    ``bench_of[j]``. Both are float64 with NaN for a missing bar, in Fortran order. Returns
    ``rs_ratio, rs_momentum, distance, heading, velocity`` (float64) and ``quadrant`` (int8
    codes 0-3, -1 where undefined), each flat in column order: ``reshape((bars, series),
    order="F")``. The formulas of each ``method`` are in
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


def string_codes(keys: Any, *, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Dense int64 codes of an Arrow string column (``-1`` for a null), and each code's first row.

    The codes follow the keys' first-seen order, or with ``sort`` their sorted order; the core
    codes the rows in parallel pieces.
    """
    codes, first_rows = _native.string_keys(keys, sort=sort)
    return np.asarray(codes), np.asarray(first_rows)


class Pivot(NamedTuple):
    """What :func:`pivot_last` returns.

    The cells (flat, column order) and, if asked, which have a row; or, for a repeated (key,
    day), ``cells`` None and ``duplicate = (row, previous)``.
    """

    cells: np.ndarray | None
    present: np.ndarray | None
    duplicate: tuple[int, int] | None


def pivot_last(
    key: np.ndarray,
    day: np.ndarray,
    value: np.ndarray,
    *,
    first_day: int,
    bar_of_day: np.ndarray,
    bars: int,
    keys: int,
    present: bool = False,
    changes: bool = False,
) -> Pivot:
    """A long table (key code, day, value) as a ``bars x keys`` matrix, in one pass of the core.

    ``key``: int64 codes ``< keys`` (negative: skipped); ``day``: int32 days; ``value``:
    float64, NaN or ±inf missing. ``bar_of_day[d - first_day]`` is the bar (matrix row) of day
    ``d``, negative for none (such days are still checked for repeated rows). Each cell holds
    the value of the key's latest day with a value in the bar; with ``changes``, a cell with a
    row holds instead the change from the key's previous bar with a row (``pct_change(1)`` of
    the key's rows in time order, without sorting them)::

        cell[b, k] = v[b, k] / v[b', k] - 1      b' the bar before b with a row of k

    ``present`` also returns which cells have a row (bool, same layout). The cells come flat in
    column order (``reshape((bars, keys), order="F")``).
    """
    cells, marks, duplicate = _native.pivot_last(
        np.ascontiguousarray(key, dtype=np.int64),
        np.ascontiguousarray(day, dtype=np.int32),
        np.ascontiguousarray(value, dtype=np.float64),
        first_day=first_day,
        bar_of_day=np.ascontiguousarray(bar_of_day, dtype=np.int64),
        bars=bars,
        keys=keys,
        present=present,
        changes=changes,
    )
    return Pivot(cells, marks, duplicate)


#: The sums :func:`valuation_sums_of` returns per cell, in order.
VALUATION_SUMS: tuple[str, ...] = tuple(_native.VALUATION_SUMS)


def valuation_sums_of(
    sector: Any,
    day: np.ndarray,
    values: dict[str, np.ndarray | None],
    *,
    first_day: int,
    days: int,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The whole-market valuation sums of stock rows per (sector, day) cell, in one pass.

    ``sector``: an Arrow string column (a polars String or Categorical Series), coded in the
    same pass (a null leaves the row out); ``day``: int32 days in ``first_day .. first_day +
    days - 1``; ``values``: float64 ``mcap, earnings, book`` and ``amount, float_mcap`` (either
    may be None), NaN and ±inf missing. Rows are summed in fixed pieces in row order and the
    pieces added in order: the same sums to the bit on any number of threads. Returns
    ``sums[sectors, days, len(VALUATION_SUMS)]`` (see :func:`sectorflow.valuation_totals`),
    the rows of each cell ``[sectors, days]`` and the sectors in first-seen order.
    """

    def f64(name: str) -> np.ndarray | None:
        x = values.get(name)
        return None if x is None else np.ascontiguousarray(x, dtype=np.float64)

    def needed(name: str) -> np.ndarray:
        return np.ascontiguousarray(values[name], dtype=np.float64)

    sums, rows, sectors = _native.valuation_sums(
        sector,
        np.ascontiguousarray(day, dtype=np.int32),
        needed("mcap"),
        needed("earnings"),
        needed("book"),
        f64("amount"),
        f64("float_mcap"),
        first_day=first_day,
        days=days,
    )
    keys = len(sectors)
    return sums.reshape(keys, days, len(VALUATION_SUMS)), rows.reshape(keys, days), sectors
