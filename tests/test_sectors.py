"""The sector layer against independent pandas references written here, on real and synthetic data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import polars as pl
import pytest
from numpy.testing import assert_allclose

import sectorflow as sf
from tests import data
from tests.data import ETFS, needs_data

Frames = tuple[pl.DataFrame, pl.DataFrame]
TMT = ["电子", "计算机", "通信", "传媒"]
SPDR9 = ["XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY"]


@pytest.fixture(scope="module")
def shenwan() -> tuple[pl.DataFrame, pl.DataFrame]:
    return data.shenwan("000985.CSI")


@pytest.fixture(scope="module")
def market() -> pl.DataFrame:
    return sf.datasets.synthetic_market(n_symbols=120, n_days=400, seed=7)


def wide(df: pl.DataFrame, column: str, key: str = "sector") -> pd.DataFrame:
    out = df.to_pandas().pivot(index="date", columns=key, values=column)
    out.index = pd.DatetimeIndex(out.index)
    return out


def excess_ref(closes: pd.DataFrame, bench: pd.Series, window: int) -> pd.DataFrame:
    """40-day ratio excess return, benchmark forward-filled onto the sectors' dates."""
    b = bench.reindex(closes.index.union(bench.index)).ffill().reindex(closes.index)
    return (
        closes.pct_change(window, fill_method=None)
        .add(1)
        .div(b.pct_change(window, fill_method=None).add(1), axis=0)
        - 1
    )


def percentile_since_ref(x: pd.DataFrame, since: str) -> pd.DataFrame:
    return x.loc[since:].apply(lambda s: s.dropna().expanding().rank(pct=True).reindex(s.index))


# Excess return and its percentile ---------------------------------------------------------


@needs_data
def test_shenwan_40_day_excess_return_and_percentile_since_2019(shenwan: Frames) -> None:
    sectors, bench = shenwan
    ours = sf.historical_percentile(
        sf.excess_return(sectors, bench, window=40), "excess_return", since="2019-01-01"
    )
    closes = wide(sectors, "close")
    b = bench.to_pandas().set_index("date")["close"]
    b.index = pd.DatetimeIndex(b.index)
    ref = excess_ref(closes, b, 40)
    got = wide(ours, "excess_return").reindex_like(ref)
    assert got.notna().sum().sum() > 60_000
    assert_allclose(
        got.to_numpy(float), ref.to_numpy(float), rtol=1e-12, atol=1e-14, equal_nan=True
    )
    pct = wide(ours, "excess_return_pct").loc["2019-01-01":]
    ref_pct = percentile_since_ref(ref, "2019-01-01")
    assert_allclose(pct.to_numpy(float), ref_pct.reindex_like(pct).to_numpy(float), equal_nan=True)
    assert wide(ours, "excess_return_pct").loc[:"2018-12-31"].isna().all().all()


@needs_data
@pytest.mark.parametrize("mode", ["diff", "log", "active_nav"])
def test_excess_modes_equal_their_formulas(shenwan: Frames, mode: str) -> None:
    sectors, bench = shenwan
    ours = wide(sf.excess_return(sectors, bench, window=20, mode=mode), "excess_return")
    p = wide(sectors, "close")
    b = bench.to_pandas().set_index("date")["close"]
    b.index = pd.DatetimeIndex(b.index)
    b = b.reindex(p.index.union(b.index)).ffill().reindex(p.index)
    if mode == "diff":
        ref = p.pct_change(20).sub(b.pct_change(20), axis=0)
    elif mode == "log":
        ref = np.log(p / p.shift(20)).sub(np.log(b / b.shift(20)), axis=0)
    else:
        nav = (1 + p.pct_change().sub(b.pct_change(), axis=0).fillna(0)).cumprod()
        ref = nav.pct_change(20)
    assert_allclose(
        ours.reindex_like(ref).to_numpy(float),
        ref.to_numpy(float),
        rtol=1e-9,
        atol=1e-12,
        equal_nan=True,
    )


