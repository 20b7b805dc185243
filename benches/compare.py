"""Ratio table: sectorflow against pandas, polars, bottleneck and numbagg, measured in one run.

Usage: ``python benches/compare.py [--repeat 3] [--quick] [--json PATH]``
       ``python benches/compare.py --sectors [--quick]``
       ``python benches/compare.py --sector-keys [--repeat 7]``
       ``python benches/compare.py --threads [--repeat 5]``
       ``python benches/compare.py --rotation [--quick]``
       ``python benches/compare.py --recompute [--quick] [--stocks FILE.parquet]``
       ``python benches/compare.py --minute [--quick] [--minutes FOLDER]``
       ``python benches/compare.py --sequences [--quick]``
       ``python benches/compare.py --gru``

Data: (a) one price-level series of 5,000,000 values (a random walk), (b) a 2,500 x 2,000 panel
(days x stocks, C order) and, for the expanding rank only, (c) 5,000,000 independent returns;
window 250, 1% NaN (null for polars). Then the Polars plugin: the panel as a long table of
5,000,000 rows (2,000 symbols x 2,500 dates), in symbol order and shuffled: our ``.sf``
expressions keyed (``by="symbol", order_by="date"``, or ``by="date"`` for the cross-sectional
rank) and inside ``.over(...)``, against native Polars expressions inside ``.over(...)``. Each
cell is the median wall time of ``--repeat`` runs.
sectorflow is timed single-threaded (``1T``) and with all threads (``nT``): panel columns run in
parallel, and so do the block-aligned segments of a long series. The last column is the fastest
peer's time over sectorflow's best time.

``--sectors`` times the weekly sector dashboard instead: ``sf.sector_dashboard`` on a synthetic
market of 5,000 symbols x 5,000 days (polars in) against ``benches/pandas_sectors.dashboard``,
a straightforward pandas implementation of the same table (pandas in), in the same run.

``--sector-keys`` times the expressions the sector scores run, ``.over(key)`` against the keyed
form (``by=key``) they now use, on sector-shaped long tables (string keys, rows sorted by key
and date: 31 x 5,000, 500 x 5,000 and 5,000 x 1,000), in the same run.

``--threads`` runs four keyed expressions in one ``with_columns`` on the shuffled 5,000,000-row
long table (and the same inside ``.over``) in a fresh process per setting of
``SECTORFLOW_NUM_THREADS`` and ``POLARS_MAX_THREADS``: wall time, cores busy (CPU time over
wall time) and involuntary context switches per run, to show how the two pools share the cores.

``--rotation`` times the rotation models: one ``backtest`` of 31 industries over 20 years (Ken
French, and the Shenwan level-1 file when ../shared/data is there), a stock-level top-50 weekly
rotation on a synthetic market (5,000 x 5,000; 1,000 x 2,500 with ``--quick``), and a
``rotation_sweep`` of 1,000 configurations on the Shenwan level-1 (Ken French 31 without it)
against ``benches/pandas_rotation.py`` on 20 of them, scaled to 1,000.

``--recompute`` times the main job from a file: ``sectorflow recompute FILE --benchmark market``
against ``benches/pandas_recompute.py FILE`` (the same tables from pandas, without the HTML
report), each in its own process, reporting wall time and the process's peak resident memory.
FILE is a 5,000 x 5,000 synthetic market written to parquet unless ``--stocks`` names one.

``--minute`` times the minute-bar engine end to end from disk: daily bars, 30-minute bars and
the intraday features of a date-partitioned A-share minute dataset (5,000 symbols x 250 days x
240 minutes = 300M rows, written once by ``sf.datasets.write_minute_bars`` under
``~/.cache/sectorflow/bench``; 500 x 50 with ``--quick``) by ``sf.minute_bars`` against
``benches/polars_minute.py`` (the same tables in native Polars, a day file at a time), each in
its own process: wall time, rows/s and peak resident memory. Then the core alone: the
accumulator fed decoded Arrow columns of the first 10 days in memory, rows/s.

``--sequences`` times the GRU factor's inputs: ``sf.sequence_features`` on the 30-minute bars of
5,000 symbols x 250 days (10M bars; 500 x 250 with ``--quick``), T = 20 days, against
``benches/pandas_sequences.py`` (the same features and windows in pandas), in the same run.

``--gru`` runs the GRU factor's daily-bar variant on the Shenwan level-1 industries (close
only, 2014-2023; Ken French 31 without ../shared/data): walk-forward from 2017, retrained every
year on an expanding window, lookback 20 days, label the 5-day return from the next close; its
weekly rank IC, ICIR and the top-6 weekly backtest against the equal-weight industries, and the
training throughput (samples/s on CPU).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bottleneck as bn
import numbagg
import numpy as np
import pandas as pd
import polars as pl

import sectorflow as sf

W = 250
PEERS = ("pandas", "polars", "bottleneck", "numbagg")


def make_data(quick: bool) -> dict[str, dict[str, Any]]:
    rng = np.random.default_rng(0)
    n = 500_000 if quick else 5_000_000
    rows, cols = (500, 400) if quick else (2_500, 2_000)
    out = {}
    for name, shape in (("series", (n,)), ("panel", (rows, cols))):
        x = 100.0 + np.cumsum(rng.normal(0.0, 1.0, shape), axis=0)
        y = 0.5 * x + rng.normal(0.0, 1.0, shape)
        for a in (x, y):
            a[rng.random(shape) < 0.01] = np.nan
        out[name] = {"x": x, "y": y}
    # Independent daily returns: no level structure for a rank's search to exploit.
    r = rng.normal(0.0, 0.01, n)
    r[rng.random(n) < 0.01] = np.nan
    out["returns"] = {"x": r, "y": r}
    return out


def peers_for(kernel: str, kind: str, x: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], Any]]:
    """The peer call computing the same thing as ``kernel`` (pandas semantics), where one exists."""
    panel = kind == "panel"
    px = pd.DataFrame(x) if panel else pd.Series(x)
    py = pd.DataFrame(y) if panel else pd.Series(y)
    if panel:
        lx = pl.DataFrame({f"c{j}": x[:, j] for j in range(x.shape[1])}, nan_to_null=True)
        ly = pl.DataFrame({f"c{j}": y[:, j] for j in range(y.shape[1])}, nan_to_null=True)
        names = lx.columns
    else:
        sx, sy = pl.Series(x, nan_to_null=True), pl.Series(y, nan_to_null=True)
    ax = {"axis": 0}
    r = px.rolling(W)

    def polars_unary(method: str, **kw: Any) -> Callable[[], Any]:
        if panel:
            return lambda: lx.select(getattr(pl.all(), method)(W, **kw))
        return lambda: getattr(sx, method)(W, **kw)

    def polars_binary(fn: Callable[..., pl.Expr]) -> Callable[[], Any]:
        if panel:
            both = pl.concat([lx, ly.rename({c: f"y{c}" for c in names})], how="horizontal")
            return lambda: both.select(
                [fn(pl.col(c), pl.col(f"y{c}"), window_size=W) for c in names]
            )
        frame = pl.DataFrame({"x": sx, "y": sy})
        return lambda: frame.select(fn(pl.col("x"), pl.col("y"), window_size=W))

    table: dict[str, dict[str, Callable[[], Any]]] = {
        "rolling_sum": {
            "pandas": r.sum,
            "polars": polars_unary("rolling_sum"),
            "bottleneck": lambda: bn.move_sum(x, W, **ax),
            "numbagg": lambda: numbagg.move_sum(x, window=W, **ax),
        },
        "rolling_mean": {
            "pandas": r.mean,
            "polars": polars_unary("rolling_mean"),
            "bottleneck": lambda: bn.move_mean(x, W, **ax),
            "numbagg": lambda: numbagg.move_mean(x, window=W, **ax),
        },
        "rolling_var": {
            "pandas": r.var,
            "polars": polars_unary("rolling_var"),
            "bottleneck": lambda: bn.move_var(x, W, ddof=1, **ax),
            "numbagg": lambda: numbagg.move_var(x, window=W, **ax),
        },
        "rolling_std": {
            "pandas": r.std,
            "polars": polars_unary("rolling_std"),
            "bottleneck": lambda: bn.move_std(x, W, ddof=1, **ax),
            "numbagg": lambda: numbagg.move_std(x, window=W, **ax),
        },
        "rolling_zscore": {
            "pandas": lambda: (px - r.mean()) / r.std(),
            "polars": (
                (lambda: lx.select((pl.all() - pl.all().rolling_mean(W)) / pl.all().rolling_std(W)))
                if panel
                else (lambda: (sx - sx.rolling_mean(W)) / sx.rolling_std(W))
            ),
        },
        "rolling_skew": {"pandas": r.skew, "polars": polars_unary("rolling_skew", bias=False)},
        "rolling_kurt": {"pandas": r.kurt, "polars": polars_unary("rolling_kurtosis", bias=False)},
        "rolling_min": {
            "pandas": r.min,
            "polars": polars_unary("rolling_min"),
            "bottleneck": lambda: bn.move_min(x, W, **ax),
        },
        "rolling_max": {
            "pandas": r.max,
            "polars": polars_unary("rolling_max"),
            "bottleneck": lambda: bn.move_max(x, W, **ax),
        },
        "rolling_cov": {
            "pandas": lambda: r.cov(py, pairwise=False) if panel else r.cov(py),
            "polars": polars_binary(pl.rolling_cov),
            "numbagg": lambda: numbagg.move_cov(x, y, window=W, **ax),
        },
        "rolling_corr": {
            "pandas": lambda: r.corr(py, pairwise=False) if panel else r.corr(py),
            "polars": polars_binary(pl.rolling_corr),
            "numbagg": lambda: numbagg.move_corr(x, y, window=W, **ax),
        },
        "rolling_beta": {
            "pandas": lambda: py.rolling(W).cov(px) / r.var(),
        },
        "ewm_mean": {
            "pandas": lambda: px.ewm(span=W).mean(),
            "polars": (
                (lambda: lx.select(pl.all().ewm_mean(span=W)))
                if panel
                else (lambda: sx.ewm_mean(span=W))
            ),
            "numbagg": lambda: numbagg.move_exp_nanmean(x, alpha=2.0 / (W + 1), **ax),
        },
        "rolling_rank": {
            "pandas": lambda: r.rank(pct=True),
            "polars": polars_unary("rolling_rank"),
            "bottleneck": lambda: bn.move_rank(x, W, **ax),
        },
        "rolling_quantile": {
            "pandas": lambda: r.quantile(0.5),
            "polars": (
                (lambda: lx.select(pl.all().rolling_quantile(0.5, "linear", W)))
                if panel
                else (lambda: sx.rolling_quantile(0.5, "linear", W))
            ),
            "bottleneck": lambda: bn.move_median(x, W, **ax),
        },
        "expanding_rank": {"pandas": lambda: px.expanding().rank(pct=True)},
        "cs_rank": {"pandas": lambda: px.rank(axis=1, pct=True)},
        "pct_change": {
            "pandas": px.pct_change,
            "polars": (lambda: lx.select(pl.all().pct_change())) if panel else sx.pct_change,
        },
    }
    return table[kernel]


def ours(kernel: str, x: np.ndarray, y: np.ndarray) -> Callable[[], Any]:
    fn = getattr(sf, kernel)
    if kernel in ("rolling_cov", "rolling_corr", "rolling_beta"):
        return lambda: fn(x, y, W)
    if kernel == "ewm_mean":
        return lambda: fn(x, span=W)
    if kernel == "pct_change":
        return lambda: fn(x)
    if kernel == "rolling_quantile":
        return lambda: fn(x, W, 0.5)
    if kernel in ("expanding_rank", "cs_rank"):
        return lambda: fn(x)
    return lambda: fn(x, W)


KERNELS = [
    "rolling_sum",
    "rolling_mean",
    "rolling_var",
    "rolling_std",
    "rolling_zscore",
    "rolling_skew",
    "rolling_kurt",
    "rolling_min",
    "rolling_max",
    "rolling_cov",
    "rolling_corr",
    "rolling_beta",
    "ewm_mean",
    "pct_change",
    "rolling_rank",
    "rolling_quantile",
    "expanding_rank",
    "cs_rank",
]

# Data each kernel runs on: the price-level series and the panel, except the expanding rank (the
# series, and independent returns, where pandas needs ~15 s) and the cross-sectional rank (per
# row of the panel).
LAYOUTS = {"expanding_rank": ("series", "returns"), "cs_rank": ("panel",)}


def timeit(fn: Callable[[], Any], repeat: int, *, warm: bool = True) -> float:
    if warm:
        fn()  # warm-up (first-call allocations, numba compilation)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10x smaller data")
    parser.add_argument("--kernels", nargs="*", default=KERNELS)
    parser.add_argument("--json", default=str(Path(__file__).parent / "results" / "compare.json"))
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="rank and quantile on the series at windows 20, 250 and 2000 (M values/s)",
    )
    parser.add_argument(
        "--sectors",
        action="store_true",
        help="the sector dashboard on a 5,000 x 5,000 synthetic market against pandas",
    )
    parser.add_argument(
        "--sector-keys",
        action="store_true",
        help="the sector scores' expressions: .over(key) against by=key on sector tables",
    )
    parser.add_argument(
        "--threads",
        action="store_true",
        help="keyed expressions under each setting of both thread pools, one process each",
    )
    parser.add_argument("--threads-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--rotation",
        action="store_true",
        help="backtest, stock-level rotation and a 1,000-configuration sweep against pandas",
    )
    parser.add_argument(
        "--recompute",
        action="store_true",
        help="sectorflow recompute on a 5,000 x 5,000 daily file against a pandas job",
    )
    parser.add_argument("--stocks", help="with --recompute: a stock parquet file to use")
    parser.add_argument(
        "--minute",
        action="store_true",
        help="minute bars to daily, 30-minute bars and features from disk, against polars",
    )
    parser.add_argument("--minutes", help="with --minute: a minute-bar folder to use")
    for flag, text in (
        ("--distributed", "recompute on local Dask clusters (1 and 2 workers) and alone"),
        ("--gru", "the GRU factor walk-forward on Shenwan level-1"),
        ("--sequences", "GRU feature sequences from 30-minute bars against pandas"),
    ):
        parser.add_argument(flag, action="store_true", help=text)
    parser.add_argument(
        "--no-plugin", action="store_true", help="skip the Polars expressions on the long table"
    )
    args = parser.parse_args()
    single = _single_mode(args)
    if single is not None:
        print(single)
        return
    data = make_data(args.quick)
    if args.sweep:
        print(sweep(data["series"]["x"], args.repeat))
        return
    threads = sf.get_num_threads()
    rows: list[dict[str, Any]] = []
    for kind in ("series", "returns", "panel"):
        x, y = data[kind]["x"], data[kind]["y"]
        for kernel in args.kernels:
            if kind not in LAYOUTS.get(kernel, ("series", "panel")):
                continue
            row: dict[str, Any] = {"kernel": kernel, "data": kind, "values": x.size}
            sf.set_num_threads(1)
            row["sectorflow_1T"] = timeit(ours(kernel, x, y), args.repeat)
            sf.set_num_threads(threads)
            row["sectorflow_nT"] = timeit(ours(kernel, x, y), args.repeat)
            for peer, fn in peers_for(kernel, kind, x, y).items():
                slow = kernel == "expanding_rank"  # pandas: ~20 s a run
                row[peer] = timeit(fn, 1 if slow else args.repeat, warm=not slow)
            rows.append(row)
            print(format_row(row), flush=True)

    plugin = [] if args.no_plugin else plugin_rows(data["panel"]["x"], args.repeat)
    table = markdown(rows, threads)
    print()
    print(table)
    if plugin:
        print()
        print(plugin_markdown(plugin))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "threads": threads,
        "window": W,
        "repeat": args.repeat,
        "versions": {
            "sectorflow": getattr(sf, "__version__", "dev"),
            "pandas": pd.__version__,
            "polars": pl.__version__,
            "bottleneck": bn.__version__,
            "numbagg": numbagg.__version__,
            "numpy": np.__version__,
        },
    }
    out.write_text(json.dumps({"meta": meta, "rows": rows, "plugin": plugin}, indent=1))
    print(f"\nwrote {out}")


def _single_mode(args: argparse.Namespace) -> str | None:
    """The output of a mode that replaces the ratio table, or None for the table."""
    modes: dict[str, Callable[[], str]] = {
        "sectors": lambda: sectors(args.quick, args.repeat),
        "recompute": lambda: recompute(args.quick, args.stocks),
        "distributed": lambda: distributed_table(args.quick),
        "minute": lambda: minute(args.quick, args.minutes),
        "sequences": lambda: sequences(args.quick, args.repeat),
        "gru": gru_factor,
        "threads": lambda: threads_table(args.repeat),
        "threads_child": lambda: json.dumps(threads_child(args.repeat)),
        "sector_keys": lambda: sector_keys(args.repeat),
        "rotation": lambda: rotation(args.quick, args.repeat),
        "sweep": lambda: sweep(make_data(args.quick)["series"]["x"], args.repeat),
    }
    chosen = [run for name, run in modes.items() if getattr(args, name)]
    return chosen[0]() if chosen else None


def sweep(x: np.ndarray, repeat: int) -> str:
    """M values/s of rank and quantile at three windows: no collapse at large windows."""
    sx = pl.Series(x, nan_to_null=True)
    lines = [
        "| kernel | window | sectorflow 1T | pandas | polars | bottleneck |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    sf.set_num_threads(1)
    for w in (20, 250, 2000):
        s = pd.Series(x).rolling(w)
        cases = {
            "rolling_rank": (
                lambda w=w: sf.rolling_rank(x, w),
                lambda s=s: s.rank(pct=True),
                lambda w=w: sx.rolling_rank(w),
                # bottleneck's O(n w) scan would take ~40 s at w = 2000 (bottleneck#466)
                (lambda w=w: bn.move_rank(x, w)) if w <= 250 else None,
            ),
            "rolling_quantile": (
                lambda w=w: sf.rolling_quantile(x, w, 0.5),
                lambda s=s: s.quantile(0.5),
                lambda w=w: sx.rolling_quantile(0.5, "linear", w),
                lambda w=w: bn.move_median(x, w),
            ),
        }
        for name, fns in cases.items():
            rates = [x.size / timeit(f, repeat) / 1e6 if f else None for f in fns]
            cells = [f"{r:.1f}" if r else "—" for r in rates]
            lines.append(f"| {name} | {w} | " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    return "\n".join(lines)


def sectors(quick: bool, repeat: int) -> str:
    """The full sector dashboard from stock bars: sectorflow against a pandas implementation."""
    import pandas_sectors

    n_symbols, n_days = (500, 1_000) if quick else (5_000, 5_000)
    start = time.perf_counter()
    market = sf.datasets.synthetic_market(n_symbols=n_symbols, n_days=n_days, seed=1)
    generated = time.perf_counter() - start
    frame = market.to_pandas()
    print(f"market: {market.height:,} rows generated in {generated:.1f} s", flush=True)
    threads = sf.get_num_threads()
    ours = timeit(lambda: sf.sector_dashboard(market), repeat)
    print(f"sectorflow ({threads}T): {ours:.2f} s", flush=True)
    # One pandas run: it takes about a minute and several GB at full size.
    theirs = timeit(lambda: pandas_sectors.dashboard(frame), 1, warm=False)
    print(f"pandas: {theirs:.2f} s", flush=True)
    rows = [("sector_dashboard", ours, theirs), *valuation_rows(market, frame, repeat)]
    return "\n".join(
        [
            "| job | rows | sectorflow (s) | pandas (s) | pandas / ours |",
            "|---|---:|---:|---:|---:|",
            *(
                f"| {job} | {market.height:,} | {a:.2f} | {b:.1f} | {b / a:.0f}x |"
                for job, a, b in rows
            ),
            "",
            glue(quick, repeat, market),
        ]
    )


def valuation_rows(market: pl.DataFrame, frame: Any, repeat: int) -> list[tuple[str, float, float]]:
    """Valuation and heat from the stock rows: sectorflow against ``benches/pandas_valuation``.

    Both compute the totals once and score them twice (valuation daily, heat at month ends).
    """
    import pandas_valuation

    def ours() -> None:
        totals = sf.valuation_totals(market)
        sf.sector_valuation(totals)
        sf.sector_heat(totals)

    def theirs() -> None:
        totals = pandas_valuation.totals(frame)
        pandas_valuation.valuation(totals)
        pandas_valuation.heat(totals)

    mine = timeit(ours, repeat)
    print(f"valuation + heat, sectorflow: {mine:.2f} s", flush=True)
    peer = timeit(theirs, 1, warm=False)
    print(f"valuation + heat, pandas: {peer:.2f} s", flush=True)
    return [("sector_valuation + sector_heat", mine, peer)]


#: The numeric columns of stock bars, in the order the sector accumulator takes them.
_BAR_VALUES = ("close", "volume", "amount", "float_mcap")


def sector_keys(repeat: int) -> str:
    """The sector scores' expressions inside ``.over(key)`` against keyed (``by=key``)."""
    rng = np.random.default_rng(0)
    c = pl.col("close")
    lines = [
        "| table | expression | `.over` (ms) | keyed `by=` (ms) | `.over` / keyed |",
        "|---|---|---:|---:|---:|",
    ]
    for keys, days in ((31, 5_000), (500, 5_000), (5_000, 1_000)):
        df = pl.DataFrame(
            {
                "sector": np.repeat([f"sector {i:04d}" for i in range(keys)], days),
                "date": np.tile(np.arange(days, dtype=np.int32), keys),
                "close": rng.random(keys * days) + 1.0,
                "benchmark": rng.random(keys * days) + 1.0,
            }
        )
        cases = {
            "pct_change(1)": lambda **k: c.sf.pct_change(1, **k),
            "rolling_mean(20)": lambda **k: c.sf.rolling_mean(20, **k),
            "rolling_excess_return(40)": lambda **k: c.sf.rolling_excess_return(
                "benchmark", 40, **k
            ),
            "rolling_rank(250)": lambda **k: c.sf.rolling_rank(250, **k),
            "expanding_rank()": lambda **k: c.sf.expanding_rank(min_periods=2, **k),
        }
        for name, make in cases.items():
            over_expr, keyed_expr = make().over("sector"), make(by="sector")
            over = timeit(lambda e=over_expr, d=df: d.select(e), repeat)
            keyed = timeit(lambda e=keyed_expr, d=df: d.select(e), repeat)
            lines.append(
                f"| {keys:,} x {days:,} | {name} | {over * 1e3:.2f} | {keyed * 1e3:.2f} | "
                f"{over / keyed:.1f}x |"
            )
            print(lines[-1], flush=True)
    return "\n".join(lines)


