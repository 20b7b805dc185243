"""``sectorflow rotate``: a rotation model on a sector file, the weekly table and its outputs.

Reads sector index levels (``date, sector, close``) or stock bars (``date, symbol, sector,
close, volume, amount, float_mcap``, the file ``sectorflow recompute`` reads), scores the
sectors with a diffusion index (:func:`sectorflow.diffusion_index`: a level construction on
levels, a breadth construction on stock bars, whose sectors' levels come from
:func:`sectorflow.sector_aggregate` with the same weighting), runs the top-N backtest
(:func:`sectorflow.backtest`) and prints the seed report's weekly table
(:func:`sectorflow.rotation_summary`) with the backtest's metrics. With ``out``, writes the NAV,
holdings, periods and the factor's IC decay as parquet files and an interactive HTML report.

``model="gru"`` scores the sectors with the GRU factor instead (:func:`sectorflow.walk_forward`
over daily sequences: of the sector levels, or of the stock bars averaged per sector by
:func:`sectorflow.industry_sequences`), retrained every year, and prints its week beside the
diffusion index's, as the seed report's table does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from sectorflow.app.recompute import InputError, scan
from sectorflow.models.backtest import Backtest, backtest
from sectorflow.models.diffusion import BREADTH, Construction, Weights, diffusion_index
from sectorflow.models.ic import factor_ic
from sectorflow.models.sequences import industry_sequences, sequence_features
from sectorflow.models.summary import RotationSummary, rotation_summary, summaries_table
from sectorflow.sector.aggregate import sector_aggregate

if TYPE_CHECKING:
    from sectorflow.models.gru import GruConfig

__all__ = ["Rotation", "rotate"]


@dataclass(frozen=True)
class Rotation:
    """What :func:`rotate` computed, and the files it wrote."""

    result: Backtest
    summary: RotationSummary
    scores: pl.DataFrame
    ic: pl.DataFrame
    files: list[Path]
    #: Each model's week (the GRU run's, then the diffusion index's), when more than one ran.
    beside: dict[str, RotationSummary] | None = None

    def text(self) -> str:
        """The weekly table, then the metrics, as the command prints them."""
        m = self.result.metrics
        side = []
        if self.beside:
            table = summaries_table(self.beside)
            width = max(len(name) for name in self.beside)
            heads = ("week", "excess week", "month to date", "year to date")
            side = ["", f"{'model':<{width}}  " + "  ".join(f"{h:>13}" for h in heads)]
            side += [
                f"{row[0]:<{width}}  " + "  ".join(f"{x:>+13.2%}" for x in row[2:6])
                for row in table.iter_rows()
            ]
        metrics = (
            f"annual return {m['annual_return']:+.2%} "
            f"(benchmark {m['benchmark_annual_return']:+.2%}), "
            f"excess {m['excess_annual_return']:+.2%}, information ratio "
            f"{m['information_ratio']:.2f}, max drawdown {m['max_drawdown']:.1%}, hit rate "
            f"{m['hit_rate']:.0%}, average turnover {m['average_turnover']:.0%}"
        )
        return "\n".join([str(self.summary), *side, "", metrics])


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


def _gru_scores(
    table: pl.DataFrame,
    stocks: bool,  # noqa: FBT001 (the table's kind)
    config: GruConfig | None,
    start: dt.date | None,
    progress: Callable[[int, int], None] | None,
) -> pl.DataFrame:
    """``date, sector, score`` of the GRU factor walked forward over daily sequences."""
    from sectorflow.models.gru import walk_forward

    key = "symbol" if stocks else "sector"
    present = set(table.columns)
    bars = table.select(
        "date",
        pl.col(key).alias("symbol"),
        *(
            (pl.col(c) if c in present else pl.col("close")).cast(pl.Float64).alias(c)
            for c in ("open", "high", "low", "close")
        ),
        (pl.col("volume") if "volume" in present else pl.lit(0.0)).cast(pl.Float64).alias("volume"),
        *([pl.col("amount").cast(pl.Float64)] if "amount" in present else []),
    )
    seq = sequence_features(bars, fill=np.nan if stocks else 0.0)
    if stocks:
        members = table.group_by("symbol").agg(pl.col("sector").last())
        seq = industry_sequences(seq, members)
    first = start or seq.dates[0].replace(year=seq.dates[0].year + 3)
    wf = walk_forward(seq, start=first, config=config, progress=progress)
    return wf.scores.rename({"entity": "sector"})


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
    model: Literal["diffusion", "gru"] = "diffusion",
    gru: GruConfig | None = None,
    gru_start: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Rotation:
    """The diffusion model's backtest on ``sectors``; see the module.

    ``construction``: default ``"rank"`` on sector levels, ``"above_ma"`` on stock bars.
    ``weights`` and ``min_members``: of a breadth construction (and of the sector levels built
    from the stock bars). ``model="gru"``: ``gru`` the network's settings, ``gru_start`` the
    first scored day (default: three years after the first), ``progress(i, n)`` after each
    training window.
    """
    if model not in ("diffusion", "gru"):
        raise InputError(sectors, f"model must be 'diffusion' or 'gru', got {model!r}")
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
        beside = None
        if model == "gru":
            diffusion = summary
            scores = _gru_scores(table, stocks, gru, gru_start, progress)
            result = backtest(scores, levels, top_n=top_n, rebalance=rebalance, cost_bps=cost_bps)
            summary = rotation_summary(result, asof)
            beside = {"GRU factor": summary, f"diffusion index ({construction})": diffusion}
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
    run = Rotation(result, summary, scores, ic, files, beside)
    if out is not None:
        from sectorflow.app.rotation_report import write_rotation_report

        title = "Rotation report: the GRU factor" if model == "gru" else "Rotation report"
        files.append(write_rotation_report(out / "report.html", run, title=title))
    return run
