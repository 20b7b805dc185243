"""Rolling-window kernels: pandas' semantics, exact where pandas drifts.

Every function takes a numpy array (1-D, or 2-D with one series per column), a pandas Series or
DataFrame, a polars Series or a pyarrow Array/ChunkedArray, and returns the same kind of container.
Missing values are NaN, null and ±inf (as in pandas): skipped and not counted. ``min_periods``
(default ``window``) counts valid observations; windows count rows. ``by=`` gives one key per row
of long-format data: each key's rows form one series in their given order and the results land at
the original positions (pandas ``groupby(by).rolling(...)`` put back in row order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sectorflow._containers import apply

if TYPE_CHECKING:
    from sectorflow.typing import Container, ExcessMode, Keys

__all__ = [
    "ewm_mean",
    "pct_change",
    "rolling_beta",
    "rolling_corr",
    "rolling_cov",
    "rolling_excess_return",
    "rolling_kurt",
    "rolling_max",
    "rolling_mean",
    "rolling_min",
    "rolling_skew",
    "rolling_std",
    "rolling_sum",
    "rolling_var",
    "rolling_zscore",
]


def rolling_sum(
    x: Container, window: int, *, min_periods: int | None = None, by: Keys = None
) -> Container:
    """Sum of the valid values in the trailing window.

    Notes
    -----
    ``sum_t = Σ_{s=t-w+1..t} x_s`` over valid ``x_s``; 0.0 for an empty window when
    ``min_periods=0`` (as pandas). Computed from block prefix/suffix sums, so no value that has left
    the window leaves any residue and the result cannot drift.

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.rolling_sum(np.array([1.0, 2.0, np.nan, 4.0]), 2, min_periods=1).tolist()
    [1.0, 3.0, 2.0, 4.0]

    """
    return apply("rolling_sum", x, window, min_periods=min_periods, by=by)


def rolling_mean(
    x: Container, window: int, *, min_periods: int | None = None, by: Keys = None
) -> Container:
    """Mean of the valid values in the trailing window.

    Notes
    -----
    ``mean_t = (1/n) Σ x_s`` over the ``n`` valid values of rows ``t-w+1..t``; NaN when
    ``n < min_periods`` or ``n == 0``. A window of equal values returns that value exactly.

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.rolling_mean(np.array([1.0, 2.0, 3.0, 4.0]), 2).tolist()
    [nan, 1.5, 2.5, 3.5]

    """
    return apply("rolling_mean", x, window, min_periods=min_periods, by=by)


def rolling_var(
    x: Container,
    window: int,
    *,
    min_periods: int | None = None,
    ddof: int = 1,
    by: Keys = None,
) -> Container:
    """Variance of the valid values in the trailing window.

    Notes
    -----
    ``var_t = Σ (x_s - mean_t)² / (n - ddof)``; NaN when ``n <= ddof``. Never negative, exactly 0.0
    on a window of equal values (a suspended stock's flat run), and a value that has left the window
    leaves no residue (shifted Youngs-Cramer sums merged by Chan's formula; nothing is subtracted).

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.rolling_var(np.array([1.0, 2.0, 3.0, 4.0, 4.0, 4.0]), 3).round(12).tolist()
    [nan, nan, 1.0, 1.0, 0.333333333333, 0.0]

    """
    return apply("rolling_var", x, window, min_periods=min_periods, ddof=ddof, by=by)


def rolling_std(
    x: Container,
    window: int,
    *,
    min_periods: int | None = None,
    ddof: int = 1,
    by: Keys = None,
) -> Container:
    """Standard deviation of the valid values in the trailing window: ``sqrt(rolling_var)``.

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.rolling_std(np.array([1.0, 3.0, 5.0]), 2).tolist()
    [nan, 1.4142135623730951, 1.4142135623730951]

    """
    return apply("rolling_std", x, window, min_periods=min_periods, ddof=ddof, by=by)


def rolling_zscore(
    x: Container,
    window: int,
    *,
    min_periods: int | None = None,
    ddof: int = 1,
    by: Keys = None,
) -> Container:
    """Z-score of the latest value against its trailing window (the value itself included).

    Notes
    -----
    ``z_t = (x_t - mean_t) / std_t`` with ``mean_t``, ``std_t`` over rows ``t-w+1..t``. NaN when
    ``x_t`` is missing or the window has zero variance (never inf or a huge number).

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.rolling_zscore(np.array([1.0, 2.0, 3.0, 3.0, 3.0]), 3).round(12).tolist()
    [nan, nan, 1.0, 0.57735026919, nan]

    """
    return apply("rolling_zscore", x, window, min_periods=min_periods, ddof=ddof, by=by)


def rolling_skew(
    x: Container, window: int, *, min_periods: int | None = None, by: Keys = None
) -> Container:
    """Bias-corrected sample skewness of the trailing window (pandas ``rolling().skew()``).

    Notes
    -----
    ``skew = sqrt(n(n-1))/(n-2) · m3 / m2^1.5`` with central moments ``m_k = Σ (x-mean)^k / n``;
    NaN below 3 observations or with zero variance.

    """
    return apply("rolling_skew", x, window, min_periods=min_periods, by=by)


def rolling_kurt(
    x: Container, window: int, *, min_periods: int | None = None, by: Keys = None
) -> Container:
    """Bias-corrected excess kurtosis of the trailing window (pandas ``rolling().kurt()``).

    Notes
    -----
    ``kurt = ((n²-1) m4/m2² - 3(n-1)²) / ((n-2)(n-3))`` with ``m_k = Σ (x-mean)^k / n``;
    NaN below 4 observations or with zero variance.

    """
    return apply("rolling_kurt", x, window, min_periods=min_periods, by=by)


def rolling_min(
    x: Container, window: int, *, min_periods: int | None = None, by: Keys = None
) -> Container:
    """Minimum of the valid values in the trailing window (O(1) per row, worst case).

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.rolling_min(np.array([3.0, 1.0, 2.0]), 2).tolist()
    [nan, 1.0, 1.0]

    """
    return apply("rolling_min", x, window, min_periods=min_periods, by=by)


def rolling_max(
    x: Container, window: int, *, min_periods: int | None = None, by: Keys = None
) -> Container:
    """Maximum of the valid values in the trailing window (O(1) per row, worst case).

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.rolling_max(np.array([3.0, 1.0, 2.0]), 2).tolist()
    [nan, 3.0, 2.0]

    """
    return apply("rolling_max", x, window, min_periods=min_periods, by=by)


def rolling_cov(
    x: Container,
    y: object,
    window: int,
    *,
    min_periods: int | None = None,
    ddof: int = 1,
    by: Keys = None,
) -> Container:
    """Covariance of x and y over the rows of the trailing window where both are valid.

    Notes
    -----
    ``cov_t = Σ (x_s - mean_x)(y_s - mean_y) / (n - ddof)`` over pairwise-complete rows
    (pandas ``x.rolling(w).cov(y)``).

    """
    return apply("rolling_cov", x, window, y=y, min_periods=min_periods, ddof=ddof, by=by)


def rolling_corr(
    x: Container,
    y: object,
    window: int,
    *,
    min_periods: int | None = None,
    ddof: int = 1,
    by: Keys = None,
) -> Container:
    """Pearson correlation of x and y over the pairwise-complete rows of the trailing window.

    Notes
    -----
    ``corr_t = cov(x, y) / (std(x) std(y))``, always within [-1, 1]; NaN when either side has zero
    variance in the window. ``ddof`` cancels; it only sets the minimum count ``n > ddof``.

    """
    return apply("rolling_corr", x, window, y=y, min_periods=min_periods, ddof=ddof, by=by)


def rolling_beta(
    y: Container,
    x: object,
    window: int,
    *,
    min_periods: int | None = None,
    ddof: int = 1,
    by: Keys = None,
) -> Container:
    """Regression slope of y on x over the pairwise-complete rows of the trailing window.

    Notes
    -----
    ``beta_t = cov(y, x) / var(x)``, e.g. a stock's beta to the market with ``x`` the market
    return. NaN when x has zero variance in the window. The result has y's container.

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> x = np.array([1.0, 2.0, 4.0, 3.0])
    >>> sf.rolling_beta(2 * x + 1, x, 3).tolist()
    [nan, nan, 2.0, 2.0]

    """
    return apply(
        "rolling_beta",
        y,
        window,
        y=x,
        min_periods=min_periods,
        ddof=ddof,
        by=by,
        names=("y", "x"),
    )


def rolling_excess_return(
    x: Container,
    benchmark: object,
    window: int,
    *,
    mode: ExcessMode = "ratio",
    by: Keys = None,
) -> Container:
    """Excess return of ``x`` over ``benchmark`` across the trailing ``window`` rows.

    Notes
    -----
    With ``g_x = x_t / x_{t-L}`` and ``g_b`` the same of the benchmark, ``L = window``::

        ratio       g_x / g_b - 1                 (relative strength; the default)
        diff        g_x - g_b
        log         ln g_x - ln g_b
        active_nav  NAV_t / NAV_{t-L} - 1,  NAV_t = prod_s<=t (1 + r_x,s - r_b,s)

    where ``r`` are one-row returns and a missing one counts 0 in the NAV. NaN where undefined.
    The one formula of the sector scores' excess return and Haitong's RRG.

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.rolling_excess_return(np.array([100.0, 110.0, 121.0]), np.array([50.0, 50.0, 55.0]), 1)
    array([nan, 0.1, 0. ])

    """
    return apply(
        "rolling_excess_return", x, window, y=benchmark, mode=mode, by=by, names=("x", "benchmark")
    )


def ewm_mean(
    x: Container,
    *,
    com: float | None = None,
    span: float | None = None,
    halflife: float | None = None,
    alpha: float | None = None,
    adjust: bool = True,
    min_periods: int = 0,
    by: Keys = None,
) -> Container:
    """Exponentially weighted mean, as pandas ``ewm(...).mean()`` with ``ignore_na=False``.

    Notes
    -----
    Exactly one decay: ``alpha = 1/(1+com) = 2/(span+1) = 1 - exp(-ln2/halflife)``.
    With ``adjust=True``: ``y_t = Σ_i w_i x_{t-i} / Σ_i w_i`` with ``w_i = (1-alpha)^i`` over valid
    values (a missing row still ages the older weights); with ``adjust=False``:
    ``y_t = (1-alpha) y_{t-1} + alpha x_t``.

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.ewm_mean(np.array([1.0, 2.0, 3.0]), alpha=0.5).tolist()
    [1.0, 1.6666666666666667, 2.4285714285714284]

    """
    return apply(
        "ewm_mean",
        x,
        com=com,
        span=span,
        halflife=halflife,
        alpha=alpha,
        adjust=adjust,
        min_periods=min_periods,
        by=by,
    )


def pct_change(x: Container, periods: int = 1, *, by: Keys = None) -> Container:
    """Fractional change over ``periods`` rows, as pandas 3 ``pct_change`` (no forward fill).

    Notes
    -----
    ``r_t = x_t / x_{t-periods} - 1``; NaN where either end is missing. Negative ``periods`` look
    forward.

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.pct_change(np.array([1.0, 2.0, 3.0])).tolist()
    [nan, 1.0, 0.5]

    """
    return apply("pct_change", x, periods, by=by)