@needs_data
def test_tmt_composite_of_equal_weights_against_csi_all_share(shenwan: Frames) -> None:
    sectors, bench = shenwan
    stocks = sectors.with_columns(
        symbol=pl.col("sector"),
        volume=pl.lit(None, pl.Float64),
        amount=pl.lit(None, pl.Float64),
        float_mcap=pl.lit(None, pl.Float64),
    )
    agg = sf.sector_aggregate(stocks, weight="equal", sectors={"TMT": TMT})
    tmt = agg.filter(pl.col("sector") == "TMT")
    members = wide(sectors.filter(pl.col("sector").is_in(TMT)), "close")
    ref_ret = members.pct_change().mean(axis=1)
    ref_level = 1000 * (1 + ref_ret.fillna(0)).cumprod()
    got = tmt.to_pandas().set_index("date")
    got.index = pd.DatetimeIndex(got.index)
    assert_allclose(got["return"].to_numpy(float)[1:], ref_ret.to_numpy()[1:], rtol=1e-12)
    assert_allclose(got["close"].to_numpy(float), ref_level.to_numpy(), rtol=1e-11)
    ours = sf.historical_percentile(
        sf.excess_return(tmt.select("date", "sector", "close"), bench),
        "excess_return",
        since="2019-01-01",
    )
    b = bench.to_pandas().set_index("date")["close"]
    b.index = pd.DatetimeIndex(b.index)
    ref = excess_ref(ref_level.to_frame("TMT"), b, 40)
    assert_allclose(
        wide(ours, "excess_return")["TMT"].to_numpy(float),
        ref["TMT"].to_numpy(),
        rtol=1e-9,
        equal_nan=True,
    )
    ref_pct = percentile_since_ref(ref, "2019-01-01")["TMT"]
    got_pct = wide(ours, "excess_return_pct")["TMT"].loc["2019-01-01":]
    assert_allclose(got_pct.to_numpy(float), ref_pct.to_numpy(), equal_nan=True)


def test_equal_weight_benchmark_is_the_mean_daily_return_chained() -> None:
    dates = pd.bdate_range("2024-01-01", periods=6)
    closes = {"a": [10, 11, 12, 11, 13, 14], "b": [5, 5, 6, 6, 6, 7]}
    long = pl.DataFrame(
        {
            "date": list(dates.date) * 2,
            "sector": ["a"] * 6 + ["b"] * 6,
            "close": np.concatenate([closes["a"], closes["b"]]).astype(float),
        }
    )
    ours = sf.excess_return(long, "equal_weight", window=2)
    ref_b = (1 + pd.DataFrame(closes, index=dates).pct_change().mean(axis=1).fillna(0)).cumprod()
    got_b = ours.filter(pl.col("sector") == "a").get_column("benchmark").to_numpy()
    assert_allclose(got_b, ref_b.to_numpy(), rtol=1e-15)


# Historical percentile ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["average", "min", "max"])
def test_rolling_percentile_equals_pandas_per_key(market: pl.DataFrame, method: str) -> None:
    agg = sf.sector_aggregate(market)
    ours = sf.historical_percentile(agg, "amount", window=60, min_periods=10, method=method)
    ref = wide(agg, "amount").rolling(60, min_periods=10).rank(method=method, pct=True)
    got = wide(ours, "amount_pct").reindex_like(ref)
    assert_allclose(got.to_numpy(float), ref.to_numpy(float), rtol=1e-15, equal_nan=True)
    values = ours.get_column("amount_pct").drop_nulls()
    assert values.min() > 0
    assert values.max() <= 1


# Aggregates -------------------------------------------------------------------------------


def stock_returns_ref(stocks: pd.DataFrame) -> pd.DataFrame:
    """Each stock's return since its previous bar and that bar's float cap (pandas groupby)."""
    s = stocks.sort_values(["symbol", "date"]).copy()
    g = s.groupby("symbol")
    s["r"] = s["close"] / g["close"].shift() - 1
    s["w"] = g["float_mcap"].shift()
    return s


