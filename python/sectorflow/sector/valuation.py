"""Valuation and heat: whole-market PE and PB per sector, Haitong's heat and industry pendulum.

Whole-market (整体法) valuation of a group of stocks on a day is a ratio of sums over its members::

    PE_TTM = sum mcap / sum net_profit_ttm        (members with earnings)
    PB_LF  = sum mcap / sum book_equity           (members with a book value)

and a sector's relative valuation is its PE (PB) over the market's, the market being every stock
of the table (All A) or the stocks given as ``market``. Heat (海通 "行业热度", 2021; "行业钟摆",
2022) averages historical percentiles: valuation heat of relative PE and PB, trading heat of
the cap-adjusted turnover share and the turnover rate, and heat of the two.

Every total is a plain sum, so :func:`valuation_totals` of parts of a table (partitions of a
file) add up to the totals of the whole, and every score here takes either stock rows or totals.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from sectorflow._frames import (
    as_date,
    date_column,
    date_series,
    float_column,
    refuse_rows,
    require,
    to_polars,
)
from sectorflow.sector._tables import check_window, sf
from sectorflow.sector.aggregate import sector_aggregate
from sectorflow.sector.percentile import historical_percentile
from sectorflow.sector.rrg import rrg
from sectorflow.tables import VALUATION_SUMS, valuation_sums_of

if TYPE_CHECKING:
    from sectorflow.typing import ExcessMode

__all__ = [
    "EARNINGS_RULES",
    "PENDULUM_STATES",
    "SINCE_PRESETS",
    "pendulum",
    "sector_heat",
    "sector_valuation",
    "valuation_totals",
]

EarningsRule = Literal["nan", "exclude_losses", "pb_only"]
Sample = Literal["daily", "month_end"]

#: How a sector (or the market) whose earnings are negative gets a PE.
EARNINGS_RULES: tuple[EarningsRule, ...] = ("nan", "exclude_losses", "pb_only")

#: Start dates of the percentile history named in Haitong's reports.
SINCE_PRESETS = {
    "2005": dt.date(2005, 1, 1),
    "2008-10": dt.date(2008, 10, 1),
    "2019": dt.date(2019, 1, 1),
}

#: The four positions of the pendulum (Haitong's RRG, centre (0, 0)), clockwise from the top
#: right: 超涨 (x >= 0, y >= 0), 超涨回落, 超跌, 超跌修复.
PENDULUM_STATES = ("overbought", "fading", "oversold", "recovering")

_TRADING = ("amount", "float_mcap")
#: The additive totals per (date, sector) that every valuation and heat score is built from:
#: the core's sums (without the trading ones, present only with their columns) and members.
TOTALS = (*(c for c in VALUATION_SUMS if c not in _TRADING), "members")


def valuation_totals(
    stocks: Any, *, date: str = "date", symbol: str = "symbol", sector: str = "sector"
) -> pl.DataFrame:
    """The sums per sector and day that whole-market valuation and heat are ratios of.

    Stock rows need ``mcap`` (total market cap), ``net_profit_ttm`` (or ``pe_ttm``, from which
    ``net_profit_ttm = mcap / pe_ttm``) and ``book_equity`` (or ``pb``: ``mcap / pb``);
    ``amount`` and ``float_mcap`` are summed too when present (trading heat needs them). Over a
    sector's members that day, a member counting where its value is finite::

        mcap          = sum mcap
        earnings_mcap = sum mcap      over members with earnings     earnings = sum earnings
        profit_mcap   = sum mcap      over members with earnings > 0   profit = sum of those
        book_mcap     = sum mcap      over members with a book value     book = sum book
        members, loss_makers (earnings <= 0)

    One pass of the core codes the sectors and adds the values (in fixed pieces of rows, in
    row order, the pieces added in order: the same totals to the bit on any number of
    threads). Totals of parts of a table add up to the totals of the whole. A missing
    ``mcap`` leaves the row out; a zero or negative one is refused with its row, as is a zero
    ``pe_ttm`` or ``pb``.
    Returns ``date, <sector>, <totals>[, amount, float_mcap]`` sorted by sector and date.
    """
    df = to_polars(stocks, "stocks")
    require(df, [date, symbol, sector, "mcap"], "stocks")
    earnings, book = _per_stock(df, "net_profit_ttm", "pe_ttm"), _per_stock(df, "book_equity", "pb")
    trading = [c for c in _TRADING if c in df.columns]
    checks = [
        (pl.col(date).is_null(), f"{date} is missing"),
        (pl.col(sector).is_null(), f"{sector} is missing"),
        (float_column(df, "mcap", "stocks") <= 0, "mcap must be positive (a market cap)"),
        *(
            (float_column(df, multiple, "stocks") == 0, f"{multiple} is zero (nothing to derive)")
            for amount, multiple in (("net_profit_ttm", "pe_ttm"), ("book_equity", "pb"))
            if amount not in df.columns
        ),
        *((float_column(df, c, "stocks") < 0, f"{c} is negative") for c in trading),
    ]
    refuse_rows(df, checks, "stocks", [date, symbol])
    # Missing values as NaN (no validity mask), so the columns reach the core without a copy.
    values = df.select(
        float_column(df, "mcap", "stocks").fill_null(np.nan).alias("mcap"),
        earnings.fill_null(np.nan).alias("earnings"),
        book.fill_null(np.nan).alias("book"),
        *(float_column(df, c, "stocks").fill_null(np.nan).alias(c) for c in trading),
    )
    day = df.select(date_column(df, date, "stocks").to_physical()).to_series()
    first, last = int(day.min()), int(day.max())  # type: ignore[arg-type]
    sums, rows, sectors = valuation_sums_of(
        df.get_column(sector),
        day.to_numpy(),
        {c: values.get_column(c).to_numpy() for c in values.columns},
        first_day=first,
        days=last - first + 1,
    )
    order = np.argsort(np.array(sectors, dtype=object), kind="stable")  # sectors sorted
    key, d = np.nonzero(rows[order])
    key = order[key]
    cell = {name: sums[key, d, i] for i, name in enumerate(VALUATION_SUMS)}
    return pl.DataFrame(
        {
            date: date_series(date, first + d),
            sector: pl.Series(sectors, dtype=pl.String).gather(key),
            **{c: cell[c] for c in TOTALS if c not in ("members", "loss_makers")},
            "loss_makers": cell["loss_makers"].astype(np.int64),
            "members": rows[key, d].astype(np.int64),
            **{c: cell[c] for c in trading},
        }
    )


def _per_stock(df: pl.DataFrame, amount: str, multiple: str) -> pl.Expr:
    """A stock's earnings (book): the column itself, or ``mcap / <multiple>``."""
    if amount in df.columns:
        return float_column(df, amount, "stocks")
    if multiple in df.columns:
        return float_column(df, "mcap", "stocks") / float_column(df, multiple, "stocks")
    msg = f"stocks has no column {amount!r} (or {multiple!r}) (columns: {df.columns})"
    raise ValueError(msg)


