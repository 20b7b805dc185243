"""The one place where the table-level functions turn user tables into polars and check them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from sectorflow.tables import string_codes


def to_polars(df: Any, name: str) -> pl.DataFrame:
    """A polars DataFrame from a polars DataFrame/LazyFrame or a pandas DataFrame/Series.

    A pandas index that carries dates (a DatetimeIndex or any named index) becomes a column
    (``date`` when unnamed); an unnamed Series becomes ``close``.
    """
    if isinstance(df, pl.LazyFrame):
        return df.collect()
    if isinstance(df, pl.DataFrame):
        return df
    module = type(df).__module__.split(".", 1)[0]
    if module == "pandas":
        import pandas as pd

        if isinstance(df, pd.Series):
            df = df.to_frame(name=df.name if df.name is not None else "close")
        if isinstance(df.index, pd.DatetimeIndex) or df.index.name is not None:
            index_name = df.index.name or "date"
            df = df.rename_axis(index_name).reset_index()
        return pl.from_pandas(df)
    msg = (
        f"{name} must be a polars or pandas DataFrame (or a pandas Series), got {type(df).__name__}"
    )
    raise TypeError(msg)


def require(df: pl.DataFrame, columns: list[str], name: str) -> None:
    """Raises naming the first of ``columns`` that ``df`` lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        msg = f"{name} has no column {missing[0]!r} (columns: {df.columns})"
        raise ValueError(msg)


def date_column(df: pl.DataFrame, column: str, name: str) -> pl.Expr:
    """``column`` as a polars Date (datetimes are truncated to their day)."""
    dtype = df.schema[column]
    if dtype == pl.Date:
        return pl.col(column)
    if isinstance(dtype, pl.Datetime):
        return pl.col(column).dt.date()
    if dtype == pl.String:
        return pl.col(column).str.to_date()
    msg = f"{name} column {column!r} must hold dates, got {dtype}"
    raise TypeError(msg)


def float_column(df: pl.DataFrame, column: str, name: str) -> pl.Expr:
    """``column`` as Float64; a non-numeric column is refused by name."""
    dtype = df.schema[column]
    if not (dtype.is_numeric() or dtype == pl.Null):
        msg = f"{name} column {column!r} must be numeric, got {dtype}"
        raise TypeError(msg)
    return pl.col(column).cast(pl.Float64)


def refuse_rows(
    df: pl.DataFrame, checks: list[tuple[pl.Expr, str]], name: str, show: list[str]
) -> None:
    """Raises the message of the first check ``(bad, message)`` that holds on some row.

    The first such row is named by its ``show`` columns. All checks run in one pass over ``df``.
    """
    if not checks or df.is_empty():
        return
    found = df.select(
        *(bad.fill_null(value=False).any().alias(f"c{i}") for i, (bad, _) in enumerate(checks))
    ).row(0)
    for hit, (bad, message) in zip(found, checks, strict=True):
        if hit:
            first = df.filter(bad).select(show).row(0, named=True)
            where = ", ".join(f"{c}={v!r}" for c, v in first.items())
            msg = f"{name}: {message} (first at {where})"
            raise ValueError(msg)


def refuse_duplicates(df: pl.DataFrame, keys: list[str], name: str) -> None:
    """Raises ``ValueError`` naming the first key (e.g. sector and date) on more than one row.

    One rule for every table the library takes: repeated keys are refused, never summed,
    averaged or resolved by taking the last row.
    """
    dup = df.filter(pl.struct(keys).is_duplicated()) if keys else df.clear()
    if dup.height:
        row = dup.select(keys).row(0, named=True)
        where = ", ".join(f"{k}={_shown(v)}" for k, v in row.items())
        msg = f"{name} has more than one row for {where}"
        raise ValueError(msg)


def _sort_codes(column: pl.Series) -> np.ndarray:
    """int64 codes that order ``column`` as ``DataFrame.sort`` does, nulls first (``-1``).

    Strings are coded in the core in their sorted order (bytewise, as polars sorts them);
    other columns by their dense rank.
    """
    if column.dtype == pl.String:
        codes: np.ndarray = string_codes(column, sort=True)[0]
        return codes
    ranks = column.rank("dense").cast(pl.Int64).fill_null(0)
    return np.asarray(ranks.to_numpy(), dtype=np.int64) - 1


def sorted_by_key(df: pl.DataFrame, keys: list[str], date: str, name: str) -> pl.DataFrame:
    """``df`` sorted by ``keys`` then ``date``; a repeated ``(keys, date)`` is refused by name.

    The rows are ordered by one stable integer sort of the keys' codes and the dates (a sort on
    the string columns costs ten times more), repeats found next to each other in that order,
    and a table already in order is returned as it is.
    """
    if df.height <= 1:
        return df
    columns = [_sort_codes(df.get_column(k)) for k in keys]
    when = df.get_column(date).to_physical()
    first = when.min()
    days = when.fill_null(first - 1 if isinstance(first, int) else 0).to_numpy().astype(np.int64)
    order = np.lexsort((days, *reversed(columns)))
    same = days[order[1:]] == days[order[:-1]]
    for codes in columns:
        same &= codes[order[1:]] == codes[order[:-1]]
    if same.any():
        row = df.select(*keys, date).row(int(order[1:][same][0]), named=True)
        where = ", ".join(f"{k}={_shown(v)}" for k, v in row.items())
        msg = f"{name} has more than one row for {where}"
        raise ValueError(msg)
    if (order[1:] > order[:-1]).all():
        return df
    return df[order]


