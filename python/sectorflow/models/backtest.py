"""A long-only top-N rotation from any score table, against a benchmark.

At each rebalance date ``d`` (a bar of the returns' calendar) the ``top_n`` sectors by score on
``d`` are bought; the signal is known at the close of ``d`` and the weights earn the returns of
the bars from ``lag`` bars after ``d`` (``lag >= 1``: never the bar the signal was read on) up to
the bar the next weights start. Between rebalances the holdings drift with their returns
(buy and hold)::

    V_i,t = w_i * prod_{s in period, s <= t} (1 + r_i,s)        holding i's value in the period
    NAV_t = NAV_start * (1 - c) * sum_i V_i,t                   c = cost_bps / 1e4 * sum_i |dw_i|
    turnover = (sum_i |w_i - w~_i| + |cash - cash~|) / 2        w~: the drifted weights before

A held sector without a return on a bar (it stopped trading) keeps its value for that bar. The
benchmark is the equal-weight mean of all sectors' returns on each bar (rebalanced daily), or
the returns of a given index.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, NamedTuple

import numpy as np
import polars as pl

from sectorflow._frames import refuse_duplicates, require, single_series, to_polars
from sectorflow.rotation import top_n_rotations
from sectorflow.sector.drawdown import drawdown_episodes
from sectorflow.tables import pivot_last, string_codes

__all__ = [
    "Backtest",
    "Paths",
    "ReturnPanel",
    "backtest",
    "equal_weight_returns",
    "holding_paths",
    "path_metrics",
    "periods_per_year_of",
    "rebalance_dates",
    "return_panel",
]

Weighting = Literal["equal", "score"]


class ReturnPanel(NamedTuple):
    """The bar returns a backtest used, as a panel.

    ``returns[bar, k]`` of ``keys[k]`` on ``calendar[bar]`` (Fortran order); ``present`` where
    the key had a row.
    """

    calendar: pl.Series
    keys: pl.Series
    returns: np.ndarray
    present: np.ndarray


@dataclass(frozen=True)
class Backtest:
    """What :func:`backtest` returns.

    ``nav``: ``date, portfolio, benchmark, portfolio_return, benchmark_return, excess_return``
    from the first rebalance date (both NAVs 1 there). ``holdings``: ``rebalance_date, start,
    sector, score, weight`` (``start``: the first bar the weights earn). ``turnover``:
    ``rebalance_date, start, turnover, cost``. ``periods``: ``rebalance_date, start, end,
    portfolio, benchmark, excess`` (returns over each holding period). ``metrics``: see
    :func:`backtest`. ``returns``: ``date, sector, return``, every sector's bar returns as the
    backtest used them (built on first use; :meth:`returns_between` reads a slice of them).
    ``key``: the name of the sector column.
    """

    nav: pl.DataFrame
    holdings: pl.DataFrame
    turnover: pl.DataFrame
    periods: pl.DataFrame
    metrics: dict[str, Any]
    panel: ReturnPanel = field(repr=False, compare=False)
    key: str = "sector"

    @cached_property
    def returns(self) -> pl.DataFrame:
        """``date, <key>, return`` for every row of the returns table (null: no return)."""
        return self.returns_between()

    def returns_between(
        self,
        after: dt.date | None = None,
        until: dt.date | None = None,
        keys: Sequence[Any] | None = None,
    ) -> pl.DataFrame:
        """The rows of :attr:`returns` dated in ``(after, until]`` of ``keys`` (default: all)."""
        calendar, names, returns, present = self.panel
        days = calendar.to_physical().to_numpy()
        lo = 0 if after is None else int(np.searchsorted(days, _day_number(after), "right"))
        hi = len(days) if until is None else int(np.searchsorted(days, _day_number(until), "right"))
        columns = (
            np.arange(names.len())
            if keys is None
            else np.flatnonzero(
                names.is_in(pl.Series(list(keys), dtype=names.dtype).implode()).to_numpy()
            )
        )
        # Bar by bar, then by key code (the keys' sorted order): the table's sorted order.
        bar, column = np.nonzero(present[lo:hi, columns])
        values = returns[lo:hi, columns][bar, column]
        return pl.DataFrame(
            {
                "date": calendar.slice(lo, hi - lo).gather(bar),
                self.key: names.gather(columns[column]),
                "return": pl.Series(values, dtype=pl.Float64).fill_nan(None),
            }
        )


def _day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def rebalance_dates(calendar: Sequence[dt.date] | pl.Series, rule: Any) -> list[dt.date]:
    """The bars of ``calendar`` (sorted, distinct) a ``rule`` rebalances on.

    ``"D"`` every bar; ``"W-FRI"`` (or ``"W"``) the last bar of each week ending Friday;
    ``"M"`` the last bar of each month; ``"Q"`` of each quarter; an integer ``k`` every ``k``-th
    bar from the first (in :func:`backtest`, the first bar with a score); a sequence of dates:
    those dates, each of which must be a bar.
    """
    days = pl.Series("date", list(calendar)).cast(pl.Date)
    if isinstance(rule, bool):
        msg = f"rebalance must be a rule, a bar count or dates, got {rule!r}"
        raise TypeError(msg)
    if isinstance(rule, int | np.integer):
        if rule < 1:
            msg = f"rebalance every k bars needs k >= 1, got {rule}"
            raise ValueError(msg)
        return days.gather_every(int(rule)).to_list()
    if isinstance(rule, str):
        periods = {"D": None, "W": "1w", "W-FRI": "1w", "M": "1mo", "Q": "1q"}
        if rule not in periods:
            msg = f"rebalance must be one of {sorted(periods)}, a bar count or dates, got {rule!r}"
            raise ValueError(msg)
        every = periods[rule]
        if every is None:
            return days.to_list()
        frame = pl.DataFrame({"date": days})
        # Weeks ending Friday: shift by 3 days so Saturday starts the (Monday-based) week.
        bucket = (
            (pl.col("date") + pl.duration(days=2)).dt.truncate(every)
            if every == "1w"
            else pl.col("date").dt.truncate(every)
        )
        last = frame.group_by(bucket.alias("b")).agg(pl.col("date").max()).sort("date")
        return last.get_column("date").to_list()
    given = pl.Series("d", list(rule)).cast(pl.Date)
    missing = given.filter(~given.is_in(days.implode()))
    if missing.len():
        msg = f"rebalance date {missing[0]} is not a bar of the returns"
        raise ValueError(msg)
    return given.unique().sort().to_list()


def _returns(frame: pl.DataFrame, date: str, key: str) -> tuple[pl.DataFrame, bool]:
    """``date, key, v``: the ``return`` column, or the ``close`` levels.

    True with levels: the returns are their bar-to-bar changes, taken in the pivot.
    """
    if "return" in frame.columns:
        value, changes = "return", False
    elif "close" in frame.columns:
        value, changes = "close", True
    else:
        msg = "returns needs a 'return' column (simple returns) or a 'close' column (levels)"
        raise ValueError(msg)
    out = frame.select(
        pl.col(date).cast(pl.Date).alias("date"),
        pl.col(key).alias("key"),
        pl.col(value).cast(pl.Float64).alias("v"),
    )
    return out, changes


def equal_weight_returns(returns: np.ndarray) -> np.ndarray:
    """The mean of each bar's finite returns (bars x series), 0 on a bar without any."""
    seen = np.isfinite(returns)
    count = seen.sum(axis=1)
    total = np.sum(returns, axis=1, where=seen)
    mean: np.ndarray = np.divide(total, count, out=np.zeros(len(total)), where=count > 0)
    return mean


