# Stubs of the compiled module sectorflow._native (rust/python/src/api).

from typing import Any, TypeAlias, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "SEQUENCE_FEATURES",
    "VALUATION_SUMS",
    "KeyGroups",
    "MinuteAccumulator",
    "SectorAccumulator",
    "cs_demean",
    "cs_rank",
    "cs_zscore",
    "ewm_mean",
    "expanding_rank",
    "get_num_threads",
    "pct_change",
    "pivot_last",
    "rolling_beta",
    "rolling_corr",
    "rolling_cov",
    "rolling_excess_return",
    "rolling_kurt",
    "rolling_max",
    "rolling_mean",
    "rolling_min",
    "rolling_quantile",
    "rolling_rank",
    "rolling_skew",
    "rolling_std",
    "rolling_sum",
    "rolling_var",
    "rolling_zscore",
    "rrg",
    "sequence_features",
    "set_num_threads",
    "string_keys",
    "top_n_rotations",
    "valuation_sums",
]

_Codes: TypeAlias = npt.NDArray[np.int64] | KeyGroups | None
_Out: TypeAlias = npt.NDArray[np.float64]

def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def string_keys(
    keys: object, *, sort: bool = False
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]: ...
def rolling_sum(
    x: Any, window: int, *, min_periods: int | None = None, by: _Codes = None
) -> _Out: ...
def rolling_mean(
    x: Any, window: int, *, min_periods: int | None = None, by: _Codes = None
) -> _Out: ...
def rolling_var(
    x: Any, window: int, *, min_periods: int | None = None, ddof: int = 1, by: _Codes = None
) -> _Out: ...
def rolling_std(
    x: Any, window: int, *, min_periods: int | None = None, ddof: int = 1, by: _Codes = None
) -> _Out: ...
def rolling_zscore(
    x: Any, window: int, *, min_periods: int | None = None, ddof: int = 1, by: _Codes = None
) -> _Out: ...
def rolling_skew(
    x: Any, window: int, *, min_periods: int | None = None, by: _Codes = None
) -> _Out: ...
def rolling_kurt(
    x: Any, window: int, *, min_periods: int | None = None, by: _Codes = None
) -> _Out: ...
def rolling_min(
    x: Any, window: int, *, min_periods: int | None = None, by: _Codes = None
) -> _Out: ...
def rolling_max(
    x: Any, window: int, *, min_periods: int | None = None, by: _Codes = None
) -> _Out: ...
def rolling_cov(
    x: Any, y: Any, window: int, *, min_periods: int | None = None, ddof: int = 1, by: _Codes = None
) -> _Out: ...
def rolling_corr(
    x: Any, y: Any, window: int, *, min_periods: int | None = None, ddof: int = 1, by: _Codes = None
) -> _Out: ...
def rolling_beta(
    y: Any, x: Any, window: int, *, min_periods: int | None = None, ddof: int = 1, by: _Codes = None
) -> _Out: ...
def rolling_excess_return(
    x: Any, benchmark: Any, window: int, *, mode: str = "ratio", by: _Codes = None
) -> _Out: ...
def ewm_mean(
    x: Any,
    *,
    com: float | None = None,
    span: float | None = None,
    halflife: float | None = None,
    alpha: float | None = None,
    adjust: bool = True,
    min_periods: int = 0,
    by: _Codes = None,
) -> _Out: ...
def pct_change(x: Any, periods: int = 1, *, by: _Codes = None) -> _Out: ...
def rolling_rank(
    x: Any,
    window: int,
    *,
    min_periods: int | None = None,
    method: str = "average",
    pct: bool = True,
    ascending: bool = True,
    by: _Codes = None,
) -> _Out: ...
def rolling_quantile(
    x: Any,
    window: int,
    q: float,
    *,
    interpolation: str = "linear",
    min_periods: int | None = None,
    by: _Codes = None,
) -> _Out: ...
def expanding_rank(
    x: Any,
    *,
    min_periods: int = 1,
    method: str = "average",
    pct: bool = True,
    ascending: bool = True,
    by: _Codes = None,
) -> _Out: ...
def cs_rank(
    x: Any,
    *,
    method: str = "average",
    pct: bool = True,
    ascending: bool = True,
    by: _Codes = None,
) -> _Out: ...
def cs_zscore(x: Any, *, ddof: int = 1, by: _Codes = None) -> _Out: ...
def cs_demean(x: Any, *, by: _Codes = None) -> _Out: ...
def rrg(
    prices: np.ndarray,
    benchmarks: np.ndarray,
    bench_of: np.ndarray,
    *,
    method: str,
    window: int,
    momentum_lag: int,
    ddof: int | None,
    ma: str,
    normalize: str,
    lookback: int,
    excess_mode: str,
) -> dict[str, Any]: ...
def top_n_rotations(
    scores: np.ndarray,
    returns: np.ndarray,
    tradable: np.ndarray,
    rebalances: list[np.ndarray],
    score_of: np.ndarray,
    top_n: np.ndarray,
    rebalance_of: np.ndarray,
    *,
    score_bars: np.ndarray,
    lag: int,
    score_weighted: bool,
    cost_bps: float,
) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]: ...

