"""Minute bars: session bars, daily bars and intraday features against pandas and numpy.

The references are written here: a pandas group-by over the session minutes for the bars, and
a plain loop over each symbol's day for the features. Nothing is shared with the library but
the inputs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sectorflow as sf
from tests.data import DATA, needs_data

US = DATA / "us_intraday_1min_bars.csv"


def us_minutes() -> pl.DataFrame:
    frame = pl.read_csv(US, try_parse_dates=True)
    return frame.rename({"datetime_et": "datetime"}).drop("source")


def reference_bars(frame: pd.DataFrame, k: int, segments: list[tuple[int, int]]) -> pd.DataFrame:
    """k-minute bars of the session minutes (minute starts), each segment cut from its start."""
    f = frame.dropna(subset=["close"]).copy()
    minute = f["datetime"].dt.hour * 60 + f["datetime"].dt.minute
    f["start"] = np.nan
    for lo, hi in segments:
        inside = (minute >= lo) & (minute < hi)
        f.loc[inside, "start"] = lo + (minute[inside] - lo) // k * k
    f = f.dropna(subset=["start"])
    f["day"] = f["datetime"].dt.normalize()
    for c in ("open", "high", "low"):
        f[c] = f[c].fillna(f["close"])
    f["volume"] = f["volume"].fillna(0.0)
    f["amount"] = f["close"] * f["volume"]
    g = f.groupby(["symbol", "day", "start"], sort=True)
    out = g.agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
        amount=("amount", "sum"),
        minutes=("close", "size"),
    ).reset_index()
    out["datetime"] = out["day"] + pd.to_timedelta(out["start"], unit="min")
    return out


@needs_data
@pytest.mark.parametrize("k", [30, 60, 390])
def test_us_session_bars_equal_a_pandas_group_by_of_the_regular_session(k: int) -> None:
    minutes = us_minutes()
    got = sf.resample_bars(minutes, every=k, session="us")
    want = reference_bars(minutes.to_pandas(), k, [(570, 960)])
    assert got.height == len(want)
    assert got.get_column("datetime").to_list() == list(want["datetime"].dt.to_pydatetime())
    assert got.get_column("symbol").to_list() == want["symbol"].to_list()
    for c in ("open", "high", "low", "close", "volume", "amount"):
        np.testing.assert_allclose(got.get_column(c).to_numpy(), want[c].to_numpy(), rtol=1e-12)
    assert got.get_column("minutes").to_list() == want["minutes"].to_list()
    # The last 60-minute bar of a US day is half an hour: 15:30 to 16:00.
    ends = got.get_column("end").dt.time().unique().to_list()
    assert max(ends) == dt.time(16, 0)


@needs_data
def test_us_daily_bars_count_390_minutes_and_skip_the_empty_rows() -> None:
    minutes = us_minutes()
    daily = sf.intraday_features(minutes, session="us")
    spy = daily.filter((pl.col("symbol") == "SPY") & (pl.col("date") <= dt.date(2013, 10, 11)))
    assert spy.get_column("minutes").to_list() == [390] * spy.height
    # Two rows have an empty OHLCV: skipped, so their day counts the minutes with a close.
    empty = minutes.filter(pl.col("close").is_null())
    assert empty.height == 2
    for row in empty.iter_rows(named=True):
        day = row["datetime"].date()
        present = minutes.filter(
            (pl.col("symbol") == row["symbol"])
            & (pl.col("datetime").dt.date() == day)
            & pl.col("close").is_not_null()
            & (pl.col("datetime").dt.time() >= dt.time(9, 30))
            & (pl.col("datetime").dt.time() < dt.time(16, 0))
        ).height
        got = daily.filter((pl.col("symbol") == row["symbol"]) & (pl.col("date") == day))
        assert got.get_column("minutes").to_list() == [present]
    # AAPL's 7:1 split between 06-06 and 06-09: raw prices, so the overnight return shows it.
    aapl = daily.filter(pl.col("symbol") == "AAPL").sort("date")
    overnight = aapl.get_column("overnight_return").to_list()
    assert overnight[0] is None
    assert overnight[2] == pytest.approx(
        aapl.get_column("open")[2] / aapl.get_column("close")[1] - 1.0, rel=1e-12
    )
    assert overnight[2] < -0.8


def exact_corr(c: np.ndarray, v: np.ndarray) -> float:
    """Pearson's correlation in exact rational arithmetic (numpy's drifts on closes that differ
    in the sixth digit); NaN for a constant column."""
    xs, ys = [Fraction(x) for x in c], [Fraction(y) for y in v]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    if sxx == 0 or syy == 0:
        return math.nan
    return float(sxy) / math.sqrt(float(sxx) * float(syy))


def loop_features(day: pd.DataFrame, previous_close: float, session_minutes: int) -> dict[str, Any]:
    """The features of one symbol's day, minute by minute (slots given)."""
    c = day["close"].to_numpy(float)
    v = day["volume"].to_numpy(float)
    o = day["open"].to_numpy(float)
    slot = day["slot"].to_numpy(int)
    r = [math.log(c[i] / c[i - 1]) for i in range(1, len(c))]
    rv = sum(x * x for x in r) if r else math.nan
    skew = math.sqrt(len(r)) * sum(x**3 for x in r) / rv**1.5 if r and rv > 0 else math.nan
    volume = v.sum()
    amount = float((c * v).sum())
    first = [i for i in range(len(c)) if slot[i] < 30]
    last = [i for i in range(len(c)) if slot[i] >= session_minutes - 30]
    before = [i for i in range(len(c)) if slot[i] < session_minutes - 30]
    peak, worst = o[0], 0.0
    for x in c:
        peak = max(peak, x)
        worst = max(worst, 1.0 - x / peak)
    corr = exact_corr(c, v)
    share = (lambda x: x / volume) if volume > 0 else (lambda _: math.nan)
    return {
        "realized_variance": rv,
        "realized_skew": skew,
        "intraday_return": c[-1] / o[0] - 1.0,
        "overnight_return": o[0] / previous_close - 1.0,
        "first_30_return": c[first[-1]] / o[0] - 1.0 if first else math.nan,
        "first_30_volume_share": share(v[first].sum()),
        "last_30_return": c[last[-1]] / c[before[-1]] - 1.0 if last and before else math.nan,
        "last_30_volume_share": share(v[last].sum()),
        "amihud": abs(c[-1] / previous_close - 1.0) / amount if amount > 0 else math.nan,
        "max_drawdown": worst,
        "volume_price_corr": corr,
    }


