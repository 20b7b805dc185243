"""``sectorflow recompute``: every indicator of a stock file, partition by partition, to parquet.

Stages: read the file's schema and date range; for each partition of symbols (all rows of some
symbols, so memory is bounded by a partition) aggregate minute bars to days in the core, compute
the per-symbol indicators and feed the sector aggregation; then score the sector table (excess
returns and their percentiles, turnover share, crowding, drawdowns, RRG, the dashboard) and
write the report. Files are written under a staging folder inside ``out`` and published all
at once when everything is complete (:mod:`sectorflow.app.publish`): ``out`` then holds the previous
run's complete set or this run's, and nothing in it that sectorflow did not write is touched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import resource
import sys
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import polars as pl

from sectorflow._containers import GroupKeys
from sectorflow._frames import as_date
from sectorflow.app.publish import Staging
from sectorflow.app.report import write_report
from sectorflow.rank import rolling_rank
from sectorflow.rolling import pct_change, rolling_max, rolling_std, rolling_sum
from sectorflow.sector.aggregate import SectorAggregation, sector_means
from sectorflow.sector.bars import daily_bars
from sectorflow.sector.dashboard import SectorScores, score_sectors
from sectorflow.sector.valuation import (
    pendulum,
    sector_heat,
    sector_valuation,
    valuation_totals,
)

if TYPE_CHECKING:
    from sectorflow.sector.minute import Outside

__all__ = [
    "InputError",
    "MissingExtraError",
    "Progress",
    "Run",
    "Source",
    "add_valuation",
    "daily_part",
    "finish_sectors",
    "minute_dataset",
    "publish_scores",
    "read_benchmark",
    "read_inputs",
    "read_sector_map",
    "recompute",
    "recompute_source",
    "stock_indicators",
    "summed_totals",
    "valuation_columns",
    "write_tables",
]

STOCK_COLUMNS = ("symbol", "sector", "close", "volume", "amount", "float_mcap")
NUMERIC = ("close", "volume", "amount", "float_mcap")
#: The daily bar's own columns among the minute engine's daily rows.
_BAR_COLUMNS = ("open", "high", "low", "close", "volume", "amount", "vwap")
#: Every name a run may write into ``out`` (turnover needs amounts; the report is optional).
OUTPUTS = (
    "stocks",
    "intraday.parquet",
    "intraday_sectors.parquet",
    *(f"{n}.parquet" for n in ("sectors", "excess", "turnover", "crowding", "drawdown")),
    *(f"{n}.parquet" for n in ("episodes", "rrg", "dashboard")),
    *(f"{n}.parquet" for n in ("valuation", "heat", "pendulum")),
    "report.html",
)
#: Month ends of history before a heat percentile is shown (fewer are noise).
HEAT_HISTORY = 12
#: The columns valuation and heat need: a total cap, earnings (or PE) and book (or PB).
VALUATION_COLUMNS = (("mcap",), ("net_profit_ttm", "pe_ttm"), ("book_equity", "pb"))
#: Rows per partition when the caller does not choose the number of partitions.
ROWS_PER_PARTITION = 5_000_000


class InputError(ValueError):
    """Bad input, named by file (and column): the command line exits with status 2."""

    def __init__(self, path: Path | str, message: str) -> None:
        """``path: message``."""
        super().__init__(f"{path}: {message}")


class MissingExtraError(ValueError):
    """An optional extra the run asked for is not installed: the command line exits with 2."""


class Progress:
    """One progress bar per stage on a terminal stream (a line per stage elsewhere)."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        """Write to ``stream`` (stderr by default)."""
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.tty = self.stream.isatty()

    @contextmanager
    def stage(self, name: str, total: int = 1) -> Iterator[Any]:
        """A stage of ``total`` steps; the yielded function advances it by one."""
        start, done = time.perf_counter(), 0

        def advance(steps: int = 1) -> None:
            nonlocal done
            done += steps
            self._draw(name, done, total, start)

        self._draw(name, done, total, start)
        yield advance
        self._draw(name, total, total, start, final=True)

    def steps(self, name: str) -> Callable[[int, int], None]:
        """A stage drawn by calls ``(done, total)`` (training windows), ended by the last."""
        start = time.perf_counter()

        def step(done: int, total: int) -> None:
            self._draw(name, done, total, start, final=done >= total)

        return step

    def _draw(self, name: str, done: int, total: int, start: float, *, final: bool = False) -> None:
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        line = f"{name:<22} [{bar}] {done}/{total}"
        if final:
            line += f"  {time.perf_counter() - start:.2f} s"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        elif final:
            self.stream.write(line + "\n")
        self.stream.flush()

    def note(self, line: str) -> None:
        """A line under the last stage (how its time divides)."""
        self.stream.write(line + "\n")
        self.stream.flush()


def scan(path: Path) -> pl.LazyFrame:
    """A lazy frame over a parquet or CSV file, its schema read (errors name the file)."""
    if not path.exists():
        raise InputError(path, "no such file")
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv", ".txt"):
        raise InputError(path, f"unknown file type {suffix!r}: use .parquet or .csv")
    try:
        if suffix in (".parquet", ".pq"):
            lf = pl.scan_parquet(path)
        else:
            lf = pl.scan_csv(path, try_parse_dates=True)
        lf.collect_schema()
    except (OSError, pl.exceptions.PolarsError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(path, f"cannot read it ({first})") from err
    return lf


def _time_column(schema: pl.Schema, path: Path) -> str:
    """The time column: ``datetime``, else ``date``; dates or timestamps."""
    if "datetime" in schema:
        column = "datetime"
    elif "date" in schema:
        column = "date"
    else:
        raise InputError(path, f"missing column 'date' (or 'datetime') (columns: {list(schema)})")
    dtype = schema[column]
    if dtype != pl.Date and not isinstance(dtype, pl.Datetime):
        raise InputError(path, f"column {column!r} must hold dates or timestamps, got {dtype}")
    return column


def _check_schema(schema: pl.Schema, path: Path) -> None:
    for column in STOCK_COLUMNS:
        if column not in schema:
            raise InputError(path, f"missing column {column!r} (columns: {list(schema)})")
    for column in NUMERIC:
        if not (schema[column].is_numeric() or schema[column] == pl.Null):
            raise InputError(path, f"column {column!r} must be numeric, got {schema[column]}")


def stock_indicators(stocks: pl.DataFrame) -> pl.DataFrame:
    """Per-symbol indicators of daily bars, each symbol's rows in date order (may interleave).

    Columns::

    return_1d, return_20d, return_60d      close / close n bars back - 1
    volatility_20d                         20-day std of daily returns * sqrt(252)
    turnover_rate_20d                      sum_20 amount / sum_20 float_mcap
    return_20d_pct                         rolling_rank(return_20d, 250, min_periods=60)
    drawdown_250d                          close / 250-day high - 1
    """
    keys = GroupKeys(stocks.get_column("symbol"))
    close = stocks.get_column("close").cast(pl.Float64).to_numpy()
    amount = stocks.get_column("amount").cast(pl.Float64).to_numpy()
    cap = stocks.get_column("float_mcap").cast(pl.Float64).to_numpy()
    r1 = pct_change(close, 1, by=keys)
    r20 = pct_change(close, 20, by=keys)
    # Arithmetic in place: a fresh 5M-row temporary costs more in page faults than its work.
    volatility = rolling_std(r1, 20, by=keys)
    np.multiply(volatility, math.sqrt(252.0), out=volatility)
    turnover = rolling_sum(amount, 20, by=keys)
    np.divide(turnover, rolling_sum(cap, 20, by=keys), out=turnover)
    drawdown = rolling_max(close, 250, min_periods=1, by=keys)
    np.divide(close, drawdown, out=drawdown)
    np.subtract(drawdown, 1.0, out=drawdown)
    columns = {
        "return_1d": r1,
        "return_20d": r20,
        "return_60d": pct_change(close, 60, by=keys),
        "volatility_20d": volatility,
        "turnover_rate_20d": turnover,
        "return_20d_pct": rolling_rank(r20, 250, min_periods=60, by=keys),
        "drawdown_250d": drawdown,
    }
    return stocks.select("date", "symbol", "sector", "close").with_columns(
        pl.Series(name, values, nan_to_null=True) for name, values in columns.items()
    )


def read_benchmark(benchmark: str, first: dt.date, last: dt.date) -> Any:
    """``"market"``/``"equal_weight"``, or the benchmark file's ``date, close`` (checked)."""
    if benchmark in ("market", "equal_weight"):
        return benchmark
    path = Path(benchmark)
    lf = scan(path)
    schema = lf.collect_schema()
    for column in ("date", "close"):
        if column not in schema:
            raise InputError(path, f"missing column {column!r} (columns: {list(schema)})")
    if not schema["close"].is_numeric():
        raise InputError(path, f"column 'close' must be numeric, got {schema['close']}")
    try:
        bench = lf.select(pl.col("date").cast(pl.Date), pl.col("close").cast(pl.Float64)).collect()
    except pl.exceptions.PolarsError as err:
        raise InputError(path, f"column 'date' must hold dates ({err})") from err
    if bench.is_empty():
        raise InputError(path, "no rows")
    if bench.get_column("date").is_duplicated().any():
        raise InputError(path, "more than one row per date in column 'date'")
    inside = bench.filter(pl.col("date").is_between(first, last)).drop_nulls()
    if inside.is_empty():
        lo, hi = bench.get_column("date").min(), bench.get_column("date").max()
        raise InputError(
            path, f"no dates overlap the stocks' {first}..{last} (benchmark has {lo!s}..{hi!s})"
        )
    return bench.sort("date")


