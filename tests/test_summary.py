"""``rotation_summary``: the weekly report table, recomputed here from the backtest's NAV."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest

import sectorflow as sf
from sectorflow.models.backtest import Backtest, backtest
from sectorflow.models.summary import rotation_summary


@pytest.fixture(scope="module")
def weekly() -> Backtest:
    closes, _ = sf.datasets.ff49_sectors()
    closes = closes.filter(pl.col("date") >= dt.date(2019, 1, 1))
    scores = closes.select(
        "date",
        "sector",
        (pl.col("close") / pl.col("close").shift(20).over("sector") - 1).alias("score"),
    )
    return backtest(scores, closes, rebalance="W-FRI")


@pytest.mark.parametrize("asof", [None, "2021-11-24", "2021-03-05", "2020-01-03"])
def test_summary_equals_the_figures_recomputed_from_the_nav(
    weekly: Backtest, asof: str | None
) -> None:
    got = rotation_summary(weekly, asof)
    nav = weekly.nav.to_pandas().set_index("date")
    nav.index = pd.to_datetime(nav.index)
    day = nav.index[-1] if asof is None else pd.Timestamp(asof)
    # The week: after the last bar of the week (ending Friday) before.
    friday = day + pd.offsets.Week(weekday=4) if day.weekday() != 4 else day
    prior = nav.index[nav.index <= friday - pd.Timedelta(days=7)]
    start = prior[-1]
    assert got.week_start == start.date()
    b = nav["benchmark"]
    assert got.benchmark_week_return == pytest.approx(b[day] / b[start] - 1.0, rel=1e-12)
    # The holdings in effect that week: the last rebalance that started by asof.
    h = weekly.holdings.to_pandas()
    h["start"] = pd.to_datetime(h["start"])
    eff = h[h["start"] == h.loc[h["start"] <= day, "start"].max()]["sector"]
    r = weekly.returns.to_pandas()
    r["date"] = pd.to_datetime(r["date"])
    window = r[(r["date"] > start) & (r["date"] <= day) & r["sector"].isin(eff)]
    mean = window.groupby("sector")["return"].apply(lambda s: np.prod(1 + s.fillna(0.0)) - 1).mean()
    assert got.week_return == pytest.approx(mean, rel=1e-12)
    assert got.excess_week == pytest.approx(mean - (b[day] / b[start] - 1.0), rel=1e-12)
    p = nav["portfolio"]
    for value, first in (
        (got.excess_mtd, day.replace(day=1)),
        (got.excess_ytd, day.replace(month=1, day=1)),
    ):
        base = nav.index[nav.index < first]
        base = base[-1] if len(base) else nav.index[0]
        assert value == pytest.approx((p[day] / p[base]) - (b[day] / b[base]), rel=1e-12, abs=1e-15)
    # Signals: the latest rebalance on or before asof, and the one before it.
    h["rebalance_date"] = pd.to_datetime(h["rebalance_date"])
    dates = sorted(h.loc[h["rebalance_date"] <= day, "rebalance_date"].unique())
    now = set(h.loc[h["rebalance_date"] == dates[-1], "sector"])
    then = set(h.loc[h["rebalance_date"] == dates[-2], "sector"]) if len(dates) > 1 else set()
    assert set(got.holdings) == now
    assert set(got.added) == now - then
    assert set(got.dropped) == then - now
    assert "excess, week" in str(got)


def test_summed_mode_adds_the_weekly_nav_excess(weekly: Backtest) -> None:
    got = rotation_summary(weekly, "2021-11-24", mode="sum")
    nav = weekly.nav.to_pandas()
    nav["date"] = pd.to_datetime(nav["date"])
    nav = nav[nav["date"] <= "2021-11-24"].set_index("date")
    weekly_last = nav.resample("W-FRI").last().dropna()
    p = weekly_last["portfolio"].pct_change().fillna(weekly_last["portfolio"].iloc[0] - 1.0)
    b = weekly_last["benchmark"].pct_change().fillna(weekly_last["benchmark"].iloc[0] - 1.0)
    # Weeks are labelled by their last bar; month to date: the weeks whose last bar is in November.
    last_bars = nav.groupby(pd.Grouper(freq="W-FRI")).apply(lambda g: g.index[-1]).dropna()
    ex = (p - b).to_numpy()
    ends = pd.DatetimeIndex(last_bars.to_numpy())
    assert got.excess_mtd == pytest.approx(ex[ends >= "2021-11-01"].sum(), rel=1e-12)
    assert got.excess_ytd == pytest.approx(ex[ends >= "2021-01-01"].sum(), rel=1e-12)


def test_bad_asof_and_mode_are_refused(weekly: Backtest) -> None:
    with pytest.raises(ValueError, match="asof"):
        rotation_summary(weekly, "2021-11-27")  # a Saturday
    with pytest.raises(ValueError, match="mode"):
        rotation_summary(weekly, mode="average")  # type: ignore[arg-type]
