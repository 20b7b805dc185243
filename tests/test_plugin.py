"""The Polars plugin face: every kernel as an expression, equal to the numpy path.

For every kernel: the expression equals the numpy-path result (hypothesis, NaN and null as
missing), ``.over(key)`` equals per-group evaluation, lazy equals eager, the streaming engine
equals eager, and a chunked column equals a rechunked one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import sectorflow as sf
from tests.strategies import series

# name -> (positional args, keyword args, takes a second input)
KERNELS: dict[str, tuple[tuple[Any, ...], dict[str, Any], bool]] = {
    "rolling_sum": ((5,), {"min_periods": 2}, False),
    "rolling_mean": ((5,), {"min_periods": 2}, False),
    "rolling_var": ((5,), {"min_periods": 2}, False),
    "rolling_std": ((6,), {"ddof": 0}, False),
    "rolling_zscore": ((5,), {"min_periods": 3}, False),
    "rolling_skew": ((6,), {"min_periods": 3}, False),
    "rolling_kurt": ((7,), {"min_periods": 4}, False),
    "rolling_min": ((4,), {"min_periods": 1}, False),
    "rolling_max": ((4,), {}, False),
    "rolling_cov": ((5,), {"min_periods": 2}, True),
    "rolling_corr": ((6,), {"min_periods": 3}, True),
    "rolling_beta": ((6,), {"min_periods": 3}, True),
    "ewm_mean": ((), {"span": 4.0, "min_periods": 2}, False),
    "pct_change": ((2,), {}, False),
    "rolling_rank": ((6,), {"min_periods": 2, "method": "max", "pct": False}, False),
    "rolling_quantile": ((6, 0.3), {"interpolation": "nearest", "min_periods": 1}, False),
    "rolling_median": ((5,), {"min_periods": 1}, False),
    "expanding_rank": ((), {"min_periods": 3, "method": "min", "ascending": False}, False),
}
CROSS_SECTIONS: dict[str, dict[str, Any]] = {
    "cs_rank": {"method": "average", "pct": True},
    "cs_zscore": {"ddof": 1},
    "cs_demean": {},
}


def expression(name: str) -> pl.Expr:
    """The kernel `name` on column x (and y) as a `sf` expression."""
    args, kwargs, two = KERNELS[name]
    namespace = pl.col("x").sf
    others = (pl.col("y"),) if two else ()
    return getattr(namespace, name)(*others, *args, **kwargs).alias("out")


def numpy_path(name: str, x: np.ndarray, y: np.ndarray, by: Any = None) -> np.ndarray:
    args, kwargs, two = KERNELS[name]
    inputs = (x, y) if two else (x,)
    return getattr(sf, name)(*inputs, *args, **kwargs, by=by)


def as_numpy(s: pl.Series) -> np.ndarray:
    return s.fill_null(np.nan).to_numpy()


@pytest.fixture(scope="module")
def market() -> pl.DataFrame:
    """Long format, rows shuffled (not in time order), with nulls and NaN in x."""
    df = sf.datasets.synthetic_market(n_symbols=9, n_days=120, seed=4)
    rng = np.random.default_rng(1)
    x = np.log(df["close"].to_numpy())
    x[rng.random(len(x)) < 0.03] = np.nan
    null = rng.random(len(x)) < 0.03
    return (
        df.with_columns(
            x=pl.Series(x).set(pl.Series(null), None),
            y=pl.col("amount").log(),
        )
        .sample(fraction=1.0, shuffle=True, seed=3)
        .with_row_index("row")
    )


@pytest.mark.parametrize("name", sorted(KERNELS))
@given(data=st.data())
def test_expression_equals_numpy_path(name: str, data: st.DataObject) -> None:
    x = data.draw(series(max_size=40), label="x")
    y = data.draw(series(min_size=len(x), max_size=len(x)), label="y")
    df = pl.DataFrame({"x": x, "y": y})
    got = df.select(expression(name))["out"]
    assert got.dtype == pl.Float64
    assert len(got) == len(x)
    assert_array_equal(as_numpy(got), numpy_path(name, x, y))


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_nulls_are_missing_like_nan(name: str) -> None:
    x = np.array([1.0, np.nan, 3.0, 2.5, np.nan, 5.0, 4.0, 4.0, 0.5, 7.0])
    y = np.array([2.0, 1.0, np.nan, 2.0, 3.0, 1.0, np.nan, 4.0, 2.0, 3.0])
    with_nan = pl.DataFrame({"x": x, "y": y})
    with_null = pl.DataFrame({"x": x, "y": y}, nan_to_null=True)
    got_nan = with_nan.select(expression(name))["out"]
    got_null = with_null.select(expression(name))["out"]
    assert_array_equal(as_numpy(got_nan), as_numpy(got_null))
    assert_array_equal(as_numpy(got_null), numpy_path(name, x, y))
    assert not got_null.is_nan().any()  # missing results are null, never NaN


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_over_symbol_equals_per_group(name: str, market: pl.DataFrame) -> None:
    """Rows are shuffled: ``order_by`` puts each symbol in time order, results land in place."""
    got = market.select(expression(name).over("symbol", order_by="date"))["out"]
    ordered = market.sort("date")
    want = numpy_path(name, ordered["x"].to_numpy(), ordered["y"].to_numpy(), ordered["symbol"])
    back = np.empty_like(want)
    back[ordered["row"].to_numpy()] = want
    assert_array_equal(as_numpy(got), back)


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_lazy_and_streaming_equal_eager(name: str, market: pl.DataFrame) -> None:
    query = (expression(name).over("symbol", order_by="date"), expression(name).alias("whole"))
    eager = market.select(*query)
    lazy = market.lazy().select(*query)
    assert lazy.collect_schema() == eager.schema
    assert lazy.collect().equals(eager)
    assert lazy.collect(engine="streaming").equals(eager)


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_chunked_column_equals_rechunked(name: str, market: pl.DataFrame) -> None:
    parts = [market.slice(0, 200), market.slice(200, 333), market.slice(533)]
    chunked = pl.concat(parts, rechunk=False)
    assert chunked["x"].n_chunks() == 3
    got = chunked.select(expression(name))["out"]
    want = chunked.rechunk().select(expression(name))["out"]
    assert got.equals(want)


@pytest.mark.parametrize("name", ["rolling_mean", "rolling_corr", "rolling_rank", "ewm_mean"])
def test_group_by_agg_equals_per_group(name: str, market: pl.DataFrame) -> None:
    ordered = market.sort("date")
    got = ordered.group_by("symbol", maintain_order=True).agg(expression(name))
    for symbol, values in zip(got["symbol"], got["out"], strict=True):
        part = ordered.filter(pl.col("symbol") == symbol)
        want = numpy_path(name, part["x"].to_numpy(), part["y"].to_numpy())
        assert_array_equal(as_numpy(values), want)


@pytest.mark.parametrize("name", sorted(CROSS_SECTIONS))
def test_cross_sections_over_date_and_sector(name: str, market: pl.DataFrame) -> None:
    kwargs = CROSS_SECTIONS[name]
    expr = getattr(pl.col("x").sf, name)(**kwargs)
    by_date = market.select(expr.over("date"))["x"]
    by_both = market.select(expr.over("date", "sector"))["x"]
    x = market["x"].to_numpy()
    fn: Callable[..., np.ndarray] = getattr(sf, name)
    assert_array_equal(as_numpy(by_date), fn(x, market["date"], **kwargs))
    assert_array_equal(as_numpy(by_both), fn(x, market["date"], group=market["sector"], **kwargs))
    streaming = market.lazy().select(expr.over("date")).collect(engine="streaming")["x"]
    assert streaming.equals(by_date)


def test_cs_rank_against_native_rank_over_date(market: pl.DataFrame) -> None:
    """Where there are no ties or missing values, our pct rank is Polars' rank / count (Polars
    divides in another order: equal within 1 ulp)."""
    df = market.select("date", x=pl.col("y") + pl.col("row") * 1e-9)
    got = df.select(pl.col("x").sf.cs_rank().over("date"))["x"]
    native = df.select((pl.col("x").rank() / pl.col("x").count()).over("date"))["x"]
    assert_allclose(got.to_numpy(), native.to_numpy(), rtol=2**-52, atol=0)


def test_two_input_kernels_take_a_column_name(market: pl.DataFrame) -> None:
    a = market.select(pl.col("x").sf.rolling_beta("y", 10))["x"]
    b = market.select(pl.col("x").sf.rolling_beta(pl.col("y"), 10))["x"]
    assert a.equals(b)


def test_rolling_mean_on_market_closes_equals_numpy_path(market: pl.DataFrame) -> None:
    got = market.select(pl.col("close").sf.rolling_mean(20, min_periods=5))["close"]
    want = sf.rolling_mean(market["close"].to_numpy(), 20, min_periods=5)
    assert_array_equal(as_numpy(got), want)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (pl.col("x").sf.rolling_mean(0), "window must be >= 1, got 0"),
        (pl.col("x").sf.rolling_std(3, ddof=-1), "ddof must be >= 0"),
        (pl.col("x").sf.rolling_quantile(5, 1.5), "q must be between 0 and 1"),
        (pl.col("x").sf.rolling_rank(5, method="dense"), "method must be one of"),  # type: ignore[arg-type]
        (pl.col("x").sf.expanding_rank(min_periods=-1), "min_periods must be >= 0"),
        (pl.col("x").sf.ewm_mean(span=0.5), "span must be >= 1"),
        (pl.col("x").sf.cs_zscore(ddof=-1), "ddof must be >= 0"),
        (pl.col("s").sf.rolling_mean(2), "x must be numeric, got str"),
        (pl.col("x").sf.rolling_corr(pl.col("s"), 2), "y must be numeric, got str"),
    ],
)
def test_bad_arguments_are_polars_errors_naming_the_argument(expr: pl.Expr, message: str) -> None:
    df = pl.DataFrame({"x": [1.0, 2.0, 3.0], "s": ["a", "b", "c"]})
    with pytest.raises(pl.exceptions.ComputeError, match=message):
        df.select(expr)


def test_second_input_of_another_length_is_an_error() -> None:
    df = pl.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(pl.exceptions.ComputeError, match="y must have the same length as x"):
        df.select(pl.col("x").sf.rolling_corr(pl.col("x").head(2), 2))


def test_integer_columns_are_cast() -> None:
    df = pl.DataFrame({"x": [1, 2, 3, 4]})
    assert df.select(pl.col("x").sf.rolling_sum(2))["x"].to_list() == [None, 3.0, 5.0, 7.0]
