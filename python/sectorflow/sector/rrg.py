"""Relative Rotation Graphs: RS-Ratio against RS-Momentum for every sector at once.

The transform itself is one call of the compiled core over all series
(:func:`sectorflow.tables.rrg_matrix`); this
module only reshapes: long or wide input to one price matrix on the benchmark's calendar (weekly
bars when asked), and the result back to a long polars DataFrame.

Formulas (``w = window``, ``k = momentum_lag``, ``MA``/``STD`` over ``w`` rows, ``STD`` with
``ddof``; ``P`` the series' close, ``B`` its benchmark's close):

``method="jdk"`` (default; the common open definition, JdK's own is proprietary)::

    RS          = 100 * P / B
    rs_ratio    = 100 + (RS - MA_w(RS)) / STD_w(RS)
    ROC         = 100 * (rs_ratio_t / rs_ratio_{t-k} - 1)
    rs_momentum = 100 + (ROC - MA_w(ROC)) / STD_w(ROC)

  ``ma="ema"`` measures against ``EMA_w`` (pandas ``ewm(span=w, min_periods=w).mean()``) instead
  of the simple mean; ``STD_w`` stays the rolling standard deviation.
  ``normalize="ma_ratio"`` (the EMA-ratio variant)::

    rs_ratio    = 100 * EMA_w(RS) / SMA_w(EMA_w(RS))
    ROC         = (rs_ratio_t - rs_ratio_{t-k}) / rs_ratio_{t-k}
    rs_momentum = 100 + 100 * EMA_w(ROC)

``method="rrg_lite"`` (BennyThadikaran/RRG-Lite): ``rs_ratio`` as jdk (ddof 1); its momentum is a
z-score of a ROC against a *fixed* base, a positive affine map of ``rs_ratio``, so
``rs_momentum = 100 + (rs_ratio - MA_w(rs_ratio)) / STD_w(rs_ratio)``.

``method="rrgpy"`` (An0n1mity/RRGPy): as rrg_lite with ``ddof=0`` and the momentum offset 101.

``method="haitong"`` (centre (0, 0); ``L = lookback`` bars)::

    rs_ratio    = (P_t / P_{t-L}) / (B_t / B_{t-L}) - 1      excess_mode="ratio"
                = P_t / P_{t-L} - B_t / B_{t-L}              excess_mode="diff"
                = ln(P_t / P_{t-L}) - ln(B_t / B_{t-L})      excess_mode="log"
    rs_momentum = rs_ratio_t - rs_ratio_{t-k}

Derived per point, with ``c`` the centre: ``quadrant`` Leading (x >= c, y >= c), Weakening
(x >= c, y < c), Lagging (x < c, y < c), Improving (x < c, y >= c); ``distance = hypot(x - c,
y - c)``; ``heading`` = direction of travel from the previous bar's point, degrees in [0, 360)
counter-clockwise from the +x axis (0-90 = north-east); ``velocity`` = length of that step.
A window of zero variance gives NaN (null), never inf.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pyarrow as pa

from sectorflow._frames import as_date, long_closes, single_series
from sectorflow.tables import pivot_last, rrg_matrix, string_codes

if TYPE_CHECKING:
    from sectorflow.typing import ExcessMode, RrgAverage, RrgMethod, RrgNormalize

QUADRANTS = ("Leading", "Weakening", "Lagging", "Improving")
_QUADRANT = pl.Enum(list(QUADRANTS))
_WEEKDAYS = {"MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6, "SUN": 7}
_CLOSE = "__close"
_BENCH = "__bench"
_BKEY = "__bkey"


def _long_prices(
    prices: Any, date: str, key: str, close: str, benchmark_key: str | None
) -> pl.DataFrame:
    """``date, key, __close, __bkey`` from a long table or a wide one (a column per series).

    Repeated (series, date) rows are refused by the pivot, on its one pass over the rows.
    """
    extra = () if benchmark_key is None else (benchmark_key,)
    long = long_closes(prices, "prices", date=date, key=key, close=close, extra=extra, sort=False)
    return long.select(
        pl.col(date).alias("date"),
        pl.col(key).alias("key"),
        pl.col(close).alias(_CLOSE),
        (pl.col(benchmark_key) if benchmark_key else pl.lit("")).alias(_BKEY),
    )


def _benchmark(benchmark: Any, date: str, close: str, benchmark_key: str | None) -> pl.DataFrame:
    """``date, __bkey, __bench`` (``__bkey`` is "" for a single benchmark)."""
    if benchmark_key is None:
        one = single_series(benchmark, "benchmark", date, close)
        return one.select(
            pl.col(date).alias("date"), pl.lit("").alias(_BKEY), pl.col("close").alias(_BENCH)
        )
    many = long_closes(benchmark, "benchmark", date=date, key=benchmark_key, close=close)
    return many.select(
        pl.col(date).alias("date"), pl.col(benchmark_key).alias(_BKEY), pl.col(close).alias(_BENCH)
    )


def _anchor(freq: str | None) -> int | None:
    """The ISO weekday (1 = Monday) that ends a weekly bar, or None for one bar per day."""
    if freq is None:
        return None
    m = re.fullmatch(r"W-(MON|TUE|WED|THU|FRI|SAT|SUN)", freq.upper())
    if m is None:
        msg = f"freq must be None or 'W-<DAY>' such as 'W-FRI', got {freq!r}"
        raise ValueError(msg)
    return _WEEKDAYS[m.group(1)]


def _bar_days(days: np.ndarray, anchor: int | None) -> np.ndarray:
    """The bar of each day (days since 1970-01-01): the day itself, or its week's anchor day."""
    if anchor is None:
        return days
    weekday = (days + 3) % 7 + 1  # 1970-01-01 was a Thursday (ISO 4)
    bars: np.ndarray = days + (anchor - weekday) % 7
    return bars


