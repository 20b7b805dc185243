"""``sectorflow rotate``: a rotation model on a sector file, the weekly table and its outputs.

Reads sector index levels (``date, sector, close``), scores them with a diffusion index
(:func:`sectorflow.diffusion_index`, a level construction), runs the top-N backtest
(:func:`sectorflow.backtest`) and prints the seed report's weekly table
(:func:`sectorflow.rotation_summary`) with the backtest's metrics. With ``out``, writes the NAV,
holdings, periods and the factor's IC decay as parquet files and an interactive HTML report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from sectorflow.app.recompute import InputError, scan
from sectorflow.models.backtest import Backtest, backtest
from sectorflow.models.diffusion import diffusion_index
from sectorflow.models.ic import factor_ic
from sectorflow.models.summary import RotationSummary, rotation_summary

__all__ = ["Rotation", "rotate"]


@dataclass(frozen=True)
class Rotation:
    """What :func:`rotate` computed, and the files it wrote."""

    result: Backtest
    summary: RotationSummary
    scores: pl.DataFrame
    ic: pl.DataFrame
    files: list[Path]

    def text(self) -> str:
        """The weekly table, then the metrics, as the command prints them."""
        m = self.result.metrics
        metrics = (
            f"annual return {m['annual_return']:+.2%} "
            f"(benchmark {m['benchmark_annual_return']:+.2%}), "
            f"excess {m['excess_annual_return']:+.2%}, information ratio "
            f"{m['information_ratio']:.2f}, max drawdown {m['max_drawdown']:.1%}, hit rate "
            f"{m['hit_rate']:.0%}, average turnover {m['average_turnover']:.0%}"
        )
        return "\n".join([str(self.summary), "", metrics])


def _levels(path: Path) -> pl.DataFrame:
    lf = scan(path)
    schema = lf.collect_schema()
    for column in ("date", "sector", "close"):
        if column not in schema:
            raise InputError(path, f"missing column {column!r} (columns: {list(schema)})")
    if not schema["close"].is_numeric():
        raise InputError(path, f"column 'close' must be numeric, got {schema['close']}")
    try:
        levels = lf.select(
            pl.col("date").cast(pl.Date), pl.col("sector").cast(pl.String), pl.col("close")
        ).collect()
    except pl.exceptions.PolarsError as err:
        raise InputError(path, f"column 'date' must hold dates ({err})") from err
    if levels.is_empty():
        raise InputError(path, "no rows")
    return levels


def rotate(
    sectors: Path,
    *,
    construction: str = "rank",
    n: int = 20,
    smoothing: int = 0,
    top_n: int = 6,
    rebalance: Any = "M",
    cost_bps: float = 0.0,
    asof: dt.date | str | None = None,
    out: Path | None = None,
) -> Rotation:
    """The diffusion model's backtest on ``sectors``; see the module."""
    levels = _levels(sectors)
    try:
        scores = diffusion_index(levels, construction, n=n, smoothing=smoothing)  # type: ignore[arg-type]
        scores = scores.rename({"diffusion": "score"})
        result = backtest(scores, levels, top_n=top_n, rebalance=rebalance, cost_bps=cost_bps)
        summary = rotation_summary(result, asof)
        ic = factor_ic(scores, levels, horizons=(1, 5, 20)).summary
    except ValueError as err:
        raise InputError(sectors, str(err)) from err
    files: list[Path] = []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        tables = {
            "nav": result.nav,
            "holdings": result.holdings,
            "periods": result.periods,
            "turnover": result.turnover,
            "ic_decay": ic,
        }
        for name, table in tables.items():
            path = out / f"{name}.parquet"
            table.write_parquet(path)
            files.append(path)
    run = Rotation(result, summary, scores, ic, files)
    if out is not None:
        from sectorflow.app.rotation_report import write_rotation_report

        files.append(write_rotation_report(out / "report.html", run))
    return run