def test_cap_weighted_returns_and_totals_equal_pandas(market: pl.DataFrame) -> None:
    ours = sf.sector_aggregate(market).to_pandas().set_index(["date", "sector"]).sort_index()
    s = stock_returns_ref(market.drop_nulls("close").to_pandas())
    s["wr"] = s["w"] * s["r"]
    g = s.groupby(["date", "sector"])
    ref = pd.DataFrame(
        {
            "return": g["wr"].sum(min_count=1) / g["w"].sum(min_count=1),
            "amount": g["amount"].sum(),
            "float_mcap": g["float_mcap"].sum(),
            "members": g.size(),
            "breadth": g["r"].apply(
                lambda r: (r.dropna() > 0).mean() if r.notna().any() else np.nan
            ),
        }
    )
    ours = ours.reindex(ref.index)
    for column in ("return", "amount", "float_mcap", "breadth"):
        assert_allclose(
            ours[column].to_numpy(float),
            ref[column].to_numpy(float),
            rtol=1e-12,
            equal_nan=True,
            err_msg=column,
        )
    assert (ours["members"].to_numpy() == ref["members"].to_numpy()).all()


def test_shares_sum_to_one_and_equal_weight_is_the_member_mean(market: pl.DataFrame) -> None:
    agg = sf.sector_aggregate(
        market, weight="equal", sectors={"Tech": ["InfoTech", "Communication"]}
    )
    share = sf.turnover_share(agg.filter(~pl.col("composite")), window=5)
    totals = (
        share.group_by("date")
        .agg(pl.col("turnover_share").sum(), pl.col("turnover_share").null_count().alias("nulls"))
        .filter(pl.col("nulls") == 0)
    )
    assert totals.height > 300
    assert_allclose(totals.get_column("turnover_share").to_numpy(), 1.0, rtol=1e-12)
    s = stock_returns_ref(market.drop_nulls("close").to_pandas())
    ref = s.groupby(["date", "sector"])["r"].mean().rename("ref").reset_index()
    got = agg.to_pandas().merge(ref, on=["date", "sector"])
    assert_allclose(
        got["return"].to_numpy(float), got["ref"].to_numpy(float), rtol=1e-12, equal_nan=True
    )
    tech = s[s["sector"].isin(["InfoTech", "Communication"])].groupby("date")["r"].mean()
    got_tech = agg.filter(pl.col("sector") == "Tech").to_pandas().set_index("date")["return"]
    assert_allclose(got_tech.to_numpy(float), tech.to_numpy(float), rtol=1e-12, equal_nan=True)


def test_aggregate_is_the_same_for_any_row_order_chunking_and_name_length(
    market: pl.DataFrame,
) -> None:
    """Symbols and sectors are coded in the core from Arrow strings: short names packed inline,
    long ones (over 12 bytes) hashed, codes kept across chunks; none of it may change a total."""
    ref = sf.sector_aggregate(market, sectors={"Tech": ["InfoTech", "Communication"]})
    longer = {s: f"{s} sector, a long name 电子" for s in market.get_column("sector").unique()}
    third = market.height // 3
    variants = {
        "symbol-major": market.sort("symbol", "date"),
        "chunked": pl.concat(
            [market.slice(0, third), market.slice(third, third), market.slice(2 * third)],
            rechunk=False,
        ),
        "pandas": market.to_pandas(),
        "long names": market.with_columns(
            pl.col("sector").replace_strict(longer),
            pl.col("symbol") + " listed on a long exchange name",
        ),
    }
    for name, stocks in variants.items():
        composite = [longer["InfoTech"], longer["Communication"]] if "long" in name else None
        got = sf.sector_aggregate(
            stocks, sectors={"Tech": composite or ["InfoTech", "Communication"]}
        )
        if "long" in name:
            back = {v: k for k, v in longer.items()}
            got = got.with_columns(pl.col("sector").replace(back)).sort("sector", "date")
        assert got.height == ref.height, name
        for column in ("return", "close", "amount", "members", "breadth", "market_close"):
            assert_allclose(
                got.get_column(column).to_numpy().astype(float),
                ref.get_column(column).to_numpy().astype(float),
                rtol=1e-12,
                equal_nan=True,
                err_msg=f"{name}: {column}",
            )