def _totals(table: Any, name: str, date: str, sector: str, symbol: str) -> pl.DataFrame:
    """Totals from stock rows (a ``symbol`` column) or a table of :func:`valuation_totals`."""
    df = to_polars(table, name)
    if symbol in df.columns:
        return valuation_totals(df, date=date, symbol=symbol, sector=sector)
    require(df, [date, sector, *TOTALS], name)
    return df


def _market(market: Any, totals: pl.DataFrame, date: str, sector: str, symbol: str) -> pl.DataFrame:
    """The market's totals per date (``market_<total>``): of ``market``, or of every sector.

    Each date's sectors are added in sector order (numpy over the sorted rows), so the market
    is the same to the bit on every run, as its sectors are.
    """
    whole = totals if market is None else _totals(market, "market", date, sector, symbol)
    columns = [c for c in (*TOTALS, *_TRADING) if c in whole.columns]
    rows = whole.sort(date, sector)
    day = rows.get_column(date).to_physical().to_numpy()
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]]) if len(day) else day[:0]
    return pl.DataFrame(
        {
            date: rows.get_column(date).gather(starts),
            **{
                f"market_{c}": np.add.reduceat(rows.get_column(c).to_numpy(), starts)
                if len(starts)
                else np.zeros(0)
                for c in columns
            },
        }
    )


def _pe(prefix: str, rule: EarningsRule) -> pl.Expr:
    """Whole-market PE under ``rule``: null when the summed earnings are not positive."""
    if rule == "pb_only":
        return pl.lit(None, dtype=pl.Float64)
    profit_only = rule == "exclude_losses"
    cap, earnings = ("profit_mcap", "profit") if profit_only else ("earnings_mcap", "earnings")
    e = pl.col(prefix + earnings)
    return pl.when(e > 0).then(pl.col(prefix + cap) / e)


