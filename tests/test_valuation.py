"""Whole-market valuation, heat and the pendulum against independent pandas constructions."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sectorflow as sf

SINCE = dt.date(2006, 1, 1)


@pytest.fixture(scope="module")
def market() -> pl.DataFrame:
    return sf.datasets.synthetic_market(n_symbols=240, n_days=1_200, seed=7)


def pandas_valuation(stocks: pd.DataFrame, rule: str = "nan") -> pd.DataFrame:
    """Sector and market PE/PB by the whole-market method, as a pandas user writes it."""
    s = stocks.copy()
    e, b = s["net_profit_ttm"], s["book_equity"]
    if rule == "exclude_losses":
        s["e_cap"], s["e"] = s["mcap"].where(e > 0, 0.0), e.where(e > 0, 0.0)
    else:
        s["e_cap"], s["e"] = s["mcap"], e
    s["b_cap"], s["b"] = s["mcap"], b
    cols = ["e_cap", "e", "b_cap", "b", "amount", "float_mcap"]
    sectors = s.groupby(["date", "sector"])[cols].sum().reset_index()
    whole = s.groupby("date")[cols].sum().add_prefix("m_").reset_index()
    t = sectors.merge(whole, on="date").sort_values(["sector", "date"], ignore_index=True)
    t["pe"] = (t["e_cap"] / t["e"]).where(t["e"] > 0)
    t["pb"] = (t["b_cap"] / t["b"]).where(t["b"] > 0)
    t["mpe"] = (t["m_e_cap"] / t["m_e"]).where(t["m_e"] > 0)
    t["mpb"] = (t["m_b_cap"] / t["m_b"]).where(t["m_b"] > 0)
    if rule == "pb_only":
        t["pe"] = t["mpe"] = np.nan
    t["rel_pe"], t["rel_pb"] = t["pe"] / t["mpe"], t["pb"] / t["mpb"]
    return t


def pct_since(t: pd.DataFrame, column: str, since: dt.date | None) -> pd.Series:
    """pandas expanding rank(pct=True) per sector, over the rows from ``since``."""
    x = t[column] if since is None else t[column].where(t["date"] >= pd.Timestamp(since))
    return x.groupby(t["sector"]).transform(lambda v: v.expanding().rank(pct=True))


def close(ours: pl.Series, ref: pd.Series) -> None:
    np.testing.assert_allclose(ours.to_numpy().astype(float), ref.to_numpy(float), rtol=1e-12)


def test_whole_market_pe_pb_and_relative_equal_pandas(market: pl.DataFrame) -> None:
    ours = sf.sector_valuation(market, since=SINCE)
    ref = pandas_valuation(market.to_pandas())
    assert ours.height == len(ref)
    for a, b in [
        ("pe_ttm", "pe"),
        ("pb_lf", "pb"),
        ("market_pe_ttm", "mpe"),
        ("market_pb_lf", "mpb"),
        ("relative_pe", "rel_pe"),
        ("relative_pb", "rel_pb"),
    ]:
        close(ours.get_column(a), ref[b])
    close(ours.get_column("relative_pe_pct"), pct_since(ref, "rel_pe", SINCE))
    close(ours.get_column("relative_pb_pct"), pct_since(ref, "rel_pb", SINCE))
    assert ours.filter(pl.col("date") < SINCE).get_column("relative_pb_pct").null_count() > 0


def test_since_presets_and_rolling_window(market: pl.DataFrame) -> None:
    a = sf.sector_valuation(market, since="2008-10")
    b = sf.sector_valuation(market, since=dt.date(2008, 10, 1))
    assert a.equals(b)
    ref = pandas_valuation(market.to_pandas())
    rolled = sf.sector_valuation(market, window=250).get_column("relative_pb_pct")
    expect = ref.groupby("sector")["rel_pb"].transform(
        lambda v: v.rolling(250, min_periods=1).rank(pct=True)
    )
    close(rolled, expect)


def test_a_sector_with_losses_follows_the_rule(market: pl.DataFrame) -> None:
    frame = market.to_pandas()
    energy = pl.col("sector") == "Energy"
    totals = sf.valuation_totals(market).filter(energy)
    losing = totals.filter(pl.col("earnings") <= 0).get_column("date")
    assert losing.len() > 50, "the synthetic market's Energy loss spell"

    nan_rule = sf.sector_valuation(market).filter(energy)
    assert nan_rule.filter(pl.col("date").is_in(losing.implode()))["pe_ttm"].null_count() == (
        losing.len()
    )
    assert nan_rule.filter(~pl.col("date").is_in(losing.implode()))["pe_ttm"].null_count() == 0

    excluded = sf.sector_valuation(market, earnings_rule="exclude_losses")
    ref = pandas_valuation(frame, "exclude_losses")
    close(excluded.get_column("pe_ttm"), ref["pe"])
    close(excluded.get_column("relative_pe"), ref["rel_pe"])
    # Every Energy member loses money in the spell: no profitable member, no PE.
    no_profit = totals.filter(pl.col("profit") == 0).height
    assert 0 < no_profit <= losing.len()
    assert excluded.filter(energy).get_column("pe_ttm").null_count() == no_profit

    heat = sf.sector_heat(market, earnings_rule="pb_only")
    assert heat.get_column("relative_pe").null_count() == heat.height
    close(heat.get_column("valuation_heat"), heat.get_column("relative_pb_pct").to_pandas())


def test_multiples_give_the_same_valuation_as_amounts(market: pl.DataFrame) -> None:
    multiples = market.with_columns(
        (pl.col("mcap") / pl.col("net_profit_ttm")).alias("pe_ttm"),
        (pl.col("mcap") / pl.col("book_equity")).alias("pb"),
    ).drop("net_profit_ttm", "book_equity")
    a = sf.sector_valuation(market)
    b = sf.sector_valuation(multiples)
    for c in ("pe_ttm", "pb_lf", "relative_pe", "relative_pb"):
        np.testing.assert_allclose(a[c].to_numpy(), b[c].to_numpy(), rtol=1e-12)


def test_totals_of_parts_add_up_to_the_whole(market: pl.DataFrame) -> None:
    odd = pl.col("symbol").str.slice(-1).cast(pl.Int32) % 2 == 1
    parts = pl.concat([sf.valuation_totals(market.filter(odd)),
                       sf.valuation_totals(market.filter(~odd))])  # fmt: skip
    summed = parts.group_by("date", "sector").agg(pl.exclude("date", "sector").sum())
    a = sf.sector_valuation(summed)
    b = sf.sector_valuation(market)
    np.testing.assert_allclose(a["relative_pe"].to_numpy(), b["relative_pe"].to_numpy(), rtol=1e-12)
    assert a["relative_pb_pct"].to_list() == pytest.approx(b["relative_pb_pct"].to_list())


def test_a_given_market_is_the_denominator(market: pl.DataFrame) -> None:
    some = market.filter(pl.col("sector").is_in(["Energy", "Utilities"]))
    ours = sf.sector_valuation(some, market=market).filter(pl.col("sector") == "Energy")
    whole = sf.sector_valuation(market).filter(pl.col("sector") == "Energy")
    np.testing.assert_allclose(ours["relative_pb"].to_numpy(), whole["relative_pb"].to_numpy())


def pandas_heat(stocks: pd.DataFrame, since: dt.date | None) -> pd.DataFrame:
    """Month-end heat: calendar-month means of the daily shares, percentiles of the months."""
    t = pandas_valuation(stocks)
    t["share"] = t["amount"] / t["m_amount"]
    t["cap_share"] = t["float_mcap"] / t["m_float_mcap"]
    t["rate"] = t["amount"] / t["float_mcap"]
    t["month"] = t["date"].dt.to_period("M")
    m = (
        t.groupby(["sector", "month"])
        .agg(
            date=("date", "last"),
            rel_pe=("rel_pe", lambda v: v.iloc[-1]),  # the month end's, even if missing
            rel_pb=("rel_pb", lambda v: v.iloc[-1]),
            share=("share", "mean"),
            cap_share=("cap_share", "mean"),
            rate=("rate", "mean"),
        )
        .reset_index()
    )
    m["cas"] = m["share"] / m["cap_share"]
    m["rate"] *= 252
    for c in ("rel_pe", "rel_pb", "cas", "rate"):
        m[f"{c}_pct"] = pct_since(m, c, since)
    m["valuation"] = (m["rel_pe_pct"] + m["rel_pb_pct"]) / 2
    m["trading"] = (m["cas_pct"] + m["rate_pct"]) / 2
    m["heat"] = (m["valuation"] + m["trading"]) / 2
    return m


def test_month_end_trading_and_combined_heat_equal_pandas(market: pl.DataFrame) -> None:
    ours = sf.sector_heat(market, since=SINCE)
    ref = pandas_heat(market.to_pandas(), SINCE)
    assert ours.height == len(ref)
    assert ours["date"].to_list() == [d.date() for d in ref["date"]]
    for a, b in [
        ("cap_adjusted_share", "cas"),
        ("turnover_rate", "rate"),
        ("relative_pe_pct", "rel_pe_pct"),
        ("turnover_rate_pct", "rate_pct"),
        ("valuation_heat", "valuation"),
        ("trading_heat", "trading"),
        ("heat", "heat"),
    ]:
        close(ours.get_column(a), ref[b])


def test_daily_heat_averages_the_last_days(market: pl.DataFrame) -> None:
    ours = sf.sector_heat(market, sample="daily", days=10)
    t = pandas_valuation(market.to_pandas())
    g = t.groupby("sector")
    share = g["amount"].transform(lambda v: v.rolling(10).mean()) / t["m_amount"].groupby(
        t["sector"]
    ).transform(lambda v: v.rolling(10).mean())
    # mean of daily shares, as documented (not the ratio of summed amounts)
    t["share"], t["cap"] = t["amount"] / t["m_amount"], t["float_mcap"] / t["m_float_mcap"]
    cas = g["share"].transform(lambda v: v.rolling(10).mean()) / t.groupby("sector")[
        "cap"
    ].transform(lambda v: v.rolling(10).mean())
    close(ours.get_column("cap_adjusted_share"), cas)
    assert not np.allclose(cas.dropna(), share.dropna())  # the two definitions differ
    assert ours.get_column("turnover_rate").null_count() == 11 * 9


def test_heat_never_looks_ahead(market: pl.DataFrame) -> None:
    cut = dt.date(2008, 6, 30)
    changed = market.with_columns(
        pl.when(pl.col("date") > cut)
        .then(pl.col("net_profit_ttm") * 3 - 1e9)
        .otherwise(pl.col("net_profit_ttm")),
        pl.when(pl.col("date") > cut).then(pl.col("amount") * 5).otherwise(pl.col("amount")),
    )
    for kwargs in ({}, {"sample": "daily"}):
        a = sf.sector_heat(market, **kwargs).filter(pl.col("date") <= cut)  # type: ignore[arg-type]
        b = sf.sector_heat(changed, **kwargs).filter(pl.col("date") <= cut)  # type: ignore[arg-type]
        assert a.equals(b)


def test_pendulum_states_follow_the_position_and_heat_is_never_later(
    market: pl.DataFrame,
) -> None:
    out = sf.pendulum(market, hot=0.6)
    x, y = out["relative_return"].to_numpy(), out["relative_return_change"].to_numpy()
    state = out["state"].cast(pl.String).to_numpy()
    ok = ~np.isnan(x.astype(float)) & ~np.isnan(y.astype(float))
    expect = np.where(x >= 0, np.where(y >= 0, "overbought", "fading"),
                      np.where(y < 0, "oversold", "recovering"))  # fmt: skip
    assert (state[ok] == expect[ok]).all()
    assert set(state[ok]) == {"overbought", "fading", "oversold", "recovering"}
    steam = out.filter(pl.col("out_of_steam"))
    assert steam.height > 0
    assert (steam["state"] == "fading").all()
    assert (steam["heat"] >= 0.6).all()
    heat = sf.sector_heat(market)
    # Each week carries the heat of the last month end on or before it.
    row = out.filter(pl.col("sector") == "InfoTech", pl.col("heat").is_not_null()).row(
        40, named=True
    )
    known = heat.filter(pl.col("sector") == "InfoTech", pl.col("date") <= row["date"])
    assert row["heat"] == known["heat"][-1]
    # Haitong's x: the 26-week relative return of the sector's level against the market's.
    levels = sf.sector_aggregate(market)
    one = levels.filter(pl.col("sector") == "InfoTech").to_pandas().set_index("date")
    weekly = one[["close", "market_close"]].resample("W-FRI").last().dropna()
    rel = (weekly["close"] / weekly["close"].shift(26)) / (
        weekly["market_close"] / weekly["market_close"].shift(26)
    ) - 1
    ours = out.filter(pl.col("sector") == "InfoTech")["relative_return"].to_numpy()
    np.testing.assert_allclose(ours, rel.to_numpy(), rtol=1e-12)


def test_bad_valuation_input_is_named(market: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"no column 'net_profit_ttm' \(or 'pe_ttm'\)"):
        sf.sector_valuation(market.drop("net_profit_ttm"))
    with pytest.raises(ValueError, match=r"no column 'book_equity' \(or 'pb'\)"):
        sf.sector_heat(market.drop("book_equity"))
    with pytest.raises(ValueError, match="no column 'mcap'"):
        sf.valuation_totals(market.drop("mcap"))
    bad = market.with_columns(
        pl.when(pl.int_range(pl.len()) == 500).then(0.0).otherwise(pl.col("mcap")).alias("mcap")
    )
    day, symbol = market.row(500, named=True)["date"], market.row(500, named=True)["symbol"]
    where = re.escape(f"date={day!r}, symbol={symbol!r}")
    with pytest.raises(ValueError, match=f"mcap must be positive.*{where}"):
        sf.sector_valuation(bad)
    with pytest.raises(ValueError, match="mcap must be positive"):
        sf.sector_valuation(bad.with_columns(pl.col("mcap") * -1))
    with pytest.raises(ValueError, match="earnings_rule must be one of"):
        sf.sector_valuation(market, earnings_rule="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sample must be"):
        sf.sector_heat(market, sample="weekly")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="since must be a date"):
        sf.sector_valuation(market, since="2005-13")
    zero_pe = market.with_columns(pe_ttm=pl.lit(0.0)).drop("net_profit_ttm")
    with pytest.raises(ValueError, match="pe_ttm is zero"):
        sf.sector_valuation(zero_pe)


def test_totals_are_the_same_to_the_bit_on_any_threads_and_for_categories(
    market: pl.DataFrame,
) -> None:
    before = sf.get_num_threads()
    try:
        sf.set_num_threads(1)
        one = sf.valuation_totals(market)
        sf.set_num_threads(3)
        three = sf.valuation_totals(market)
    finally:
        sf.set_num_threads(before)
    assert one.equals(three)
    shuffled = market.sample(fraction=1.0, shuffle=True, seed=1)
    categorical = shuffled.with_columns(pl.col("sector").cast(pl.Categorical))
    a = sf.valuation_totals(categorical)
    b = sf.valuation_totals(shuffled)
    assert a.equals(b)
    assert a.get_column("sector").to_list() == sorted(a.get_column("sector").to_list())
    np.testing.assert_allclose(a["book"].to_numpy(), one["book"].to_numpy(), rtol=1e-12)


values = st.sampled_from([1.0, -2.5, 0.0, 3.25, 1e9, np.nan, np.inf, -np.inf])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # day
            st.sampled_from(["Oil", "Banks", "a sector with a long name"]),
            st.sampled_from([1.0, 7.5, 2e10, np.nan]),  # mcap: positive or missing
            values,  # earnings
            values,  # book
        ),
        min_size=1,
        max_size=60,
    )
)
def test_totals_equal_a_plain_loop_with_missing_and_infinite_values(
    rows: list[tuple[int, str, float, float, float]],
) -> None:
    frame = pl.DataFrame(
        {
            "date": [dt.date(2024, 1, 1) + dt.timedelta(days=r[0]) for r in rows],
            "symbol": [f"S{i}" for i in range(len(rows))],
            "sector": [r[1] for r in rows],
            "mcap": [r[2] for r in rows],
            "net_profit_ttm": [r[3] for r in rows],
            "book_equity": [r[4] for r in rows],
        }
    )
    names = ["mcap", "earnings_mcap", "earnings", "profit_mcap", "profit", "book_mcap", "book",
             "members", "loss_makers"]  # fmt: skip
    totals = sf.valuation_totals(frame).select("date", "sector", *names)
    ours = {(d, s): row for d, s, *row in totals.iter_rows()}
    cells: dict[tuple[dt.date, str], list[float]] = {}
    for (_, sector, cap, e, b), d in zip(rows, frame["date"], strict=True):
        t = cells.setdefault((d, sector), [0.0] * 9)
        t[7] += 1  # members
        if not np.isfinite(cap):
            continue
        t[0] += cap
        if np.isfinite(e):
            t[1] += cap
            t[2] += e
            if e > 0:
                t[3] += cap
                t[4] += e
            else:
                t[8] += 1
        if np.isfinite(b):
            t[5] += cap
            t[6] += b
    assert set(ours) == set(cells)
    for key, expect in cells.items():
        assert list(ours[key]) == pytest.approx(expect, rel=1e-12, abs=1e-6)
