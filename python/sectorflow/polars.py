"""``pl.Expr.sf``: every sectorflow kernel as a Polars expression (eager, lazy, streaming).

Importing ``sectorflow`` registers the namespace. The names and options are those of the
functions in :mod:`sectorflow` (see each for the formula); two-input kernels take the other
input as an expression or a column name::

    >>> import polars as pl, sectorflow
    >>> df = pl.DataFrame({"s": ["a", "a", "b", "b", "a"], "x": [1.0, 2.0, 10.0, 30.0, 4.0]})
    >>> df.select(pl.col("x").sf.rolling_mean(2).over("s"))["x"].to_list()
    [None, 1.5, None, 20.0, 3.0]
    >>> df.select(pl.col("x").sf.cs_rank().over("s"))["x"].to_list()
    [0.3333333333333333, 0.6666666666666666, 0.5, 1.0, 1.0]

Missing values: null and NaN are both missing (skipped, not counted, as pandas treats NaN);
the result is null wherever it is missing (a window with too few values, a zero-variance
window for a z-score, a missing input row for a rank). This is the numpy path's result with NaN
turned into null.

The kernels see one whole series per call: they are not elementwise. For long-format data give
the group key to the expression itself, ``by="symbol"`` (a name, an expression, or several)
and ``order_by="date"`` if rows are not in time order; for the cross-sectional ``cs_*`` kernels
``by="date"`` (and optionally the sector)::

    >>> df.select(pl.col("x").sf.rolling_mean(2, by="s"))["x"].to_list()
    [None, 1.5, None, 20.0, 3.0]

That is one plugin call over the whole column. One integer key is coded by its value and one
string key by the core's parallel coder (several keys, an integer key with nulls or spanning
more values than there are rows, and other types, by Polars);
a table already sorted by key is taken as its runs, in place. Otherwise a counting sort carries
each group's values and ``order_by`` keys together, each group is sorted in cache only where it
is out of order, the groups run on sectorflow's own thread pool
(``sectorflow.set_num_threads``), and each row reads its result back. Null keys form a group of
their own, as in ``.over``. The Polars thread that made the call sleeps while ours run, so the
two pools do not oversubscribe the cores (``benches/compare.py --threads`` measures it). Being
one call, the expression sees the whole column even under ``collect(engine="streaming")``: its
inputs and result are held in memory at once, plus 20-40 bytes per row while it runs.

``.over("symbol", order_by="date")`` keeps working: Polars then groups and calls the kernel once
per group, single-threaded inside each call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import polars as pl

from sectorflow import _plugin

if TYPE_CHECKING:
    from sectorflow.typing import ExcessMode, Interpolation, RankMethod

__all__ = ["SectorflowExpr"]


#: Group or order keys of an expression: a column name, an expression, or several of them.
KeyExprs: TypeAlias = "str | pl.Expr | Sequence[str | pl.Expr] | None"


def _expr(other: pl.Expr | str) -> pl.Expr:
    return pl.col(other) if isinstance(other, str) else other


def _keys(keys: KeyExprs) -> list[pl.Expr]:
    if keys is None:
        return []
    if isinstance(keys, str | pl.Expr):
        return [_expr(keys)]
    return [_expr(k) for k in keys]


@pl.api.register_expr_namespace("sf")
class SectorflowExpr:
    """sectorflow kernels on a Polars expression; nulls and NaN are missing, results use null."""

    def __init__(self, expr: pl.Expr) -> None:
        """Wrap ``expr``; Polars calls this when ``expr.sf`` is accessed."""
        self._expr = expr

    def _call(
        self, name: str, *others: pl.Expr, by: KeyExprs, order_by: KeyExprs, **kwargs: Any
    ) -> pl.Expr:
        keys, order = _keys(by), _keys(order_by)
        return _plugin.call(
            name, self._expr, *others, *keys, *order, by=len(keys), order_by=len(order), **kwargs
        )

    def _window(
        self,
        name: str,
        window: int,
        min_periods: int | None,
        ddof: int = 0,
        *others: pl.Expr,
        by: KeyExprs,
        order_by: KeyExprs,
    ) -> pl.Expr:
        return self._call(
            name,
            *others,
            by=by,
            order_by=order_by,
            window=window,
            min_periods=min_periods,
            ddof=ddof,
        )

    # Rolling moments and extremes ---------------------------------------------------------

    def rolling_sum(
        self,
        window: int,
        *,
        min_periods: int | None = None,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Σ of the valid values in the trailing window; :func:`sectorflow.rolling_sum`."""
        return self._window("rolling_sum", window, min_periods, by=by, order_by=order_by)

    def rolling_mean(
        self,
        window: int,
        *,
        min_periods: int | None = None,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Σx / n over the valid values in the window; :func:`sectorflow.rolling_mean`."""
        return self._window("rolling_mean", window, min_periods, by=by, order_by=order_by)

    def rolling_var(
        self,
        window: int,
        *,
        min_periods: int | None = None,
        ddof: int = 1,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Σ(x - mean)² / (n - ddof), exactly 0 on a flat window; :func:`sectorflow.rolling_var`."""
        return self._window("rolling_var", window, min_periods, ddof, by=by, order_by=order_by)

    def rolling_std(
        self,
        window: int,
        *,
        min_periods: int | None = None,
        ddof: int = 1,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """√ of :meth:`rolling_var`; :func:`sectorflow.rolling_std`."""
        return self._window("rolling_std", window, min_periods, ddof, by=by, order_by=order_by)

    def rolling_zscore(
        self,
        window: int,
        *,
        min_periods: int | None = None,
        ddof: int = 1,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """(x_t - window mean) / window std, null if flat; :func:`sectorflow.rolling_zscore`."""
        return self._window("rolling_zscore", window, min_periods, ddof, by=by, order_by=order_by)

    def rolling_skew(
        self,
        window: int,
        *,
        min_periods: int | None = None,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Adjusted Fisher-Pearson skewness (pandas); :func:`sectorflow.rolling_skew`."""
        return self._window("rolling_skew", window, min_periods, by=by, order_by=order_by)

    def rolling_kurt(
        self,
        window: int,
        *,
        min_periods: int | None = None,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Excess kurtosis, bias-corrected (pandas); :func:`sectorflow.rolling_kurt`."""
        return self._window("rolling_kurt", window, min_periods, by=by, order_by=order_by)

    def rolling_min(
        self,
        window: int,
        *,
        min_periods: int | None = None,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Smallest valid value in the window; :func:`sectorflow.rolling_min`."""
        return self._window("rolling_min", window, min_periods, by=by, order_by=order_by)

    def rolling_max(
        self,
        window: int,
        *,
        min_periods: int | None = None,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Largest valid value in the window; :func:`sectorflow.rolling_max`."""
        return self._window("rolling_max", window, min_periods, by=by, order_by=order_by)

    # Two inputs ---------------------------------------------------------------------------

    def rolling_cov(
        self,
        y: pl.Expr | str,
        window: int,
        *,
        min_periods: int | None = None,
        ddof: int = 1,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Σ(x - x̄)(y - ȳ) / (n - ddof) where both are valid; :func:`sectorflow.rolling_cov`."""
        return self._window(
            "rolling_cov", window, min_periods, ddof, _expr(y), by=by, order_by=order_by
        )

    def rolling_corr(
        self,
        y: pl.Expr | str,
        window: int,
        *,
        min_periods: int | None = None,
        ddof: int = 1,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """cov(x, y) / (std x · std y), within [-1, 1]; :func:`sectorflow.rolling_corr`."""
        return self._window(
            "rolling_corr", window, min_periods, ddof, _expr(y), by=by, order_by=order_by
        )

    def rolling_beta(
        self,
        x: pl.Expr | str,
        window: int,
        *,
        min_periods: int | None = None,
        ddof: int = 1,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """cov(self, x) / var(x): this series' beta on ``x``; :func:`sectorflow.rolling_beta`."""
        return self._window(
            "rolling_beta", window, min_periods, ddof, _expr(x), by=by, order_by=order_by
        )

    def rolling_excess_return(
        self,
        benchmark: pl.Expr | str,
        window: int,
        *,
        mode: ExcessMode = "ratio",
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Excess return over ``benchmark`` across ``window`` rows (``rolling_excess_return``)."""
        return self._call(
            "rolling_excess_return",
            _expr(benchmark),
            by=by,
            order_by=order_by,
            window=window,
            mode=mode,
        )

    # Recurrences --------------------------------------------------------------------------

    def ewm_mean(
        self,
        *,
        com: float | None = None,
        span: float | None = None,
        halflife: float | None = None,
        alpha: float | None = None,
        adjust: bool = True,
        min_periods: int = 0,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Σ (1-a)^i x_{t-i} / Σ (1-a)^i, pandas ``ewm().mean()``; :func:`sectorflow.ewm_mean`."""
        return self._call(
            "ewm_mean",
            by=by,
            order_by=order_by,
            com=com,
            span=span,
            halflife=halflife,
            alpha=alpha,
            adjust=adjust,
            min_periods=min_periods,
        )

    def pct_change(
        self, periods: int = 1, *, by: KeyExprs = None, order_by: KeyExprs = None
    ) -> pl.Expr:
        """x_t / x_{t-periods} - 1; :func:`sectorflow.pct_change`."""
        return self._call("pct_change", by=by, order_by=order_by, periods=periods)

    # Ranks and quantiles ------------------------------------------------------------------

    def rolling_rank(
        self,
        window: int,
        *,
        min_periods: int | None = None,
        method: RankMethod = "average",
        pct: bool = True,
        ascending: bool = True,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Rank of x_t in its trailing window (pandas); :func:`sectorflow.rolling_rank`."""
        return self._call(
            "rolling_rank",
            by=by,
            order_by=order_by,
            window=window,
            min_periods=min_periods,
            method=method,
            pct=pct,
            ascending=ascending,
        )

    def rolling_quantile(
        self,
        window: int,
        q: float,
        *,
        interpolation: Interpolation = "linear",
        min_periods: int | None = None,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """The ``q`` quantile of the window (pandas); :func:`sectorflow.rolling_quantile`."""
        return self._call(
            "rolling_quantile",
            by=by,
            order_by=order_by,
            window=window,
            q=q,
            interpolation=interpolation,
            min_periods=min_periods,
        )

    def rolling_median(
        self,
        window: int,
        *,
        min_periods: int | None = None,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Median of the window, pandas' bit for bit; :func:`sectorflow.rolling_median`."""
        return self.rolling_quantile(
            window, 0.5, interpolation="midpoint", min_periods=min_periods, by=by, order_by=order_by
        )

    def expanding_rank(
        self,
        *,
        min_periods: int = 1,
        method: RankMethod = "average",
        pct: bool = True,
        ascending: bool = True,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Rank of x_t among all values so far (pandas); :func:`sectorflow.expanding_rank`."""
        return self._call(
            "expanding_rank",
            by=by,
            order_by=order_by,
            min_periods=min_periods,
            method=method,
            pct=pct,
            ascending=ascending,
        )

    # Cross sections: use with .over("date") or .over("date", "sector") ----------------------

    def cs_rank(
        self,
        *,
        method: RankMethod = "average",
        pct: bool = True,
        ascending: bool = True,
        by: KeyExprs = None,
        order_by: KeyExprs = None,
    ) -> pl.Expr:
        """Rank within each group of ``.over(...)``; :func:`sectorflow.cs_rank`."""
        return self._call(
            "cs_rank", by=by, order_by=order_by, method=method, pct=pct, ascending=ascending
        )

    def cs_zscore(
        self, *, ddof: int = 1, by: KeyExprs = None, order_by: KeyExprs = None
    ) -> pl.Expr:
        """(x - group mean) / group std; :func:`sectorflow.cs_zscore`."""
        return self._call("cs_zscore", by=by, order_by=order_by, ddof=ddof)

    def cs_demean(self, *, by: KeyExprs = None, order_by: KeyExprs = None) -> pl.Expr:
        """The value minus its group mean; :func:`sectorflow.cs_demean`."""
        return self._call("cs_demean", by=by, order_by=order_by)
