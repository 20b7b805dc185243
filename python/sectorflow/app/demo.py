"""``sectorflow demo``: a synthetic market, every kernel timed next to its pandas equivalent."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sectorflow import rank as rank_faces
from sectorflow import rolling as rolling_faces
from sectorflow._containers import GroupKeys
from sectorflow._native import get_num_threads
from sectorflow.app import recompute
from sectorflow.app.report import write_report
from sectorflow.app.rotate import rotate
from sectorflow.cross_section import cs_rank
from sectorflow.datasets import ff49_sectors, synthetic_market
from sectorflow.rank import expanding_rank, rolling_quantile
from sectorflow.rolling import ewm_mean, pct_change, rolling_corr, rolling_cov, rolling_zscore
from sectorflow.sector.dashboard import score_sectors

#: The window kernels by name, for the rows that time them next to pandas' rolling methods.
_KERNELS = {n: getattr(m, n) for m in (rolling_faces, rank_faces) for n in m.__all__}


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run(n_symbols: int = 500, n_days: int = 2_000, window: int = 60, seed: int = 0) -> str:
    """Return the Markdown table of the demo (also printed by the command line).

    Times pandas next to sectorflow, so pandas must be installed (it is not a dependency).
    """
    try:
        import pandas  # noqa: F401, ICN001
    except ImportError as err:
        msg = "sectorflow kernels times pandas next to sectorflow: pip install pandas first"
        raise ValueError(msg) from err
    t_gen, market = _timed(lambda: synthetic_market(n_symbols=n_symbols, n_days=n_days, seed=seed))
    df = market.to_pandas()
    close = df["close"].to_numpy()
    volume = df["volume"].to_numpy()
    keys = GroupKeys(df["symbol"])  # factorized once, as pandas' groupby object below
    dates = GroupKeys(df["date"])
    ret = pct_change(close, by=keys)
    df["ret"] = ret
    grouped = df.groupby("symbol", sort=False)
    w = window

    def pandas_rolling(col: str, stat: str, **kw: Any) -> np.ndarray:
        r = getattr(grouped[col].rolling(w), stat)(**kw)
        return np.asarray(r.reset_index(level=0, drop=True).reindex(df.index).to_numpy())

    def pandas_zscore() -> np.ndarray:
        m, s = pandas_rolling("close", "mean"), pandas_rolling("close", "std")
        return np.asarray((close - m) / s)

    def pandas_pair(stat: str) -> np.ndarray:
        out = grouped.apply(
            lambda g: getattr(g["ret"].rolling(w), stat)(g["volume"]), include_groups=False
        )
        return np.asarray(out.reset_index(level=0, drop=True).reindex(df.index).to_numpy())

    columns = {"close": close, "volume": volume, "ret": ret}

    def window_case(
        kernel: str, col: str, **pandas_kw: Any
    ) -> tuple[str, Callable[[], Any], Callable[[], Any]]:
        """sf.<kernel>(col, w, by=symbol) against pandas groupby(symbol)[col].rolling(w).<stat>."""
        return (
            kernel,
            lambda: _KERNELS[kernel](columns[col], w, by=keys),
            lambda: pandas_rolling(col, kernel.removeprefix("rolling_"), **pandas_kw),
        )

    cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        window_case("rolling_sum", "volume"),
        window_case("rolling_mean", "close"),
        window_case("rolling_var", "ret"),
        window_case("rolling_std", "ret"),
        ("rolling_zscore", lambda: rolling_zscore(close, w, by=keys), pandas_zscore),
        window_case("rolling_skew", "ret"),
        window_case("rolling_kurt", "ret"),
        window_case("rolling_min", "close"),
        window_case("rolling_max", "close"),
        (
            "rolling_cov",
            lambda: rolling_cov(ret, volume, w, by=keys),
            lambda: pandas_pair("cov"),
        ),
        (
            "rolling_corr",
            lambda: rolling_corr(ret, volume, w, by=keys),
            lambda: pandas_pair("corr"),
        ),
        (
            "ewm_mean",
            lambda: ewm_mean(close, span=w, by=keys),
            lambda: grouped["close"].transform(lambda s: s.ewm(span=w).mean()).to_numpy(),
        ),
        (
            "pct_change",
            lambda: pct_change(close, 5, by=keys),
            lambda: grouped["close"].pct_change(5).to_numpy(),
        ),
        window_case("rolling_rank", "ret", pct=True),
        (
            "rolling_quantile",
            lambda: rolling_quantile(ret, w, 0.9, by=keys),
            lambda: pandas_rolling("ret", "quantile", q=0.9),
        ),
        (
            "expanding_rank",
            lambda: expanding_rank(ret, by=keys),
            lambda: grouped["ret"].transform(lambda s: s.expanding().rank(pct=True)).to_numpy(),
        ),
        (
            "cs_rank",
            lambda: cs_rank(ret, dates),
            lambda: df.groupby("date")["ret"].rank(pct=True).to_numpy(),
        ),
    ]
    lines = [
        (
            f"sectorflow demo: {n_symbols} symbols x {n_days} days = {len(df):,} rows "
            f"(generated in {t_gen:.2f} s), window {w}, by symbol, "
            f"{get_num_threads()} threads"
        ),
        "",
        "| kernel | sectorflow (s) | pandas (s) | speed-up | max abs diff |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, ours, theirs in cases:
        t_ours, a = _timed(ours)
        t_theirs, b = _timed(theirs)
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        both = np.isfinite(a) & np.isfinite(b)
        diff = float(np.max(np.abs(a[both] - b[both]))) if both.any() else 0.0
        lines.append(
            f"| {name} | {t_ours:.4f} | {t_theirs:.4f} | {t_theirs / max(t_ours, 1e-9):.1f}x | {diff:.2e} |"
        )
    return "\n".join(lines)


def main(out: Path) -> None:
    """``sectorflow demo``: reports on the Ken French 49 industries and a generated market.

    The industries (real) are scored as sector indices and run through the diffusion rotation
    (:func:`sectorflow.app.rotate.rotate`); the generated stock-level market goes through
    :func:`sectorflow.app.recompute.recompute`. All land under ``out``.
    """
    progress = recompute.Progress()
    out.mkdir(parents=True, exist_ok=True)
    sectors, market = ff49_sectors()
    with progress.stage("ff49: scores", 1) as step:
        scores = score_sectors(sectors, market)
        step()
    ff49 = out / "ff49"
    ff49.mkdir(exist_ok=True)
    tmp = ff49 / "report.html.partial"
    write_report(tmp, scores, title="Ken French 49 industries (value-weighted) vs the market")
    tmp.replace(ff49 / "report.html")
    print("Ken French 49 industries, against the market (Mkt-RF + RF):")  # noqa: T201
    print(recompute.dashboard_text(scores.dashboard))  # noqa: T201
    with progress.stage("ff49: rotation", 1) as step:
        levels = out / "ff49-sectors.parquet"
        sectors.write_parquet(levels)
        rotation = rotate(levels, construction="rank", n=20, top_n=6, out=out / "rotation")
        step()
    print("Ken French 49: top-6 monthly rotation on the 20-day rank diffusion index:")  # noqa: T201
    print(rotation.text())  # noqa: T201
    with progress.stage("market: generate", 1) as step:
        stocks = synthetic_market(n_symbols=800, n_days=2_500, seed=0)
        source = out / "market-stocks.parquet"
        stocks.write_parquet(source)
        step()
    run = recompute.recompute(source, "market", out / "market", progress=progress)
    print("Generated market, 800 stocks x 2,500 days, against the whole market:")  # noqa: T201
    print(recompute.dashboard_text(run.scores.dashboard))  # noqa: T201
    print(  # noqa: T201
        f"reports: {ff49 / 'report.html'}, {out / 'rotation' / 'report.html'} and "
        f"{run.out / 'report.html'} "
        f"({run.seconds:.1f} s, peak memory {run.peak_mb:,.0f} MB)"
    )
