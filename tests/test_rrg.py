"""sectorflow.rrg against independent pandas references written here, on real and hand-made data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from numpy.testing import assert_allclose

import sectorflow as sf
from sectorflow.sector.rrg import QUADRANTS
from tests import data
from tests.data import ETFS, needs_data

Frames = tuple[pl.DataFrame, pl.DataFrame]


@pytest.fixture(scope="module")
def shenwan() -> tuple[pl.DataFrame, pl.DataFrame]:
    return data.shenwan("000300.SH")


@pytest.fixture(scope="module")
def etfs() -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = pl.read_csv(ETFS, try_parse_dates=True).filter(pl.col("date") >= dt.date(2010, 1, 1))
    sectors = raw.filter(pl.col("symbol") != "SPY").select(
        "date", pl.col("symbol").alias("sector"), "close"
    )
    bench = raw.filter(pl.col("symbol") == "SPY").select("date", "close")
    return sectors, bench


def weekly(df: pl.DataFrame) -> pd.DataFrame:
    """Wide weekly closes in pandas: last close of each week ending Friday, on SPY's weeks."""
    wide = df.to_pandas().pivot(index="date", columns="sector", values="close")
    wide.index = pd.DatetimeIndex(wide.index)
    return wide.resample("W-FRI").last().dropna(how="all")


def zscore(s: pd.DataFrame | pd.Series, w: int, ddof: int = 1) -> pd.DataFrame | pd.Series:
    r = s.rolling(w)
    return (s - r.mean()) / r.std(ddof=ddof)


def as_wide(result: pl.DataFrame, column: str) -> pd.DataFrame:
    wide = result.to_pandas().pivot(index="date", columns="sector", values=column)
    wide.index = pd.DatetimeIndex(wide.index)
    return wide


def compare(ours: pd.DataFrame, ref: pd.DataFrame, rtol: float = 1e-9) -> None:
    """Same values on the weeks both have (pandas labels weeks by Friday, we by last trading day)."""
    ours = ours.copy()
    ours.index = ours.index + pd.to_timedelta((4 - ours.index.day_of_week) % 7, unit="D")
    ref = ref.reindex(index=ours.index, columns=ours.columns)
    assert ours.notna().to_numpy().sum() > 100
    assert_allclose(ours.to_numpy(float), ref.to_numpy(float), rtol=rtol, atol=1e-9, equal_nan=True)


@needs_data
def test_jdk_equals_the_pandas_formula_on_us_sector_etfs(etfs: Frames) -> None:
    sectors, bench = etfs
    w, k = 14, 1
    result = sf.rrg(sectors, bench, window=w, momentum_lag=k)
    p = weekly(sectors)
    b = weekly(bench.with_columns(sector=pl.lit("SPY")))["SPY"]
    rs = 100 * p.div(b, axis=0)
    ratio = 100 + zscore(rs, w)
    roc = 100 * (ratio / ratio.shift(k) - 1)
    momentum = 100 + zscore(roc, w)
    compare(as_wide(result, "rs_ratio"), ratio)
    compare(as_wide(result, "rs_momentum"), momentum, rtol=1e-7)


@needs_data
def test_weekly_bars_are_labelled_with_the_last_trading_day(etfs: Frames) -> None:
    sectors, bench = etfs
    result = sf.rrg(sectors, bench)
    dates = result.get_column("date").unique()
    assert set(bench.get_column("date")) >= set(dates.to_list())
    # Good Friday 2019-04-19: that week's bar is Thursday's close.
    assert dt.date(2019, 4, 18) in dates.to_list()
    assert dt.date(2019, 4, 19) not in dates.to_list()


@needs_data
@pytest.mark.parametrize("mode", ["ratio", "diff", "log"])
def test_haitong_equals_the_pandas_formula_on_shenwan(shenwan: Frames, mode: str) -> None:
    sectors, bench = shenwan
    lookback = 26
    result = sf.rrg(sectors, bench, method="haitong", excess_mode=mode, lookback=lookback)
    p = weekly(sectors)
    b = weekly(bench.with_columns(sector=pl.lit("CSI300")))["CSI300"]
    b = b[b.index.isin(p.index)]
    gp, gb = p / p.shift(lookback), b / b.shift(lookback)
    excess = {
        "ratio": gp.div(gb, axis=0) - 1,
        "diff": gp.sub(gb, axis=0),
        "log": np.log(gp).sub(np.log(gb), axis=0),
    }[mode]
    compare(as_wide(result, "rs_ratio"), excess, rtol=1e-12)
    compare(as_wide(result, "rs_momentum"), excess - excess.shift(1), rtol=1e-9)
    # centre (0, 0): the quadrant follows the signs
    last = result.drop_nulls("quadrant").filter(pl.col("date") == pl.col("date").max())
    for row in last.iter_rows(named=True):
        east, north = row["rs_ratio"] >= 0, row["rs_momentum"] >= 0
        want = {(1, 1): "Leading", (1, 0): "Weakening", (0, 0): "Lagging", (0, 1): "Improving"}
        assert row["quadrant"] == want[east, north]