def test_suspensions_do_not_distort_sector_returns() -> None:
    dates = pd.bdate_range("2024-01-01", periods=5).date
    rows = []
    closes = {"A": [10, 11, 12, 12, 13], "B": [20, 20, 20, 20, 22], "C": [5, 5.5, None, None, 6]}
    for sym, cs in closes.items():
        for d, c in zip(dates, cs, strict=True):
            if c is not None:
                rows.append((d, sym, "S", float(c), 1.0, 1.0, 100.0))
    stocks = pl.DataFrame(
        rows,
        schema=["date", "symbol", "sector", "close", "volume", "amount", "float_mcap"],
        orient="row",
    )
    ret = sf.sector_aggregate(stocks, weight="equal").get_column("return").to_list()
    # Day 3: C has no bar, so the sector is A and flat B; day 5: C's return spans its suspension.
    assert ret[2] == pytest.approx((12 / 11 - 1 + 0) / 2)
    assert ret[3] == pytest.approx((0 + 0) / 2)
    assert ret[4] == pytest.approx((13 / 12 - 1 + 22 / 20 - 1 + 6 / 5.5 - 1) / 3)


@needs_data
def test_dollar_volume_share_of_the_nine_spdr_sectors() -> None:
    raw = pl.read_csv(ETFS, try_parse_dates=True).filter(pl.col("symbol").is_in(SPDR9))
    stocks = raw.select(
        "date",
        "symbol",
        pl.col("symbol").alias("sector"),
        "close",
        "volume",
        (pl.col("close") * pl.col("volume")).alias("amount"),
        pl.lit(1.0).alias("float_mcap"),
    )
    ours = sf.turnover_share(stocks, window=20)
    dv = wide(stocks, "amount", key="symbol")
    ref = dv.rolling(20).sum().div(dv.sum(axis=1, min_count=1).rolling(20).sum(), axis=0)
    got = wide(ours, "turnover_share").reindex_like(ref)
    assert got.notna().sum().sum() > 50_000
    assert_allclose(got.to_numpy(float), ref.to_numpy(float), rtol=1e-10, equal_nan=True)
    daily = sf.turnover_share(stocks, window=1)
    assert_allclose(
        daily.group_by("date").agg(pl.col("turnover_share").sum())["turnover_share"].to_numpy(),
        1.0,
        rtol=1e-12,
    )


def test_cap_adjusted_share_and_turnover_rate(market: pl.DataFrame) -> None:
    agg = sf.sector_aggregate(market)
    ours = sf.turnover_share(agg, window=1, cap_adjusted=True).to_pandas()
    ref = agg.to_pandas().sort_values(["sector", "date"])
    expect = (ref["amount"] / ref["market_amount"]) / (ref["float_mcap"] / ref["market_float_mcap"])
    assert_allclose(ours["cap_adjusted_share"].to_numpy(float), expect.to_numpy(float), rtol=1e-12)
    rate = sf.turnover_rate(agg, window=5)
    ref_rate = wide(agg, "amount").rolling(5).sum() / wide(agg, "float_mcap").rolling(5).sum()
    assert_allclose(
        wide(rate, "turnover_rate").reindex_like(ref_rate).to_numpy(float),
        ref_rate.to_numpy(float),
        rtol=1e-12,
        equal_nan=True,
    )


def test_top_concentration_equals_sorted_sums(market: pl.DataFrame) -> None:
    ours = sf.top_concentration(market, top=0.2).to_pandas()
    p = market.drop_nulls("amount").to_pandas()

    def top_share(a: pd.Series) -> float:
        k = int(np.ceil(0.2 * len(a)))
        return a.sort_values(ascending=False).iloc[:k].sum() / a.sum()

    ref = p.groupby(["date", "sector"])["amount"].apply(top_share).reset_index()
    got = ours.merge(ref, on=["date", "sector"])
    assert len(got) == len(ref)
    assert_allclose(
        got["top_concentration"].to_numpy(float), got["amount"].to_numpy(float), rtol=1e-12
    )


# Crowding -----------------------------------------------------------------------------------