def refuse_bad_closes(df: pl.DataFrame, close: str, name: str, keys: list[str]) -> None:
    """Raises ``ValueError`` for an empty table or a close <= 0, naming the first such row.

    A close is a price, index or NAV level: ratios of closes mean nothing below zero. Missing
    (null, NaN, ±inf) closes are left to the kernels, which skip them.
    """
    if df.is_empty():
        msg = f"{name} has no rows"
        raise ValueError(msg)
    bad = (pl.col(close) <= 0) & pl.col(close).is_finite()
    message = f"column {close!r} must be positive (a price, index or NAV level)"
    refuse_rows(df, [(bad, message)], name, [*keys, close])


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def long_closes(
    obj: Any,
    name: str,
    *,
    date: str,
    key: str,
    close: str,
    extra: tuple[str, ...] = (),
    sort: bool = True,
) -> pl.DataFrame:
    """``date, <key>, <close>[, extra...]`` from a long table or a wide one (a column a series).

    The one normaliser of price tables: dates as polars Dates (tz-aware ones in their own
    zone), keys as strings, closes as Float64; a missing column, a close <= 0 or an empty table
    is refused by name. With ``sort`` (default) the rows come sorted by key and date and a
    repeated ``(key, date)`` is refused; off for a caller that refuses repeats on its own pass
    through the rows in their given order (the RRG pivot).
    """
    df = to_polars(obj, name)
    require(df, [date, *extra], name)
    if key not in df.columns or close not in df.columns:
        if extra:
            msg = f"{name} must be long, with {key!r} and {close!r} columns, to carry {extra[0]!r}"
            raise ValueError(msg)
        values = [c for c in df.columns if c != date]
        if not values:
            msg = f"{name} has no {key!r}/{close!r} columns and no series columns"
            raise ValueError(msg)
        df = df.unpivot(index=date, on=values, variable_name=key, value_name=close)
    out = df.select(
        date_column(df, date, name).alias(date),
        pl.col(key).cast(pl.String),
        float_column(df, close, name).alias(close),
        *(pl.col(c).cast(pl.String) for c in extra),
    )
    ordered = sorted_by_key(out, [key], date, name) if sort else out  # repeats refused first
    refuse_bad_closes(out, close, name, [key, date])  # naming the first bad row as given
    return ordered


def single_series(obj: Any, name: str, date: str, close: str) -> pl.DataFrame:
    """``date, close`` (Date, Float64) from one series.

    The series is a table ``date, close``, a table with one value column besides ``date``, or a
    pandas Series indexed by date.
    """
    df = to_polars(obj, name)
    require(df, [date], name)
    if close not in df.columns:
        values = [c for c in df.columns if c != date]
        if len(values) != 1:
            msg = f"{name} has no column {close!r} (columns: {df.columns})"
            raise ValueError(msg)
        close = values[0]
    out = df.select(
        date_column(df, date, name).alias(date), float_column(df, close, name).alias("close")
    )
    refuse_duplicates(out, [date], name)
    refuse_bad_closes(out, "close", name, [date])
    return out.sort(date)


def as_date(value: Any, name: str) -> dt.date:
    """A ``datetime.date`` from a date, datetime, Timestamp, datetime64 or ISO string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            pass
    elif hasattr(value, "to_pydatetime"):
        day: dt.date = value.to_pydatetime().date()
        return day
    elif isinstance(value, np.datetime64):
        item: dt.date = value.astype("datetime64[D]").item()
        return item
    msg = f"{name} must be a date (or an ISO string such as '2019-01-01'), got {value!r}"
    raise ValueError(msg)


def date_series(name: str, days: Any) -> pl.Series:
    """A polars Date Series from days since 1970-01-01 (the core's dates)."""
    return pl.Series(name, np.asarray(days, dtype=np.int32)).cast(pl.Date)


def aligned_parts(df: pl.DataFrame) -> list[pl.DataFrame]:
    """``df`` cut at its chunk boundaries, so its columns convert to numpy without a copy.

    One rechunked part when the columns are chunked differently or into tiny pieces.
    """
    chunks = {tuple(len(c) for c in s.get_chunks()) for s in df.iter_columns()}
    if len(chunks) != 1:
        return [df.rechunk()]
    (lengths,) = chunks
    if len(lengths) > max(1, df.height // 10_000):
        return [df.rechunk()]
    parts, offset = [], 0
    for n in lengths:
        parts.append(df.slice(offset, n))
        offset += n
    return parts
