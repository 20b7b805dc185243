"""``backtest``: a top-N rotation, checked against a plain day-by-day loop written here.

The reference walks the calendar one bar at a time, holding a dict of position values: it
rebalances at the start of the bar ``lag`` bars after each rebalance date (paying costs on
the traded weight), then lets every holding earn its return. Nothing in it is shared with
the library but the inputs.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sectorflow as sf
from sectorflow.models.backtest import backtest, rebalance_dates
from tests.data import needs_data, shenwan


def reference(
    scores: pd.DataFrame,
    returns: pd.DataFrame,
    rebalance: list[dt.date],
    *,
    top_n: int,
    lag: int,
    weighting: str,
    cost_bps: float,
) -> dict[str, Any]:
    """NAVs, holdings and turnover of the rotation, one bar at a time."""
    scores, returns = scores.copy(), returns.copy()
    for frame in (scores, returns):
        frame["date"] = pd.to_datetime(frame["date"]).dt.date
    wide = returns.pivot(index="date", columns="sector", values="r")
    trading = set(zip(returns["date"], returns["sector"], strict=True))
    bars = list(wide.index)
    at = {d: i for i, d in enumerate(bars)}
    by_day = {d: g for d, g in scores.groupby("date")}  # noqa: C416 (groupby is no mapping)
    plan: dict[int, tuple[dt.date, dict[str, float], dict[str, float]]] = {}
    for d in rebalance:
        if d not in by_day or at[d] + lag >= len(bars):
            continue
        g = by_day[d]
        on = np.array([(d, k) in trading for k in g["sector"]], dtype=bool)
        g = g[np.isfinite(g["score"].to_numpy(dtype=float)) & on]
        if g.empty:
            continue
        g = g.sort_values(["score", "sector"], ascending=[False, True], kind="stable").head(top_n)
        if weighting == "equal":
            w = {k: 1.0 / len(g) for k in g["sector"]}
        else:
            w = dict(zip(g["sector"], g["score"] / g["score"].sum(), strict=True))
        plan[at[d] + lag] = (d, w, dict(zip(g["sector"], g["score"], strict=True)))
    first = min(plan) - lag
    values: dict[str, float] = {}
    cash = 1.0
    nav, bench = [1.0], [1.0]
    turnover, holdings = [], []
    for t in range(first + 1, len(bars)):
        if t in plan:
            d, w, s = plan[t]
            total = cash + sum(values.values())
            old = {k: v / total for k, v in values.items()}
            traded = sum(abs(w.get(k, 0.0) - old.get(k, 0.0)) for k in set(w) | set(old))
            invested = abs(sum(w.values()) - sum(old.values()))
            after = total * (1.0 - cost_bps / 1e4 * traded)
            values = {k: wk * after for k, wk in w.items()}
            cash = after * (1.0 - sum(w.values()))
            turnover.append((d, (traded + invested) / 2.0))
            holdings += [(d, k, s[k], wk) for k, wk in w.items()]
        row = wide.iloc[t]
        for k in values:
            r = row.get(k, math.nan)
            if not math.isnan(r):
                values[k] *= 1.0 + r
        nav.append(cash + sum(values.values()))
        # The benchmark earns from the bar the portfolio first does.
        live = t >= first + lag and row.notna().any()
        bench.append(bench[-1] * (1.0 + np.nanmean(row.to_numpy())) if live else bench[-1])
    return {
        "dates": bars[first:],
        "nav": np.array(nav),
        "bench": np.array(bench),
        "turnover": turnover,
        "holdings": holdings,
    }


def check(scores: pl.DataFrame, closes: pl.DataFrame, **kw: Any) -> None:
    got = backtest(scores, closes, **kw)
    rets = closes.sort("sector", "date").with_columns(
        (pl.col("close") / pl.col("close").shift(1).over("sector") - 1.0).alias("r")
    )
    days = rets.get_column("date").unique().sort()
    first = scores.filter(pl.col("score").is_finite()).get_column("date").min()
    rule = kw.get("rebalance", "M")
    want = reference(
        scores.to_pandas(),
        rets.to_pandas(),
        rebalance_dates(days.filter(days >= first), rule),
        top_n=kw.get("top_n", 6),
        lag=kw.get("lag", 1),
        weighting=kw.get("weighting", "equal"),
        cost_bps=kw.get("cost_bps", 0.0),
    )
    assert got.nav.get_column("date").to_list() == want["dates"]
    np.testing.assert_allclose(got.nav.get_column("portfolio").to_numpy(), want["nav"], rtol=1e-10)
    np.testing.assert_allclose(
        got.nav.get_column("benchmark").to_numpy(), want["bench"], rtol=1e-10
    )
    np.testing.assert_allclose(
        got.turnover.get_column("turnover").to_numpy(), [t for _, t in want["turnover"]], atol=1e-12
    )
    held = sorted((d, k, w) for d, k, _, w in want["holdings"])
    mine = sorted(got.holdings.select("rebalance_date", "sector", "weight").iter_rows())
    assert [(d, k) for d, k, _ in mine] == [(d, k) for d, k, _ in held]
    np.testing.assert_allclose([w for *_, w in mine], [w for *_, w in held], rtol=1e-12)
    # Metrics from the reference NAV, with numpy.
    nav = want["nav"]
    r = nav[1:] / nav[:-1] - 1.0
    a = r - (want["bench"][1:] / want["bench"][:-1] - 1.0)
    p = got.metrics["periods_per_year"]
    m = got.metrics
    assert m["annual_return"] == pytest.approx(nav[-1] ** (p / len(r)) - 1.0, rel=1e-9)
    if len(r) > 1 and r.std(ddof=1) > 1e-12:
        assert m["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(p), rel=1e-9)
    if len(a) > 1 and a.std(ddof=1) > 1e-12:
        assert m["information_ratio"] == pytest.approx(
            a.mean() / a.std(ddof=1) * math.sqrt(p), rel=1e-9
        )
    assert m["max_drawdown"] == pytest.approx(
        1.0 - (nav / np.maximum.accumulate(nav)).min(), rel=1e-9
    )
    later = [t for _, t in want["turnover"][1:]]
    assert m["average_turnover"] == pytest.approx(np.mean(later) if later else 0.0, rel=1e-9)


def momentum(closes: pl.DataFrame, n: int) -> pl.DataFrame:
    return closes.select(
        "date",
        "sector",
        (pl.col("close") / pl.col("close").shift(n).over("sector") - 1.0).alias("score"),
    )


@needs_data
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"rebalance": "W-FRI", "cost_bps": 20.0},
        {"rebalance": 10, "lag": 2, "top_n": 3},
        {"weighting": "score", "rebalance": "M"},
    ],
    ids=["monthly", "weekly-costs", "every-10-lag-2", "score-weighted"],
)
def test_backtest_equals_the_loop_on_shenwan(kw: dict[str, Any]) -> None:
    closes, _ = shenwan("000985.CSI")
    scores = momentum(closes, 20)
    if kw.get("weighting") == "score":
        scores = scores.with_columns(pl.col("score").exp())
    check(scores, closes, **kw)


def test_backtest_equals_the_loop_on_ken_french_49() -> None:
    closes, _ = sf.datasets.ff49_sectors()
    closes = closes.filter(pl.col("date") >= dt.date(2005, 1, 1))
    check(momentum(closes, 60), closes, rebalance="M", cost_bps=5.0)


@st.composite
def markets(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    n_days = draw(st.integers(8, 40))
    keys = ["a", "b", "c", "d"][: draw(st.integers(2, 4))]
    days = pd.bdate_range("2024-01-01", periods=n_days).date
    rows = []
    for k in keys:
        start = draw(st.integers(0, 3))
        stop = n_days - draw(st.integers(0, 3))  # a sector may stop trading
        level = 100.0
        for d in days[start:stop]:
            level *= 1.0 + draw(st.floats(-0.1, 0.1))
            rows.append((d, k, level, draw(st.one_of(st.floats(-5, 5), st.just(1.0), st.none()))))
    frame = pl.DataFrame(rows, schema=["date", "sector", "close", "score"], orient="row")
    return frame.select("date", "sector", "score"), frame.select("date", "sector", "close")


@given(
    market=markets(),
    top_n=st.integers(1, 2),
    lag=st.integers(1, 2),
    rule=st.sampled_from([1, 3, "W-FRI"]),
)
@settings(max_examples=60, deadline=None)
def test_backtest_equals_the_loop_on_random_markets(
    market: tuple[pl.DataFrame, pl.DataFrame], top_n: int, lag: int, rule: Any
) -> None:
    scores, closes = market
    try:
        backtest(scores, closes, top_n=top_n, lag=lag, rebalance=rule)
    except ValueError as e:
        # Refused, rightly: no date to trade after, or fewer scored sectors than top_n.
        if "no common dates" in str(e) or "is larger than the universe" in str(e):
            return
        raise
    check(scores, closes, top_n=top_n, lag=lag, rebalance=rule, cost_bps=7.0)
    # Scores in their own rows (shuffled, without the empty ones) are coded and pivoted apart
    # from the returns: the same rotation.
    apart = scores.drop_nulls().sample(fraction=1.0, shuffle=True, seed=len(scores))
    check(apart, closes, top_n=top_n, lag=lag, rebalance=rule, cost_bps=7.0)


@given(market=markets())
@settings(max_examples=30, deadline=None)
def test_returns_are_each_rows_change_from_its_sectors_previous_row(
    market: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    scores, closes = market
    try:
        got = backtest(scores, closes.sample(fraction=1.0, shuffle=True, seed=1), top_n=1)
    except ValueError as e:
        if "no common dates" in str(e):
            return
        raise
    want = (
        closes.sort("sector", "date")
        .select(
            "date",
            "sector",
            (pl.col("close") / pl.col("close").shift(1).over("sector") - 1.0).alias("return"),
        )
        .sort("date", "sector")
    )
    assert got.returns.equals(want)
    days = want.get_column("date").unique().sort()
    after, until = days[1], days[-2]
    window = want.filter(
        (pl.col("date") > after) & (pl.col("date") <= until) & (pl.col("sector") == "b")
    )
    assert got.returns_between(after, until, ["b"]).equals(window)


@given(market=markets(), cut=st.integers(3, 30), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_changing_the_future_changes_nothing_before_it(
    market: tuple[pl.DataFrame, pl.DataFrame], cut: int, seed: int
) -> None:
    scores, closes = market
    days = closes.get_column("date").unique().sort()
    if cut >= days.len():
        return
    t = days[cut]
    rng = np.random.default_rng(seed)
    # Scores from t on (a signal read at the close of t can only move what comes after t) and
    # closes after t.
    later = pl.col("date") > t
    scores2 = scores.with_columns(
        pl.when(pl.col("date") >= t)
        .then(pl.lit(rng.normal(size=scores.height)))
        .otherwise("score")
        .alias("score")
    )
    closes2 = closes.with_columns(
        pl.when(later)
        .then(pl.col("close") * rng.uniform(0.5, 2.0, closes.height))
        .otherwise("close")
        .alias("close")
    )
    try:
        a = backtest(scores, closes, top_n=2, rebalance=2)
    except ValueError:
        return
    b = backtest(scores2, closes2, top_n=2, rebalance=2)
    upto = pl.col("date") <= t
    assert a.nav.filter(upto).equals(b.nav.filter(upto))
    held = pl.col("rebalance_date") < t
    assert a.holdings.filter(held).equals(b.holdings.filter(held))


def test_bad_input_is_refused_by_name() -> None:
    closes, _ = sf.datasets.ff49_sectors()
    closes = closes.filter(pl.col("date") >= dt.date(2020, 1, 1))
    scores = momentum(closes, 20)
    with pytest.raises(ValueError, match="top_n"):
        backtest(scores, closes, top_n=50)
    with pytest.raises(ValueError, match="no sector in common"):
        backtest(scores.with_columns(pl.col("sector") + "_x"), closes)
    with pytest.raises(ValueError, match="no common dates"):
        backtest(scores.with_columns(pl.col("date") + pl.duration(days=10_000)), closes)
    with pytest.raises(ValueError, match="scores has more than one row"):
        backtest(pl.concat([scores, scores.head(1)]), closes)
    with pytest.raises(ValueError, match="returns has more than one row"):
        backtest(scores, pl.concat([closes, closes.tail(1)]))
    with pytest.raises(ValueError, match="rebalance"):
        backtest(scores, closes, rebalance="fortnightly")
    with pytest.raises(ValueError, match="lag"):
        backtest(scores, closes, lag=0)
    with pytest.raises(ValueError, match="weighting"):
        backtest(scores, closes, weighting="score")
    with pytest.raises(ValueError, match="cost_bps"):
        backtest(scores, closes, cost_bps=-1.0)
    with pytest.raises(ValueError, match=r"returns has a missing date \(row 3\)"):
        backtest(
            scores,
            closes.with_columns(
                pl.when(pl.int_range(pl.len()) == 3)
                .then(None)
                .otherwise(pl.col("date"))
                .alias("date")
            ),
        )
