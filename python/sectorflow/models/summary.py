"""The weekly table a rotation report publishes: the week, month-to-date and year-to-date.

For ``asof`` (a bar of the backtest) and its week (the bars after the last bar of the week
before, weeks ending Friday)::

    week_return       mean over the holdings of prod_{s in week} (1 + r_i,s) - 1
    benchmark_week    B_asof / B_week_start - 1
    excess_week       week_return - benchmark_week
    excess_mtd        prod (1 + R_p) - prod (1 + R_b) over the month to asof  (compound, default)
                      or the sum of weekly NAV excess returns (P_w - B_w) of its weeks (sum)
    excess_ytd        likewise over the year

The holdings are those of the latest rebalance on or before ``asof`` (held from the bar after
it); added and dropped compare them with the rebalance before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from sectorflow._frames import as_date

if TYPE_CHECKING:
    from sectorflow.models.backtest import Backtest

__all__ = ["RotationSummary", "rotation_summary", "summaries_table"]


@dataclass(frozen=True)
class RotationSummary:
    """What :func:`rotation_summary` returns; ``str()`` prints the report's table."""

    asof: dt.date
    week_start: dt.date
    week_return: float
    benchmark_week_return: float
    excess_week: float
    excess_mtd: float
    excess_ytd: float
    rebalance_date: dt.date
    holdings: list[str]
    added: list[str]
    dropped: list[str]
    mode: str

    def to_frame(self) -> pl.DataFrame:
        """One row per figure: ``item, value``."""
        rows = [
            ("week", f"{self.week_start} .. {self.asof}"),
            ("average return of the holdings", f"{self.week_return:+.2%}"),
            ("benchmark return", f"{self.benchmark_week_return:+.2%}"),
            ("excess, week", f"{self.excess_week:+.2%}"),
            ("excess, month to date", f"{self.excess_mtd:+.2%}"),
            ("excess, year to date", f"{self.excess_ytd:+.2%}"),
            (f"holdings (signal {self.rebalance_date})", ", ".join(self.holdings)),
            ("added", ", ".join(self.added) or "-"),
            ("dropped", ", ".join(self.dropped) or "-"),
        ]
        return pl.DataFrame(rows, schema=["item", "value"], orient="row")

    def __str__(self) -> str:
        """The table as aligned text, as the report prints it."""
        width = max(len(k) for k in self.to_frame().get_column("item"))
        return "\n".join(f"{k:<{width}}  {v}" for k, v in self.to_frame().iter_rows())


def _week_start(nav: pl.DataFrame, asof: dt.date) -> dt.date:
    """The NAV's bar the week of ``asof`` is measured from: the last bar before its week."""
    friday_week = (pl.col("date") + pl.duration(days=2)).dt.truncate("1w")
    weeks = nav.select("date", friday_week.alias("w"))
    this = weeks.filter(pl.col("date") == asof).get_column("w")[0]
    before = weeks.filter(pl.col("w") < this)
    first: dt.date = (before if before.height else nav).get_column("date")[
        -1 if before.height else 0
    ]
    return first


def _since(nav: pl.DataFrame, asof: dt.date, start: dt.date) -> tuple[float, float]:
    """Portfolio and benchmark returns from the last bar before ``start`` to ``asof``."""
    upto = nav.filter(pl.col("date") <= asof)
    before = upto.filter(pl.col("date") < start)
    base = before.tail(1) if before.height else upto.head(1)
    p0, b0 = base.get_column("portfolio")[0], base.get_column("benchmark")[0]
    p1, b1 = upto.get_column("portfolio")[-1], upto.get_column("benchmark")[-1]
    return p1 / p0 - 1.0, b1 / b0 - 1.0