def read_sector_map(path: Path | None) -> dict[str, list[str]] | None:
    """The composites of a JSON file ``{"TMT": ["电子", ...]}`` (checked), or None."""
    if path is None:
        return None
    try:
        mapping = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(path, f"cannot read it ({err.strerror})") from err
    except json.JSONDecodeError as err:
        raise InputError(path, f"not JSON ({err})") from err
    if not isinstance(mapping, dict) or not all(
        isinstance(v, list) and all(isinstance(m, str) for m in v) for v in mapping.values()
    ):
        raise InputError(path, 'must map composite names to lists of sectors: {"TMT": [...]}')
    return mapping


def peak_memory_mb() -> float:
    """Peak resident memory of this process (MB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 1024.0 / 1024.0


@dataclass
class Run:
    """What a run wrote, and what it cost."""

    out: Path
    files: list[Path]
    scores: SectorScores
    rows: int
    partitions: int
    seconds: float
    peak_mb: float


def recompute(
    stocks: str | Path,
    benchmark: str | Path,
    out: str | Path,
    *,
    sectors: str | Path | Mapping[str, Sequence[str]] | None = None,
    since: Any = None,
    until: Any = None,
    partitions: int | None = None,
    session: str = "cn",
    outside: Outside = "drop",
    report: bool = True,
    progress: Progress | None = None,
) -> Run:
    """Run the full suite on a stock file and write parquet files and ``report.html`` to ``out``.

    ``stocks``: parquet or CSV, long format ``date`` (or ``datetime`` for intraday bars, which
    are aggregated to days first), ``symbol, sector, close, volume, amount, float_mcap``. A
    directory (or glob) of parquet files holds minute bars (``datetime, symbol, sector, open,
    high, low, close, volume[, amount], float_mcap``; e.g. hive-partitioned by date): they
    stream through the minute-bar engine once (:func:`sectorflow.minute_bars`, the ``session``
    ``"cn"`` or ``"us"``; bars outside it dropped, or with ``outside="refuse"`` refused) into
    daily bars, and their intraday features are written too.
    ``benchmark``: a file with ``date, close``, or ``"market"`` / ``"equal_weight"``.
    ``sectors``: composites, a JSON file or a mapping ``{"TMT": ["电子", ...]}``.

    Writes ``stocks/part-*.parquet`` (per-symbol indicators), ``sectors, excess, turnover,
    crowding, drawdown, episodes, rrg, dashboard`` (``.parquet``) and ``report.html``.
    """
    start = time.perf_counter()
    progress = progress or Progress()
    path, out = Path(stocks), Path(out)
    since = None if since is None else as_date(since, "since")
    until = None if until is None else as_date(until, "until")
    staging = Staging(out, OUTPUTS)  # refuses a file, or a user's entry with an output's name
    minutes = path.is_dir() or any(ch in str(path) for ch in "*?[")
    if minutes:
        source = Source.from_minutes(path, since, until, progress, (session, outside))
    else:
        source = Source.open(path, since, until, progress)
    return recompute_source(
        source,
        benchmark,
        staging,
        sectors=sectors,
        partitions=partitions,
        report=report,
        progress=progress,
        start=start,
    )


def recompute_source(
    source: Source,
    benchmark: str | Path,
    staging: Staging,
    *,
    sectors: str | Path | Mapping[str, Sequence[str]] | None,
    partitions: int | None,
    report: bool,
    progress: Progress,
    start: float,
) -> Run:
    """The recompute of a checked source into ``staging`` (see :func:`recompute`)."""
    composites, bench = read_inputs(source, benchmark, sectors)
    k = partitions or max(1, math.ceil(source.rows / ROWS_PER_PARTITION))
    with staging as tmp:
        (tmp / "stocks").mkdir()
        table, totals = _aggregate(
            source, k, tmp / "stocks", progress, composites=composites, sectors=sectors
        )
        return publish_scores(
            table,
            totals,
            source,
            bench,
            staging,
            k=k,
            report=report,
            progress=progress,
            start=start,
        )


def publish_scores(
    table: pl.DataFrame,
    totals: pl.DataFrame | None,
    source: Source,
    bench: Any,
    staging: Staging,
    *,
    k: int,
    report: bool,
    progress: Progress,
    start: float,
) -> Run:
    """Score the sector table, add valuation and heat, write everything and publish it."""
    with progress.stage("scores", 1) as step:
        scores = score_sectors(table, bench)
        step()
    scores = add_valuation(scores, totals, source, progress)
    files = write_tables(scores, staging.folder, progress, report=report, source=source.path)
    if source.features is not None:
        for name, features in source.features.items():
            features.write_parquet(staging.folder / f"{name}.parquet")
            files.append(f"{name}.parquet")
    written = staging.publish(files)
    return Run(
        out=staging.out,
        files=written,
        scores=scores,
        rows=source.rows,
        partitions=k,
        seconds=time.perf_counter() - start,
        peak_mb=peak_memory_mb(),
    )


def add_valuation(
    scores: SectorScores, totals: pl.DataFrame | None, source: Source, progress: Progress
) -> SectorScores:
    """The scores with whole-market valuation, month-end heat and the pendulum, if possible."""
    if totals is None:
        wanted = " + ".join("/".join(names) for names in VALUATION_COLUMNS)
        why = (
            "minute bars carry no valuation columns"
            if source.features is not None
            else (f"the file has no {wanted} columns")
        )
        progress.note(f"valuation and heat: not computed ({why})")
        return scores
    with progress.stage("valuation and heat", 1) as step:
        heat = sector_heat(totals, min_periods=HEAT_HISTORY)
        scored = dataclasses.replace(
            scores,
            valuation=sector_valuation(totals),
            heat=heat,
            pendulum=pendulum(scores.sectors, scores.benchmark, heat=heat),
        )
        step()
    return scored


def valuation_columns(columns: Collection[str]) -> tuple[str, ...]:
    """The valuation columns among ``columns`` (the first present of each need), or none."""
    found = [next((c for c in names if c in columns), None) for names in VALUATION_COLUMNS]
    return () if None in found else tuple(c for c in found if c is not None)


def minute_dataset(path: Path) -> tuple[list[Path], int, list[str]]:
    """A minute-bar folder's files, their rows and the first file's columns (checked)."""
    import pyarrow.parquet as pq

    from sectorflow.sector.minute import minute_files

    try:
        files = minute_files(path)
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    except (ValueError, OSError) as err:
        raise InputError(path, str(err).removeprefix(f"{path}: ")) from err
    names = pq.read_schema(files[0]).names
    for column in ("datetime", "symbol", "sector", "close", "volume", "float_mcap"):
        if column not in names:
            raise InputError(files[0], f"missing column {column!r} (columns: {names})")
    return files, rows, names


def read_inputs(
    source: Source, benchmark: str | Path, sectors: str | Path | Mapping[str, Sequence[str]] | None
) -> tuple[Mapping[str, Sequence[str]] | None, Any]:
    """The composites (a mapping, or read from a JSON file) and the benchmark of a run."""
    composites = sectors if isinstance(sectors, Mapping) or sectors is None else None
    if composites is None and sectors is not None:
        composites = read_sector_map(Path(str(sectors)))
    return composites, read_benchmark(str(benchmark), source.first, source.last)


def finish_sectors(
    aggregation: SectorAggregation,
    composites: Mapping[str, Sequence[str]] | None,
    named: Path | str,
    progress: Progress,
) -> pl.DataFrame:
    """The sector table of an aggregation; a bad composite is named by ``named``."""
    with progress.stage("sector aggregates", 1) as step:
        try:
            table = aggregation.finish(composites)
        except (ValueError, TypeError) as err:
            raise InputError(named, str(err)) from err
        step()
    return table


@dataclass
class Source:
    """A checked stock file: its lazy rows (dates filtered), time column and date range."""

    path: Path
    lf: pl.LazyFrame
    time_col: str
    intraday: bool
    rows: int
    first: dt.date
    last: dt.date
    #: Minute-bar datasets: the intraday features of each symbol and day (``intraday``) and
    #: their cap-weighted means per sector and day (``intraday_sectors``).
    features: dict[str, pl.DataFrame] | None = None
    #: The valuation columns of a daily file (see ``VALUATION_COLUMNS``), or none.
    valuation: tuple[str, ...] = ()

    @classmethod
    def from_minutes(
        cls,
        path: Path,
        since: dt.date | None,
        until: dt.date | None,
        progress: Progress,
        session: tuple[str, Outside],
    ) -> Source:
        """Daily bars of a minute-bar dataset, through the minute-bar engine in one pass."""
        from sectorflow.sector.minute import BarsError, minute_bars

        _, rows, _ = minute_dataset(path)
        with progress.stage("minute bars", rows) as step:
            try:
                daily = minute_bars(
                    path,
                    session=session[0],
                    outside=session[1],
                    carry=["sector", "float_mcap"],
                    progress=step,
                ).daily
            except BarsError as err:
                raise InputError(err.source, err.message) from err
        return cls.from_daily(path, daily, rows, since, until)

    @classmethod
    def from_daily(
        cls,
        path: Path,
        daily: pl.DataFrame,
        rows: int,
        since: dt.date | None,
        until: dt.date | None,
    ) -> Source:
        """A source of the daily bars that ``rows`` minute bars made, with their features.

        ``daily`` is :func:`sectorflow.minute_bars`' daily table (with ``sector`` and
        ``float_mcap`` carried); the features and their sector means are written too.
        """
        day = pl.col("date")
        if since is not None:
            daily = daily.filter(day >= since)
        if until is not None:
            daily = daily.filter(day <= until)
        if daily.is_empty():
            window = "" if since is None and until is None else " in the dates asked for"
            raise InputError(path, f"no bars in the session{window}")
        first, last = daily.get_column("date").min(), daily.get_column("date").max()
        assert isinstance(first, dt.date)  # noqa: S101 (a date column)
        assert isinstance(last, dt.date)  # noqa: S101
        stocks = daily.select("date", *STOCK_COLUMNS)
        per_stock = daily.drop("sector", "float_mcap")
        measures = [c for c in per_stock.columns[2:] if c not in (*_BAR_COLUMNS, "minutes")]
        features = {
            "intraday": per_stock,
            "intraday_sectors": sector_means(daily, measures, weight="float_mcap"),
        }
        return cls(path, stocks.lazy(), "date", False, rows, first, last, features)  # noqa: FBT003

    @classmethod
    def open(
        cls, path: Path, since: dt.date | None, until: dt.date | None, progress: Progress
    ) -> Source:
        """A checked daily (or intraday) stock file: schema, row count, date range."""
        lf = scan(path)
        schema = lf.collect_schema()
        time_col = _time_column(schema, path)
        _check_schema(schema, path)
        stamps = isinstance(schema[time_col], pl.Datetime)
        # The day in the timestamps' own time zone (a tz-aware column keeps its local dates).
        day = pl.col(time_col).dt.date() if stamps else pl.col(time_col)
        if since is not None:
            lf = lf.filter(day >= since)
        if until is not None:
            lf = lf.filter(day <= until)
        # Timestamps that are all midnight are daily bars (pandas' to_parquet writes dates so).
        intraday = (pl.col(time_col).dt.time() != dt.time(0)).any() if stamps else pl.lit(False)  # noqa: FBT003
        with progress.stage("scan", 1) as step:
            try:
                stats = lf.select(
                    pl.len().alias("rows"),
                    day.min().alias("first"),
                    day.max().alias("last"),
                    intraday.alias("intraday"),
                ).collect(engine="streaming")
            except pl.exceptions.PolarsError as err:
                raise InputError(path, f"cannot read it ({str(err).splitlines()[0]})") from err
            step()
        rows, first, last, has_times = stats.row(0)
        if rows == 0 or first is None:
            window = "" if since is None and until is None else " in the dates asked for"
            raise InputError(path, f"no rows{window}")
        if stamps and not has_times:
            lf = lf.with_columns(day.alias(time_col))
        valuation = () if has_times else valuation_columns(schema.names())
        return cls(path, lf, time_col, bool(has_times), rows, first, last, valuation=valuation)


def _aggregate(
    source: Source,
    k: int,
    folder: Path,
    progress: Progress,
    *,
    composites: Mapping[str, Sequence[str]] | None,
    sectors: Any,
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Per-symbol indicators into ``folder``, the sector table and the valuation totals.

    The valuation totals (:func:`sectorflow.valuation_totals`, None without the columns) are
    sums, so each partition's add up to the file's.
    """
    aggregation = SectorAggregation(source.first, source.last)
    totals: list[pl.DataFrame] = []
    spent = dict.fromkeys(("read", "sector feed", "indicators", "write"), 0.0)

    def timed(what: str, start: float) -> float:
        now = time.perf_counter()
        spent[what] += now - start
        return now

    with progress.stage("stocks by partition", k) as step:
        for i in range(k):
            clock = time.perf_counter()
            part = _partition(source, i, k)
            clock = timed("read", clock)
            if part.height:
                try:
                    aggregation.add(part)
                    if source.valuation:
                        totals.append(valuation_totals(part))
                except (ValueError, TypeError) as err:
                    raise InputError(source.path, str(err)) from err
                clock = timed("sector feed", clock)
                indicators = stock_indicators(part)
                clock = timed("indicators", clock)
                # lz4: the size of pandas' snappy files, a third less CPU than zstd level 1.
                indicators.write_parquet(folder / f"part-{i:04d}.parquet", compression="lz4")
                timed("write", clock)
            step()
    progress.note("  " + ", ".join(f"{what} {s:.2f} s" for what, s in spent.items()))
    named = sectors if isinstance(sectors, str | Path) else source.path
    return finish_sectors(aggregation, composites, named, progress), summed_totals(totals)


