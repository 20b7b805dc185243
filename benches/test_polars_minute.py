"""The Polars job that compare.py --minute times computes what sf.minute_bars does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import polars_minute
import pytest

import sectorflow as sf

FEATURES = (
    "open", "high", "low", "close", "volume", "amount", "vwap", "minutes",
    "realized_variance", "realized_volatility", "realized_skew", "intraday_return",
    "overnight_return", "first_30_return", "first_30_volume_share", "last_30_return",
    "last_30_volume_share", "range_to_vwap", "amihud", "max_drawdown", "volume_price_corr",
)  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("minutes") / "bars"
    return sf.datasets.write_minute_bars(root, n_symbols=80, n_days=6, seed=7)


def test_the_polars_job_computes_the_minute_engines_tables(folder: Path) -> None:
    ours = sf.minute_bars(folder, every=30)
    bars, daily, rows = polars_minute.minute_job(folder, 30)
    assert rows == pl.scan_parquet(folder / "**/*.parquet").select(pl.len()).collect().item()
    assert daily.select("date", "symbol").equals(ours.daily.select("date", "symbol"))
    for c in FEATURES:
        a = ours.daily.get_column(c).cast(pl.Float64).to_numpy()
        b = daily.get_column(c).cast(pl.Float64).to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-15, err_msg=c)
    assert ours.bars is not None
    assert bars.height == ours.bars.height
    for c in ("open", "high", "low", "close", "volume", "amount", "minutes"):
        a = ours.bars.get_column(c).cast(pl.Float64).to_numpy()
        np.testing.assert_allclose(a, bars.get_column(c).cast(pl.Float64).to_numpy(), rtol=1e-12)
