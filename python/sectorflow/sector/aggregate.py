"""From stock bars to sector series: returns, index levels, amounts, members, breadth.

Stock bars are a long table ``date, symbol, sector, close, volume, amount, float_mcap`` (one row
per symbol and trading day; a suspended stock has a flat bar or no row). Every function takes
polars or pandas and returns a polars DataFrame.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from sectorflow._frames import (
    aligned_parts,
    date_column,
    date_series,
    float_column,
    refuse_rows,
    require,
    sorted_by_key,
    to_polars,
)
from sectorflow.tables import SectorAccumulator

if TYPE_CHECKING:
    from sectorflow.typing import Weighting

__all__ = ["SectorAggregation", "sector_aggregate", "sector_means", "sector_table"]


_WEIGHTS = ("float_mcap", "mcap", "equal")


def stock_bars(
    stocks: Any, date: str, symbol: str, sector: str, extra: Sequence[str] = ()
) -> pl.DataFrame:
    """The checked bars: ``date`` (Date), ``symbol``/``sector`` (String) and Float64 values."""
    df = to_polars(stocks, "stocks")
    values = ["close", "volume", "amount", "float_mcap", *extra]
    require(df, [date, symbol, sector, *values], "stocks")
    if df.is_empty():
        msg = "stocks is empty"
        raise ValueError(msg)
    df = df.select(
        date_column(df, date, "stocks").alias(date),
        pl.col(symbol).cast(pl.String),
        pl.col(sector).cast(pl.String),
        *(float_column(df, c, "stocks") for c in values),
    )
    checks = [(pl.col(c).is_null(), f"{c} is missing") for c in (date, symbol, sector)]
    checks += [
        (pl.col(c) <= 0, "close must be positive")
        if c == "close"
        else (pl.col(c) < 0, f"{c} is negative")
        for c in values
    ]
    refuse_rows(df, checks, "stocks", [date, symbol])
    return df


def _out_of_order(df: pl.DataFrame, report: tuple[int, int, bool], date: str, symbol: str) -> None:
    row, previous, duplicate = report
    sym, day = df.item(row, symbol), df.item(row, date)
    if duplicate:
        msg = f"stocks has more than one row for {symbol}={sym!r} on {date}={day}"
    else:
        before = df.item(previous, date)
        msg = (
            f"stocks is not sorted by {date} within each {symbol}: {symbol}={sym!r} has "
            f"{date}={day} (row {row}) after {date}={before} (row {previous}); sort by "
            f"[{symbol}, {date}] or [{date}, {symbol}] first"
        )
    raise ValueError(msg)


def _groups(
    coded: list[str], sectors: Mapping[str, Sequence[str]] | None
) -> tuple[list[str], list[list[int]], int]:
    """Group names (sectors sorted, then composites), each group's sector codes, sector count.

    ``coded`` lists the sector names by their code in the accumulator.
    """
    code = {n: i for i, n in enumerate(coded)}
    names = sorted(coded)
    groups, members_of = list(names), [[code[n]] for n in names]
    for composite, members in (sectors or {}).items():
        if composite in code:
            msg = f"sectors: composite {composite!r} has the name of a sector in stocks"
            raise ValueError(msg)
        if isinstance(members, str) or not members:
            msg = f"sectors[{composite!r}] must be a non-empty list of sector names"
            raise ValueError(msg)
        for member in members:
            if member not in code:
                msg = f"sectors[{composite!r}] names {member!r}, which is not a sector in stocks"
                raise ValueError(msg)
        groups.append(str(composite))
        members_of.append([code[m] for m in dict.fromkeys(members)])
    return groups, members_of, len(names)


def sector_aggregate(
    stocks: Any,
    *,
    weight: Weighting = "float_mcap",
    sectors: Mapping[str, Sequence[str]] | None = None,
    base: float = 1000.0,
    date: str = "date",
    symbol: str = "symbol",
    sector: str = "sector",
) -> pl.DataFrame:
    """Sector series from stock bars, in one pass of the compiled core.

    For sector ``S`` on day ``t``, over the members with a bar that day (``p(i)`` is stock ``i``'s
    previous bar, which may be several days back after a suspension without rows)::

        r_i,t    = close_i,t / close_i,p(i) - 1
        return_t = sum_i w_i,p(i) * r_i,t / sum_i w_i,p(i)   (members with a previous bar)
        close_t  = close_t-1 * (1 + return_t),  close = base on the sector's first day
        breadth  = #(r_i,t > 0) / #(members with a previous bar)

    with weights ``w`` = the previous bar's ``float_mcap`` (default), ``mcap`` (a column of
    total market cap) or 1 (``"equal"``: the plain mean of member returns). ``amount``,
    ``volume`` and ``float_mcap`` are sums over members, ``members`` counts them. A flat
    suspended bar returns 0 and keeps its weight, as in a published index; a missing one leaves
    the sector for that day. The market is every stock, computed the same way.

    Parameters
    ----------
    stocks
        ``date, symbol, sector, close, volume, amount, float_mcap`` (and ``mcap`` for
        ``weight="mcap"``), polars or pandas. Rows in any order in which each symbol's dates
        increase (sorted by date, or by symbol then date). A missing close is a missing bar.
    weight
        ``"float_mcap"``, ``"mcap"`` or ``"equal"``.
    sectors
        Composites to add, each a list of member sectors, e.g.
        ``{"TMT": ["电子", "计算机", "通信", "传媒"]}``; computed from the member stocks.
    base
        Level of each index on its first day (1000, as Shenwan and CSI indices).
    date, symbol, sector
        Column names.

    Returns
    -------
    polars.DataFrame
        ``date, <sector>, return, close, amount, volume, float_mcap, members, breadth,
        composite, market_return, market_close, market_amount, market_volume,
        market_float_mcap``, one row per sector (and composite) and day with members, sorted by
        sector and date (as every sector function). ``return`` and ``breadth`` are null on a
        sector's first day.

    Raises
    ------
    ValueError
        A missing column, duplicate ``(date, symbol)`` rows, a symbol's dates out of order,
        negative volume/amount/caps, a non-positive close, or an unknown sector in ``sectors``.

    """
    if weight not in _WEIGHTS:
        msg = f"weight must be one of {_WEIGHTS}, got {weight!r}"
        raise ValueError(msg)
    df = stock_bars(stocks, date, symbol, sector, ["mcap"] if weight == "mcap" else [])
    first, last = df.select(pl.col(date).min().alias("a"), pl.col(date).max().alias("b")).row(0)
    aggregation = SectorAggregation(
        first, last, weight=weight, date=date, symbol=symbol, sector=sector
    )
    aggregation._feed(df)  # noqa: SLF001 (checked above)
    return aggregation.finish(sectors, base=base)


class SectorAggregation:
    """:func:`sector_aggregate` over stock bars that arrive in parts (file partitions).

    Each symbol's rows must come in increasing dates across all parts, e.g. parts that each
    hold every row of some symbols. ``first`` and ``last`` bound the dates of every part.
    """

    def __init__(
        self,
        first: dt.date,
        last: dt.date,
        *,
        weight: Weighting = "float_mcap",
        date: str = "date",
        symbol: str = "symbol",
        sector: str = "sector",
    ) -> None:
        """Start an empty aggregation over the dates ``first..last``."""
        epoch = dt.date(1970, 1, 1)
        self._acc = SectorAccumulator(first_day=(first - epoch).days, last_day=(last - epoch).days)
        self._weight, self._date, self._symbol, self._sector = weight, date, symbol, sector
        self._rows = 0  # rows fed so far: the core numbers rows over all parts

    def add(self, stocks: Any) -> None:
        """Feed one part of the stock bars (checked as :func:`sector_aggregate` checks them)."""
        extra = ["mcap"] if self._weight == "mcap" else []
        self._feed(stock_bars(stocks, self._date, self._symbol, self._sector, extra))

    def _feed(self, df: pl.DataFrame) -> None:
        date, symbol, sector = self._date, self._symbol, self._sector
        weights = [] if self._weight == "equal" else [pl.col(self._weight).alias("weight")]
        bars = df.select(
            pl.col(date).to_physical().alias("day"),
            symbol,
            sector,
            "close",
            "volume",
            "amount",
            "float_mcap",
            *weights,
        )
        for part in aligned_parts(bars):
            # Symbols and sectors go as Arrow strings (coded in the core), numbers as numpy.
            columns = [
                part.get_column(c) if c in (symbol, sector) else part.get_column(c).to_numpy()
                for c in part.columns
            ]
            day, syms, secs, close, volume, amount, cap = columns[:7]
            weight = columns[7] if weights else None
            report = self._acc.feed(day, syms, secs, close, volume, amount, cap, weight)
            if report is not None:
                # Rows are counted over every part added; an earlier part's row is named so.
                row, previous, duplicate = (
                    report[0] - self._rows,
                    report[1] - self._rows,
                    report[2],
                )
                if previous < 0:
                    msg = (
                        f"stocks has {symbol}={df.item(row, symbol)!r} on {date}="
                        f"{df.item(row, date)} (row {row} of this part), not after its rows "
                        "in an earlier part: each symbol's rows must all be in one part or "
                        "come in date order across parts"
                    )
                    raise ValueError(msg)
                _out_of_order(df, (row, previous, duplicate), date, symbol)
        self._rows += df.height

    def cells(self) -> dict[str, Any]:
        """The raw sums of every sector and day so far (picklable), for :meth:`add_cells`.

        Aggregations of parts that hold other symbols (on other processes or machines) add up
        to the aggregation of the whole; the sums of a day's members then come in another
        order, so they may differ from one aggregation in the last bits.
        """
        cells: dict[str, Any] = self._acc.cells()
        return cells

    def add_cells(self, cells: Mapping[str, Any]) -> None:
        """Adds the :meth:`cells` of an aggregation of other symbols over the same dates."""
        self._acc.add_cells(
            list(cells["sectors"]),
            int(cells["first_day"]),
            int(cells["days"]),
            np.ascontiguousarray(cells["sums"], dtype=np.float64),
            np.ascontiguousarray(cells["counts"], dtype=np.uint32),
        )

    def finish(
        self, sectors: Mapping[str, Sequence[str]] | None = None, *, base: float = 1000.0
    ) -> pl.DataFrame:
        """The sector table of everything added (see :func:`sector_aggregate`)."""
        if sectors is not None and not isinstance(sectors, Mapping):
            kind = type(sectors).__name__
            msg = f"sectors must map composite names to lists of sectors, got {kind}"
            raise TypeError(msg)
        groups, members_of, n_sectors = _groups(self._acc.sectors(), sectors)
        out = self._acc.finish(members_of, float(base))
        return _cells_frame(out, groups, n_sectors, self._date, self._sector)


def _cells_frame(
    out: dict[str, Any], groups: list[str], n_sectors: int, date: str, sector: str
) -> pl.DataFrame:
    """The non-empty cells of the core's totals as ``date, sector, ...`` with market columns."""
    total = out["groups"]
    cells = np.flatnonzero(out["members"])
    day, group = np.divmod(cells, total)
    with_return = out["with_return"][cells]
    frame = pl.DataFrame(
        {
            date: date_series(date, out["first_day"] + day),
            "group": group,
            "return": out["return"][cells],
            "close": out["level"][cells],
            "amount": out["amount"][cells],
            "volume": out["volume"][cells],
            "float_mcap": out["float_mcap"][cells],
            "members": out["members"][cells],
            "breadth": out["risers"][cells] / np.where(with_return > 0, with_return, np.nan),
        }
    ).with_columns(pl.selectors.float().fill_nan(None))
    metrics = [c for c in frame.columns if c not in (date, "group")]
    market = frame.filter(pl.col("group") == total - 1).select(
        date, *(pl.col(c).alias(f"market_{c}") for c in metrics if c not in ("members", "breadth"))
    )
    return (
        frame.filter(pl.col("group") < total - 1)
        .join(market, on=date, how="left")
        .select(
            date,
            pl.col("group")
            .replace_strict(dict(enumerate(groups)), return_dtype=pl.String)
            .alias(sector),
            *metrics,
            (pl.col("group") >= n_sectors).alias("composite"),
            pl.selectors.starts_with("market_"),
        )
        .sort(sector, date)  # key-major, as every sector function returns its table
    )