def _pb(prefix: str) -> pl.Expr:
    book = pl.col(prefix + "book")
    return pl.when(book > 0).then(pl.col(prefix + "book_mcap") / book)


def _relative(
    stocks: Any, market: Any, rule: str, *, date: str, sector: str, symbol: str
) -> pl.DataFrame:
    """Daily ``pe_ttm, pb_lf``, the market's, the relative ones, and the totals they came from."""
    if rule not in EARNINGS_RULES:
        msg = f"earnings_rule must be one of {EARNINGS_RULES}, got {rule!r}"
        raise ValueError(msg)
    totals = _totals(stocks, "stocks", date, sector, symbol)
    whole = _market(market, totals, date, sector, symbol)
    return (
        totals.join(whole, on=date, how="left")
        .with_columns(
            _pe("", rule).alias("pe_ttm"),
            _pb("").alias("pb_lf"),
            _pe("market_", rule).alias("market_pe_ttm"),
            _pb("market_").alias("market_pb_lf"),
        )
        .with_columns(
            (pl.col("pe_ttm") / pl.col("market_pe_ttm")).alias("relative_pe"),
            (pl.col("pb_lf") / pl.col("market_pb_lf")).alias("relative_pb"),
        )
        .sort(sector, date)
    )


def _since(since: Any) -> dt.date | None:
    if since is None:
        return None
    if isinstance(since, str) and since in SINCE_PRESETS:
        return SINCE_PRESETS[since]
    return as_date(since, "since")


def _percentiles(
    df: pl.DataFrame,
    columns: list[str],
    *,
    since: Any,
    window: int | None,
    min_periods: int,
    date: str,
    sector: str,
) -> pl.DataFrame:
    start = _since(since)
    for column in columns:
        df = historical_percentile(
            df, column, since=start, window=window, min_periods=min_periods, date=date, key=sector
        )
    return df


def sector_valuation(
    stocks: Any,
    *,
    market: Any = None,
    earnings_rule: EarningsRule = "nan",
    since: Any = None,
    window: int | None = None,
    min_periods: int = 1,
    date: str = "date",
    symbol: str = "symbol",
    sector: str = "sector",
) -> pl.DataFrame:
    """Whole-market PE (TTM) and PB (LF) of each sector and the market, relative, percentiles.

    Per sector and day, from the sums of :func:`valuation_totals`::

        pe_ttm        = earnings_mcap / earnings       null when earnings <= 0
        pb_lf         = book_mcap / book               null when book <= 0
        market_pe_ttm, market_pb_lf                    the same over the market's stocks
        relative_pe   = pe_ttm / market_pe_ttm        relative_pb = pb_lf / market_pb_lf
        relative_pe_pct, relative_pb_pct               historical percentiles of those

    ``earnings_rule``: ``"nan"`` (default) as above; ``"exclude_losses"`` sums caps and
    earnings over profitable members only (``profit_mcap / profit``), for the sectors and the
    market alike; ``"pb_only"`` leaves every PE null (valuation then rests on PB).

    Parameters
    ----------
    stocks
        Stock rows ``date, symbol, sector, mcap, net_profit_ttm (or pe_ttm), book_equity (or
        pb)``, or the totals of :func:`valuation_totals` (e.g. summed over file partitions).
    market
        The market's stocks (or totals) when it is not every stock of ``stocks`` (All A).
    earnings_rule
        ``"nan"``, ``"exclude_losses"`` or ``"pb_only"`` (above).
    since, window, min_periods
        The percentile's history (:func:`historical_percentile`, pandas ``rank(pct=True)``):
        from ``since`` (a date, or ``"2005"``, ``"2008-10"``, ``"2019"``, Haitong's starts),
        or the last ``window`` days; all days by default.
    date, symbol, sector
        Column names.

    Returns
    -------
    polars.DataFrame
        ``date, <sector>``, the totals, ``market_<total>``, ``pe_ttm, pb_lf, market_pe_ttm,
        market_pb_lf, relative_pe, relative_pb, relative_pe_pct, relative_pb_pct``, sorted by
        sector and date.

    """
    if window is not None:
        check_window(window, "window")
    df = _relative(stocks, market, earnings_rule, date=date, sector=sector, symbol=symbol)
    columns = ["relative_pe", "relative_pb"]
    return _percentiles(
        df, columns, since=since, window=window, min_periods=min_periods, date=date, sector=sector
    )


