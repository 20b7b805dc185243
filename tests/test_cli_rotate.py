"""``sectorflow rotate``: the weekly table on a sector file, its outputs, and bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

import sectorflow as sf
from tests.cli import run


@pytest.fixture(scope="module")
def sectors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    levels, _ = sf.datasets.ff49_sectors()
    path = tmp_path_factory.mktemp("rotate") / "sectors.csv"
    levels.filter(pl.col("date") >= dt.date(2015, 1, 1)).write_csv(path)
    return path


def test_rotate_prints_the_weekly_table_of_the_backtest(sectors: Path, tmp_path: Path) -> None:
    done = run("rotate", sectors, "--top", "6", "--rebalance", "W-FRI", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    levels = pl.read_csv(sectors, try_parse_dates=True)
    scores = sf.diffusion_index(levels, "rank", n=20).rename({"diffusion": "score"})
    want = sf.rotation_summary(sf.backtest(scores, levels, top_n=6, rebalance="W-FRI"))
    assert str(want) in done.stdout
    assert f"excess, week                    {want.excess_week:+.2%}" in done.stdout
    nav = pl.read_parquet(tmp_path / "nav.parquet")
    assert nav.get_column("date")[-1] == want.asof
    held = pl.read_parquet(tmp_path / "holdings.parquet")
    assert set(
        held.filter(pl.col("rebalance_date") == want.rebalance_date).get_column("sector")
    ) == set(want.holdings)
    assert pl.read_parquet(tmp_path / "ic_decay.parquet").get_column("horizon").to_list() == [
        1,
        5,
        20,
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--top", "60"], "top_n (60) is larger than the universe"),
        (["--asof", "2021-11-27"], "asof 2021-11-27 is not a bar"),
        (["--rebalance", "fortnightly"], "rebalance must be one of"),
    ],
)
def test_bad_options_exit_2_naming_the_file(sectors: Path, args: list[str], message: str) -> None:
    done = run("rotate", sectors, *args)
    assert done.returncode == 2
    assert str(sectors) in done.stderr
    assert message in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_file_without_a_sector_column_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    pl.DataFrame({"date": [dt.date(2020, 1, 1)], "close": [1.0]}).write_csv(path)
    done = run("rotate", path)
    assert done.returncode == 2
    assert "missing column 'sector'" in done.stderr


def test_the_report_is_one_offline_file_with_every_chart(sectors: Path, tmp_path: Path) -> None:
    done = run("rotate", sectors, "--rebalance", "W-FRI", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    # plotly's JavaScript is inside the file, fetched from nowhere.
    assert "<script src=" not in page
    assert page.count("Plotly.newPlot") == 6
    for heading in ("NAV against the benchmark", "Monthly excess", "IC decay", "This week"):
        assert heading in page
    levels = pl.read_csv(sectors, try_parse_dates=True)
    scores = sf.diffusion_index(levels, "rank", n=20).rename({"diffusion": "score"})
    summary = sf.rotation_summary(sf.backtest(scores, levels, rebalance="W-FRI"))
    for sector in summary.holdings:
        assert f"<td>{sector}</td>" in page


def test_monthly_excess_compounds_each_month_from_the_last_bar_before() -> None:
    from sectorflow.app.rotation_report import monthly_excess

    nav = pl.DataFrame(
        {
            "date": [
                dt.date(2024, 1, 30),
                dt.date(2024, 1, 31),
                dt.date(2024, 2, 1),
                dt.date(2024, 2, 29),
            ],
            "portfolio": [1.0, 1.1, 1.21, 1.331],
            "benchmark": [1.0, 1.0, 1.05, 1.05],
        }
    )
    got = monthly_excess(nav)
    assert got.get_column("month").to_list() == [1, 2]
    assert got.get_column("excess").to_list() == pytest.approx([0.1, 0.21 - 0.05])


def test_the_same_run_writes_the_same_report(sectors: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert run("rotate", sectors, "--out", tmp_path / name).returncode == 0
    first, second = ((tmp_path / n / "report.html").read_bytes() for n in ("a", "b"))
    assert first == second


@pytest.fixture(scope="module")
def stock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rotate") / "stocks.parquet"
    sf.datasets.synthetic_market(n_symbols=150, n_days=300, seed=4).write_parquet(path)
    return path


def test_rotate_on_stock_bars_scores_breadth_and_holds_the_aggregated_sectors(
    stock_file: Path, tmp_path: Path
) -> None:
    args = ["--construction", "positive_momentum", "--weights", "float_mcap", "--top", "3"]
    done = run("rotate", stock_file, *args, "--min-members", "4", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    stocks = pl.read_parquet(stock_file)
    scores = sf.diffusion_index(
        stocks, "positive_momentum", n=20, weights="float_mcap", min_members=4
    ).rename({"diffusion": "score"})
    levels = sf.sector_aggregate(stocks, weight="float_mcap").select("date", "sector", "close")
    want = sf.rotation_summary(sf.backtest(scores, levels, top_n=3))
    assert str(want) in done.stdout
    assert (tmp_path / "report.html").exists()


def test_a_construction_that_does_not_read_the_file_exits_2(
    stock_file: Path, sectors: Path
) -> None:
    for path, construction in ((stock_file, "rank"), (sectors, "above_ma")):
        done = run("rotate", path, "--construction", construction)
        assert done.returncode == 2
        assert f"{path}: construction {construction!r} does not read" in done.stderr
    thin = stock_file.with_name("thin.parquet")
    pl.read_parquet(stock_file).drop("amount").write_parquet(thin)
    done = run("rotate", thin)
    assert done.returncode == 2
    assert str(thin) in done.stderr
    assert "amount" in done.stderr
