"""Exact where peers drift: adversarial series against exact rational references.

Each pandas case is re-expressed from ``pandas/tests/window`` and named by the issue it pins.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import sectorflow as sf

RTOL = 1e-12


def exact_windows_var(x: np.ndarray, window: int, ddof: int = 1) -> np.ndarray:
    """Variance of every full window in exact integer arithmetic (x scaled to integers by 2^k)."""
    fr = [Fraction(float(v)) for v in x]
    scale = max(f.denominator for f in fr)
    ints = [int(f * scale) for f in fr]
    out = np.full(len(x), np.nan)
    s1 = s2 = 0
    for i, v in enumerate(ints):
        s1 += v
        s2 += v * v
        if i >= window:
            old = ints[i - window]
            s1 -= old
            s2 -= old * old
        if i >= window - 1:
            num = Fraction(window * s2 - s1 * s1, window * (window - ddof) * scale * scale)
            out[i] = float(num)
    return out


def max_rel_err(got: np.ndarray, want: np.ndarray) -> float:
    ok = ~np.isnan(want)
    assert_array_equal(np.isnan(got), np.isnan(want))
    return float(np.max(np.abs(got[ok] - want[ok]) / np.abs(want[ok])))


def test_spike_leaving_the_window_leaves_no_residue() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 1e-3, 400)
    x[50] = 1e9
    assert max_rel_err(sf.rolling_var(x, 20), exact_windows_var(x, 20)) <= RTOL


def test_price_level_series_with_tiny_moves() -> None:
    rng = np.random.default_rng(2)
    x = 1e4 + np.cumsum(rng.choice([-0.01, 0.0, 0.01], size=3_000))
    x = np.round(x, 2)
    assert max_rel_err(sf.rolling_var(x, 250), exact_windows_var(x, 250)) <= RTOL


def test_return_scale_series() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 1e-8, 2_000)
    assert max_rel_err(sf.rolling_var(x, 60), exact_windows_var(x, 60)) <= RTOL


def test_flat_run_of_a_suspended_stock_is_exactly_zero() -> None:
    rng = np.random.default_rng(4)
    for _ in range(40):
        x = rng.normal(0.0, 1e-4, 1_000)
        x[400:700] = 0.0
        var = sf.rolling_var(x, 60)
        assert (var[459:700] == 0.0).all()
        assert np.isnan(sf.rolling_zscore(x, 60)[459:700]).all()
        assert (var[~np.isnan(var)] >= 0.0).all()


def test_price_level_flat_run_is_exactly_zero_and_mean_exact() -> None:
    x = np.concatenate([np.linspace(10.0, 11.0, 30), np.full(40, 10.37)])
    assert (sf.rolling_var(x, 10)[39:] == 0.0).all()
    assert (sf.rolling_mean(x, 10)[39:] == 10.37).all()
    assert (sf.rolling_std(x, 10, ddof=0)[39:] == 0.0).all()


def test_sums_and_means_do_not_drift_over_ten_million_steps() -> None:
    rng = np.random.default_rng(5)
    n, w = 10_000_000, 250
    x = 1e4 + rng.normal(0.0, 1.0, n)
    x[::1000] = 1e12  # huge values keep entering and leaving
    mean = sf.rolling_mean(x, w)
    total = sf.rolling_sum(x, w)
    for i in [n - 1, n - 2, n - 777, n // 2 + 13]:
        window = x[i - w + 1 : i + 1]
        exact = Fraction(sum(Fraction(float(v)) for v in window))
        assert abs(total[i] - float(exact)) <= 1e-15 * abs(float(exact)) * 4
        assert abs(mean[i] - float(exact / w)) <= 1e-15 * abs(float(exact / w)) * 4
    tail = x[-w:]
    assert mean[-1] == pytest.approx(math.fsum(tail) / w, rel=1e-15)


def test_correlation_stays_in_bounds_at_price_level() -> None:
    rng = np.random.default_rng(6)
    x = 1e4 + np.cumsum(rng.normal(0.0, 0.01, 5_000))
    for y, sign in [(2.0 * x + 3.0, 1.0), (-0.5 * x + 7.0, -1.0)]:
        corr = sf.rolling_corr(x, y, 50)[49:]
        assert np.all(np.abs(corr) <= 1.0)
        assert_allclose(corr, sign, atol=1e-12)


def test_zero_variance_gives_nan_not_inf() -> None:
    x = np.array([1.0, 2.0, 3.0, 5.0, 5.0, 5.0, 5.0])
    y = np.array([2.0, 1.0, 7.0, 1.0, 2.0, 3.0, 4.0])
    assert np.isnan(sf.rolling_zscore(x, 3)[-2:]).all()
    assert np.isnan(sf.rolling_corr(x, y, 3)[-2:]).all()
    assert np.isnan(sf.rolling_beta(y, x, 3)[-2:]).all()
    assert np.isfinite(sf.rolling_beta(x, y, 3)[-2:]).all()


# ---- pandas tests/window, re-expressed -------------------------------------------------------


def test_rolling_var_floating_artifact_precision_37051() -> None:
    # GH 37051: [7, 5, 5, 5] rolling(3).var() ends in exact 0.
    out = sf.rolling_var(np.array([7.0, 5.0, 5.0, 5.0]), 3)
    assert_allclose(out, [np.nan, np.nan, 4 / 3, 0.0], rtol=1e-15)
    assert out[-1] == 0.0


def test_rolling_std_small_values_37051() -> None:
    # GH 37051: 5e-7-scale values keep their std.
    out = sf.rolling_std(np.array([0.00000054, 0.00000053, 0.00000054]), 2)
    assert_allclose(out, [np.nan, 7.0710678118654755e-9, 7.0710678118654755e-9], rtol=1e-8)


@pytest.mark.parametrize(
    ("values", "window", "min_periods", "expected"),
    [
        ([20, 10, 10, np.inf, 1, 1, 2, 3], 3, 1, [np.nan, 50, 100 / 3, 0, 40.5, 0, 1 / 3, 1]),
        ([20, 10, 10, np.nan, 10, 1, 2, 3], 3, 1, [np.nan, 50, 100 / 3, 0, 0, 40.5, 73 / 3, 1]),
        ([np.nan, 5, 6, 7, 5, 5, 5], 3, 3, [np.nan] * 3 + [1, 1, 4 / 3, 0]),
        (
            [5, 7, 7, 7, np.nan, np.inf, 4, 3, 3, 3],
            3,
            3,
            [np.nan] * 2 + [4 / 3, 0] + [np.nan] * 4 + [1 / 3, 0],
        ),
        ([5, 7] * 4, 3, 3, [np.nan] * 2 + [4 / 3] * 6),
        ([5, 7, 5, np.nan, 7, 5, 7], 3, 2, [np.nan, 2, 4 / 3] + [2] * 3 + [4 / 3]),
    ],
)
def test_rolling_var_same_value_count_logic_42064(
    values: list[float], window: int, min_periods: int, expected: list[float]
) -> None:
    # GH 42064: zeros are exactly zero, everything else is right.
    out = sf.rolling_var(np.array(values, dtype=float), window, min_periods=min_periods)
    assert_allclose(out, expected, rtol=1e-15)
    assert_array_equal(out == 0.0, np.array(expected) == 0.0)


@pytest.mark.parametrize(
    ("stat", "values", "window", "ddof", "expected"),
    [
        ("var", [7, 5, 5, 5], 3, 1, [4 / 3, 0]),
        (
            "std",
            [1.2e03, 1.3e17, 1.5e17, 1.995e03, 1.990e03],
            2,
            1,
            [9.192388e16, 1.414214e16, 1.060660e17, 3.535534e00],
        ),
        (
            "std",
            [1, -1, 0, 1, 3, 2, -2, 10000000000, 1, 2, 0, -2, 1, 3, 0, 1],
            6,
            1,
            [1.41421356, 1.87082869] + [4.08248290e09] * 6 + [1.72240142, 1.75119007, 1.64316767],
        ),
    ],
)
def test_rolling_var_correctness_52407(
    stat: str, values: list[float], window: int, ddof: int, expected: list[float]
) -> None:
    # GH 37051, 42064, 54518, 52407, 47721: spikes of 1e10..1e17 leave no residue; never negative.
    out = getattr(sf, f"rolling_{stat}")(np.array(values, dtype=float), window, ddof=ddof)
    out = out[~np.isnan(out)]
    assert_allclose(out, expected, rtol=1e-6)
    assert_array_equal(out == 0.0, np.array(expected) == 0.0)


def test_rolling_var_tiny_scales_54518() -> None:
    # GH 54518/47721: values of 1e-18..1e-73 keep their variance (pandas expected values).
    values = np.array(
        [
            0.0,
            0.0,
            3.16188252e-18,
            2.95781651e-16,
            2.23153542e-51,
            0.0,
            0.0,
            5.39943432e-48,
            1.38206260e-73,
            0.0,
        ]
    )
    expected = [
        3.33250036e-036,
        2.88538519e-032,
        2.88538519e-032,
        2.91622617e-032,
        1.65991678e-102,
        9.71796366e-096,
        9.71796366e-096,
        9.71796366e-096,
    ]
    out = sf.rolling_var(values, 3)[2:]
    assert_allclose(out, expected, rtol=1e-7)


def test_rolling_mean_sum_floating_artifacts_42064() -> None:
    # GH 42064: after 1/3 and 4 leave, the zeros are exact.
    x = np.array([1 / 3, 4, 0, 0, 0, 0, 0])
    assert (sf.rolling_mean(x, 3)[-3:] == 0.0).all()
    assert (sf.rolling_sum(x, 3)[-3:] == 0.0).all()


def test_rolling_skew_kurt_floating_artifacts_46431() -> None:
    # GH 42064 / 46431
    x = np.array([1 / 3, 4, 0, 0, 0, 0, 0])
    assert_allclose(
        sf.rolling_skew(x, 4), [np.nan] * 3 + [1.9619045191072484, 2.0, np.nan, np.nan], rtol=1e-12
    )
    assert_allclose(
        sf.rolling_kurt(x, 4), [np.nan] * 3 + [3.8636048803878786, 4.0, np.nan, np.nan], rtol=1e-12
    )


def test_rolling_numerical_accuracy_kahan_sum_13254() -> None:
    # GH 13254
    out = sf.rolling_sum(np.array([2.186, -1.647, 0.0, 0.0, 0.0, 0.0]), 3)
    assert_allclose(out, [np.nan, np.nan, 0.539, -1.647, 0.0, 0.0], rtol=1e-15)
    assert (out[-2:] == 0.0).all()


def test_rolling_sum_all_nan_window_floating_artifacts_41053() -> None:
    # GH 41053: an all-NaN window with min_periods=0 sums to exactly 0.
    out = sf.rolling_sum(np.array([0.002, 0.008, 0.005, np.nan, np.nan, np.nan]), 3, min_periods=0)
    assert_allclose(out, [0.002, 0.010, 0.015, 0.013, 0.005, 0.0], rtol=1e-15)
    assert out[-1] == 0.0


def test_rolling_numerical_accuracy_small_values_10319() -> None:
    # GH 10319: a window of one returns the value itself.
    x = np.array([0.00012456, 0.0003, -0.0, -0.0])
    assert_array_equal(sf.rolling_mean(x, 1), x)


def test_rolling_std_1obs() -> None:
    # pandas returns all-NaN for window=1, ddof=1, and so do we (issue 20; issue 2 refused it).
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert np.isnan(sf.rolling_std(x, 1, min_periods=1)).all()
    assert (sf.rolling_std(x, 1, min_periods=1, ddof=0) == 0.0).all()
    assert np.isnan(sf.rolling_std(np.array([np.nan, np.nan, 3, 4, 5.0]), 3, min_periods=2)[2])


def test_rolling_std_neg_sqrt() -> None:
    # From bottleneck, via pandas: the std of a decaying window is never NaN.
    a = np.array([0.0011448196318903589] + [0.00028718669878572767] * 4)
    assert np.isfinite(sf.rolling_std(a, 3)[2:]).all()
    assert sf.rolling_std(a, 3)[4] == 0.0