def summed_totals(parts: Sequence[pl.DataFrame]) -> pl.DataFrame | None:
    """Valuation totals of partitions added cell by cell, in partition order (None if none)."""
    if not parts:
        return None
    summed = parts[0]
    for part in parts[1:]:
        values = [c for c in summed.columns if c not in ("date", "sector")]
        summed = summed.join(part, on=["date", "sector"], how="full", coalesce=True).select(
            "date",
            "sector",
            *(
                pl.col(c).fill_null(0).add(pl.col(f"{c}_right").fill_null(0)).alias(c)
                for c in values
            ),
        )
    return summed.sort("sector", "date")


def _partition(source: Source, i: int, k: int) -> pl.DataFrame:
    """All rows of the symbols whose hash falls in partition ``i`` of ``k``, as daily bars."""
    path, time_col, intraday = source.path, source.time_col, source.intraday
    part = source.lf.select(pl.col(time_col) if intraday else pl.col(time_col).alias("date"),
                            *STOCK_COLUMNS, *source.valuation)  # fmt: skip
    if k > 1:
        part = part.filter(pl.col("symbol").cast(pl.String).hash(seed=0) % k == i)
    try:
        df = part.collect(engine="streaming")
    except pl.exceptions.PolarsError as err:
        raise InputError(path, f"cannot read it ({str(err).splitlines()[0]})") from err
    return daily_part(df, source.time_col if source.intraday else None, source.path)


