"""Baskets of named stocks: an index level with rebalancing, and the comparisons reports quote.

"China's seven tech titans up 40% this year against the Magnificent Seven down 10%, at 18x
forward earnings, a discount of more than 40%"; "the Nasdaq 100 on the brink of a correction".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

from sectorflow._frames import as_date, date_column, float_column, require, to_polars
from sectorflow.tables import pivot_last, string_codes

__all__ = ["basket", "compare_baskets"]

Rebalance = Literal["W", "M", "Q", "Y"] | None
_PERIODS = {"W": "1w", "M": "1mo", "Q": "1q", "Y": "1y"}


def _members(prices: pl.DataFrame, members: Sequence[str] | None, symbol: str) -> list[str]:
    listed = prices.get_column(symbol).unique().sort().to_list()
    if members is None:
        return listed
    if isinstance(members, str) or not members:
        msg = "members must be a non-empty list of symbols"
        raise ValueError(msg)
    known = set(listed)
    unknown = [m for m in members if m not in known]
    if unknown:
        msg = f"members: {unknown[0]!r} has no rows in prices"
        raise ValueError(msg)
    return list(dict.fromkeys(members))


def _matrix(
    prices: pl.DataFrame, members: list[str], column: str, date: str, symbol: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dates (days), values (dates x members, NaN without a row) and which cells have a row."""
    rows = prices.filter(pl.col(symbol).is_in(members))
    days = rows.get_column(date).to_physical().to_numpy().astype(np.int32)
    calendar = np.unique(days)
    first = int(calendar[0])
    bar_of_day = np.full(int(calendar[-1]) - first + 1, -1, dtype=np.int64)
    bar_of_day[calendar - first] = np.arange(len(calendar))
    codes, first_rows = string_codes(rows.get_column(symbol))
    seen = rows.get_column(symbol).gather(first_rows).to_list()
    pivot = pivot_last(
        codes,
        days,
        rows.get_column(column).to_numpy(),
        first_day=first,
        bar_of_day=bar_of_day,
        bars=len(calendar),
        keys=len(seen),
        present=True,
    )
    if pivot.cells is None or pivot.present is None:
        row = rows.row(pivot.duplicate[0] if pivot.duplicate else 0, named=True)
        msg = f"prices has more than one row for {symbol}={row[symbol]!r}, {date}={row[date]}"
        raise ValueError(msg)
    position = {name: i for i, name in enumerate(seen)}
    order = [position[m] for m in members]
    shape = (len(calendar), len(seen))
    cells = pivot.cells.reshape(shape, order="F")[:, order]
    present = pivot.present.reshape(shape, order="F")[:, order]
    return calendar, cells, present


def _period_ends(days: np.ndarray, rebalance: Rebalance) -> np.ndarray:
    """Rows at whose close the basket rebalances: the first and each period's last day."""
    ends = np.zeros(len(days), dtype=bool)
    ends[0] = True
    if rebalance is None:
        return ends
    if rebalance not in _PERIODS:
        msg = f"rebalance must be None or one of {list(_PERIODS)}, got {rebalance!r}"
        raise ValueError(msg)
    dates = pl.Series(days).cast(pl.Date)
    period = dates.dt.truncate(_PERIODS[rebalance]).to_physical().to_numpy()
    ends[:-1] |= period[1:] != period[:-1]
    return ends


