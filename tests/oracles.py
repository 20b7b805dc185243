"""Independent references: pandas for semantics, fractions for exact numerics."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd


def pandas_rolling(
    stat: str, x: np.ndarray, window: int, min_periods: int | None, ddof: int
) -> np.ndarray:
    r = pd.Series(x).rolling(window, min_periods=min_periods)
    if stat in ("var", "std"):
        return getattr(r, stat)(ddof=ddof).to_numpy()
    return getattr(r, stat)().to_numpy()


def window_values(x: np.ndarray, window: int, i: int) -> np.ndarray:
    w = x[max(0, i + 1 - window) : i + 1]
    return w[np.isfinite(w)]


def exact_var(values: np.ndarray, ddof: int) -> float:
    """Two-pass variance in exact rational arithmetic, rounded once."""
    n = len(values)
    if n <= ddof:
        return float("nan")
    fr = [Fraction(float(v)) for v in values]
    mean = sum(fr, Fraction(0)) / n
    return float(sum(((v - mean) ** 2 for v in fr), Fraction(0)) / (n - ddof))


def exact_rolling_var(x: np.ndarray, window: int, min_periods: int, ddof: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    for i in range(len(x)):
        v = window_values(x, window, i)
        if len(v) >= min_periods:
            out[i] = exact_var(v, ddof)
    return out


def reference_zscore(x: np.ndarray, window: int, min_periods: int, ddof: int) -> np.ndarray:
    """(x_t - mean) / std per window; NaN for a missing x_t or a window of equal values."""
    out = np.full(len(x), np.nan)
    for i in range(len(x)):
        v = window_values(x, window, i)
        if len(v) < min_periods or len(v) <= ddof or not np.isfinite(x[i]) or np.all(v == v[0]):
            continue
        fr = [Fraction(float(a)) for a in v]
        mean = sum(fr, Fraction(0)) / len(fr)
        var = sum(((a - mean) ** 2 for a in fr), Fraction(0)) / (len(fr) - ddof)
        out[i] = float(Fraction(float(x[i])) - mean) / np.sqrt(float(var))
    return out