CN = [(570, 690), (780, 900)]


@st.composite
def cn_minutes(draw: st.DrawFn) -> pl.DataFrame:
    """Random A-share minutes (stamped at the minute's end) with gaps, for 1-3 symbols."""
    slots = [m for lo, hi in CN for m in range(lo, hi)]
    rows = []
    for symbol in ["A", "B", "C"][: draw(st.integers(1, 3))]:
        price = draw(st.floats(5, 50))
        for day in range(draw(st.integers(1, 3))):
            date = dt.datetime(2024, 3, 4 + day)
            kept = draw(st.lists(st.sampled_from(slots), min_size=1, max_size=60, unique=True))
            for m in sorted(kept):
                step = draw(st.floats(-0.02, 0.02))
                price *= 1.0 + step
                rows.append(
                    (
                        date + dt.timedelta(minutes=m + 1),
                        symbol,
                        price * (1.0 - step / 2),
                        price * 1.01,
                        price * 0.99,
                        price,
                        float(draw(st.integers(0, 1000))),
                    )
                )
    schema = ["datetime", "symbol", "open", "high", "low", "close", "volume"]
    return pl.DataFrame(rows, schema=schema, orient="row")


@given(minutes=cn_minutes(), k=st.sampled_from([5, 15, 30, 45, 60, 120]))
@settings(max_examples=60, deadline=None)
def test_cn_bars_and_features_equal_their_references(minutes: pl.DataFrame, k: int) -> None:
    got = sf.minute_bars(minutes, every=k, session="cn")
    frame = minutes.to_pandas()
    # A-share stamps mark the minute's end: the reference works on minute starts.
    starts = frame.assign(datetime=frame["datetime"] - pd.Timedelta(minutes=1))
    want = reference_bars(starts, k, CN)
    assert got.bars is not None
    assert got.bars.get_column("datetime").to_list() == list(want["datetime"].dt.to_pydatetime())
    for c in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(got.bars.get_column(c).to_numpy(), want[c].to_numpy())
    assert got.bars.get_column("minutes").to_list() == want["minutes"].to_list()
    # Features: a loop over each symbol's day.
    starts["slot"] = starts["datetime"].apply(
        lambda t: next(
            sum(h - lo for lo, h in CN[:i]) + t.hour * 60 + t.minute - lo
            for i, (lo, hi) in enumerate(CN)
            if lo <= t.hour * 60 + t.minute < hi
        )
    )
    starts["date"] = starts["datetime"].dt.date
    daily = got.daily
    for symbol, rows in starts.groupby("symbol"):
        previous = math.nan
        for date, day in rows.groupby("date"):
            want_f = loop_features(day, previous, 240)
            row = daily.filter((pl.col("symbol") == symbol) & (pl.col("date") == date)).row(
                0, named=True
            )
            for name, value in want_f.items():
                have = row[name]
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    assert have is None, (name, have)
                else:
                    assert have == pytest.approx(value, rel=1e-9, abs=1e-12), name
            previous = float(day["close"].iloc[-1])


