"""``sectorflow recompute`` interrupted at many points: the output folder holds the previous
complete set or the new complete set, the user's files are untouched, and the exit status and
message say which.

Two kinds of fault: SIGINT/SIGTERM sent from this (parent) process at spread-out delays into a
real ``sectorflow recompute`` child, and an ``OSError`` injected at every file write, rename
and folder creation of an in-process run, one run per point.
"""

from __future__ import annotations

import os
import pathlib
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import sectorflow as sf
from sectorflow.app.cli import main

GENERATED = re.compile(rb"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC")


@pytest.fixture(autouse=True)
def _keep_signal_handlers() -> Iterator[None]:
    """``main`` turns SIGINT/SIGTERM into exceptions; the test process gets its own back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def fingerprint(folder: Path) -> dict[str, bytes]:
    """Every file sectorflow writes under ``folder`` (the report without its generation time)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and rel.parts[0] != "mine" and not rel.parts[0].startswith(".sectorflow-p"):
            out[str(rel)] = GENERATED.sub(b"generated", p.read_bytes())
    return out


def user_files(folder: Path) -> dict[str, bytes]:
    mine = folder / "mine"
    return {str(p.relative_to(mine)): p.read_bytes() for p in mine.rglob("*")}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An input file, and the complete sets of an older run (half the dates) and the new run."""
    root = tmp_path_factory.mktemp("faults")
    stocks = root / "stocks.parquet"
    market = sf.datasets.synthetic_market(n_symbols=300, n_days=1_500, seed=3)
    market.write_parquet(stocks)
    middle = str(market.get_column("date").unique().sort()[750])
    sets = {}
    for label, until in (("old", middle), ("new", None)):
        out = root / label
        args = ["recompute", str(stocks), "--benchmark", "market", "--out", str(out)]
        assert main([*args, "--until", until] if until else args) == 0
        sets[label] = fingerprint(out)
    assert sets["old"] != sets["new"]
    assert sets["old"].keys() == sets["new"].keys()
    return {"stocks": stocks, "root": root, **sets}


def fresh_out(setup: dict[str, Any], name: str) -> Path:
    """A folder holding the old run's complete set and some files of the user's."""
    out = setup["root"] / name
    old = setup["root"] / "old"
    subprocess.run(["cp", "-a", str(old), str(out)], check=True)  # noqa: S603, S607
    (out / "mine").mkdir()
    (out / "mine" / "notes.txt").write_text("keep me")
    (out / "mine" / "raw.parquet").write_bytes(setup["stocks"].read_bytes())
    return out


def state(out: Path, setup: dict[str, Any]) -> str:
    got = fingerprint(out)
    if got == setup["old"]:
        return "old"
    if got == setup["new"]:
        return "new"
    return "mixed: " + ", ".join(sorted(set(got) ^ set(setup["new"]))[:5])


def check_folder(out: Path, setup: dict[str, Any], want: str | None = None) -> str:
    now = state(out, setup)
    assert now in ("old", "new"), now
    if want is not None:
        assert now == want
    assert user_files(out) == {
        "notes.txt": b"keep me",
        "raw.parquet": setup["stocks"].read_bytes(),
    }
    assert not [p.name for p in out.iterdir() if p.name.startswith(".sectorflow-partial")]
    return now


def test_signals_at_any_moment_leave_the_old_or_the_new_complete_set(
    setup: dict[str, Any],
) -> None:
    args = [sys.executable, "-m", "sectorflow", "recompute", str(setup["stocks"]),
            "--benchmark", "market"]  # fmt: skip
    probe = setup["root"] / "probe"
    start = time.perf_counter()
    subprocess.run([*args, "--out", str(probe)], check=True, capture_output=True)  # noqa: S603
    total = time.perf_counter() - start
    rng = random.Random(20)  # noqa: S311 (delays, not secrets)
    delays = sorted(rng.uniform(0.0, total * 1.1) for _ in range(14))
    seen = set()
    for i, delay in enumerate(delays):
        out = fresh_out(setup, f"signal-{i}")
        signum = (signal.SIGINT, signal.SIGTERM)[i % 2]
        child = subprocess.Popen(  # noqa: S603
            [*args, "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(delay)
        child.send_signal(signum)
        out_text, err = child.communicate(timeout=600)
        now = check_folder(out, setup)
        if child.returncode == 0:
            assert now == "new"
        elif child.returncode == -signum or "Traceback" in err:
            # Before the command installs its handlers (while Python imports polars) or after
            # it has finished, the signal acts as usual; the folder is whole either way.
            assert now == ("new" if re.search(r"wrote \d+ outputs", out_text) else "old"), err
        else:
            assert child.returncode == 128 + signum, err
            name = signal.Signals(signum).name
            line = err.strip().splitlines()[-1]
            if "published in full" in line:
                assert now == "new"
            else:
                assert now == "old", line
                assert line == f"sectorflow: interrupted by {name}; {_unchanged()}", err
        seen.add(now)
    assert "old" in seen  # the delays reach into the run, not only after it


def _unchanged() -> str:
    from sectorflow.app.cli import UNCHANGED

    return UNCHANGED


class InjectedFaultError(OSError):
    """The injected failure."""


@contextmanager
def faults(fail_at: int | None) -> Iterator[list[str]]:
    """Counts every write, rename and mkdir; the ``fail_at``-th (1-based) raises :class:`InjectedFaultError`."""
    calls: list[str] = []
    originals: dict[tuple[Any, str], Callable[..., Any]] = {}

    def wrap(owner: Any, name: str) -> None:
        original = getattr(owner, name)
        originals[owner, name] = original

        def faulty(*args: Any, **kwargs: Any) -> Any:
            calls.append(f"{owner.__name__}.{name}")
            if fail_at is not None and len(calls) == fail_at:
                msg = f"injected fault at {owner.__name__}.{name}"
                raise InjectedFaultError(msg)
            return original(*args, **kwargs)

        setattr(owner, name, faulty)

    for owner, name in ((os, "replace"), (os, "rename"), (pl.DataFrame, "write_parquet"),
                        (pathlib.Path, "write_text"), (pathlib.Path, "mkdir")):  # fmt: skip
        wrap(owner, name)
    try:
        yield calls
    finally:
        for (owner, name), original in originals.items():
            setattr(owner, name, original)


def test_a_fault_at_every_write_and_rename_leaves_the_old_or_the_new_set(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["recompute", str(setup["stocks"]), "--benchmark", "market", "--out"]
    out = fresh_out(setup, "count")
    with faults(None) as calls:
        assert main([*args, str(out)]) == 0
    check_folder(out, setup, "new")
    points = len(calls)
    assert points >= 12, calls  # the staging folder, every table, the report, the renames
    capsys.readouterr()
    for k in range(1, points + 1):
        out = fresh_out(setup, f"fault-{k}")
        with faults(k) as seen:
            code = main([*args, str(out)])
        err = capsys.readouterr().err.strip().splitlines()
        where = seen[k - 1]
        check_folder(out, setup, "old")
        assert code == 1, (k, where, err)
        assert err[-1] == f"sectorflow: error: injected fault at {where}; {_unchanged()}"
        assert not [line for line in err if line.startswith("Traceback")]


def test_a_signal_while_publishing_waits_for_the_whole_new_set(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # SIGTERM arrives at the first rename of the publishing step: the renames go on, the folder
    # holds the new set, and the command says so with 128 + 15.
    out = fresh_out(setup, "publishing")
    original = pathlib.Path.replace
    sent: list[int] = []

    def replace_and_signal(self: pathlib.Path, target: Any) -> Any:
        if not sent and ".sectorflow-partial" in str(target):
            sent.append(signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGTERM)
        return original(self, target)

    pathlib.Path.replace = replace_and_signal  # type: ignore[method-assign]
    try:
        code = main(["recompute", str(setup["stocks"]), "--benchmark", "market", "--out", str(out)])
    finally:
        pathlib.Path.replace = original  # type: ignore[method-assign]
    assert sent
    check_folder(out, setup, "new")
    assert code == 128 + signal.SIGTERM
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert (
        last == "sectorflow: interrupted by SIGTERM after this run's outputs were published in full"
    )
