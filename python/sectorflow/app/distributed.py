"""``sectorflow recompute`` on a Dask cluster: the same pipeline and outputs as one machine.

The plan of the job, for N rows of S symbols over D dates in G sectors and k partitions:

1. **Read** the parquet file(s) as a Dask DataFrame (pyarrow-backed), only the columns used.
2. **Shuffle by symbol** into k partitions, so each holds every row of its symbols: each row
   moves once (about 60 bytes a daily row, 90 a minute bar: N x that in all).
3. **Per-symbol stage**, one task per partition, the grouped kernels over all its symbols at
   once: minute bars become daily bars in the minute-bar engine (minute input); the per-symbol
   indicators are written as ``stocks/part-<i>.parquet``; the partition's sector sums (G x D
   cells of 64 bytes) and valuation totals (G x D x 96 bytes) go back to the client.
4. **Reduce**: the client adds the k partitions' sums in partition order. Every cross-sectional
   quantity the recompute needs (sector returns, amounts, caps, breadth, valuation) is a sum
   over the symbols of a date, so the shuffle by date is this reduction of k x G x D cells.
5. **Score** the G x D sector table, valuation and heat, and write the report, on the client,
   with the one-machine functions.

Per-symbol outputs equal the one-machine run to the bit (each symbol's rows go through the
same kernels in the same order). A sector-day sum adds the same members in another order (by
partition), so sector tables may differ from one machine's in the last bits (relative 1e-15 a
sum; the tests hold them to 1e-12). Minute input returns its daily bars (about 1/240 of the
minutes) to the client, which then runs the one-machine daily pipeline, to the bit.

Workers write into the staging folder inside ``out``, so ``out`` must be on storage every worker
reaches (one machine, or a shared volume). Nothing is published until every task is done.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from sectorflow._frames import as_date
from sectorflow.app.publish import Staging
from sectorflow.app.recompute import (
    OUTPUTS,
    ROWS_PER_PARTITION,
    STOCK_COLUMNS,
    InputError,
    MissingExtraError,
    Progress,
    Run,
    Source,
    daily_part,
    finish_sectors,
    minute_dataset,
    publish_scores,
    read_inputs,
    recompute_source,
    stock_indicators,
    summed_totals,
    valuation_columns,
)
from sectorflow.sector.aggregate import SectorAggregation
from sectorflow.sector.valuation import valuation_totals

if TYPE_CHECKING:
    from distributed import Client

    from sectorflow.sector.minute import Outside

__all__ = ["recompute"]

#: Dask's shuffle: "tasks" moved 5M daily rows into 2 partitions in 2.1 s on 2 local workers
#: where "p2p" took 8.9 s; "p2p" keeps memory bounded on large clusters (set it here there).
SHUFFLE = "tasks"

#: Fault injection for the tests: a path; the first task to find it absent creates it and
#: kills its worker process (Dask then retries the task elsewhere).
KILL_ONCE = "SECTORFLOW_KILL_A_WORKER_ONCE"


def _kill_once() -> None:
    marker = os.environ.get(KILL_ONCE)
    if marker:
        try:
            Path(marker).touch(exist_ok=False)
        except FileExistsError:
            return
        os.kill(os.getpid(), 9)


@dataclass(frozen=True)
class _Spec:
    """What a task needs to know of the file (picklable, unlike the file's lazy scan)."""

    path: Path
    time_col: str  # the file's time column
    intraday: str | None  # the time column of intraday rows, None for daily ones
    valuation: bool
    dates: tuple[dt.date, dt.date]
    window: tuple[dt.date | None, dt.date | None]


def _symbol_stage(frame: Any, index: int, folder: str, spec: _Spec) -> dict[str, Any]:
    """One partition of whole symbols: indicators to ``folder``, sector cells, valuation totals.

    Bad rows raise ``ValueError`` with the one-machine message (the client names the file).
    """
    _kill_once()
    df = pl.from_pandas(frame) if not isinstance(frame, pl.DataFrame) else frame
    time_col = spec.intraday or "date"
    if spec.intraday is None:  # daily rows: the time column is the date
        df = df.with_columns(pl.col(spec.time_col).cast(pl.Date).alias("date"))
        df = df.drop(spec.time_col) if spec.time_col != "date" else df
    day = pl.col(time_col).cast(pl.Date)
    since, until = spec.window
    if since is not None:
        df = df.filter(day >= since)
    if until is not None:
        df = df.filter(day <= until)
    if df.is_empty():
        return {"cells": None, "totals": None, "rows": 0}
    try:
        # Each symbol's rows in time order (a shuffle interleaves them), as daily bars.
        df = daily_part(df.sort(time_col, "symbol"), spec.intraday, spec.path)
        aggregation = SectorAggregation(*spec.dates)
        aggregation.add(df)
        totals = valuation_totals(df) if spec.valuation else None
    except InputError as err:
        raise ValueError(str(err).removeprefix(f"{spec.path}: ")) from None
    final = Path(folder) / f"part-{index:04d}.parquet"
    temporary = final.with_suffix(".tmp")  # a retried task rewrites it whole
    stock_indicators(df).write_parquet(temporary, compression="lz4")
    temporary.replace(final)
    return {"cells": aggregation.cells(), "totals": totals, "rows": df.height}


def _require_dask() -> None:
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as err:
        msg = f"a Dask cluster needs the dask extra: pip install 'sectorflow[dask]' ({err})"
        raise MissingExtraError(msg) from err


@contextmanager
def _connected(
    client: Client | None, scheduler: str | None, workers: int | None
) -> Iterator[Client]:
    """``client``, or one to ``scheduler`` or to a local cluster of ``workers`` (closed after)."""
    from distributed import Client, LocalCluster

    if client is not None:
        yield client
        return
    if scheduler is not None:
        with Client(scheduler) as own:
            yield own
        return
    with (
        LocalCluster(
            n_workers=workers or 2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.CRITICAL,  # a refused row is our one-line error, not a log
        ) as cluster,
        Client(cluster) as own,
    ):
        yield own


def recompute(
    stocks: str | Path | Any,
    benchmark: str | Path,
    out: str | Path,
    *,
    client: Client | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    sectors: str | Path | Mapping[str, Sequence[str]] | None = None,
    since: Any = None,
    until: Any = None,
    partitions: int | None = None,
    session: str = "cn",
    outside: Outside = "drop",
    report: bool = True,
    progress: Progress | None = None,
) -> Run:
    """:func:`sectorflow.app.recompute.recompute` on a Dask cluster: the same outputs.

    ``client``: a connected :class:`distributed.Client`; otherwise one to ``scheduler``
    (``"tcp://host:8786"``) or to a local cluster of ``workers`` processes (2 by default),
    closed at the end. The other arguments and the outputs are those of the one-machine
    recompute (a daily stock file, or a folder of minute-bar parquet files); ``stocks`` may
    also be a Dask DataFrame of daily rows (``date, symbol, sector, close, volume, amount,
    float_mcap``[, valuation columns]). See this module for the plan and for what is equal to
    the bit. Bad input raises :class:`InputError` before anything is published.
    """
    _require_dask()
    import dask.dataframe as dd

    start = time.perf_counter()
    progress = progress or Progress()
    given = stocks if isinstance(stocks, dd.DataFrame) else None
    path, out = Path("<dask frame>" if given is not None else stocks), Path(out)
    window = (
        None if since is None else as_date(since, "since"),
        None if until is None else as_date(until, "until"),
    )
    staging = Staging(out, OUTPUTS)
    if given is None and (path.is_dir() or any(ch in str(path) for ch in "*?[")):
        with _connected(client, scheduler, workers) as connected:
            daily, rows = _minute_days(connected, path, (session, outside), progress)
        source = Source.from_daily(path, daily, rows, *window)
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
    source = (
        Source.open(path, *window, progress)
        if given is None
        else _frame_source(given, path, window, progress)
    )
    composites, bench = read_inputs(source, benchmark, sectors)
    spec = _Spec(
        path=path,
        time_col=source.time_col,
        intraday=source.time_col if source.intraday else None,
        valuation=bool(source.valuation),
        dates=(source.first, source.last),
        window=window,
    )
    columns = [source.time_col, *STOCK_COLUMNS, *source.valuation]
    frame = (
        given[columns]
        if given is not None
        else dd.read_parquet(str(path), columns=columns, dtype_backend="pyarrow")
    )
    with _connected(client, scheduler, workers) as connected, staging as tmp:
        # At least one partition per worker thread, so a small file still runs in parallel.
        threads = sum(w["nthreads"] for w in connected.scheduler_info()["workers"].values())
        k = partitions or max(threads, math.ceil(source.rows / ROWS_PER_PARTITION))
        aggregation, totals = _sector_table(
            connected, frame, spec, k=k, folder=tmp / "stocks", progress=progress
        )
        named = sectors if isinstance(sectors, str | Path) else path
        table = finish_sectors(aggregation, composites, named, progress)
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


def _dates(part: Any) -> tuple[int, dt.date | None, dt.date | None]:
    """Rows and first and last date of one partition's ``date`` column."""
    day = pl.from_pandas(part).cast(pl.Date)
    return len(day), day.min(), day.max()  # type: ignore[return-value]


def _frame_source(
    frame: Any, name: Path, window: tuple[dt.date | None, dt.date | None], progress: Progress
) -> Source:
    """A checked source of a Dask DataFrame of daily rows (its rows and dates in one pass)."""
    from dask.base import compute
    from dask.delayed import delayed

    columns = list(frame.columns)
    for column in ("date", *STOCK_COLUMNS):
        if column not in columns:
            raise InputError(name, f"missing column {column!r} (columns: {columns})")
    with progress.stage("scan", 1) as step:
        stats = compute(*(delayed(_dates)(p) for p in frame["date"].to_delayed()))
        step()
    rows = sum(n for n, _, _ in stats)
    if rows == 0:
        raise InputError(name, "no rows")
    first = min(lo for n, lo, _ in stats if n)
    last = max(hi for n, _, hi in stats if n)
    # The tasks keep the rows from ``since`` to ``until``; the dates bound the aggregation.
    since, until = window
    first = max(as_date(first, "date"), since or dt.date.min)
    last = min(as_date(last, "date"), until or dt.date.max)
    if first > last:
        raise InputError(name, "no rows in the dates asked for")
    return Source(
        name, pl.LazyFrame(), "date", False, int(rows), first, last,  # noqa: FBT003
        valuation=valuation_columns(columns),
    )  # fmt: skip


def _sector_table(
    client: Client,
    frame: Any,
    spec: _Spec,
    *,
    k: int,
    folder: Path,
    progress: Progress,
) -> tuple[SectorAggregation, pl.DataFrame | None]:
    """The shuffle by symbol, the per-symbol stage and the reduction of its sums."""
    from dask.delayed import delayed

    parts = frame.shuffle("symbol", npartitions=k, shuffle_method=SHUFFLE).to_delayed()
    folder.mkdir()
    stage = delayed(_symbol_stage, pure=False)
    tasks = client.compute([stage(p, i, str(folder), spec) for i, p in enumerate(parts)])
    results = _gather(client, tasks, progress, spec.path)
    aggregation = SectorAggregation(*spec.dates)
    for result in results:  # in partition order
        if result["cells"] is not None:
            aggregation.add_cells(result["cells"])
    totals = summed_totals([r["totals"] for r in results if r["totals"] is not None])
    return aggregation, totals


def _minute_stage(frame: Any, session: tuple[str, Outside]) -> pl.DataFrame:
    """One partition of whole symbols' minute bars: their daily bars and features."""
    from sectorflow.sector.minute import BarsError, minute_bars

    _kill_once()
    df = pl.from_pandas(frame) if not isinstance(frame, pl.DataFrame) else frame
    df = df.drop([c for c in df.columns if c not in _MINUTE_COLUMNS])
    try:
        days = minute_bars(
            df.sort("datetime", "symbol"),
            session=session[0],
            outside=session[1],
            carry=["sector", "float_mcap"],
        ).daily
    except BarsError as err:
        raise ValueError(err.message) from None
    return days


#: The columns of minute bars the recompute reads.
_MINUTE_COLUMNS = ("datetime", "symbol", "sector", "open", "high", "low", "close", "volume",
                   "amount", "float_mcap")  # fmt: skip


def _minute_days(
    client: Client, path: Path, session: tuple[str, Outside], progress: Progress
) -> tuple[pl.DataFrame, int]:
    """The daily bars of a minute-bar folder, the minute-bar engine on each symbol partition."""
    import dask.dataframe as dd
    from dask.delayed import delayed

    files, rows, names = minute_dataset(path)
    columns = [c for c in _MINUTE_COLUMNS if c in names]
    frame = dd.read_parquet([str(f) for f in files], columns=columns, dtype_backend="pyarrow")
    k = max(1, math.ceil(rows / ROWS_PER_PARTITION / 4))
    parts = frame.shuffle("symbol", npartitions=k, shuffle_method=SHUFFLE).to_delayed()
    stage = delayed(_minute_stage, pure=False)
    tasks = client.compute([stage(p, session) for p in parts])
    days = _gather(client, tasks, progress, path, name="minute bars (dask)")
    daily = pl.concat([d for d in days if d.height], how="vertical_relaxed")
    return daily.sort("date", "symbol"), rows


def _gather(
    client: Client,
    tasks: list[Any],
    progress: Progress,
    path: Path,
    *,
    name: str = "stocks by partition (dask)",
) -> list[Any]:
    """The tasks' results in partition order, one progress step per finished task."""
    from distributed import as_completed

    with progress.stage(name, len(tasks)) as step:
        for future in as_completed(tasks):
            if future.status == "error":
                error = future.exception()
                if isinstance(error, ValueError | TypeError):
                    raise InputError(path, str(error)) from error
                raise error
            step()
    return list(client.gather(tasks))
