"""The dtype and container matrix, run in a child process: ``python -m tests.dtype_matrix FACE``.

For every public kernel on the face FACE and every dtype a user can hand it, one JSON line:
``{"case": ..., "outcome": "ok" | "refused" | "wrong", "detail": ...}``. A case starts with a
``{"start": ...}`` line, so a child that dies by a signal or an abort names the case that
killed it. The parent (``tests/test_dtype_matrix.py``) asserts the exit status and each line.

``ok``: a result equal to the same function on the values cast to float64 (NaN for missing),
for dtypes that are numbers; ``refused``: a Python exception whose message names the argument
and no panic or internal message; anything else is ``wrong``.
"""

from __future__ import annotations

import decimal
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

import sectorflow as sf

N = 12
VALUES = [3, 1, 4, 1, 5, None, 2, 6, 5, 3, 5, 8]
FLOATS = np.array([np.nan if v is None else float(v) for v in VALUES])
KEYS = ["a", "b", "a", "b", "a", "b", "a", "b", "a", "b", "a", "b"]
DATES = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
BAD_WORDS = ("panick", "unwrap", "internal", "rust", "backtrace", "not implemented")

# name -> (call(sf-face function args builder), kind): "x" single input, "xy" two, "cs" cross-section
KERNELS: dict[str, Callable[..., Any]] = {
    "rolling_sum": lambda f, x: f(x, 3),
    "rolling_mean": lambda f, x: f(x, 3, min_periods=1),
    "rolling_var": lambda f, x: f(x, 3),
    "rolling_std": lambda f, x: f(x, 3),
    "rolling_zscore": lambda f, x: f(x, 4),
    "rolling_skew": lambda f, x: f(x, 4),
    "rolling_kurt": lambda f, x: f(x, 5),
    "rolling_min": lambda f, x: f(x, 3),
    "rolling_max": lambda f, x: f(x, 3),
    "ewm_mean": lambda f, x: f(x, span=3),
    "pct_change": lambda f, x: f(x, 2),
    "rolling_rank": lambda f, x: f(x, 4, min_periods=1),
    "rolling_quantile": lambda f, x: f(x, 4, 0.3),
    "rolling_median": lambda f, x: f(x, 4),
    "expanding_rank": lambda f, x: f(x),
}
PAIRS = ("rolling_cov", "rolling_corr", "rolling_beta", "rolling_excess_return")
#: The name each face gives a pair kernel's second input in its messages.
SECOND = {"rolling_beta": "x", "rolling_excess_return": "benchmark"}
CROSS = ("cs_rank", "cs_zscore", "cs_demean")


def _polars_dtypes() -> dict[str, pl.Series]:
    ints = pl.Series("x", VALUES, dtype=pl.Int64)
    out = {
        str(t): ints.cast(t)
        for t in (
            pl.Int8,
            pl.Int16,
            pl.Int32,
            pl.Int64,
            pl.Int128,
            pl.UInt8,
            pl.UInt16,
            pl.UInt32,
            pl.UInt64,
            pl.Float32,
            pl.Float64,
            pl.Decimal(10, 2),
            pl.Boolean,
            pl.String,
            pl.Date,
            pl.Datetime("us"),
            pl.Datetime("ns", "Asia/Shanghai"),
            pl.Duration("ms"),
            pl.Time,
        )
    }
    out["Categorical"] = ints.cast(pl.String).cast(pl.Categorical)
    out["Enum"] = ints.cast(pl.String).cast(pl.Enum([str(v) for v in range(10)]))
    out["Binary"] = ints.cast(pl.String).cast(pl.Binary)
    out["List"] = ints.cast(pl.Float64).reshape((N, 1)).cast(pl.List(pl.Float64))
    out["Array"] = ints.cast(pl.Float64).reshape((N, 1))
    out["Struct"] = pl.DataFrame({"a": ints}).to_struct("x")
    out["Null"] = pl.Series("x", [None] * N, dtype=pl.Null)
    out["Object"] = pl.Series("x", [decimal.Decimal(1)] * N, dtype=pl.Object)
    out["Float64 chunked"] = pl.concat([ints[:5], ints[5:]], rechunk=False).cast(pl.Float64)
    return out


