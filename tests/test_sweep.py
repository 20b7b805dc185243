"""``rotation_sweep`` and the core rotation kernel: each row equals ``backtest`` on its config."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

import sectorflow as sf
from sectorflow.models.backtest import backtest
from sectorflow.models.diffusion import diffusion_index
from sectorflow.models.sweep import rotation_sweep
from sectorflow.rotation import top_n_rotations
from tests.data import needs_data, shenwan

METRICS = (
    "annual_return",
    "benchmark_annual_return",
    "sharpe",
    "information_ratio",
    "max_drawdown",
    "hit_rate",
    "average_turnover",
)


def check_rows(levels: pl.DataFrame, sweep: pl.DataFrame, cost_bps: float) -> None:
    for row in sweep.iter_rows(named=True):
        scores = diffusion_index(
            levels, row["construction"], n=row["n"], smoothing=row["smoothing"]
        )
        rule = row["rebalance"]
        result = backtest(
            scores.rename({"diffusion": "score"}),
            levels,
            top_n=row["top_n"],
            rebalance=int(rule) if rule.isdigit() else rule,
            cost_bps=cost_bps,
        )
        for m in METRICS:
            assert row[m] == pytest.approx(result.metrics[m], rel=1e-9, abs=1e-12), (m, row)


def test_every_sweep_row_equals_its_backtest_on_ken_french() -> None:
    levels, _ = sf.datasets.ff49_sectors()
    levels = levels.filter(pl.col("date") >= dt.date(2016, 1, 1))
    sweep = rotation_sweep(
        levels, n=(20, 60), smoothing=(0, 5), top_n=(3, 6), rebalance=("M", 10), cost_bps=10.0
    )
    assert sweep.height == 2 * 2 * 2 * 2 * 2
    check_rows(levels, sweep, 10.0)


@needs_data
def test_sweep_rows_equal_backtests_on_shenwan() -> None:
    levels, _ = shenwan("000985.CSI")
    sweep = rotation_sweep(levels, n=(20,), smoothing=(5,), top_n=(6,), rebalance=("W-FRI", "M"))
    check_rows(levels, sweep, 0.0)


def test_the_kernel_refuses_mismatched_shapes_by_name() -> None:
    r = np.zeros((4, 2))
    with pytest.raises(ValueError, match="scores"):
        top_n_rotations(np.zeros((3, 2)), r, np.ones((4, 2), bool), [np.array([0])], [0], [1], [0])
    with pytest.raises(ValueError, match="rebalance"):
        top_n_rotations(np.zeros((4, 2)), r, np.ones((4, 2), bool), [np.array([9])], [0], [1], [0])
    with pytest.raises(ValueError, match="configs"):
        top_n_rotations(np.zeros((4, 2)), r, np.ones((4, 2), bool), [np.array([0])], [1], [1], [0])


def test_top_n_larger_than_the_universe_is_refused() -> None:
    levels, _ = sf.datasets.ff49_sectors()
    with pytest.raises(ValueError, match="top_n"):
        rotation_sweep(levels.filter(pl.col("date") >= dt.date(2021, 1, 1)), top_n=(60,))
