"""Cross-sectional statistics: each value against the others of its timestamp (and group).

Long format: ``x``, ``time`` and optionally ``group`` (e.g. a sector) hold one row per symbol and
timestamp; each (time, group) is scored on its own, in parallel, and results land at the original
rows. Wide format: a 2-D numpy array or pandas DataFrame (rows = timestamps, columns = symbols)
with ``time=None`` is scored row by row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

from sectorflow import _native
from sectorflow._containers import C, GroupKeys, apply, length, to_native

if TYPE_CHECKING:
    from sectorflow.typing import Container, Keys, RankMethod

__all__ = ["cs_demean", "cs_rank", "cs_zscore"]


def _cross_section(fn: str, x: C, time: Keys, group: Keys, **kwargs: Any) -> C:
    if time is None:
        if group is not None:
            msg = f"{fn}: group needs time (long format); wide input is scored per row"
            raise ValueError(msg)
        payload, rebuild = to_native(x, fn)
        if not isinstance(payload, np.ndarray) or payload.ndim != 2:  # noqa: PLR2004
            msg = f"{fn}: time is required for 1-D x (long format); wide x must be 2-D"
            raise ValueError(msg)
        # Each row of x is a column of x.T: the runner scores columns in parallel.
        return cast("C", rebuild(getattr(_native, fn)(payload.T, **kwargs).T))
    n = length(x, fn)
    if group is not None:
        keys = GroupKeys.combine(time, group, n)
    else:
        keys = time if isinstance(time, GroupKeys) else GroupKeys(time)
    return apply(fn, x, by=keys, **kwargs)


def cs_rank(
    x: Container,
    time: Keys = None,
    *,
    group: Keys = None,
    method: RankMethod = "average",
    pct: bool = True,
    ascending: bool = True,
) -> Container:
    """Rank of each value among the values of its timestamp (and group).

    Equal to pandas ``groupby([time, group]).rank(method, ascending, pct)`` for long data and
    ``DataFrame.rank(axis=1, ...)`` for wide data. NaN is missing; ±inf are ranked (as pandas).

    Notes
    -----
    With ``less`` values below x and ``eq`` equal (itself included) among the ``n`` valid values
    of its cross-section: average = ``less + (eq + 1) / 2``, min = ``less + 1``, max =
    ``less + eq``; ``pct`` divides by ``n``.

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.cs_rank(np.array([[3.0, 1.0, 2.0], [1.0, 1.0, np.nan]])).tolist()
    [[1.0, 0.3333333333333333, 0.6666666666666666], [0.75, 0.75, nan]]
    >>> sf.cs_rank([3.0, 1.0, 5.0, 7.0], time=["d1", "d1", "d2", "d2"], pct=False).tolist()
    [2.0, 1.0, 1.0, 2.0]

    """
    return _cross_section("cs_rank", x, time, group, method=method, pct=pct, ascending=ascending)


def cs_zscore(x: Container, time: Keys = None, *, group: Keys = None, ddof: int = 1) -> Container:
    """Z-score of each value within its timestamp (and group): ``(x - mean) / std``.

    Equal to pandas ``groupby([time, group]).transform(lambda s: (s - s.mean()) / s.std(ddof))``
    with ±inf treated as missing; NaN where the cross-section has zero variance or ``n <= ddof``.

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.cs_zscore(np.array([[1.0, 2.0, 3.0]])).tolist()
    [[-1.0, 0.0, 1.0]]

    """
    return _cross_section("cs_zscore", x, time, group, ddof=ddof)


def cs_demean(x: Container, time: Keys = None, *, group: Keys = None) -> Container:
    """Each value minus the mean of its timestamp (and group), e.g. sector-neutral returns.

    Equal to pandas ``groupby([time, group]).transform(lambda s: s - s.mean())`` with ±inf treated
    as missing.

    Examples
    --------
    >>> import numpy as np, sectorflow as sf
    >>> sf.cs_demean([1.0, 3.0, 10.0, 20.0], time=[1, 1, 2, 2]).tolist()
    [-1.0, 1.0, -5.0, 5.0]

    """
    return _cross_section("cs_demean", x, time, group)