class Paths(NamedTuple):
    """A rotation's NAV and its benchmark from the first rebalance bar (both 1 there).

    Holding period ``k`` runs from ``starts[k]`` to ``ends[k]`` (positions in the paths), its
    return measured from the bar before its start.
    """

    first: int
    portfolio: np.ndarray
    benchmark_return: np.ndarray
    benchmark: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    def period_returns(self) -> tuple[np.ndarray, np.ndarray]:
        """Each holding period's portfolio and benchmark return."""
        before = self.starts - 1
        return (
            self.portfolio[self.ends] / self.portfolio[before] - 1.0,
            self.benchmark[self.ends] / self.benchmark[before] - 1.0,
        )


def holding_paths(nav: np.ndarray, rb: np.ndarray, starts: np.ndarray, lag: int) -> Paths:
    """:class:`Paths` of a kernel NAV (every bar of the calendar) against benchmark returns.

    ``rb`` holds the benchmark's return on every bar; it earns from the bar the portfolio first
    does.
    """
    first = int(starts[0]) - lag
    bench_r = rb[first:].copy()
    bench_r[:lag] = 0.0
    cut = np.asarray(starts, dtype=np.int64) - first
    portfolio = nav[first:]
    ends = np.append(cut[1:] - 1, len(portfolio) - 1)
    return Paths(first, portfolio, bench_r, np.cumprod(1.0 + bench_r), cut, ends)


