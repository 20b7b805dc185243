"""The synthetic market: shape, determinism, and the features it promises."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import sectorflow as sf
from sectorflow.datasets import SECTORS, synthetic_market


def test_columns_types_and_determinism() -> None:
    a = synthetic_market(n_symbols=50, n_days=400, seed=3)
    assert a.columns == [
        *("date", "symbol", "sector", "close", "volume", "amount", "float_mcap"),
        *("mcap", "net_profit_ttm", "book_equity", "forward_earnings"),
    ]
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


def test_synthetic_minute_bars_have_the_session_the_u_shape_and_the_limits(tmp_path: Path) -> None:
    bars = sf.datasets.synthetic_minute_bars(n_symbols=60, n_days=15, seed=3)
    assert bars.equals(sf.datasets.synthetic_minute_bars(n_symbols=60, n_days=15, seed=3))
    times = bars.get_column("datetime").dt.time().unique().sort()
    assert times.len() == 240
    assert (times[0], times[119], times[120], times[-1]) == (
        dt.time(9, 31), dt.time(11, 30), dt.time(13, 1), dt.time(15, 0),
    )  # fmt: skip
    per_day = bars.group_by("symbol", pl.col("datetime").dt.date()).len()
    assert set(per_day.get_column("len")) == {240}
    assert per_day.height < 60 * 15  # some symbols are suspended for whole days
    daily = sf.intraday_features(bars)
    # Heavier trading in the first and the last half hour than the session's average.
    assert daily.get_column("first_30_volume_share").mean() > 30 / 240
    assert daily.get_column("last_30_volume_share").mean() > 30 / 240
    # A-share limits: no close more than 10% (and a rounding cent) from the previous close.
    moves = daily.sort("symbol", "date").with_columns(
        (pl.col("close") / pl.col("close").shift(1).over("symbol") - 1).abs().alias("move")
    )
    assert moves.get_column("move").max() < 0.1 + 0.01
    assert (moves.get_column("move") > 0.095).sum() > 0
    folder = sf.datasets.write_minute_bars(tmp_path / "bars", n_symbols=60, n_days=15, seed=3)
    assert len(list(folder.glob("date=*/bars.parquet"))) == 15
    assert sf.intraday_features(folder).equals(daily)


def test_fundamentals_step_at_quarterly_reports() -> None:
    df = synthetic_market(n_symbols=120, n_days=700, seed=5)
    one = df.filter(pl.col("symbol") == "S00000").sort("date")
    # TTM earnings and book change only at quarterly reports (every 63 trading days).
    day = np.arange(700)
    dates = df.get_column("date").unique().sort()
    index = {d: i for i, d in enumerate(dates.to_list())}
    changes = one.filter(pl.col("net_profit_ttm").diff() != 0).get_column("date").to_list()
    assert all(index[d] % 63 == 0 for d in changes)
    assert len(day[::63]) >= len(changes) > 0
    assert df.select((pl.col("mcap") >= pl.col("float_mcap")).all()).item()
    assert df.select((pl.col("net_profit_ttm") < 0).any()).item(), "loss makers"
    energy = (
        df.filter(pl.col("sector") == "Energy")
        .group_by("date")
        .agg(pl.col("net_profit_ttm").sum())
        .filter(pl.col("net_profit_ttm") < 0)
    )
    assert energy.height > 63, "a spell in which the whole sector loses money"