#: (SECTORFLOW_NUM_THREADS, POLARS_MAX_THREADS) settings of ``--threads``; (2, 2) is the default
#: on two cores.
_THREAD_SETTINGS = ((1, 1), (1, 2), (2, 1), (2, 2), (4, 2), (2, 4), (4, 4))


def threads_table(repeat: int) -> str:
    """The keyed and ``.over`` expressions under each thread setting, one fresh process each."""
    lines = [
        (
            "| sectorflow threads | polars threads | keyed (ms) | cores busy | switches / run "
            "| `.over` (ms) | cores busy | switches / run |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for ours, theirs in _THREAD_SETTINGS:
        env = {
            **os.environ,
            "SECTORFLOW_NUM_THREADS": str(ours),
            "POLARS_MAX_THREADS": str(theirs),
        }
        done = subprocess.run(  # noqa: S603 (this script, an argv list)
            [sys.executable, __file__, "--threads-child", "--repeat", str(repeat)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        r = json.loads(done.stdout.strip().splitlines()[-1])
        k, o = r["keyed"], r["over"]
        lines.append(
            f"| {ours} | {theirs} | {k['wall'] * 1e3:.0f} | {k['busy']:.2f} | "
            f"{k['switches']:.0f} | {o['wall'] * 1e3:.0f} | {o['busy']:.2f} | "
            f"{o['switches']:.0f} |"
        )
        print(lines[-1], flush=True)
    return "\n".join(lines)


def threads_child(repeat: int) -> dict[str, dict[str, float]]:
    """Median wall time, CPU time over wall time and involuntary switches of each form."""
    import resource

    rng = np.random.default_rng(0)
    panel = rng.standard_normal((2_500, 2_000))
    panel[rng.random(panel.shape) < 0.01] = np.nan
    df = long_table(panel).sample(fraction=1.0, shuffle=True, seed=1)
    x = pl.col("x")
    forms = {
        "keyed": {"by": "symbol", "order_by": "date"},
        "over": {},
    }
    result = {}
    for form, k in forms.items():

        def wrap(e: pl.Expr, k: dict[str, Any] = k) -> pl.Expr:
            return e if k else e.over("symbol", order_by="date")

        exprs = [
            wrap(x.sf.rolling_mean(W, **k)).alias("mean"),
            wrap(x.sf.rolling_std(W, **k)).alias("std"),
            wrap(x.sf.rolling_rank(W, **k)).alias("rank"),
            wrap(x.sf.pct_change(1, **k)).alias("pct"),
        ]
        df.with_columns(exprs)  # warm
        runs = []
        for _ in range(repeat):
            before = resource.getrusage(resource.RUSAGE_SELF)
            start = time.perf_counter()
            df.with_columns(exprs)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            runs.append((wall, cpu / wall, after.ru_nivcsw - before.ru_nivcsw))
        runs.sort()
        wall, busy, switches = runs[len(runs) // 2]
        result[form] = {"wall": wall, "busy": busy, "switches": float(switches)}
    return result


def _industries() -> tuple[str, pl.DataFrame]:
    """Shenwan level-1 levels when ../shared/data is there, else 31 Ken French industries."""
    path = Path(__file__).resolve().parents[2] / "shared" / "data"
    path = path / "cn_sw2021_l1_and_broad_indices_daily.csv"
    if path.exists():
        raw = pl.read_csv(path, try_parse_dates=True)
        levels = raw.filter(pl.col("kind") == "sw2021_l1").select(
            "date", pl.col("name").alias("sector"), "close"
        )
        return "Shenwan L1 (31 x 2,198 days)", levels
    return "Ken French 31 x 20 years", _ken_french_31()


def _ken_french_31() -> pl.DataFrame:
    levels, _ = sf.datasets.ff49_sectors()
    keep = levels.get_column("sector").unique().sort().head(31).implode()
    return levels.filter(pl.col("date") >= pl.date(2002, 1, 1), pl.col("sector").is_in(keep))


def rotation(quick: bool, repeat: int) -> str:
    """The rotation models' timings, and the sweep against the pandas reference."""
    import pandas_rotation

    def momentum(levels: pl.DataFrame, key: str) -> pl.DataFrame:
        return levels.select(
            "date", key, (pl.col("close") / pl.col("close").shift(20).over(key) - 1).alias("score")
        )

    lines = ["| job | size | sectorflow | pandas | pandas / ours |", "|---|---|---:|---:|---:|"]
    kf = _ken_french_31()
    t = timeit(lambda: sf.backtest(momentum(kf, "sector"), kf), repeat)
    lines.append(f"| backtest, top 6 monthly | Ken French 31 x 20 years | {t * 1e3:.0f} ms | | |")
    name, levels = _industries()
    t = timeit(lambda: sf.backtest(momentum(levels, "sector"), levels), repeat)
    lines.append(f"| backtest, top 6 monthly | {name} | {t * 1e3:.0f} ms | | |")
    print(lines[-1], flush=True)
    n_symbols, n_days = (1_000, 2_500) if quick else (5_000, 5_000)
    market = sf.datasets.synthetic_market(n_symbols=n_symbols, n_days=n_days, seed=1)
    scores = momentum(market, "symbol")
    closes = market.select("date", "symbol", "close")
    t = timeit(
        lambda: sf.backtest(scores, closes, key="symbol", top_n=50, rebalance="W-FRI"), repeat
    )
    size = f"{n_symbols:,} stocks x {n_days:,} days"
    lines.append(f"| backtest, top 50 weekly | {size} | {t:.2f} s | | |")
    print(lines[-1], flush=True)
    grid = {
        "constructions": ("price_position", "rank"),
        "n": (10, 20, 60, 120, 250),
        "smoothing": (0, 3, 5, 10, 20),
        "top_n": (3, 4, 5, 6, 8),
        "rebalance": ("W-FRI", "M", 5, 10),
    }
    ours = timeit(lambda: sf.rotation_sweep(levels, **grid), repeat)  # type: ignore[arg-type]
    configs = list(itertools.product(*grid.values()))
    sample = configs[:: len(configs) // 20][:20]
    prices = levels.to_pandas().pivot(index="date", columns="sector", values="close")
    prices.index = pd.to_datetime(prices.index)
    theirs = timeit(lambda: pandas_rotation.sweep(prices, sample), 1, warm=False)
    scaled = theirs * len(configs) / len(sample)
    lines.append(
        f"| rotation_sweep | {len(configs):,} configs, {name} | {ours:.2f} s | "
        f"{scaled:.0f} s (20 run, scaled) | {scaled / ours:.0f}x |"
    )
    return "\n".join(lines)


def _panel_table(n_keys: int, n_days: int) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """A long sector table (``n_keys`` series x ``n_days`` days, date-major rows) with the inputs
    of every sector score, and the same columns as Fortran-ordered days x keys matrices."""
    rng = np.random.default_rng(0)
    days = pl.date_range(pl.date(2000, 1, 3), pl.date(2040, 1, 1), eager=True)
    days = days.filter(days.dt.weekday() <= 5)[:n_days]
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (n_days, n_keys)), axis=0))
    amount = rng.lognormal(10, 0.5, (n_days, n_keys))
    m = {
        "close": close,
        "volume": amount / close,
        "amount": amount,
        "float_mcap": rng.lognormal(14, 0.3, (n_days, n_keys)),
    }
    m["market_amount"] = np.repeat(amount.sum(axis=1, keepdims=True), n_keys, axis=1)
    names = np.array([f"S{i:05d}" for i in range(n_keys)])
    table = pl.DataFrame(
        {
            "date": np.repeat(days.to_numpy(), n_keys),
            "sector": np.tile(names, n_days),
            **{c: v.ravel() for c, v in m.items()},
        }
    )
    m = {c: np.asfortranarray(v) for c, v in m.items()}
    m["benchmark"] = np.asfortranarray(close.mean(axis=1)[:, None])
    return table, m


def _kernels_of(m: dict[str, np.ndarray]) -> dict[str, Callable[[], Any]]:
    """Each sector function's kernel calls alone, on the matrices of :func:`_panel_table`."""

    def excess() -> None:
        sf.rolling_excess_return(m["close"], np.repeat(m["benchmark"], m["close"].shape[1], 1), 40)

    def turnover() -> None:
        np.divide(sf.rolling_sum(m["amount"], 20), sf.rolling_sum(m["market_amount"], 20))

    def crowding() -> None:
        close = m["close"]
        factors = [
            sf.rolling_sum(m["amount"], 20) / sf.rolling_sum(m["market_amount"], 20),
            sf.rolling_sum(m["amount"], 20) / sf.rolling_sum(m["float_mcap"], 20),
            sf.rolling_std(sf.pct_change(close, 1), 20),
            close / sf.rolling_mean(close, 20) - 1.0,
            sf.rolling_corr(m["volume"], close, 20),
        ]
        for i, f in enumerate(factors):
            sf.rolling_rank(f, 1250, min_periods=250, ascending=i != 4)

    def drawdown() -> None:
        close = m["close"]
        underwater = close / np.maximum.accumulate(close, axis=0) - 1.0
        sf.expanding_rank(underwater[::250], min_periods=2)  # the episodes' ranks: few rows

    return {
        "excess_return": excess,
        "historical_percentile": lambda: sf.expanding_rank(m["close"]),
        "turnover_share": turnover,
        "crowding": crowding,
        "drawdown_episodes": drawdown,
    }


def _rrg_row(n_symbols: int, n_days: int, repeat: int) -> tuple[str, int, float, float]:
    """``sf.rrg`` on a long table against ``rrg_matrix`` on the price matrix it pivots to."""
    from sectorflow.tables import rrg_matrix

    long, m = _panel_table(n_symbols, n_days)
    long = long.select("date", "sector", "close")
    bench = pl.DataFrame({"date": long.get_column("date").unique(maintain_order=True)})
    bench = bench.with_columns(pl.Series("close", m["benchmark"][:, 0]))
    of = np.zeros(n_symbols, dtype=np.int64)
    table = timeit(lambda: sf.rrg(long, bench, freq=None), repeat)
    kernel = timeit(lambda: rrg_matrix(m["close"], m["benchmark"], of), repeat)
    print(f"rrg: table {table:.2f} s, kernel {kernel:.2f} s", flush=True)
    return ("rrg (freq=None)", long.height, table, kernel)


def glue(quick: bool, repeat: int, market: pl.DataFrame) -> str:
    """Table functions against their kernels alone on the same data: what the glue costs.

    ``sf.sector_aggregate`` on the stock bars against the core's accumulator fed the same
    columns (days, Arrow strings, floats) once; ``sf.rrg`` on a long table (symbols x days
    rows, freq=None) against ``sectorflow.tables.rrg_matrix`` on the price matrix it pivots to;
    the sector scores on a long sector table of many series against their kernels' numpy faces
    on the days x series matrices of the same numbers.
    """
    from sectorflow.tables import SectorAccumulator

    days = market.get_column("date").to_physical()
    first, last = int(days.min()), int(days.max())
    feed = (
        days.to_numpy(),
        market.get_column("symbol"),
        market.get_column("sector"),
        *(market.get_column(c).cast(pl.Float64).to_numpy() for c in _BAR_VALUES),
    )

    def accumulate() -> None:
        acc = SectorAccumulator(first_day=first, last_day=last)
        acc.feed(*feed, None)
        acc.finish([[g] for g in range(len(acc.sectors()))], 1000.0)

    rows: list[tuple[str, int, float, float]] = []
    table = timeit(lambda: sf.sector_aggregate(market), repeat)
    rows.append(("sector_aggregate", market.height, table, timeit(accumulate, repeat)))
    print(f"sector_aggregate: table {table:.2f} s, kernel {rows[-1][3]:.2f} s", flush=True)

    n_symbols, n_days = (500, 1_000) if quick else (5_000, 5_000)
    rows.append(_rrg_row(n_symbols, n_days, repeat))

    n_keys = 50 if quick else 500
    sectors, m = _panel_table(n_keys, n_days)
    sectors = sectors.sort("sector", "date")  # key-major, as sector_aggregate returns a table
    bench = pl.DataFrame({"date": sectors.get_column("date").unique(maintain_order=True)})
    bench = bench.with_columns(pl.Series("close", m["benchmark"][:, 0]))
    tables: dict[str, Callable[[], Any]] = {
        "excess_return": lambda: sf.excess_return(sectors, bench),
        "historical_percentile": lambda: sf.historical_percentile(sectors, "close"),
        "turnover_share": lambda: sf.turnover_share(sectors),
        "crowding": lambda: sf.crowding(sectors),
        "drawdown_episodes": lambda: sf.drawdown_episodes(sectors, key="sector"),
    }
    for name, kernel_fn in _kernels_of(m).items():
        table = timeit(tables[name], repeat)
        kernel = timeit(kernel_fn, repeat)
        rows.append((name, sectors.height, table, kernel))
        print(f"{name}: table {table:.2f} s, kernel {kernel:.2f} s", flush=True)
    return "\n".join(
        [
            "| table function | rows | table (s) | kernel alone (s) | glue (s) | table / kernel |",
            "|---|---:|---:|---:|---:|---:|",
            *(
                f"| {name} | {n:,} | {t:.3f} | {k:.3f} | {t - k:.3f} | {t / k:.1f}x |"
                for name, n, t, k in rows
            ),
        ]
    )


#: Runs argv[1:] and prints its wall time and peak memory. A forked child's ``ru_maxrss`` starts
#: from its parent's resident pages (a 2.4 GB parent made ``python -c pass`` read 2,484 MB), so
#: the command is started from this small launcher, not from the benchmark holding its data.
_LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
if os.waitstatus_to_exitcode(status) != 0:
    sys.stderr.write(child.stderr.read().decode()[-2000:])
    sys.exit(1)
print(wall, usage.ru_maxrss / 1024)
"""


def run_measured(command: list[str]) -> tuple[float, float]:
    """Run ``command``; its wall time (s) and peak resident memory (MB), from its own rusage."""
    done = subprocess.run(  # noqa: S603 (our launcher and command, argv lists)
        [sys.executable, "-c", _LAUNCHER, *command], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        msg = f"{' '.join(command)} failed:\n{done.stderr[-2000:]}"
        raise RuntimeError(msg)
    wall, peak = done.stdout.split()
    return float(wall), float(peak)


def recompute(quick: bool, stocks: str | None) -> str:
    """``sectorflow recompute`` against the pandas job, each in its own process, on one file."""
    with tempfile.TemporaryDirectory() as tmp:
        if stocks is None:
            n_symbols, n_days = (500, 1_000) if quick else (5_000, 5_000)
            market = sf.datasets.synthetic_market(n_symbols=n_symbols, n_days=n_days, seed=1)
            stocks = str(Path(tmp) / "stocks.parquet")
            # The pandas job has no valuation: both run the same suite, without those columns.
            market.select(BAR_COLUMNS).write_parquet(stocks)
            del market
        rows = pl.scan_parquet(stocks).select(pl.len()).collect().item()
        size = Path(stocks).stat().st_size / 2**20
        print(f"{stocks}: {rows:,} rows, {size:,.0f} MB", flush=True)
        ours_cmd = [sys.executable, "-m", "sectorflow", "recompute", stocks, "--benchmark"]
        ours = run_measured([*ours_cmd, "market", "--out", f"{tmp}/ours"])
        print(f"sectorflow recompute: {ours[0]:.1f} s, {ours[1]:,.0f} MB", flush=True)
        theirs_cmd = [sys.executable, str(Path(__file__).parent / "pandas_recompute.py"), stocks]
        theirs = run_measured([*theirs_cmd, "--out", f"{tmp}/pandas"])
        print(f"pandas: {theirs[0]:.1f} s, {theirs[1]:,.0f} MB", flush=True)
    return "\n".join(
        [
            "| job | rows | sectorflow | pandas | pandas / ours |",
            "|---|---:|---:|---:|---:|",
            (
                f"| recompute, wall | {rows:,} | {ours[0]:.1f} s | {theirs[0]:.1f} s | "
                f"{theirs[0] / ours[0]:.1f}x |"
            ),
            (
                f"| recompute, peak memory | | {ours[1]:,.0f} MB | {theirs[1]:,.0f} MB | "
                f"{theirs[1] / ours[1]:.1f}x |"
            ),
        ]
    )


#: The columns of stock bars before valuation: what the pandas recompute job reads.
BAR_COLUMNS = ("date", "symbol", "sector", "close", "volume", "amount", "float_mcap")


def distributed_table(quick: bool) -> str:
    """``sectorflow recompute`` alone and on local Dask clusters of 1 and 2 worker processes.

    Each run is its own process (``--workers N``: the cluster starts and stops inside it), on
    the 5,000 x 5,000 daily file (4x) and on its first quarter of days (1x).
    """
    sizes = (250, 1_000) if quick else (1_250, 5_000)
    lines = [
        "| data | rows | one machine (s) | 1 worker (s) | 2 workers (s) | 2 workers / one |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for label, n_days in zip(("1x", "4x"), sizes, strict=True):
            stocks = str(Path(tmp) / f"stocks-{label}.parquet")
            market = sf.datasets.synthetic_market(n_symbols=5_000, n_days=n_days, seed=1)
            market.write_parquet(stocks)
            rows = market.height
            del market
            base = [sys.executable, "-m", "sectorflow", "recompute", stocks]
            base += ["--benchmark", "market"]
            times = []
            for extra in ([], ["--workers", "1"], ["--workers", "2"]):
                out = f"{tmp}/out-{label}-{len(extra) and extra[1]}"
                wall, _ = run_measured([*base, "--out", out, *extra])
                times.append(wall)
                print(f"{label} {' '.join(extra) or 'one machine'}: {wall:.1f} s", flush=True)
            one, w1, w2 = times
            lines.append(
                f"| {label} | {rows:,} | {one:.1f} | {w1:.1f} | {w2:.1f} | {w2 / one:.2f} |"
            )
    return "\n".join(lines)


_MINUTE_JOB = "import sys, sectorflow as sf; sf.minute_bars(sys.argv[1], every=30)"


def minute(quick: bool, folder: str | None) -> str:
    """The minute-bar engine from disk against the Polars job, then the core's own rate."""
    n_symbols, n_days = (500, 50) if quick else (5_000, 250)
    if folder is None:
        root = Path.home() / ".cache" / "sectorflow" / "bench" / f"minutes-{n_symbols}x{n_days}"
        if not (root / "complete").exists():
            print(f"writing {root} ...", flush=True)
            sf.datasets.write_minute_bars(root, n_symbols=n_symbols, n_days=n_days, seed=1)
            (root / "complete").touch()
        folder = str(root)
    files = sf.minute_files(folder)
    import pyarrow.parquet as pq

    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    size = sum(f.stat().st_size for f in files) / 2**20
    print(f"{folder}: {rows:,} rows in {len(files)} files, {size:,.0f} MB", flush=True)
    ours = run_measured([sys.executable, "-c", _MINUTE_JOB, folder])
    print(f"sf.minute_bars: {ours[0]:.1f} s, {ours[1]:,.0f} MB", flush=True)
    job = str(Path(__file__).parent / "polars_minute.py")
    theirs = run_measured([sys.executable, job, folder])
    print(f"polars: {theirs[0]:.1f} s, {theirs[1]:,.0f} MB", flush=True)
    core_rows, core_rate = _minute_core_rate(files[:10])
    return "\n".join(
        [
            (
                "| minute bars to daily + 30-minute bars + features | sectorflow | polars | "
                "polars / ours |"
            ),
            "|---|---:|---:|---:|",
            (
                f"| wall, {rows:,} rows from disk | {ours[0]:.1f} s | {theirs[0]:.1f} s | "
                f"{theirs[0] / ours[0]:.1f}x |"
            ),
            f"| rows/s | {rows / ours[0] / 1e6:.0f} M | {rows / theirs[0] / 1e6:.0f} M | |",
            (
                f"| peak memory | {ours[1]:,.0f} MB | {theirs[1]:,.0f} MB | "
                f"{theirs[1] / ours[1]:.1f}x |"
            ),
            f"| the core alone, {core_rows:,} decoded rows | {core_rate / 1e6:.0f} M rows/s | | |",
        ]
    )


def thirty_minute_bars(symbols: int, days: int, seed: int = 0) -> pl.DataFrame:
    """Synthetic A-share 30-minute bars (8 a day): a random walk per symbol, log-normal volume."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01", "D") + np.arange(days)
    minutes = np.array([570, 600, 630, 660, 780, 810, 840, 870], dtype="timedelta64[m]")
    stamp = (start[:, None].astype("datetime64[m]") + minutes[None, :]).ravel()
    n = symbols * stamp.size
    close = 10 * np.exp(np.cumsum(rng.normal(0, 0.003, (symbols, stamp.size)), axis=1)).ravel()
    return pl.DataFrame(
        {
            "datetime": np.tile(stamp, symbols).astype("datetime64[us]"),
            "symbol": pl.Series(np.repeat(np.arange(symbols), stamp.size)).cast(pl.String),
            "open": close * (1 + rng.normal(0, 0.001, n)),
            "high": close * 1.002,
            "low": close * 0.998,
            "close": close,
            "volume": rng.lognormal(10, 1, n),
        }
    )


def sequences(quick: bool, repeat: int) -> str:
    """sf.sequence_features against the pandas construction, in the same run."""
    from pandas_sequences import sequences as pandas_sequences

    symbols = 500 if quick else 5_000
    bars = thirty_minute_bars(symbols, 250)
    ours = timeit(lambda: sf.sequence_features(bars, lookback=20).windows(), repeat)
    frame = bars.to_pandas()
    theirs = timeit(lambda: pandas_sequences(frame, lookback=20), 1, warm=False)
    shape = sf.sequence_features(bars, lookback=20).windows().shape
    return "\n".join(
        [
            f"| feature sequences, {bars.height:,} 30-minute bars, windows {shape} | time |",
            "|---|---:|",
            f"| sf.sequence_features | {ours:.2f} s |",
            f"| pandas | {theirs:.2f} s |",
            f"| pandas / ours | {theirs / ours:.1f}x |",
        ]
    )


def gru_factor() -> str:
    """The GRU factor on daily industry levels: out-of-sample IC and top-6 backtest."""
    from sectorflow.models.gru import GruConfig, train_gru, walk_forward

    name, levels = _industries()
    bars = levels.rename({"sector": "symbol"}).with_columns(
        *(pl.col("close").alias(c) for c in ("open", "high", "low")), volume=pl.lit(0.0)
    )
    seq = sf.sequence_features(bars, lookback=20, horizon=5)
    config = GruConfig(seed=0)
    start = time.perf_counter()
    windows: list[str] = []
    wf = walk_forward(
        seq,
        start=dt.date(2017, 1, 1),
        config=config,
        progress=lambda i, n: windows.append(f"{i}/{n}"),
    )
    wall = time.perf_counter() - start
    scores = wf.scores.rename({"entity": "sector"})
    weekly = sf.rebalance_dates(scores.get_column("date").unique().sort(), "W")
    on_weeks = scores.filter(pl.col("date").is_in(weekly))
    ic = sf.factor_ic(on_weeks, levels, horizons=[5], min_names=5)
    bt = sf.backtest(scores, levels, top_n=6, rebalance="W")
    row = ic.summary.row(0, named=True)
    # Throughput: one fixed training run of 5 epochs without early stopping.
    days = np.arange(seq.first_day, seq.first_day + 750)
    timed = GruConfig(seed=0, epochs=5, patience=5)
    t0 = time.perf_counter()
    train_gru(seq, days, timed)
    per_epoch = int(np.isfinite(seq.label[:, days]).sum() * (1 - timed.valid_fraction))
    rate = 5 * per_epoch / (time.perf_counter() - t0)
    m = bt.metrics
    return "\n".join(
        [
            (
                f"GRU factor, daily bars of {name}, walk-forward from 2017 "
                f"({len(windows)} windows, {wall:.0f} s)"
            ),
            "",
            "| measure | value |",
            "|---|---:|",
            f"| weekly rank IC (5-day forward), mean | {row['ic_mean']:.4f} |",
            f"| rank ICIR (weekly) | {row['icir']:.3f} |",
            f"| t-stat | {row['t_stat']:.2f} |",
            f"| top-6 weekly, annual return | {m['annual_return']:.2%} |",
            f"| equal-weight industries, annual return | {m['benchmark_annual_return']:.2%} |",
            f"| excess annual return | {m['excess_annual_return']:.2%} |",
            f"| information ratio | {m['information_ratio']:.2f} |",
            f"| training throughput (CPU, {sf.get_num_threads()} threads) | {rate:,.0f} samples/s |",
        ]
    )


def _minute_core_rate(files: list[Path]) -> tuple[int, float]:
    """Rows/s of the accumulator fed the decoded columns of ``files`` (best of 3).

    Decoded as :func:`sf.minute_bars` decodes them: the symbols as parquet's dictionary.
    """
    import pyarrow.dataset as ds

    from sectorflow.tables import MinuteAccumulator

    options = ds.ParquetReadOptions(dictionary_columns=["symbol"])
    read = ds.dataset(files, format=ds.ParquetFileFormat(read_options=options)).to_table()
    read = read.combine_chunks()
    frame = pl.from_arrow(read).rechunk()
    assert isinstance(frame, pl.DataFrame)
    time_us = frame.get_column("datetime").dt.cast_time_unit("us").to_physical().to_numpy()
    symbol = read.column("symbol")  # the Arrow dictionary, as sf.minute_bars feeds it
    values = [frame.get_column(c).to_numpy() for c in ("open", "high", "low", "close", "volume")]
    amount = frame.get_column("amount").to_numpy()
    best = math.inf
    for _ in range(3):
        acc = MinuteAccumulator(
            segments=[(570, 690), (780, 900)],
            unit_per_minute=60_000_000,
            label_right=True,
            every=30,
            outside="drop",
        )
        start = time.perf_counter()
        acc.feed(time_us, symbol, *values, amount)
        acc.finish()
        best = min(best, time.perf_counter() - start)
    return frame.height, frame.height / best


def long_table(panel: np.ndarray) -> pl.DataFrame:
    """The panel in long format: one row per (symbol, date), sorted by symbol then date."""
    days, symbols = panel.shape
    return pl.DataFrame(
        {
            "symbol": np.repeat(np.arange(symbols, dtype=np.int32), days),
            "date": np.tile(np.arange(days, dtype=np.int32), symbols),
            "x": pl.Series(panel.T.ravel(), nan_to_null=True),
        }
    )


def plugin_rows(panel: np.ndarray, repeat: int) -> list[dict[str, Any]]:
    """Our expressions against native Polars on the long table, sorted and shuffled.

    Ours keyed (``by=``, ``order_by=``: one call over the column) and inside ``.over(...)``;
    native inside ``.over(..., order_by="date")`` for the series kernels.
    """
    sorted_rows = long_table(panel)
    shuffled = sorted_rows.sample(fraction=1.0, shuffle=True, seed=1)
    x = pl.col("x")
    cases = {
        # The floor: a kernel that is almost free, so the cell is the grouping and scatter.
        "pct_change": (lambda **k: x.sf.pct_change(1, **k), x.pct_change(1), "symbol"),
        "rolling_mean": (lambda **k: x.sf.rolling_mean(W, **k), x.rolling_mean(W), "symbol"),
        "rolling_std": (lambda **k: x.sf.rolling_std(W, **k), x.rolling_std(W), "symbol"),
        "rolling_var": (lambda **k: x.sf.rolling_var(W, **k), x.rolling_var(W), "symbol"),
        "rolling_zscore": (
            lambda **k: x.sf.rolling_zscore(W, **k),
            (x - x.rolling_mean(W)) / x.rolling_std(W),
            "symbol",
        ),
        "rolling_rank": (lambda **k: x.sf.rolling_rank(W, **k), x.rolling_rank(W), "symbol"),
        "rolling_quantile": (
            lambda **k: x.sf.rolling_quantile(W, 0.5, **k),
            x.rolling_quantile(0.5, "linear", W),
            "symbol",
        ),
        "cs_rank": (x.sf.cs_rank, x.rank() / pl.len(), "date"),
    }
    rows = []
    for order, df in (("sorted", sorted_rows), ("shuffled", shuffled)):
        for kernel, (ours, native, key) in cases.items():
            by_date = key == "date"
            keyed = ours(by=key) if by_date else ours(by=key, order_by="date")
            over = ours().over(key) if by_date else ours().over(key, order_by="date")
            theirs = native.over(key) if by_date else native.over(key, order_by="date")
            row: dict[str, Any] = {"kernel": kernel, "rows": order, "values": df.height}
            row["keyed"] = timeit(lambda e=keyed, d=df: d.select(e), repeat)
            row["over"] = timeit(lambda e=over, d=df: d.select(e), repeat)
            row["polars"] = timeit(lambda e=theirs, d=df: d.select(e), repeat)
            rows.append(row)
            print(
                f"{kernel:>16} {order:>8}: keyed={row['keyed'] * 1e3:.1f}ms "
                f"over={row['over'] * 1e3:.1f}ms polars={row['polars'] * 1e3:.1f}ms",
                flush=True,
            )
    return rows


def plugin_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        (
            "| expression | rows | keyed `by=` (ms) | `.over` (ms) | native Polars (ms) "
            "| native / keyed |"
        ),
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['kernel']} | {r['rows']} | {r['keyed'] * 1e3:.1f} | {r['over'] * 1e3:.1f} | "
        f"{r['polars'] * 1e3:.1f} | {r['polars'] / r['keyed']:.1f}x |"
        for r in rows
    ]
    return "\n".join(lines)


def format_row(row: dict[str, Any]) -> str:
    cells = [
        f"{k}={row[k] * 1e3:.1f}ms" for k in ("sectorflow_1T", "sectorflow_nT", *PEERS) if k in row
    ]
    return f"{row['kernel']:>15} {row['data']:>6}: " + " ".join(cells)


def markdown(rows: list[dict[str, Any]], threads: int) -> str:
    head = (
        "| kernel | data | sectorflow 1T (ms) | sectorflow "
        f"{threads}T (ms) | M values/s (1T) | pandas | polars | bottleneck | numbagg | fastest peer / ours |"
    )
    lines = [head, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        best = min(row["sectorflow_1T"], row["sectorflow_nT"])
        peers = {p: row[p] for p in PEERS if p in row}
        ratio = min(peers.values()) / best if peers else float("nan")
        cells = [f"{row[p] * 1e3:.1f}" if p in row else "—" for p in PEERS]
        lines.append(
            f"| {row['kernel']} | {row['data']} | {row['sectorflow_1T'] * 1e3:.1f} | "
            f"{row['sectorflow_nT'] * 1e3:.1f} | {row['values'] / row['sectorflow_1T'] / 1e6:.0f} | "
            + " | ".join(cells)
            + f" | {ratio:.1f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
