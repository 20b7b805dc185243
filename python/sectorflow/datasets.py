"""Synthetic market data for tests, examples and benchmarks at any scale."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from sectorflow.typing import Frequency

__all__ = [
    "SECTORS",
    "ff49_sectors",
    "synthetic_market",
    "synthetic_minute_bars",
    "write_minute_bars",
]

#: Sector names used by :func:`synthetic_market` (GICS-like).
SECTORS = (
    "Energy",
    "Materials",
    "Industrials",
    "ConsumerDisc",
    "ConsumerStaples",
    "HealthCare",
    "Financials",
    "InfoTech",
    "Communication",
    "Utilities",
    "RealEstate",
)

_BARS_PER_DAY = 240  # A-share session: 09:30-11:30 and 13:00-15:00
_LISTED_AT_START = 0.7  # share of symbols trading from the first day
_DELISTED = 0.1  # share of symbols that delist before the last day
_SUSPENDED_AS_MISSING = 0.5  # share of symbols whose suspensions are missing rows, not flat bars
_QUARTER = 63  # trading days between two earnings reports
_LOSS_SECTOR = 0  # the sector whose members all report losses for a spell (Energy)
_LOSS_SPELL = (0.4, 0.55)  # that spell, as fractions of the quarters


def _garch_vol(rng: np.random.Generator, n: int, k: int, base: float) -> np.ndarray:
    """GARCH(1,1)-style volatility paths (n x k): clustered, mean-reverting to ``base``."""
    omega, a, b = base**2 * 0.04, 0.08, 0.88
    var = np.full(k, base**2)
    out = np.empty((n, k))
    shocks = rng.standard_normal((n, k))
    for t in range(n):
        out[t] = np.sqrt(var)
        var = omega + a * var * shocks[t] ** 2 + b * var
    return out


def _regimes(rng: np.random.Generator, n: int, k: int, stay: float = 0.985) -> np.ndarray:
    """Two-state Markov regimes (n x k of 0/1), e.g. quiet and heavy trading."""
    flips = rng.random((n, k)) > stay
    return np.cumsum(flips, axis=0) % 2


def _episodes(
    rng: np.random.Generator, n: int, k: int, per_year: float, max_len: int
) -> np.ndarray:
    """Boolean mask (n x k) of random episodes with lengths in 1..max_len."""
    diff = np.zeros((n + max_len + 1, k), dtype=np.int32)
    count = rng.poisson(per_year * n / 250.0, size=k)
    cols = np.repeat(np.arange(k), count)
    starts = rng.integers(0, max(n, 1), size=cols.size)
    lengths = rng.integers(1, max_len + 1, size=cols.size)
    np.add.at(diff, (starts, cols), 1)
    np.add.at(diff, (starts + lengths, cols), -1)
    return np.cumsum(diff, axis=0)[:n] > 0


def _timestamps(n_days: int, freq: Frequency) -> pl.Series:
    days = np.busday_offset(np.datetime64("2005-01-03"), np.arange(n_days), roll="forward")
    if freq == "1d":
        return pl.Series("date", days.astype("datetime64[D]"))
    minutes = np.concatenate([np.arange(570, 690), np.arange(780, 900)]) + 1  # bar end times
    stamps = days.astype("datetime64[m]")[:, None] + minutes[None, :].astype("timedelta64[m]")
    return pl.Series("date", stamps.ravel().astype("datetime64[us]"))


def synthetic_market(
    n_symbols: int = 500,
    n_days: int = 1_000,
    freq: Frequency = "1d",
    seed: int = 0,
) -> pl.DataFrame:
    """A long stock table with sector structure, for tests and benchmarks.

    Returns ``date, symbol, sector, close, volume, amount, float_mcap, mcap, net_profit_ttm,
    book_equity, forward_earnings`` sorted by date then symbol.
    Returns follow ``r = beta·market + gamma·sector + idio`` with GARCH-clustered volatility;
    volume follows per-sector quiet/heavy regimes and rises with |r|; ``amount = volume · close``.
    Some stocks list after the start or delist before the end (no rows outside their life), and
    suspensions appear either as flat bars (close unchanged, volume 0) or as missing rows.
    ``mcap`` is 1-2.5 times ``float_mcap``; ``net_profit_ttm``, ``book_equity`` and
    ``forward_earnings`` step at quarterly reports (every 63 trading days), with loss-making
    spells of single stocks and one spell in which every Energy member reports a loss. These
    come from a separate random stream: the other columns are the same with or without them.
    Deterministic for a seed.

    Parameters
    ----------
    n_symbols, n_days
        Universe size and number of trading days (business days from 2005-01-03).
    freq
        ``"1d"`` for daily bars, ``"1min"`` for 240 one-minute bars per day (``date`` is then a
        datetime of the bar end).
    seed
        Seed of the random generator.

    Examples
    --------
    >>> from sectorflow.datasets import synthetic_market
    >>> df = synthetic_market(n_symbols=20, n_days=50, seed=1)
    >>> df.columns[:7]
    ['date', 'symbol', 'sector', 'close', 'volume', 'amount', 'float_mcap']
    >>> df.equals(synthetic_market(n_symbols=20, n_days=50, seed=1))
    True

    """
    if n_symbols < 1:
        msg = f"n_symbols must be >= 1, got {n_symbols}"
        raise ValueError(msg)
    if n_days < 1:
        msg = f"n_days must be >= 1, got {n_days}"
        raise ValueError(msg)
    if freq not in ("1d", "1min"):
        msg = f"freq must be '1d' or '1min', got {freq!r}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    bars = n_days * (_BARS_PER_DAY if freq == "1min" else 1)
    scale = 1.0 / np.sqrt(_BARS_PER_DAY) if freq == "1min" else 1.0
    n_sectors = len(SECTORS)
    sector = rng.integers(0, n_sectors, size=n_symbols)

    market = _garch_vol(rng, bars, 1, 0.011 * scale)[:, 0] * rng.standard_normal(bars)
    sector_vol = _garch_vol(rng, bars, n_sectors, 0.008 * scale)
    sector_ret = sector_vol * rng.standard_normal((bars, n_sectors))
    beta = rng.normal(1.0, 0.25, size=n_symbols)
    gamma = rng.normal(1.0, 0.3, size=n_symbols)
    idio_vol = rng.uniform(0.008, 0.03, size=n_symbols) * scale
    calm = (sector_vol / (0.008 * scale))[:, sector]  # idiosyncratic vol clusters with the sector
    ret = np.outer(market, beta) + sector_ret[:, sector] * gamma
    ret += rng.standard_normal((bars, n_symbols)) * idio_vol * calm

    # Life spans: most symbols trade from the start, some list later, some delist.
    listed = np.where(
        rng.random(n_symbols) < _LISTED_AT_START, 0, rng.integers(0, bars, size=n_symbols)
    )
    delisted = np.where(
        rng.random(n_symbols) < _DELISTED, rng.integers(0, bars, size=n_symbols) + 1, bars
    )
    delisted = np.maximum(delisted, listed + 1)
    t = np.arange(bars)[:, None]
    alive = (t >= listed) & (t < delisted)

    # Suspensions: flat bars (no trade) or missing rows.
    suspended = _episodes(rng, bars, n_symbols, per_year=0.6, max_len=15 if freq == "1d" else 600)
    missing_kind = rng.random(n_symbols) < _SUSPENDED_AS_MISSING
    ret[suspended] = 0.0
    close = rng.uniform(5.0, 200.0, size=n_symbols) * np.exp(np.cumsum(ret, axis=0))

    regime = _regimes(rng, bars, n_sectors)[:, sector]
    base_volume = np.exp(rng.normal(14.0, 1.0, size=n_symbols)) * (scale**2)
    volume = (
        base_volume
        * np.exp(0.9 * regime + 0.35 * rng.standard_normal((bars, n_symbols)))
        * (1.0 + 40.0 * np.abs(ret) / scale)
    )
    volume = np.round(volume / 100.0) * 100.0
    volume[suspended] = 0.0
    amount = volume * close
    float_shares = np.exp(rng.normal(19.0, 1.2, size=n_symbols))
    float_mcap = close * float_shares

    keep = alive & ~(suspended & missing_kind)
    rows, cols = np.nonzero(keep)
    names = pl.Series("symbol", [f"S{i:05d}" for i in range(n_symbols)])
    sectors = pl.Series("sector", list(SECTORS))
    per_day = _BARS_PER_DAY if freq == "1min" else 1
    fundamentals = _fundamentals(seed, float_mcap, sector, per_day)
    return pl.DataFrame(
        {
            "date": _timestamps(n_days, freq).gather(rows),
            "symbol": names.gather(cols),
            "sector": sectors.gather(sector[cols]),
            "close": close[rows, cols],
            "volume": volume[rows, cols],
            "amount": amount[rows, cols],
            "float_mcap": float_mcap[rows, cols],
            **{name: values[rows, cols] for name, values in fundamentals.items()},
        }
    )


def _fundamentals(
    seed: int, float_mcap: np.ndarray, sector: np.ndarray, per_day: int
) -> dict[str, np.ndarray]:
    """Total cap, TTM earnings, book equity and forward earnings (bars x symbols).

    From their own random stream, so the price and volume columns do not depend on them.
    Earnings, book and forward earnings are reported quarterly (every 63 trading days) and
    held between reports: TTM earnings are an earnings yield (AR(1) around each stock's mean,
    with loss-making spells) times the cap at the report; every member of one sector reports
    losses for a spell of quarters, so its summed earnings turn negative.
    """
    rng = np.random.default_rng([seed, 2])
    bars, n = float_mcap.shape
    mcap = float_mcap * rng.uniform(1.0, 2.5, size=n)
    quarter = _QUARTER * per_day
    quarters = bars // quarter + 1
    quarter_of_bar = np.arange(bars) // quarter
    at_report = mcap[np.minimum(np.arange(quarters) * quarter, bars - 1)]
    shocks = rng.normal(0.0, 0.015, size=(quarters, n))
    ey = np.empty((quarters, n))
    ey[0] = shocks[0] / np.sqrt(1 - 0.7**2)
    for q in range(1, quarters):
        ey[q] = 0.7 * ey[q - 1] + shocks[q]
    ey += rng.normal(0.06, 0.025, size=n)
    ey -= 0.1 * _episodes(rng, quarters, n, per_year=0.3 * 250 / 4, max_len=4)
    spell = slice(int(_LOSS_SPELL[0] * quarters), max(1, int(np.ceil(_LOSS_SPELL[1] * quarters))))
    losing = sector == _LOSS_SECTOR
    ey[spell, losing] = -np.abs(ey[spell, losing]) - 0.02
    earnings = ey * at_report
    book = np.exp(rng.normal(np.log(0.5), 0.4, size=n) + rng.normal(0.0, 0.05, size=(quarters, n)))
    growth = rng.normal(0.12, 0.15, size=(quarters, n))
    forward = np.where(earnings > 0, earnings * (1 + growth), 0.02 * at_report)
    return {
        "mcap": mcap,
        "net_profit_ttm": earnings[quarter_of_bar],
        "book_equity": (book * at_report)[quarter_of_bar],
        "forward_earnings": forward[quarter_of_bar],
    }


def ff49_sectors() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The bundled Ken French 49 industries as index levels, and the market.

    Levels start at 1000 and chain the daily returns: ``date, sector, close`` and ``date, close``.
    """
    path = Path(__file__).parent / "data" / "ff49_industries_vw_daily.parquet"
    wide = pl.read_parquet(path)
    levels = wide.select("date", (pl.exclude("date") + 1.0).cum_prod() * 1000.0)
    market = levels.select("date", pl.col("market").alias("close"))
    sectors = levels.drop("market").unpivot(
        index="date", variable_name="sector", value_name="close"
    )
    return sectors.sort("sector", "date"), market


