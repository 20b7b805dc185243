"""Streaks and seasonality against plain loops and pandas, on synthetic and real ETF closes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sectorflow as sf
from tests.data import ETFS, needs_data


def loop_runs(
    dates: list[dt.date], close: list[float]
) -> list[tuple[str, dt.date, dt.date, int, float]]:
    """Runs of gains/losses by walking the closes one by one."""
    runs: list[tuple[str, dt.date, dt.date, int, float]] = []
    current: list = []  # direction, start index, end index
    for i in range(1, len(close)):
        d = "gain" if close[i] > close[i - 1] else "loss" if close[i] < close[i - 1] else None
        if current and d == current[0]:
            current[2] = i
            continue
        if current:
            runs.append(current)  # type: ignore[arg-type]
        current = [d, i, i] if d else []
    if current:
        runs.append(current)  # type: ignore[arg-type]
    return [
        (d, dates[a], dates[b], b - a + 1, close[b] / close[a - 1] - 1)
        for d, a, b in runs  # type: ignore[misc]
    ]


def check_runs(ours: pl.DataFrame, dates: list[dt.date], close: list[float]) -> None:
    ref = loop_runs(dates, close)
    assert ours.height == len(ref)
    assert ours.select("direction", "start", "end", "days").rows() == [r[:4] for r in ref]
    np.testing.assert_allclose(ours["return"].to_numpy(), [r[4] for r in ref], rtol=1e-12)
    for direction in ("gain", "loss"):
        mine = ours.filter(pl.col("direction") == direction)
        if mine.height:
            longest = max(r[3] for r in ref if r[0] == direction)
            first = next(r for r in ref if r[0] == direction and r[3] == longest)
            assert mine.filter(pl.col("longest")).select("start", "days").rows() == [
                (first[1], longest)
            ]
    last = ours.filter(pl.col("current"))
    moved = close[-1] != close[-2] if len(close) > 1 else False
    assert last.height == int(moved)
    if moved:
        assert last["end"].item() == dates[-1]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([1.0, 2.0, 3.0, 2.5, 4.0]), min_size=1, max_size=40))
def test_streaks_equal_a_loop_with_ties_and_flat_days(close: list[float]) -> None:
    dates = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(len(close))]
    ours = sf.streaks(pl.DataFrame({"date": dates, "close": close}))
    check_runs(ours, dates, close)


def test_streaks_of_a_long_table_and_the_past_never_changes() -> None:
    levels, _ = sf.datasets.ff49_sectors()
    some = levels.filter(pl.col("sector").is_in(["Banks", "Chips", "Oil"]))
    ours = sf.streaks(some, key="sector")
    for name, group in some.group_by("sector"):
        check_runs(
            ours.filter(pl.col("sector") == name[0]).drop("sector"),
            group["date"].to_list(),
            group["close"].to_list(),
        )
    cut = dt.date(2000, 1, 3)
    later = some.with_columns(
        pl.when(pl.col("date") > cut).then(pl.col("close") * 1.5).otherwise(pl.col("close"))
    )
    a = ours.filter(pl.col("end") < cut).drop("longest", "current")
    b = sf.streaks(later, key="sector").filter(pl.col("end") < cut).drop("longest", "current")
    assert a.equals(b)


def pandas_season(close: pd.Series, bench: pd.Series, months: list[int]) -> pd.DataFrame:
    """Per year: the season's compounded return and the benchmark's, from month-end closes."""
    m = close.resample("ME").last().pct_change().iloc[1:]
    b = bench.resample("ME").last().pct_change().iloc[1:]
    both = pd.DataFrame({"r": m, "b": b}).dropna()
    season = both[both.index.month.isin(months)]
    per_year = (1 + season).groupby(season.index.year).prod() - 1
    counts = season.groupby(season.index.year).size()
    return per_year[counts == len(months)]


@pytest.fixture(scope="module")
def etfs() -> pl.DataFrame:
    if not ETFS.exists():
        pytest.skip("../shared/data is absent")
    return pl.read_csv(ETFS, try_parse_dates=True).select("date", "symbol", "close", "adj_close")


@needs_data
def test_streaks_of_every_sector_etf_and_spy_equal_a_loop(etfs: pl.DataFrame) -> None:
    ours = sf.streaks(etfs.select("date", "symbol", "close"), key="symbol")
    for (name,), group in etfs.sort("date").group_by("symbol"):
        check_runs(
            ours.filter(pl.col("symbol") == name).drop("symbol"),
            group["date"].to_list(),
            group["close"].to_list(),
        )


@needs_data
def test_spy_longest_gain_streak_with_its_dates(etfs: pl.DataFrame) -> None:
    spy = etfs.filter(pl.col("symbol") == "SPY").sort("date")
    record = sf.streaks(spy.select("date", "close")).filter(
        pl.col("longest"), pl.col("direction") == "gain"
    )
    close, dates = spy["close"].to_list(), spy["date"].to_list()
    best, start = 0, 0
    run = 0
    for i in range(1, len(close)):
        run = run + 1 if close[i] > close[i - 1] else 0
        if run > best:
            best, start = run, i - run + 1
    assert record.select("start", "end", "days").row(0) == (
        dates[start],
        dates[start + best - 1],
        best,
    )
    # The record in this file: 14 gains in a row, 2010-02-26 to 2010-03-17 (+5.8%).
    assert record.select("start", "end", "days").row(0) == (
        dt.date(2010, 2, 26),
        dt.date(2010, 3, 17),
        14,
    )


@needs_data
def test_may_june_seasonality_of_each_sector_etf_against_spy(etfs: pl.DataFrame) -> None:
    prices = etfs.select("date", "symbol", pl.col("adj_close").alias("close"))
    spy = prices.filter(pl.col("symbol") == "SPY").drop("symbol")
    sectors = prices.filter(pl.col("symbol") != "SPY")
    ours = sf.seasonality(sectors, spy, by={"May-Jun": [5, 6]}, key="symbol")
    months = sf.seasonality(sectors, spy, key="symbol")
    frame = prices.to_pandas()
    frame["date"] = pd.to_datetime(frame["date"])
    wide = frame.pivot(index="date", columns="symbol", values="close")
    for name in sorted(set(sectors["symbol"])):
        ref = pandas_season(wide[name].dropna(), wide["SPY"], [5, 6])
        row = ours.filter(pl.col("symbol") == name).row(0, named=True)
        excess = ref["r"] - ref["b"]
        assert row["years"] == len(ref)
        assert row["wins"] == int((excess > 0).sum())
        assert row["mean_excess"] == pytest.approx(excess.mean(), rel=1e-12)
        may = pandas_season(wide[name].dropna(), wide["SPY"], [5])
        mine = months.filter(pl.col("symbol") == name, pl.col("period") == 5).row(0, named=True)
        assert mine["years"] == len(may)
        assert mine["mean_excess"] == pytest.approx((may["r"] - may["b"]).mean(), rel=1e-12)
    xlk = ours.filter(pl.col("symbol") == "XLK").row(0, named=True)
    assert (xlk["wins"], xlk["years"]) == (16, 26)  # XLK beat SPY in May-June in 16 of 26 years


@needs_data
def test_xlk_by_month_against_spy_and_alone(etfs: pl.DataFrame) -> None:
    def series(symbol: str) -> pl.DataFrame:
        return etfs.filter(pl.col("symbol") == symbol).select(
            "date", pl.col("adj_close").alias("close")
        )

    ours = sf.seasonality(series("XLK"), series("SPY"))
    alone = sf.seasonality(series("XLK"))
    xlk = series("XLK").to_pandas().set_index("date")["close"]
    spy = series("SPY").to_pandas().set_index("date")["close"]
    xlk.index, spy.index = pd.to_datetime(xlk.index), pd.to_datetime(spy.index)
    for month in range(1, 13):
        ref = pandas_season(xlk, spy, [month])
        row = ours.filter(pl.col("period") == month).row(0, named=True)
        assert (row["years"], row["wins"]) == (len(ref), int((ref["r"] > ref["b"]).sum()))
        assert row["win_rate"] == pytest.approx(row["wins"] / row["years"])
        assert row["mean_return"] == pytest.approx(ref["r"].mean(), rel=1e-12)
        solo = alone.filter(pl.col("period") == month).row(0, named=True)
        assert solo["wins"] == int((ref["r"] > 0).sum())
        assert solo["mean_excess"] is None


def test_weekly_seasonality_and_bad_seasons() -> None:
    levels, market = sf.datasets.ff49_sectors()
    chips = levels.filter(pl.col("sector") == "Chips").drop("sector")
    weeks = sf.seasonality(chips, market, by="week")
    assert weeks["period"].min() == 1
    assert weeks["period"].max() == 53
    frame = chips.to_pandas().set_index("date")["close"]
    frame.index = pd.to_datetime(frame.index)
    iso = frame.index.isocalendar()
    ends = frame.groupby([iso["year"], iso["week"]]).last().pct_change().iloc[1:]
    week10 = ends.xs(10, level="week")
    assert weeks.filter(pl.col("period") == 10)["mean_return"].item() == pytest.approx(
        week10.mean()
    )
    with pytest.raises(ValueError, match="must list months 1-12"):
        sf.seasonality(chips, by={"bad": [13]})
    with pytest.raises(ValueError, match="by must be"):
        sf.seasonality(chips, by="day")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no column 'close'"):
        sf.streaks(chips.rename({"close": "px"}).with_columns(other=pl.lit(1.0)))