def basket(
    members: Sequence[str] | None,
    prices: Any,
    *,
    weights: Literal["equal", "cap"] | Mapping[str, float] = "equal",
    rebalance: Rebalance = "M",
    base: float = 100.0,
    date: str = "date",
    symbol: str = "symbol",
    close: str = "close",
    cap: str = "mcap",
) -> pl.DataFrame:
    """The index level of a basket of ``members`` held as a portfolio, rebalanced each period.

    At the close of the first day and of the last trading day of each period (``"W"``, ``"M"``,
    ``"Q"``, ``"Y"``; ``None`` buys and holds), the basket's value ``V`` is shared out among the
    members that trade that day, in proportion to their target weights ``w`` (``"equal"``,
    ``"cap"``: the day's ``cap`` column, or a mapping symbol -> weight)::

        shares_i = V_tau * w_i / sum_j w_j / P_i,tau
        V_t      = sum_i shares_i * P_i,t      (P carried forward over days without a row)

    A member that lists joins at the next rebalance; one that stops trading (suspended or
    delisted) is held at its last price until then, so neither makes a jump in the level.
    The calendar is every date on which a member has a row.

    Returns ``date, level, return, members`` (members held), level ``base`` on the first day.
    """
    df = to_polars(prices, "prices")
    needed = [date, symbol, close, *([cap] if weights == "cap" else [])]
    require(df, needed, "prices")
    if not (isinstance(base, float | int) and base > 0):
        msg = f"base must be a positive number, got {base!r}"
        raise ValueError(msg)
    df = df.select(
        date_column(df, date, "prices").alias(date),
        pl.col(symbol).cast(pl.String),
        float_column(df, close, "prices").alias(close),
        *([float_column(df, cap, "prices").alias(cap)] if weights == "cap" else []),
    ).filter(pl.col(close).is_finite())
    bad = df.filter(pl.col(close) <= 0)
    if bad.height:
        row = bad.row(0, named=True)
        where = f"{symbol}={row[symbol]!r}, {date}={row[date]}"
        msg = f"prices: {close} must be positive (first at {where})"
        raise ValueError(msg)
    names = _members(df, members, symbol)
    days, price, traded = _matrix(df, names, close, date, symbol)
    target = _targets(weights, df, names=names, days=days, date=date, symbol=symbol, cap=cap)
    carried = pl.DataFrame(price, nan_to_null=True).fill_null(strategy="forward").to_numpy()
    carried = np.where(np.isnan(carried), 0.0, carried)
    ends = np.flatnonzero(_period_ends(days, rebalance))
    level = np.full(len(days), np.nan)
    held = np.zeros(len(days), dtype=np.int64)
    shares = np.zeros(len(names))
    value = float(base)
    for i, start in enumerate(ends):
        stop = ends[i + 1] + 1 if i + 1 < len(ends) else len(days)
        if shares.any():
            value = float(carried[start] @ shares)
        w = np.where(traded[start], target[start], 0.0)
        if w.sum() > 0:
            shares = value * w / w.sum() / np.where(traded[start], price[start], 1.0)
        level[start:stop] = carried[start:stop] @ shares if shares.any() else np.nan
        held[start:stop] = np.count_nonzero(shares)
    out = pl.DataFrame({date: pl.Series(days).cast(pl.Date), "level": level, "members": held})
    out = out.with_columns(pl.col("level").fill_nan(None)).drop_nulls("level")
    return out.select(
        date, "level", (pl.col("level") / pl.col("level").shift(1) - 1).alias("return"), "members"
    )


def _targets(
    weights: Any,
    df: pl.DataFrame,
    *,
    names: list[str],
    days: np.ndarray,
    date: str,
    symbol: str,
    cap: str,
) -> np.ndarray:
    """Target weights (dates x members) before normalising over the members that trade."""
    if isinstance(weights, Mapping):
        missing = [m for m in names if m not in weights]
        if missing:
            msg = f"weights has no weight for {missing[0]!r}"
            raise ValueError(msg)
        w = np.array([float(weights[m]) for m in names])
        if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
            msg = "weights must be finite, non-negative and not all zero"
            raise ValueError(msg)
        return np.broadcast_to(w, (len(days), len(names)))
    if weights == "equal":
        return np.ones((len(days), len(names)))
    if weights == "cap":
        _, caps, _ = _matrix(df, names, cap, date, symbol)
        return np.where(np.isfinite(caps) & (caps > 0), caps, 0.0)
    msg = f"weights must be 'equal', 'cap' or a mapping of symbol to weight, got {weights!r}"
    raise ValueError(msg)


