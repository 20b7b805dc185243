"""The real market data beside the project (../shared/data) and the readers the tests share."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SHENWAN = DATA / "cn_sw2021_l1_and_broad_indices_daily.csv"
ETFS = DATA / "us_sector_etfs_daily.csv"
MINUTES = DATA / "us_intraday_1min_bars.csv"
needs_data = pytest.mark.skipif(not SHENWAN.exists(), reason="../shared/data is absent")


def shenwan(benchmark: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Shenwan level-1 closes (``date, sector, close``) and the index ``benchmark`` (``date, close``)."""
    raw = pl.read_csv(SHENWAN, try_parse_dates=True)
    sectors = raw.filter(pl.col("kind") == "sw2021_l1").select(
        "date", pl.col("name").alias("sector"), "close"
    )
    bench = raw.filter(pl.col("code") == benchmark).select("date", "close")
    return sectors, bench