def _benchmark(
    benchmark: Any, returns: np.ndarray, calendar: pl.DataFrame, date: str
) -> np.ndarray:
    """The benchmark's return on each bar of the calendar (0 where it has none)."""
    if isinstance(benchmark, str):
        if benchmark != "equal_weight":
            msg = f"benchmark must be 'equal_weight' or an index table, got {benchmark!r}"
            raise ValueError(msg)
        return equal_weight_returns(returns)
    index = single_series(benchmark, "benchmark", date, "close")
    index = index.select(pl.col(date).cast(pl.Date).alias("date"), pl.col("close").cast(pl.Float64))
    # The index on the calendar's bars, carried over its own holidays.
    levels = (
        pl.concat([calendar.with_columns(pl.lit(None, pl.Float64).alias("close")), index])
        .group_by("date")
        .agg(pl.col("close").drop_nulls().last())
        .sort("date")
        .with_columns(pl.col("close").forward_fill())
    )
    levels = calendar.join(levels, on="date", how="left")
    rb = levels.select((pl.col("close") / pl.col("close").shift(1) - 1.0).fill_null(0.0))
    return rb.to_series().fill_nan(0.0).to_numpy()


#: Median gap between bars (days) up to which the calendar is daily, weekly, monthly.
_GAPS = ((4.0, 252.0), (10.0, 52.0), (45.0, 12.0))


def periods_per_year_of(days: pl.Series) -> float:
    """Bars a year, from the median gap between bars: 252, 52, 12 or 1."""
    if days.len() < 2:  # noqa: PLR2004 (a gap needs two bars)
        return 252.0
    gap = float(np.median(np.diff(days.cast(pl.Int64).to_numpy())))
    return next((p for most, p in _GAPS if gap <= most), 1.0)


def _check_options(top_n: Any, lag: Any, weighting: Any, cost_bps: Any) -> None:
    if isinstance(top_n, bool) or not isinstance(top_n, int | np.integer) or top_n < 1:
        msg = f"top_n must be an integer >= 1, got {top_n!r}"
        raise ValueError(msg)
    if isinstance(lag, bool) or not isinstance(lag, int | np.integer) or lag < 1:
        msg = f"lag must be an integer >= 1 (the signal trades from the next bar), got {lag!r}"
        raise ValueError(msg)
    if weighting not in ("equal", "score"):
        msg = f"weighting must be 'equal' or 'score', got {weighting!r}"
        raise ValueError(msg)
    if not isinstance(cost_bps, int | float) or not math.isfinite(cost_bps) or cost_bps < 0:
        msg = f"cost_bps must be a finite number >= 0, got {cost_bps!r}"
        raise ValueError(msg)