@needs_data
def test_rrg_lite_equals_its_fixed_base_roc(etfs: Frames) -> None:
    """RRG-Lite's code: ROC against the value PERIOD bars before the last, then a z-score."""
    sectors, bench = etfs
    w, period = 14, 52
    result = sf.rrg(sectors, bench, method="rrg_lite", window=w)
    p = weekly(sectors)
    b = weekly(bench.with_columns(sector=pl.lit("SPY")))["SPY"]
    rs = 100 * p.div(b, axis=0)
    ratio = 100 + zscore(rs, w)
    base = ratio.iloc[-period - 1]
    roc = 100 * (ratio / base - 1)
    momentum = 100 + zscore(roc, w)
    listed = base.index[base.notna()]  # XLRE was delisted before the base date
    assert len(listed) >= 9
    compare(as_wide(result, "rs_momentum")[listed], momentum[listed], rtol=1e-7)


@needs_data
def test_rrgpy_uses_population_std_and_offset_101(etfs: Frames) -> None:
    sectors, bench = etfs
    w = 14
    result = sf.rrg(sectors, bench, method="rrgpy", window=w)
    p = weekly(sectors)
    b = weekly(bench.with_columns(sector=pl.lit("SPY")))["SPY"]
    ratio = 100 + zscore(100 * p.div(b, axis=0), w, ddof=0)
    compare(as_wide(result, "rs_ratio"), ratio)
    compare(as_wide(result, "rs_momentum"), 101 + zscore(ratio, w, ddof=0), rtol=1e-7)


@needs_data
def test_ema_centre_and_ma_ratio_variants(etfs: Frames) -> None:
    sectors, bench = etfs
    w, k = 10, 2
    p = weekly(sectors)
    b = weekly(bench.with_columns(sector=pl.lit("SPY")))["SPY"]
    rs = 100 * p.div(b, axis=0)
    ema = sf.rrg(sectors, bench, window=w, momentum_lag=k, ma="ema")
    centre = rs.ewm(span=w, min_periods=w).mean()
    ratio = 100 + (rs - centre) / rs.rolling(w).std()
    compare(as_wide(ema, "rs_ratio"), ratio, rtol=1e-8)
    mr = sf.rrg(sectors, bench, window=w, momentum_lag=k, normalize="ma_ratio")
    smooth = rs.ewm(span=w, min_periods=w).mean()
    ratio = 100 * smooth / smooth.rolling(w).mean()
    roc = (ratio - ratio.shift(k)) / ratio.shift(k)
    compare(as_wide(mr, "rs_ratio"), ratio, rtol=1e-9)
    compare(as_wide(mr, "rs_momentum"), 100 + 100 * roc.ewm(span=w, min_periods=w).mean(), 1e-8)


def hand_made(n: int = 40) -> tuple[pl.DataFrame, pl.DataFrame]:
    days = pl.date_range(
        dt.date(2024, 1, 1), dt.date(2024, 1, 1) + dt.timedelta(days=n - 1), eager=True
    )
    rng = np.random.default_rng(7)
    bench = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    a = bench * np.exp(np.cumsum(rng.normal(0.001, 0.01, n)))
    prices = pl.DataFrame(
        {
            "date": np.concatenate([days, days, days]),
            "sector": ["A"] * n + ["flat"] * n + ["gappy"] * n,
            "close": np.concatenate([a, bench, a]),
        }
    ).filter(~((pl.col("sector") == "gappy") & (pl.col("date") == days[25])))
    return prices, pl.DataFrame({"date": days, "close": bench})


