"""hypothesis strategies: series with NaN, ±inf, ties, constant runs, short and long lengths."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

NAN, INF = float("nan"), float("inf")

# Quarter-integers: many ties, exactly representable, so pandas' own rounding stays tiny.
finite = st.integers(-80, 80).map(lambda v: v / 4)
special = st.sampled_from([NAN, NAN, INF, -INF])
value = st.one_of(finite, finite, finite, finite, special)


@st.composite
def series(draw: st.DrawFn, min_size: int = 0, max_size: int = 60) -> np.ndarray:
    """A float64 series built from runs: single values and constant stretches."""
    runs = draw(
        st.lists(
            st.tuples(value, st.one_of(st.just(1), st.just(1), st.integers(2, 12))),
            min_size=0,
            max_size=max_size,
        )
    )
    out = [v for v, k in runs for _ in range(k)][:max_size]
    while len(out) < min_size:
        out.append(draw(value))
    return np.array(out, dtype=np.float64)


@st.composite
def window_args(draw: st.DrawFn, n: int, *, min_window: int = 1) -> tuple[int, int | None]:
    """A window (sometimes longer than the series) and a min_periods (None or 0..window)."""
    window = draw(st.integers(min_window, max(min_window, n + 3)))
    min_periods = draw(st.one_of(st.none(), st.integers(0, window)))
    return window, min_periods