def sector_heat(
    stocks: Any,
    *,
    sample: Sample = "month_end",
    days: int = 21,
    market: Any = None,
    earnings_rule: EarningsRule = "nan",
    since: Any = None,
    window: int | None = None,
    min_periods: int = 1,
    annualise: float = 252.0,
    date: str = "date",
    symbol: str = "symbol",
    sector: str = "sector",
) -> pl.DataFrame:
    """Haitong's heat of each sector: valuation heat, trading heat and their mean.

    Daily inputs per sector (``market_`` the market's totals that day)::

        relative_pe, relative_pb        as :func:`sector_valuation`
        turnover_share  = amount / market_amount
        float_cap_share = float_mcap / market_float_mcap
        turnover_rate   = amount / float_mcap

    Sampled at each month's last trading day (``sample="month_end"``, default: averages over
    the calendar month's days) or every day (``"daily"``: averages over the last ``days`` rows)::

        cap_adjusted_share = mean(turnover_share) / mean(float_cap_share)
        turnover_rate      = mean(turnover_rate) * annualise      (252: a yearly rate)
        valuation_heat = (pct(relative_pe) + pct(relative_pb)) / 2    pct(relative_pb) for "pb_only"
        trading_heat   = (pct(cap_adjusted_share) + pct(turnover_rate)) / 2
        heat           = (valuation_heat + trading_heat) / 2

    ``pct`` is the historical percentile among the sampled rows (``since``/``window`` as in
    :func:`sector_valuation`; ``window`` counts sampled rows). The relative PE and PB are the
    month's last values. A heat is null where one of its parts is. ``annualise`` scales the
    displayed rate only: percentiles do not change with it.

    Returns ``date, <sector>, relative_pe, relative_pb, cap_adjusted_share, turnover_rate``,
    each with its ``_pct``, and ``valuation_heat, trading_heat, heat``, sorted by sector and
    date.
    """
    if sample not in ("daily", "month_end"):
        msg = f"sample must be 'daily' or 'month_end', got {sample!r}"
        raise ValueError(msg)
    check_window(days, "days")
    if window is not None:
        check_window(window, "window")
    df = _relative(stocks, market, earnings_rule, date=date, sector=sector, symbol=symbol)
    require(df, [*_TRADING, *(f"market_{c}" for c in _TRADING)], "stocks")
    daily = df.select(
        date,
        sector,
        "relative_pe",
        "relative_pb",
        (pl.col("amount") / pl.col("market_amount")).alias("turnover_share"),
        (pl.col("float_mcap") / pl.col("market_float_mcap")).alias("float_cap_share"),
        (pl.col("amount") / pl.col("float_mcap")).alias("turnover_rate"),
    ).with_columns(pl.selectors.float().fill_nan(None))
    shares = ("turnover_share", "float_cap_share", "turnover_rate")
    if sample == "daily":
        sampled = daily.with_columns(
            sf(pl.col(c)).rolling_mean(days, by=sector).alias(c) for c in shares
        )
    else:
        sampled = (
            daily.group_by(sector, pl.col(date).dt.month_start().alias("__month"))
            .agg(
                pl.col(date).last(),
                pl.col("relative_pe", "relative_pb").last(),
                *(pl.col(c).mean() for c in shares),
            )
            .drop("__month")
            .sort(sector, date)
        )
    sampled = sampled.select(
        date,
        sector,
        "relative_pe",
        "relative_pb",
        (pl.col("turnover_share") / pl.col("float_cap_share")).alias("cap_adjusted_share"),
        (pl.col("turnover_rate") * annualise).alias("turnover_rate"),
    ).with_columns(pl.selectors.float().fill_nan(None))
    parts = ["relative_pe", "relative_pb", "cap_adjusted_share", "turnover_rate"]
    history = {"since": since, "window": window, "min_periods": min_periods}
    out = _percentiles(sampled, parts, **history, date=date, sector=sector)
    valuation = (
        pl.col("relative_pb_pct")
        if earnings_rule == "pb_only"
        else (pl.col("relative_pe_pct") + pl.col("relative_pb_pct")) / 2
    )
    return out.with_columns(
        valuation.alias("valuation_heat"),
        ((pl.col("cap_adjusted_share_pct") + pl.col("turnover_rate_pct")) / 2).alias(
            "trading_heat"
        ),
    ).with_columns(((pl.col("valuation_heat") + pl.col("trading_heat")) / 2).alias("heat"))


