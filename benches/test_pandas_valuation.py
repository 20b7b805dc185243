"""The pandas valuation and heat that compare.py times compute what sectorflow computes."""

from __future__ import annotations

import numpy as np
import pandas_valuation

import sectorflow as sf


def test_pandas_valuation_and_heat_agree_with_sectorflow() -> None:
    market = sf.datasets.synthetic_market(n_symbols=150, n_days=700, seed=3)
    frame = market.to_pandas()
    ours = sf.sector_valuation(market)
    totals = pandas_valuation.totals(frame)
    ref = pandas_valuation.valuation(totals)
    for column, wide in ref.items():
        mine = ours.pivot(on="sector", index="date", values=column).sort("date")
        np.testing.assert_allclose(
            mine.drop("date").to_numpy(), wide[mine.columns[1:]].to_numpy(float), rtol=1e-12
        )
    heat = sf.sector_heat(market)
    months = pandas_valuation.heat(totals)
    for column, wide in months.items():
        mine = heat.pivot(on="sector", index="date", values=column).sort("date")
        assert mine.height == len(wide)
        np.testing.assert_allclose(
            mine.drop("date").to_numpy(), wide[mine.columns[1:]].to_numpy(float), rtol=1e-12
        )
    assert heat.get_column("heat").null_count() < heat.height
    assert set(heat.get_column("sector")) == set(market.get_column("sector"))
