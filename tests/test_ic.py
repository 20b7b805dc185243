"""``factor_ic``: IC and rank IC against scipy per date; quantile returns against pandas."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

import sectorflow as sf
from sectorflow.models.ic import factor_ic
from tests.data import needs_data, shenwan


def momentum(closes: pl.DataFrame, n: int) -> pl.DataFrame:
    return closes.select(
        "date",
        "sector",
        (pl.col("close") / pl.col("close").shift(n).over("sector") - 1).alias("score"),
    )


def reference(scores: pl.DataFrame, closes: pl.DataFrame, h: int, q: int) -> dict[str, Any]:
    wide = closes.to_pandas().pivot(index="date", columns="sector", values="close")
    fwd = wide.shift(-h) / wide - 1.0
    s = scores.to_pandas().pivot(index="date", columns="sector", values="score").reindex_like(fwd)
    ic, rank_ic, groups, spread = {}, {}, [], []
    for d in fwd.index:
        a, b = s.loc[d], fwd.loc[d]
        ok = np.isfinite(a) & np.isfinite(b)
        if ok.sum() < 5:
            continue
        ic[d] = stats.pearsonr(a[ok], b[ok])[0]
        rank_ic[d] = stats.spearmanr(a[ok], b[ok])[0]
        # Equal-count groups by rank (ties averaged), 1 = lowest.
        r = a[ok].rank()
        g = np.clip(np.ceil(r * q / ok.sum()), 1, q).astype(int)
        means = b[ok].groupby(g).mean()
        groups.append(means)
        if 1 in means.index and q in means.index:
            spread.append(means[q] - means[1])
    return {
        "ic": pd.Series(ic),
        "rank_ic": pd.Series(rank_ic),
        "groups": pd.concat(groups, axis=1).mean(axis=1),
        "spread": np.array(spread),
    }


def check(scores: pl.DataFrame, closes: pl.DataFrame, horizons: tuple[int, ...]) -> None:
    got = factor_ic(scores, closes, horizons=horizons, quantiles=5)
    for h in horizons:
        want = reference(scores, closes, h, 5)
        daily = got.daily.filter(pl.col("horizon") == h).to_pandas().set_index("date")
        daily.index = pd.to_datetime(daily.index)
        for col in ("ic", "rank_ic"):
            w = want[col]
            w.index = pd.to_datetime(w.index)
            np.testing.assert_allclose(daily[col].reindex(w.index), w, rtol=1e-9, atol=1e-12)
        s = got.summary.filter(pl.col("horizon") == h).row(0, named=True)
        r = want["rank_ic"].dropna()
        assert s["ic_mean"] == pytest.approx(r.mean(), rel=1e-9)
        assert s["icir"] == pytest.approx(r.mean() / r.std(ddof=1), rel=1e-9)
        assert s["t_stat"] == pytest.approx(r.mean() / r.std(ddof=1) * np.sqrt(len(r)), rel=1e-9)
        qs = got.quantiles.filter(pl.col("horizon") == h).get_column("mean_return").to_numpy()
        np.testing.assert_allclose(qs, want["groups"].sort_index().to_numpy(), rtol=1e-9)
        ls = got.long_short.filter(pl.col("horizon") == h).row(0, named=True)
        assert ls["mean_return"] == pytest.approx(want["spread"].mean(), rel=1e-9)


def test_ic_equals_scipy_on_ken_french_49() -> None:
    closes, _ = sf.datasets.ff49_sectors()
    closes = closes.filter(pl.col("date") >= dt.date(2018, 1, 1))
    check(momentum(closes, 20), closes, (1, 5))


@needs_data
def test_ic_equals_scipy_on_shenwan_with_ties() -> None:
    closes, _ = shenwan("000985.CSI")
    closes = closes.filter(pl.col("date") >= dt.date(2020, 1, 1))
    # Rounded scores make ties on every date.
    scores = momentum(closes, 10).with_columns(pl.col("score").round(2))
    check(scores, closes, (1, 20))


def test_returns_as_simple_returns_give_the_same_ic() -> None:
    closes, _ = sf.datasets.ff49_sectors()
    closes = closes.filter(pl.col("date") >= dt.date(2020, 1, 1))
    rets = closes.with_columns(
        (pl.col("close") / pl.col("close").shift(1).over("sector") - 1).alias("return")
    ).drop("close")
    scores = momentum(closes, 20)
    # Horizons past one bar: Ken French returns are rounded, so one-bar returns tie across
    # sectors, and ties fall either way once levels are rebuilt from them.
    a = factor_ic(scores, closes, horizons=(5, 20)).summary
    b = factor_ic(scores, rets, horizons=(5, 20)).summary
    np.testing.assert_allclose(
        a.get_column("ic_mean").to_numpy(), b.get_column("ic_mean").to_numpy(), rtol=1e-9
    )


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"method": "kendall"}, "method"),
        ({"horizons": (0,)}, "horizons"),
        ({"horizons": ()}, "horizons"),
        ({"quantiles": 1}, "quantiles"),
    ],
)
def test_bad_options_are_refused_by_name(kw: dict[str, Any], match: str) -> None:
    closes, _ = sf.datasets.ff49_sectors()
    closes = closes.filter(pl.col("date") >= dt.date(2021, 1, 1))
    with pytest.raises(ValueError, match=match):
        factor_ic(momentum(closes, 5), closes, **kw)


def test_no_common_rows_is_refused() -> None:
    closes, _ = sf.datasets.ff49_sectors()
    closes = closes.filter(pl.col("date") >= dt.date(2021, 1, 1))
    with pytest.raises(ValueError, match="in common"):
        factor_ic(momentum(closes, 5).with_columns(pl.col("sector") + "_x"), closes)