def _codes(keys: pl.Series) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Codes of string keys in sorted order, the sorted keys, and each key's first row."""
    codes, first_rows = string_codes(keys, sort=True)
    return codes, keys.gather(first_rows).to_list(), first_rows


def _forward_fill(m: np.ndarray) -> np.ndarray:
    """Each column's last present value carried forward over its missing rows."""
    seen = np.where(np.isnan(m), 0, np.arange(m.shape[0])[:, None])
    np.maximum.accumulate(seen, axis=0, out=seen)
    return np.asfortranarray(m[seen, np.arange(m.shape[1])])


class _Calendar:
    """The benchmark's bars over the prices' span: the row of each day, labelled with dates.

    A bar is a day (``freq=None``) or a week ending on its anchor day; it is labelled with the
    benchmark's last trading date in it. Days map to rows over every day of the prices and of
    the bars, so the duplicate check sees every row and a bar takes its whole week.
    """

    def __init__(
        self, bench: pl.DataFrame, price_days: np.ndarray, valid: np.ndarray, anchor: int | None
    ) -> None:
        finite = bench.filter(pl.col(_BENCH).is_finite())
        if finite.is_empty():
            msg = "benchmark has no close values (every one is missing)"
            raise ValueError(msg)
        bench_days = finite.get_column("date").to_physical().to_numpy().astype(np.int64)
        anchors, last = _last_day_per_bar(_bar_days(bench_days, anchor), bench_days)
        span = _bar_days(np.array([valid.min(), valid.max()]), anchor)
        inside = (anchors >= span[0]) & (anchors <= span[1])
        self.anchors, self.last_day = anchors[inside], last[inside]
        if not self.bars:
            msg = "benchmark has no dates in common with prices"
            raise ValueError(msg)
        width = 0 if anchor is None else 6
        first = min(int(price_days.min()), int(span[0]) - width)
        final = max(int(price_days.max()), int(span[1]))
        self.first_day = first
        day_bars = _bar_days(np.arange(first, final + 1, dtype=np.int64), anchor)
        row = np.searchsorted(self.anchors, day_bars)
        hit = self.anchors[np.minimum(row, self.bars - 1)] == day_bars
        self.bar_of_day = np.where(hit, row, -1).astype(np.int64)

    @property
    def bars(self) -> int:
        """The number of bars (matrix rows)."""
        return len(self.anchors)


