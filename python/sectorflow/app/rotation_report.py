"""The rotation report: one self-contained HTML file (plotly's JavaScript embedded, works offline).

The weekly table and the metrics, then interactive charts (hover for values, drag to zoom,
double-click to reset, click a legend entry to show or hide a sector): NAV against the
benchmark, the excess curve and its drawdowns, a monthly excess table (years x months), the
current holdings with their scores, every sector's score (the last three years), and the IC
decay.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from sectorflow.app.charts import page_fragment
from sectorflow.models.summary import summaries_table

if TYPE_CHECKING:
    from sectorflow.app.rotate import Rotation

__all__ = ["monthly_excess", "write_rotation_report"]

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; } td, th { padding: 3px 10px; }
tr:nth-child(even) { background: #f4f6f8; } th { text-align: left; border-bottom: 1px solid #999; }
.note { color: #666; font-size: 12px; }
"""


def monthly_excess(nav: pl.DataFrame) -> pl.DataFrame:
    """``year, month, excess``: each month's portfolio return minus the benchmark's.

    Both are compounded within the month, from the last bar of the month before.
    """
    ends = (
        nav.group_by(
            pl.col("date").dt.year().alias("year"), pl.col("date").dt.month().alias("month")
        )
        .agg(pl.col("date").last(), pl.col("portfolio").last(), pl.col("benchmark").last())
        .sort("date")
    )
    first = nav.row(0, named=True)
    return ends.select(
        "year",
        "month",
        (
            pl.col("portfolio") / pl.col("portfolio").shift(1).fill_null(first["portfolio"])
            - pl.col("benchmark") / pl.col("benchmark").shift(1).fill_null(first["benchmark"])
        ).alias("excess"),
    )


def _table(df: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_shown(v))}</td>" for v in row) + "</tr>"
        for row in df.iter_rows()
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _shown(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _figures(run: Rotation) -> list[tuple[str, Any]]:
    import plotly.graph_objects as go

    nav = run.result.nav
    dates = nav.get_column("date").to_list()
    relative = (nav.get_column("portfolio") / nav.get_column("benchmark")).to_numpy()
    peak = pl.Series(relative).cum_max().to_numpy()
    hover = "%{x|%Y-%m-%d}: %{y:.4f}<extra>%{fullData.name}</extra>"

    growth = go.Figure()
    for column, name in (("portfolio", "rotation"), ("benchmark", "benchmark")):
        growth.add_scatter(
            x=dates, y=nav.get_column(column).to_list(), name=name, hovertemplate=hover
        )
    growth.update_layout(
        title="NAV (log scale)",
        xaxis={"rangeslider": {"visible": True}},
        yaxis={"type": "log"},
        height=420,
    )

    excess = go.Figure()
    excess.add_scatter(x=dates, y=(relative - 1.0).tolist(), name="excess", hovertemplate=hover)
    excess.update_layout(
        title="Excess: NAV / benchmark NAV - 1", yaxis={"tickformat": ".0%"}, height=320
    )

    under = go.Figure()
    under.add_scatter(
        x=dates,
        y=(relative / peak - 1.0).tolist(),
        fill="tozeroy",
        name="drawdown",
        hovertemplate=hover,
    )
    under.update_layout(
        title="Drawdowns of the excess curve", yaxis={"tickformat": ".0%"}, height=280
    )

    months = monthly_excess(nav)
    years = sorted(months.get_column("year").unique().to_list())
    grid = [[None] * 12 for _ in years]
    for year, month, value in months.iter_rows():
        grid[years.index(year)][month - 1] = value
    text = [["" if v is None else f"{v:+.1%}" for v in row] for row in grid]
    table = go.Figure(
        go.Heatmap(
            z=grid,
            x=_MONTHS,
            y=[str(y) for y in years],
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmid=0.0,
            hovertemplate="%{y} %{x}: %{z:+.2%}<extra></extra>",
        )
    )
    table.update_layout(
        title="Monthly excess return", yaxis={"autorange": "reversed"}, height=120 + 24 * len(years)
    )

    key = run.result.key
    held = set(run.summary.holdings)
    # The last three years of scores: every sector's full daily history would make the file large.
    since = pl.col("date").max().dt.offset_by("-3y")
    scores = run.scores.filter(pl.col("date") > since).sort(key, "date")
    lines = go.Figure()
    for (sector,), part in scores.group_by(key, maintain_order=True):
        lines.add_scatter(
            x=part.get_column("date").to_list(),
            y=part.get_column("score").to_list(),
            name=str(sector),
            visible=True if sector in held else "legendonly",
            hovertemplate=hover,
        )
    lines.update_layout(
        title="Scores, last three years (click a sector in the legend to show it)", height=460
    )

    ic = run.ic
    decay = go.Figure(
        go.Bar(
            x=[f"{h} bar{'s' if h != 1 else ''}" for h in ic.get_column("horizon").to_list()],
            y=ic.get_column("ic_mean").to_list(),
            customdata=ic.select("icir", "t_stat").rows(),
            hovertemplate=(
                "IC %{y:.4f}, ICIR %{customdata[0]:.3f}, t %{customdata[1]:.2f}<extra></extra>"
            ),
        )
    )
    decay.update_layout(title="IC decay (mean rank IC by horizon)", height=300)
    return [
        ("NAV against the benchmark", growth),
        ("Excess", excess),
        ("Drawdowns of the excess", under),
        ("Monthly excess", table),
        ("Every sector's score", lines),
        ("IC decay", decay),
    ]


def write_rotation_report(path: Path, run: Rotation, *, title: str = "Rotation report") -> Path:
    """Writes the report of ``run`` to ``path`` (one HTML file, no network needed to view it)."""
    m = run.result.metrics
    metrics = pl.DataFrame(
        {
            "metric": [k for k, v in m.items() if isinstance(v, float)],
            "value": [v for v in m.values() if isinstance(v, float)],
        }
    )
    holdings = run.result.holdings.filter(pl.col("rebalance_date") == run.summary.rebalance_date)
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        "<h2>This week</h2>",
        _table(run.summary.to_frame()),
    ]
    if run.beside:
        side = summaries_table(run.beside).with_columns(
            pl.col(c).map_elements(lambda x: f"{x:+.2%}", return_dtype=pl.String)
            for c in ("return", "excess_week", "excess_mtd", "excess_ytd")
        )
        parts += ["<h2>Models side by side</h2>", _table(side)]
    parts += [
        "<h2>Holdings</h2>",
        _table(holdings),
        "<h2>Backtest</h2>",
        _table(metrics),
    ]
    for i, (heading, fig) in enumerate(_figures(run)):
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.append(page_fragment(fig, first=i == 0, div_id=f"chart-{i}"))
    parts.append('<p class="note">Hover for values, drag to zoom, double-click to reset.</p>')
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
    path.write_text(page, encoding="utf-8")
    return path