def compare_baskets(
    baskets: Mapping[str, Sequence[str]],
    prices: Any,
    *,
    weights: Literal["equal", "cap"] = "equal",
    rebalance: Rebalance = "M",
    since: Any = None,
    asof: Any = None,
    benchmark: str | None = None,
    correction: float = -0.10,
    bear: float = -0.20,
    date: str = "date",
    symbol: str = "symbol",
    close: str = "close",
    cap: str = "mcap",
    forward_earnings: str = "forward_earnings",
) -> pl.DataFrame:
    """The numbers a report quotes about baskets, as of a date, one row per basket.

    Each basket's level is :func:`basket`. With ``L`` its level on ``asof`` (default: the last
    date of the prices)::

        return_since = L / L(since) - 1        since: the first date on or after it (default
                                               the basket's first date)
        ytd          = L / L(last date of the previous year) - 1   (the first level if later)
        drawdown     = L / max(level up to asof) - 1, with its peak_date
        correction   = drawdown <= -10%,  bear = drawdown <= -20%
        relative_ytd = (1 + ytd) / (1 + ytd of benchmark) - 1
        forward_pe   = sum cap / sum forward_earnings over the members on asof (whole-basket)
        forward_pe_discount = 1 - forward_pe / forward_pe of benchmark

    ``benchmark`` names one of ``baskets``; the forward PE needs ``cap`` and
    ``forward_earnings`` columns in ``prices`` (null otherwise, and when the summed forward
    earnings are not positive).
    """
    if not isinstance(baskets, Mapping) or not baskets:
        msg = "baskets must map basket names to lists of member symbols"
        raise ValueError(msg)
    if benchmark is not None and benchmark not in baskets:
        msg = f"benchmark {benchmark!r} is not one of the baskets {list(baskets)}"
        raise ValueError(msg)
    df = to_polars(prices, "prices")
    levels = {
        name: basket(
            members,
            df,
            weights=weights,
            rebalance=rebalance,
            date=date,
            symbol=symbol,
            close=close,
            cap=cap,
        )
        for name, members in baskets.items()
    }
    last = max(as_date(t.get_column(date).max(), "date") for t in levels.values())
    on = as_date(asof, "asof") if asof is not None else last
    start = as_date(since, "since") if since is not None else None
    rows = [
        _stats(
            name,
            levels[name],
            asof=on,
            since=start,
            date=date,
            correction=correction,
            bear=bear,
        )
        | {
            "forward_pe": _forward_pe(
                df, baskets[name], asof=on, columns=(date, symbol, cap, forward_earnings)
            )
        }
        for name in baskets
    ]
    out = pl.DataFrame(rows)
    if benchmark is not None:
        ref = out.filter(pl.col("basket") == benchmark).row(0, named=True)
        out = out.with_columns(
            ((1 + pl.col("ytd")) / (1 + ref["ytd"]) - 1).alias("relative_ytd"),
            (1 - pl.col("forward_pe") / ref["forward_pe"]).alias("forward_pe_discount"),
        )
    return out


def _stats(
    name: str,
    level: pl.DataFrame,
    *,
    asof: dt.date,
    since: dt.date | None,
    date: str,
    correction: float,
    bear: float,
) -> dict[str, Any]:
    upto = level.filter(pl.col(date) <= asof)
    if upto.is_empty():
        msg = f"basket {name!r} has no level on or before {asof}"
        raise ValueError(msg)
    d = upto.get_column(date)
    x = upto.get_column("level").to_numpy()
    start = 0 if since is None else int(np.searchsorted(d.to_numpy(), np.datetime64(since)))
    start = min(start, len(x) - 1)
    year = np.flatnonzero(d.dt.year().to_numpy() < asof.year)
    ytd_base = x[year[-1]] if len(year) else x[0]
    peak = int(np.argmax(x))  # the first day at the running high
    drawdown = x[-1] / x[peak] - 1
    return {
        "basket": name,
        "asof": d[-1],
        "level": x[-1],
        "start": d[start],
        "return_since": x[-1] / x[start] - 1,
        "ytd": x[-1] / ytd_base - 1,
        "peak_date": d[peak],
        "drawdown": drawdown,
        "correction": bool(drawdown <= correction),
        "bear": bool(drawdown <= bear),
    }


def _forward_pe(
    df: pl.DataFrame, members: Sequence[str], *, asof: dt.date, columns: tuple[str, str, str, str]
) -> float | None:
    """``sum cap / sum forward earnings`` of each member's latest row on or before ``asof``."""
    date, symbol, cap, forward = columns
    if cap not in df.columns or forward not in df.columns:
        return None
    day = date_column(df, date, "prices")
    rows = df.filter(pl.col(symbol).is_in(list(members)), day <= asof)
    if rows.is_empty():
        return None
    # Each member's latest row on or before asof.
    latest = (
        rows.select(
            symbol, day.alias("__day"), *(float_column(df, c, "prices") for c in (cap, forward))
        )
        .sort("__day")
        .group_by(symbol)
        .agg(pl.col(cap, forward).last())
    )
    earnings = float(latest.get_column(forward).sum())
    caps = float(latest.get_column(cap).sum())
    return caps / earnings if earnings > 0 else None
