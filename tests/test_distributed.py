"""The recompute on a Dask cluster (2 worker processes) equals the one-machine recompute."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from distributed import Client, LocalCluster

import sectorflow as sf
from sectorflow.app import distributed
from sectorflow.app import recompute as one_machine
from tests.cli import run

TABLES = ("sectors", "excess", "turnover", "crowding", "drawdown", "episodes", "rrg", "dashboard",
          "valuation", "heat", "pendulum")  # fmt: skip


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def stocks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("in") / "stocks.parquet"
    sf.datasets.synthetic_market(n_symbols=160, n_days=900, seed=5).write_parquet(path)
    return path


@pytest.fixture(scope="module")
def alone(stocks: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("one") / "out"
    one_machine.recompute(stocks, "market", out, partitions=3)
    return out


def assert_same_tables(a: Path, b: Path) -> None:
    """Per-symbol outputs to the bit; sector sums to 1e-13, the scores built on them to 1e-9.

    A sector-day sum adds the same members in another order (partition by partition): its last
    bits may differ. Scores that subtract nearly equal numbers (a correlation near 0, the RRG's
    heading from a short step) magnify that to ~1e-11 relative.
    """
    key = ["symbol", "date"]
    mine = pl.read_parquet(a / "stocks").sort(key)
    theirs = pl.read_parquet(b / "stocks").sort(key)
    assert mine.equals(theirs)
    for name in TABLES:
        x, y = pl.read_parquet(a / f"{name}.parquet"), pl.read_parquet(b / f"{name}.parquet")
        assert x.columns == y.columns, name
        assert x.height == y.height, name
        for column in x.columns:
            p, q = x.get_column(column), y.get_column(column)
            if p.dtype.is_float():
                rtol = 1e-13 if name == "sectors" else 1e-9
                np.testing.assert_allclose(
                    p.to_numpy(), q.to_numpy(), rtol=rtol, atol=1e-12, err_msg=f"{name}.{column}"
                )
            else:
                assert p.equals(q), f"{name}.{column}"


def test_the_cluster_run_equals_the_one_machine_run(
    client: Client, stocks: Path, alone: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = distributed.recompute(stocks, "market", out, client=client, partitions=4)
    assert done.partitions == 4
    assert len(list((out / "stocks").glob("part-*.parquet"))) == 4
    assert_same_tables(out, alone)
    assert {p.name for p in out.iterdir()} == {p.name for p in alone.iterdir()}


def test_a_killed_worker_does_not_change_the_result(
    stocks: Path, alone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "killed"
    # The workers read the environment of the process that starts them: a cluster of its own.
    monkeypatch.setenv(distributed.KILL_ONCE, str(marker))
    out = tmp_path / "out"
    distributed.recompute(stocks, "market", out, workers=2, partitions=4)
    assert marker.exists(), "a worker was killed during the per-symbol stage"
    assert_same_tables(out, alone)


def test_the_command_line_runs_on_a_local_cluster(
    stocks: Path, alone: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = run("recompute", stocks, "--benchmark", "market", "--out", out, "--workers", "2",
               "--partitions", "2")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "stocks by partition (dask)" in done.stderr
    assert_same_tables(out, alone)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m.drop("amount"), "missing column 'amount'"),
        (lambda m: pl.concat([m.head(1), m]), "more than one row for symbol="),
        (lambda m: m.with_columns(pl.col("volume") * -1), "volume is negative"),
        (lambda m: m.with_columns(mcap=pl.lit(0.0)), "mcap must be positive"),
    ],
    ids=["missing-column", "duplicate", "negative", "zero-cap"],
)
def test_bad_input_is_refused_as_on_one_machine(
    stocks: Path, tmp_path: Path, change: object, expected: str
) -> None:
    bad = tmp_path / "bad.parquet"
    change(pl.read_parquet(stocks).head(20_000)).write_parquet(bad)  # type: ignore[operator]
    out = tmp_path / "out"
    done = run("recompute", bad, "--benchmark", "market", "--out", out, "--workers", "2")
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"sectorflow: error: {bad}: ")
    assert expected in last
    assert "Traceback" not in done.stderr
    assert not out.exists() or not any(out.iterdir())


def test_minute_bars_through_the_cluster_equal_one_machine(client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "bars"
    sf.datasets.write_minute_bars(folder, n_symbols=30, n_days=25, seed=4)
    for file in folder.glob("date=*/bars.parquet"):
        day = pl.read_parquet(file)
        day.with_columns((pl.col("close") * 1e7).alias("float_mcap")).write_parquet(file)
    one, many = tmp_path / "one", tmp_path / "many"
    one_machine.recompute(folder, "market", one)
    distributed.recompute(folder, "market", many, client=client)
    # The daily bars are the same, so every table is, to the bit.
    for name in ("intraday", "intraday_sectors", *TABLES[:-3]):
        a, b = pl.read_parquet(one / f"{name}.parquet"), pl.read_parquet(many / f"{name}.parquet")
        assert a.equals(b), name
    key = ["symbol", "date"]
    assert (
        pl.read_parquet(one / "stocks").sort(key).equals(pl.read_parquet(many / "stocks").sort(key))
    )


def test_one_machine_never_imports_dask(stocks: Path, tmp_path: Path) -> None:
    code = (
        "import sys; from sectorflow.app import cli; "
        f"cli.main(['recompute', {str(stocks)!r}, '--benchmark', 'market', '--out', "
        f"{str(tmp_path / 'out')!r}]); "
        "assert 'dask' not in sys.modules and 'distributed' not in sys.modules"
    )
    done = subprocess.run(  # noqa: S603 (our own code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_a_dask_frame_is_recomputed_as_its_file(
    client: Client, stocks: Path, alone: Path, tmp_path: Path
) -> None:
    import dask.dataframe as dd

    frame = dd.read_parquet(str(stocks), dtype_backend="pyarrow").repartition(npartitions=3)
    out = tmp_path / "out"
    distributed.recompute(frame, "market", out, client=client, partitions=2)
    assert_same_tables(out, alone)