def _numpy_dtypes() -> dict[str, np.ndarray]:
    ints = np.array([0 if v is None else v for v in VALUES])
    out: dict[str, np.ndarray] = {
        t: ints.astype(t)
        for t in (
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "float16",
            "float32",
            "float64",
            "longdouble",
            "complex128",
            "bool",
            "datetime64[D]",
            "timedelta64[s]",
            "U3",
            "S3",
        )
    }
    out["float64 strided"] = np.repeat(FLOATS, 2)[::2]
    out["float64 reversed"] = FLOATS[::-1].copy()[::-1]
    out["float64 non-native"] = FLOATS.astype(">f8")
    out["object floats"] = FLOATS.astype(object)
    out["object mixed"] = np.array([1.0, "a"] * (N // 2), dtype=object)
    out["float64 2-D F"] = np.asfortranarray(np.stack([FLOATS, FLOATS[::-1]], axis=1))
    out["float64 3-D"] = FLOATS.reshape(2, 3, 2)
    out["float64 0-D"] = np.array(1.0)
    out["structured"] = np.zeros(N, dtype=[("a", "f8")])
    return out


def _arrow_dtypes() -> dict[str, pa.Array | pa.ChunkedArray]:
    ints = pa.array(VALUES, type=pa.int64())
    out: dict[str, pa.Array | pa.ChunkedArray] = {
        str(t): ints.cast(t)
        for t in (
            pa.int8(),
            pa.int16(),
            pa.int32(),
            pa.uint8(),
            pa.uint64(),
            pa.float32(),
            pa.float64(),
            pa.string(),
            pa.large_string(),
            pa.timestamp("us"),
            pa.duration("s"),
        )
    }
    out["decimal128(10, 2)"] = pa.array(
        [None if v is None else decimal.Decimal(v) for v in VALUES], pa.decimal128(10, 2)
    )
    out["date32"] = ints.cast(pa.int32()).cast(pa.date32())
    out["float16"] = pa.array(FLOATS.astype(np.float16), from_pandas=True)
    out["bool"] = pa.array([bool(v) for v in range(N)])
    out["binary"] = pa.array([b"1"] * N)
    out["string_view"] = ints.cast(pa.string()).cast(pa.string_view())
    out["dictionary"] = ints.dictionary_encode()
    out["list"] = pa.array([[1.0]] * N)
    out["struct"] = pa.array([{"a": 1.0}] * N)
    out["null"] = pa.nulls(N)
    out["chunked float64"] = pa.chunked_array(
        [ints[:4].cast(pa.float64()), ints[4:].cast(pa.float64())]
    )
    out["chunked empty chunks"] = pa.chunked_array(
        [pa.array([], pa.float64()), ints.cast(pa.float64()), pa.array([], pa.float64())]
    )
    out["sliced float64"] = pa.array(np.r_[FLOATS, FLOATS], from_pandas=True).slice(3, N)
    return out


def _pandas_dtypes() -> dict[str, pd.Series | pd.DataFrame]:
    ints = pd.Series([0 if v is None else v for v in VALUES])
    out: dict[str, pd.Series | pd.DataFrame] = {
        t: ints.astype(t)
        for t in ("int8", "uint64", "float32", "float64", "bool", "Int64", "Float64")
    }
    out["boolean"] = ints.astype(bool).astype("boolean")
    out["Int64 with NA"] = pd.Series(VALUES, dtype="Int64")
    out["str"] = ints.astype(str)
    out["category"] = ints.astype("category")
    out["datetime tz"] = pd.Series(pd.date_range("2024-01-01", periods=N, tz="Asia/Shanghai"))
    out["timedelta"] = pd.Series(pd.to_timedelta(ints, unit="s"))
    out["object"] = ints.astype(object)
    out["arrow double"] = pd.Series(FLOATS, dtype="double[pyarrow]")
    out["arrow string"] = ints.astype(str).astype("string[pyarrow]")
    out["period"] = pd.Series(pd.period_range("2024-01", periods=N, freq="M"))
    out["sparse"] = ints.astype(pd.SparseDtype("float64", 0.0))
    out["frame mixed"] = pd.DataFrame({"a": FLOATS, "b": ints.astype(str)})
    out["frame float"] = pd.DataFrame({"a": FLOATS, "b": FLOATS[::-1]}, index=range(5, 5 + N))
    return out


def as_float(obj: Any) -> np.ndarray | None:  # noqa: PLR0911 (one return per container)
    """The float64 values a numeric input stands for (NaN for missing), or None if not numbers.

    A polars column of dtype Null is all missing numbers (the sector functions take it so).
    """
    if isinstance(obj, pl.Series) and obj.dtype == pl.Null:
        return np.full(len(obj), np.nan)
    if isinstance(obj, pl.Series):
        if not (obj.dtype.is_numeric() or obj.dtype == pl.Boolean):
            return None
        return obj.cast(pl.Float64).fill_null(np.nan).to_numpy()
    if isinstance(obj, pa.Array | pa.ChunkedArray):
        t = obj.type
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)):
            return None
        return np.asarray(obj.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    if isinstance(obj, pd.Series | pd.DataFrame):
        try:
            return obj.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            return None
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf" or obj.ndim not in (1, 2):
            return None
        return obj.astype(np.float64)
    return None


def to_numpy_result(obj: Any) -> np.ndarray:
    if isinstance(obj, pl.Series | pl.DataFrame):
        return obj.to_numpy().astype(np.float64)
    if isinstance(obj, pa.Array | pa.ChunkedArray):
        return np.asarray(obj.to_numpy(zero_copy_only=False), dtype=np.float64)
    if isinstance(obj, pd.Series | pd.DataFrame):
        return obj.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(obj, dtype=np.float64)


def judge(  # noqa: PLR0911 (one return per verdict)
    run: Callable[[], Any], reference: Callable[[], Any] | None, argument: str
) -> tuple[str, str]:
    """(outcome, detail) of one case."""
    try:
        got = run()
    except Exception as err:  # noqa: BLE001 (every exception is judged by its message)
        text = f"{type(err).__name__}: {err}"
        first = text.splitlines()[0] if text.strip() else text
        if any(w in text.lower() for w in BAD_WORDS):
            return "wrong", f"unclean message: {first}"
        if not isinstance(err, TypeError | ValueError | pl.exceptions.PolarsError):
            return "wrong", f"unexpected exception type: {first}"
        if argument not in text:
            return "wrong", f"message does not name {argument!r}: {first}"
        return "refused", first
    if reference is None:
        return "wrong", "a result for input that is not numbers"
    want = to_numpy_result(reference())
    have = to_numpy_result(got)
    if have.shape != want.shape:
        return "wrong", f"shape {have.shape} != {want.shape}"
    if not np.allclose(have, want, rtol=1e-12, atol=0.0, equal_nan=True):
        return "wrong", f"values differ: {have.tolist()} != {want.tolist()}"
    return "ok", ""


def cases(  # noqa: C901, PLR0912 (the matrix's three kinds of call)
    face: str,
) -> Iterator[tuple[str, Callable[[], Any], Callable[[], Any] | None, str]]:
    """(case, run, reference or None, argument name) for every kernel x dtype of ``face``."""
    inputs: dict[str, Any] = {
        "polars": _polars_dtypes,
        "expr": _polars_dtypes,
        "numpy": _numpy_dtypes,
        "pyarrow": _arrow_dtypes,
        "pandas": _pandas_dtypes,
    }[face]()
    float_y = FLOATS[::-1].copy()
    for dtype, x in inputs.items():
        floats = as_float(x)
        for name, call in KERNELS.items():
            fn = getattr(sf, name)
            if face == "expr":
                run = _expr_run(name, x, call)
                ref = None if floats is None else _float_ref(fn, call, floats)
            else:
                run = _bind(call, fn, x)
                ref = None if floats is None else _bind(call, fn, floats)
            yield f"{face}/{name}/{dtype}", run, ref, "x"
        for name in PAIRS:
            fn = getattr(sf, name)
            first = "y" if name == "rolling_beta" else "x"
            if face == "expr":
                yield (f"{face}/{name}/{dtype}|x", _expr_pair(name, x, float_y, 0),
                       None if floats is None else _bind_pair(fn, floats, float_y), "x")  # fmt: skip
                yield (f"{face}/{name}/{dtype}|y", _expr_pair(name, x, float_y, 1),
                       None if floats is None else _bind_pair(fn, float_y, floats), "y")  # fmt: skip
                continue
            flat_y = float_y
            if np.ndim(floats) == 2:  # a 2-D x pairs with a 2-D y of its shape
                flat_y = floats[::-1].copy()
            other = _like(x, flat_y)
            second = SECOND.get(name, "y")
            yield (f"{face}/{name}/{dtype}|first", _bind_pair(fn, x, other),
                   None if floats is None else _bind_pair(fn, floats, flat_y), first)  # fmt: skip
            if np.ndim(floats) <= 1:
                yield (f"{face}/{name}/{dtype}|second", _bind_pair(fn, other, x),
                       None if floats is None else _bind_pair(fn, float_y, floats), second)  # fmt: skip
        for name in CROSS:
            fn = getattr(sf, name)
            if face == "expr":
                run = _expr_cross(name, x)
                ref = None if floats is None else _cross_ref(fn, floats)
            elif np.ndim(floats) == 2:
                continue
            else:
                run = _bind_cross(fn, x)
                ref = None if floats is None else _bind_cross(fn, floats)
            yield f"{face}/{name}/{dtype}", run, ref, "x"
        if face != "expr" and len(getattr(x, "shape", (N,))) == 1:
            yield f"{face}/by/{dtype}", _keyed(x), _keyed_ref(x), "by"


def _bind(call: Callable[..., Any], fn: Callable[..., Any], x: Any) -> Callable[[], Any]:
    return lambda: call(fn, x)


def _bind_pair(fn: Callable[..., Any], a: Any, b: Any) -> Callable[[], Any]:
    return lambda: fn(a, b, 4)


def _bind_cross(fn: Callable[..., Any], x: Any) -> Callable[[], Any]:
    return lambda: fn(x, DATES)


def _like(x: Any, values: np.ndarray) -> Any:
    """``values`` in the container kind of ``x`` (float64)."""
    if isinstance(x, pl.Series):
        return pl.Series("y", values)
    if isinstance(x, pa.Array | pa.ChunkedArray):
        return pa.array(values)
    if isinstance(x, pd.Series):
        return pd.Series(values, index=x.index)
    if isinstance(x, pd.DataFrame):
        return pd.DataFrame(values, index=x.index, columns=x.columns)
    return values


def _frame(x: pl.Series, **others: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame([x.alias("x"), *(pl.Series(k, v) for k, v in others.items())])


def _expr_run(name: str, x: pl.Series, call: Callable[..., Any]) -> Callable[[], Any]:
    def run() -> Any:
        expr = call(lambda e, *a, **k: getattr(e.sf, name)(*a, **k), pl.col("x"))
        eager = _frame(x).select(expr).to_series()
        lazy = _frame(x).lazy().select(expr).collect(engine="streaming").to_series()
        if not eager.equals(lazy):
            msg = "lazy streaming result differs from eager"
            raise AssertionError(msg)
        return eager

    return run


def _float_ref(
    fn: Callable[..., Any], call: Callable[..., Any], floats: np.ndarray
) -> Callable[[], Any]:
    return lambda: call(fn, floats)


def _expr_pair(name: str, x: pl.Series, y: np.ndarray, slot: int) -> Callable[[], Any]:
    def run() -> Any:
        frame = _frame(x, other=y)
        a, b = (pl.col("x"), pl.col("other")) if slot == 0 else (pl.col("other"), pl.col("x"))
        return frame.select(getattr(a.sf, name)(b, 4)).to_series()

    return run


def _expr_cross(name: str, x: pl.Series) -> Callable[[], Any]:
    def run() -> Any:
        frame = _frame(x, date=np.array(DATES))
        return frame.select(getattr(pl.col("x").sf, name)().over("date")).to_series()

    return run


def _cross_ref(fn: Callable[..., Any], floats: np.ndarray) -> Callable[[], Any]:
    return lambda: fn(floats, DATES)


def _keyed(keys: Any) -> Callable[[], Any]:
    return lambda: sf.rolling_sum(np.arange(N, dtype=np.float64), 2, min_periods=1, by=keys)


def _keyed_ref(keys: Any) -> Callable[[], Any] | None:
    """Per group of ``pandas.factorize(keys)``, or None where pandas cannot factorize them."""
    try:
        if isinstance(keys, pl.Series):  # physical: nanoseconds that Python's datetimes drop
            phys = keys.to_physical() if keys.dtype.is_temporal() else keys
            keys = pd.Series(phys.to_list(), dtype=object)
        elif isinstance(keys, pa.Array | pa.ChunkedArray):
            keys = keys.to_pandas()
        codes, _ = pd.factorize(
            keys if isinstance(keys, pd.Series) else pd.Series(list(keys), dtype=object)
        )
    except (TypeError, ValueError):
        return None
    frame = pd.DataFrame({"x": np.arange(N, dtype=np.float64), "k": codes})
    want = frame.groupby("k")["x"].transform(lambda s: s.rolling(2, min_periods=1).sum())
    want[codes < 0] = np.nan
    return want.to_numpy


# The sector functions, each on a long table whose ``close`` column has the drawn dtype.
TABLES: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] = {
    "excess_return": lambda t: sf.excess_return(t, BENCH, window=2),
    "historical_percentile": lambda t: sf.historical_percentile(t, "close"),
    "drawdown": lambda t: sf.drawdown(t, key="sector"),
    "drawdown_episodes": lambda t: sf.drawdown_episodes(t, key="sector", min_depth=0.01),
    "rrg": lambda t: sf.rrg(t, BENCH, freq=None, window=3),
    "turnover_rate": sf.turnover_rate,
}
DAYS = pl.date_range(pl.date(2024, 1, 1), pl.date(2024, 1, N), eager=True)
BENCH = pl.DataFrame({"date": DAYS, "close": np.linspace(10.0, 12.0, N)})


def table_cases() -> Iterator[tuple[str, Callable[[], Any], Callable[[], Any] | None, str]]:
    """Every sector function x every dtype of the ``close`` column (polars and pandas tables)."""
    for dtype, close in _polars_dtypes().items():
        table = pl.DataFrame(
            [DAYS.alias("date"), pl.Series("sector", ["A"] * N), close.alias("close")]
        )
        table = table.with_columns(amount=pl.col("close"), float_mcap=pl.lit(100.0))
        for name, fn in TABLES.items():
            for kind in ("polars", "pandas"):
                given = table if kind == "polars" else _to_pandas_or_none(table)
                if given is None:
                    continue
                # What the function receives (pandas' object Decimals come back as Decimal).
                floats = as_float(close if kind == "polars" else pl.from_pandas(given)["close"])
                ref = None
                if floats is not None:
                    as_floats = pl.Series(floats)
                    ref = _numeric_columns(
                        fn, table.with_columns(close=as_floats, amount=as_floats)
                    )
                argument = "amount" if name == "turnover_rate" else "close"
                yield f"tables/{name}/{dtype}|{kind}", _numeric_columns(fn, given), ref, argument


def _to_pandas_or_none(table: pl.DataFrame) -> Any:
    try:
        return table.to_pandas()
    except Exception:  # noqa: BLE001 (a dtype pandas cannot hold is no case for it)
        return None


def _numeric_columns(fn: Callable[[Any], pl.DataFrame], table: Any) -> Callable[[], Any]:
    def run() -> Any:
        out = fn(table)
        computed = pl.col(pl.Float64, pl.Float32, pl.Int64, pl.UInt32)
        return out.select(computed.exclude("close", "amount", "float_mcap"))

    return run


def main(face: str) -> None:
    sf.set_num_threads(2)
    for case, run, ref, argument in table_cases() if face == "tables" else cases(face):
        print(json.dumps({"start": case}), flush=True)  # noqa: T201
        outcome, detail = judge(run, ref, argument)
        print(json.dumps({"case": case, "outcome": outcome, "detail": detail}), flush=True)  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1])