#: Per market: session minutes (bar stamps) and whether stamps mark a minute's end.
_MINUTE_STAMPS = {
    "cn": (np.concatenate([np.arange(570, 690), np.arange(780, 900)]) + 1),
    "us": np.arange(570, 960),
}
_LIMIT = 0.10  # A-share daily price limit
_OPENING = 30  # the opening minutes the planted imbalance moves
_DRIFT_DAYS = 0.01  # share of symbol-days with a strong drift (most end at a price limit)


def _planted(
    n_days: int, daily_vol: np.ndarray, minutes: int, seed: int, signal: float
) -> Callable[[int], np.ndarray]:
    """The planted signal's returns of day ``d`` (minutes x symbols), from its own stream.

    Each symbol-day's opening order-flow imbalance ``z`` tilts its first 30 minutes by 0.3
    daily standard deviations and its drift over days d+2..d+6 by ``signal`` in all.
    """
    n_symbols = daily_vol.size
    imbalance = np.random.default_rng([seed, 1]).standard_normal((n_days, n_symbols))
    pending = np.zeros((n_days + 7, n_symbols))
    opening = (np.arange(minutes) < _OPENING)[:, None]

    def day(d: int) -> np.ndarray:
        z = imbalance[d] * daily_vol
        pending[d + 2 : d + 7] += signal * z / 5
        tilt: np.ndarray = opening * (0.3 / _OPENING) * z + pending[d] / minutes
        return tilt

    return day


