"""The pandas dashboard that compare.py times computes what sf.sector_dashboard computes."""

from __future__ import annotations

import numpy as np
import pandas_sectors
import pytest

import sectorflow as sf


def test_pandas_dashboard_agrees_with_sectorflow() -> None:
    market = sf.datasets.synthetic_market(n_symbols=150, n_days=700, seed=3)
    ours = sf.sector_dashboard(market).to_pandas().set_index("sector")
    ref = pandas_sectors.dashboard(market.to_pandas()).reindex(ours.index)
    for column in (
        "excess_return",
        "excess_return_pct",
        "turnover_share",
        "turnover_share_pct",
        "drawdown",
        "rs_ratio",
        "rs_momentum",
    ):
        np.testing.assert_allclose(
            ours[column].to_numpy(float), ref[column].to_numpy(float), rtol=1e-9, err_msg=column
        )
    # Breadth averages are ratios of small counts, full of ties that pandas' add-and-subtract
    # rolling mean breaks with rounding noise; the composite agrees to a few rank steps.
    np.testing.assert_allclose(
        ours["crowding"].to_numpy(float), ref["crowding"].to_numpy(float), atol=0.01
    )
    assert list(ours["quadrant"].astype(str)) == list(ref["quadrant"])
    assert ours["crowding"].notna().all()
    assert ours.index.size == pytest.approx(11)
