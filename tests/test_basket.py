"""Baskets: index levels with rebalancing against a plain-loop portfolio, and their comparisons."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest

import sectorflow as sf
from tests.data import ETFS, needs_data

NINE = ["XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY"]


def loop_basket(prices: pd.DataFrame, weights: pd.DataFrame | None, freq: str | None) -> pd.Series:
    """The portfolio day by day: shares set at each rebalance close, prices carried forward."""
    wide = prices.pivot(index="date", columns="symbol", values="close").sort_index()
    traded = wide.notna()
    carried = wide.ffill()
    dates = wide.index
    if freq is None:
        ends = {dates[0]}
    else:
        period = dates.to_period(freq)
        ends = {dates[0]} | {
            d for d, p, q in zip(dates[:-1], period[:-1], period[1:], strict=True) if p != q
        }
    value, shares, out = 100.0, None, []
    for d in dates:
        if shares is not None:
            value = float((carried.loc[d].fillna(0) * shares).sum())
        if d in ends:
            w = pd.Series(1.0, index=wide.columns) if weights is None else weights.loc[d]
            w = w.where(traded.loc[d], 0.0).fillna(0.0)
            if w.sum() > 0:
                shares = value * w / w.sum() / wide.loc[d].where(traded.loc[d], 1.0)
        out.append(value if shares is not None else np.nan)
    return pd.Series(out, index=dates)


def listing_and_delisting() -> pl.DataFrame:
    """Three stocks: A all along, B lists mid-month at a price 50x A's, C delists mid-month."""
    days = pd.bdate_range("2024-01-01", "2024-04-30")
    rng = np.random.default_rng(4)
    frames = []
    for name, level, first, last in [
        ("A", 10.0, 0, None),
        ("B", 500.0, 30, None),
        ("C", 3.0, 0, 50),
    ]:
        span = days[first:last]
        close = level * np.exp(np.cumsum(rng.normal(0, 0.02, len(span))))
        frames.append(
            pl.DataFrame(
                {"date": span.to_numpy().astype("datetime64[D]"), "symbol": name, "close": close}
            )
        )
    return pl.concat(frames)


def test_a_listing_or_delisting_member_makes_no_jump() -> None:
    prices = listing_and_delisting()
    out = sf.basket(None, prices, rebalance="M")
    ref = loop_basket(
        prices.to_pandas().assign(date=lambda f: pd.to_datetime(f["date"])), None, "M"
    )
    np.testing.assert_allclose(out["level"].to_numpy(), ref.to_numpy(), rtol=1e-12)
    # The day B lists and the day after C's last row: the level moves with the members held.
    wide = prices.to_pandas().pivot(index="date", columns="symbol", values="close")
    r = wide.ffill().pct_change(fill_method=None)
    listing = wide["B"].first_valid_index()
    delisted = wide.index[wide.index.get_loc(wide["C"].last_valid_index()) + 1]
    level = out.to_pandas().set_index("date")["level"]
    for day in (listing, delisted):
        i = level.index.get_loc(day)
        assert abs(level.iloc[i] / level.iloc[i - 1] - 1) < 4 * r.loc[day, ["A"]].abs().max() + 0.05
    assert out.filter(pl.col("date") == listing)["members"].item() == 2
    assert out["members"][-1] == 2  # B joined at the month end, C left


def test_cap_weights_and_given_weights() -> None:
    market = sf.datasets.synthetic_market(n_symbols=30, n_days=300, seed=2)
    members = ["S00001", "S00002", "S00003", "S00004"]
    rows = market.filter(pl.col("symbol").is_in(members)).to_pandas()
    rows["date"] = pd.to_datetime(rows["date"])
    caps = rows.pivot(index="date", columns="symbol", values="mcap")
    ours = sf.basket(members, market, weights="cap", rebalance="Q")
    ref = loop_basket(rows, caps, "Q")
    np.testing.assert_allclose(ours["level"].to_numpy(), ref.dropna().to_numpy(), rtol=1e-12)
    fixed = {"S00001": 1.0, "S00002": 2.0, "S00003": 3.0, "S00004": 4.0}
    ours = sf.basket(members, market, weights=fixed, rebalance=None)
    given = pd.DataFrame([fixed] * len(caps), index=caps.index)
    ref = loop_basket(rows, given, None)
    np.testing.assert_allclose(ours["level"].to_numpy(), ref.dropna().to_numpy(), rtol=1e-12)


