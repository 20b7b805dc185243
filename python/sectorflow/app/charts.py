"""Interactive charts of the reports (plotly; its JavaScript embedded once per page).

``rrg_figure``: the Relative Rotation Graph with a date slider (each step shows every sector's
point on that week and its tail of the weeks before) and hover labels naming the sector.
``crowding_figure``: sectors x months of the crowding composite, zoomable, each cell's sector,
month and value on hover, readable at 49 sectors x 50 years.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

__all__ = [
    "crowding_figure",
    "month_heatmap",
    "page_fragment",
    "pendulum_figure",
    "rrg_figure",
]

#: More sectors than this get short tails.
MANY_SECTORS = 15

#: Medians of RS-Ratio above this are read as 100-centred graphs.
CENTRE_SPLIT = 50.0

QUADRANT_COLOUR = {
    "Leading": "#137333",
    "Weakening": "#b06000",
    "Lagging": "#c5221f",
    "Improving": "#1a73e8",
}


def page_fragment(fig: Any, *, first: bool, div_id: str) -> str:
    """``fig`` as an HTML fragment; the first of a page carries plotly's JavaScript.

    ``div_id`` names the chart's element, so the same data always writes the same bytes.
    """
    import plotly.io as pio

    return str(pio.to_html(fig, full_html=False, include_plotlyjs=first, div_id=div_id))


def rrg_figure(rotation: pl.DataFrame, *, tail: int | None = None, weeks: int = 52) -> Any | None:
    """RS-Ratio (x) against RS-Momentum (y) on each of the last ``weeks`` dates, with tails.

    ``tail``: points of each sector's trail, 8 by default, 3 when more than ``MANY_SECTORS``
    would tangle. None when there is no point to draw.
    """
    import plotly.graph_objects as go

    rotation = rotation.drop_nulls(["rs_ratio", "rs_momentum"]).sort("sector", "date")
    if tail is None:
        tail = 8 if rotation.get_column("sector").n_unique() <= MANY_SECTORS else 3
    dates = rotation.get_column("date").unique().sort().tail(weeks).to_list()
    if not dates:
        return None
    x = rotation.get_column("rs_ratio").to_numpy()
    y = rotation.get_column("rs_momentum").to_numpy()
    pad = 0.05 * max(float(np.ptp(x)), float(np.ptp(y)), 1.0)
    # JdK-style graphs centre on 100, excess-return ones (haitong) on 0.
    centre = 100.0 if float(np.median(x)) > CENTRE_SPLIT else 0.0

    def traces(day: Any, *, visible: bool) -> list[Any]:
        """The tails of every sector (one trace, broken between sectors) and the points."""
        upto = rotation.filter(pl.col("date") <= day)
        window = upto.group_by("sector", maintain_order=True).tail(tail)
        now = window.group_by("sector", maintain_order=True).last()
        tx: list[float | None] = []
        ty: list[float | None] = []
        for _, part in window.group_by("sector", maintain_order=True):
            tx += [*part.get_column("rs_ratio").to_list(), None]
            ty += [*part.get_column("rs_momentum").to_list(), None]
        lines = go.Scatter(
            x=tx,
            y=ty,
            mode="lines",
            line={"width": 1, "color": "#bbb"},
            hoverinfo="skip",
            showlegend=False,
            visible=visible,
        )
        colours = [QUADRANT_COLOUR.get(q, "#555") for q in now.get_column("quadrant").to_list()]
        points = go.Scatter(
            x=now.get_column("rs_ratio").to_list(),
            y=now.get_column("rs_momentum").to_list(),
            mode="markers+text",
            text=now.get_column("sector").to_list(),
            textposition="top center",
            textfont={"size": 9},
            marker={"size": 8, "color": colours},
            customdata=now.select("quadrant", "date").rows(),
            hovertemplate=(
                "%{text}<br>RS-Ratio %{x:.2f}<br>RS-Momentum %{y:.2f}<br>"
                "%{customdata[0]} (%{customdata[1]})<extra></extra>"
            ),
            showlegend=False,
            visible=visible,
        )
        return [lines, points]

    # Two traces a week, only the chosen week's shown: the slider switches them.
    last = len(dates) - 1
    fig = go.Figure([t for i, d in enumerate(dates) for t in traces(d, visible=i == last)])
    steps = [
        {
            "args": [{"visible": [j // 2 == i for j in range(2 * len(dates))]}],
            "label": str(d),
            "method": "restyle",
        }
        for i, d in enumerate(dates)
    ]
    lo_x, hi_x = float(x.min()) - pad, float(x.max()) + pad
    lo_y, hi_y = float(y.min()) - pad, float(y.max()) + pad
    fig.update_layout(
        height=640,
        xaxis={"title": "RS-Ratio", "range": [lo_x, hi_x]},
        yaxis={"title": "RS-Momentum", "range": [lo_y, hi_y]},
        sliders=[
            {"active": len(dates) - 1, "steps": steps, "currentvalue": {"prefix": "week of "}}
        ],
        shapes=[
            {
                "type": "line",
                "x0": centre,
                "x1": centre,
                "y0": lo_y,
                "y1": hi_y,
                "line": {"color": "#999", "dash": "dot"},
            },
            {
                "type": "line",
                "x0": lo_x,
                "x1": hi_x,
                "y0": centre,
                "y1": centre,
                "line": {"color": "#999", "dash": "dot"},
            },
        ],
    )  # fmt: skip
    return fig


def crowding_figure(crowd: pl.DataFrame) -> Any | None:
    """Sectors (rows) by month (columns): each month's last crowding composite."""
    return month_heatmap(crowd, "crowding")


