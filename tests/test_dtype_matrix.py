"""Every public kernel, on every face, against every dtype a user can hand it, in a child process.

The outcome of each case is a correct result or a Python exception naming the argument: never a
signal, an abort, a panic message or an internal message (``tests/dtype_matrix.py`` runs the
cases and judges each; this file checks the child's exit and every judgement).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Dtypes that hold numbers: every kernel must compute on them (refusing everything would pass
# the "no crash" half of the contract, so the other half is pinned here).
NUMERIC = {
    "polars": {"Int8", "Int16", "Int32", "Int64", "Int128", "UInt8", "UInt16", "UInt32",
               "UInt64", "Float32", "Float64", "Decimal(precision=10, scale=2)",
               "Float64 chunked"},
    "expr": {"Int8", "Int16", "Int32", "Int64", "Int128", "UInt8", "UInt16", "UInt32", "UInt64",
             "Float32", "Float64", "Decimal(precision=10, scale=2)", "Float64 chunked"},
    "numpy": {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
              "float16", "float32", "float64", "float64 strided", "float64 reversed",
              "float64 non-native"},
    "pyarrow": {"int8", "int16", "int32", "uint8", "uint64", "float", "double", "halffloat",
                "decimal128(10, 2)", "chunked float64", "chunked empty chunks", "sliced float64"},
    "pandas": {"int8", "uint64", "float32", "float64", "Int64", "Float64", "Int64 with NA",
               "arrow double", "frame float"},
    "tables": {"Int8", "Int16", "Int32", "Int64", "Int128", "UInt8", "UInt16", "UInt32",
               "UInt64", "Float32", "Float64", "Decimal(precision=10, scale=2)",
               "Float64 chunked"},
}  # fmt: skip


@pytest.mark.parametrize("face", sorted(NUMERIC))
def test_every_dtype_gives_a_result_or_an_exception_naming_the_argument(face: str) -> None:
    done = subprocess.run(  # noqa: S603 (our own module, argv list)
        [sys.executable, "-m", "tests.dtype_matrix", face],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=600,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    started = [d["start"] for d in lines if "start" in d]
    judged = {d["case"]: d for d in lines if "case" in d}
    last = started[-1] if started else None
    assert done.returncode == 0, f"child died ({done.returncode}) in {last}: {done.stderr[-2000:]}"
    assert "panicked" not in done.stderr, done.stderr[-2000:]
    assert started, done.stderr[-2000:]
    assert set(started) == set(judged)
    wrong = {c: d["detail"] for c, d in judged.items() if d["outcome"] == "wrong"}
    assert not wrong, json.dumps(wrong, indent=1, ensure_ascii=False)
    refused_numbers = [
        c
        for c, d in judged.items()
        if d["outcome"] == "refused" and c.split("/", 2)[2].split("|")[0] in NUMERIC[face]
        and c.split("/")[1] != "by"
    ]  # fmt: skip
    assert not refused_numbers, refused_numbers
    assert sum(d["outcome"] == "ok" for d in judged.values()) >= 20
