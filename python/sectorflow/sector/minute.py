"""Minute bars at scale: session-aligned k-minute bars, daily bars and intraday features.

One pass of the compiled core over the bars (:class:`sectorflow.tables.MinuteAccumulator`),
fed in Arrow record batches, so a directory of parquet files larger than memory streams
through with the open day of each symbol as the only state. A session is a market's trading
segments in local time: ``"cn"`` (China A-shares, 09:30-11:30 and 13:00-15:00, 240 minutes,
timestamps marking a minute's end, Asia/Shanghai), ``"us"`` (09:30-16:00, 390 minutes,
timestamps marking a minute's start, America/New_York) or a :class:`Session` of your own.
Tz-aware timestamps are converted to the session's zone; naive ones are read as its local
time. A k-minute bar groups the minutes of one segment (no bar spans the lunch break) and is
built from the minutes present.

The features of a symbol's day, over its session minutes in order (``c`` closes, ``v``
volumes, ``r_i = ln(c_i / c_(i-1))`` between consecutive minutes present, ``N`` of them,
``C_prev`` the previous day's close, ``S`` the session's minutes)::

    realized_variance            RV = sum r_i^2
    realized_volatility          sqrt(RV);  realized_volatility_annual = sqrt(252 RV)
    realized_skew                sqrt(N) sum r_i^3 / RV^(3/2)
    intraday_return              close / open - 1
    overnight_return             open / C_prev - 1
    first_30_return              close of the last minute in the first 30 / open - 1
    first_30_volume_share        volume of the first 30 minutes / volume
    last_30_return               close / close before the last 30 minutes (slots S-30..S) - 1
    last_30_volume_share         volume of the last 30 minutes / volume
    range_to_vwap                (high - low) / vwap,   vwap = amount / volume
    amihud                       |close / C_prev - 1| / amount
    max_drawdown                 max_t 1 - c_t / max(open, c_1 .. c_t)
    volume_price_corr            Pearson correlation of c and v over the day's minutes

A missing close skips the minute; a missing open, high or low falls back to its close, a
missing volume or amount counts 0; ``amount`` defaults to ``close * volume``.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import polars as pl

from sectorflow._frames import aligned_parts, date_series, to_polars
from sectorflow.tables import MinuteAccumulator

__all__ = [
    "MARKETS",
    "BarsError",
    "MinuteBars",
    "Session",
    "intraday_features",
    "minute_bars",
    "minute_files",
    "resample_bars",
    "weekly_bars",
]

Outside = Literal["drop", "keep", "refuse"]


@dataclass(frozen=True)
class Session:
    """Trading segments ``[start, end)`` as ``"HH:MM"``, how stamps label a minute, a zone."""

    segments: tuple[tuple[str, str], ...]
    label: Literal["left", "right"] = "left"
    time_zone: str | None = None

    def minutes(self) -> list[tuple[int, int]]:
        """The segments in minutes of the day."""
        return [(_minute_of(a), _minute_of(b)) for a, b in self.segments]


#: The sessions of the markets we know.
MARKETS = {
    "cn": Session((("09:30", "11:30"), ("13:00", "15:00")), "right", "Asia/Shanghai"),
    "us": Session((("09:30", "16:00"),), "left", "America/New_York"),
}


class MinuteBars(NamedTuple):
    """What :func:`minute_bars` returns: k-minute bars (None without ``every``) and days."""

    bars: pl.DataFrame | None
    daily: pl.DataFrame


def _minute_of(text: str) -> int:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if match is None or int(match[1]) > 24 or int(match[2]) > 59:  # noqa: PLR2004
        msg = f"session times are 'HH:MM', got {text!r}"
        raise ValueError(msg)
    return int(match[1]) * 60 + int(match[2])


def _session(session: str | Session) -> Session:
    if isinstance(session, Session):
        return session
    if session not in MARKETS:
        msg = f"session must be one of {sorted(MARKETS)} or a Session, got {session!r}"
        raise ValueError(msg)
    return MARKETS[session]


def _every(every: int | str | None) -> int | None:
    """Minutes of a bar from ``5``, ``"5m"``, ``"5min"``, ``"1h"``; None for none."""
    if every is None or isinstance(every, int):
        if isinstance(every, int) and (isinstance(every, bool) or every < 1):
            msg = f"every must be a number of minutes >= 1, got {every!r}"
            raise ValueError(msg)
        return every
    match = re.fullmatch(r"(\d+)\s*(m|min|h)", every)
    if match is None or int(match[1]) < 1:
        msg = f"every must be minutes such as 30, '30m' or '1h', got {every!r}"
        raise ValueError(msg)
    return int(match[1]) * (60 if match[2] == "h" else 1)


_PRICES = ("open", "high", "low", "close")
#: Timestamps reach the core as local wall-clock microseconds.
_US_PER_MINUTE = 60_000_000


class _Source(NamedTuple):
    """A batch of bars, where it came from and its first row there (and over all batches)."""

    name: str
    first_row: int
    frame: pl.DataFrame
    fed: int = 0
    #: The symbol column as read from parquet (an Arrow dictionary), fed as it is.
    symbols: Any = None


def _resolve(source: Any) -> tuple[pl.DataFrame | None, list[Path]]:
    """An in-memory table, or the files of a path (a file, a directory, a glob) in order."""
    if not isinstance(source, str | Path):
        module = type(source).__module__.split(".", 1)[0]
        frame = pl.from_arrow(source) if module == "pyarrow" else to_polars(source, "bars")
        assert isinstance(frame, pl.DataFrame)  # noqa: S101 (a table, not an array)
        return frame, []
    return None, minute_files(source)


def minute_files(source: str | Path) -> list[Path]:
    """The files :func:`minute_bars` reads for a path, in the order it reads them.

    A file; a directory's parquet files at any depth (hive partitions such as
    ``date=2024-01-02/``), in path order; or the files a glob matches, in path order.
    """
    path = Path(source)
    text = str(path)
    if any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in _glob(text))
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".parquet", ".pq"))
    elif path.exists():
        files = [path]
    else:
        msg = f"{path}: no such file or directory"
        raise ValueError(msg)
    if not files:
        msg = f"{path}: no parquet files"
        raise ValueError(msg)
    return files


def _columns_of(frame: pl.DataFrame | None, files: list[Path]) -> list[str]:
    if frame is not None:
        return frame.columns
    first = files[0]
    if first.suffix.lower() in (".csv", ".txt"):
        return pl.scan_csv(first).collect_schema().names()
    import pyarrow.parquet as pq

    return list(pq.read_schema(first).names)


def _batches(
    frame: pl.DataFrame | None, files: list[Path], columns: list[str], batch_rows: int
) -> Iterator[_Source]:
    """The bars in record batches: the table cut at its chunks, or each file in order."""
    if frame is not None:
        _require(frame.columns, columns, "bars")
        offset = 0
        for part in aligned_parts(frame.select(columns)):
            yield _Source("bars", offset, part)
            offset += part.height
        return
    import pyarrow.dataset as ds

    for file in files:
        offset = 0
        if file.suffix.lower() in (".csv", ".txt"):
            table = pl.read_csv(file, try_parse_dates=True)
            _require(table.columns, columns, str(file))
            for part in aligned_parts(table.select(columns)):
                yield _Source(str(file), offset, part)
                offset += part.height
            continue
        # The symbols as parquet stores them (a dictionary): no string per row is made.
        options = ds.ParquetReadOptions(dictionary_columns=[columns[1]])
        data = ds.dataset(file, format=ds.ParquetFileFormat(read_options=options))
        _require(data.schema.names, columns, str(file))
        for batch in data.to_batches(columns=columns, batch_size=batch_rows):
            read = pl.from_arrow(batch)
            assert isinstance(read, pl.DataFrame)  # noqa: S101 (a record batch)
            yield _Source(str(file), offset, read, symbols=batch.column(columns[1]))
            offset += read.height


class BarsError(ValueError):
    """Bad minute bars, naming where: the source (``bars`` or a file) and a row or column."""

    def __init__(self, source: str, message: str) -> None:
        """``source: message``."""
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class BarsTypeError(BarsError, TypeError):
    """A column of minute bars of the wrong type."""


def _read_ahead(batches: Iterator[_Source]) -> Iterator[_Source]:
    """``batches``, the next one read on another thread while this one is fed.

    Both release the GIL, so decoding parquet and the core's pass overlap.
    """
    with ThreadPoolExecutor(1) as reader:
        ahead = reader.submit(next, batches, None)
        while (batch := ahead.result()) is not None:
            ahead = reader.submit(next, batches, None)
            yield batch


def _require(present: Sequence[str], columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in present]
    if missing:
        raise BarsError(name, f"no column {missing[0]!r} (columns: {list(present)})")


def _glob(pattern: str) -> list[str]:
    import glob

    return glob.glob(pattern, recursive=True)  # noqa: PTH207 (a user's pattern, any root)


def _local_time(frame: pl.DataFrame, column: str, zone: str | None, name: str) -> pl.Expr:
    """``column`` as local wall-clock microseconds.

    Tz-aware stamps are converted to ``zone``, or read in their own zone without one.
    """
    dtype = frame.schema[column]
    expr = pl.col(column)
    if dtype == pl.String:
        expr = expr.str.to_datetime(time_unit="us")
        dtype = pl.Datetime("us")
    if not isinstance(dtype, pl.Datetime):
        raise BarsTypeError(name, f"column {column!r} must hold datetimes, got {dtype}")
    if dtype.time_zone is not None:
        # Into the session's zone; a session without one reads the stamps' own wall clock.
        local = expr.dt.convert_time_zone(zone) if zone is not None else expr
        expr = local.dt.replace_time_zone(None)
    return expr.dt.cast_time_unit("us").to_physical()


def _floats(frame: pl.DataFrame, columns: Sequence[str], name: str) -> list[np.ndarray]:
    out = []
    for c in columns:
        dtype = frame.schema[c]
        if not (dtype.is_numeric() or dtype == pl.Null):
            raise BarsTypeError(name, f"column {c!r} must be numeric, got {dtype}")
        out.append(frame.get_column(c).cast(pl.Float64).to_numpy())
    return out


def minute_bars(
    source: Any,
    *,
    every: int | str | None = None,
    session: str | Session = "cn",
    outside: Outside = "drop",
    datetime: str = "datetime",
    symbol: str = "symbol",
    carry: Sequence[str] = (),
    batch_rows: int = 1 << 20,
    progress: Callable[[int], None] | None = None,
) -> MinuteBars:
    """k-minute bars and daily bars with the intraday features, in one pass of the core.

    ``source``: minute bars ``datetime, symbol, open, high, low, close, volume[, amount]``
    as a polars/pandas/Arrow table, or a path: a parquet file, a directory of them (e.g.
    hive-partitioned by date or month; read in path order), a glob, or a CSV file. Each
    symbol's bars must be in time order across the files. ``every``: minutes of the session
    bars (``30``, ``"30m"``, ``"1h"``), None for daily bars only. ``outside``: bars outside the
    session are dropped, kept (in the day's bar and features, not in session bars or the
    30-minute windows) or refused. ``carry``: other columns (``sector``, ``float_mcap``) taken
    into the daily rows from each day's last minute used. ``progress`` is called with the rows
    of each batch fed. Bad bars raise :class:`BarsError` (a ``ValueError``; a mistyped column
    also a ``TypeError``) naming the file and the row or column. See the module for the session
    and the features.

    Returns :class:`MinuteBars`: ``bars`` (``datetime`` at the bar's start, ``end``, ``symbol,
    open, high, low, close, volume, amount, vwap, minutes``, sorted by symbol and time) and
    ``daily`` (``date, symbol, open, high, low, close, volume, amount, vwap, minutes`` and the
    features, sorted by date and symbol).
    """
    spec = _session(session)
    k = _every(every)
    if outside not in ("drop", "keep", "refuse"):
        msg = f"outside must be 'drop', 'keep' or 'refuse', got {outside!r}"
        raise ValueError(msg)
    segments = spec.minutes()
    acc = MinuteAccumulator(
        segments=segments,
        unit_per_minute=_US_PER_MINUTE,
        label_right=spec.label == "right",
        every=k,
        outside=outside,
    )
    frame, files = _resolve(source)
    with_amount = "amount" in _columns_of(frame, files)
    columns = [datetime, symbol, *_PRICES, "volume", *(["amount"] if with_amount else [])]
    carried = []
    fed = 0
    batches = _batches(frame, files, [*columns, *carry], batch_rows)
    for batch in batches if frame is not None else _read_ahead(batches):
        part = batch._replace(fed=fed)
        fed += part.frame.height
        time = _feed(acc, part, spec, datetime, symbol, with_amount=with_amount)
        if progress is not None:
            progress(part.frame.height)
        if carry:
            carried.append(
                _last_used(part.frame, time, spec, outside=outside, symbol=symbol, carry=carry)
            )
    bars, days, names = acc.finish()
    out = _tables(bars, days, names, k=k, segments=segments, datetime=datetime, symbol=symbol)
    if not carry:
        return out
    last = pl.concat(carried).unique(["date", symbol], keep="last", maintain_order=True)
    daily = out.daily.join(last, on=["date", symbol], how="left")
    return MinuteBars(out.bars, daily)


def _last_used(
    frame: pl.DataFrame,
    time: pl.Series,
    spec: Session,
    *,
    outside: str,
    symbol: str,
    carry: Sequence[str],
) -> pl.DataFrame:
    """``date, <symbol>, <carry>`` of the last minute the core used of each symbol's day.

    Used: a finite close, in the session unless outside minutes are kept.
    """
    per_minute = _US_PER_MINUTE
    start = time - (per_minute if spec.label == "right" else 0)
    minute = (start % (1440 * per_minute)) // per_minute
    used = frame.get_column("close").cast(pl.Float64).is_finite().fill_null(value=False)
    if outside != "keep":
        used &= functools.reduce(
            operator.or_, [(minute >= lo) & (minute < hi) for lo, hi in spec.minutes()]
        )
    day = (start // (1440 * per_minute)).cast(pl.Int32).cast(pl.Date).alias("date")
    rows = frame.select(pl.col(symbol).cast(pl.String), *carry).with_columns(day)
    return (
        rows.filter(used)
        .group_by("date", symbol, maintain_order=True)
        .last()
        .select("date", symbol, *carry)
    )


def _feed(
    acc: MinuteAccumulator,
    part: _Source,
    spec: Session,
    datetime: str,
    symbol: str,
    *,
    with_amount: bool,
) -> pl.Series:
    """Feeds a batch; returns its local times (microseconds)."""
    frame = part.frame
    time = frame.select(_local_time(frame, datetime, spec.time_zone, part.name)).to_series()
    if time.null_count():
        row = int(time.is_null().arg_max() or 0)
        raise BarsError(part.name, f"row {part.first_row + row}: column {datetime!r} is missing")
    names: Any = frame.get_column(symbol)
    if not isinstance(names.dtype, pl.String | pl.Categorical | pl.Enum):
        names = names.cast(pl.String)
    elif part.symbols is not None:
        names = part.symbols
    values = _floats(frame, [*_PRICES, "volume", *(["amount"] if with_amount else [])], part.name)
    open_, high, low, close, volume = values[:5]
    amount = values[5] if with_amount else None
    refused = acc.feed(time.to_numpy(), names, open_, high, low, close, volume, amount)
    if refused is None:
        return time
    # The core counts rows over every part fed; name them within the file.
    kind, row, previous, duplicate = refused
    at = row - part.fed
    here = part.first_row + at
    where = f"{symbol}={frame.item(at, symbol)!r} at {datetime}={frame.item(at, datetime)}"
    earlier = previous - part.fed + part.first_row
    before = f"row {earlier}" if earlier >= 0 else "a bar of an earlier file"
    if kind == "outside":
        raise BarsError(part.name, f"row {here}: {where} is outside the session")
    if duplicate:
        raise BarsError(part.name, f"row {here}: a second bar for {where} (the first: {before})")
    raise BarsError(part.name, f"row {here}: {where} is not after {before} of the symbol")


def _tables(
    bars: dict[str, Any],
    days: dict[str, Any],
    names: list[str],
    *,
    k: int | None,
    segments: list[tuple[int, int]],
    datetime: str,
    symbol: str,
) -> MinuteBars:
    """The core's columns as sorted tables, each column moved (sorted) once and let go.

    Output of 300M minutes is 10M 30-minute bars: one permutation applied column by column keeps
    the peak near one copy of the columns.
    """
    symbols = pl.Series(symbol, names, dtype=pl.String)
    by_name = np.argsort(np.argsort(np.asarray(names, dtype=object)))  # code -> name's rank
    codes = days.pop("symbol")
    order = np.lexsort((by_name[codes], days["day"]))
    columns: dict[str, Any] = {
        "date": date_series("date", days.pop("day")[order]),
        symbol: symbols.gather(codes[order]),
    }
    for c in (*_PRICES, "volume", "amount"):
        columns[c] = days.pop(c)[order]
    columns["minutes"] = days.pop("minutes")[order]
    rv = days.pop("realized_variance")[order]
    columns |= {
        "realized_variance": rv,
        "realized_volatility": np.sqrt(rv),
        "realized_volatility_annual": np.sqrt(252.0 * rv),
    }
    columns |= {c: values[order] for c, values in days.items() if c != "last_row"}
    daily = _with_vwap(pl.DataFrame(columns)).select(
        "date", symbol, *_PRICES, "volume", "amount", "vwap", pl.exclude("date", symbol,
        *_PRICES, "volume", "amount", "vwap")
    )  # fmt: skip
    daily = daily.with_columns(pl.selectors.float().fill_nan(None))
    if k is None:
        return MinuteBars(None, daily)
    codes = bars.pop("symbol")
    minute = bars.pop("minute").astype(np.int64)
    start = bars.pop("day").astype(np.int64) * 1440 + minute
    order = np.lexsort((start, by_name[codes]))
    start, minute = start[order], minute[order]
    ends = np.array([end for _, end in segments])
    end = start - minute + np.minimum(minute + k, ends[np.searchsorted(ends, minute, "right")])
    del minute
    columns = {datetime: _stamps(start), "end": _stamps(end), symbol: symbols.gather(codes[order])}
    del start, end, codes
    for c in (*_PRICES, "volume", "amount", "minutes"):
        columns[c] = bars.pop(c)[order]
    out = _with_vwap(pl.DataFrame(columns))
    return MinuteBars(out.select(*out.columns[:-2], "vwap", "minutes"), daily)


def _with_vwap(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``vwap = amount / volume`` (null without volume)."""
    volume = pl.col("volume")
    return frame.with_columns(pl.when(volume > 0).then(pl.col("amount") / volume).alias("vwap"))