def sector_table(df: Any, name: str, date: str, key: str, columns: list[str]) -> pl.DataFrame:
    """A sector table with ``columns``; stock bars (a ``symbol`` column) are aggregated first."""
    frame = to_polars(df, name)
    if "symbol" in frame.columns and key != "symbol" and "market_amount" not in frame.columns:
        frame = sector_aggregate(frame, date=date, sector=key)
    require(frame, [date, key, *columns], name)
    return sorted_by_key(frame, [key], date, name)


def sector_means(
    table: Any,
    columns: Sequence[str],
    *,
    weight: Weighting = "float_mcap",
    date: str = "date",
    symbol: str = "symbol",
    sector: str = "sector",
) -> pl.DataFrame:
    """Per sector and day, the weighted mean of stock-level ``columns`` (intraday features).

    For sector ``S`` on day ``t``, over its members with a finite value of ``x`` that day::

        x_S,t = sum_i w_i * x_i,t / sum_i w_i

    with ``w_i`` the member's ``float_mcap`` (or ``mcap``) of its previous row, as
    :func:`sector_aggregate` weights returns (a member without a previous row or a weight is
    left out), or 1 with ``weight="equal"``. ``members`` counts the stocks of the sector that
    day. Each sum adds the members in symbol order, so the means are the same to the bit
    whatever the rows' order. Returns ``date, <sector>, members, <columns>`` sorted by sector
    and date.
    """
    if weight not in _WEIGHTS:
        msg = f"weight must be one of {_WEIGHTS}, got {weight!r}"
        raise ValueError(msg)
    df = to_polars(table, "table")
    require(df, [date, symbol, sector, *columns, *([] if weight == "equal" else [weight])], "table")
    w = (
        pl.lit(1.0)
        if weight == "equal"
        else float_column(df, weight, "table").shift(1).over(symbol, order_by=date)
    )
    # Each group's members in symbol order, summed in that order by numpy: the same means
    # whatever the input's row order, chunks or threads.
    rows = (
        df.lazy()
        .select(
            pl.col(date),
            pl.col(sector),
            pl.col(symbol),
            pl.when(w.is_finite() & (w > 0)).then(w).alias("__w"),
            *(float_column(df, c, "table").alias(c) for c in columns),
        )
        .sort(sector, date, symbol)
        .collect()
    )
    group = rows.select(pl.struct(sector, date).rle_id()).to_series().to_numpy()
    starts = np.flatnonzero(np.diff(group, prepend=-1))
    weights = rows.get_column("__w").to_numpy()
    out = rows.select(date, sector)[starts].with_columns(
        pl.Series("members", np.diff(np.append(starts, rows.height)), dtype=pl.Int64)
    )
    for c in columns:
        x = rows.get_column(c).to_numpy()
        used = np.isfinite(x) & np.isfinite(weights)
        total = np.add.reduceat(np.where(used, weights * x, 0.0), starts) if len(starts) else x[:0]
        mass = np.add.reduceat(np.where(used, weights, 0.0), starts) if len(starts) else x[:0]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(mass > 0, total / mass, np.nan)
        out = out.with_columns(pl.Series(c, mean).fill_nan(None))
    return out
