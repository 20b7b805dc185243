"""Charts (matplotlib, headless). Install with ``pip install sectorflow[plot]``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sectorflow.sector.rrg import QUADRANTS, key_of, rrg_tail

if TYPE_CHECKING:
    import polars as pl

_SHADES = {
    "Leading": "#d9f2d9",
    "Weakening": "#fff4cc",
    "Lagging": "#f9d6d5",
    "Improving": "#dae8fc",
}
_CORNERS = {"Leading": (1, 1), "Weakening": (1, 0), "Lagging": (0, 0), "Improving": (0, 1)}


def _spread_labels(fig: Any, labels: list[Any], rounds: int = 400) -> None:
    """Move label texts (annotations placed in data coordinates) apart until none overlap.

    Each round measures every label's box on the canvas and pushes each overlapping pair apart
    along the axis of least overlap, half each.
    """
    renderer = fig.canvas.get_renderer()
    for _ in range(rounds):
        boxes = [t.get_window_extent(renderer) for t in labels]
        shift = np.zeros((len(labels), 2))
        for i, a in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                b = boxes[j]
                dx = min(a.x1, b.x1) - max(a.x0, b.x0)
                dy = min(a.y1, b.y1) - max(a.y0, b.y0)
                if dx <= 0 or dy <= 0:
                    continue
                if dy <= dx:
                    up = 1.0 if (b.y0 + b.y1) >= (a.y0 + a.y1) else -1.0
                    shift[i, 1] -= up * (dy / 2 + 1)
                    shift[j, 1] += up * (dy / 2 + 1)
                else:
                    right = 1.0 if (b.x0 + b.x1) >= (a.x0 + a.x1) else -1.0
                    shift[i, 0] -= right * (dx / 2 + 1)
                    shift[j, 0] += right * (dx / 2 + 1)
        if not shift.any():
            return
        to_data = labels[0].axes.transData
        for t, d in zip(labels, shift, strict=True):
            if d.any():
                x, y = to_data.transform(t.get_position())
                t.set_position(tuple(to_data.inverted().transform((x + d[0], y + d[1]))))


def _colors(name: str) -> list[tuple[float, ...]]:
    """The colours of a qualitative matplotlib colormap (a ``ListedColormap``)."""
    import matplotlib.pyplot as plt

    return [tuple(c) for c in getattr(plt.get_cmap(name), "colors", [])]


def rrg(
    result: pl.DataFrame,
    tail: int = 8,
    path: str | Path | None = None,
    *,
    title: str | None = None,
    asof: Any = None,
) -> Any:
    """Draw a Relative Rotation Graph from :func:`sectorflow.rrg`'s result.

    Shaded, named quadrants around the centre lines; each series' last ``tail`` points as a line
    with dots and an arrow head at the latest point, labelled (labels are spread so they do not
    pile up). Saved to ``path`` (PNG/SVG/PDF by suffix) when given. Returns the matplotlib Figure.
    """
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import patheffects

    key = key_of(result)
    points = rrg_tail(result, tail, asof=asof)
    if points.is_empty():
        msg = "result has no defined points to draw"
        raise ValueError(msg)
    largest = result["rs_ratio"].drop_nulls().abs().max()
    haitong = isinstance(largest, float) and largest < 50  # noqa: PLR2004 (0-centred values)
    centre = 0.0 if haitong else 100.0
    fig, ax = plt.subplots(figsize=(11, 9), dpi=110)
    x, y = points["rs_ratio"].to_numpy(), points["rs_momentum"].to_numpy()
    span = max(np.nanmax(np.abs(x - centre)), np.nanmax(np.abs(y - centre))) * 1.15
    lo, hi = centre - span, centre + span
    for name in QUADRANTS:
        cx, cy = _CORNERS[name]
        ax.fill_between(
            [centre if cx else lo, hi if cx else centre],
            centre if cy else lo,
            hi if cy else centre,
            color=_SHADES[name],
            zorder=0,
        )
        ax.text(
            hi - span * 0.02 if cx else lo + span * 0.02,
            hi - span * 0.03 if cy else lo + span * 0.03,
            name,
            ha="right" if cx else "left",
            va="top" if cy else "bottom",
            fontsize=14,
            fontweight="bold",
            color="#555555",
            zorder=1,
        )
    ax.axhline(centre, color="#444444", lw=0.8, zorder=1)
    ax.axvline(centre, color="#444444", lw=0.8, zorder=1)
    # Distinct, dark enough to read on the shading: tab10, Dark2, Set1, then tab20b's darkest.
    palette = [
        *_colors("tab10"),
        *_colors("Dark2"),
        *_colors("Set1"),
        *_colors("tab20b")[::4],
    ]
    heads, names = [], []
    for i, (group_key, group) in enumerate(points.group_by(key, maintain_order=True)):
        gx, gy = group["rs_ratio"].to_numpy(), group["rs_momentum"].to_numpy()
        colour = palette[i % len(palette)]
        ax.plot(gx, gy, "-", color=colour, lw=1.4, alpha=0.9, zorder=3)
        ax.plot(gx[:-1], gy[:-1], "o", color=colour, ms=3.5, zorder=3)
        if len(gx) > 1:
            ax.annotate(
                "",
                xy=(gx[-1], gy[-1]),
                xytext=(gx[-2], gy[-2]),
                arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.4},
                zorder=4,
            )
        else:
            ax.plot(gx, gy, "o", color=colour, ms=6, zorder=4)
        heads.append((gx[-1], gy[-1], colour))
        names.append(str(group_key[0]))
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("RS-Ratio" if not haitong else "excess return (rs_ratio)")
    ax.set_ylabel("RS-Momentum" if not haitong else "change of excess return (rs_momentum)")
    last = points["date"].max()
    ax.set_title(title or f"Relative Rotation Graph, {tail}-point tails to {last!s}")
    fig.tight_layout()
    outline = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    labels = [
        ax.text(hx, hy, f" {name}", fontsize=9, color=colour, fontweight="bold",
                va="bottom", path_effects=outline, zorder=5)
        for (hx, hy, colour), name in zip(heads, names, strict=True)
    ]  # fmt: skip
    _spread_labels(fig, labels)
    for (hx, hy, colour), label in zip(heads, labels, strict=True):
        tx, ty = label.get_position()
        if (tx, ty) != (hx, hy):  # a leader line from the arrow head to its moved label
            ax.plot([hx, tx], [hy, ty], "-", color=colour, lw=0.5, alpha=0.6, zorder=4)
    if path is not None:
        fig.savefig(path)
    return fig
