"""Keyed expressions (``by=``, ``order_by=``): one plugin call over the whole column.

Each must equal the same expression inside ``.over(key, order_by=...)`` and the numpy face with
``by=``: shuffled rows, null keys, several keys, one group, all-distinct keys, chunked columns,
lazy and streaming.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_series_equal

import sectorflow as sf

EXPRESSIONS: dict[str, Any] = {
    "rolling_mean": lambda e, **k: e.sf.rolling_mean(3, **k),
    "rolling_std": lambda e, **k: e.sf.rolling_std(3, min_periods=2, **k),
    "rolling_corr": lambda e, **k: e.sf.rolling_corr("y", 3, **k),
    "pct_change": lambda e, **k: e.sf.pct_change(1, **k),
    "ewm_mean": lambda e, **k: e.sf.ewm_mean(span=3, **k),
    "rolling_rank": lambda e, **k: e.sf.rolling_rank(3, **k),
    "rolling_quantile": lambda e, **k: e.sf.rolling_quantile(4, 0.3, **k),
    "expanding_rank": lambda e, **k: e.sf.expanding_rank(**k),
    "rolling_excess_return": lambda e, **k: e.sf.rolling_excess_return("y", 2, **k),
    "cs_rank": lambda e, **k: e.sf.cs_rank(**k),
    "cs_zscore": lambda e, **k: e.sf.cs_zscore(**k),
    "cs_demean": lambda e, **k: e.sf.cs_demean(**k),
}

VALUE = st.one_of(st.none(), st.just(float("nan")), st.floats(0.5, 100.0), st.sampled_from([2.0]))


@st.composite
def tables(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(0, 40))
    keys = st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))
    df = pl.DataFrame(
        {
            "k": draw(st.lists(keys, min_size=n, max_size=n)),
            "g": draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)),
            "t": draw(st.permutations(list(range(n)))),
            "x": draw(st.lists(VALUE, min_size=n, max_size=n)),
            "y": draw(st.lists(VALUE, min_size=n, max_size=n)),
        },
        schema={"k": pl.String, "g": pl.Int64, "t": pl.Int64, "x": pl.Float64, "y": pl.Float64},
    )
    return df.with_columns(pl.col("x", "y").fill_nan(None) if draw(st.booleans()) else pl.col("x"))


@pytest.mark.parametrize("name", list(EXPRESSIONS))
@given(df=tables(), cut=st.integers(0, 40))
def test_keyed_expression_equals_over(name: str, df: pl.DataFrame, cut: int) -> None:
    make = EXPRESSIONS[name]
    x = pl.col("x")
    chunked = pl.concat([df.slice(0, cut), df.slice(cut)], rechunk=False)
    for frame in (df, chunked):
        for by, order in ((["k"], "t"), (["k", "g"], "t"), (["g"], None), (["k"], None)):
            want = frame.select(make(x).over(by, order_by=order)).to_series()
            got = frame.select(make(x, by=by, order_by=order)).to_series()
            assert_series_equal(got, want, check_names=False)
    # order_by alone: the whole column as one series in that order.
    want = df.select(make(x).over(pl.lit(0), order_by="t")).to_series()
    got = df.select(make(x, order_by="t")).to_series()
    assert_series_equal(got, want, check_names=False)


#: Each kernel on the numpy face, with the group key (``by=``, or ``time=`` for ``cs_*``).
NUMPY_FACE: dict[str, Any] = {
    "rolling_mean": lambda x, _y, k: sf.rolling_mean(x, 3, by=k),
    "rolling_std": lambda x, _y, k: sf.rolling_std(x, 3, min_periods=2, by=k),
    "rolling_corr": lambda x, y, k: sf.rolling_corr(x, y, 3, by=k),
    "pct_change": lambda x, _y, k: sf.pct_change(x, 1, by=k),
    "ewm_mean": lambda x, _y, k: sf.ewm_mean(x, span=3, by=k),
    "rolling_rank": lambda x, _y, k: sf.rolling_rank(x, 3, by=k),
    "rolling_quantile": lambda x, _y, k: sf.rolling_quantile(x, 4, 0.3, by=k),
    "expanding_rank": lambda x, _y, k: sf.expanding_rank(x, by=k),
    "rolling_excess_return": lambda x, y, k: sf.rolling_excess_return(x, y, 2, by=k),
    "cs_rank": lambda x, _y, k: sf.cs_rank(x, k),
    "cs_zscore": lambda x, _y, k: sf.cs_zscore(x, k),
    "cs_demean": lambda x, _y, k: sf.cs_demean(x, k),
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
@given(df=tables())
def test_keyed_expression_equals_the_numpy_face_with_by(name: str, df: pl.DataFrame) -> None:
    # Rows already in time order within each key: the numpy face's by= takes them as given.
    # A null key is a group of its own here (as in .over); the numpy face leaves such rows
    # missing (as pandas' groupby drops them), so they are compared on rows with a key.
    ordered = df.sort("t")
    got = ordered.select(EXPRESSIONS[name](pl.col("x"), by="k")).to_series()
    x, y, k = (ordered.get_column(c) for c in ("x", "y", "k"))
    want = NUMPY_FACE[name](x.to_numpy(), y.to_numpy(), k.to_numpy())
    keyed = k.is_not_null().to_numpy()
    want = pl.Series(want[keyed], nan_to_null=True)
    assert_series_equal(got.filter(k.is_not_null()), want, check_names=False)


@st.composite
def key_layouts(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataType, pl.DataType]:
    """Integer keys spread wider than the rows or negative, with nulls or without, in any of
    the integer types; order keys as integers, floats, dates or datetimes; rows shuffled or
    sorted by key (the runs taken in place)."""
    n = draw(st.integers(1, 40))
    spread = draw(st.sampled_from([1, 3, 1_000_003]))
    nullable = draw(st.booleans())
    key = st.integers(-2, 2).map(lambda k: k * spread)
    keys = draw(st.lists(st.one_of(st.none(), key) if nullable else key, min_size=n, max_size=n))
    key_type = draw(st.sampled_from([pl.Int8, pl.Int32, pl.Int64, pl.UInt32, pl.UInt64]))
    if key_type in (pl.UInt32, pl.UInt64):
        keys = [None if k is None else k + 2 * spread for k in keys]
    if key_type == pl.Int8:
        keys = [None if k is None else max(-128, min(127, k)) for k in keys]
    order_type = draw(st.sampled_from([pl.Int32, pl.Int64, pl.Float64, pl.Date, pl.Datetime]))
    t = draw(st.permutations(list(range(n))))
    df = pl.DataFrame(
        {
            "g": pl.Series(keys, dtype=pl.Int64).cast(key_type),
            "t": pl.Series(t, dtype=pl.Int32).cast(order_type),
            "x": draw(st.lists(VALUE, min_size=n, max_size=n)),
        },
        schema_overrides={"x": pl.Float64},
    )
    if draw(st.booleans()):
        df = df.sort("g", "t", nulls_last=True)
    return df, key_type, order_type


@pytest.mark.parametrize("name", ["rolling_mean", "rolling_rank", "pct_change", "cs_rank"])
@given(layout=key_layouts())
def test_every_key_type_and_layout_equals_over(
    name: str, layout: tuple[pl.DataFrame, pl.DataType, pl.DataType]
) -> None:
    df, _, _ = layout
    make = EXPRESSIONS[name]
    x = pl.col("x")
    for order in ("t", None):
        want = df.select(make(x).over("g", order_by=order)).to_series()
        got = df.select(make(x, by="g", order_by=order)).to_series()
        assert_series_equal(got, want, check_names=False)


def test_one_group_and_all_distinct_keys_and_lazy_and_streaming() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    df = pl.DataFrame(
        {
            "s": rng.integers(0, 50, n),
            "d": rng.permutation(n),
            "x": rng.normal(size=n),
        }
    )
    expr = pl.col("x").sf.rolling_std(5, by="s", order_by="d")
    eager = df.select(expr).to_series()
    over = df.select(pl.col("x").sf.rolling_std(5).over("s", order_by="d")).to_series()
    assert_series_equal(eager, over)
    for engine in ("in-memory", "streaming"):
        lazy = df.lazy().select(expr).collect(engine=engine).to_series()
        assert_series_equal(lazy, eager)
    # Alongside other expressions in with_columns.
    both = df.with_columns(expr.alias("a"), (pl.col("x") * 2).alias("b"))
    assert_series_equal(both.get_column("a"), eager, check_names=False)
    one = df.with_columns(pl.lit(1).alias("s"))
    assert_series_equal(
        one.select(pl.col("x").sf.rolling_mean(4, by="s", order_by="d")).to_series(),
        one.sort("d")
        .select(pl.col("x").sf.rolling_mean(4))
        .to_series()
        .gather(one.get_column("d").arg_sort().arg_sort()),
    )
    distinct = df.select(pl.col("x").sf.pct_change(1, by="d")).to_series()
    assert distinct.null_count() == n


def test_keys_of_another_length_are_refused_by_name() -> None:
    df = pl.DataFrame({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(pl.exceptions.PolarsError):
        df.select(pl.col("x").sf.rolling_mean(2, by=pl.Series([1, 2])))