def pendulum(
    sectors: Any,
    benchmark: Any = None,
    *,
    heat: Any = None,
    lookback: int = 26,
    freq: str | None = "W-FRI",
    excess_mode: ExcessMode = "ratio",
    hot: float = 0.8,
    sample: Sample = "month_end",
    earnings_rule: EarningsRule = "nan",
    since: Any = None,
    window: int | None = None,
    date: str = "date",
    symbol: str = "symbol",
    sector: str = "sector",
) -> pl.DataFrame:
    """Haitong's industry pendulum: each sector's heat beside its position on Haitong's RRG.

    The position is :func:`rrg` with ``method="haitong"`` on the sectors' index levels against
    ``benchmark`` (default: the market's level, ``market_close``)::

        relative_return        = (P_t / P_t-L) / (B_t / B_t-L) - 1    (L = lookback bars)
        relative_return_change = relative_return_t - relative_return_t-1

    joined with the latest ``heat`` row on or before each bar (never a later one).
    ``state``: ``overbought`` (x >= 0, y >= 0, 超涨), ``fading`` (x >= 0, y < 0),
    ``oversold`` (x < 0, y < 0, 超跌), ``recovering`` (x < 0, y >= 0). ``out_of_steam``
    marks a rally that has "run out of steam": ahead of the market but losing ground
    (``fading``) while its heat is at least ``hot``.

    ``sectors``: stock rows (aggregated by :func:`sector_aggregate`, and their
    :func:`sector_heat` taken with ``sample``, ``earnings_rule``, ``since``, ``window``) or a
    sector table ``date, <sector>, close[, market_close]`` with ``heat`` given (a
    :func:`sector_heat` frame). Returns ``date, <sector>, relative_return,
    relative_return_change, state, heat, valuation_heat, trading_heat, out_of_steam``, sorted
    by sector and date.
    """
    if not 0.0 <= hot <= 1.0:
        msg = f"hot must be in [0, 1], got {hot!r}"
        raise ValueError(msg)
    frame = to_polars(sectors, "sectors")
    if symbol in frame.columns:
        levels = sector_aggregate(frame, date=date, symbol=symbol, sector=sector)
        if heat is None:
            options = {"since": since, "window": window, "earnings_rule": earnings_rule}
            heat = sector_heat(
                frame, sample=sample, **options, date=date, symbol=symbol, sector=sector
            )
    else:
        levels = frame
        if heat is None:
            msg = "heat must be given with a sector table (sector_heat of the stocks)"
            raise ValueError(msg)
    require(levels, [date, sector, "close"], "sectors")
    if benchmark is None:
        require(levels, ["market_close"], "sectors")
        benchmark = levels.group_by(date).agg(pl.col("market_close").first().alias("close"))
    heat = to_polars(heat, "heat")
    require(heat, [date, sector, "heat", "valuation_heat", "trading_heat"], "heat")
    position = rrg(
        levels.select(date, sector, "close"),
        benchmark,
        method="haitong",
        freq=freq,
        lookback=lookback,
        excess_mode=excess_mode,
        date=date,
        key=sector,
    )
    x, y = pl.col("relative_return"), pl.col("relative_return_change")
    state = (
        pl.when(x.is_null() | y.is_null())
        .then(None)
        .when(x >= 0)
        .then(pl.when(y >= 0).then(pl.lit("overbought")).otherwise(pl.lit("fading")))
        .otherwise(pl.when(y < 0).then(pl.lit("oversold")).otherwise(pl.lit("recovering")))
    )
    known = heat.select(date, sector, "heat", "valuation_heat", "trading_heat").sort(date)
    return (
        position.select(
            date,
            sector,
            pl.col("rs_ratio").alias("relative_return"),
            pl.col("rs_momentum").alias("relative_return_change"),
        )
        .sort(date)
        .join_asof(known, on=date, by=sector, strategy="backward", check_sortedness=False)
        .with_columns(state.cast(pl.Enum(list(PENDULUM_STATES))).alias("state"))
        .with_columns(
            ((pl.col("state") == "fading") & (pl.col("heat") >= hot)).alias("out_of_steam")
        )
        .select(
            date,
            sector,
            "relative_return",
            "relative_return_change",
            "state",
            "heat",
            "valuation_heat",
            "trading_heat",
            "out_of_steam",
        )
        .sort(sector, date)
    )