@needs_data
def test_batches_and_files_that_split_a_day_give_the_one_pass_result(tmp_path: Path) -> None:
    minutes = us_minutes()
    whole = sf.minute_bars(minutes, every=15, session="us")
    # Three files cut inside days (every symbol's rows stay in time order across them).
    ordered = minutes.sort("datetime", "symbol")
    folder = tmp_path / "bars"
    folder.mkdir()
    cuts = [0, 20_001, 41_333, ordered.height]
    for i, (a, b) in enumerate(itertools.pairwise(cuts)):
        ordered.slice(a, b - a).write_parquet(folder / f"part-{i}.parquet", row_group_size=997)
    for source in (folder, str(folder / "*.parquet")):
        split = sf.minute_bars(source, every=15, session="us", batch_rows=1_000)
        assert split.daily.equals(whole.daily)
        assert split.bars is not None
        assert whole.bars is not None
        assert split.bars.equals(whole.bars)


def two_bars(first: dt.datetime, second: dt.datetime) -> pl.DataFrame:
    """Two minute bars of symbol A, closing at 1 then 2."""
    return pl.DataFrame(
        {
            "datetime": [first, second],
            "symbol": ["A", "A"],
            "open": [1.0, 2.0],
            "high": [1.0, 2.0],
            "low": [1.0, 2.0],
            "close": [1.0, 2.0],
            "volume": [1.0, 1.0],
        }
    )


def test_tz_aware_stamps_are_read_in_the_sessions_zone() -> None:
    naive = two_bars(dt.datetime(2024, 3, 4, 9, 31), dt.datetime(2024, 3, 4, 9, 32))
    aware = naive.with_columns(
        pl.col("datetime").dt.replace_time_zone("Asia/Shanghai").dt.convert_time_zone("UTC")
    )
    assert sf.intraday_features(aware).equals(sf.intraday_features(naive))


def test_weekly_bars_equal_pandas_resample_to_fridays() -> None:
    daily = sf.datasets.synthetic_market(n_symbols=3, n_days=40, seed=2).select(
        "date", "symbol", pl.col("close").alias("open"), pl.col("close").alias("high"),
        pl.col("close").alias("low"), "close", "volume", "amount",
    )  # fmt: skip
    got = sf.weekly_bars(daily)
    frame = daily.to_pandas()
    frame["date"] = pd.to_datetime(frame["date"])
    for symbol, rows in frame.groupby("symbol"):
        r = rows.set_index("date").resample("W-FRI")
        want = pd.DataFrame(
            {
                "open": r["open"].first(),
                "high": r["high"].max(),
                "low": r["low"].min(),
                "close": r["close"].last(),
                "volume": r["volume"].sum(),
            }
        ).dropna()
        mine = got.filter(pl.col("symbol") == symbol)
        for c in want.columns:
            np.testing.assert_allclose(mine.get_column(c).to_numpy(), want[c].to_numpy())


def test_bad_minute_bars_are_refused_naming_the_row() -> None:
    bars = two_bars(dt.datetime(2024, 3, 4, 9, 31), dt.datetime(2024, 3, 4, 9, 31))
    with pytest.raises(ValueError, match=r"row 1: a second bar for symbol='A'"):
        sf.intraday_features(bars)
    backwards = bars.with_columns(
        pl.Series("datetime", [dt.datetime(2024, 3, 4, 9, 32), dt.datetime(2024, 3, 4, 9, 31)])
    )
    with pytest.raises(ValueError, match=r"row 1: symbol=.A. .* is not after row 0"):
        sf.intraday_features(backwards)
    early = bars.with_columns(
        pl.Series("datetime", [dt.datetime(2024, 3, 4, 9, 26), dt.datetime(2024, 3, 4, 9, 31)])
    )
    with pytest.raises(ValueError, match=r"row 0: .* is outside the session"):
        sf.intraday_features(early, outside="refuse")
    assert sf.intraday_features(early).get_column("minutes").to_list() == [1]
    with pytest.raises(ValueError, match="bars: no column 'volume'"):
        sf.intraday_features(bars.drop("volume"))
    with pytest.raises(TypeError, match="column 'close' must be numeric"):
        sf.intraday_features(bars.with_columns(pl.col("close").cast(pl.String)))
    with pytest.raises(ValueError, match="session must be one of"):
        sf.intraday_features(bars, session="tokyo")
    with pytest.raises(ValueError, match="every must be"):
        sf.resample_bars(bars, every="fortnight")