def _tables(
    scores: Any, returns: Any, *, date: str, key: str, score: str
) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """``date, key, score`` and ``date, key, v`` (returns or closes: then True), checked."""
    s_frame = to_polars(scores, "scores")
    r_frame = to_polars(returns, "returns")
    require(s_frame, [date, key, score], "scores")
    require(r_frame, [date, key], "returns")
    rets, changes = _returns(r_frame, date, key)
    sig = s_frame.select(
        pl.col(date).cast(pl.Date).alias("date"),
        pl.col(key).alias("key"),
        pl.col(score).cast(pl.Float64).alias("score"),
    )
    _no_missing("scores", sig, date, key)
    _no_missing("returns", rets, date, key)
    return sig, rets, changes


def _no_missing(name: str, table: pl.DataFrame, date: str, key: str) -> None:
    """Raises naming the first row of ``table`` without a date or a key."""
    for column, shown in (("date", date), ("key", key)):
        nulls = table.get_column(column)
        if nulls.null_count():
            row = int(nulls.is_null().arg_max() or 0)
            msg = f"{name} has a missing {shown} (row {row})"
            raise ValueError(msg)


def _key_codes(sig: pl.DataFrame, rets: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, pl.Series]:
    """Codes of both tables' keys in one sorted code space, and the keys in code order.

    Scores computed from the returns table share its rows: their keys are coded once.
    """
    s_keys, r_keys = sig.get_column("key"), rets.get_column("key")
    same = sig is rets or (
        sig.height == rets.height
        and s_keys.dtype == r_keys.dtype
        and s_keys.equals(r_keys)
        and sig.get_column("date").equals(rets.get_column("date"))
    )
    both = r_keys if same else pl.concat([s_keys, r_keys])
    if both.dtype == pl.String:
        codes, first = string_codes(both, sort=True)
        keys = both.gather(first)
    else:
        codes = both.rank("dense").cast(pl.Int64).to_numpy() - 1
        keys = both.unique().sort()
    if same:
        return codes, codes, keys
    return codes[: sig.height], codes[sig.height :], keys


