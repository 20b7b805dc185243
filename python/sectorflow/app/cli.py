"""Command line: ``sectorflow recompute``, ``rotate``, ``demo`` and ``kernels``."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

EPILOG = "Bad input exits with status 2 and a one-line message naming the file and column."
UNCHANGED = "the output folder holds what it held before (nothing of this run was kept)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sectorflow", description=__doc__, epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "recompute",
        help="every indicator of a stock file: parquet files and report.html in --out",
    )
    run.add_argument("stocks", type=Path, help="parquet or CSV: date (or datetime), symbol, "
                     "sector, close, volume, amount, float_mcap; or a directory (or glob) of "
                     "minute-bar parquet files")  # fmt: skip
    run.add_argument(
        "--benchmark",
        required=True,
        help="a parquet/CSV file with date, close; or 'market' / 'equal_weight'",
    )
    run.add_argument("--out", required=True, type=Path, help="folder to write into")
    run.add_argument("--sectors", type=Path, help='JSON file of composites: {"TMT": [...]}')
    run.add_argument("--since", help="first date (YYYY-MM-DD)")
    run.add_argument("--until", help="last date (YYYY-MM-DD)")
    run.add_argument("--partitions", type=int, help="symbol partitions (default: 5M rows each)")
    run.add_argument(
        "--session", choices=["cn", "us"], default="cn",
        help="the trading session of a minute-bar directory (default: cn, 240 minutes)",
    )  # fmt: skip
    run.add_argument(
        "--strict-session", action="store_true",
        help="refuse minute bars outside the session (default: drop them)",
    )  # fmt: skip
    cluster = run.add_mutually_exclusive_group()
    cluster.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="run on the Dask cluster at ADDRESS (tcp://host:8786); needs sectorflow[dask]",
    )  # fmt: skip
    cluster.add_argument(
        "--workers", type=int, metavar="N",
        help="run on a local Dask cluster of N worker processes; needs sectorflow[dask]",
    )  # fmt: skip
    rot = sub.add_parser(
        "rotate", help="a diffusion-index rotation on sector levels or stock bars: the weekly table"
    )
    rot.add_argument(
        "sectors", type=Path,
        help="parquet or CSV: sector levels (date, sector, close) or stock bars (date, symbol, "
        "sector, close, volume, amount, float_mcap)",
    )  # fmt: skip
    rot.add_argument(
        "--model", choices=["diffusion", "gru"], default="diffusion",
        help="the sector scores: a diffusion index, or the GRU factor walked forward (the gru "
        "extra), printed beside the diffusion index",
    )  # fmt: skip
    rot.add_argument("--gru-start", help="gru: the first scored day (default: 3 years in)")
    rot.add_argument("--gru-hidden", type=int, default=64, help="gru: hidden units (64)")
    rot.add_argument("--gru-epochs", type=int, default=30, help="gru: most epochs (30)")
    rot.add_argument("--seed", type=int, default=0, help="gru: the training seed")
    rot.add_argument(
        "--construction",
        choices=["rank", "price_position", "above_ma", "positive_momentum", "rising_share"],
        help="the diffusion index (default: rank on sector levels, above_ma on stock bars)",
    )
    rot.add_argument(
        "--weights", choices=["equal", "float_mcap"], default="equal",
        help="member weights of a breadth index and of the sectors built from stock bars",
    )  # fmt: skip
    rot.add_argument("--min-members", type=int, default=5, help="fewest members (breadth)")
    rot.add_argument("--n", type=int, default=20, help="look-back bars (default 20)")
    rot.add_argument("--smoothing", type=int, default=0, help="EMA span, 0 for none")
    rot.add_argument("--top", type=int, default=6, help="industries held (default 6)")
    rot.add_argument("--rebalance", default="M", help="M, W-FRI, Q, D or a bar count")
    rot.add_argument("--cost-bps", type=float, default=0.0)
    rot.add_argument("--asof", help="the week to report (YYYY-MM-DD; default: the last bar)")
    rot.add_argument("--out", type=Path, help="folder for the parquet outputs and report.html")
    demo = sub.add_parser(
        "demo", help="the Ken French 49 industries and a generated market: reports in a folder"
    )
    demo.add_argument("--out", type=Path, default=Path("sectorflow-demo"))
    kernels = sub.add_parser(
        "kernels", help="a synthetic market, every kernel timed next to pandas"
    )
    kernels.add_argument("--symbols", type=int, default=500)
    kernels.add_argument("--days", type=int, default=2_000)
    kernels.add_argument("--window", type=int, default=60)
    kernels.add_argument("--seed", type=int, default=0)
    return parser


def _gru_options(args: argparse.Namespace) -> dict[str, Any]:
    """The GRU settings of ``rotate --model gru`` and a progress bar over its training windows."""
    import datetime as dt

    from sectorflow.app.recompute import Progress
    from sectorflow.models.gru import GruConfig

    start = dt.date.fromisoformat(args.gru_start) if args.gru_start else None
    config = GruConfig(hidden=args.gru_hidden, epochs=args.gru_epochs, seed=args.seed)
    progress = Progress().steps("training windows")
    return {"gru": config, "gru_start": start, "progress": progress}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sectorflow`` command."""
    args = _parser().parse_args(argv)
    from sectorflow.app.publish import raise_on_signals

    raise_on_signals()  # SIGTERM, like Ctrl-C, unwinds: the staging folder is removed
    try:
        if args.command == "recompute":
            from sectorflow.app import recompute

            common: dict[str, Any] = {
                "sectors": args.sectors,
                "since": args.since,
                "until": args.until,
                "partitions": args.partitions,
                "session": args.session,
                "outside": "refuse" if args.strict_session else "drop",
            }
            if args.scheduler is not None or args.workers is not None:
                from sectorflow.app import distributed  # imports Dask; only here

                run = distributed.recompute(
                    args.stocks,
                    args.benchmark,
                    args.out,
                    scheduler=args.scheduler,
                    workers=args.workers,
                    **common,
                )
            else:
                run = recompute.recompute(args.stocks, args.benchmark, args.out, **common)
            print(recompute.dashboard_text(run.scores.dashboard))  # noqa: T201
            print(  # noqa: T201
                f"{run.rows:,} rows in {run.partitions} partition(s): wrote {len(run.files)} "
                f"outputs to {run.out} (report: {run.out / 'report.html'}) in "
                f"{run.seconds:.1f} s, peak memory {run.peak_mb:,.0f} MB"
            )
        elif args.command == "rotate":
            from sectorflow.app.rotate import rotate

            rule = int(args.rebalance) if args.rebalance.isdigit() else args.rebalance
            gru = _gru_options(args) if args.model == "gru" else {}
            done = rotate(
                args.sectors,
                construction=args.construction,
                n=args.n,
                smoothing=args.smoothing,
                weights=args.weights,
                min_members=args.min_members,
                top_n=args.top,
                rebalance=rule,
                cost_bps=args.cost_bps,
                asof=args.asof,
                out=args.out,
                model=args.model,
                **gru,
            )
            print(done.text())  # noqa: T201
        elif args.command == "demo":
            from sectorflow.app import demo

            demo.main(args.out)
        else:
            from sectorflow.app import demo

            print(demo.run(args.symbols, args.days, args.window, args.seed))  # noqa: T201
    except (ValueError, TypeError) as err:  # bad input (InputError), a missing extra
        print(f"sectorflow: error: {err}", file=sys.stderr)  # noqa: T201
        return 2
    except OSError as err:
        print(f"sectorflow: error: {err}; {UNCHANGED}", file=sys.stderr)  # noqa: T201
        return 1
    except KeyboardInterrupt as err:
        signum = getattr(err, "signum", signal.SIGINT)
        name = signal.Signals(signum).name
        if getattr(err, "published", False):
            line = f"interrupted by {name} after this run's outputs were published in full"
        else:
            line = f"interrupted by {name}; {UNCHANGED}"
        print(f"sectorflow: {line}", file=sys.stderr)  # noqa: T201
        return 128 + signum
    return 0


if __name__ == "__main__":
    sys.exit(main())