def _summed(nav: pl.DataFrame, asof: dt.date, start: dt.date) -> float:
    """Sum of the weekly NAV excess returns of the weeks ending from ``start`` to ``asof``."""
    upto = nav.filter(pl.col("date") <= asof)
    weekly = (
        upto.group_by((pl.col("date") + pl.duration(days=2)).dt.truncate("1w").alias("w"))
        .agg(pl.col("date").last(), pl.col("portfolio").last(), pl.col("benchmark").last())
        .sort("date")
        .with_columns(
            (pl.col("portfolio") / pl.col("portfolio").shift(1).fill_null(1.0) - 1.0).alias("p"),
            (pl.col("benchmark") / pl.col("benchmark").shift(1).fill_null(1.0) - 1.0).alias("b"),
        )
    )
    return float(
        weekly.filter(pl.col("date") >= start).select((pl.col("p") - pl.col("b")).sum()).item()
    )


def rotation_summary(
    result: Backtest, asof: Any = None, *, mode: Literal["compound", "sum"] = "compound"
) -> RotationSummary:
    """The seed report's weekly table for ``result`` at ``asof`` (default: its last bar).

    See the module for the figures. ``mode``: how month- and year-to-date excess add up,
    ``"compound"`` (difference of compounded returns) or ``"sum"`` (of weekly differences).
    """
    if mode not in ("compound", "sum"):
        msg = f"mode must be 'compound' or 'sum', got {mode!r}"
        raise ValueError(msg)
    nav = result.nav
    day = nav.get_column("date")[-1] if asof is None else as_date(asof, "asof")
    if not nav.filter(pl.col("date") == day).height:
        first, last = nav.get_column("date")[0], nav.get_column("date")[-1]
        msg = f"asof {day} is not a bar of the backtest ({first} .. {last})"
        raise ValueError(msg)
    key = result.key
    signals = result.holdings.filter(pl.col("rebalance_date") <= day)
    dates = signals.get_column("rebalance_date").unique().sort()
    latest = dates[-1]
    held = signals.filter(pl.col("rebalance_date") == latest).get_column(key).to_list()
    before = (
        signals.filter(pl.col("rebalance_date") == dates[-2]).get_column(key).to_list()
        if dates.len() > 1
        else []
    )
    week_start = _week_start(nav, day)
    # The holdings the week earned on: those in effect on its bars, the latest that started.
    in_week = result.holdings.filter(pl.col("start") <= day)
    effective = in_week.filter(pl.col("start") == in_week.get_column("start").max())
    week_rets = (
        result.returns_between(week_start, day, effective.get_column(key).to_list())
        .group_by(key)
        .agg(((1.0 + pl.col("return").fill_null(0.0)).product() - 1.0).alias("g"))
    )
    week_return = float(np.mean(week_rets.get_column("g").to_numpy())) if week_rets.height else 0.0
    _, bench_week = _since(nav, day, nav.filter(pl.col("date") > week_start).get_column("date")[0])
    month = day.replace(day=1)
    year = day.replace(month=1, day=1)
    if mode == "compound":
        p, b = _since(nav, day, month)
        mtd = p - b
        p, b = _since(nav, day, year)
        ytd = p - b
    else:
        mtd, ytd = _summed(nav, day, month), _summed(nav, day, year)
    return RotationSummary(
        asof=day,
        week_start=week_start,
        week_return=week_return,
        benchmark_week_return=bench_week,
        excess_week=week_return - bench_week,
        excess_mtd=mtd,
        excess_ytd=ytd,
        rebalance_date=latest,
        holdings=held,
        added=[k for k in held if k not in before],
        dropped=[k for k in before if k not in held],
        mode=mode,
    )


def summaries_table(summaries: dict[str, RotationSummary]) -> pl.DataFrame:
    """Models side by side, as the weekly report's table: one row per model.

    ``model, week, return, excess_week, excess_mtd, excess_ytd, holdings`` (returns as
    fractions).
    """
    return pl.DataFrame(
        [
            (
                name,
                f"{s.week_start} .. {s.asof}",
                s.week_return,
                s.excess_week,
                s.excess_mtd,
                s.excess_ytd,
                ", ".join(s.holdings),
            )
            for name, s in summaries.items()
        ],
        schema=["model", "week", "return", "excess_week", "excess_mtd", "excess_ytd", "holdings"],
        orient="row",
    )