def _pivot(
    table: pl.DataFrame,
    codes: np.ndarray,
    value: str,
    calendar: tuple[int, np.ndarray, int, int],
    *,
    name: str,
    present: bool = False,
    changes: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """A ``bars x keys`` matrix (Fortran order) of one table's ``value`` (or its changes).

    With ``present``, also which cells have a row. A repeated (key, date) is refused.
    """
    first_day, bar_of_day, bars, keys = calendar
    cells, marks, duplicate = pivot_last(
        codes,
        table.get_column("date").to_physical().to_numpy(),
        table.get_column(value).to_numpy(),
        first_day=first_day,
        bar_of_day=bar_of_day,
        bars=bars,
        keys=keys,
        present=present,
        changes=changes,
    )
    if cells is None:
        at = duplicate[0] if duplicate else 0
        row = table.row(at, named=True)
        msg = f"{name} has more than one row for date={row['date']}, key={row['key']!r}"
        raise ValueError(msg)
    shape = (bars, keys)
    rows = None if marks is None else marks.reshape(shape, order="F")
    return cells.reshape(shape, order="F"), rows


def _return_panel(
    rets: pl.DataFrame, codes: np.ndarray, keys: pl.Series, *, changes: bool
) -> tuple[ReturnPanel, tuple[int, np.ndarray]]:
    """The panel of ``date, key, v`` on the calendar of its dates, and its bar of each day.

    ``v``: returns, or levels with ``changes``. Also returns ``(first_day, bar_of_day)``.
    """
    days = rets.get_column("date").unique().sort()
    if not days.len():
        msg = "returns has no rows"
        raise ValueError(msg)
    bar_days = days.to_physical().to_numpy().astype(np.int64)
    first_day = int(bar_days[0])
    bar_of_day = np.full(int(bar_days[-1]) - first_day + 1, -1, dtype=np.int64)
    bar_of_day[bar_days - first_day] = np.arange(len(bar_days))
    grid = (first_day, bar_of_day, len(bar_days), len(keys))
    returns, present = _pivot(rets, codes, "v", grid, name="returns", present=True, changes=changes)
    assert present is not None  # noqa: S101 (asked for)
    return ReturnPanel(days, keys, returns, present), (first_day, bar_of_day)


def return_panel(returns: Any, *, date: str = "date", key: str = "sector") -> ReturnPanel:
    """The bar returns of a ``date, <key>, return`` (or ``close``) table as a dense panel.

    As :func:`backtest` reads them: the calendar is the table's dates, a ``close`` row's return
    is its change from the key's previous row, ``present`` marks the rows. One pass of the core
    (:func:`sectorflow.tables.pivot_last`); a repeated (key, date) is refused.
    """
    frame = to_polars(returns, "returns")
    require(frame, [date, key], "returns")
    rets, changes = _returns(frame, date, key)
    _no_missing("returns", rets, date, key)
    codes, _, keys = _key_codes(rets, rets)
    return _return_panel(rets, codes, keys, changes=changes)[0]


def backtest(
    scores: Any,
    returns: Any,
    *,
    top_n: int = 6,
    rebalance: Any = "M",
    lag: int = 1,
    weighting: Weighting = "equal",
    cost_bps: float = 0.0,
    benchmark: Any = "equal_weight",
    periods_per_year: float | None = None,
    date: str = "date",
    key: str = "sector",
    score: str = "score",
) -> Backtest:
    """Long-only top-``top_n`` rotation on ``scores`` (``date, <key>, score``), long tables.

    ``returns``: ``date, <key>`` with ``return`` (simple returns of each bar) or ``close`` (levels:
    each row's return is ``close / close_prev - 1`` from the sector's previous row, none where
    either is missing or infinite); its dates are the calendar. ``rebalance``: see
    :func:`rebalance_dates` (rebalance dates without any score are skipped). Selection on a
    rebalance date: the sectors with a finite score and a row in ``returns`` that day, highest score
    first, ties by key (so the choice never depends on row order). ``weighting``: ``"equal"`` (1/n)
    or ``"score"`` (``w_i = s_i / sum s``, scores must be positive). ``cost_bps``: charged on the
    traded weight ``sum |dw|`` when the new weights start. ``benchmark``: ``"equal_weight"`` or a
    ``date, close`` table / pandas Series of an index. The rotation runs in the core
    (:func:`sectorflow.rotation.top_n_rotations`) on the tables pivoted to dense panels, the scores
    on the rebalance dates only.

    Metrics (``P`` periods a year, inferred from the calendar unless given; ``r`` the
    portfolio's bar returns, ``a = r - r_benchmark``)::

        annual_return        NAV_end ** (P / bars) - 1           (likewise benchmark_annual_return)
        annual_volatility    std(r) * sqrt(P)
        sharpe               mean(r) / std(r) * sqrt(P)          (no risk-free rate)
        excess_annual_return annual_return - benchmark_annual_return
        tracking_error       std(a) * sqrt(P)
        information_ratio    mean(a) / std(a) * sqrt(P)
        max_drawdown         deepest fall of the NAV (with max_drawdown_peak/trough/recovery)
        hit_rate             share of holding periods that beat the benchmark
        average_turnover     mean one-way turnover of the rebalances after the first
    """
    _check_options(top_n, lag, weighting, cost_bps)
    sig, rets, changes = _tables(scores, returns, date=date, key=key, score=score)
    s_codes, r_codes, keys = _key_codes(sig, rets)
    panel, (first_day, bar_of_day) = _return_panel(rets, r_codes, keys, changes=changes)
    days, return_panel, present = panel.calendar, panel.returns, panel.present
    bar_days = days.to_physical().to_numpy().astype(np.int64)
    # Scores matter on rebalance dates only: the first bar with a score anchors the rule, and
    # only the rebalance bars' scores are pivoted (every day is still checked for repeats).
    scored = sig.lazy().filter(pl.col("score").is_finite())
    first_score = scored.select(pl.col("date").filter(pl.col("date") >= days[0]).min()).collect()
    start = first_score.item()
    at = int(days.search_sorted(start)) if start is not None else 0
    if start is not None and (at == days.len() or days[at] != start):
        start = (
            scored.filter(pl.col("date").is_in(days.implode()))
            .select(pl.col("date").min())
            .collect()
            .item()
        )
    if start is None or start > days[-1]:
        msg = "scores and returns have no common dates with a bar to trade after them"
        raise ValueError(msg)
    scored_from = int(days.search_sorted(start))
    rebal = rebalance_dates(days.slice(scored_from), rebalance)
    rebal_bars = (
        scored_from
        + days.slice(scored_from).search_sorted(pl.Series(rebal, dtype=pl.Date)).to_numpy()
    ).astype(np.int64)
    score_of_day = np.full_like(bar_of_day, -1)
    score_of_day[bar_days[rebal_bars] - first_day] = np.arange(len(rebal_bars))
    score_grid = (first_day, score_of_day, len(rebal_bars), len(keys))
    score_panel, _ = _pivot(sig, s_codes, "score", score_grid, name="scores")
    outside = (pl.col("date") < days[0]) | (pl.col("date") > days[-1])
    refuse_duplicates(sig.filter(outside), ["date", "key"], "scores")
    tradable = present[rebal_bars]
    usable = (np.isfinite(score_panel) & tradable).any(axis=0)
    if not usable.any():
        shared = sig.get_column("key").unique().is_in(rets.get_column("key").implode()).any()
        msg = (
            "scores and returns have no common dates with a bar to trade after them"
            if shared
            else f"scores and returns have no {key} in common"
        )
        raise ValueError(msg)
    if top_n > usable.sum():
        msg = f"top_n ({top_n}) is larger than the universe ({usable.sum()} {key}s in both)"
        raise ValueError(msg)
    navs, paths = top_n_rotations(
        score_panel[np.newaxis],
        return_panel,
        tradable,
        [rebal_bars],
        [0],
        [top_n],
        [0],
        score_bars=rebal_bars,
        lag=lag,
        score_weighted=weighting == "score",
        cost_bps=cost_bps,
    )
    path = paths[0]
    if not len(path["starts"]):
        msg = "scores and returns have no common dates with a bar to trade after them"
        raise ValueError(msg)
    calendar = pl.DataFrame({"date": days})
    rb = _benchmark(benchmark, return_panel, calendar, date)
    return _result(
        nav=navs[0],
        path=path,
        rb=rb,
        scores=(score_panel, rebal_bars),
        panel=panel,
        lag=lag,
        weighting=weighting,
        key=key,
        periods_per_year=periods_per_year,
    )


def _result(
    *,
    nav: np.ndarray,
    path: dict[str, np.ndarray],
    rb: np.ndarray,
    scores: tuple[np.ndarray, np.ndarray],
    panel: ReturnPanel,
    lag: int,
    weighting: str,
    key: str,
    periods_per_year: float | None,
) -> Backtest:
    starts = path["starts"]
    first = int(starts[0]) - lag
    calendar, keys = panel.calendar, panel.keys
    # Holdings: the columns each rebalance bought, best first.
    counts = np.diff(path["held_from"])
    signal = np.repeat(starts - lag, counts)
    held = path["held"]
    score_panel, score_bars = scores
    held_scores = score_panel[np.searchsorted(score_bars, signal), held]
    if weighting == "score" and (held_scores <= 0).any():
        bad = int(np.flatnonzero(held_scores <= 0)[0])
        msg = (
            f"weighting='score' needs positive scores, got {held_scores[bad]} for "
            f"{keys[int(held[bad])]} on {calendar[int(signal[bad])]}"
        )
        raise ValueError(msg)
    holdings = pl.DataFrame(
        {
            "rebalance_date": calendar.gather(signal),
            "start": calendar.gather(np.repeat(starts, counts)),
            key: keys.gather(held),
            "score": held_scores,
            "weight": path["weights"],
        }
    ).sort("rebalance_date", "weight", key, descending=[False, True, False])
    turnover = pl.DataFrame(
        {
            "rebalance_date": calendar.gather(starts - lag),
            "start": calendar.gather(starts),
            "turnover": path["turnover"],
            "cost": path["costs"],
        }
    )
    paths = holding_paths(nav, rb, starts, lag)
    portfolio, bench_r, bench = paths.portfolio, paths.benchmark_return, paths.benchmark
    r = np.concatenate([[0.0], portfolio[1:] / portfolio[:-1] - 1.0])
    navs = pl.DataFrame(
        {
            "date": calendar.slice(first),
            "portfolio": portfolio,
            "benchmark": bench,
            "portfolio_return": r,
            "benchmark_return": bench_r,
            "excess_return": r - bench_r,
        }
    )
    p_ret, b_ret = paths.period_returns()
    periods = pl.DataFrame(
        {
            "rebalance_date": calendar.gather(starts - lag),
            "start": calendar.gather(starts),
            "end": calendar.gather(paths.ends + first),
            "portfolio": p_ret,
            "benchmark": b_ret,
            "excess": p_ret - b_ret,
        }
    )
    metrics = _metrics(navs, periods, turnover, periods_per_year)
    return Backtest(navs, holdings, turnover, periods, metrics, panel, key)


def path_metrics(
    portfolio: np.ndarray,
    benchmark: np.ndarray,
    period_excess: np.ndarray,
    turnover: np.ndarray,
    periods_per_year: float,
) -> dict[str, float]:
    """The numeric metrics of :func:`backtest` from its NAV paths (both 1 on the first bar).

    ``period_excess``: each holding period's portfolio minus benchmark return; ``turnover``:
    each rebalance's one-way turnover (the first, the initial purchase, is left out).
    """
    p = periods_per_year
    r = portfolio[1:] / portfolio[:-1] - 1.0
    a = r - (benchmark[1:] / benchmark[:-1] - 1.0)
    n = len(r)
    ann = float(portfolio[-1] ** (p / n) - 1.0) if n else math.nan
    ann_b = float(benchmark[-1] ** (p / n) - 1.0) if n else math.nan
    sd = float(np.std(r, ddof=1)) if n > 1 else math.nan
    sd_a = float(np.std(a, ddof=1)) if n > 1 else math.nan
    return {
        "annual_return": ann,
        "benchmark_annual_return": ann_b,
        "annual_volatility": sd * math.sqrt(p),
        "sharpe": float(np.mean(r)) / sd * math.sqrt(p) if sd > 0 else math.nan,
        "excess_annual_return": ann - ann_b,
        "tracking_error": sd_a * math.sqrt(p),
        "information_ratio": float(np.mean(a)) / sd_a * math.sqrt(p) if sd_a > 0 else math.nan,
        "max_drawdown": float(1.0 - np.min(portfolio / np.maximum.accumulate(portfolio))),
        "hit_rate": float(np.mean(period_excess > 0)) if len(period_excess) else math.nan,
        "average_turnover": float(np.mean(turnover[1:])) if len(turnover) > 1 else 0.0,
        "periods_per_year": p,
        "bars": float(n),
    }


def _metrics(
    nav: pl.DataFrame, periods: pl.DataFrame, turnover: pl.DataFrame, periods_per_year: float | None
) -> dict[str, Any]:
    p = (
        periods_per_year
        if periods_per_year is not None
        else periods_per_year_of(nav.get_column("date"))
    )
    metrics: dict[str, Any] = path_metrics(
        nav.get_column("portfolio").to_numpy(),
        nav.get_column("benchmark").to_numpy(),
        periods.get_column("excess").to_numpy(),
        turnover.get_column("turnover").to_numpy(),
        p,
    )
    episodes = drawdown_episodes(
        nav.select("date", pl.col("portfolio").alias("close")), min_depth=0.0
    )
    worst = episodes.sort("depth", descending=True).head(1)
    for k in ("peak", "trough", "recovery"):
        metrics[f"max_drawdown_{k}"] = worst.get_column(k)[0] if worst.height else None
    metrics["bars"] = int(metrics["bars"])
    return metrics