def test_crowding_is_the_weighted_mean_of_factor_percentiles(market: pl.DataFrame) -> None:
    agg = sf.sector_aggregate(market)
    ours = sf.crowding(agg, window=120, min_periods=30, smooth=10)
    p = agg.to_pandas().sort_values(["sector", "date"])
    g = p.groupby("sector")
    factors = {
        "turnover_share": g["amount"].transform(lambda s: s.rolling(10).sum())
        / g["market_amount"].transform(lambda s: s.rolling(10).sum()),
        "volatility": g["close"].transform(lambda s: s.pct_change().rolling(10).std()),
        "bias": p["close"] / g["close"].transform(lambda s: s.rolling(10).mean()) - 1,
    }
    got = ours.to_pandas()
    pcts = []
    for name, values in factors.items():
        assert_allclose(
            got[name].to_numpy(float),
            values.to_numpy(float),
            rtol=1e-9,
            equal_nan=True,
            err_msg=name,
        )
        pct = values.groupby(p["sector"]).transform(
            lambda s: s.rolling(120, min_periods=30).rank(pct=True)
        )
        assert_allclose(
            got[f"{name}_pct"].to_numpy(float),
            pct.to_numpy(float),
            rtol=1e-12,
            equal_nan=True,
            err_msg=name,
        )
        pcts.append(pct)
    corr = g.apply(lambda d: d["volume"].rolling(10).corr(d["close"]), include_groups=False)
    inverted = corr.groupby(level=0).transform(
        lambda s: s.rolling(120, min_periods=30).rank(pct=True, ascending=False)
    )
    assert_allclose(
        got["volume_price_corr_pct"].to_numpy(float),
        inverted.to_numpy(float),
        rtol=1e-9,
        equal_nan=True,
    )
    three = sf.crowding(
        agg,
        factors={"turnover_share": 2, "volatility": 1, "bias": 1},
        window=120,
        min_periods=30,
        smooth=10,
    )
    ref = (2 * pcts[0] + pcts[1] + pcts[2]) / 4
    both = three.to_pandas()["crowding"].to_numpy(float)
    ok = np.isfinite(ref.to_numpy(float))
    assert_allclose(both[ok], ref.to_numpy(float)[ok], rtol=1e-12)
    assert (three["crowding_high"] == (three["crowding"] >= 0.95)).all()


# Drawdowns ------------------------------------------------------------------------------------


def episodes_ref(close: pd.Series, min_depth: float) -> pd.DataFrame:
    """pyfolio-style episodes by a plain loop: peak, trough, recovery, depth."""
    rows, peak_i, high, trough_i = [], 0, close.iloc[0], 0
    for i in range(1, len(close)):
        c = close.iloc[i]
        if c >= high:
            depth = 1 - close.iloc[trough_i] / high
            if depth > 0 and depth >= min_depth:
                rows.append((close.index[peak_i], close.index[trough_i], close.index[i], depth))
            peak_i, high, trough_i = i, c, i
        elif c < close.iloc[trough_i]:
            trough_i = i
    depth = 1 - close.iloc[trough_i] / high
    if depth > 0:
        rows.append((close.index[peak_i], close.index[trough_i], None, depth))
    return pd.DataFrame(rows, columns=["peak", "trough", "recovery", "depth"])


@needs_data
def test_spy_drawdown_episodes_equal_the_reference() -> None:
    spy = pl.read_csv(ETFS, try_parse_dates=True).filter(pl.col("symbol") == "SPY")
    series = spy.to_pandas().set_index("date")["adj_close"]
    ours = sf.drawdown_episodes(series, min_depth=0.1).to_pandas()
    ref = episodes_ref(series, 0.1)
    assert len(ours) == len(ref) >= 8
    assert list(ours["peak"]) == list(ref["peak"])
    assert list(ours["trough"]) == list(ref["trough"])
    assert list(ours["recovery"].iloc[:-1]) == list(ref["recovery"].iloc[:-1])
    assert_allclose(ours["depth"].to_numpy(), ref["depth"].to_numpy(), rtol=1e-12)
    gfc = ours[ours["peak"] == pd.Timestamp("2007-10-09")].iloc[0]
    assert gfc["trough"] == pd.Timestamp("2009-03-09")
    under = sf.drawdown(series).to_pandas()
    assert_allclose(
        under["drawdown"].to_numpy(), (series / series.cummax() - 1).to_numpy(), rtol=1e-15
    )


