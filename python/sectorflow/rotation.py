"""The top-N rotation kernel on dense panels: many configurations in one call of the core.

``returns`` (bars x series); ``scores`` (panels x rows x series) and ``tradable`` (rows x
series), row ``i`` on bar ``score_bars[i]`` (default: a row per bar; a stock universe passes
its rebalance bars only). For each
configuration ``c`` (score panel ``score_of[c]``, ``top_n[c]``, rebalance bars
``rebalances[rebalance_of[c]]``), at each rebalance bar ``d`` with a score the ``top_n``
tradable series with a finite score (highest first, ties to the lower column) are held from bar
``d + lag``, drifting with their returns (a NaN return keeps the value), equal or
score-proportional weights, costs ``cost_bps / 1e4 * sum |dw|`` when the weights start::

    turnover = (sum_j |w_j - w~_j| + |invested - invested~|) / 2

Returns the NAV paths (configs x bars, NaN before each first rebalance bar, 1 on it) and, per
configuration, a dict of its rebalances: ``starts`` (the bars the weights first earn),
``turnover``, ``costs`` (share of the NAV), and the columns bought, best first, with their
weights (``held``, ``weights``; rebalance ``k`` holds ``held[held_from[k]:held_from[k + 1]]``).
The configurations run in parallel on sectorflow's pool with the GIL released.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from sectorflow import _native

__all__ = ["top_n_rotations"]


def top_n_rotations(  # noqa: PLR0917 (the configurations' three columns, side by side)
    scores: np.ndarray,
    returns: np.ndarray,
    tradable: np.ndarray,
    rebalances: Sequence[np.ndarray],
    score_of: Sequence[int],
    top_n: Sequence[int],
    rebalance_of: Sequence[int],
    *,
    score_bars: np.ndarray | None = None,
    lag: int = 1,
    score_weighted: bool = False,
    cost_bps: float = 0.0,
) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """NAV paths, and each configuration's rebalances; see the module.

    Panels in Fortran order (series by series, as pivots of long tables come) are read as they
    are; any other order is read bar by bar.
    """
    order: Literal["C", "F"] = "F" if np.isfortran(returns) else "C"
    r = np.asarray(returns, dtype=np.float64, order=order)
    t = np.asarray(tradable, dtype=np.bool_, order=order)
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim == 2:  # noqa: PLR2004 (one panel)
        s = s[np.newaxis]
    if r.ndim != 2:  # noqa: PLR2004
        msg = f"returns must be bars x series, got shape {r.shape}"
        raise ValueError(msg)
    rows = np.arange(r.shape[0]) if score_bars is None else np.asarray(score_bars, np.int64)
    shape = (len(rows), r.shape[1])
    if s.ndim != 3 or s.shape[1:] != shape:  # noqa: PLR2004
        msg = f"scores must be panels of shape {shape} (score rows x series), got {s.shape}"
        raise ValueError(msg)
    if t.shape != shape:
        msg = f"tradable must have the scores' shape {shape}, got {t.shape}"
        raise ValueError(msg)
    flat = np.concatenate([p.ravel(order=order) for p in s]) if len(s) > 1 else s[0].ravel(order)
    codes = [np.asarray(v, dtype=np.int64) for v in (score_of, top_n, rebalance_of)]
    return _native.top_n_rotations(
        flat,
        r,
        t,
        [np.asarray(b, dtype=np.int64) for b in rebalances],
        *codes,
        score_bars=rows.astype(np.int64),
        lag=lag,
        score_weighted=score_weighted,
        cost_bps=float(cost_bps),
    )