def month_heatmap(frame: pl.DataFrame, column: str) -> Any | None:
    """Sectors (rows) by month (columns) of a score in [0, 1]: each month's last value.

    Blue is 0 and red 1; each cell's sector, month and value on hover. None without values.
    """
    import plotly.graph_objects as go

    monthly = (
        frame.drop_nulls(column)
        .with_columns(pl.col("date").dt.truncate("1mo").alias("month"))
        .sort("sector", "date")
        .group_by("sector", "month", maintain_order=True)
        .agg(pl.col(column).last())
    )
    if monthly.is_empty():
        return None
    wide = monthly.pivot(on="month", index="sector", values=column).sort("sector")
    months = [c for c in wide.columns if c != "sector"]
    order = sorted(months)
    fig = go.Figure(
        go.Heatmap(
            z=wide.select(order).to_numpy().tolist(),
            x=order,
            y=wide.get_column("sector").to_list(),
            colorscale="RdBu_r",
            zmin=0.0,
            zmax=1.0,
            hovertemplate="%{y}, %{x|%Y-%m}: %{z:.2f}<extra></extra>",
            colorbar={"title": column},
        )
    )
    fig.update_layout(
        height=max(320, 16 * wide.height + 120),
        yaxis={"autorange": "reversed", "dtick": 1},
        xaxis={"rangeslider": {"visible": False}},
    )
    return fig


#: Colours of the pendulum's states (as the RRG quadrants they are).
STATE_COLOUR = {
    "overbought": QUADRANT_COLOUR["Leading"],
    "fading": QUADRANT_COLOUR["Weakening"],
    "oversold": QUADRANT_COLOUR["Lagging"],
    "recovering": QUADRANT_COLOUR["Improving"],
}


def pendulum_figure(swing: pl.DataFrame) -> Any | None:
    """Heat (y) against the relative return (x) of each sector on the last date with both.

    Marker colour: the pendulum state; a ring marks a rally out of steam. None without points.
    """
    import plotly.graph_objects as go

    points = swing.drop_nulls(["relative_return", "heat"])
    if points.is_empty():
        return None
    last = points.get_column("date").max()
    points = points.filter(pl.col("date") == last).sort("sector")
    fig = go.Figure()
    for state, colour in STATE_COLOUR.items():
        group = points.filter(pl.col("state") == state)
        if group.is_empty():
            continue
        fig.add_trace(
            go.Scatter(
                x=group.get_column("relative_return").to_list(),
                y=group.get_column("heat").to_list(),
                mode="markers+text",
                text=group.get_column("sector").to_list(),
                textposition="top center",
                name=state,
                marker={
                    "size": 11,
                    "color": colour,
                    "line": {
                        "width": [3 if s else 0 for s in group.get_column("out_of_steam")],
                        "color": "#000",
                    },
                },
                customdata=group.select("valuation_heat", "trading_heat").to_numpy().tolist(),
                hovertemplate=(
                    "%{text}<br>relative return %{x:.1%}<br>heat %{y:.2f} (valuation "
                    "%{customdata[0]:.2f}, trading %{customdata[1]:.2f})<extra></extra>"
                ),
            )
        )
    fig.add_vline(x=0.0, line={"color": "#999", "width": 1})
    fig.add_hline(y=0.5, line={"color": "#999", "width": 1, "dash": "dot"})
    fig.update_layout(
        height=520,
        title="Sectors on " + str(last),
        xaxis={"title": "relative return over the lookback (Haitong RRG x)", "tickformat": ".0%"},
        yaxis={"title": "heat (0 cold, 1 hot)", "range": [-0.05, 1.05]},
    )
    return fig