def test_open_episode_reports_depth_now_bars_and_percentiles() -> None:
    close = [100, 90, 100, 80, 100, 95, 101, 90, 93.0]
    dates = pd.bdate_range("2024-01-01", periods=len(close))
    ep = sf.drawdown_episodes(pd.Series(close, index=dates), min_depth=0.05)
    assert ep["depth"].to_list() == pytest.approx([0.1, 0.2, 0.05, 1 - 90 / 101])
    last = ep.row(-1, named=True)
    assert last["open"]
    assert last["recovery"] is None
    assert last["depth_now"] == pytest.approx(1 - 93 / 101)
    assert last["bars"] == 2
    assert last["bars_to_trough"] == 1
    # Depth 0.109 among past 0.1, 0.2, 0.05: rank 3 of 4; bars 2 among 2, 2, 2: average rank 2.5.
    assert last["depth_percentile"] == pytest.approx(3 / 4)
    assert last["bars_percentile"] == pytest.approx(2.5 / 4)
    assert ep.row(0, named=True)["bars_to_recovery"] == 1


# Dashboard and errors --------------------------------------------------------------------------


def test_dashboard_has_one_row_per_sector_with_every_score(market: pl.DataFrame) -> None:
    table = sf.sector_dashboard(market, crowding_window=120)
    assert table.height == market.get_column("sector").n_unique()
    assert table.get_column("date").n_unique() == 1
    for column in (
        "excess_return",
        "excess_return_pct",
        "turnover_share_pct",
        "crowding",
        "drawdown",
        "quadrant",
    ):
        assert table.get_column(column).null_count() == 0, column
    excess = sf.excess_return(sf.sector_aggregate(market), "market")
    last = excess.filter(pl.col("date") == excess.get_column("date").max())
    expect = dict(zip(last["sector"], last["excess_return"], strict=True))
    assert all(
        expect[s] == pytest.approx(v)
        for s, v in zip(table["sector"], table["excess_return"], strict=True)
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.drop("amount"), "no column 'amount'"),
        (lambda df: pl.concat([df.head(1), df]), "more than one row for symbol="),
        (lambda df: df.reverse(), "not sorted by date within each symbol"),
        (
            lambda df: df.with_columns(
                volume=pl.when(pl.int_range(pl.len()) == 5).then(-1.0).otherwise(pl.col("volume"))
            ),
            "volume is negative",
        ),
        (lambda df: df.with_columns(close=pl.lit(0.0)), "close must be positive"),
        (lambda df: df.with_columns(volume=pl.lit("x")), "'volume' must be numeric"),
    ],
)
def test_bad_stock_bars_are_named(
    market: pl.DataFrame, change: Callable[[pl.DataFrame], pl.DataFrame], message: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        sf.sector_aggregate(change(market))


def test_bad_arguments_are_named(market: pl.DataFrame) -> None:
    agg = sf.sector_aggregate(market)
    with pytest.raises(ValueError, match="sectors\\['X'\\] names 'Nope'"):
        sf.sector_aggregate(market, sectors={"X": ["Nope"]})
    with pytest.raises(ValueError, match="weight must be"):
        sf.sector_aggregate(market, weight="cap")
    with pytest.raises(ValueError, match="mode must be"):
        sf.excess_return(agg, "market", mode="pct")
    with pytest.raises(ValueError, match="window must be"):
        sf.excess_return(agg, "market", window=0)
    with pytest.raises(ValueError, match="no dates in common"):
        sf.excess_return(agg, pl.DataFrame({"date": [dt.date(1990, 1, 1)], "close": [1.0]}))
    with pytest.raises(ValueError, match="needs column 'nope'"):
        sf.crowding(agg, factors={"nope": 1})
    with pytest.raises(ValueError, match="min_depth"):
        sf.drawdown_episodes(
            agg.filter(pl.col("sector") == "Energy").select("date", "close"), min_depth=2
        )
    with pytest.raises(TypeError, match="stocks must be a polars or pandas"):
        sf.sector_aggregate([1, 2])
