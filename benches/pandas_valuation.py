"""A straightforward pandas implementation of sector valuation and heat, to time sectorflow against.

The same definitions as ``sf.sector_valuation`` and ``sf.sector_heat`` with their defaults
(whole-market PE/PB, the market being every stock; percentiles over all history; month-end
heat): one groupby of the stock rows, then wide frames and expanding ranks, as a pandas user
would write them.
``benches/compare.py --sectors`` times both in one run; ``benches/test_pandas_valuation.py``
checks they agree.
"""

from __future__ import annotations

import pandas as pd


def totals(stocks: pd.DataFrame) -> pd.DataFrame:
    """Per (date, sector): summed caps, earnings and book, amount and float cap."""
    s = stocks[["date", "sector", "mcap", "net_profit_ttm", "book_equity", "amount", "float_mcap"]]
    has_e = s["net_profit_ttm"].notna()
    s = s.assign(
        e_cap=s["mcap"].where(has_e),
        b_cap=s["mcap"].where(s["book_equity"].notna()),
    )
    return s.groupby(["date", "sector"]).sum(min_count=1)


def _ratios(t: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Relative PE and PB (dates x sectors)."""
    market = t.groupby(level="date").sum()
    wide = t.unstack("sector")
    pe = (wide["e_cap"] / wide["net_profit_ttm"]).where(wide["net_profit_ttm"] > 0)
    pb = (wide["b_cap"] / wide["book_equity"]).where(wide["book_equity"] > 0)
    mpe = (market["e_cap"] / market["net_profit_ttm"]).where(market["net_profit_ttm"] > 0)
    mpb = (market["b_cap"] / market["book_equity"]).where(market["book_equity"] > 0)
    return pe.div(mpe, axis=0), pb.div(mpb, axis=0)


def valuation(t: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Relative PE and PB with their expanding percentiles (dates x sectors) of :func:`totals`."""
    rel_pe, rel_pb = _ratios(t)
    return {
        "relative_pe": rel_pe,
        "relative_pb": rel_pb,
        "relative_pe_pct": rel_pe.expanding().rank(pct=True),
        "relative_pb_pct": rel_pb.expanding().rank(pct=True),
    }


def heat(t: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Month-end valuation, trading and combined heat (month ends x sectors) of :func:`totals`."""
    rel_pe, rel_pb = _ratios(t)
    market = t.groupby(level="date").sum()
    wide = t.unstack("sector")
    share = wide["amount"].div(market["amount"], axis=0)
    cap_share = wide["float_mcap"].div(market["float_mcap"], axis=0)
    rate = wide["amount"] / wide["float_mcap"]
    month = pd.DatetimeIndex(wide.index).to_period("M")
    cas = share.groupby(month).mean() / cap_share.groupby(month).mean()
    annual = rate.groupby(month).mean() * 252
    ends = ~month.duplicated(keep="last")  # each month's last day (its value, even if NaN)
    pe_m, pb_m = rel_pe[ends].set_axis(month[ends]), rel_pb[ends].set_axis(month[ends])
    pct = {k: v.expanding().rank(pct=True) for k, v in
           {"pe": pe_m, "pb": pb_m, "cas": cas, "rate": annual}.items()}  # fmt: skip
    valuation_heat = (pct["pe"] + pct["pb"]) / 2
    trading_heat = (pct["cas"] + pct["rate"]) / 2
    return {
        "cap_adjusted_share": cas,
        "turnover_rate": annual,
        "valuation_heat": valuation_heat,
        "trading_heat": trading_heat,
        "heat": (valuation_heat + trading_heat) / 2,
    }
