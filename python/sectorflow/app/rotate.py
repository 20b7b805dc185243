"""``sectorflow rotate``: a rotation model on a sector file, the weekly table and its outputs.

Reads sector index levels (``date, sector, close``) or stock bars (``date, symbol, sector,
close, volume, amount, float_mcap``, the file ``sectorflow recompute`` reads), scores the
sectors with a diffusion index (:func:`sectorflow.diffusion_index`: a level construction on
levels, a breadth construction on stock bars, whose sectors' levels come from
:func:`sectorflow.sector_aggregate` with the same weighting), runs the top-N backtest
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
from sectorflow.models.diffusion import BREADTH, Construction, Weights, diffusion_index
from sectorflow.models.ic import factor_ic
from sectorflow.models.summary import RotationSummary, rotation_summary
from sectorflow.sector.aggregate import sector_aggregate

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


def _read(path: Path) -> pl.DataFrame:
    """Sector levels, or stock bars when the file has a ``symbol`` column (checked later)."""
    lf = scan(path)
    schema = lf.collect_schema()
    stocks = "symbol" in schema
    needed = ["date", "symbol", "sector", "close"] if stocks else ["date", "sector", "close"]
    for column in needed:
        if column not in schema:
            raise InputError(path, f"missing column {column!r} (columns: {list(schema)})")
    if not schema["close"].is_numeric():
        raise InputError(path, f"column 'close' must be numeric, got {schema['close']}")
    keys = [pl.col(c).cast(pl.String) for c in needed[1:-1]]
    rest = [pl.col(c) for c in schema if c not in needed] if stocks else []
    try:
        table = lf.select(pl.col("date").cast(pl.Date), *keys, pl.col("close"), *rest).collect()
    except pl.exceptions.PolarsError as err:
        raise InputError(path, f"column 'date' must hold dates ({err})") from err
    if table.is_empty():
        raise InputError(path, "no rows")
    return table


def rotate(
    sectors: Path,
    *,
    construction: Construction | None = None,
    n: int = 20,
    smoothing: int = 0,
    weights: Weights = "equal",
    min_members: int = 5,
    top_n: int = 6,
    rebalance: Any = "M",
    cost_bps: float = 0.0,
    asof: dt.date | str | None = None,
    out: Path | None = None,
) -> Rotation:
    """The diffusion model's backtest on ``sectors``; see the module.

    ``construction``: default ``"rank"`` on sector levels, ``"above_ma"`` on stock bars.
    ``weights`` and ``min_members``: of a breadth construction (and of the sector levels built
    from the stock bars).
    """
    table = _read(sectors)
    stocks = "symbol" in table.columns
    construction = construction or ("above_ma" if stocks else "rank")
    if stocks != (construction in BREADTH):
        given = "stock bars" if stocks else "sector levels"
        raise InputError(sectors, f"construction {construction!r} does not read {given}")
    try:
        if stocks:
            scores = diffusion_index(
                table,
                construction,
                n=n,
                smoothing=smoothing,
                weights=weights,
                min_members=min_members,
            )
            levels = sector_aggregate(table, weight=weights).select("date", "sector", "close")
        else:
            scores = diffusion_index(table, construction, n=n, smoothing=smoothing)
            levels = table
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