def daily_part(df: pl.DataFrame, intraday: str | None, path: Path) -> pl.DataFrame:
    """Rows of whole symbols made daily bars, each symbol's in time order.

    ``intraday``: the time column of intraday bars (aggregated to days), or None for daily rows
    (``date``). Bad bars raise :class:`InputError` naming ``path``.
    """
    time_col = intraday or "date"
    # Every step needs each symbol's rows in time order, nothing more (symbols may interleave):
    # files sorted by time, the usual layout, are used as they come. Missing symbols/sectors
    # are refused by name downstream.
    if not df.get_column(time_col).is_sorted():
        df = df.sort(time_col)
    if intraday is not None:
        try:
            df = daily_bars(df, datetime=time_col)
        except (ValueError, TypeError) as err:
            raise InputError(path, str(err)) from err
        df = df.select("date", *STOCK_COLUMNS)  # date-major: each symbol's days increase
    return df


def write_tables(
    scores: SectorScores, tmp: Path, progress: Progress, *, report: bool, source: Path
) -> list[str]:
    """The score tables (and the report) into ``tmp``; returns the names written."""
    tables = scores.tables()
    names = [f"{n}.parquet" for n in tables]
    with progress.stage("write", len(tables) + int(report)) as step:
        for name, table in tables.items():
            table.write_parquet(tmp / f"{name}.parquet")
            step()
        if report:
            write_report(tmp / "report.html", scores, title=f"sectorflow: {source.name}")
            names.append("report.html")
            step()
    return ["stocks", *names]


def dashboard_text(dashboard: pl.DataFrame) -> str:
    """The dashboard as a terminal table."""
    shown = dashboard.select(
        "sector",
        pl.col("excess_return").mul(100).round(2).alias("excess_40d_%"),
        pl.col("excess_return_pct").round(2).alias("pct"),
        pl.col("turnover_share").mul(100).round(2).alias("turnover_share_%"),
        pl.col("turnover_share_pct").round(2).alias("share_pct"),
        pl.col("crowding").round(2),
        pl.col("drawdown").mul(100).round(1).alias("drawdown_%"),
        "quadrant",
    )
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_width_chars=140,
    ):
        return str(shown)