def _minute_days(
    n_symbols: int, n_days: int, market: str, seed: int, signal: float = 0.0
) -> Iterator[pl.DataFrame]:
    """The days of :func:`synthetic_minute_bars`, one frame each (time-major rows)."""
    if n_symbols < 1 or n_days < 1:
        msg = f"n_symbols and n_days must be >= 1, got {n_symbols} and {n_days}"
        raise ValueError(msg)
    if market not in _MINUTE_STAMPS:
        msg = f"market must be one of {sorted(_MINUTE_STAMPS)}, got {market!r}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    stamps = _MINUTE_STAMPS[market].astype("timedelta64[m]")
    s = len(stamps)
    # U-shaped intraday volume and volatility: heavy at the open and the close.
    u = np.linspace(-1.0, 1.0, s)
    shape = 0.55 + 1.6 * u**2
    sector = rng.integers(0, len(SECTORS), size=n_symbols)
    close = rng.uniform(5.0, 200.0, size=n_symbols)
    daily_vol = rng.uniform(0.012, 0.035, size=n_symbols)
    base_volume = np.exp(rng.normal(9.0, 1.0, size=n_symbols))
    names = pl.Series("symbol", [f"S{i:05d}" for i in range(n_symbols)])
    sectors = pl.Series("sector", list(SECTORS)).gather(sector)
    days = np.busday_offset(np.datetime64("2024-01-02"), np.arange(n_days), roll="forward")
    suspended = _episodes(rng, n_days, n_symbols, per_year=0.5, max_len=10)
    planted = _planted(n_days, daily_vol, s, seed, signal)
    for d, day in enumerate(days):
        market_r = rng.normal(0.0, 0.012 / np.sqrt(s), size=s)
        drift = np.where(
            rng.random(n_symbols) < _DRIFT_DAYS, rng.choice([-0.2, 0.2], n_symbols), 0.0
        )
        sigma = daily_vol / np.sqrt(s) * np.sqrt(shape)[:, None]
        r = market_r[:, None] + sigma * rng.standard_normal((s, n_symbols)) + drift / s
        if signal:
            r += planted(d)
        gap = np.exp(rng.normal(0.0, 0.004, size=n_symbols))
        path = close * gap * np.exp(np.cumsum(r, axis=0))
        at_limit = np.zeros(path.shape, dtype=bool)
        if market == "cn":  # limit-up and limit-down days stick at +-10% of the last close
            lo, hi = close * (1 - _LIMIT), close * (1 + _LIMIT)
            at_limit = (path <= lo) | (path >= hi)
            path = np.clip(path, lo, hi)
        path = np.round(path, 2)
        opens = np.vstack([np.round(close * gap, 2), path[:-1]])
        wiggle = np.abs(rng.normal(0.0, 0.0008, size=(2, s, n_symbols)))
        wiggle[:, at_limit] = 0.0  # a sealed limit trades at one price
        high = np.round(np.maximum(opens, path) * (1 + wiggle[0]), 2)
        low = np.round(np.minimum(opens, path) * (1 - wiggle[1]), 2)
        noise = np.exp(0.5 * rng.standard_normal((s, n_symbols)))
        raw = base_volume * shape[:, None] * noise
        volume = np.round(np.where(at_limit, 0.1 * raw, raw)) * 100.0
        live = ~suspended[d]
        cols = np.flatnonzero(live)
        rows = np.repeat(np.arange(s), len(cols))
        take = np.tile(cols, s)
        when = (day.astype("datetime64[m]") + stamps).astype("datetime64[us]")
        yield pl.DataFrame(
            {
                "datetime": pl.Series(when).gather(rows),
                "symbol": names.gather(take),
                "sector": sectors.gather(take),
                "open": opens[rows, take],
                "high": high[rows, take],
                "low": low[rows, take],
                "close": path[rows, take],
                "volume": volume[rows, take],
                "amount": volume[rows, take] * path[rows, take],
            }
        )
        close = np.where(live, path[-1], close)


