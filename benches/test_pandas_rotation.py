"""The pandas rotation reference agrees with ``rotation_sweep`` (so the timing compares like with like)."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

import sectorflow as sf

sys.path.insert(0, str(Path(__file__).parent))
import pandas_rotation


@pytest.mark.parametrize("rule", ["M", "W-FRI", 10])
def test_pandas_reference_equals_the_sweep(rule: object) -> None:
    levels, _ = sf.datasets.ff49_sectors()
    levels = levels.filter(pl.col("date") >= pl.date(2015, 1, 1))
    prices = levels.to_pandas().pivot(index="date", columns="sector", values="close")
    prices.index = prices.index.astype("datetime64[ns]")
    ours = sf.rotation_sweep(
        levels,
        constructions=("rank", "price_position"),
        n=(20,),
        smoothing=(5,),
        top_n=(6,),
        rebalance=(rule,),
    )
    for row in ours.iter_rows(named=True):
        want = pandas_rotation.rotation(
            prices, pandas_rotation.score(prices, row["construction"], 20, 5), 6, rule
        )
        for m in ("annual_return", "sharpe", "information_ratio", "max_drawdown"):
            assert row[m] == pytest.approx(want[m], rel=1e-9), m