def test_carried_columns_come_from_each_days_last_minute_used(tmp_path: Path) -> None:
    bars = sf.datasets.synthetic_minute_bars(n_symbols=30, n_days=4, seed=5)
    bars = bars.with_columns(
        (pl.col("close") * 1000 + pl.int_range(pl.len())).alias("float_mcap"),
        # A dropped lunch-break minute and a missing close never supply the carried values.
    )
    extra = bars.filter(pl.col("datetime").dt.time() == dt.time(15, 0)).with_columns(
        pl.col("datetime") + pl.duration(minutes=5), pl.lit(-1.0).alias("float_mcap")
    )
    bars = pl.concat([bars, extra]).sort("datetime", "symbol")
    got = sf.minute_bars(bars, carry=["sector", "float_mcap"], batch_rows=3_000)
    used = bars.filter(pl.col("datetime").dt.time() <= dt.time(15, 0))
    want = used.group_by("symbol", pl.col("datetime").dt.date().alias("date")).agg(
        pl.col("sector").last(), pl.col("float_mcap").last()
    )
    joined = got.daily.join(want, on=["symbol", "date"], suffix="_want")
    assert joined.height == got.daily.height
    assert joined.get_column("float_mcap").equals(
        joined.get_column("float_mcap_want"), check_names=False
    )
    assert (joined.get_column("sector") == joined.get_column("sector_want")).all()
    folder = tmp_path / "minutes"
    folder.mkdir()
    bars.write_parquet(folder / "all.parquet", row_group_size=2_000)
    from_files = sf.minute_bars(folder, carry=["sector", "float_mcap"], batch_rows=2_500)
    assert from_files.daily.equals(got.daily)


def test_refused_rows_are_named_within_their_file(tmp_path: Path) -> None:
    bars = sf.datasets.synthetic_minute_bars(n_symbols=5, n_days=2, seed=1)
    folder = tmp_path / "bars"
    folder.mkdir()
    first, second = bars.slice(0, 1000), bars.slice(1000)
    first.write_parquet(folder / "a.parquet")
    # The second file repeats a bar of its own (its row 7 again as row 8).
    second = pl.concat([second.slice(0, 8), second.slice(7)])
    second.write_parquet(folder / "b.parquet")
    with pytest.raises(
        sf.BarsError, match=r"b\.parquet: row 8: a second bar for symbol=.* \(the first: row 7\)"
    ) as err:
        sf.intraday_features(folder, batch_rows=300)
    assert err.value.source.endswith("b.parquet")
    # A bar earlier than one in the first file.
    early = pl.concat([bars.slice(0, 1), second])
    early.write_parquet(folder / "b.parquet")
    with pytest.raises(
        sf.BarsError, match=r"b\.parquet: row 0: .* is not after a bar of an earlier file"
    ):
        sf.intraday_features(folder)
    first.with_columns(pl.col("close").cast(pl.String)).write_parquet(folder / "a.parquet")
    with pytest.raises(TypeError, match=r"a\.parquet: column 'close' must be numeric"):
        sf.intraday_features(folder)


@pytest.mark.parametrize("weight", ["float_mcap", "equal"])
def test_sector_means_of_features_equal_a_pandas_weighted_group_by(weight: str) -> None:
    bars = sf.datasets.synthetic_minute_bars(n_symbols=40, n_days=6, seed=9)
    bars = bars.with_columns((pl.col("close") * 1e6).alias("float_mcap"))
    daily = sf.minute_bars(bars, carry=["sector", "float_mcap"]).daily
    columns = ["realized_volatility", "last_30_return", "volume_price_corr"]
    got = sf.sector_means(daily, columns, weight=weight)  # type: ignore[arg-type]
    frame = daily.to_pandas().sort_values(["symbol", "date"])
    frame["w"] = frame.groupby("symbol")["float_mcap"].shift(1) if weight == "float_mcap" else 1.0
    for (date, sector), g in frame.groupby(["date", "sector"]):
        row = got.filter((pl.col("date") == date) & (pl.col("sector") == sector)).row(0, named=True)
        assert row["members"] == len(g)
        for c in columns:
            ok = g[c].notna() & g["w"].notna()
            want = (
                (g.loc[ok, c] * g.loc[ok, "w"]).sum() / g.loc[ok, "w"].sum() if ok.any() else None
            )
            if want is None or math.isnan(want):
                assert row[c] is None
            else:
                assert row[c] == pytest.approx(want, rel=1e-12), c


