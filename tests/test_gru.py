"""The GRU factor (the ``gru`` extra): signal found where planted, none where not, no look-ahead."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import sectorflow as sf
from sectorflow.models.gru import GruConfig, GruFactor, train_gru, walk_forward, windows_tensor

SMALL = GruConfig(hidden=16, layers=2, epochs=6, patience=3, batch=256, seed=7)


@cache
def daily(signal: float) -> pl.DataFrame:
    """Daily bars and intraday features of a synthetic market of 60 stocks over 200 days."""
    minutes = sf.datasets.synthetic_minute_bars(n_symbols=60, n_days=200, seed=4, signal=signal)
    return sf.minute_bars(minutes).daily


def sequences(frame: pl.DataFrame) -> sf.Sequences:
    return sf.sequence_features(frame, lookback=10, extra=["first_30_return"])


def weekly_rank_ic(seq: sf.Sequences, scores: pl.DataFrame) -> np.ndarray:
    """Spearman IC of scores and forward returns on every fifth day (labels not overlapping)."""
    labels = pl.DataFrame(
        {
            "date": [d for d in seq.dates for _ in seq.entities],
            "entity": seq.entities * len(seq.dates),
            "label": seq.forward_return.T.ravel(),
        }
    )
    ic = (
        scores.join(labels, on=["date", "entity"])
        .drop_nans()
        .group_by("date")
        .agg(pl.corr("score", "label", method="spearman").alias("ic"))
        .drop_nulls()
        .sort("date")
    )
    return ic.get_column("ic").to_numpy()[::5]


def t_stat(x: np.ndarray) -> float:
    return float(x.mean() / x.std(ddof=1) * np.sqrt(x.size))


@pytest.mark.parametrize(("signal", "found"), [(0.5, True), (0.0, False)])
def test_the_planted_signal_is_found_and_no_signal_is_not(signal: float, found: bool) -> None:
    seq = sequences(daily(signal))
    wf = walk_forward(seq, start=seq.dates[100], retrain=6, config=SMALL)
    ic = weekly_rank_ic(seq, wf.scores)
    if found:
        assert ic.mean() > 0.05, ic.mean()
        assert t_stat(ic) > 3, t_stat(ic)
    else:
        assert abs(t_stat(ic)) < 3, t_stat(ic)


def test_walk_forward_trains_only_on_labels_known_before_it_scores() -> None:
    seq = sequences(daily(0.5))
    wf = walk_forward(seq, start=seq.dates[120], retrain=4, window=60, config=SMALL)
    index = {d: i for i, d in enumerate(seq.dates)}
    for row in wf.windows.iter_rows(named=True):
        # The last training label's last close is at or before the first scored day.
        assert index[row["train_end"]] + 1 + seq.horizon <= index[row["predict_start"]]
        assert index[row["predict_start"]] - index[row["train_start"]] <= 60
    scored = wf.scores.get_column("date").unique().sort().to_list()
    assert scored == seq.dates[120:]
    assert wf.scores.height == len(scored) * len(seq.entities)


def test_scores_do_not_change_when_later_bars_do() -> None:
    frame = daily(0.5)
    seq = sequences(frame)
    cut = seq.dates[150]
    later = frame.with_columns(
        pl.when(pl.col("date") > cut).then(pl.col(c) * 1.3).otherwise(pl.col(c)).alias(c)
        for c in ("open", "high", "low", "close", "vwap", "first_30_return")
    )
    a = walk_forward(seq, start=seq.dates[110], retrain=5, config=SMALL).scores
    b = walk_forward(sequences(later), start=seq.dates[110], retrain=5, config=SMALL).scores
    before = pl.col("date") <= cut
    assert a.filter(before).equals(b.filter(before))
    assert not a.filter(~before).equals(b.filter(~before))


def test_a_saved_model_reloads_to_identical_predictions(tmp_path: Path) -> None:
    seq = sequences(daily(0.5))
    model = train_gru(seq, np.arange(seq.first_day, 120), SMALL)
    again = train_gru(seq, np.arange(seq.first_day, 120), SMALL)
    days = np.arange(130, 140)
    want = model.predict(seq, days)
    np.testing.assert_array_equal(again.predict(seq, days), want)  # seeded: deterministic
    model.save(tmp_path / "gru.pt")
    loaded = GruFactor.load(tmp_path / "gru.pt")
    np.testing.assert_array_equal(loaded.predict(seq, days), want)
    other = sf.sequence_features(daily(0.5), lookback=5)
    with pytest.raises(ValueError, match="do not match the model's features"):
        loaded.predict(other, days)


def test_bad_settings_are_refused() -> None:
    seq = sequences(daily(0.0))
    with pytest.raises(ValueError, match="loss must be 'mse' or 'ic'"):
        train_gru(seq, np.arange(10, 50), GruConfig(loss="mae"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="retrain must be 'year' or a number of weeks"):
        walk_forward(seq, start=seq.dates[100], retrain=0)
    with pytest.raises(ValueError, match="no day to score"):
        walk_forward(seq, start=dt.date(2100, 1, 1))


def test_the_core_package_does_not_import_torch() -> None:
    code = "import sys, sectorflow; print('torch' in sys.modules)"
    argv = [sys.executable, "-c", code]
    out = subprocess.run(argv, capture_output=True, text=True, check=True)  # noqa: S603 (our argv)
    assert out.stdout.strip() == "False"


def test_rotate_with_the_gru_model_prints_it_beside_the_diffusion_index(tmp_path: Path) -> None:
    from tests.cli import run

    levels, _ = sf.datasets.ff49_sectors()
    keep = levels.get_column("sector").unique().sort().head(12).implode()
    levels = levels.filter(pl.col("date") >= dt.date(2017, 1, 1), pl.col("sector").is_in(keep))
    path = tmp_path / "sectors.csv"
    levels.write_csv(path)
    args = ["--gru-hidden", "8", "--gru-epochs", "2", "--gru-start", "2019-01-02", "--seed", "3"]
    done = run("rotate", path, "--model", "gru", *args, "--rebalance", "W-FRI", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    # The same walk-forward from the Python API.
    bars = levels.rename({"sector": "symbol"}).with_columns(
        *(pl.col("close").alias(c) for c in ("open", "high", "low")), volume=pl.lit(0.0)
    )
    seq = sf.sequence_features(bars)
    config = GruConfig(hidden=8, epochs=2, seed=3)
    wf = walk_forward(seq, start=dt.date(2019, 1, 2), config=config)
    scores = wf.scores.rename({"entity": "sector"})
    gru = sf.rotation_summary(sf.backtest(scores, levels, top_n=6, rebalance="W-FRI"))
    assert str(gru) in done.stdout
    assert "GRU factor" in done.stdout
    assert "diffusion index (rank)" in done.stdout
    assert f"training windows       [{'#' * 30}] 3/3" in done.stderr
    assert "Models side by side" in (tmp_path / "report.html").read_text()
    late = run("rotate", path, "--model", "gru", "--gru-start", "2100-01-01")
    assert late.returncode == 2
    assert f"{path}: no day to score from 2100-01-01" in late.stderr
    held = pl.read_parquet(tmp_path / "holdings.parquet")
    assert set(
        held.filter(pl.col("rebalance_date") == gru.rebalance_date).get_column("sector")
    ) == set(gru.holdings)


def test_the_windows_reach_torch_without_a_copy() -> None:
    seq = sequences(daily(0.0))
    tensor = windows_tensor(seq)
    np.testing.assert_array_equal(tensor.numpy(), seq.windows())
    assert tensor.untyped_storage().data_ptr() == seq.features.ctypes.data
