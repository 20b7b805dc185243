"""sectorflow: a Rust-backed engine for rolling windows, ranks and sector-rotation analytics."""

from sectorflow import datasets, polars
from sectorflow._containers import GroupKeys
from sectorflow._native import get_num_threads, set_num_threads
from sectorflow.cross_section import cs_demean, cs_rank, cs_zscore
from sectorflow.models.backtest import Backtest, backtest, rebalance_dates
from sectorflow.models.diffusion import diffusion_index
from sectorflow.models.gru import GruConfig, GruFactor, WalkForward, train_gru, walk_forward
from sectorflow.models.ic import FactorIC, factor_ic
from sectorflow.models.sequences import Sequences, industry_sequences, sequence_features
from sectorflow.models.summary import RotationSummary, rotation_summary
from sectorflow.models.sweep import rotation_sweep
from sectorflow.rank import expanding_rank, rolling_median, rolling_quantile, rolling_rank
from sectorflow.rolling import (
    ewm_mean,
    pct_change,
    rolling_beta,
    rolling_corr,
    rolling_cov,
    rolling_excess_return,
    rolling_kurt,
    rolling_max,
    rolling_mean,
    rolling_min,
    rolling_skew,
    rolling_std,
    rolling_sum,
    rolling_var,
    rolling_zscore,
)
from sectorflow.sector.aggregate import sector_aggregate, sector_means
from sectorflow.sector.bars import daily_bars
from sectorflow.sector.basket import basket, compare_baskets
from sectorflow.sector.crowding import crowding
from sectorflow.sector.dashboard import sector_dashboard
from sectorflow.sector.drawdown import drawdown, drawdown_episodes
from sectorflow.sector.excess import excess_return
from sectorflow.sector.minute import (
    BarsError,
    MinuteBars,
    Session,
    intraday_features,
    minute_bars,
    minute_files,
    resample_bars,
    weekly_bars,
)
from sectorflow.sector.narrative import seasonality, streaks
from sectorflow.sector.percentile import historical_percentile
from sectorflow.sector.rrg import rrg, rrg_tail, rrg_transitions
from sectorflow.sector.turnover import top_concentration, turnover_rate, turnover_share
from sectorflow.sector.valuation import pendulum, sector_heat, sector_valuation, valuation_totals

__all__ = [
    "Backtest",
    "BarsError",
    "FactorIC",
    "GroupKeys",
    "GruConfig",
    "GruFactor",
    "MinuteBars",
    "RotationSummary",
    "Sequences",
    "Session",
    "WalkForward",
    "backtest",
    "basket",
    "compare_baskets",
    "crowding",
    "cs_demean",
    "cs_rank",
    "cs_zscore",
    "daily_bars",
    "datasets",
    "diffusion_index",
    "drawdown",
    "drawdown_episodes",
    "ewm_mean",
    "excess_return",
    "expanding_rank",
    "factor_ic",
    "get_num_threads",
    "historical_percentile",
    "industry_sequences",
    "intraday_features",
    "minute_bars",
    "minute_files",
    "pct_change",
    "pendulum",
    "polars",
    "rebalance_dates",
    "resample_bars",
    "rolling_beta",
    "rolling_corr",
    "rolling_cov",
    "rolling_excess_return",
    "rolling_kurt",
    "rolling_max",
    "rolling_mean",
    "rolling_median",
    "rolling_min",
    "rolling_quantile",
    "rolling_rank",
    "rolling_skew",
    "rolling_std",
    "rolling_sum",
    "rolling_var",
    "rolling_zscore",
    "rotation_summary",
    "rotation_sweep",
    "rrg",
    "rrg_tail",
    "rrg_transitions",
    "seasonality",
    "sector_aggregate",
    "sector_dashboard",
    "sector_heat",
    "sector_means",
    "sector_valuation",
    "sequence_features",
    "set_num_threads",
    "streaks",
    "top_concentration",
    "train_gru",
    "turnover_rate",
    "turnover_share",
    "valuation_totals",
    "walk_forward",
    "weekly_bars",
]
