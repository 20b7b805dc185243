"""The HTML report of a run: one self-contained file (inline SVG, CSS and plotly's JavaScript).

The RRG and the crowding heatmap are interactive (:mod:`sectorflow.app.charts`); the excess
bands are inline SVG. The file opens offline.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from sectorflow.app.charts import (
    crowding_figure,
    month_heatmap,
    page_fragment,
    pendulum_figure,
    rrg_figure,
)

if TYPE_CHECKING:
    from sectorflow.sector.dashboard import SectorScores

__all__ = ["write_report"]

PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
)  # fmt: skip
MANY_SECTORS = 15
QUADRANT_FILL = {
    "Leading": "#e6f4ea",
    "Weakening": "#fff8e1",
    "Lagging": "#fdecea",
    "Improving": "#e8f0fe",
}
STYLE = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 24px;
       color: #222; max-width: 1200px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: right; }
th { background: #f5f5f5; } td:first-child, th:first-child { text-align: left; }
.grid { display: flex; flex-wrap: wrap; gap: 8px; }
.small { font-size: 11px; fill: #555; } .note { color: #666; font-size: 12px; }
.Leading { color: #137333; } .Weakening { color: #b06000; } .Lagging { color: #c5221f; }
.Improving { color: #1a73e8; }
"""


def _esc(x: object) -> str:
    return html.escape(str(x))


def _fmt(value: object, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if kind == "pct":
        return f"{100 * float(value):.1f}%"  # type: ignore[arg-type]
    if kind == "num":
        return f"{float(value):.2f}"  # type: ignore[arg-type]
    return _esc(value)


def _table(df: pl.DataFrame, kinds: dict[str, str]) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in kinds)
    rows = []
    for row in df.select(list(kinds)).iter_rows(named=True):
        cells = []
        for c, kind in kinds.items():
            css = f' class="{_esc(row[c])}"' if c == "quadrant" and row[c] else ""
            cells.append(f"<td{css}>{_fmt(row[c], kind)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _scale(lo: float, hi: float, a: float, b: float) -> tuple[float, float]:
    """Slope and offset mapping [lo, hi] to [a, b]."""
    span = hi - lo if hi > lo else 1.0
    k = (b - a) / span
    return k, a - k * lo


def _colour(v: float) -> str:
    """0 -> blue, 0.5 -> white, 1 -> red."""
    if not math.isfinite(v):
        return "#f0f0f0"
    v = min(max(v, 0.0), 1.0)
    if v < 0.5:  # noqa: PLR2004 (the white midpoint)
        t = v / 0.5
        r, g, b = int(49 + t * (255 - 49)), int(104 + t * (255 - 104)), int(189 + t * 66)
    else:
        t = (v - 0.5) / 0.5
        r, g, b = 255, int(255 - t * (255 - 60)), int(255 - t * (255 - 50))
    return f"#{r:02x}{g:02x}{b:02x}"


def excess_band_svg(
    sector: str, dates: list[dt.date], values: np.ndarray, w: int = 270, h: int = 110
) -> str:
    """One sector's excess return over time against its historical 5%-95% band and median."""
    finite = values[np.isfinite(values)]
    if finite.size <= 1:
        return ""
    lo, med, hi = np.quantile(finite, [0.05, 0.5, 0.95])
    ymin, ymax = float(min(finite.min(), 0.0)), float(max(finite.max(), 0.0))
    pad = 4
    kx, bx = _scale(0, len(values) - 1, pad, w - pad)
    ky, by = _scale(ymin, ymax, h - 16, 16)
    pts = " ".join(
        f"{kx * i + bx:.1f},{ky * v + by:.1f}" for i, v in enumerate(values) if math.isfinite(v)
    )
    last = finite[-1]
    band_colour = "#c5221f" if last > hi else "#1a73e8" if last < lo else "#222"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        'style="border:1px solid #eee">'
        f'<rect x="{pad}" y="{ky * hi + by:.1f}" width="{w - 2 * pad}" '
        f'height="{max(ky * lo - ky * hi, 1):.1f}" fill="#eef3fb"/>'
        f'<line x1="{pad}" x2="{w - pad}" y1="{ky * med + by:.1f}" y2="{ky * med + by:.1f}" '
        'stroke="#9ab" stroke-dasharray="3 3"/>'
        f'<line x1="{pad}" x2="{w - pad}" y1="{by:.1f}" y2="{by:.1f}" stroke="#ccc"/>'
        f'<polyline points="{pts}" fill="none" stroke="#333" stroke-width="1"/>'
        f'<text x="{pad + 2}" y="12" font-size="11">{_esc(sector)}</text>'
        f'<text x="{w - pad - 2}" y="12" font-size="11" text-anchor="end" fill="{band_colour}">'
        f"{100 * last:+.1f}% (band {100 * lo:+.1f}..{100 * hi:+.1f}%)</text>"
        f'<text x="{pad + 2}" y="{h - 3}" class="small">{dates[0]:%Y}</text>'
        f'<text x="{w - pad - 2}" y="{h - 3}" class="small" text-anchor="end">{dates[-1]:%Y}</text>'
        "</svg>"
    )