def _last_day_per_bar(bars: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique bars and the last of ``days`` in each."""
    order = np.lexsort((days, bars))
    bars, days = bars[order], days[order]
    end = np.r_[bars[1:] != bars[:-1], True] if len(bars) else np.zeros(0, dtype=bool)
    return bars[end], days[end]


def _pivot(
    codes: np.ndarray, days: np.ndarray, values: np.ndarray, cal: _Calendar, keys: int
) -> tuple[np.ndarray, tuple[int, int] | None]:
    cells, _, duplicate = pivot_last(
        codes,
        days,
        values,
        first_day=cal.first_day,
        bar_of_day=cal.bar_of_day,
        bars=cal.bars,
        keys=keys,
    )
    if cells is None:
        return np.empty((0, 0)), duplicate
    return cells.reshape((cal.bars, keys), order="F"), None


def _panel(
    prices: pl.DataFrame,
    bench: pl.DataFrame,
    freq: str | None,
    *,
    fill: bool,
    by_bench: bool,
    key_name: str,
) -> tuple[np.ndarray, list[Any], np.ndarray, np.ndarray, np.ndarray]:
    """The price matrix on the benchmark's calendar: (days, keys, prices, benchmarks, bench_of).

    One pass of the core over the long rows (:func:`sectorflow.tables.pivot_last`): each cell
    is the series' last available close in the bar; a repeated (series, date) is refused.
    """
    if prices.is_empty():
        msg = "prices is empty"
        raise ValueError(msg)
    anchor = _anchor(freq)
    days = prices.get_column("date").to_physical().to_numpy()
    close = prices.get_column(_CLOSE).to_numpy()
    finite = np.isfinite(close)
    if not finite.any():
        msg = "prices has no close values (every one is missing)"
        raise ValueError(msg)
    span = (days.min(where=finite, initial=days.max()), days.max(where=finite, initial=days.min()))
    cal = _Calendar(bench, days, np.array(span), anchor)
    codes, keys, first_rows = _codes(prices.get_column("key"))
    matrix, duplicate = _pivot(codes, days, close, cal, len(keys))
    if duplicate is not None:
        row = prices.row(duplicate[0], named=True)
        msg = f"prices has more than one row for {key_name}={row['key']!r}, date={row['date']}"
        raise ValueError(msg)
    if np.isnan(matrix).all():
        msg = "benchmark has no dates in common with prices"
        raise ValueError(msg)
    if fill:
        matrix = _forward_fill(matrix)
    bdays = bench.get_column("date").to_physical().to_numpy()
    bcodes, bkeys, _ = _codes(bench.get_column(_BKEY))
    bmatrix, _ = _pivot(bcodes, bdays, bench.get_column(_BENCH).to_numpy(), cal, len(bkeys))
    if by_bench:
        of = prices.get_column(_BKEY).gather(first_rows).to_list()
        position = {b: i for i, b in enumerate(bkeys)}
        missing = [k for k, b in zip(keys, of, strict=True) if b not in position]
        if missing:
            msg = f"benchmark has no series for {key_name}={missing[0]!r}"
            raise ValueError(msg)
        bench_of = np.array([position[b] for b in of], dtype=np.int64)
    else:
        bench_of = np.zeros(len(keys), dtype=np.int64)
    return cal.last_day.astype(np.int32), keys, matrix, bmatrix, bench_of


def rrg(
    prices: Any,
    benchmark: Any,
    *,
    method: RrgMethod = "jdk",
    freq: str | None = "W-FRI",
    window: int = 14,
    momentum_lag: int = 1,
    ddof: int | None = None,
    ma: RrgAverage = "sma",
    normalize: RrgNormalize = "zscore",
    lookback: int = 26,
    excess_mode: ExcessMode = "ratio",
    fill: bool = False,
    date: str = "date",
    key: str = "sector",
    close: str = "close",
    benchmark_key: str | None = None,
) -> pl.DataFrame:
    """Relative Rotation Graph of every series in ``prices`` against ``benchmark``.

    Formulas for each ``method`` are in this module's docstring (``help(sectorflow.sector.rrg)``).

    Parameters
    ----------
    prices
        Long table ``date, <key>, close`` or a wide frame (one column per series; dates in a
        ``date`` column or a pandas DatetimeIndex); polars or pandas.
    benchmark
        Table ``date, close``, a wide frame with one value column, or a pandas Series indexed by
        date. With ``benchmark_key``, a long table of several benchmarks (e.g. sector indices):
        each series is compared with the benchmark whose ``benchmark_key`` equals the series'
        own value of that column (e.g. every stock against its sector).
    method
        ``"jdk"`` (default), ``"rrg_lite"``, ``"rrgpy"`` or ``"haitong"``.
    freq
        ``"W-FRI"`` (default): weekly bars, the last available close of each week ending Friday,
        labelled with the benchmark's last trading date of that week; ``"W-<DAY>"`` for another
        anchor; ``None`` uses the bars as given. Calendars are aligned on the benchmark.
    window, momentum_lag, ddof, ma, normalize
        ``w``, ``k``, the standard deviation's ddof (default 1; 0 for rrgpy), ``"sma"`` or
        ``"ema"``, ``"zscore"`` or ``"ma_ratio"``.
    lookback, excess_mode
        Haitong's ``L`` (default 26 weekly bars) and ``"ratio"``, ``"diff"`` or ``"log"``.
    fill
        Forward-fill a series' missing bars; by default they stay missing.
    benchmark_key
        Column of both tables that pairs each series with its benchmark (see ``benchmark``).
    date, key, close
        Column names in the inputs; the output names the series column ``key``.

    Returns
    -------
    polars.DataFrame
        ``date, <key>, rs_ratio, rs_momentum, quadrant, distance, heading, velocity``, one row
        per series and bar of the benchmark's calendar, null where undefined (warm-up, missing
        bars, zero-variance windows), sorted by key then date (as every sector function).

    """
    long = _long_prices(prices, date, key, close, benchmark_key)
    bench = _benchmark(benchmark, date, close, benchmark_key)
    days, keys, matrix, bmatrix, bench_of = _panel(
        long, bench, freq, fill=fill, by_bench=benchmark_key is not None, key_name=key
    )
    out = rrg_matrix(
        matrix,
        bmatrix,
        bench_of,
        method=method,
        window=window,
        momentum_lag=momentum_lag,
        ddof=ddof,
        ma=ma,
        normalize=normalize,
        lookback=lookback,
        excess_mode=excess_mode,
    )
    rows, n = len(days), len(keys)
    # The kernel's columns are the series (flat index series * rows + bar): key-major rows.
    code = out["quadrant"]  # -1 (undefined) -> null
    quadrant = pl.Series("quadrant", pa.array(code.view(np.uint8), mask=code < 0)).cat.to(_QUADRANT)
    columns = [
        pl.Series("date", np.tile(days, n)).cast(pl.Date),
        pl.Series(key, keys, dtype=pl.String).gather(np.repeat(np.arange(n), rows)),
        *(pl.Series(c, out[c], nan_to_null=True) for c in ("rs_ratio", "rs_momentum")),
        quadrant,
        *(pl.Series(c, out[c], nan_to_null=True) for c in ("distance", "heading", "velocity")),
    ]
    return pl.DataFrame(columns)


def key_of(result: pl.DataFrame) -> str:
    """The series column of an :func:`rrg` result (its one column that is not a score)."""
    known = {"date", "rs_ratio", "rs_momentum", "quadrant", "distance", "heading", "velocity"}
    rest = [c for c in result.columns if c not in known]
    if len(rest) != 1:
        msg = f"result must be a frame returned by sectorflow.rrg, got columns {result.columns}"
        raise ValueError(msg)
    return rest[0]


def rrg_tail(result: pl.DataFrame, n: int = 8, *, asof: Any = None) -> pl.DataFrame:
    """The last ``n`` defined points of each series (up to ``asof``), oldest first."""
    if n < 1:
        msg = f"n must be >= 1, got {n}"
        raise ValueError(msg)
    key = key_of(result)
    points = result.drop_nulls(["rs_ratio", "rs_momentum"])
    if asof is not None:
        points = points.filter(pl.col("date") <= as_date(asof, "asof"))
    return points.sort([key, "date"]).group_by(key, maintain_order=True).tail(n)


def rrg_transitions(result: pl.DataFrame) -> pl.DataFrame:
    """Every change of quadrant: ``<key>, date, from, to`` (consecutive defined points)."""
    key = key_of(result)
    return (
        result.drop_nulls("quadrant")
        .sort([key, "date"])
        .with_columns(pl.col("quadrant").shift(1).over(key).alias("from"))
        .filter(pl.col("from").is_not_null() & (pl.col("from") != pl.col("quadrant")))
        .select(key, "date", "from", pl.col("quadrant").alias("to"))
    )
