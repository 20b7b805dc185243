"""The sector scores: lazy Polars over the kernel faces, from stock bars or sector tables.

Layers below: the kernel faces (:mod:`sectorflow.rolling`, :mod:`sectorflow.rank`,
:mod:`sectorflow.cross_section`, the ``.sf`` expressions, :mod:`sectorflow.tables`). Nothing
here imports from the application (:mod:`sectorflow.app`).
"""

from sectorflow.sector.aggregate import SectorAggregation, sector_aggregate
from sectorflow.sector.bars import daily_bars
from sectorflow.sector.crowding import CROWDING_FACTORS, crowding
from sectorflow.sector.dashboard import SectorScores, dashboard_of, score_sectors, sector_dashboard
from sectorflow.sector.drawdown import drawdown, drawdown_episodes
from sectorflow.sector.excess import benchmark_table, excess_return
from sectorflow.sector.percentile import historical_percentile
from sectorflow.sector.rrg import QUADRANTS, rrg, rrg_tail, rrg_transitions
from sectorflow.sector.turnover import top_concentration, turnover_rate, turnover_share

__all__ = [
    "CROWDING_FACTORS",
    "QUADRANTS",
    "SectorAggregation",
    "SectorScores",
    "benchmark_table",
    "crowding",
    "daily_bars",
    "dashboard_of",
    "drawdown",
    "drawdown_episodes",
    "excess_return",
    "historical_percentile",
    "rrg",
    "rrg_tail",
    "rrg_transitions",
    "score_sectors",
    "sector_aggregate",
    "sector_dashboard",
    "top_concentration",
    "turnover_rate",
    "turnover_share",
]
