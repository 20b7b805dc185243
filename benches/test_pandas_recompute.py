"""The pandas job that compare.py --recompute times computes what sectorflow recompute does."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pandas_recompute
import pytest

import sectorflow as sf
from sectorflow.app.recompute import Progress, recompute


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("recompute")
    market = sf.datasets.synthetic_market(n_symbols=150, n_days=700, seed=4)
    market.write_parquet(root / "stocks.parquet")
    recompute(
        root / "stocks.parquet",
        "market",
        root / "ours",
        partitions=2,
        report=False,
        progress=Progress(io.StringIO()),
    )
    pandas_recompute.recompute(root / "stocks.parquet", root / "pandas")
    return root / "ours", root / "pandas"


def frames(outputs: tuple[Path, Path], name: str, keys: list[str]) -> tuple[pd.DataFrame, ...]:
    ours_dir, pandas_dir = outputs
    # Our per-stock indicators are a folder of partition files; pandas writes one file.
    ours = pd.read_parquet(ours_dir / name if name == "stocks" else ours_dir / f"{name}.parquet")
    theirs = pd.read_parquet(pandas_dir / f"{name}.parquet")
    for frame in (ours, theirs):
        when = "date" if "date" in frame else "peak"
        frame[when] = pd.to_datetime(frame[when])
    ours = ours.sort_values(keys, ignore_index=True)
    theirs = theirs.sort_values(keys, ignore_index=True)
    assert len(ours) == len(theirs) > 0
    for key in keys:
        assert list(ours[key].astype(str)) == list(theirs[key].astype(str)), key
    return ours, theirs


def assert_columns(
    ours: pd.DataFrame, theirs: pd.DataFrame, columns: list[str], **tol: float
) -> None:
    for column in columns:
        np.testing.assert_allclose(
            ours[column].to_numpy(float),
            theirs[column].to_numpy(float),
            rtol=tol.get("rtol", 1e-9),
            atol=tol.get("atol", 0.0),
            err_msg=column,
        )


def test_stock_indicators_agree(outputs: tuple[Path, Path]) -> None:
    ours, theirs = frames(outputs, "stocks", ["symbol", "date"])
    columns = [
        c for c in theirs.columns if c.startswith(("return", "volatility", "turnover", "draw"))
    ]
    assert len(columns) == 7
    assert_columns(ours, theirs, columns)


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("excess", ["excess_return", "excess_return_pct"]),
        ("turnover", ["turnover_share", "turnover_share_pct"]),
        ("drawdown", ["close", "drawdown"]),
        ("rrg", ["rs_ratio", "rs_momentum", "distance", "heading", "velocity"]),
    ],
)
def test_sector_tables_agree(outputs: tuple[Path, Path], name: str, columns: list[str]) -> None:
    ours, theirs = frames(outputs, name, ["sector", "date"])
    assert_columns(ours, theirs, columns)


def test_crowding_agrees(outputs: tuple[Path, Path]) -> None:
    ours, theirs = frames(outputs, "crowding", ["sector", "date"])
    exact = ["turnover_share", "turnover_rate", "volatility", "bias", "volume_price_corr"]
    assert_columns(ours, theirs, [*exact, *(f"{f}_pct" for f in exact), "breadth"])
    # Breadth's 20-day means of small-count ratios are full of true ties that both rolling
    # means break with last-bit rounding noise (each in its own summation order), so the
    # breadth percentile moves by a few ranks; where it agrees, the composite agrees exactly.
    same = np.isclose(ours["breadth_pct"], theirs["breadth_pct"], rtol=0, atol=1e-12)
    assert same.sum() > 1000
    assert_columns(ours[same], theirs[same], ["crowding"])
    assert_columns(ours, theirs, ["breadth_pct", "crowding"], atol=0.05)


def test_episodes_agree(outputs: tuple[Path, Path]) -> None:
    ours, theirs = frames(outputs, "episodes", ["sector", "peak"])
    assert list(ours["open"]) == list(theirs["open"])
    assert_columns(ours, theirs, ["depth", "bars", "bars_to_trough", "calendar_days"])
    assert_columns(ours, theirs, ["bars_to_recovery", "depth_now", "depth_percentile"])