def test_geometry_columns_follow_from_the_points() -> None:
    prices, bench = hand_made()
    r = sf.rrg(prices, bench, freq=None, window=5).filter(pl.col("sector") == "A")
    x, y = r["rs_ratio"].to_numpy(), r["rs_momentum"].to_numpy()
    assert_allclose(r["distance"].to_numpy(), np.hypot(x - 100, y - 100), rtol=1e-15)
    step = np.hypot(np.diff(x), np.diff(y))
    assert_allclose(r["velocity"].to_numpy()[1:], step, rtol=1e-15)
    heading = np.degrees(np.arctan2(np.diff(y), np.diff(x))) % 360
    assert_allclose(r["heading"].to_numpy()[1:], heading, rtol=1e-12)
    h = r["heading"].drop_nulls().to_numpy()
    assert ((h >= 0) & (h < 360)).all()
    q = np.select(
        [(x >= 100) & (y >= 100), (x >= 100) & (y < 100), (x < 100) & (y < 100)],
        ["Leading", "Weakening", "Lagging"],
        "Improving",
    )
    defined = ~np.isnan(x) & ~np.isnan(y)
    assert r["quadrant"].to_list() == [v if d else None for v, d in zip(q, defined, strict=True)]


def test_flat_relative_strength_is_null_never_inf() -> None:
    prices, bench = hand_made()
    r = sf.rrg(prices, bench, freq=None, window=5)
    flat = r.filter(pl.col("sector") == "flat")
    assert flat["rs_ratio"].null_count() == flat.height
    assert flat["quadrant"].null_count() == flat.height
    assert r.select(pl.selectors.float().is_infinite().any()).row(0) == (False,) * 5


def test_missing_bars_stay_missing_unless_filled() -> None:
    prices, bench = hand_made()
    r = sf.rrg(prices, bench, freq=None, window=5)
    a = r.filter(pl.col("sector") == "A")["rs_ratio"].to_numpy()
    gappy = r.filter(pl.col("sector") == "gappy")["rs_ratio"].to_numpy()
    assert np.isnan(gappy[25])
    # the gap empties every window that contains it, then the series recovers exactly
    assert np.isnan(gappy[25:30]).all()
    assert_allclose(gappy[30:], a[30:], rtol=1e-14)
    filled = sf.rrg(prices, bench, freq=None, window=5, fill=True)
    assert not np.isnan(filled.filter(pl.col("sector") == "gappy")["rs_ratio"].to_numpy()[25])


def test_calendar_is_the_benchmarks() -> None:
    prices, bench = hand_made()
    extra = pl.DataFrame({"date": [dt.date(2030, 1, 1)], "sector": ["A"], "close": [1.0]})
    r = sf.rrg(pl.concat([prices, extra]), bench.head(30), freq=None, window=5)
    assert r["date"].max() == bench["date"][29]
    assert r.height == 3 * 30


def test_wide_pandas_and_polars_inputs_equal_long_input() -> None:
    prices, bench = hand_made()
    long = sf.rrg(prices, bench, freq=None, window=5)
    wide = prices.pivot(on="sector", index="date", values="close").sort("date")
    assert sf.rrg(wide, bench, freq=None, window=5).equals(long)
    pdw = wide.to_pandas().set_index("date")
    pdw.index = pd.DatetimeIndex(pdw.index)
    pdb = bench.to_pandas().set_index("date")["close"]
    pdb.index = pd.DatetimeIndex(pdb.index)
    assert sf.rrg(pdw, pdb, freq=None, window=5).equals(long)
    assert sf.rrg(prices.to_pandas(), bench.to_pandas(), freq=None, window=5).equals(long)


def test_each_stock_against_its_own_sector() -> None:
    market = sf.datasets.synthetic_market(n_symbols=40, n_days=300, seed=3)
    index = market.group_by("date", "sector").agg(pl.col("close").mean()).sort("date")
    r = sf.rrg(market, index, freq=None, window=10, key="symbol", benchmark_key="sector")
    assert r.columns[:2] == ["date", "symbol"]
    symbol, sector = market.select("symbol", "sector").row(0)
    alone = sf.rrg(
        market.filter(pl.col("symbol") == symbol).select("date", "symbol", "close"),
        index.filter(pl.col("sector") == sector).select("date", "close"),
        freq=None,
        window=10,
        key="symbol",
    )
    mine = r.filter(pl.col("symbol") == symbol).join(alone, on="date", how="semi")
    assert_allclose(
        mine["rs_ratio"].to_numpy(), alone.sort("date")["rs_ratio"].to_numpy(), equal_nan=True
    )


