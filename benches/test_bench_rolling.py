"""pytest-benchmark groups: each kernel at three layers (native, container API, plugin) and its peers.

``make bench`` times them; the default test run executes each once as a smoke test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bottleneck as bn
import numbagg
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import sectorflow as sf
from sectorflow import _native

W = 250

Bench = Callable[..., Any]


@pytest.mark.benchmark(group="rolling_mean-series")
@pytest.mark.parametrize(
    "layer",
    [
        "native",
        "numpy",
        "pandas",
        "polars",
        "pyarrow",
        "plugin",
        "peer-pandas",
        "peer-polars",
        "peer-bottleneck",
        "peer-numbagg",
    ],
)
def test_rolling_mean_series(benchmark: Bench, series: np.ndarray, layer: str) -> None:
    s_pd = pd.Series(series)
    s_pl = pl.Series("x", series, nan_to_null=True)
    frame = pl.DataFrame({"x": s_pl})
    calls: dict[str, Callable[[], Any]] = {
        "native": lambda: _native.rolling_mean(series, W),
        "numpy": lambda: sf.rolling_mean(series, W),
        "pandas": lambda: sf.rolling_mean(s_pd, W),
        "polars": lambda: sf.rolling_mean(s_pl, W),
        "pyarrow": lambda: sf.rolling_mean(pa.array(series, from_pandas=True), W),
        "plugin": lambda: frame.select(pl.col("x").sf.rolling_mean(W)),
        "peer-pandas": lambda: s_pd.rolling(W).mean(),
        "peer-polars": lambda: s_pl.rolling_mean(W),
        "peer-bottleneck": lambda: bn.move_mean(series, W),
        "peer-numbagg": lambda: numbagg.move_mean(series, window=W),
    }
    benchmark(calls[layer])


@pytest.mark.benchmark(group="rolling_std-panel")
@pytest.mark.parametrize(
    "layer", ["native", "pandas", "peer-pandas", "peer-polars", "peer-numbagg"]
)
def test_rolling_std_panel(benchmark: Bench, panel: np.ndarray, layer: str) -> None:
    df = pd.DataFrame(panel)
    lf = pl.DataFrame(df, nan_to_null=True)
    calls: dict[str, Callable[[], Any]] = {
        "native": lambda: _native.rolling_std(panel, W),
        "pandas": lambda: sf.rolling_std(df, W),
        "peer-pandas": lambda: df.rolling(W).std(),
        "peer-polars": lambda: lf.select(pl.all().rolling_std(W)),
        "peer-numbagg": lambda: numbagg.move_std(panel, window=W, axis=0),
    }
    benchmark(calls[layer])


@pytest.mark.benchmark(group="rolling_corr-series")
@pytest.mark.parametrize("layer", ["native", "peer-pandas", "peer-polars", "peer-numbagg"])
def test_rolling_corr_series(benchmark: Bench, series: np.ndarray, layer: str) -> None:
    y = 0.5 * series + np.sin(np.arange(len(series)))
    frame = pl.DataFrame({"x": series, "y": y}, nan_to_null=True)
    calls: dict[str, Callable[[], Any]] = {
        "native": lambda: _native.rolling_corr(series, y, W),
        "peer-pandas": lambda: pd.Series(series).rolling(W).corr(pd.Series(y)),
        "peer-polars": lambda: frame.select(pl.rolling_corr("x", "y", window_size=W)),
        "peer-numbagg": lambda: numbagg.move_corr(series, y, window=W),
    }
    benchmark(calls[layer])