def test_sector_means_do_not_depend_on_the_row_order_or_chunks() -> None:
    bars = sf.datasets.synthetic_minute_bars(n_symbols=60, n_days=5, seed=4)
    bars = bars.with_columns((pl.col("close") * 1e6).alias("float_mcap"))
    daily = sf.minute_bars(bars, carry=["sector", "float_mcap"]).daily
    columns = ["realized_variance", "amihud", "max_drawdown"]
    want = sf.sector_means(daily, columns)
    shuffled = daily.sample(fraction=1.0, shuffle=True, seed=3)
    chunked = pl.concat([shuffled.slice(0, 101), shuffled.slice(101)], rechunk=False)
    assert sf.sector_means(chunked, columns).equals(want)


def test_daily_resampling_is_the_daily_bar_of_minute_bars() -> None:
    bars = sf.datasets.synthetic_minute_bars(n_symbols=10, n_days=3, seed=6)
    daily = sf.resample_bars(bars, every="1d")
    full = sf.intraday_features(bars)
    assert daily.columns == [
        "date", "symbol", "open", "high", "low", "close", "volume", "amount", "vwap", "minutes",
    ]  # fmt: skip
    assert daily.equals(full.select(daily.columns))
    assert sf.resample_bars(bars, every="2h").get_column("minutes").max() == 120


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_row_order_threads_and_symbol_encoding_do_not_change_the_bars(threads: int) -> None:
    # 200 symbols span four blocks of the core's shards; rows time-major, symbol-major, or
    # shuffled keeping each symbol's time order; symbols as strings or a dictionary.
    bars = sf.datasets.synthetic_minute_bars(n_symbols=200, n_days=3, seed=11)
    want = sf.minute_bars(bars, every=30)
    rng = np.random.default_rng(3)
    shuffled = (
        bars.with_columns(key=pl.Series(rng.random(bars.height)))
        .with_columns(pl.col("key").sort().over("symbol"))
        .sort("key")
        .drop("key")
    )
    before = sf.get_num_threads()
    try:
        sf.set_num_threads(threads)
        for frame in (bars.sort("symbol", "datetime"), shuffled):
            for source in (frame, frame.with_columns(pl.col("symbol").cast(pl.Categorical))):
                got = sf.minute_bars(source, every=30)
                assert got.daily.equals(want.daily)
                assert got.bars is not None
                assert want.bars is not None
                assert got.bars.equals(want.bars)
    finally:
        sf.set_num_threads(before)


def test_dictionary_symbols_from_parquet_equal_string_symbols(tmp_path: Path) -> None:
    bars = sf.datasets.synthetic_minute_bars(n_symbols=150, n_days=2, seed=12)
    bars.write_parquet(tmp_path / "bars.parquet", row_group_size=5_000)
    import pyarrow.parquet as pq

    as_dictionary = pq.read_table(tmp_path / "bars.parquet", read_dictionary=["symbol"])
    want = sf.minute_bars(bars, every=15)
    for source in (tmp_path / "bars.parquet", as_dictionary):
        got = sf.minute_bars(source, every=15, batch_rows=7_000)
        assert got.daily.equals(want.daily)
        assert got.bars is not None
        assert want.bars is not None
        assert got.bars.equals(want.bars)


def test_the_first_refused_row_is_named_across_symbol_blocks() -> None:
    # S069 (the core's second block of symbols) repeats its 09:31 bar at row 140; S001 (the
    # first block, read first) goes back in time at row 143: the earlier row is named.
    stamp = dt.datetime(2024, 3, 4, 9, 31)
    rows = [(stamp, f"S{s:03d}") for s in range(71)] * 2 + [
        (stamp + dt.timedelta(minutes=1), "S000"),
        (stamp, "S001"),
    ]
    times, symbols = zip(*rows, strict=True)
    times = list(times)
    times[71:142] = [stamp + dt.timedelta(minutes=1)] * 71
    times[140] = stamp  # S069 again at 09:31: row 140
    frame = pl.DataFrame({"datetime": times, "symbol": list(symbols)}).with_columns(
        *(pl.lit(1.0).alias(c) for c in ("open", "high", "low", "close", "volume"))
    )
    for threads in (1, 2):
        before = sf.get_num_threads()
        try:
            sf.set_num_threads(threads)
            with pytest.raises(ValueError, match=r"row 140: a second bar for symbol='S069'"):
                sf.intraday_features(frame)
        finally:
            sf.set_num_threads(before)