def synthetic_minute_bars(
    n_symbols: int = 100, n_days: int = 20, market: str = "cn", seed: int = 0, signal: float = 0.0
) -> pl.DataFrame:
    """One-minute bars of a synthetic market, sorted by time then symbol.

    Columns ``datetime, symbol, sector, open, high, low, close, volume, amount``.

    ``market="cn"``: 240 bars a day stamped at each minute's end (09:31-11:30, 13:01-15:00, the
    lunch break empty), daily price limits of ±10% that days of strong drift run into (the bars
    then stick at the limit on a tenth of the volume); ``"us"``: 390 bars stamped at each
    minute's start (09:30-15:59). Volume and volatility follow an intraday U-shape; symbols
    are suspended for whole days now and then (no rows). Deterministic for a seed; see
    :func:`write_minute_bars` for datasets larger than memory.

    ``signal`` plants a weak, known pattern for the sequence models to find: each symbol-day
    draws an opening order-flow imbalance ``z ~ N(0, 1)`` that moves its first 30 minutes by
    ``0.3 z`` daily standard deviations and its return from the next close over the five days
    after (the label of :func:`sectorflow.sequence_features` with ``horizon=5``) by
    ``signal z`` daily standard deviations. 0 (the default) plants nothing.
    """
    return pl.concat(list(_minute_days(n_symbols, n_days, market, seed, signal)))


def write_minute_bars(
    path: str | Path,
    n_symbols: int = 5_000,
    n_days: int = 250,
    market: str = "cn",
    seed: int = 0,
) -> Path:
    """:func:`synthetic_minute_bars` written day by day as a hive-partitioned parquet dataset.

    One file a day (``path/date=YYYY-MM-DD/bars.parquet``), never more than a day in memory:
    5,000 symbols x 250 days is the 300M-row year of A-share minutes. Returns ``path``.
    """
    root = Path(path)
    for day in _minute_days(n_symbols, n_days, market, seed):
        folder = root / f"date={day.item(0, 'datetime').date()}"
        folder.mkdir(parents=True, exist_ok=True)
        day.write_parquet(folder / "bars.parquet", row_group_size=1 << 20)
    return root
