"""The synthetic market: shape, determinism, and the features it promises."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from sectorflow.datasets import SECTORS, synthetic_market


def test_columns_types_and_determinism() -> None:
    a = synthetic_market(n_symbols=50, n_days=400, seed=3)
    assert a.columns == ["date", "symbol", "sector", "close", "volume", "amount", "float_mcap"]
    assert a.schema["date"] == pl.Date
    assert a.equals(synthetic_market(n_symbols=50, n_days=400, seed=3))
    assert not a.equals(synthetic_market(n_symbols=50, n_days=400, seed=4))
    assert a.select(pl.col("sector").is_in(SECTORS).all()).item()
    assert a.select((pl.col("close") > 0).all()).item()
    assert a.select(pl.col("amount") == pl.col("volume") * pl.col("close")).to_series().all()


def test_listings_delistings_and_suspensions() -> None:
    df = synthetic_market(n_symbols=300, n_days=1_000, seed=1)
    spans = df.group_by("symbol").agg(
        pl.col("date").min().alias("first"), pl.col("date").max().alias("last"), pl.len()
    )
    first_day, last_day = df["date"].min(), df["date"].max()
    assert (spans["first"] > first_day).any(), "some symbols list after the start"
    assert (spans["last"] < last_day).any(), "some symbols delist before the end"
    assert (spans["len"] < 1_000).sum() > 100, "missing rows from suspensions"
    flat = df.filter(pl.col("volume") == 0)
    assert flat.height > 0, "flat suspended bars"
    runs = df.sort("symbol", "date").with_columns(pl.col("close").diff().over("symbol").alias("d"))
    assert runs.filter(pl.col("volume") == 0)["d"].drop_nulls().abs().max() == 0.0


def test_sector_factor_structure() -> None:
    df = synthetic_market(n_symbols=200, n_days=750, seed=2)
    wide = (
        df.sort("symbol", "date")
        .with_columns((pl.col("close").pct_change().over("symbol")).alias("r"))
        .pivot(on="symbol", index="date", values="r")
        .drop("date")
    )
    full = wide.select([c for c in wide.columns if wide[c].null_count() <= 1]).fill_null(0.0)
    c = np.corrcoef(full.to_numpy().T)
    sectors = dict(df.select("symbol", "sector").unique().iter_rows())
    sector = np.array([sectors[s] for s in full.columns])
    same = sector[:, None] == sector[None, :]
    off = ~np.eye(len(sector), dtype=bool)
    assert c[same & off].mean() > c[~same].mean() + 0.05


def test_minute_bars() -> None:
    df = synthetic_market(n_symbols=5, n_days=2, freq="1min", seed=0)
    assert df.schema["date"] == pl.Datetime("us")
    assert df["date"].n_unique() == 480


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"n_symbols": 0}, "n_symbols must be >= 1"), ({"freq": "5min"}, "freq must be")],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synthetic_market(**kwargs)  # type: ignore[arg-type]
