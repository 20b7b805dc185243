"""Feature sequences and labels for sequence models (the GRU factor), for all dates at once.

Each entity's bars (daily, 60- or 30-minute: :func:`sectorflow.minute_bars` output) become one
float32 block ``[days * bars_per_day, F]`` of stationary features (``P`` the entity's last close
before the bar's day; ``V``, ``A`` the mean volume and amount per bar present over the previous
``average_days`` days)::

    open, high, low, close, vwap    x / P - 1
    log_volume, log_amount          ln(1 + volume / V), ln(1 + amount / A)
    bar_return, bar_range           close / open - 1, (high - low) / open
    extra columns                   as given (e.g. the day's intraday features)

The input of the sample (entity, day ``t``) is the ``lookback`` days ``t - lookback + 1 .. t``:
``lookback * bars_per_day`` consecutive rows of the block, so :meth:`Sequences.windows` is a
strided view of every sample with no copy (:func:`sectorflow.models.gru.windows_tensor` is the
same view in torch). Its label
reads only days after ``t``: the forward return ``C[t + 1 + horizon] / C[t + 1] - 1`` (``C`` the
day's close; bought at the next close, as :func:`sectorflow.backtest` with ``lag=1``), ranked
across the entities of the day and scaled to unit variance, ``(pct_rank - 0.5) * sqrt(12)``
(qlib's ``CSRankNorm``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from sectorflow._frames import to_polars
from sectorflow.cross_section import cs_rank
from sectorflow.tables import SEQUENCE_FEATURES, sequence_features_of

__all__ = ["Sequences", "industry_sequences", "sequence_features"]

_VALUES = ("open", "high", "low", "close", "vwap", "volume", "amount")


@dataclass(frozen=True)
class Sequences:
    """Feature blocks, labels and their index; see the module.

    ``features``: float32 ``[entities, days * bars_per_day, F]``; ``day_close``,
    ``forward_return`` and ``label``: ``[entities, days]`` (NaN where unknown).
    """

    features: np.ndarray
    names: list[str]
    entities: list[str]
    dates: list[dt.date]
    bars_per_day: int
    lookback: int
    horizon: int
    day_close: np.ndarray
    forward_return: np.ndarray
    label: np.ndarray

    @property
    def first_day(self) -> int:
        """The first day with a full lookback."""
        return self.lookback - 1

    def windows(self) -> np.ndarray:
        """Every sample's input, ``[entities, days - lookback + 1, lookback * bars_per_day, F]``.

        Day ``j`` of the view is calendar day ``first_day + j``. A read-only strided view of
        ``features``: no copy.
        """
        e, rows, f = self.features.shape
        days = rows // self.bars_per_day
        t = self.lookback * self.bars_per_day
        step = self.features.strides
        return np.lib.stride_tricks.as_strided(
            self.features,
            shape=(e, max(days - self.lookback + 1, 0), t, f),
            strides=(step[0], self.bars_per_day * step[1], step[1], step[2]),
            writeable=False,
        )

    def samples(self) -> pl.DataFrame:
        """One row per (entity, day) with a full lookback: ``entity, date, day, label``.

        ``day`` indexes the calendar (``windows()[e, day - first_day]`` is its input).
        """
        e, d = self.label.shape
        days = np.arange(self.first_day, d)
        return pl.DataFrame(
            {
                "entity": pl.Series(self.entities).gather(np.repeat(np.arange(e), days.size)),
                "date": pl.Series(self.dates, dtype=pl.Date).gather(np.tile(days, e)),
                "day": np.tile(days, e),
                "label": self.label[:, self.first_day :].ravel(),
            }
        )


def sequence_features(
    bars: Any,
    *,
    lookback: int = 20,
    horizon: int = 5,
    entity: str = "symbol",
    extra: Sequence[str] = (),
    average_days: int = 20,
    fill: float = 0.0,
) -> Sequences:
    """Feature sequences and rank-normalised forward-return labels of ``bars``; see the module.

    ``bars``: a polars/pandas/Arrow table with ``entity``, ``datetime`` (k-minute bars, one
    bar per time of day) or ``date`` (daily bars), ``open, high, low, close, volume`` and
    optionally ``amount`` (else ``close * volume``) and ``vwap`` (else ``amount / volume``).
    ``lookback``: days per sample; ``horizon``: days of the forward return; ``extra``: columns
    copied into the features as they are; ``fill``: the value of a missing feature (a missing
    bar, or one without the history it needs).
    """
    frame = to_polars(bars, "bars")
    for name, value in (
        ("lookback", lookback),
        ("horizon", horizon),
        ("average_days", average_days),
    ):
        if not isinstance(value, int) or value < 1:
            msg = f"{name} must be an integer >= 1, got {value!r}"
            raise ValueError(msg)
    intraday = "datetime" in frame.columns
    required = [
        entity,
        "datetime" if intraday else "date",
        "open",
        "high",
        "low",
        "close",
        "volume",
    ]
    missing = [c for c in [*required, *extra] if c not in frame.columns]
    if missing:
        msg = f"bars: no column {missing[0]!r} (columns: {frame.columns})"
        raise ValueError(msg)
    stamp = pl.col("datetime")
    day = stamp.dt.date() if intraday else pl.col("date").cast(pl.Date)
    time_of_day = stamp.dt.time() if intraday else pl.lit(0)
    amount = pl.col("amount") if "amount" in frame.columns else pl.col("close") * pl.col("volume")
    vwap = (
        pl.col("vwap")
        if "vwap" in frame.columns
        else pl.when(pl.col("volume") > 0).then(amount / pl.col("volume"))
    )
    keyed = frame.select(
        pl.col(entity).cast(pl.String).alias("__entity"),
        day.alias("__day"),
        time_of_day.alias("__time"),
        *(pl.col(c).cast(pl.Float64) for c in ("open", "high", "low", "close", "volume")),
        amount.cast(pl.Float64).alias("amount"),
        vwap.cast(pl.Float64).alias("vwap"),
        *(pl.col(c).cast(pl.Float64).alias(f"__extra_{i}") for i, c in enumerate(extra)),
    )
    codes = keyed.select(
        pl.col("__entity").rank("dense").cast(pl.UInt32) - 1,
        pl.col("__day").rank("dense").cast(pl.UInt32) - 1,
        pl.col("__time").rank("dense").cast(pl.UInt32) - 1,
    )
    entities = keyed.get_column("__entity").unique().sort().to_list()
    dates = keyed.get_column("__day").unique().sort().to_list()
    bars_per_day = keyed.get_column("__time").n_unique()
    features, day_close = sequence_features_of(
        (
            codes.to_series(0).to_numpy(),
            codes.to_series(1).to_numpy(),
            codes.to_series(2).to_numpy(),
        ),
        {c: keyed.get_column(c).to_numpy() for c in _VALUES},
        [keyed.get_column(f"__extra_{i}").to_numpy() for i in range(len(extra))],
        entities=len(entities),
        days=len(dates),
        bars_per_day=bars_per_day,
        average_days=average_days,
        fill=fill,
        where=lambda row: f"{entity}={keyed.item(row, '__entity')!r} at {keyed.item(row, '__day')}",
    )
    forward = forward_returns(day_close, horizon)
    return Sequences(
        features=features,
        names=[*SEQUENCE_FEATURES, *extra],
        entities=entities,
        dates=dates,
        bars_per_day=bars_per_day,
        lookback=lookback,
        horizon=horizon,
        day_close=day_close,
        forward_return=forward,
        label=rank_normalised(forward),
    )


def forward_returns(day_close: np.ndarray, horizon: int) -> np.ndarray:
    """``C[t + 1 + horizon] / C[t + 1] - 1`` per entity (rows) and day (columns)."""
    e, d = day_close.shape
    out = np.full((e, d), np.nan)
    if d > horizon + 1:
        entry = day_close[:, 1 : d - horizon]
        out[:, : d - horizon - 1] = day_close[:, horizon + 1 :] / entry - 1.0
    return out


def rank_normalised(values: np.ndarray) -> np.ndarray:
    """Per day (column), ``(pct_rank - 0.5) * sqrt(12)`` across the entities (rows), float32."""
    pct = np.asarray(cs_rank(np.ascontiguousarray(values.T)), dtype=np.float64)
    return ((pct - 0.5) * math.sqrt(12.0)).T.astype(np.float32)


def industry_sequences(stocks: Sequences, members: Any, *, sector: str = "sector") -> Sequences:
    """Industry sequences from member stocks' sequences (built with ``fill=nan``).

    ``members``: ``symbol, <sector>`` (one sector per symbol; symbols not in ``stocks`` are
    ignored). An industry's feature on a bar is the mean over its members with that bar, and
    its forward return the mean of its members' (an equal-weighted industry), ranked across
    industries per day for the label; a bar without any member is 0.
    """
    frame = to_polars(members, "members")
    missing = [c for c in ("symbol", sector) if c not in frame.columns]
    if missing:
        msg = f"members: no column {missing[0]!r} (columns: {frame.columns})"
        raise ValueError(msg)
    of = dict(
        zip(
            frame.get_column("symbol").cast(pl.String).to_list(),
            frame.get_column(sector).cast(pl.String).to_list(),
            strict=True,
        )
    )
    names = sorted({of[e] for e in stocks.entities if e in of})
    if not names:
        msg = "members: no symbol of the sequences has a sector"
        raise ValueError(msg)
    rows = [[i for i, e in enumerate(stocks.entities) if of.get(e) == name] for name in names]
    features = np.zeros((len(names), *stocks.features.shape[1:]), dtype=np.float32)
    forward = np.full((len(names), stocks.forward_return.shape[1]), np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a bar or day without any member
        for k, idx in enumerate(rows):
            features[k] = np.nan_to_num(np.nanmean(stocks.features[idx], axis=0), nan=0.0)
            forward[k] = np.nanmean(stocks.forward_return[idx], axis=0)
    return dataclasses.replace(
        stocks,
        features=features,
        entities=names,
        day_close=np.full(forward.shape, np.nan),
        forward_return=forward,
        label=rank_normalised(forward),
    )
