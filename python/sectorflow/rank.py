"""Rolling and expanding ranks and quantiles: identical to pandas, no O(n·w) path at any window.

Missing values (NaN, null, ±inf) are skipped and not counted, as in pandas' rolling windows.
``min_periods`` counts valid observations. Ranks use pandas' tie methods: ``average`` (the mean
of the tied ranks), ``min`` and ``max``; ``pct=True`` divides by the number of valid values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sectorflow._containers import apply

if TYPE_CHECKING:
    from sectorflow.typing import Container, Interpolation, Keys, RankMethod

__all__ = ["expanding_rank", "rolling_median", "rolling_quantile", "rolling_rank"]


def rolling_rank(
    x: Container,
    window: int,
    *,
    min_periods: int | None = None,
    method: RankMethod = "average",
    pct: bool = True,
    ascending: bool = True,
    by: Keys = None,
) -> Container:
    """Rank of each value within its trailing window (the value itself included).

    Equal to pandas ``rolling(window, min_periods).rank(method=method, ascending=ascending,
    pct=pct)``: the "percentile of today's value over the last ``window`` days".

    Notes
    -----
    With ``less`` values below x_t and ``eq`` values equal to it (itself included) among the
    ``n`` valid values of rows ``t-w+1..t``: average = ``less + (eq + 1) / 2``, min =
    ``less + 1``, max = ``less + eq``; ``pct`` divides by ``n``; ``ascending=False`` counts the
    values above instead. NaN where x_t is missing or ``n < min_periods``. Windows up to 16,384
    mark the window's values in a bitset over the sorted order of a chunk of the series (O(1) to
    add or drop a value, a few words read per rank); longer ones count coordinate-compressed
    values in a Fenwick tree: O(log w) per row.

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> x = np.array([1, 4, 2, 3, 5, 3, np.nan, 3, 3, 1])
    >>> sf.rolling_rank(x, 3, pct=False).tolist()
    [nan, nan, 2.0, 2.0, 3.0, 1.5, nan, nan, nan, 1.0]

    """
    return apply(
        "rolling_rank",
        x,
        window,
        min_periods=min_periods,
        method=method,
        pct=pct,
        ascending=ascending,
        by=by,
    )


def rolling_quantile(
    x: Container,
    window: int,
    q: float,
    *,
    interpolation: Interpolation = "linear",
    min_periods: int | None = None,
    by: Keys = None,
) -> Container:
    """The ``q`` quantile of each trailing window (pandas ``rolling().quantile(q, interpolation)``).

    Notes
    -----
    Position ``p = q (n - 1)`` among the ``n`` sorted valid values ``v``: linear =
    ``v[⌊p⌋] + (v[⌊p⌋+1] - v[⌊p⌋]) (p - ⌊p⌋)``; lower / higher = ``v[⌊p⌋]`` / ``v[⌊p⌋+1]``;
    midpoint = their mean; nearest = the nearer one, an exact half going to the even index (pandas;
    polars rounds half away from zero).

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.rolling_quantile(np.array([5.0, 6.0, 7.0, 8.0]), 4, 0.5).tolist()
    [nan, nan, nan, 6.5]

    """
    return apply(
        "rolling_quantile",
        x,
        window,
        q,
        interpolation=interpolation,
        min_periods=min_periods,
        by=by,
    )


def rolling_median(
    x: Container, window: int, *, min_periods: int | None = None, by: Keys = None
) -> Container:
    """Median of each trailing window, bit for bit pandas ``rolling().median()``.

    The middle value, or the mean ``(a + b) / 2`` of the two middle values: the ``midpoint``
    interpolation at ``q = 0.5`` (``linear`` would compute ``a + (b - a) / 2``, which can differ in
    the last bit).

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.rolling_median(np.array([3.0, 1.0, 2.0, 10.0]), 3).tolist()
    [nan, nan, 2.0, 2.0]

    """
    return rolling_quantile(
        x, window, 0.5, interpolation="midpoint", min_periods=min_periods, by=by
    )


def expanding_rank(
    x: Container,
    *,
    min_periods: int = 1,
    method: RankMethod = "average",
    pct: bool = True,
    ascending: bool = True,
    by: Keys = None,
) -> Container:
    """Rank of each value among all valid values since the start (itself included).

    Equal to pandas ``expanding(min_periods).rank(method, ascending, pct)``: the "historical
    percentile since the start" of every value. With ``n_t`` valid values up to ``t``,
    ``less_t`` of them below ``x_t`` and ``eq_t`` equal to it (itself included)::

        rank_t = less_t + share * (eq_t - 1) + 1,  share = 1/2 (average), 0 (min), 1 (max)

    divided by ``n_t`` when ``pct``; descending ranks count the greater values instead.
    The values go into 1,024 buckets by value; each bucket is ranked on its own, then one sweep
    through time adds the elders in lower buckets: O(n log n), chunks and buckets in parallel.

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.expanding_rank(np.array([2.0, 1.0, 3.0, 2.0])).tolist()
    [1.0, 0.5, 1.0, 0.625]

    """
    return apply(
        "expanding_rank",
        x,
        min_periods=min_periods,
        method=method,
        pct=pct,
        ascending=ascending,
        by=by,
    )
