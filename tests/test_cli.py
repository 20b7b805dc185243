"""``sectorflow recompute`` and ``sectorflow demo`` end to end, through a subprocess."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.testing import assert_allclose

import sectorflow as sf
from tests.cli import run
from tests.data import MINUTES, SHENWAN, needs_data

SECTIONS = (
    "Dashboard",
    "Relative Rotation Graph",
    "Crowding heatmap",
    "40-day excess return against its historical band",
    "Drawdowns",
    "Valuation and heat (Haitong's industry pendulum)",
)
OUTPUTS = {
    "sectors.parquet",
    "excess.parquet",
    "turnover.parquet",
    "crowding.parquet",
    "drawdown.parquet",
    "episodes.parquet",
    "rrg.parquet",
    "dashboard.parquet",
    "valuation.parquet",
    "heat.parquet",
    "pendulum.parquet",
    "report.html",
    "stocks",
    ".sectorflow-manifest.json",  # what this folder holds of ours (issue 20)
}


@pytest.fixture(scope="module")
def stocks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("in") / "stocks.parquet"
    sf.datasets.synthetic_market(n_symbols=150, n_days=900, seed=11).write_parquet(path)
    return path


def test_recompute_writes_every_output_and_a_readable_report(stocks: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run("recompute", stocks, "--benchmark", "market", "--out", out, "--partitions", "3")
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} == OUTPUTS
    assert len(list((out / "stocks").glob("part-*.parquet"))) == 3
    report = (out / "report.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert section in report, section
    assert "<svg" in report  # the excess bands
    # Offline: plotly's JavaScript is inside the file; nothing is fetched.
    assert "<script src=" not in report
    assert '<link rel="stylesheet" href="http' not in report
    # The RRG with its slider, the crowding heatmap, the pendulum and the heat map.
    assert report.count("Plotly.newPlot") == 4
    assert '"sliders"' in report
    for stage in ("stocks by partition", "sector aggregates", "scores", "write"):
        assert stage in done.stderr
    # issue 21: the per-partition stage says where its time goes.
    split = re.search(
        r"read [\d.]+ s, sector feed [\d.]+ s, indicators [\d.]+ s, write [\d.]+ s", done.stderr
    )
    assert split, done.stderr
    assert "peak memory" in done.stdout
    # The files hold what the Python API computes on the same bars.
    market = pl.read_parquet(stocks)
    dashboard = pl.read_parquet(out / "dashboard.parquet")
    assert dashboard.height == 11
    assert set(dashboard.get_column("sector")) == set(market.get_column("sector"))
    for name in dashboard.get_column("sector"):
        assert name in done.stdout
    ref = sf.sector_dashboard(market)
    assert_allclose(
        dashboard.get_column("excess_return").to_numpy(),
        ref.get_column("excess_return").to_numpy(),
        rtol=1e-12,
    )
    # Valuation and heat from the partitions' summed totals equal the API on the whole file.
    value = pl.read_parquet(out / "valuation.parquet")
    assert_allclose(
        value.get_column("relative_pe").to_numpy().astype(float),
        sf.sector_valuation(market).get_column("relative_pe").to_numpy().astype(float),
        rtol=1e-12,
    )
    heat = pl.read_parquet(out / "heat.parquet")
    ref_heat = sf.sector_heat(market, min_periods=12)
    assert heat.select("date", "sector").equals(ref_heat.select("date", "sector"))
    assert_allclose(
        heat.get_column("heat").to_numpy().astype(float),
        ref_heat.get_column("heat").to_numpy().astype(float),
        rtol=1e-9,
    )
    swing = pl.read_parquet(out / "pendulum.parquet")
    assert swing.get_column("state").drop_nulls().n_unique() == 4
    per_stock = pl.read_parquet(out / "stocks").sort("symbol", "date")
    assert per_stock.height == market.drop_nulls("close").height
    ref_r20 = market.sort("symbol", "date").with_columns(
        (pl.col("close") / pl.col("close").shift(20).over("symbol") - 1).alias("r20")
    )
    joined = per_stock.join(ref_r20.select("date", "symbol", "r20"), on=["date", "symbol"])
    assert_allclose(
        joined.get_column("return_20d").to_numpy().astype(float),
        joined.get_column("r20").to_numpy().astype(float),
        rtol=1e-12,
        equal_nan=True,
    )


def test_without_valuation_columns_the_run_says_so(stocks: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.parquet"
    pl.read_parquet(stocks).drop("net_profit_ttm").write_parquet(plain)
    out = tmp_path / "out"
    done = run("recompute", plain, "--benchmark", "market", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "valuation and heat: not computed (the file has no mcap + net_profit_ttm/pe_ttm" in (
        done.stderr
    )
    assert not (out / "heat.parquet").exists()
    assert "Not computed: the stocks have no valuation columns" in (out / "report.html").read_text(
        encoding="utf-8"
    )


def test_partitions_do_not_change_the_sector_table(stocks: Path, tmp_path: Path) -> None:
    one, four = tmp_path / "one", tmp_path / "four"
    for out, k in ((one, "1"), (four, "4")):
        assert run("recompute", stocks, "--benchmark", "market", "--out", out,
                   "--partitions", k).returncode == 0  # fmt: skip
    a = pl.read_parquet(one / "sectors.parquet")
    b = pl.read_parquet(four / "sectors.parquet")
    assert a.columns == b.columns
    assert_allclose(a.get_column("close").to_numpy(), b.get_column("close").to_numpy(), rtol=1e-12)


@needs_data
def test_csv_input_with_a_benchmark_file_a_composite_and_dates(tmp_path: Path) -> None:
    """Real Shenwan index levels as 31 one-stock 'sectors' against CSI All Share."""
    raw = pl.read_csv(SHENWAN, try_parse_dates=True)
    sw = raw.filter(pl.col("kind") == "sw2021_l1").select(
        "date",
        pl.col("code").alias("symbol"),
        pl.col("name").alias("sector"),
        "close",
        pl.lit(1.0).alias("volume"),
        pl.lit(1.0).alias("amount"),
        pl.lit(1.0).alias("float_mcap"),
    )
    sw.write_csv(tmp_path / "sw.csv")
    raw.filter(pl.col("code") == "000985.CSI").select("date", "close").write_csv(
        tmp_path / "csi.csv"
    )
    (tmp_path / "map.json").write_text(json.dumps({"TMT": ["电子", "计算机", "通信", "传媒"]}))
    out = tmp_path / "out"
    done = run(
        "recompute", tmp_path / "sw.csv", "--benchmark", tmp_path / "csi.csv", "--out", out,
        "--sectors", tmp_path / "map.json", "--since", "2019-01-01", "--until", "2022-12-30",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sectors = pl.read_parquet(out / "sectors.parquet")
    assert sectors.get_column("date").min() >= dt.date(2019, 1, 1)
    assert sectors.get_column("date").max() <= dt.date(2022, 12, 30)
    assert "TMT" in set(sectors.get_column("sector"))
    assert "TMT" in done.stdout


@pytest.mark.skipif(not MINUTES.exists(), reason="../shared/data is absent")
def test_minute_bars_are_aggregated_to_days(tmp_path: Path) -> None:
    raw = pl.read_csv(MINUTES, try_parse_dates=True).filter(pl.col("datetime_et").dt.year() == 2013)
    bars = raw.select(
        pl.col("datetime_et").alias("datetime"),
        "symbol",
        pl.when(pl.col("symbol") == "SPY").then(pl.lit("ETF")).otherwise(pl.lit("Stocks"))
        .alias("sector"),
        "close",
        pl.col("volume").cast(pl.Float64),
        (pl.col("close") * pl.col("volume")).alias("amount"),
        pl.lit(1e9).alias("float_mcap"),
    )  # fmt: skip
    bars.write_parquet(tmp_path / "minutes.parquet")
    out = tmp_path / "out"
    done = run("recompute", tmp_path / "minutes.parquet", "--benchmark", "market", "--out", out)
    assert done.returncode == 0, done.stderr
    per_stock = pl.read_parquet(out / "stocks")
    days = bars.select(pl.col("datetime").dt.date().alias("date"), "symbol").unique()
    assert per_stock.height == days.height  # one row per symbol and day
    spy = per_stock.filter(pl.col("symbol") == "SPY").sort("date")
    last = raw.filter(pl.col("symbol") == "SPY").drop_nulls("close").sort("datetime_et")
    last = (
        last.group_by(pl.col("datetime_et").dt.date())
        .agg(pl.col("close").last())
        .sort("datetime_et")
    )
    assert_allclose(spy.get_column("close").to_numpy(), last.get_column("close").to_numpy())


def bad(tmp_path: Path, frame: pl.DataFrame, name: str = "bad.parquet") -> Path:
    path = tmp_path / name
    if name.endswith(".csv"):
        frame.write_csv(path)
    else:
        frame.write_parquet(path)
    return path


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda m, p: bad(p, m.drop("amount")), "missing column 'amount'"),
        (
            lambda m, p: bad(p, m.with_columns(pl.col("close").cast(pl.String))),
            "column 'close' must be numeric",
        ),
        (lambda m, p: bad(p, pl.concat([m.head(1), m])), "more than one row for symbol="),
        (lambda m, p: bad(p, m.head(0)), "no rows"),
        (lambda m, p: bad(p, m.with_columns(pl.col("volume") * -1)), "volume is negative"),
        (lambda m, p: bad(p, m.with_columns(mcap=pl.lit(0.0))), "mcap must be positive"),
        (lambda _, p: p / "absent.parquet", "no such file"),
        (lambda _, p: p / "corrupt.parquet", "cannot read it"),
    ],
    ids=[
        "missing-column",
        "mistyped",
        "duplicate",
        "empty",
        "negative",
        "zero-cap",
        "absent",
        "unreadable",
    ],
)
def test_bad_input_exits_2_naming_file_and_column_and_writes_nothing(
    stocks: Path, tmp_path: Path, make: object, expected: str
) -> None:
    market = pl.read_parquet(stocks).head(3_000)
    path = make(market, tmp_path)  # type: ignore[operator]
    if path.name == "corrupt.parquet":
        path.write_bytes(b"\x00\x01not a table\xff" * 10)
    out = tmp_path / "out"
    done = run("recompute", path, "--benchmark", "market", "--out", out)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("sectorflow: error: ")
    assert str(path) in lines[-1]
    assert expected in lines[-1]
    assert "Traceback" not in done.stderr
    assert not out.exists() or not any(out.iterdir())


def test_a_benchmark_without_overlapping_dates_is_refused(stocks: Path, tmp_path: Path) -> None:
    bench = tmp_path / "bench.csv"
    pl.DataFrame(
        {"date": [dt.date(1990, 1, 2), dt.date(1990, 1, 3)], "close": [1.0, 2.0]}
    ).write_csv(bench)
    out = tmp_path / "out"
    done = run("recompute", stocks, "--benchmark", bench, "--out", out)
    assert done.returncode == 2
    assert f"{bench}: no dates overlap" in done.stderr
    assert not out.exists() or not any(out.iterdir())


def test_an_interrupted_run_leaves_no_finished_looking_files(
    stocks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sectorflow.app import recompute

    def fail(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(recompute, "write_report", fail)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        recompute.recompute(stocks, "market", out, progress=recompute.Progress(io.StringIO()))
    assert not out.exists()  # the folder it made is gone with the partial files
    out.mkdir()
    (out / "mine.txt").write_text("kept")
    with pytest.raises(KeyboardInterrupt):
        recompute.recompute(stocks, "market", out, progress=recompute.Progress(io.StringIO()))
    assert [p.name for p in out.iterdir()] == ["mine.txt"]


def test_demo_writes_every_report(tmp_path: Path) -> None:
    done = run("demo", "--out", tmp_path / "demo")
    assert done.returncode == 0, done.stderr
    for part in ("ff49", "market"):
        text = (tmp_path / "demo" / part / "report.html").read_text(encoding="utf-8")
        for section in SECTIONS:
            assert section in text, (part, section)
    assert "Chips" in done.stdout  # a Ken French industry in the printed dashboard
    # The rotation section: its weekly table printed, its report written.
    assert "excess, year to date" in done.stdout
    rotation = (tmp_path / "demo" / "rotation" / "report.html").read_text(encoding="utf-8")
    assert "Monthly excess" in rotation
    assert np.isfinite(float(done.stdout.split("peak memory ")[1].split(" MB")[0].replace(",", "")))


@pytest.fixture(scope="module")
def minute_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("minutes") / "bars"
    sf.datasets.write_minute_bars(folder, n_symbols=40, n_days=30, seed=2)
    for file in folder.glob("date=*/bars.parquet"):
        day = pl.read_parquet(file)
        day.with_columns((pl.col("close") * 1e7).alias("float_mcap")).write_parquet(file)
    return folder


def test_a_minute_bar_folder_streams_through_the_minute_engine(
    minute_folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = run("recompute", minute_folder, "--benchmark", "market", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "minute bars" in done.stderr  # its progress bar
    # The same run on the daily bars the minute engine makes, written as a daily file.
    daily = sf.minute_bars(minute_folder, carry=["sector", "float_mcap"]).daily
    path = tmp_path / "daily.parquet"
    daily.select(
        "date", "symbol", "sector", "close", "volume", "amount", "float_mcap"
    ).write_parquet(path)
    again = tmp_path / "again"
    assert run("recompute", path, "--benchmark", "market", "--out", again).returncode == 0
    for name in ("sectors", "excess", "dashboard"):
        assert pl.read_parquet(out / f"{name}.parquet").equals(
            pl.read_parquet(again / f"{name}.parquet")
        ), name
    features = pl.read_parquet(out / "intraday.parquet")
    assert features.equals(daily.drop("sector", "float_mcap"))
    sectors = pl.read_parquet(out / "intraday_sectors.parquet")
    assert sectors.equals(sf.sector_means(daily, sectors.columns[3:]))
    assert "realized_volatility" in sectors.columns


def test_bad_minute_bars_exit_2_naming_the_file_and_row(
    minute_folder: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "bars"
    files = sorted(minute_folder.glob("date=*/bars.parquet"))[:3]
    for file in files:
        (folder / file.parent.name).mkdir(parents=True)
        pl.read_parquet(file).write_parquet(folder / file.parent.name / "bars.parquet")
    broken = folder / files[1].parent.name / "bars.parquet"
    day = pl.read_parquet(broken)
    pl.concat([day.slice(0, 51), day.slice(50)]).write_parquet(broken)
    out = tmp_path / "out"
    done = run("recompute", folder, "--benchmark", "market", "--out", out)
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"sectorflow: error: {broken}: row 51: a second bar for symbol=")
    assert not out.exists() or not any(out.iterdir())
    # A bar at 12:00 (lunch) is dropped, or refused with --strict-session.
    lunch = day.slice(0, 1).with_columns(pl.col("datetime").dt.replace(hour=12, minute=0))
    pl.concat([day, lunch]).sort("datetime", "symbol").write_parquet(broken)
    done = run("recompute", folder, "--benchmark", "market", "--out", out)
    assert done.returncode == 0, done.stderr
    done = run("recompute", folder, "--benchmark", "market", "--out", tmp_path / "strict",
               "--strict-session")  # fmt: skip
    assert done.returncode == 2
    assert re.search(rf"{re.escape(str(broken))}: row \d+: .* is outside the session", done.stderr)
    day.drop("float_mcap").write_parquet(broken)
    done = run("recompute", folder, "--benchmark", "market", "--out", tmp_path / "thin")
    assert done.returncode == 2
    assert "float_mcap" in done.stderr
    assert str(broken) in done.stderr
