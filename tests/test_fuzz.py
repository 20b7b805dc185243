"""Hypothesis fuzzing of the kernel faces and the sector functions against their contract.

Random dtypes, shapes, memory orders and strides, NaN/±inf/huge/subnormal/-0.0 values, keys and
windows. Whatever is drawn, a call returns a result of the input's shape that is the same as the
plain float64 call, with the kernels' invariants, or raises ``ValueError``/``TypeError`` naming
the argument. The budget is the hypothesis profile (``SECTORFLOW_HYPOTHESIS=slow`` for more).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

import sectorflow as sf

NAN, INF = float("nan"), float("inf")
EDGES = [NAN, INF, -INF, 1e300, -1e300, 1e154, -1e154, 5e-324, -5e-324, -0.0, 0.0]
value = st.one_of(
    st.integers(-40, 40).map(lambda v: v / 4),
    st.integers(-40, 40).map(lambda v: v / 4),
    st.sampled_from(EDGES),
    st.floats(allow_nan=True, allow_infinity=True),
)
ARGUMENTS = ("window", "min_periods", "ddof", "x", "y", "by", "q", "periods", "span", "time")

WINDOWED = (
    "rolling_sum",
    "rolling_mean",
    "rolling_var",
    "rolling_std",
    "rolling_zscore",
    "rolling_skew",
    "rolling_kurt",
    "rolling_min",
    "rolling_max",
    "rolling_rank",
    "rolling_median",
)
PAIRS = ("rolling_cov", "rolling_corr", "rolling_beta")


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray:
    """A 1-D or 2-D array of a drawn dtype, C or Fortran order, sometimes a strided view."""
    rows = draw(st.integers(0, 40))
    cols = draw(st.one_of(st.none(), st.integers(1, 11)))
    shape = (rows,) if cols is None else (rows, cols)
    n = int(np.prod(shape))
    base = np.array(draw(st.lists(value, min_size=n, max_size=n)), dtype=np.float64).reshape(shape)
    dtype = draw(st.sampled_from(["float64", "float32", "int64", "int16", "uint8", "bool"]))
    with np.errstate(all="ignore"):
        arr = base if dtype == "float64" else np.nan_to_num(base).astype(dtype)
    if cols is not None and draw(st.booleans()):
        arr = np.asfortranarray(arr)
    if draw(st.booleans()) and rows:
        arr = np.repeat(arr, 2, axis=0)[::2]  # a strided view of the same values
    return arr


def plain(arr: np.ndarray) -> np.ndarray:
    """The float64, C-ordered copy the kernels should compute the same on."""
    return np.ascontiguousarray(arr, dtype=np.float64)


def names_an_argument(err: Exception) -> bool:
    text = str(err)
    return any(a in text for a in ARGUMENTS) and "panic" not in text.lower()


def call(name: str, x: Any, window: int, *, min_periods: int | None, ddof: int, by: Any) -> Any:
    fn = getattr(sf, name)
    if name in ("rolling_var", "rolling_std", "rolling_zscore"):
        return fn(x, window, min_periods=min_periods, ddof=ddof, by=by)
    if name == "rolling_rank":
        return fn(x, window, min_periods=min_periods, by=by)
    return fn(x, window, min_periods=min_periods, by=by)


def invariants(name: str, x: np.ndarray, out: np.ndarray) -> None:
    assert out.shape == x.shape
    if name in ("rolling_var", "rolling_std"):
        assert not (out < 0).any()
    if name == "rolling_rank":
        assert ((out > 0) & (out <= 1) | np.isnan(out)).all()
    if name in ("rolling_min", "rolling_max"):
        finite = np.isfinite(out)
        assert np.isin(out[finite], x[np.isfinite(x)]).all()  # a value of its window
    if name in ("rolling_mean", "rolling_median", "rolling_min", "rolling_max") and x.size:
        lo, hi = np.nanmin(np.where(np.isfinite(x), x, NAN), initial=INF), None
        hi = np.nanmax(np.where(np.isfinite(x), x, NAN), initial=-INF)
        inside = np.isfinite(out)
        assert (out[inside] >= lo).all()
        assert (out[inside] <= hi).all()


@given(
    arr=arrays(),
    name=st.sampled_from(WINDOWED),
    window=st.integers(-1, 45),
    min_periods=st.one_of(st.none(), st.integers(-1, 45)),
    ddof=st.integers(0, 3),
    keyed=st.booleans(),
    keys=st.lists(st.sampled_from([0.0, -0.0, 1.0, 2.0, NAN]), min_size=40, max_size=40),
)
def test_windowed_kernels_hold_the_contract(  # noqa: PLR0917 (hypothesis draws by position)
    arr: np.ndarray,
    name: str,
    window: int,
    min_periods: int | None,
    ddof: int,
    keyed: bool,
    keys: list[float],
) -> None:
    by = np.array(keys[: len(arr)]) if keyed and arr.ndim == 1 else None
    try:
        got = call(name, arr, window, min_periods=min_periods, ddof=ddof, by=by)
    except (ValueError, TypeError) as err:
        assert names_an_argument(err), err  # noqa: PT017 (the refusal is the result under test)
        with pytest.raises(type(err)):
            call(name, plain(arr), window, min_periods=min_periods, ddof=ddof, by=by)
        return
    want = call(name, plain(arr), window, min_periods=min_periods, ddof=ddof, by=by)
    assert_array_equal(got, want)  # dtype, order and strides do not change a result
    assert got.flags.c_contiguous or got.flags.f_contiguous
    invariants(name, plain(arr), got)
    if by is not None:  # a key of -0.0 is the key 0.0 (pandas.factorize)
        flipped = np.where(by == 0.0, -0.0, by)
        assert_array_equal(
            call(name, arr, window, min_periods=min_periods, ddof=ddof, by=flipped), got
        )


@given(
    a=arrays(),
    name=st.sampled_from(PAIRS),
    window=st.integers(1, 45),
    ddof=st.integers(0, 3),
    reverse=st.booleans(),
)
def test_pair_kernels_hold_the_contract(
    a: np.ndarray, name: str, window: int, ddof: int, reverse: bool
) -> None:
    with np.errstate(invalid="ignore"):
        b = a[::-1] if reverse else np.sin(plain(a))
    fn = getattr(sf, name)
    got = fn(a, b, window, min_periods=1, ddof=ddof)
    assert_array_equal(got, fn(plain(a), plain(b), window, min_periods=1, ddof=ddof))
    if name == "rolling_corr":
        assert ((got >= -1) & (got <= 1) | np.isnan(got)).all()


@given(
    x=st.lists(value, min_size=0, max_size=60),
    times=st.lists(st.integers(0, 5), min_size=60, max_size=60),
    name=st.sampled_from(["cs_rank", "cs_zscore", "cs_demean"]),
)
def test_cross_sections_hold_the_contract(x: list[float], times: list[int], name: str) -> None:
    arr = np.array(x, dtype=np.float64)
    time = np.array(times[: len(arr)])
    got = getattr(sf, name)(arr, time)
    assert got.shape == arr.shape
    if name == "cs_rank":
        assert ((got > 0) & (got <= 1) | np.isnan(got)).all()
        assert (np.isnan(got) == np.isnan(arr)).all()
    else:
        assert (np.isnan(got) | np.isfinite(arr)).all()
    # Each time's cross-section alone gives the same numbers.
    for t in np.unique(time):
        rows = time == t
        assert_array_equal(getattr(sf, name)(arr[rows], np.zeros(rows.sum())), got[rows])


@st.composite
def sector_tables(draw: st.DrawFn) -> pl.DataFrame:
    """A long ``date, sector, close`` table with gaps, bad closes and sometimes a repeated row."""
    days = draw(st.integers(1, 60))
    sectors = draw(
        st.lists(st.sampled_from(["A", "B", "C", "银行"]), min_size=1, max_size=4, unique=True)
    )
    start = dt.date(2024, 1, 1)
    rows = []
    for s in sectors:
        level = 100.0
        for d in range(days):
            if draw(st.integers(0, 9)) == 0:
                continue  # a missing bar
            level *= 1.0 + draw(st.integers(-30, 30)) / 1000
            close = draw(st.sampled_from([level] * 12 + [NAN, INF, 0.0, -1.0, None]))
            rows.append((start + dt.timedelta(days=d), s, close))
    if rows and draw(st.booleans()) and draw(st.booleans()):
        rows.append(rows[draw(st.integers(0, len(rows) - 1))])
    return pl.DataFrame(
        rows, schema={"date": pl.Date, "sector": pl.String, "close": pl.Float64}, orient="row"
    )


@given(table=sector_tables(), window=st.integers(1, 30), which=st.integers(0, 4))
def test_sector_functions_hold_the_contract(table: pl.DataFrame, window: int, which: int) -> None:
    bench = (
        table.group_by("date").agg(pl.col("close").drop_nans().mean().alias("close")).sort("date")
    )
    calls = [
        lambda: sf.excess_return(table, bench, window=window),
        lambda: sf.historical_percentile(table, "close", window=window),
        lambda: sf.drawdown(table, key="sector"),
        lambda: sf.rrg(table, bench, freq=None, window=window),
        lambda: sf.drawdown_episodes(table, key="sector", min_depth=0.01),
    ]
    try:
        out = calls[which]()
    except (ValueError, TypeError) as err:
        named = ("sectors", "series", "prices", "benchmark", "df")
        assert names_an_argument(err) or any(n in str(err) for n in named), err  # noqa: PT017
        return
    assert isinstance(out, pl.DataFrame)
    duplicated = table.select(pl.struct("date", "sector").is_duplicated().any()).item()
    assert not duplicated  # repeated rows are refused, never computed on
    for column, (lo, hi) in {
        "excess_return": (-1.0, INF),
        "close_pct": (0.0, 1.0),
        "drawdown": (-1.0, 0.0),
    }.items():
        if column in out.columns:
            v = out.get_column(column).drop_nulls().drop_nans()
            assert v.is_empty() or (lo <= v.min() and v.max() <= hi), column