SEQUENCE_FEATURES: list[str]
VALUATION_SUMS: list[str]

def sequence_features(
    entity: np.ndarray,
    day: np.ndarray,
    slot: np.ndarray,
    open: np.ndarray,  # noqa: A002 (the column's name)
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    vwap: np.ndarray,
    volume: np.ndarray,
    amount: np.ndarray,
    extra: list[np.ndarray],
    *,
    entities: int,
    days: int,
    bars_per_day: int,
    average_days: int,
    fill: float,
) -> tuple[np.ndarray, int, np.ndarray] | tuple[int, int]: ...
def pivot_last(
    key: np.ndarray,
    day: np.ndarray,
    value: np.ndarray,
    *,
    first_day: int,
    bar_of_day: np.ndarray,
    bars: int,
    keys: int,
    present: bool = ...,
    changes: bool = ...,
) -> tuple[np.ndarray | None, np.ndarray | None, tuple[int, int] | None]: ...
def valuation_sums(
    sector: object,
    day: np.ndarray,
    mcap: np.ndarray,
    earnings: np.ndarray,
    book: np.ndarray,
    amount: np.ndarray | None,
    float_mcap: np.ndarray | None,
    *,
    first_day: int,
    days: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint32], list[str]]: ...

@final
class SectorAccumulator:
    def __new__(cls, *, first_day: int, last_day: int) -> SectorAccumulator: ...
    def sectors(self) -> list[str]: ...
    def feed(
        self,
        day: Any,
        symbol: Any,
        sector: Any,
        close: Any,
        volume: Any,
        amount: Any,
        float_mcap: Any,
        weight: Any,
    ) -> tuple[int, int, bool] | None: ...
    def cells(self) -> dict[str, Any]: ...
    def add_cells(
        self,
        sectors: list[str],
        first_day: int,
        days: int,
        sums: np.ndarray,
        counts: np.ndarray,
    ) -> None: ...
    def finish(self, groups: list[list[int]], base: float) -> dict[str, Any]: ...

@final
class MinuteAccumulator:
    def __new__(
        cls,
        *,
        segments: list[tuple[int, int]],
        unit_per_minute: int,
        label_right: bool,
        every: int | None,
        outside: str,
    ) -> MinuteAccumulator: ...
    def feed(
        self,
        time: Any,
        symbol: Any,
        open: Any,  # noqa: A002 (the column's name)
        high: Any,
        low: Any,
        close: Any,
        volume: Any,
        amount: Any,
    ) -> tuple[str, int, int, bool] | None: ...
    def finish(self) -> tuple[dict[str, Any], dict[str, Any], list[str]]: ...

@final
class KeyGroups:
    def __new__(cls, codes: npt.NDArray[np.int64]) -> KeyGroups: ...
    def __len__(self) -> int: ...
