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


def check_rows(
    levels: pl.DataFrame,
    sweep: pl.DataFrame,
    cost_bps: float,
    stocks: pl.DataFrame | None = None,
    min_members: int = 5,
) -> None:
    for row in sweep.iter_rows(named=True):
        if row["weights"] is None:
            scores = diffusion_index(
                levels, row["construction"], n=row["n"], smoothing=row["smoothing"]
            )
        else:
            scores = diffusion_index(
                stocks,
                row["construction"],
                n=row["n"],
                smoothing=row["smoothing"],
                weights=row["weights"],
                min_members=min_members,
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


def test_breadth_sweep_rows_equal_backtests_on_stock_bars() -> None:
    # Breadth constructions read the stock bars (each weighting), level ones the sector index
    # levels; every rotation holds the sectors of the levels.
    stocks = sf.datasets.synthetic_market(n_symbols=120, n_days=400, seed=3)
    levels = sf.sector_aggregate(stocks, weight="equal").select("date", "sector", "close")
    sweep = rotation_sweep(
        levels,
        stocks=stocks,
        constructions=("above_ma", "rising_share", "rank"),
        n=(10, 40),
        smoothing=(0, 5),
        weights=("equal", "float_mcap"),
        top_n=(2,),
        rebalance=("M", 5),
        min_members=3,
        cost_bps=5.0,
    )
    # 2 breadth constructions x 2 weightings + 1 level construction, each x n x smoothing x rule.
    assert sweep.height == (2 * 2 + 1) * 2 * 2 * 2
    assert sweep.filter(pl.col("construction") == "rank").get_column("weights").null_count() == 8
    check_rows(levels, sweep, 5.0, stocks=stocks, min_members=3)
    with pytest.raises(ValueError, match="stocks"):
        rotation_sweep(levels, constructions=("above_ma",), top_n=(2,))


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