def _stamps(minutes: np.ndarray) -> pl.Series:
    """Minutes since 1970-01-01 00:00 as datetimes."""
    return pl.Series(minutes * 60_000_000).cast(pl.Datetime("us"))


def resample_bars(source: Any, every: int | str = "30m", **options: Any) -> pl.DataFrame:
    """Session-aligned k-minute bars (``every``), or daily bars (``every="1d"``).

    The options are those of :func:`minute_bars`; see it for the columns.
    """
    if every in ("1d", "D"):
        daily = minute_bars(source, **options).daily
        return daily.select(
            "date", options.get("symbol", "symbol"), *_PRICES, "volume", "amount", "vwap", "minutes"
        )
    bars = minute_bars(source, every=every, **options).bars
    assert bars is not None  # noqa: S101 (asked for)
    return bars


def intraday_features(source: Any, **options: Any) -> pl.DataFrame:
    """Daily bars and the intraday features of each symbol and day; see :func:`minute_bars`."""
    return minute_bars(source, **options).daily


def weekly_bars(daily: Any, *, date: str = "date", symbol: str = "symbol") -> pl.DataFrame:
    """Weekly bars (weeks ending Friday) from daily bars, dated by the week's last bar.

    First open, highest high, lowest low, last close, summed volume (and amount, minutes;
    ``vwap = amount / volume``).
    """
    frame = to_polars(daily, "daily")
    _require(frame.columns, [date, symbol, *_PRICES, "volume"], "daily")
    sums = [c for c in ("amount", "minutes") if c in frame.columns]
    week = (pl.col(date) + pl.duration(days=2)).dt.truncate("1w")
    out = (
        frame.sort(symbol, date)
        .group_by(symbol, week.alias("__week"), maintain_order=True)
        .agg(
            pl.col(date).last(),
            pl.col("open").first(),
            pl.col("high").max(),
            pl.col("low").min(),
            pl.col("close").last(),
            pl.col("volume").sum(),
            *(pl.col(c).sum() for c in sums),
        )
        .drop("__week")
    )
    if "amount" in sums:
        out = out.with_columns(
            pl.when(pl.col("volume") > 0).then(pl.col("amount") / pl.col("volume")).alias("vwap")
        )
    return out.select(date, symbol, pl.exclude(date, symbol)).sort(date, symbol)
