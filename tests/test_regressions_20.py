"""Issue 20's defects, one test each: what crashed, what deleted files, what was silently wrong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from numpy.testing import assert_array_equal

import sectorflow as sf
from tests.cli import run as run_cli


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def market() -> pl.DataFrame:
    return sf.datasets.synthetic_market(n_symbols=30, n_days=300, seed=20)


@pytest.mark.parametrize(
    "dtype", [pl.Int8, pl.Int16, pl.UInt8, pl.UInt16, pl.Int128, pl.Decimal(12, 2)]
)
def test_plugin_on_small_and_wide_integer_and_decimal_columns_computes_20(
    dtype: pl.DataType,
) -> None:
    # issue 20: Int8/Int16/UInt8/UInt16 panicked in the plugin; Int128 and Decimal aborted Python.
    df = pl.DataFrame({"x": [1, 2, 3, 4, 5]}).with_columns(pl.col("x").cast(dtype))
    got = df.select(pl.col("x").sf.rolling_mean(2)).to_series()
    assert got.to_list() == [None, 1.5, 2.5, 3.5, 4.5]


def test_recompute_never_removes_a_user_folder_named_like_an_output_20(
    tmp_path: Path, market: pl.DataFrame
) -> None:
    # issue 20: `recompute stocks/raw.parquet --out .` removed the user's stocks/ folder.
    (tmp_path / "stocks").mkdir()
    raw = tmp_path / "stocks" / "raw.parquet"
    market.write_parquet(raw)
    (tmp_path / "notes.txt").write_text("mine")
    before = tree(tmp_path)
    done = run_cli("recompute", "stocks/raw.parquet", "--benchmark", "market", "--out", ".",
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1
    assert "already holds 'stocks', which sectorflow did not write" in done.stderr
    assert tree(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "stocks"]


def test_recompute_replaces_its_own_outputs_and_keeps_the_users_files_20(
    tmp_path: Path, market: pl.DataFrame
) -> None:
    # issue 20: a second run into the same folder replaces the first run's set, nothing else.
    raw = tmp_path / "raw.parquet"
    market.write_parquet(raw)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert run_cli("recompute", raw, "--benchmark", "market", "--out", out).returncode == 0
    first = tree(out)
    middle = market["date"].unique().sort()[150]
    done = run_cli("recompute", raw, "--benchmark", "equal_weight", "--out", out, "--until",
                   str(middle))  # fmt: skip
    assert done.returncode == 0, done.stderr
    second = tree(out)
    assert second["notes.txt"] == b"mine"
    assert second.keys() == first.keys()
    assert second["sectors.parquet"] != first["sectors.parquet"]
    assert not [p for p in out.iterdir() if p.name.startswith(".sectorflow-partial")]


@pytest.mark.parametrize("where", ["file", "under_file"])
def test_out_that_is_a_file_is_one_line_and_exit_2_20(
    tmp_path: Path, market: pl.DataFrame, where: str
) -> None:
    # issue 20: --out at a file (or under one) ended in a traceback with exit 1.
    raw = tmp_path / "raw.parquet"
    market.write_parquet(raw)
    blocker = tmp_path / "taken"
    blocker.write_text("mine")
    out = blocker if where == "file" else blocker / "sub"
    done = run_cli("recompute", raw, "--benchmark", "market", "--out", out)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "--out must be a folder" in done.stderr
    assert "Traceback" not in done.stderr
    assert blocker.read_text() == "mine"


def test_timestamp_dates_at_midnight_are_daily_bars_20(
    tmp_path: Path, market: pl.DataFrame
) -> None:
    # issue 20: pandas' to_parquet writes dates as timestamps; they were taken as intraday bars.
    as_dates, as_stamps = tmp_path / "dates.parquet", tmp_path / "stamps.parquet"
    market.write_parquet(as_dates)
    market.with_columns(pl.col("date").cast(pl.Datetime("ns"))).write_parquet(as_stamps)
    for path in (as_dates, as_stamps):
        done = run_cli("recompute", path, "--benchmark", "market", "--out", tmp_path / path.stem)
        assert done.returncode == 0, done.stderr
    a = pl.read_parquet(tmp_path / "dates" / "sectors.parquet")
    b = pl.read_parquet(tmp_path / "stamps" / "sectors.parquet")
    assert a.equals(b)


@pytest.mark.parametrize("stamps", ["midnight", "minutes"])
def test_duplicate_bars_are_refused_not_summed_20(
    tmp_path: Path, market: pl.DataFrame, stamps: str
) -> None:
    # issue 20: duplicate (date, symbol) rows with timestamps were summed: doubled volume.
    df = market.with_columns(pl.col("date").cast(pl.Datetime("us")))
    if stamps == "minutes":
        df = df.with_columns(pl.col("date") + pl.duration(hours=10))
    path = tmp_path / "dup.parquet"
    pl.concat([df, df.head(1)]).write_parquet(path)
    out = tmp_path / "out"
    done = run_cli("recompute", path, "--benchmark", "market", "--out", out)
    assert done.returncode == 2
    assert "more than one row for symbol=" in done.stderr
    assert not out.exists()


def test_daily_bars_refuse_two_bars_at_the_same_time_20() -> None:
    # issue 20: daily_bars summed two bars of a symbol at the same minute.
    t = dt.datetime(2024, 1, 2, 9, 31)
    bars = pl.DataFrame({"datetime": [t, t], "symbol": ["A", "A"], "close": [1.0, 1.0]})
    with pytest.raises(ValueError, match=r"bars has more than one row for symbol='A' at datetime="):
        sf.daily_bars(bars)


def test_rolling_var_of_overflowing_squares_is_not_zero_20() -> None:
    # issue 20: rolling_var([1e154, -1e154], 2) was 0.0 (the squares overflow).
    x = np.array([1e154, -1e154])
    for fn in (sf.rolling_var, sf.rolling_std):
        got = fn(x, 2)[1]
        assert not np.isfinite(got)
    assert not np.isfinite(pd.Series(x).rolling(2).var().iloc[1])  # nor is pandas'


def test_duplicate_keys_are_refused_everywhere_20(market: pl.DataFrame) -> None:
    # issue 20: rrg took a benchmark with repeated dates (last row won); sector functions took
    # repeated (date, sector) rows.
    sectors = sf.sector_aggregate(market)
    closes = sectors.select("date", "sector", "close")
    bench = sectors.filter(pl.col("sector") == sectors["sector"][0]).select("date", "close")
    dup_bench = pl.concat([bench, bench.tail(1)])
    dup_sectors = pl.concat([sectors, sectors.tail(1)])
    dup_closes = pl.concat([closes, closes.tail(1)])
    last = sectors.tail(1).row(0, named=True)
    calls = {
        "rrg benchmark": lambda: sf.rrg(closes, dup_bench),
        "rrg prices": lambda: sf.rrg(dup_closes, bench),
        "excess_return": lambda: sf.excess_return(dup_closes, bench),
        "excess_return benchmark": lambda: sf.excess_return(closes, dup_bench),
        "turnover_share": lambda: sf.turnover_share(dup_sectors),
        "turnover_rate": lambda: sf.turnover_rate(dup_sectors),
        "crowding": lambda: sf.crowding(dup_sectors),
        "drawdown": lambda: sf.drawdown(dup_closes, key="sector"),
        "drawdown_episodes": lambda: sf.drawdown_episodes(dup_closes, key="sector"),
        "historical_percentile": lambda: sf.historical_percentile(dup_closes, "close"),
        "sector_dashboard": lambda: sf.sector_dashboard(dup_sectors, bench),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match="more than one row for") as err:
            call()
        text = str(err.value)
        assert str(last["date"]) in text or str(bench["date"][-1]) in text, (name, text)


def test_rrg_with_a_benchmark_east_of_utc_has_points_20(market: pl.DataFrame) -> None:
    # issue 20: a tz-aware benchmark in Asia/Shanghai gave no points (its midnights were the
    # previous day in UTC); excess_return handled it.
    table = sf.sector_aggregate(market)
    sectors = table.select("date", "sector", "close")
    bench = table.group_by("date").agg(pl.col("market_close").first().alias("close")).sort("date")
    naive = sf.rrg(sectors, bench, freq=None)
    for tz in ("Asia/Shanghai", "America/New_York", "UTC"):
        aware = bench.with_columns(pl.col("date").cast(pl.Datetime("us")).dt.replace_time_zone(tz))
        got = sf.rrg(sectors, aware, freq=None)
        assert got.height == naive.height > 0
        assert got.equals(naive)


@pytest.mark.parametrize(
    "keys",
    [
        [-0.0, 0.0, np.nan, 1.0, 0.0, np.nan],
        [1, "1", 1.0, None, "1", True],
        ["a", None, "b", "a", float("nan"), "b"],
        [(1, 2), (1, 2), None, (2, 1), (2, 1), (1, 2)],
    ],
    ids=["signed_zero_and_nan", "mixed_objects", "strings_with_nan", "tuples"],
)
def test_group_keys_follow_pandas_factorize_in_every_container_20(keys: list[object]) -> None:
    # issue 20: -0.0 and 0.0 were two groups, a NaN key a group in Polars/Arrow but missing in
    # numpy, and list/object keys were turned into strings ([1, "1"] became one group).
    want, _ = pd.factorize(pd.array(keys, dtype=object))
    containers: list[object] = [keys, np.array(keys, dtype=object), pd.Series(keys, dtype=object)]
    floats = all(isinstance(k, float) for k in keys)
    if floats:
        arr = np.array(keys, dtype=np.float64)
        containers += [arr, pd.Series(arr), pl.Series(arr), pa.array(arr), pa.chunked_array([arr])]
    for keys_in in containers:
        assert_array_equal(sf.GroupKeys(keys_in).codes, want, err_msg=type(keys_in).__name__)
    x = np.arange(len(keys), dtype=np.float64)
    got = sf.rolling_sum(x, 3, min_periods=1, by=keys)
    frame = pd.DataFrame({"x": x, "k": pd.Series(keys, dtype=object)})
    expected = frame.groupby("k", dropna=True, sort=False)["x"].transform(
        lambda s: s.rolling(3, min_periods=1).sum()
    )
    assert_array_equal(got, expected.reindex(frame.index).to_numpy(dtype=np.float64))


def test_unhashable_group_keys_are_a_type_error_naming_by_20() -> None:
    # issue 20: list keys were turned into strings.
    with pytest.raises(TypeError, match="by must hold"):
        sf.GroupKeys([[1], [1], [2]])
    with pytest.raises(TypeError, match="by must hold"):
        sf.GroupKeys(np.array([[1], [2], None], dtype=object)[:2])
    with pytest.raises(TypeError, match="by must hold"):
        sf.GroupKeys(pl.Series([[1.0], [2.0]]))


@pytest.mark.parametrize(("window", "ddof"), [(1, 1), (3, 3), (2, 4)])
def test_window_not_above_ddof_is_nan_like_pandas_20(window: int, ddof: int) -> None:
    # issue 20: rolling_var(x, 1) and every window <= ddof raised ValueError; pandas gives NaN.
    x = np.array([1.0, 3.0, 2.0, 7.0, 5.0])
    s = pd.Series(x)
    r = s.rolling(window, min_periods=1)
    assert_array_equal(sf.rolling_var(x, window, min_periods=1, ddof=ddof), r.var(ddof=ddof))
    assert_array_equal(sf.rolling_std(x, window, min_periods=1, ddof=ddof), r.std(ddof=ddof))
    assert_array_equal(sf.rolling_cov(x, x[::-1], window, min_periods=1, ddof=ddof),
                       r.cov(pd.Series(x[::-1]), ddof=ddof))  # fmt: skip
    assert np.isnan(sf.rolling_corr(x, x[::-1], window, min_periods=1, ddof=ddof)).all()
    lazy = pl.DataFrame({"x": x}).lazy().select(pl.col("x").sf.rolling_var(window, ddof=ddof))
    assert lazy.collect().to_series().null_count() == len(x)
