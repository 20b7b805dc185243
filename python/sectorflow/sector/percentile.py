"""Historical percentiles: where each value stands within its own series' past."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from sectorflow._frames import (
    as_date,
    date_column,
    float_column,
    require,
    sorted_by_key,
    to_polars,
)
from sectorflow.sector._tables import check_window, sf

if TYPE_CHECKING:
    from sectorflow.typing import RankMethod

__all__ = ["historical_percentile"]


def historical_percentile(
    df: Any,
    column: str,
    *,
    window: int | None = None,
    since: Any = None,
    method: RankMethod = "average",
    min_periods: int = 1,
    date: str = "date",
    key: str | None = "sector",
    name: str | None = None,
) -> pl.DataFrame:
    """Percentile of each value of ``column`` within its own history, per ``key``.

    The pandas ``rank(pct=True)`` of ``x_t`` among (``method``: ``average`` ties by default,
    ``min`` or ``max``; the current value included, so results lie in (0, 1])::

        window=None, since=None   all rows of the key up to t       (expanding)
        window=N                  the last N rows up to t           (rolling; e.g. 1250 = 5 years)
        since=DATE                rows from DATE up to t            (null before DATE)

    ``window`` and ``since`` combine (the last N rows, none before DATE). Missing values are
    skipped and get null. Fewer than ``min_periods`` values give null.

    Returns ``df`` (as polars, sorted by key and date) with the column ``name`` (default
    ``<column>_pct``).
    """
    frame = to_polars(df, "df")
    keys = [key] if key is not None else []
    require(frame, [date, *keys, column], "df")
    frame = sorted_by_key(frame, keys, date, "df")
    if window is not None:
        check_window(window, "window")
    if isinstance(min_periods, bool) or not isinstance(min_periods, int) or min_periods < 1:
        msg = f"min_periods must be an integer >= 1, got {min_periods!r}"
        raise ValueError(msg)
    out_name = name or f"{column}_pct"
    values = float_column(frame, column, "df")
    if since is not None:
        # Values before `since` become missing: skipped by the ranks, so no history before it
        # counts, and null themselves.
        start = as_date(since, "since")
        values = pl.when(date_column(frame, date, "df") >= start).then(values)
    x = sf(values)
    by = keys or None
    if window is None:
        rank = x.expanding_rank(min_periods=min_periods, method=method, by=by)
    else:
        rank = x.rolling_rank(window, min_periods=min(min_periods, window), method=method, by=by)
    return frame.with_columns(rank.alias(out_name))