def test_compare_baskets_reports_the_quoted_numbers() -> None:
    days = pd.bdate_range("2023-06-01", "2024-06-28")
    n = len(days)
    # "titans" double steadily; "seven" peak in March and fall 25% by June.
    up = np.linspace(1.0, 2.0, n)
    peak = days.get_loc(pd.Timestamp("2024-03-28"))
    down = np.r_[np.linspace(1.0, 1.6, peak + 1), np.linspace(1.59, 1.2, n - peak - 1)]
    frames = [
        pl.DataFrame(
            {
                "date": days.to_numpy().astype("datetime64[D]"),
                "symbol": f"{g}{i}",
                "close": path * (i + 1),
                "mcap": path * 100.0,
                "forward_earnings": 100.0 / pe,
            }
        )
        for g, path, pe in (("T", up, 18.0), ("M", down, 32.0))
        for i in range(3)
    ]
    prices = pl.concat(frames)
    out = sf.compare_baskets(
        {"titans": ["T0", "T1", "T2"], "seven": ["M0", "M1", "M2"]},
        prices,
        benchmark="seven",
        since="2024-03-28",
    )
    t, m = out.row(0, named=True), out.row(1, named=True)
    year_end = days.get_loc(pd.Timestamp("2023-12-29"))
    assert t["ytd"] == pytest.approx(up[-1] / up[year_end] - 1)
    assert m["ytd"] == pytest.approx(down[-1] / down[year_end] - 1)
    assert m["peak_date"] == dt.date(2024, 3, 28)
    assert m["drawdown"] == pytest.approx(1.2 / 1.6 - 1)
    assert m["correction"]
    assert m["bear"]
    assert not t["correction"]
    assert m["return_since"] == pytest.approx(1.2 / 1.6 - 1)
    assert t["relative_ytd"] == pytest.approx((1 + t["ytd"]) / (1 + m["ytd"]) - 1)
    assert t["forward_pe"] == pytest.approx(up[-1] * 18.0)
    assert t["forward_pe_discount"] == pytest.approx(1 - (up[-1] * 18.0) / (down[-1] * 32.0))


def test_bad_basket_input_is_named() -> None:
    prices = listing_and_delisting()
    with pytest.raises(ValueError, match="'Z' has no rows in prices"):
        sf.basket(["A", "Z"], prices)
    with pytest.raises(ValueError, match="rebalance must be None or one of"):
        sf.basket(None, prices, rebalance="D")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no column 'mcap'"):
        sf.basket(None, prices, weights="cap")
    with pytest.raises(ValueError, match="weights has no weight for 'B'"):
        sf.basket(None, prices, weights={"A": 1.0, "C": 1.0})
    with pytest.raises(ValueError, match="more than one row for symbol='A'"):
        sf.basket(None, pl.concat([prices, prices.head(1)]))
    with pytest.raises(ValueError, match="close must be positive"):
        sf.basket(None, prices.with_columns(pl.col("close") * -1))
    with pytest.raises(ValueError, match="benchmark 'x' is not one of the baskets"):
        sf.compare_baskets({"a": ["A"]}, prices, benchmark="x")


@needs_data
def test_nine_spdr_sectors_equal_weight_monthly_equals_pandas() -> None:
    etfs = pl.read_csv(ETFS, try_parse_dates=True).filter(pl.col("symbol").is_in(NINE))
    prices = etfs.select("date", "symbol", pl.col("adj_close").alias("close"))
    ours = sf.basket(NINE, prices, rebalance="M")
    frame = prices.to_pandas()
    frame["date"] = pd.to_datetime(frame["date"])
    ref = loop_basket(frame, None, "M")
    assert ours.height == len(ref) > 6_000
    np.testing.assert_allclose(ours["level"].to_numpy(), ref.to_numpy(), rtol=1e-10)
    # Equal weight rebalanced monthly: each month's return is the mean of the nine.
    wide = frame.pivot(index="date", columns="symbol", values="close")
    monthly = wide.resample("ME").last().pct_change().mean(axis=1).iloc[1:]
    level = ours.to_pandas().set_index("date")["level"]
    level.index = pd.to_datetime(level.index)
    np.testing.assert_allclose(
        level.resample("ME").last().pct_change().iloc[1:].to_numpy(), monthly.to_numpy(), rtol=1e-9
    )
