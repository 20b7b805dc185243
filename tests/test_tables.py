"""Whole-table helpers: string codes in parallel pieces, and the sort by key and date."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from sectorflow._frames import sorted_by_key
from sectorflow.tables import pivot_last, string_codes

WORDS = ["", "a", "AAPL", "b" * 12, "c" * 13, "银行", "电子" * 5, "Z", "aa"]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_codes_cut_into_pieces_equal_one_pass_and_sort_orders_them(threads: int) -> None:
    # 300,000 rows cut into pieces coded on separate threads (a piece is at least 65,536 rows),
    # with keys first seen deep inside later pieces, nulls, long and CJK keys, three chunks.
    import sectorflow as sf

    rng = np.random.default_rng(threads)
    pool = np.array([*WORDS, *(f"k{i}" for i in range(400))], dtype=object)
    n = 300_000
    picks = rng.integers(0, 20, n)  # the first keys only for a while
    picks[150_000:] = rng.integers(0, len(pool), n - 150_000)
    words = [None if i % 997 == 0 else pool[p] for i, p in enumerate(picks)]
    keys = pa.chunked_array([words[:1000], words[1000:200_000], words[200_000:]], pa.string())
    before = sf.get_num_threads()
    sf.set_num_threads(threads)
    try:
        codes, first = string_codes(keys)
        sorted_codes, sorted_first = string_codes(pl.Series(words, dtype=pl.String), sort=True)
    finally:
        sf.set_num_threads(before)
    want, uniques = pd.factorize(pd.Series(words, dtype=object))
    assert_array_equal(codes, want)
    assert_array_equal(first, [want.tolist().index(c) for c in range(len(uniques))])
    # sort=True: the same groups, coded by the keys' sorted (Python str) order.
    names = sorted(uniques)
    rank = np.array([names.index(u) for u in uniques])
    assert_array_equal(sorted_codes, np.where(want < 0, -1, rank[want]))
    assert_array_equal(sorted_first, first[np.argsort(rank)])


KEY = st.one_of(st.none(), st.sampled_from(WORDS))
DAY = st.one_of(st.none(), st.integers(0, 6).map(lambda d: dt.date(2024, 1, 1) + dt.timedelta(d)))


@given(rows=st.lists(st.tuples(KEY, DAY, st.integers(0, 2)), max_size=40))
def test_sorted_by_key_is_polars_sort_and_refuses_repeats(
    rows: list[tuple[str | None, dt.date | None, int]],
) -> None:
    df = pl.DataFrame(
        rows, schema={"sector": pl.String, "date": pl.Date, "group": pl.Int64}, orient="row"
    ).with_row_index("row")
    for keys in (["sector"], ["group", "sector"], []):
        repeated = df.select(pl.struct(*keys, "date").is_duplicated().any()).item()
        if repeated:
            with pytest.raises(ValueError, match="has more than one row for"):
                sorted_by_key(df, keys, "date", "df")
            continue
        got = sorted_by_key(df, keys, "date", "df")
        # (keys, date) are unique, so polars' order is the only one (nulls first).
        want = df.sort([*keys, "date"], nulls_last=False)
        assert got["row"].to_list() == want["row"].to_list()


def test_sorted_by_key_names_the_repeat_and_keeps_an_ordered_table_as_it_is() -> None:
    df = pl.DataFrame(
        {"sector": ["b", "a", "b"], "date": [dt.date(2024, 1, 2)] * 3, "x": [1.0, 2.0, 3.0]}
    )
    with pytest.raises(
        ValueError, match=r"df has more than one row for sector='b', date=2024-01-02"
    ):
        sorted_by_key(df, ["sector"], "date", "df")
    ordered = df.slice(0, 2).sort("sector")
    assert sorted_by_key(ordered, ["sector"], "date", "df") is ordered


@given(
    cells=st.lists(
        st.tuples(
            st.integers(0, 4),
            st.integers(0, 11),
            st.one_of(st.floats(0.5, 200.0), st.just(np.nan), st.just(np.inf)),
        ),
        max_size=60,
        unique_by=lambda c: (c[0], c[1]),
    ),
    threads=st.integers(1, 3),
)
def test_pivot_changes_are_pct_change_over_each_keys_rows_and_present_marks_rows(
    cells: list[tuple[int, int, float]], threads: int
) -> None:
    # The reference: pandas sorts each key's rows by day and takes pct_change (no fill); the
    # pivot reads ±inf as a missing value, like NaN.
    import sectorflow as sf

    frame = pd.DataFrame(cells, columns=["key", "day", "value"])
    frame["day"] += 100
    bars = 12
    bar_of_day = np.arange(bars, dtype=np.int64)
    before = sf.get_num_threads()
    sf.set_num_threads(threads)
    try:
        got = pivot_last(
            frame["key"].to_numpy(np.int64),
            frame["day"].to_numpy(np.int32),
            frame["value"].to_numpy(np.float64),
            first_day=100,
            bar_of_day=bar_of_day,
            bars=bars,
            keys=5,
            present=True,
            changes=True,
        )
    finally:
        sf.set_num_threads(before)
    assert got.cells is not None
    assert got.present is not None
    cells_, present = (
        got.cells.reshape((bars, 5), order="F"),
        got.present.reshape((bars, 5), order="F"),
    )
    want = np.full((bars, 5), np.nan)
    marks = np.zeros((bars, 5), dtype=bool)
    ordered = frame.sort_values(["key", "day"])
    ordered["value"] = ordered["value"].replace(np.inf, np.nan)
    change = ordered.groupby("key")["value"].pct_change(fill_method=None)
    for (k, d), c in zip(zip(ordered["key"], ordered["day"], strict=True), change, strict=True):
        want[d - 100, k] = c
        marks[d - 100, k] = True
    assert_array_equal(present, marks)
    assert_array_equal(cells_, want)
