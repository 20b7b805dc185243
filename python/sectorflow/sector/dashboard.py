"""Every sector score of a sector table, computed once, and the weekly table picked from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from sectorflow._frames import as_date, to_polars
from sectorflow.sector.aggregate import sector_aggregate
from sectorflow.sector.crowding import crowding
from sectorflow.sector.drawdown import drawdown, drawdown_episodes
from sectorflow.sector.excess import benchmark_table, excess_return
from sectorflow.sector.percentile import historical_percentile
from sectorflow.sector.rrg import rrg
from sectorflow.sector.turnover import turnover_share

if TYPE_CHECKING:
    from sectorflow.typing import Weighting

__all__ = ["SectorScores", "dashboard_of", "score_sectors", "sector_dashboard"]


@dataclass
class SectorScores:
    """The sector tables of one scoring (long polars frames), each computed once.

    ``turnover`` is None without amounts (a table of index levels).
    """

    sectors: pl.DataFrame
    benchmark: pl.DataFrame
    excess: pl.DataFrame
    turnover: pl.DataFrame | None
    crowding: pl.DataFrame
    drawdown: pl.DataFrame
    episodes: pl.DataFrame
    rrg: pl.DataFrame
    dashboard: pl.DataFrame
    #: Whole-market valuation, month-end heat and the pendulum, when the stocks had the
    #: valuation columns (:mod:`sectorflow.sector.valuation`).
    valuation: pl.DataFrame | None = None
    heat: pl.DataFrame | None = None
    pendulum: pl.DataFrame | None = None

    def tables(self) -> dict[str, pl.DataFrame]:
        """File stem -> table, for the tables present (the benchmark is an input, not a score)."""
        names = ("sectors", "excess", "turnover", "crowding", "drawdown", "episodes", "rrg")
        out = {n: getattr(self, n) for n in names if getattr(self, n) is not None}
        out["dashboard"] = self.dashboard
        out |= {
            n: t for n in ("valuation", "heat", "pendulum") if (t := getattr(self, n)) is not None
        }
        return out


def score_sectors(
    frame: pl.DataFrame,
    benchmark: Any = "market",
    *,
    asof: Any = None,
    window: int = 40,
    since: Any = None,
    percentile_window: int | None = None,
    turnover_window: int = 20,
    crowding_window: int = 1250,
    rrg_freq: str | None = "W-FRI",
    date: str = "date",
    key: str = "sector",
) -> SectorScores:
    """Every score of a sector table ``date, <key>, close[, amount, market_amount, ...]``.

    Excess return over ``benchmark`` and its historical percentile, turnover share and its
    percentile (with amounts), crowding, the underwater curve, drawdown episodes and the RRG on
    ``rrg_freq`` bars; then the weekly table picked from them (:func:`dashboard_of`).
    """
    bench = benchmark_table(frame, benchmark, date, key)
    excess = historical_percentile(
        excess_return(frame, bench, window=window, date=date, key=key),
        "excess_return",
        window=percentile_window,
        since=since,
        date=date,
        key=key,
    )
    turnover = None
    if {"amount", "market_amount"} <= set(frame.columns):
        turnover = historical_percentile(
            turnover_share(frame, window=turnover_window, date=date, key=key),
            "turnover_share",
            window=percentile_window,
            since=since,
            date=date,
            key=key,
        )
    closes = frame.select(date, key, "close")
    scores = SectorScores(
        sectors=frame,
        benchmark=bench,
        excess=excess,
        turnover=turnover,
        crowding=crowding(frame, window=crowding_window, date=date, key=key),
        drawdown=drawdown(closes, date=date, key=key),
        episodes=drawdown_episodes(closes, date=date, key=key),
        rrg=rrg(closes, bench, freq=rrg_freq, date=date, key=key),
        dashboard=pl.DataFrame(),
    )
    scores.dashboard = dashboard_of(scores, asof=asof, date=date, key=key)
    return scores


def dashboard_of(
    scores: SectorScores, *, asof: Any = None, date: str = "date", key: str = "sector"
) -> pl.DataFrame:
    """One row per sector on ``asof`` (default the last date), picked from computed scores.

    Columns: ``excess_return`` and ``excess_return_pct``, ``turnover_share`` and its
    ``_pct`` (null without amounts), ``crowding`` with its flags, ``drawdown``, and the RRG
    point ``rs_ratio, rs_momentum, quadrant``. Each sector shows its last row on or before
    ``asof``; sorted by excess return, highest first.
    """
    table = scores.excess.select(date, key, "close", "excess_return", "excess_return_pct")
    if scores.turnover is not None:
        share = scores.turnover.select(date, key, "turnover_share", "turnover_share_pct")
        table = table.join(share, on=[date, key], how="left")
    else:
        table = table.with_columns(
            pl.lit(None, pl.Float64).alias("turnover_share"),
            pl.lit(None, pl.Float64).alias("turnover_share_pct"),
        )
    crowd = scores.crowding.select(date, key, "crowding", "crowding_high", "crowding_low")
    table = table.join(crowd, on=[date, key], how="left")
    table = table.join(scores.drawdown.select(date, key, "drawdown"), on=[date, key], how="left")
    if asof is not None:
        table = table.filter(pl.col(date) <= as_date(asof, "asof"))
    table = table.sort(key, date).group_by(key, maintain_order=True).last()
    if table.is_empty():
        msg = f"data has no rows on or before asof={asof!r}"
        raise ValueError(msg)
    day = table.get_column(date).max()
    rot = (
        scores.rrg.drop_nulls("quadrant")
        .filter(pl.col(date) <= day)
        .sort(key, date)
        .group_by(key, maintain_order=True)
        .last()
        .select(key, "rs_ratio", "rs_momentum", "quadrant")
    )
    table = table.join(rot, on=key, how="left")
    return table.sort("excess_return", descending=True, nulls_last=True)


def sector_dashboard(
    data: Any,
    benchmark: Any = "market",
    *,
    asof: Any = None,
    window: int = 40,
    since: Any = None,
    percentile_window: int | None = None,
    turnover_window: int = 20,
    crowding_window: int = 1250,
    rrg_freq: str | None = "W-FRI",
    sectors: Mapping[str, Sequence[str]] | None = None,
    weight: Weighting = "float_mcap",
    date: str = "date",
    key: str = "sector",
) -> pl.DataFrame:
    """One row per sector on ``asof``: the weekly table of a sector-rotation report.

    ``data`` is stock bars (a ``symbol`` column; aggregated with :func:`sector_aggregate`,
    ``weight`` and ``sectors``) or a sector table ``date, <key>, close[, amount, ...]``.
    ``benchmark`` is a table/Series of the market index, ``"market"`` (the aggregate of all
    stocks, default; stock bars only) or ``"equal_weight"``. Columns::

        excess_return       window-bar excess return over the benchmark (ratio form)
        excess_return_pct   its historical percentile (expanding, or percentile_window rows,
                            from since)
        turnover_share      turnover_window-day share of market amount, and its percentile
        crowding            crowding composite (crowding_window rows of history) and flags
        drawdown            close / running high - 1
        rs_ratio, rs_momentum, quadrant   the JdK RRG on rrg_freq bars against the benchmark

    Columns whose inputs are absent (a sector table without amounts) are null. ``asof``
    defaults to the last date; each sector shows its last row on or before it. Sorted by
    excess return, highest first. :func:`score_sectors` returns every table behind it.
    """
    frame = to_polars(data, "data")
    if "symbol" in frame.columns:
        frame = sector_aggregate(frame, weight=weight, sectors=sectors, date=date, sector=key)
    return score_sectors(
        frame,
        benchmark,
        asof=asof,
        window=window,
        since=since,
        percentile_window=percentile_window,
        turnover_window=turnover_window,
        crowding_window=crowding_window,
        rrg_freq=rrg_freq,
        date=date,
        key=key,
    ).dashboard
