"""``diffusion_index``: each construction against its definition written here in pandas."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

import sectorflow as sf
from sectorflow.models.diffusion import diffusion_index
from tests.data import needs_data, shenwan


def stock_bars() -> pl.DataFrame:
    market = sf.datasets.synthetic_market(n_symbols=240, n_days=160, seed=7)
    # Some missing closes, and a sector thin enough to fall under min_members on some dates.
    rng = np.random.default_rng(0)
    holes = rng.random(market.height) < 0.03
    return market.with_columns(pl.when(pl.lit(holes)).then(None).otherwise("close").alias("close"))


def breadth_reference(
    bars: pd.DataFrame, construction: str, n: int, weights: str, least: int
) -> pd.DataFrame:
    bars = bars.sort_values(["symbol", "date"]).copy()
    p = bars.groupby("symbol")["close"]
    if construction == "above_ma":
        sma = p.transform(lambda s: s.rolling(n).mean())
        up, known = bars["close"] > sma, sma.notna() & bars["close"].notna()
    else:
        k = n if construction == "positive_momentum" else 1
        change = p.transform(lambda s: s / s.shift(k) - 1.0)
        up, known = change > 0, change.notna()
    w = bars["float_mcap"] if weights == "float_mcap" else pd.Series(1.0, index=bars.index)
    bars["w"] = w.where(known)
    bars["up"] = bars["w"] * up
    g = bars.groupby(["date", "sector"])
    di = (g["up"].sum() / g["w"].sum()).where(g["w"].count() >= least).rename("want").reset_index()
    if construction == "rising_share":
        di = di.sort_values(["sector", "date"])
        di["want"] = di.groupby("sector")["want"].transform(lambda s: s.rolling(n).mean())
    return di


def compare(got: pl.DataFrame, want: pd.DataFrame) -> None:
    got_pd = got.to_pandas()
    got_pd["date"] = pd.to_datetime(got_pd["date"])
    want = want.assign(date=pd.to_datetime(want["date"]))
    merged = got_pd.merge(want, on=["date", "sector"], how="outer", validate="one_to_one")
    assert len(merged) == len(got_pd)
    np.testing.assert_array_equal(merged["diffusion"].isna(), merged["want"].isna())
    both = merged["want"].notna()
    assert both.sum() > 100
    np.testing.assert_allclose(merged.loc[both, "diffusion"], merged.loc[both, "want"], rtol=1e-12)
    assert merged["diffusion"].dropna().between(0.0, 1.0).all()


@pytest.mark.parametrize("construction", ["above_ma", "positive_momentum", "rising_share"])
@pytest.mark.parametrize("weights", ["equal", "float_mcap"])
def test_breadth_constructions_equal_their_definitions(construction: str, weights: str) -> None:
    bars = stock_bars()
    got = diffusion_index(bars, construction, n=10, weights=weights, min_members=12)  # type: ignore[arg-type]
    compare(got, breadth_reference(bars.to_pandas(), construction, 10, weights, 12))


def level_reference(levels: pd.DataFrame, construction: str, n: int) -> pd.DataFrame:
    levels = levels.sort_values(["sector", "date"]).copy()
    p = levels.groupby("sector")["close"]
    if construction == "price_position":
        lo = p.transform(lambda s: s.rolling(n).min())
        hi = p.transform(lambda s: s.rolling(n).max())
        levels["want"] = ((levels["close"] - lo) / (hi - lo)).where(hi > lo)
    else:
        levels["m"] = p.transform(lambda s: s / s.shift(n) - 1.0)
        levels["want"] = levels.groupby("date")["m"].rank(pct=True)
    return levels[["date", "sector", "want"]]


@pytest.mark.parametrize("construction", ["price_position", "rank"])
def test_level_constructions_equal_their_definitions_on_ken_french(construction: str) -> None:
    levels, _ = sf.datasets.ff49_sectors()
    levels = levels.filter(pl.col("date") >= pl.date(2015, 1, 1))
    got = diffusion_index(levels, construction, n=60)  # type: ignore[arg-type]
    compare(got, level_reference(levels.to_pandas(), construction, 60))


@needs_data
@pytest.mark.parametrize("construction", ["price_position", "rank"])
def test_level_constructions_on_shenwan_with_smoothing(construction: str) -> None:
    levels, _ = shenwan("000985.CSI")
    got = diffusion_index(levels, construction, n=20, smoothing=5)  # type: ignore[arg-type]
    want = level_reference(levels.to_pandas(), construction, 20).sort_values(["sector", "date"])
    want["want"] = want.groupby("sector")["want"].transform(lambda s: s.ewm(span=5).mean())
    compare(got, want)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"construction": "breadth"}, "construction"),
        ({"n": 0}, "n must be"),
        ({"smoothing": -1}, "smoothing"),
        ({"min_members": 0}, "min_members"),
        ({"weights": "cap"}, "weights"),
        ({"construction": "rank", "weights": "float_mcap"}, "weights"),
    ],
)
def test_bad_options_are_refused_by_name(kw: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        diffusion_index(stock_bars(), **kw)


def test_missing_columns_and_duplicates_are_refused() -> None:
    bars = stock_bars()
    with pytest.raises(ValueError, match="symbol"):
        diffusion_index(bars.drop("symbol"))
    with pytest.raises(ValueError, match="more than one row"):
        diffusion_index(pl.concat([bars, bars.head(1)]))