def excess_bands(excess: pl.DataFrame, points: int = 400) -> str:
    """Small multiples of :func:`excess_band_svg`, every sector, at most ``points`` per line."""
    charts = []
    for (sector,), g in excess.sort("sector", "date").group_by("sector", maintain_order=True):
        values = g.get_column("excess_return").to_numpy().astype(float)
        dates = g.get_column("date").to_list()
        step = max(1, len(values) // points)
        charts.append(excess_band_svg(str(sector), dates[::step], values[::step]))
    return '<div class="grid">' + "".join(charts) + "</div>"


def _figure(fig: object | None, *, first: bool, empty: str, div_id: str) -> str:
    if fig is None:
        return f'<p class="note">{_esc(empty)}</p>'
    return page_fragment(fig, first=first, div_id=div_id)


def _pendulum_section(scores: SectorScores) -> list[str]:
    """Haitong's pendulum: heat against relative return, the heat map and the latest table."""
    head = "<h2>Valuation and heat (Haitong's industry pendulum)</h2>"
    if scores.heat is None or scores.pendulum is None:
        return [
            head,
            (
                '<p class="note">Not computed: the stocks have no valuation columns (mcap, '
                "net_profit_ttm or pe_ttm, book_equity or pb).</p>"
            ),
        ]
    latest = (
        scores.pendulum.drop_nulls("state")
        .filter(pl.col("date") == pl.col("date").max())
        .sort("heat", descending=True, nulls_last=True)
    )
    return [
        head,
        (
            '<p class="note">Heat: mean of the historical percentiles of relative PE and PB '
            "(valuation) and of the cap-adjusted turnover share and turnover rate (trading), "
            "month ends. x: the sector's 26-week return relative to the benchmark. A black "
            "ring: a rally out of steam (ahead but losing ground, heat &ge; 0.8).</p>"
        ),
        _figure(
            pendulum_figure(scores.pendulum),
            first=False,
            empty="Not enough history for the pendulum.",
            div_id="pendulum",
        ),
        _table(
            latest,
            {
                "sector": "text",
                "relative_return": "pct",
                "relative_return_change": "pct",
                "state": "text",
                "heat": "num",
                "valuation_heat": "num",
                "trading_heat": "num",
                "out_of_steam": "text",
            },
        ),
        "<h3>Heat by month (sectors x months)</h3>",
        _figure(
            month_heatmap(scores.heat, "heat"),
            first=False,
            empty="Not enough history for the heat.",
            div_id="heat",
        ),
    ]


def write_report(path: Path, scores: SectorScores, *, title: str = "sectorflow report") -> Path:
    """Write the report of ``scores`` to ``path`` (one self-contained HTML file)."""
    dash = scores.dashboard
    day = scores.sectors.get_column("date").max()
    first = scores.sectors.get_column("date").min()
    sections = [
        f"<h1>{_esc(title)}</h1>",
        (
            f'<p class="note">{first!s} to {day!s}; '
            f"{scores.sectors.get_column('sector').n_unique()} "
            f"sectors; generated {dt.datetime.now(tz=dt.UTC):%Y-%m-%d %H:%M} UTC by sectorflow.</p>"
        ),
        "<h2>Dashboard</h2>",
        _table(
            dash,
            {
                "sector": "text",
                "excess_return": "pct",
                "excess_return_pct": "num",
                "turnover_share": "pct",
                "turnover_share_pct": "num",
                "crowding": "num",
                "drawdown": "pct",
                "rs_ratio": "num",
                "rs_momentum": "num",
                "quadrant": "text",
            },
        ),
        (
            '<p class="note">excess_return: 40-day return relative to the benchmark (ratio '
            "form); _pct: its percentile in the sector's own history; crowding: composite "
            "percentile (1 = most crowded); drawdown: close against its running high.</p>"
        ),
        "<h2>Relative Rotation Graph (weekly bars; tails: the last weeks)</h2>",
        (
            '<p class="note">Move the slider to step through the weeks; hover a point for its '
            "sector and values; drag to zoom, double-click to reset.</p>"
        ),
        _figure(
            rrg_figure(scores.rrg),
            first=True,
            empty="Not enough history for the RRG.",
            div_id="rrg",
        ),
        "<h2>Crowding heatmap (sectors x months)</h2>",
    ]
    factors = sorted(c.removesuffix("_pct") for c in scores.crowding.columns if c.endswith("_pct"))
    sections.append(
        _figure(
            crowding_figure(scores.crowding),
            first=False,
            empty="Not enough history for the crowding composite.",
            div_id="crowding",
        )
    )
    sections.append(
        '<p class="note">Blue: uncrowded (0), red: crowded (1). Factors: '
        f"{_esc(', '.join(factors))}.</p>"
    )
    sections += _pendulum_section(scores)
    sections += [
        "<h2>40-day excess return against its historical band</h2>",
        (
            '<p class="note">Shaded: the 5%-95% range of the sector\'s own history; dashed: '
            "its median.</p>"
        ),
        excess_bands(scores.excess),
        "<h2>Drawdowns</h2>",
    ]
    episodes = scores.episodes
    current = episodes.filter(pl.col("open")).sort("depth_now", descending=True, nulls_last=True)
    deepest = episodes.filter(~pl.col("open")).sort("depth", descending=True).head(15)
    sections += [
        "<h3>Open drawdowns</h3>",
        _table(
            current,
            {
                "sector": "text",
                "peak": "text",
                "trough": "text",
                "depth": "pct",
                "depth_now": "pct",
                "bars": "text",
                "calendar_days": "text",
                "depth_percentile": "num",
                "bars_percentile": "num",
            },
        ),
        "<h3>Deepest past episodes</h3>",
        _table(
            deepest,
            {
                "sector": "text",
                "peak": "text",
                "trough": "text",
                "recovery": "text",
                "depth": "pct",
                "bars_to_trough": "text",
                "bars_to_recovery": "text",
                "calendar_days": "text",
            },
        ),
    ]
    body = "\n".join(sections)
    text = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}'
        f"</title><style>{STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )
    path.write_text(text, encoding="utf-8")
    return path
