"""Bad input gets a Python exception naming the argument; nothing panics."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import sectorflow as sf

X = np.arange(10.0)


@pytest.mark.parametrize(
    ("call", "exc", "message"),
    [
        (lambda: sf.rolling_mean(X, 0), ValueError, "window must be >= 1, got 0"),
        (lambda: sf.rolling_mean(X, -3), ValueError, "window must be >= 1, got -3"),
        (
            lambda: sf.rolling_mean(X, 3, min_periods=5),
            ValueError,
            "min_periods must be <= window (3), got 5",
        ),
        (
            lambda: sf.rolling_sum(X, 3, min_periods=-1),
            ValueError,
            "min_periods must be >= 0, got -1",
        ),
        (lambda: sf.rolling_std(X, 3, ddof=-1), ValueError, "ddof must be >= 0, got -1"),
        (
            lambda: sf.rolling_cov(X, X[:5], 3),
            ValueError,
            "y must have the same length as x (10), got length 5",
        ),
        (
            lambda: sf.rolling_beta(X, X[:4], 3),
            ValueError,
            "y must have the same length as x (10), got length 4",
        ),
        (
            lambda: sf.rolling_mean(X, 3, by=["a"] * 4),
            ValueError,
            "by must have the same length as x (10), got length 4",
        ),
        (
            lambda: sf.rolling_mean(np.zeros((2, 2, 2)), 3),
            ValueError,
            "x must be 1-D or 2-D, got 3-D",
        ),
        (
            lambda: sf.rolling_mean(np.array(["a", "b"]), 3),
            TypeError,
            "rolling_mean: x must be numeric, got <U1; cast first",
        ),
        (
            lambda: sf.rolling_mean(np.array([1, "a"], dtype=object), 3),
            TypeError,
            "rolling_mean: x must be numeric, got object; cast first",
        ),
        (
            lambda: sf.rolling_var(pd.Series(["a", "b"]), 2),
            TypeError,
            "rolling_var: x must be numeric, got",
        ),
        (
            lambda: sf.rolling_max(pl.Series(["a", "b"]), 2),
            TypeError,
            "rolling_max: x must be numeric, got String; cast first",
        ),
        (
            lambda: sf.rolling_min(pa.array(["a", "b"]), 2),
            TypeError,
            "rolling_min: x must be numeric, got Arrow type string; cast first",
        ),
        (lambda: sf.rolling_mean("abc", 2), TypeError, "rolling_mean: x must be a numpy array"),
        (lambda: sf.rolling_mean(None, 2), TypeError, "rolling_mean: x must be a numpy array"),
        (
            lambda: sf.rolling_mean(np.zeros((4, 2)), 2, by=[1, 2, 3, 4]),
            ValueError,
            "by= needs 1-D x",
        ),
        (lambda: sf.ewm_mean(X), ValueError, "one of com, span, halflife or alpha must be given"),
        (lambda: sf.ewm_mean(X, span=3, alpha=0.5), ValueError, "mutually exclusive"),
        (lambda: sf.ewm_mean(X, span=0.5), ValueError, "span must be >= 1, got 0.5"),
        (
            lambda: sf.ewm_mean(X, alpha=1.5),
            ValueError,
            "alpha must satisfy 0 < alpha <= 1, got 1.5",
        ),
        (lambda: sf.ewm_mean(X, halflife=0), ValueError, "halflife must be > 0, got 0"),
        (lambda: sf.ewm_mean(X, com=-1), ValueError, "com must be >= 0, got -1"),
        (lambda: sf.set_num_threads(0), ValueError, "n must be between 1 and 1024, got 0"),
        (
            lambda: sf.set_num_threads(10**6),
            ValueError,
            "n must be between 1 and 1024, got 1000000",
        ),
    ],
)
def test_bad_input_names_the_argument(call: object, exc: type[Exception], message: str) -> None:
    with pytest.raises(exc, match=re.escape(message)):
        call()  # type: ignore[operator]


def test_window_must_be_an_integer() -> None:
    with pytest.raises(TypeError, match="window"):
        sf.rolling_mean(X, 2.5)  # type: ignore[arg-type]


def test_huge_window_is_fine() -> None:
    out = sf.rolling_sum(X, 10**12, min_periods=1)
    np.testing.assert_array_equal(out, np.cumsum(X))


@pytest.mark.parametrize("window", [10**6, 10**18, 2**62, 2**63 - 1])
def test_huge_windows_never_panic_2(window: int) -> None:
    # issue 2: a window near 2**63 overflowed the segment-size check and panicked.
    x = np.arange(100_000.0)
    for name in ("rolling_mean", "rolling_std", "rolling_skew", "rolling_max", "rolling_rank"):
        out = getattr(sf, name)(x, window, min_periods=1)
        assert np.isfinite(out[-1]) or name == "rolling_skew"
    assert sf.rolling_quantile(x, window, 0.5, min_periods=1)[-1] == np.median(x)
    assert np.isfinite(sf.rolling_corr(x, x, window, min_periods=2)[-1])
    assert sf.rolling_mean(np.ones((10, 3)), window, min_periods=1)[-1, 0] == 1.0


@pytest.mark.parametrize("periods", [-(2**63), 2**63 - 1, 10**12])
def test_huge_periods_give_nan(periods: int) -> None:
    assert np.isnan(sf.pct_change(np.arange(10.0), periods)).all()
