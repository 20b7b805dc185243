"""sectorflow: a Rust-backed engine for rolling windows, ranks and sector-rotation analytics."""

from sectorflow import datasets, polars
from sectorflow._containers import GroupKeys
from sectorflow._native import get_num_threads, set_num_threads
from sectorflow.cross_section import cs_demean, cs_rank, cs_zscore
from sectorflow.rank import expanding_rank, rolling_median, rolling_quantile, rolling_rank
from sectorflow.rolling import (
    ewm_mean,
    pct_change,
    rolling_beta,
    rolling_corr,
    rolling_cov,
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
from sectorflow.rotation import rrg, rrg_tail, rrg_transitions

__all__ = [
    "GroupKeys",
    "cs_demean",
    "cs_rank",
    "cs_zscore",
    "datasets",
    "ewm_mean",
    "expanding_rank",
    "get_num_threads",
    "pct_change",
    "polars",
    "rolling_beta",
    "rolling_corr",
    "rolling_cov",
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
    "rrg",
    "rrg_tail",
    "rrg_transitions",
    "set_num_threads",
]