def test_tail_and_transitions() -> None:
    prices, bench = hand_made(80)
    r = sf.rrg(prices, bench, freq=None, window=5)
    tail = sf.rrg_tail(r, 4)
    assert tail.group_by("sector").len()["len"].to_list() == [4, 4]  # flat has no points
    a = r.filter(pl.col("sector") == "A").drop_nulls("quadrant")
    assert tail.filter(pl.col("sector") == "A")["date"].to_list() == a["date"].to_list()[-4:]
    moves = sf.rrg_transitions(r).filter(pl.col("sector") == "A")
    q = a["quadrant"].to_list()
    want = [(d, f, t) for d, f, t in zip(a["date"][1:], q, q[1:], strict=False) if f != t]
    assert list(zip(moves["date"], moves["from"], moves["to"], strict=True)) == want
    assert sf.rrg_tail(r, 3, asof=a["date"][20])["date"].max() == a["date"][20]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"method": "stockcharts"}, "method"),
        ({"window": 1}, "window"),
        ({"momentum_lag": 0}, "momentum_lag"),
        ({"ddof": 5, "window": 5}, "ddof"),
        ({"ma": "wma"}, "ma"),
        ({"normalize": "minmax"}, "normalize"),
        ({"excess_mode": "pct", "method": "haitong"}, "excess_mode"),
        ({"freq": "M"}, "freq"),
    ],
)
def test_bad_arguments_name_themselves(kwargs: dict, name: str) -> None:
    prices, bench = hand_made()
    kwargs = {"freq": None} | kwargs
    with pytest.raises(ValueError, match=name):
        sf.rrg(prices, bench, **kwargs)


def test_bad_tables_are_refused_clearly() -> None:
    prices, bench = hand_made()
    with pytest.raises(ValueError, match="benchmark has no column 'close'"):
        sf.rrg(prices, bench.rename({"close": "px"}).with_columns(x=1.0), freq=None)
    with pytest.raises(ValueError, match="prices has no column 'day'"):
        sf.rrg(prices, bench, date="day")
    with pytest.raises(ValueError, match="more than one row for sector='A'"):
        sf.rrg(pl.concat([prices, prices.head(1)]), bench, freq=None)
    later = bench.with_columns(pl.col("date") + dt.timedelta(days=400))
    with pytest.raises(ValueError, match="no dates in common"):
        sf.rrg(prices, later, freq=None)
    with pytest.raises(TypeError, match="prices must be a polars or pandas"):
        sf.rrg([1, 2], bench)


SW_ENGLISH = {
    "农林牧渔": "Agriculture", "基础化工": "Chemicals", "钢铁": "Steel", "有色金属": "Nonferrous",
    "电子": "Electronics", "家用电器": "Appliances", "食品饮料": "Food&Bev", "纺织服饰": "Textiles",
    "轻工制造": "Light Ind", "医药生物": "Pharma", "公用事业": "Utilities", "交通运输": "Transport",
    "房地产": "Real Estate", "商贸零售": "Retail", "社会服务": "Services", "综合": "Conglomerate",
    "建筑材料": "Bldg Mat", "建筑装饰": "Construction", "电力设备": "Power Equip", "国防军工": "Defense",
    "计算机": "Computers", "传媒": "Media", "通信": "Telecom", "银行": "Banks",
    "非银金融": "Non-bank Fin", "汽车": "Autos", "机械设备": "Machinery", "煤炭": "Coal",
    "石油石化": "Oil&Petchem", "环保": "Environment", "美容护理": "Beauty",
}  # fmt: skip


@needs_data
def test_chart_of_the_shenwan_rrg_is_written(shenwan: Frames, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    import sectorflow.app.plot

    sectors, bench = shenwan
    sectors = sectors.with_columns(pl.col("sector").replace_strict(SW_ENGLISH))
    result = sf.rrg(sectors, bench)
    path = tmp_path / "rrg.png"
    fig = sectorflow.app.plot.rrg(result, tail=8, path=path)
    assert path.stat().st_size > 50_000
    ax = fig.axes[0]
    texts = {t.get_text() for t in ax.texts}
    assert set(QUADRANTS) <= texts
    labels = [a for a in ax.texts if a.get_text().strip() in SW_ENGLISH.values()]
    assert len(labels) == 31
    # label boxes do not overlap each other
    fig.canvas.draw()
    boxes = [a.get_window_extent() for a in labels]
    overlaps = sum(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert overlaps == 0
